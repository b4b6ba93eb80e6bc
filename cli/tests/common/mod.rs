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
