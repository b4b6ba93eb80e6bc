//! `demo`'s step timers, and the exports: `export-snarkjs` never overwrites (a non-empty
//! output directory is refused, naming it), `export-verifier` likewise; both have `--json`.
//!
//! One `demo --dir` run supplies the keys directory and a real bundle for every test here.

use crate::common;

use common::*;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Demo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    report: Value,
}

/// `zkbackup demo --json --dir D` on a tiny state (5 records of arity 2, chunks of 2), run
/// once for the whole file.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let out = ok(&[
            "demo",
            "--records",
            "5",
            "--chunk-size",
            "2",
            "--arity",
            "2",
            "--json",
            "--dir",
            s(&dir),
        ]);
        let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        Demo {
            _tmp: tmp,
            dir,
            report,
        }
    })
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            files.insert(path, bytes);
        }
    }
    files
}

/// Names in `dir` that look like a leftover staging file or directory.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".zkbackup-tmp"))
        .collect()
}

/// Each step's time is the time of its own work: the steps add up to the total (the only
/// work outside them is bookkeeping). Proving once ran before its step's timer started,
/// which then showed 0.0 s while the total included the proving time.
#[test]
fn demo_step_times_add_up_to_the_total() {
    let report = &demo().report;
    assert_eq!(report["ok"], true, "{report}");
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 19, "{report}");
    // Every step passed (the text report's ✓ is this `ok`).
    for step in steps {
        assert_eq!(step["ok"], true, "{step}");
    }
    // The escrow path: dealt 2-of-3, verified off chain, the vault refusing until the key
    // is registered on chain, then a drill from two shares back to the chain's root.
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    let at = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no step {name:?} in {names:?}"))
    };
    assert!(at("escrow deal 2-of-3 (prove)") < at("escrow verify off chain"));
    assert!(at("vault refuses: key not escrowed") < at("escrow register on chain"));
    assert!(at("escrow register on chain") < at("vault withdraw (fresh, escrowed)"));
    assert_eq!(names.last(), Some(&"recovery drill (2 of 3 trustees)"));
    assert!(demo().dir.join("escrow.json").exists());
    let total = report["total_secs"].as_f64().unwrap();
    let mut sum = 0.0;
    for step in steps {
        let secs = step["secs"].as_f64().unwrap();
        assert!(secs > 0.0, "{step}");
        sum += secs;
    }
    assert!(
        sum <= total && sum >= 0.95 * total - 0.02,
        "steps add up to {sum:.3} s of a total {total:.3} s: {report}"
    );
    let prove = steps
        .iter()
        .find(|s| s["step"] == "prove (parallel)")
        .unwrap();
    // Three chunk proofs (plus preparing the prover) are never free.
    assert!(prove["secs"].as_f64().unwrap() >= 0.01, "{prove}");
    // The delta: record 1 changes (chunk 0) and record 5 is added (to chunk 2): two chunks
    // proven, chunk 1's proof reused.
    let delta = steps
        .iter()
        .find(|s| s["step"] == "delta prove (--reuse)")
        .unwrap();
    assert_eq!(
        delta["detail"], "proved 2 chunks, reused 1 (verified)",
        "{delta}"
    );
}

#[test]
fn demo_prints_each_step_time_in_its_text_report() {
    let out = ok(&[
        "demo",
        "--records",
        "2",
        "--chunk-size",
        "1",
        "--arity",
        "1",
    ]);
    let steps: Vec<&str> = out.lines().filter(|l| l.contains('✓')).collect();
    assert_eq!(steps.len(), 19, "{out}");
    assert!(!out.contains('✗'), "{out}");
    for line in steps {
        assert!(
            line.split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w[0].parse::<f64>().is_ok() && w[1] == "s"),
            "no time in {line:?}"
        );
    }
    assert!(out.contains("total "), "{out}");
}

#[test]
fn export_snarkjs_refuses_a_setup_directory_and_changes_nothing() {
    let d = demo();
    let keys = d.dir.join("keys");
    let before = snapshot(&d.dir);
    assert!(
        before.keys().any(|p| p.starts_with(&keys)),
        "the setup wrote its keys"
    );
    let bundle = d.dir.join("bundle.json");
    let export = |out: &Path| {
        fails(
            &[
                "export-snarkjs",
                "--bundle",
                s(&bundle),
                "--vk",
                s(&keys),
                "--out",
                s(out),
            ],
            2,
        )
    };
    let err = export(&keys);
    assert!(
        err.contains(&format!("{}: directory is not empty", keys.display())),
        "{err}"
    );
    // A file where the directory should go.
    let err = export(&bundle);
    assert!(
        err.contains(&format!(
            "{}: exists and is not a directory",
            bundle.display()
        )),
        "{err}"
    );
    // A missing parent is named.
    let err = export(&d.dir.join("nope/snarkjs"));
    assert!(
        err.contains("nope") && err.contains("does not exist"),
        "{err}"
    );
    assert_eq!(snapshot(&d.dir), before, "nothing changed");
    assert!(leftovers(&d.dir).is_empty());
}

#[test]
fn export_snarkjs_fills_a_new_or_empty_directory_once() {
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let bundle = d.dir.join("bundle.json");
    let keys = d.dir.join("keys");
    let export = |out: &Path| {
        zkbackup(&[
            "export-snarkjs",
            "--bundle",
            s(&bundle),
            "--vk",
            s(&keys),
            "--out",
            s(out),
            "--json",
        ])
    };
    let expected = [
        "proof_0.json",
        "proof_1.json",
        "proof_2.json",
        "public_0.json",
        "public_1.json",
        "public_2.json",
        "verification_key.json",
    ];
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for out in [tmp.path().join("new"), empty] {
        let o = export(&out);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: Value = serde_json::from_str(&text(&o.stdout)).unwrap();
        assert_eq!(v["chunks"], 3);
        assert_eq!(v["out"], s(&out));
        assert_eq!(v["files"], serde_json::json!(expected));
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, expected);
        // Once: a second export into it is refused and changes nothing.
        let before = snapshot(&out);
        let o = export(&out);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o.stderr).contains("directory is not empty"));
        assert_eq!(snapshot(&out), before);
    }
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn export_verifier_json_and_never_overwrites() {
    let d = demo();
    let tmp = tempfile::tempdir().unwrap();
    let sol = tmp.path().join("Verifier.sol");
    let keys = d.dir.join("keys");
    let out = ok(&[
        "export-verifier",
        "--vk",
        s(&keys),
        "--out",
        s(&sol),
        "--json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["out"], s(&sol));
    assert!(v["circuit_id"].as_str().unwrap().len() > 8);
    let source = std::fs::read(&sol).unwrap();
    assert_eq!(v["bytes"], source.len());
    let err = fails(&["export-verifier", "--vk", s(&keys), "--out", s(&sol)], 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&sol).unwrap(), source);
}
