//! End to end through the binary: keygen, backup, setup, prove, verify, export to snarkjs
//! and `snarkjs groth16 verify`; then tampers, each refused with its reason.

use crate::common;

use common::{backup_cmd, fails, ok, prove, prove_cmd, s, setup, setup_cmd, verify_cmd};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct World {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    root: String,
}

impl World {
    fn p(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// 5 records of arity 2 in chunks of 2: three chunks, the last partial.
fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let records: String = (0..5)
        .map(|i| format!("{},{}\n", i * 7 + 1, i * 11 + 2))
        .collect();
    std::fs::write(dir.join("records.csv"), records).unwrap();
    let w = World {
        _dir: tmp,
        dir,
        root: String::new(),
    };
    let root = ok(&["root", "--records", s(&w.p("records.csv"))])
        .trim()
        .to_string();
    ok(&["keygen", "--out", s(&w.p("key.json"))]);
    let printed = backup_cmd(&w.p("records.csv"), &w.p("key.json"), &w.p("backup.zkb"), 2).ok();
    assert!(printed.contains(&format!("root {root}")));
    let setup = setup_cmd(2, 2, &w.p("keys")).run();
    assert!(setup.status.success());
    assert!(
        String::from_utf8_lossy(&setup.stderr).contains("single-party setup"),
        "the setup warns"
    );
    prove(
        &w.p("backup.zkb"),
        &w.p("key.json"),
        &w.p("keys"),
        &w.p("bundle.json"),
    );
    World { root, ..w }
}

/// The escrowed key's commitment, as `verify --key-commitment` wants it.
fn key_commitment(w: &World) -> String {
    let key =
        <zkbackup_core::EscrowKey as zkbackup_formats::KeyFile>::read(&w.p("key.json")).unwrap();
    zkbackup_core::field::to_hex(&key.commitment())
}

fn verify(w: &World, bundle: &Path, root: &str) -> Output {
    verify_cmd(bundle, &w.p("keys"))
        .path("--backup", &w.p("backup.zkb"))
        .trusted(root, 5, &key_commitment(w))
        .run()
}

#[test]
fn prove_verify_and_every_tamper_is_refused_with_its_reason() {
    let w = world();
    let good = verify(&w, &w.p("bundle.json"), &w.root);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let line = String::from_utf8(good.stdout).unwrap();
    assert!(line.starts_with("OK: 5 records (3 chunks of 2"), "{line}");

    // A root of another state (another block).
    let other_root = format!("0x{}", "0".repeat(63) + "1");
    let out = verify(&w, &w.p("bundle.json"), &other_root);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .to_lowercase()
        .contains("root"));

    let bundle = std::fs::read_to_string(w.p("bundle.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    let tamper = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut j = json.clone();
        f(&mut j);
        let path = w.p(name);
        std::fs::write(&path, serde_json::to_string_pretty(&j).unwrap()).unwrap();
        let out = verify(&w, &path, &w.root);
        assert!(!out.status.success(), "{name} must not verify");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // A proof coordinate changed: the proof no longer verifies (or is off the curve).
    let err = tamper("flipped.json", &|j| {
        let a = j["chunks"][1]["proof"]["a"][0]
            .as_str()
            .unwrap()
            .to_string();
        let last = a.chars().last().unwrap();
        let flipped = if last == '0' { '1' } else { '0' };
        j["chunks"][1]["proof"]["a"][0] = format!("{}{}", &a[..a.len() - 1], flipped).into();
    });
    assert!(err.contains("chunk 1"), "{err}");
    // Two chunks swapped.
    let err = tamper("swapped.json", &|j| {
        let chunks = j["chunks"].as_array_mut().unwrap();
        chunks.swap(0, 1);
    });
    assert!(err.contains("chunk"), "{err}");
    // A chunk dropped.
    let err = tamper("dropped.json", &|j| {
        j["chunks"].as_array_mut().unwrap().pop();
    });
    assert!(err.to_lowercase().contains("chunk"), "{err}");
    // A public input plus the field modulus (non-canonical).
    let err = tamper("noncanonical.json", &|j| {
        j["chunks"][0]["public_inputs"][4] =
            "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000003".into();
    });
    assert!(
        err.contains("chunks[0]") || err.contains("chunk 0"),
        "{err}"
    );
    // Unknown version.
    let err = tamper("version.json", &|j| j["version"] = 99.into());
    assert!(err.contains("version"), "{err}");

    // The bundle of another backup (same records, new key and nonces) does not match this file.
    ok(&["keygen", "--out", s(&w.p("key2.json"))]);
    common::backup(
        &w.p("records.csv"),
        &w.p("key2.json"),
        &w.p("backup2.zkb"),
        2,
    );
    prove(
        &w.p("backup2.zkb"),
        &w.p("key2.json"),
        &w.p("keys"),
        &w.p("bundle2.json"),
    );
    let out = verify(&w, &w.p("bundle2.json"), &w.root);
    assert!(
        !out.status.success(),
        "a bundle of another backup must not verify against this file"
    );

    // Wrong verifying key.
    setup(2, 2, &w.p("keys2"));
    let out = verify_cmd(&w.p("bundle.json"), &w.p("keys2"))
        .path("--backup", &w.p("backup.zkb"))
        .trusted(&w.root, 5, &key_commitment(&w))
        .run();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("circuit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exported_proofs_verify_with_snarkjs() {
    zkbackup_tests::require_node_modules();
    let w = world();
    ok(&[
        "export-snarkjs",
        "--bundle",
        s(&w.p("bundle.json")),
        "--vk",
        s(&w.p("keys")),
        "--out",
        s(&w.p("snarkjs")),
    ]);
    let cli = zkbackup_tests::js_dir().join("node_modules/snarkjs/build/cli.cjs");
    for i in 0..3 {
        let out = Command::new("node")
            .arg(&cli)
            .args(["groth16", "verify"])
            .arg(w.p("snarkjs/verification_key.json"))
            .arg(w.p(&format!("snarkjs/public_{i}.json")))
            .arg(w.p(&format!("snarkjs/proof_{i}.json")))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("OK"),
            "snarkjs on chunk {i}: {text}"
        );
    }
}

#[test]
fn prove_refuses_mismatched_inputs_with_exit_code_2() {
    let w = world();
    let err = fails(
        &[
            "prove",
            "--backup",
            s(&w.p("backup.zkb")),
            "--key",
            s(&w.p("key.json")),
            "--keys-dir",
            s(&w.p("keys")),
            "--out",
            s(&w.p("bundle.json")),
        ],
        2,
    );
    assert!(err.contains("already exists"), "{err}");
    ok(&["keygen", "--out", s(&w.p("other.json"))]);
    let err = prove_cmd(
        &w.p("backup.zkb"),
        &w.p("other.json"),
        &w.p("keys"),
        &w.p("b3.json"),
    )
    .fails(2);
    assert!(err.contains("key"), "{err}");
    assert!(!w.p("b3.json").exists());
}

#[test]
fn prove_engine_fixed_and_auto_make_bundles_that_verify_and_say_which_msm_they_used() {
    let w = world();
    let cache = w.p("tables");
    let cache = cache.to_str().unwrap();
    let stderr = std::cell::RefCell::new(String::new());
    // `prove --json [--engine E] --tables-cache C`: its JSON, once the bundle verifies.
    let run = |engine: Option<&str>, tables_cache: &str, out: &str| -> serde_json::Value {
        let mut cmd = prove_cmd(
            &w.p("backup.zkb"),
            &w.p("key.json"),
            &w.p("keys"),
            &w.p(out),
        )
        .arg("--json")
        .arg("--tables-cache")
        .arg(tables_cache);
        if let Some(engine) = engine {
            cmd = cmd.arg("--engine").arg(engine);
        }
        let run = cmd.run();
        *stderr.borrow_mut() = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "{}", stderr.borrow());
        let good = verify(&w, &w.p(out), &w.root);
        assert!(
            good.status.success(),
            "{}",
            String::from_utf8_lossy(&good.stderr)
        );
        serde_json::from_slice(&run.stdout).unwrap()
    };
    // Three chunks are too few to pay for building the tables.
    assert_eq!(run(None, cache, "auto.json")["engine"], "arkworks");
    assert_eq!(run(Some("fixed"), cache, "fixed.json")["engine"], "fixed");
    let kept = std::fs::read_dir(cache).unwrap().count();
    assert_eq!(kept, 1, "one tables file for the key");
    let said = |what: &str| assert!(stderr.borrow().contains(what), "{}", stderr.borrow());
    said("tables kept in");
    assert_eq!(
        run(Some("arkworks"), cache, "ark.json")["engine"],
        "arkworks"
    );
    // Kept tables are read back, far cheaper than a build: auto uses them for three chunks.
    assert_eq!(run(None, cache, "auto2.json")["engine"], "fixed");
    said("read from");
    assert_eq!(run(None, "none", "auto3.json")["engine"], "arkworks");
    let bad = prove_cmd(
        &w.p("backup.zkb"),
        &w.p("key.json"),
        &w.p("keys"),
        &w.p("x.json"),
    )
    .arg("--engine")
    .arg("gpu")
    .run();
    assert_eq!(bad.status.code(), Some(2));
    assert!(!w.p("x.json").exists());
}

#[test]
fn prove_reuse_takes_verified_old_proofs_and_reports_the_counts() {
    let w = world();
    let reprove = |old: &Path, out: &str| {
        let run = prove_cmd(
            &w.p("backup.zkb"),
            &w.p("key.json"),
            &w.p("keys"),
            &w.p(out),
        )
        .path("--reuse", old)
        .arg("--json")
        .run();
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "{stderr}");
        let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let good = verify(&w, &w.p(out), &w.root);
        assert!(
            good.status.success(),
            "{}",
            String::from_utf8_lossy(&good.stderr)
        );
        (json, stderr)
    };

    // The same backup again: every proof reused, nothing proven.
    let (json, stderr) = reprove(&w.p("bundle.json"), "again.json");
    assert_eq!(json["chunks"], 3);
    assert_eq!(json["proven"], 0);
    assert_eq!(json["reused"], 3);
    assert_eq!(json["resumed"], 0);
    assert_eq!(json["reuse_rejected"], serde_json::json!([]));
    assert_eq!(json["reuse"], s(&w.p("bundle.json")));
    assert!(
        stderr.contains("proved 0 chunks, reused 3 (verified), of 3"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(w.p("again.json")).unwrap(),
        std::fs::read(w.p("bundle.json")).unwrap()
    );

    // Chunk 1 missing, and chunk 0 carrying chunk 2's proof: both proven, with a warning
    // naming chunk 0; chunk 2 reused.
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.p("bundle.json")).unwrap()).unwrap();
    let chunks = old["chunks"].as_array_mut().unwrap();
    chunks[0]["proof"] = chunks[2]["proof"].clone();
    chunks.remove(1);
    std::fs::write(w.p("old.json"), serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let (json, stderr) = reprove(&w.p("old.json"), "delta.json");
    assert_eq!(json["proven"], 2);
    assert_eq!(json["reused"], 1);
    assert_eq!(json["reuse_rejected"], serde_json::json!([0]));
    assert!(
        stderr.contains("proved 2 chunks, reused 1 (verified), of 3"),
        "{stderr}"
    );
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: --reuse"))
        .unwrap_or_else(|| panic!("no warning in {stderr}"));
    assert!(
        warning.contains("old.json") && warning.contains("chunk(s) 0 "),
        "{warning}"
    );

    // An old bundle for other proving keys: refused (exit 2), naming the file and why.
    old["circuit_id"] = format!("0x{}", "ab".repeat(32)).into();
    std::fs::write(
        w.p("other.json"),
        serde_json::to_string_pretty(&old).unwrap(),
    )
    .unwrap();
    let err = prove_cmd(
        &w.p("backup.zkb"),
        &w.p("key.json"),
        &w.p("keys"),
        &w.p("refused.json"),
    )
    .path("--reuse", &w.p("other.json"))
    .fails(2);
    assert!(
        err.contains(&format!("--reuse {}", w.p("other.json").display()))
            && err.contains("circuit 0xabab"),
        "{err}"
    );
    assert!(!w.p("refused.json").exists());
    assert!(!w.p("refused.json.chunks").exists());
}
