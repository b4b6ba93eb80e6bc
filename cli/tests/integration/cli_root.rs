//! `zkbackup root` end to end: on files written by `tests/js/gen-records.mjs` it prints the
//! root @zk-kit/lean-imt computes (poseidon-lite hashing); on bad files it exits 2 naming
//! the file, the line and the problem.
//!
//! Needs `npm ci` in `tests/js`; fails (does not skip) without it.

use crate::common;

use common::*;

use std::path::Path;
use std::process::Output;
use zkbackup_tests::{fr, oracle, GenRecords};

const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";

fn root_of(path: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["root", "--records", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    zkbackup(&args)
}

/// `zkbackup root` equals gen-records' root for every size, in `format`.
fn matches_gen_records(arity: usize, format: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    for (i, count) in [1, 2, 3, 5, 1000, 4097].into_iter().enumerate() {
        let mut gen = GenRecords::new(arity, count, format);
        gen.seed = Some((arity * 100 + i) as u64);
        gen.hex = i % 2 == 1;
        if arity == 16 && count == 4097 && format == "jsonl" {
            // poseidon-lite takes ~14 s for this one; the csv twin covers it with poseidon-lite.
            gen.lib = "circomlibjs";
        }
        let path = dir.path().join(format!("state-{count}.{format}"));
        let want = gen.write(&path);
        let out = root_of(&path, &[]);
        assert!(out.status.success(), "{gen:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{want}\n"), "{gen:?}");
        let noun = if count == 1 { "record" } else { "records" };
        assert_eq!(
            text(&out.stderr),
            format!("{count} {noun}, arity {arity}\n"),
            "{gen:?}"
        );
    }
}

#[test]
fn root_matches_gen_records_csv_arity_1() {
    matches_gen_records(1, "csv");
}

#[test]
fn root_matches_gen_records_jsonl_arity_1() {
    matches_gen_records(1, "jsonl");
}

#[test]
fn root_matches_gen_records_csv_arity_4() {
    matches_gen_records(4, "csv");
}

#[test]
fn root_matches_gen_records_jsonl_arity_4() {
    matches_gen_records(4, "jsonl");
}

#[test]
fn root_matches_gen_records_csv_arity_16() {
    matches_gen_records(16, "csv");
}

#[test]
fn root_matches_gen_records_jsonl_arity_16() {
    matches_gen_records(16, "jsonl");
}

#[test]
fn format_flag_overrides_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("state.txt");
    let want = GenRecords::new(4, 7, "csv").write(&csv);
    let out = root_of(&csv, &["--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{want}\n"));
    // Without it, the extension names no format: exit 2.
    let out = root_of(&csv, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("state.txt"),
        "{}",
        text(&out.stderr)
    );
    // A JSON Lines file read as such despite a .csv name.
    let jsonl = dir.path().join("really-jsonl.csv");
    let want = GenRecords::new(2, 5, "jsonl").write(&jsonl);
    let out = root_of(&jsonl, &["--format", "jsonl"]);
    assert_eq!(
        text(&out.stdout),
        format!("{want}\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sample_records_file_has_a_root() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/records.csv");
    let out = root_of(&sample, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.len(), 67, "{stdout:?}");
    assert!(stdout.starts_with("0x") && stdout[2..66].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(stdout.to_lowercase(), stdout);
    assert_eq!(text(&out.stderr), "10 records, arity 4\n");
    // And it is @zk-kit/lean-imt's root of those records.
    let rows: Vec<Vec<String>> = std::fs::read_to_string(&sample)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let response = oracle(serde_json::json!({"op": "records_root", "records": rows}));
    let root = zkbackup_core::field::to_hex(&fr(&response["root"]));
    assert_eq!(stdout, format!("{root}\n"));
}

/// `zkbackup root` on `contents` fails with exit code 2, nothing on stdout, and a message
/// naming the file and containing each of `parts`.
fn rejects(name: &str, contents: &str, parts: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    let out = root_of(&path, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{name}: stdout {:?}",
        text(&out.stdout)
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(name), "{name}: no file name in {stderr}");
    for part in parts {
        assert!(stderr.contains(part), "{name}: no {part:?} in {stderr}");
    }
}

#[test]
fn rejects_a_value_that_is_not_a_number() {
    rejects(
        "nan.csv",
        "1,2\n3,four\n5,6\n",
        &["line 2", "field 2", "not a number", "four"],
    );
    rejects(
        "nan.jsonl",
        "[\"1\",\"2\"]\n[\"3\",\"0xzz\"]\n",
        &["line 2", "not a number"],
    );
}

#[test]
fn rejects_a_value_equal_to_the_modulus() {
    rejects(
        "modulus.csv",
        &format!("1,2\n{R},3\n"),
        &["line 2", "field 1", "not below the BN254 scalar modulus"],
    );
    rejects(
        "modulus.jsonl",
        &format!("[\"1\",\"{R}\"]\n"),
        &["line 1", "field 2", "not below the BN254 scalar modulus"],
    );
}

#[test]
fn rejects_wrong_arity_on_line_3() {
    rejects(
        "arity.csv",
        "1,2,3\n4,5,6\n7,8\n",
        &["line 3", "wrong arity", "expected 3", "got 2"],
    );
    rejects(
        "arity.jsonl",
        "[\"1\"]\n[\"2\"]\n[\"3\",\"4\"]\n",
        &["line 3", "wrong arity", "expected 1", "got 2"],
    );
}

#[test]
fn rejects_an_empty_file() {
    rejects("empty.csv", "", &["empty file"]);
    rejects("blank.jsonl", "\n\n", &["empty file"]);
}

#[test]
fn rejects_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.csv");
    let out = root_of(&path, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("cannot read records file") && stderr.contains("missing.csv"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["root"][..],
        &["root", "--records"],
        &["root", "--records", "x.csv", "--format", "xml"],
        &["nosuchverb"],
    ] {
        let out = zkbackup(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = zkbackup(&["--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("root"));
}

#[test]
fn json_prints_one_object_with_the_tree_size() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/records.csv");
    let plain = root_of(&sample, &[]);
    let out = root_of(&sample, &["--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["root"].as_str().unwrap(), text(&plain.stdout).trim());
    assert_eq!(v["records"], 10);
    assert_eq!(v["arity"], 4);
    assert_eq!(v["file"], sample.to_str().unwrap());
    assert_eq!(text(&out.stdout).lines().count(), 1);
}
