//! `zkbackup check`, restore's output format and `--out -`, and the operator rough edges of
//! issue 9 item 10: a closed stdout is not an error, a missing output directory is exit 2
//! naming it, and every error says its cause once.

use crate::common;

use common::*;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Byte offsets in the backup header (docs/FORMAT.md).
const FORMAT_BYTE: usize = 12;
const CHUNK_COUNT_AT: usize = 20;
const ROOT_AT: usize = 44;
const COMMITMENT_AT: usize = 108;
/// Chunk 0: a 24-byte prefix, 4 records × arity 2 = 8 elements → 10 ciphertext elements,
/// then its commitment.
const FIRST_CHUNK_COMMITMENT_END: usize = 140 + 24 + 10 * 32 + 32;

struct World {
    dir: tempfile::TempDir,
}

impl World {
    /// A key, and `records.csv` (9 records of arity 2) backed up to `backup.zkb` in chunks
    /// of 4 (three chunks, the last partial).
    fn new() -> Self {
        let w = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let records: String = (0..9)
            .map(|i| format!("{},{}\n", i * 7 + 1, i * 11 + 2))
            .collect();
        std::fs::write(w.p("records.csv"), records).unwrap();
        ok(&["keygen", "--out", s(&w.p("key.json"))]);
        common::backup(&w.p("records.csv"), &w.p("key.json"), &w.p("backup.zkb"), 4);
        w
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A copy of the backup with `edit` applied and the SHA-256 trailer re-sealed, so that
    /// the file passes its integrity check and reaches the checks behind it.
    fn edited(&self, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
        let mut bytes = std::fs::read(self.p("backup.zkb")).unwrap();
        edit(&mut bytes);
        let n = bytes.len();
        let digest = Sha256::digest(&bytes[..n - 32]);
        bytes[n - 32..].copy_from_slice(&digest);
        let path = self.p(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn root(w: &World) -> String {
    ok(&["root", "--records", s(&w.p("records.csv"))])
        .trim()
        .to_string()
}

/// The records of `records.csv` as JSON Lines, in canonical form.
fn as_jsonl(w: &World) -> String {
    std::fs::read_to_string(w.p("records.csv"))
        .unwrap()
        .lines()
        .map(|l| {
            let fields: Vec<String> = l.split(',').map(|x| format!("\"{x}\"")).collect();
            format!("[{}]\n", fields.join(","))
        })
        .collect()
}

#[test]
fn check_passes_a_good_backup_step_by_step_and_writes_nothing() {
    let w = World::new();
    let before = w.files();
    let out = ok(&["check", s(&w.p("backup.zkb"))]);
    let steps: Vec<&str> = out.lines().collect();
    assert_eq!(steps.len(), 4, "{out}");
    for (line, step) in steps.iter().zip(["integrity", "structure", "commitments"]) {
        assert!(line.starts_with(&format!("✓ {step}")), "{out}");
    }
    assert!(
        steps[1].contains("9 records of arity 2 in 3 chunks of 4"),
        "{out}"
    );
    assert!(steps[3].contains("give --key"), "{out}");

    let out = ok(&["check", s(&w.p("backup.zkb")), "--key", s(&w.p("key.json"))]);
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("✓ "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "integrity",
            "structure",
            "commitments",
            "key",
            "decrypt",
            "re-root"
        ],
        "{out}"
    );
    assert!(out.contains(&root(&w)), "{out}");
    assert!(out.ends_with("restores to its state root\n"), "{out}");

    let v: Value = serde_json::from_str(&ok(&[
        "check",
        s(&w.p("backup.zkb")),
        "--key",
        s(&w.p("key.json")),
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["decrypted"], true);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["steps"].as_array().unwrap().len(), 6);
    assert!(v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["ok"] == true));
    assert_eq!(v["backup"]["records"], 9);
    assert_eq!(v["backup"]["root"], root(&w).as_str());
    assert_eq!(w.files(), before, "check wrote nothing");
}

/// Runs `check` (with the key) on `backup`; asserts exit 1 with the step `failed` as the
/// last one, marked ✗, and `--json` saying the same. Returns the ✗ line.
fn check_fails_at(w: &World, backup: &Path, failed: &str) -> String {
    let key = w.p("key.json");
    let args = ["check", s(backup), "--key", s(&key)];
    let out = zkbackup(&args);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let last = stdout.lines().last().unwrap().to_string();
    assert!(last.starts_with(&format!("✗ {failed}")), "{stdout}");
    assert!(
        stderr.contains(&format!("check failed at step {failed}")),
        "{stderr}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = zkbackup(&json_args);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["ok"], false);
    let steps = v["steps"].as_array().unwrap();
    let last_step = steps.last().unwrap();
    assert_eq!(last_step["step"], failed);
    assert_eq!(last_step["ok"], false);
    assert_eq!(v["error"], last_step["error"]);
    last
}

#[test]
fn check_fails_with_exit_1_at_the_step_that_finds_the_problem() {
    let w = World::new();
    let before_edits = w.files();

    // A flipped byte: the trailer no longer matches.
    let mut bytes = std::fs::read(w.p("backup.zkb")).unwrap();
    bytes[200] ^= 1;
    std::fs::write(w.p("flipped.zkb"), &bytes).unwrap();
    let line = check_fails_at(&w, &w.p("flipped.zkb"), "integrity");
    assert!(line.contains("SHA-256"), "{line}");

    // Structure: a chunk count that does not fit the file, trailer re-sealed.
    let bad = w.edited("structure.zkb", |b| {
        b[CHUNK_COUNT_AT..CHUNK_COUNT_AT + 4].copy_from_slice(&5u32.to_be_bytes())
    });
    check_fails_at(&w, &bad, "structure");

    // The first chunk's stored commitment altered, trailer re-sealed.
    let bad = w.edited("chunk.zkb", |b| b[FIRST_CHUNK_COMMITMENT_END - 1] ^= 1);
    let line = check_fails_at(&w, &bad, "commitments");
    assert!(line.contains("commitment of chunk 0"), "{line}");

    // C altered.
    let bad = w.edited("c.zkb", |b| b[COMMITMENT_AT + 31] ^= 1);
    let line = check_fails_at(&w, &bad, "commitments");
    assert!(line.contains("backup commitment"), "{line}");

    // `restore` runs the same commitment check: it refuses both files and writes nothing.
    for (file, problem) in [
        ("chunk.zkb", "commitment of chunk 0"),
        ("c.zkb", "backup commitment"),
    ] {
        let err = fails(
            &[
                "restore",
                s(&w.p(file)),
                "--key",
                s(&w.p("key.json")),
                "--out",
                s(&w.p("restored.csv")),
            ],
            2,
        );
        assert!(err.contains(problem) && err.contains(file), "{err}");
        assert!(!w.p("restored.csv").exists(), "restore wrote nothing");
    }

    // Another key.
    ok(&["keygen", "--out", s(&w.p("other.json"))]);
    let out = zkbackup(&[
        "check",
        s(&w.p("backup.zkb")),
        "--key",
        s(&w.p("other.json")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("✗ key"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("wrong key"));

    // R altered (commitments intact): found only by decrypting and re-rooting.
    let bad = w.edited("root.zkb", |b| b[ROOT_AT + 31] ^= 1);
    ok(&["check", s(&bad)]);
    let line = check_fails_at(&w, &bad, "re-root");
    assert!(line.contains("state root mismatch"), "{line}");

    // Unreadable inputs are usage errors: exit 2.
    let err = fails(&["check", s(&w.p("missing.zkb"))], 2);
    assert!(err.contains("missing.zkb"), "{err}");
    let err = fails(
        &[
            "check",
            s(&w.p("backup.zkb")),
            "--key",
            s(&w.p("nokey.json")),
        ],
        2,
    );
    assert!(err.contains("nokey.json"), "{err}");

    let mut expected = before_edits;
    expected.extend(
        [
            "c.zkb",
            "chunk.zkb",
            "flipped.zkb",
            "other.json",
            "root.zkb",
            "structure.zkb",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(w.files(), expected, "check wrote nothing");
}

#[test]
fn restore_takes_its_format_from_the_user_not_from_the_header() {
    let w = World::new();
    let csv = std::fs::read_to_string(w.p("records.csv")).unwrap();
    let jsonl = as_jsonl(&w);
    let root = root(&w);

    // The header says "jsonl" now (trailer re-sealed: only the SHA-256 covered the byte).
    let flipped = w.edited("flipped.zkb", |b| {
        assert_eq!(b[FORMAT_BYTE], 0, "made from CSV");
        b[FORMAT_BYTE] = 1;
    });
    let v: Value = serde_json::from_str(&ok(&["inspect", s(&flipped), "--json"])).unwrap();
    assert_eq!(v["format"], "jsonl", "the byte is shown as information");
    let key = w.p("key.json");
    let restore = |backup: &Path, out: &str, extra: &[&str]| {
        let mut args = vec!["restore", s(backup), "--key", s(&key), "--out", out];
        args.extend_from_slice(extra);
        zkbackup(&args)
    };
    for backup in [w.p("backup.zkb"), flipped] {
        let name = backup.file_stem().unwrap().to_string_lossy().into_owned();
        // By extension.
        let out = w.p(&format!("{name}.csv"));
        assert!(restore(&backup, s(&out), &[]).status.success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), csv, "{name}");
        let out = w.p(&format!("{name}.ndjson"));
        assert!(restore(&backup, s(&out), &[]).status.success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), jsonl, "{name}");
        // --format wins over the extension.
        let out = w.p(&format!("{name}-really-jsonl.csv"));
        assert!(restore(&backup, s(&out), &["--format", "jsonl"])
            .status
            .success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), jsonl, "{name}");
        // stdout: CSV unless --format, and nothing but the records.
        let o = restore(&backup, "-", &[]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout), csv, "{name}");
        assert!(text(&o.stderr).contains(&format!("root {root}")));
        let o = restore(&backup, "-", &["--format", "jsonl"]);
        assert_eq!(text(&o.stdout), jsonl, "{name}");
    }

    // A name that says no format, and no --format: usage error, nothing written.
    let before = w.files();
    let o = restore(&w.p("backup.zkb"), s(&w.p("restored.txt")), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("restored.txt") && err.contains("--format"),
        "{err}"
    );
    // --json and --out - both want stdout.
    let o = restore(&w.p("backup.zkb"), "-", &["--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(w.files(), before);

    // --json: one object on stdout.
    let o = restore(
        &w.p("backup.zkb"),
        s(&w.p("j.csv")),
        &["--json", "--expect-root", &root],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(v["root"], root.as_str());
    assert_eq!(v["records"], 9);
    assert_eq!(v["arity"], 2);
    assert_eq!(v["format"], "csv");
    assert_eq!(v["expect_root_checked"], true);
    assert_eq!(v["out"], s(&w.p("j.csv")));
}

/// Spawns `zkbackup args` with stdout a pipe whose reader takes `keep` bytes and then
/// closes it; returns (exit code, stderr).
fn with_stdout_closed_after(args: &[&str], keep: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_reader_that_closes_stdout_early_is_not_an_error() {
    let w = World::new();
    // A backup whose `inspect --json` is far more than a pipe buffer (64 KiB).
    let records: String = (0..3000)
        .map(|i| format!("{},{},{},{}\n", i, i * 3, i * 5, i * 7))
        .collect();
    std::fs::write(w.p("big.csv"), records).unwrap();
    common::backup(&w.p("big.csv"), &w.p("key.json"), &w.p("big.zkb"), 256);
    let key = w.p("key.json");
    for args in [
        vec!["inspect", s(&w.p("big.zkb")), "--json"],
        vec!["inspect", s(&w.p("big.zkb"))],
        vec![
            "restore",
            s(&w.p("big.zkb")),
            "--key",
            s(&key),
            "--out",
            "-",
        ],
    ] {
        // `| head -c 10`
        let (code, stderr) = with_stdout_closed_after(&args, 10);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_missing_output_directory_is_exit_2_naming_it() {
    let w = World::new();
    let missing = w.p("no-such-dir");
    let restored = missing.join("r.csv");
    let key = missing.join("k.json");
    let backup = missing.join("b.zkb");
    let sol = missing.join("V.sol");
    for args in [
        vec![
            "restore",
            s(&w.p("backup.zkb")),
            "--key",
            s(&w.p("key.json")),
            "--out",
            s(&restored),
        ],
        // keygen and backup reach the atomic writer: the same error, from there.
        vec!["keygen", "--out", s(&key)],
        vec![
            "backup",
            "--records",
            s(&w.p("records.csv")),
            "--key",
            s(&w.p("key.json")),
            "--out",
            s(&backup),
        ],
        vec!["export-verifier", "--vk", "unused", "--out", s(&sol)],
    ] {
        let err = fails(&args, 2);
        assert!(
            err.contains(&format!("directory {} does not exist", missing.display())),
            "{args:?}: {err}"
        );
        assert!(!err.contains("zkbackup-tmp"), "{args:?}: {err}");
    }
    assert!(!missing.exists());
}

/// Every `: `-separated part of an error line differs from the next (no "X: X"), and the
/// OS's message appears once.
fn says_its_cause_once(stderr: &str) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    let parts: Vec<&str> = line.split(": ").collect();
    for pair in parts.windows(2) {
        assert_ne!(pair[0], pair[1], "repeated cause in {line}");
    }
    for os in ["No such file or directory", "Is a directory"] {
        assert!(line.matches(os).count() <= 1, "repeated cause in {line}");
    }
}

#[test]
fn errors_say_their_cause_once() {
    let w = World::new();
    let missing = s(&w.p("missing")).to_string();
    let missing_csv = s(&w.p("missing.csv")).to_string();
    let key = s(&w.p("key.json")).to_string();
    let backup = s(&w.p("backup.zkb")).to_string();
    let out = s(&w.p("out.csv")).to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["inspect", &missing],
        vec!["check", &missing],
        vec!["restore", &missing, "--key", &key, "--out", &out],
        vec!["restore", &backup, "--key", &missing, "--out", &out],
        vec![
            "backup",
            "--records",
            &missing_csv,
            "--key",
            &key,
            "--out",
            &out,
        ],
        vec![
            "export-snarkjs",
            "--bundle",
            &missing,
            "--vk",
            &missing,
            "--out",
            &out,
        ],
        vec!["export-verifier", "--vk", &missing, "--out", &out],
        vec![
            "verify", "--bundle", &missing, "--vk", &missing, "--backup", &backup, "--root", "0x1",
        ],
    ];
    for args in cases {
        let o = zkbackup(&args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        let stderr = text(&o.stderr);
        assert!(stderr.contains("missing"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("No such file or directory"),
            "{args:?}: {stderr}"
        );
        says_its_cause_once(&stderr);
    }
    // A parse error (serde_json's message, once), and a missing directory (no temporary path).
    let records = s(&w.p("records.csv")).to_string();
    let err = fails(
        &[
            "export-snarkjs",
            "--bundle",
            &records,
            "--vk",
            &records,
            "--out",
            s(&w.p("snarkjs")),
        ],
        2,
    );
    assert_eq!(err.matches("trailing characters").count(), 1, "{err}");
    says_its_cause_once(&err);
    let err = fails(&["keygen", "--out", s(&w.p("nodir/k.json"))], 2);
    assert!(
        !err.contains("zkbackup-tmp") && !err.contains("at path"),
        "{err}"
    );
    says_its_cause_once(&err);
}
