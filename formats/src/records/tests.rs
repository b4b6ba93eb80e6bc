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
