//! The records' unit tests: the type, both formats, their errors.

use super::lines::PARSE_BLOCK;
use super::*;
use ark_ff::{UniformRand, Zero};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::error::Error as _;
use zkbackup_core::field::{self, FieldParseError};

const R: &str = field::MODULUS_DECIMAL;

fn parse(text: &str, format: RecordFormat) -> Result<Records, RecordsError> {
    Records::parse(text.as_bytes(), format, "state.txt")
}

fn csv(text: &str) -> Result<Records, RecordsError> {
    parse(text, RecordFormat::Csv)
}

fn jsonl(text: &str) -> Result<Records, RecordsError> {
    parse(text, RecordFormat::JsonLines)
}

fn fr(v: u64) -> Fr {
    Fr::from(v)
}

fn random_records(arity: usize, n: usize, seed: u64) -> Records {
    let mut rng = StdRng::seed_from_u64(seed);
    let fields = (0..arity * n)
        .map(|_| match rng.gen_range(0..10) {
            0 => Fr::zero(),
            1 => -fr(1),
            2 => fr(rng.gen_range(0..1000)),
            _ => Fr::rand(&mut rng),
        })
        .collect();
    Records::new(arity, fields).unwrap()
}

/// The error and its causes, as the CLI prints them.
fn message(err: &RecordsError) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        msg = format!("{msg}: {cause}");
        source = cause.source();
    }
    msg
}

/// The message (with its causes) must name the file, the line and each of `parts`.
fn assert_message(err: &RecordsError, line: usize, parts: &[&str]) {
    let msg = message(err);
    assert!(msg.contains("state.txt"), "no file name: {msg}");
    assert!(
        msg.contains(&format!("line {line}")),
        "no line {line}: {msg}"
    );
    for part in parts {
        assert!(msg.contains(part), "missing {part:?}: {msg}");
    }
}

#[test]
fn csv_basic_and_tolerances() {
    let want = Records::from_rows(&[[fr(1), fr(2)], [fr(255), fr(0)]]).unwrap();
    for text in [
        "1,2\n255,0\n",
        "1,2\n255,0",
        "1,2\r\n255,0\r\n",
        " 1 ,\t2\n0xff, 0\n\n\n",
        "\u{feff}1,2\n0XFF,000\n  \n",
        "\"1\",\"2\"\n\" 0xFf\",0\n",
    ] {
        assert_eq!(csv(text).unwrap(), want, "{text:?}");
    }
}

#[test]
fn jsonl_basic_and_tolerances() {
    let want = Records::from_rows(&[[fr(1), fr(2)], [fr(255), fr(0)]]).unwrap();
    for text in [
        "[\"1\",\"2\"]\n[\"255\",\"0\"]\n",
        "[\"1\",\"2\"]\n[\"0xff\",\"0\"]",
        " [ \"1\" , \"2\" ] \r\n[\"0XFF\",\"0x0\"]\r\n\n",
        "[1,2]\n[255,0]\n",
        "[\"\\u0031\",2]\n[\"0xff\",0]\n",
    ] {
        assert_eq!(jsonl(text).unwrap(), want, "{text:?}");
    }
    // Integers beyond 2^64 are read exactly.
    let big = "21888242871839275222246405745257275088548364400416034343698204186575808495616";
    assert_eq!(jsonl(&format!("[{big}]")).unwrap().row(0), &[-fr(1)]);
}

#[test]
fn accessors() {
    let r = random_records(3, 10, 5);
    assert_eq!((r.len(), r.arity()), (10, 3));
    assert_eq!(r.iter_rows().count(), 10);
    assert_eq!(r.iter_rows().nth(4).unwrap(), r.row(4));
    assert_eq!(r.get(9), Some(r.row(9)));
    assert_eq!(r.get(10), None);
    assert_eq!(r.fields().len(), 30);
    let leaves = r.leaves();
    assert_eq!(leaves[2], poseidon::hash(r.row(2)));
    assert_eq!(r.root(), lean_imt::root(&leaves).unwrap());
    // Parallel and serial leaf hashing agree.
    let big = random_records(2, PARALLEL_LEAVES + 3, 6);
    let serial: Vec<Fr> = big.iter_rows().map(poseidon::hash).collect();
    assert_eq!(big.leaves(), serial);
}

#[test]
fn constructor_errors() {
    assert!(matches!(
        Records::new(0, vec![fr(1)]),
        Err(RecordsError::InvalidArity(0))
    ));
    assert!(matches!(
        Records::new(17, vec![fr(1); 17]),
        Err(RecordsError::InvalidArity(17))
    ));
    assert!(matches!(
        Records::new(2, vec![]),
        Err(RecordsError::NoRecords)
    ));
    assert!(matches!(
        Records::new(2, vec![fr(1); 3]),
        Err(RecordsError::Ragged { arity: 2, len: 3 })
    ));
    let rows: [&[Fr]; 2] = [&[fr(1), fr(2)], &[fr(3)]];
    assert!(matches!(
        Records::from_rows(&rows),
        Err(RecordsError::Ragged { .. })
    ));
    assert!(matches!(
        Records::from_rows::<[Fr; 1]>(&[]),
        Err(RecordsError::NoRecords)
    ));
}

#[test]
fn error_not_a_number() {
    let e = csv("1,2\n3,4\n5,abc\n").unwrap_err();
    assert!(matches!(
        e,
        RecordsError::Value {
            line: 3,
            field: 2,
            problem: FieldParseError::NotANumber(_),
            ..
        }
    ));
    assert_message(&e, 3, &["field 2", "not a number", "\"abc\""]);
    for bad in ["1,-2", "1,2.5", "1,", "1,0x", "1,1e3"] {
        let e = csv(&format!("1,2\n{bad}\n")).unwrap_err();
        assert!(
            matches!(
                e,
                RecordsError::Value {
                    line: 2,
                    field: 2,
                    ..
                }
            ),
            "{bad}: {e}"
        );
    }
    let e = jsonl("[\"1\"]\n[\"x\"]\n").unwrap_err();
    assert!(matches!(
        e,
        RecordsError::Value {
            line: 2,
            field: 1,
            ..
        }
    ));
    assert_message(&e, 2, &["not a number", "\"x\""]);
    // A header line is reported as such a value.
    let e = csv("a,b\n1,2\n").unwrap_err();
    assert_message(&e, 1, &["not a number", "\"a\""]);
}

#[test]
fn error_not_below_modulus() {
    for text in [format!("1\n{R}\n"), format!("1\n0x{}\n", "f".repeat(64))] {
        let e = csv(&text).unwrap_err();
        assert!(matches!(
            e,
            RecordsError::Value {
                line: 2,
                field: 1,
                problem: FieldParseError::NotBelowModulus(_),
                ..
            }
        ));
        assert_message(&e, 2, &["not below the BN254 scalar modulus"]);
    }
    let e = jsonl(&format!("[\"1\",\"{R}\"]\n")).unwrap_err();
    assert_message(&e, 1, &["field 2", "not below the BN254 scalar modulus", R]);
    let e = jsonl(&format!("[1,{R}]\n")).unwrap_err();
    assert_message(&e, 1, &["field 2", "not below the BN254 scalar modulus"]);
}

#[test]
fn error_wrong_arity() {
    let e = csv("1,2,3\n4,5,6\n7,8\n10,11,12\n").unwrap_err();
    assert!(matches!(
        e,
        RecordsError::WrongArity {
            line: 3,
            expected: 3,
            got: 2,
            ..
        }
    ));
    assert_message(&e, 3, &["wrong arity", "expected 3", "got 2"]);
    let e = jsonl("[\"1\"]\n[\"2\"]\n[\"3\",\"4\"]\n").unwrap_err();
    assert_message(&e, 3, &["wrong arity", "expected 1", "got 2"]);
    let e = jsonl("[\"1\"]\n[]\n").unwrap_err();
    assert_message(&e, 2, &["expected 1", "got 0"]);
    // Arity is checked before values: the line's first problem is its shape.
    let e = csv("1,2\nx\n").unwrap_err();
    assert!(matches!(e, RecordsError::WrongArity { line: 2, .. }));
}

#[test]
fn error_first_bad_line_wins_across_blocks() {
    let mut text = "1,2\n".repeat(3 * PARSE_BLOCK);
    text.push_str("1,bad\n");
    text.push_str(&"1,2\n".repeat(PARSE_BLOCK));
    text.push_str("1\n");
    let e = csv(&text).unwrap_err();
    assert!(
        matches!(e, RecordsError::Value { line, .. } if line == 3 * PARSE_BLOCK + 1),
        "{e}"
    );
}

#[test]
fn error_arity_out_of_range() {
    let e = csv(&format!("{}\n", vec!["1"; 17].join(","))).unwrap_err();
    assert!(matches!(
        e,
        RecordsError::ArityOutOfRange {
            line: 1,
            got: 17,
            ..
        }
    ));
    assert_message(&e, 1, &["1 to 16 fields", "has 17"]);
    let e = jsonl("[]\n[]\n").unwrap_err();
    assert!(matches!(
        e,
        RecordsError::ArityOutOfRange {
            line: 1,
            got: 0,
            ..
        }
    ));
    assert_message(&e, 1, &["1 to 16 fields", "has 0"]);
    let sixteen = vec!["1"; 16].join(",");
    assert_eq!(csv(&sixteen).unwrap().arity(), 16);
}

#[test]
fn error_empty_file() {
    for text in ["", "\n", "\n\n  \r\n", "\u{feff}"] {
        for format in [RecordFormat::Csv, RecordFormat::JsonLines] {
            let e = parse(text, format).unwrap_err();
            assert!(matches!(e, RecordsError::Empty { .. }), "{text:?}");
            let msg = e.to_string();
            assert!(
                msg.contains("state.txt") && msg.contains("empty file"),
                "{msg}"
            );
        }
    }
}

#[test]
fn error_blank_line_in_the_middle() {
    let e = csv("1,2\n\n3,4\n").unwrap_err();
    assert!(matches!(e, RecordsError::BlankLine { line: 2, .. }));
    assert_message(&e, 2, &["blank line"]);
    let e = jsonl("\n[\"1\"]\n").unwrap_err();
    assert!(matches!(e, RecordsError::BlankLine { line: 1, .. }));
}

#[test]
fn error_json_syntax() {
    for (text, part) in [
        ("[\"1\",\"2\"\n", "expected ',' or ']'"),
        ("\"1\"\n", "expected a JSON array"),
        ("[\"1\"] x\n", "after the array"),
        (
            "[\"1\",null]\n",
            "expected a string or a non-negative integer",
        ),
        (
            "[\"1\",[\"2\"]]\n",
            "expected a string or a non-negative integer",
        ),
        ("[\"1]\n", "unterminated string"),
        ("[1,-2]\n", "not a non-negative integer"),
        ("[1,2.0]\n", "not a non-negative integer"),
        ("[1,1e3]\n", "not a non-negative integer"),
        ("[1,01]\n", "not a non-negative integer"),
        ("{\"a\":1}\n", "expected a JSON array"),
    ] {
        let e = jsonl(text).unwrap_err();
        assert!(
            matches!(e, RecordsError::Syntax { line: 1, .. }),
            "{text:?}: {e}"
        );
        assert_message(&e, 1, &[part]);
    }
}

#[test]
fn error_unreadable_and_unknown_format() {
    let dir = std::env::temp_dir().join(format!("zkbackup-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.csv");
    let e = Records::read(&missing, None).unwrap_err();
    assert!(
        matches!(&e, RecordsError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound)
    );
    assert!(e.to_string().contains("missing.csv"), "{e}");
    let e = Records::read(dir.join("state.txt"), None).unwrap_err();
    assert!(matches!(e, RecordsError::UnknownFormat { .. }));
    assert!(e.to_string().contains("state.txt"), "{e}");
    // A directory is unreadable as a file.
    let e = Records::read(&dir, Some(RecordFormat::Csv)).unwrap_err();
    assert!(matches!(e, RecordsError::Read { .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn formats_from_names_and_paths() {
    assert_eq!(
        RecordFormat::from_path(Path::new("a/b.CSV")),
        Some(RecordFormat::Csv)
    );
    assert_eq!(
        RecordFormat::from_path(Path::new("b.jsonl")),
        Some(RecordFormat::JsonLines)
    );
    assert_eq!(
        RecordFormat::from_path(Path::new("b.ndjson")),
        Some(RecordFormat::JsonLines)
    );
    assert_eq!(RecordFormat::from_path(Path::new("b.json")), None);
    assert_eq!(RecordFormat::from_path(Path::new("csv")), None);
    assert_eq!(
        RecordFormat::resolve(Path::new("x.txt"), Some(RecordFormat::Csv)).unwrap(),
        RecordFormat::Csv
    );
    assert_eq!("JSONL".parse::<RecordFormat>(), Ok(RecordFormat::JsonLines));
    assert_eq!("csv".parse::<RecordFormat>(), Ok(RecordFormat::Csv));
    assert!("xml".parse::<RecordFormat>().is_err());
    assert_eq!(
        "xml".parse::<RecordFormat>().unwrap_err().to_string(),
        "unknown records format \"xml\" (expected csv or jsonl)"
    );
    for f in [RecordFormat::Csv, RecordFormat::JsonLines] {
        assert_eq!(f.to_string().parse::<RecordFormat>(), Ok(f));
    }
}

#[test]
fn canonical_round_trip_is_byte_for_byte() {
    for (arity, n) in [(1, 1), (4, 10), (16, 50), (3, 3 * WRITE_BLOCK + 7)] {
        let records = random_records(arity, n, arity as u64);
        for format in [RecordFormat::Csv, RecordFormat::JsonLines] {
            let bytes = records.to_bytes(format);
            let back = Records::parse(&bytes, format, "x").unwrap();
            assert_eq!(back, records);
            assert_eq!(back.to_bytes(format), bytes);
            // And across formats.
            let other = match format {
                RecordFormat::Csv => RecordFormat::JsonLines,
                RecordFormat::JsonLines => RecordFormat::Csv,
            };
            let via = Records::parse(&records.to_bytes(other), other, "y").unwrap();
            assert_eq!(via.to_bytes(format), bytes);
        }
    }
    let r = Records::from_rows(&[[fr(1), fr(2)], [fr(0), -fr(1)]]).unwrap();
    assert_eq!(
        String::from_utf8(r.to_bytes(RecordFormat::Csv)).unwrap(),
        format!("1,2\n0,{}\n", field::to_decimal(&-fr(1)))
    );
    assert_eq!(
        String::from_utf8(r.to_bytes(RecordFormat::JsonLines)).unwrap(),
        format!(
            "[\"1\",\"2\"]\n[\"0\",\"{}\"]\n",
            field::to_decimal(&-fr(1))
        )
    );
    // Non-canonical input comes back canonical.
    let text = " 0x01 , 007 \r\n\"3\",4\n\n";
    assert_eq!(
        csv(text).unwrap().to_bytes(RecordFormat::Csv),
        b"1,7\n3,4\n"
    );
}

#[test]
fn write_to_file_is_atomic_and_readable() {
    let dir = std::env::temp_dir().join(format!("zkbackup-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let records = random_records(4, 100, 9);
    for (name, format) in [
        ("s.csv", RecordFormat::Csv),
        ("s.jsonl", RecordFormat::JsonLines),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, "old contents").unwrap();
        records.write(&path, format).unwrap();
        assert_eq!(Records::read(&path, None).unwrap(), records);
    }
    // Only the two files: no temporary left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    let e = records
        .write(dir.join("no/such/dir.csv"), RecordFormat::Csv)
        .unwrap_err();
    assert!(matches!(e, RecordsError::Write { .. }) && e.to_string().contains("dir.csv"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parses_a_million_records_quickly() {
    // Not a benchmark, a guard: 1M records of arity 4 parse in well under the budget of
    // a couple of seconds even on 2 cores (in an optimized test build).
    let records = random_records(4, 1 << 20, 11);
    let bytes = records.to_bytes(RecordFormat::Csv);
    let start = std::time::Instant::now();
    let back = Records::parse(&bytes, RecordFormat::Csv, "big.csv").unwrap();
    let elapsed = start.elapsed();
    assert_eq!(back.len(), 1 << 20);
    assert!(
        elapsed.as_secs_f64() < 10.0,
        "parsing 1M records took {elapsed:?}"
    );
}

/// The JSON Lines problem of line 1 of `text`.
fn json_problem(text: &str) -> JsonLineError {
    match jsonl(text) {
        Err(RecordsError::Syntax {
            line: 1, problem, ..
        }) => problem,
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn json_syntax_errors_say_what_and_where() {
    use JsonLineError as J;
    for (text, want) in [
        (
            "[\"1\" \"2\"]",
            "expected ',' or ']' at column 6, found '\"'",
        ),
        ("[1,2", "expected ',' or ']' at column 5, found end of line"),
        ("[1x]", "expected ',' or ']' at column 3, found 'x'"),
        (
            "[1,]",
            "expected a string or a non-negative integer at column 4, found ']'",
        ),
        (
            "[,1]",
            "expected a string or a non-negative integer at column 2, found ','",
        ),
        (
            "[1,",
            "expected a string or a non-negative integer at column 4, found end of line",
        ),
        (
            "[\"1\",true]",
            "expected a string or a non-negative integer at column 6, found 't'",
        ),
        (
            "[\"1\",{}]",
            "expected a string or a non-negative integer at column 6, found '{'",
        ),
        ("[1]]", "unexpected ']' at column 4 after the array"),
        ("[] [1]", "unexpected '[' at column 4 after the array"),
        (
            "[1.]",
            "field 1: JSON number 1. is not a non-negative integer",
        ),
        (
            "[2,-]",
            "field 2: JSON number - is not a non-negative integer",
        ),
        (
            "[2,1E+2]",
            "field 2: JSON number 1E+2 is not a non-negative integer",
        ),
        ("  \"1\"", "expected a JSON array '[', found '\"'"),
        ("x", "expected a JSON array '[', found 'x'"),
        ("[\"1", "unterminated string at column 2"),
    ] {
        let problem = json_problem(text);
        assert!(problem.to_string().starts_with(want), "{text:?}: {problem}");
    }
    // Nesting is refused at its start, however deep (within serde_json's recursion limit or
    // not).
    for depth in [2, 1000] {
        let text = format!("[\"1\",{}", "[".repeat(depth));
        assert!(
            matches!(
                json_problem(&text),
                J::NotAValue { column: 6, ref found } if found == "'['"
            ),
            "{depth}"
        );
    }
    // The first problem on the line, left to right.
    assert!(matches!(
        json_problem("[null,01]"),
        J::NotAValue { column: 2, .. }
    ));
    assert!(matches!(
        json_problem("[01,null]"),
        J::NotAnInteger { field: 1, ref number } if number == "01"
    ));
    // Strings that are not valid JSON keep serde_json's diagnosis as their source.
    for (text, field, column) in [
        ("[\"\\x\"]", 1, 2),
        ("[1, \"1\t\"]", 2, 5),
        ("[\"\\ud800\"]", 1, 2),
    ] {
        match json_problem(text) {
            J::InvalidString {
                field: f,
                column: c,
                source,
            } => {
                assert_eq!((f, c), (field, column), "{text:?}");
                assert!(!source.to_string().is_empty());
            }
            other => panic!("{text:?}: {other}"),
        }
    }
    let e = Records::parse(b"[\"1\xff\"]\n", RecordFormat::JsonLines, "state.txt").unwrap_err();
    assert!(
        matches!(
            e,
            RecordsError::Syntax {
                problem: J::InvalidString { field: 1, .. },
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn jsonl_integers_are_read_exactly_at_any_size() {
    // r − 1 and r as JSON numbers; 100 digits; all digits of r − 1 with a leading `+`.
    let below = "21888242871839275222246405745257275088548364400416034343698204186575808495616";
    assert_eq!(
        jsonl(&format!("[{below},0]")).unwrap().row(0),
        &[-fr(1), fr(0)]
    );
    for big in [R.to_string(), "9".repeat(100)] {
        let e = jsonl(&format!("[0,{big}]")).unwrap_err();
        assert!(
            matches!(
                e,
                RecordsError::Value {
                    line: 1,
                    field: 2,
                    problem: FieldParseError::NotBelowModulus(_),
                    ..
                }
            ),
            "{e}"
        );
    }
    // 2^53 + 1 is not rounded to 2^53 (as an f64 would).
    let n = (1u64 << 53) + 1;
    assert_eq!(jsonl(&format!("[{n}]")).unwrap().row(0), &[fr(n)]);
    assert!(matches!(
        json_problem(&format!("[+{below}]")),
        JsonLineError::NotAValue { column: 2, .. }
    ));
}

#[test]
fn errors_keep_their_causes_and_say_them_once() {
    fn assert_source<E: std::error::Error + 'static>(err: &RecordsError) {
        let source = err.source().expect("a source");
        assert!(source.is::<E>(), "{err:?}");
        assert!(
            !err.to_string().contains(&source.to_string()),
            "the message repeats its source: {err}"
        );
        assert!(err.to_string().contains("state.txt"), "{err}");
    }
    assert_source::<FieldParseError>(&csv("1,x\n").unwrap_err());
    assert_source::<FieldParseError>(&jsonl("[\"x\"]\n").unwrap_err());
    assert_source::<JsonLineError>(&jsonl("[x]\n").unwrap_err());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.txt");
    assert_source::<io::Error>(&Records::read(&path, Some(RecordFormat::Csv)).unwrap_err());
    let records = Records::new(1, vec![fr(1)]).unwrap();
    let missing = dir.path().join("no/state.txt");
    assert_source::<io::Error>(&records.write(&missing, RecordFormat::Csv).unwrap_err());
    // Errors without a cause say it all in their message, naming the file.
    for e in [
        csv("1,2\n1\n").unwrap_err(),
        csv("").unwrap_err(),
        csv("1\n\n1\n").unwrap_err(),
    ] {
        assert!(
            e.source().is_none() && e.to_string().contains("state.txt"),
            "{e}"
        );
    }
}
