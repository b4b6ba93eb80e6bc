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
        .env("XDG_CACHE_HOME", cache_home())
        .output()
        .expect("run zkbackup")
}

/// The cache directory the tests' commands get (`XDG_CACHE_HOME`: where `prove`, `worker`
/// and `sync` keep the proving keys' tables by default), so that tests do not write into
/// the user's own cache.
pub fn cache_home() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("zkbackup-cli-tests-{}", std::process::id()))
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

/// A `zkbackup` command line, built flag by flag: the argument lists the tests share
/// ([`backup_cmd`], [`setup_cmd`], [`prove_cmd`], [`verify_cmd`]) are written once here.
#[derive(Clone, Debug)]
pub struct Cmd(Vec<String>);

impl Cmd {
    /// `zkbackup VERB`.
    pub fn new(verb: &str) -> Self {
        Self(vec![verb.to_string()])
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl ToString) -> Self {
        self.0.push(arg.to_string());
        self
    }

    /// Appends arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.0.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Appends `NAME VALUE`.
    pub fn flag(self, name: &str, value: impl ToString) -> Self {
        self.arg(name).arg(value)
    }

    /// Appends `NAME PATH`.
    pub fn path(self, name: &str, path: &Path) -> Self {
        self.flag(name, s(path))
    }

    /// `--root ROOT --size SIZE --key-commitment K`: what `verify` trusts.
    pub fn trusted(self, root: &str, size: impl ToString, key_commitment: &str) -> Self {
        self.flag("--root", root)
            .flag("--size", size)
            .flag("--key-commitment", key_commitment)
    }

    /// The arguments.
    pub fn to_vec(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }

    /// Runs it.
    pub fn run(&self) -> Output {
        zkbackup(&self.to_vec())
    }

    /// Runs it and asserts success; returns stdout.
    pub fn ok(&self) -> String {
        ok(&self.to_vec())
    }

    /// Runs it and asserts failure with `code`; returns stderr.
    pub fn fails(&self, code: i32) -> String {
        fails(&self.to_vec(), code)
    }
}

/// `zkbackup backup --records RECORDS --key KEY --out OUT --chunk-size N`.
pub fn backup_cmd(records: &Path, key: &Path, out: &Path, chunk_size: impl ToString) -> Cmd {
    Cmd::new("backup")
        .path("--records", records)
        .path("--key", key)
        .path("--out", out)
        .flag("--chunk-size", chunk_size)
}

/// `zkbackup setup --arity A --chunk-size N --out DIR`.
pub fn setup_cmd(arity: impl ToString, chunk_size: impl ToString, out: &Path) -> Cmd {
    Cmd::new("setup")
        .flag("--arity", arity)
        .flag("--chunk-size", chunk_size)
        .path("--out", out)
}

/// `zkbackup prove --backup BACKUP --key KEY --keys-dir KEYS --out OUT`.
pub fn prove_cmd(backup: &Path, key: &Path, keys_dir: &Path, out: &Path) -> Cmd {
    Cmd::new("prove")
        .path("--backup", backup)
        .path("--key", key)
        .path("--keys-dir", keys_dir)
        .path("--out", out)
}

/// `zkbackup verify --bundle BUNDLE --vk VK` (add [`Cmd::trusted`], `--backup`, ...).
pub fn verify_cmd(bundle: &Path, vk: &Path) -> Cmd {
    Cmd::new("verify").path("--bundle", bundle).path("--vk", vk)
}

/// [`backup_cmd`], asserting success.
pub fn backup(records: &Path, key: &Path, out: &Path, chunk_size: impl ToString) {
    backup_cmd(records, key, out, chunk_size).ok();
}

/// [`setup_cmd`], asserting success.
pub fn setup(arity: impl ToString, chunk_size: impl ToString, out: &Path) {
    setup_cmd(arity, chunk_size, out).ok();
}

/// [`prove_cmd`], asserting success.
pub fn prove(backup: &Path, key: &Path, keys_dir: &Path, out: &Path) {
    prove_cmd(backup, key, keys_dir, out).ok();
}
