//! The snarkjs CLI of the package pinned in `tests/js`, and the steps of a small
//! multi-party ceremony run with it alone (docs/CEREMONY.md), for the ceremony tests of the
//! `zkbackup-ceremony` crate and of the CLI.
//!
//! Everything is written in the caller's directory (a tempdir), except phase 1: its prepared
//! `.ptau` (public parameters, ~50 s to make at power 11 on two cores) is made once in
//! `target/tmp` and shared by the test binaries of one `cargo test` ([`phase1_cached`]).
//! Entropy and beacons are fixed strings, so a failing run reproduces.

use crate::{js_dir, require_node_modules};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The snarkjs CLI script (`node <cli> …`).
pub fn cli() -> PathBuf {
    require_node_modules();
    js_dir().join("node_modules/snarkjs/build/cli.cjs")
}

/// Runs `snarkjs args…` in `dir`: (exit 0, stdout and stderr with the colour codes
/// removed).
pub fn try_run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("node")
        .arg(cli())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), strip_ansi(&text))
}

/// Runs `snarkjs args…` in `dir`, panicking with its output unless it exits 0 *and* prints
/// no `[ERROR]` (several snarkjs commands report failure on stdout and exit 0).
pub fn run(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = try_run(dir, args);
    assert!(
        ok && !text.contains("[ERROR]"),
        "snarkjs {args:?} failed:\n{text}"
    );
    text
}

/// `text` without ANSI colour escapes.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The 64-byte hashes snarkjs prints after `title` (four lines of four 8-digit groups), in
/// order of appearance, as lowercase hex.
pub fn printed_hashes(text: &str, title: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains(title))
        .map(|(i, _)| {
            lines[i + 1..i + 5]
                .iter()
                .flat_map(|l| l.split_whitespace())
                .collect::<String>()
        })
        .collect()
}

/// A public beacon value for tests (32 bytes of hex).
pub const BEACON: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

/// Phase 1 of a ceremony of `power`: `powersoftau new bn128`, two contributions, a beacon,
/// `prepare phase2`. Returns the prepared `.ptau` (in `dir`). Costs about 50 s at power 11
/// on two cores (the preparation's FFTs dominate).
pub fn phase1(dir: &Path, power: u32) -> PathBuf {
    let power = power.to_string();
    run(
        dir,
        &["powersoftau", "new", "bn128", &power, "pot_0000.ptau"],
    );
    run(
        dir,
        &[
            "powersoftau",
            "contribute",
            "pot_0000.ptau",
            "pot_0001.ptau",
            "--name=phase1 first",
            "-e=phase one entropy 1",
        ],
    );
    run(
        dir,
        &[
            "powersoftau",
            "contribute",
            "pot_0001.ptau",
            "pot_0002.ptau",
            "--name=phase1 second",
            "-e=phase one entropy 2",
        ],
    );
    run(
        dir,
        &[
            "powersoftau",
            "beacon",
            "pot_0002.ptau",
            "pot_beacon.ptau",
            BEACON,
            "10",
            "-n=phase1 beacon",
        ],
    );
    run(
        dir,
        &[
            "powersoftau",
            "prepare",
            "phase2",
            "pot_beacon.ptau",
            "pot_final.ptau",
        ],
    );
    for f in [
        "pot_0000.ptau",
        "pot_0001.ptau",
        "pot_0002.ptau",
        "pot_beacon.ptau",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    dir.join("pot_final.ptau")
}

/// [`phase1`] at `power`, made once under `cache` (the caller's `CARGO_TARGET_TMPDIR`) and
/// reused: by the other ceremony test binary of the same `cargo test`, and by later runs.
/// Made in a directory of its own and renamed into place, so a crashed or concurrent maker
/// never leaves a half-written file under the final name. Tests only read it (and `snarkjs
/// zkey verify` checks every zkey made from it against it).
pub fn phase1_cached(cache: &Path, power: u32) -> PathBuf {
    let done = cache.join(format!("snarkjs-0.7.6-phase1-{power}"));
    let ptau = done.join("pot_final.ptau");
    if ptau.is_file() {
        return ptau;
    }
    std::fs::create_dir_all(cache).expect("creating the test cache directory");
    let making = tempfile::Builder::new()
        .prefix("phase1-making-")
        .tempdir_in(cache)
        .expect("a directory for phase 1");
    phase1(making.path(), power);
    let made = making.keep();
    if std::fs::rename(&made, &done).is_err() {
        // Another binary finished first: use its file, drop ours.
        let _ = std::fs::remove_dir_all(&made);
    }
    assert!(ptau.is_file(), "phase 1 left no {}", ptau.display());
    ptau
}

/// `snarkjs zkey contribute old new --name=name -e=entropy`; returns the contribution hash
/// it prints (lowercase hex).
pub fn contribute(dir: &Path, old: &Path, new: &Path, name: &str, entropy: &str) -> String {
    let text = run(
        dir,
        &[
            "zkey",
            "contribute",
            path_str(old),
            path_str(new),
            &format!("--name={name}"),
            &format!("-e={entropy}"),
        ],
    );
    printed_hashes(&text, "Contribution Hash:")
        .pop()
        .unwrap_or_else(|| panic!("zkey contribute printed no hash:\n{text}"))
}

/// `snarkjs zkey beacon old new BEACON 10 -n=name`; returns snarkjs' output.
pub fn beacon(dir: &Path, old: &Path, new: &Path, name: &str) -> String {
    run(
        dir,
        &[
            "zkey",
            "beacon",
            path_str(old),
            path_str(new),
            BEACON,
            "10",
            &format!("-n={name}"),
        ],
    )
}

/// Phase 2 from `zkey_0000` (the output of `groth16 setup`): contributions by "alice" and
/// "bob", then a beacon named "final beacon". Returns the final zkey and the two
/// contribution hashes snarkjs printed.
pub fn phase2(dir: &Path, zkey_0000: &Path) -> (PathBuf, [String; 2]) {
    let (z1, z2, last) = (
        dir.join("chunk_0001.zkey"),
        dir.join("chunk_0002.zkey"),
        dir.join("chunk_final.zkey"),
    );
    let alice = contribute(dir, zkey_0000, &z1, "alice", "alice's entropy");
    let bob = contribute(dir, &z1, &z2, "bob", "bob's entropy");
    beacon(dir, &z2, &last, "final beacon");
    (last, [alice, bob])
}

/// `snarkjs zkey verify r1cs ptau zkey`: (accepted, output). snarkjs exits 0 either way;
/// acceptance is its "ZKey Ok!".
pub fn zkey_verify(dir: &Path, r1cs: &Path, ptau: &Path, zkey: &Path) -> (bool, String) {
    let (ok, text) = try_run(
        dir,
        &[
            "zkey",
            "verify",
            path_str(r1cs),
            path_str(ptau),
            path_str(zkey),
        ],
    );
    (
        ok && text.contains("ZKey Ok!") && !text.contains("[ERROR]"),
        text,
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}
