//! Running the `zkbackup` binary from the CLI tests.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `zkbackup args` (logging off, whatever the caller's RUST_LOG).
pub fn zkbackup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run zkbackup")
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path as a `&str` argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Runs and asserts success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = zkbackup(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs and asserts failure with `code`; returns stderr.
pub fn fails(args: &[&str], code: i32) -> String {
    let out = zkbackup(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// `zkbackup backup --records RECORDS --key KEY --out OUT --chunk-size N`, asserting success.
pub fn backup(records: &Path, key: &Path, out: &Path, chunk_size: impl std::fmt::Display) {
    ok(&[
        "backup",
        "--records",
        s(records),
        "--key",
        s(key),
        "--out",
        s(out),
        "--chunk-size",
        &chunk_size.to_string(),
    ]);
}

/// `zkbackup setup --arity A --chunk-size N --out DIR`, asserting success.
pub fn setup(arity: impl std::fmt::Display, chunk_size: impl std::fmt::Display, out: &Path) {
    ok(&[
        "setup",
        "--arity",
        &arity.to_string(),
        "--chunk-size",
        &chunk_size.to_string(),
        "--out",
        s(out),
    ]);
}

/// `zkbackup prove --backup BACKUP --key KEY --keys-dir KEYS --out OUT`, asserting success.
pub fn prove(backup: &Path, key: &Path, keys_dir: &Path, out: &Path) {
    ok(&[
        "prove",
        "--backup",
        s(backup),
        "--key",
        s(key),
        "--keys-dir",
        s(keys_dir),
        "--out",
        s(out),
    ]);
}
