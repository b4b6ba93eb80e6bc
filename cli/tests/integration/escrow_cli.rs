//! `zkbackup escrow …` and `zkbackup drill`, end to end on a 2-of-3 escrow of a small
//! backup's key: trustee keys, setup, deal, verify, open (checked against the independent
//! opener tests/js/escrow-open.mjs), recover from every pair, the refusals of docs/ESCROW.md
//! §8, and the drill.

use crate::common;

use common::{fails, ok, s, text, Cmd};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read_to_string(path).unwrap())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Writes `value` to a new owner-only file (a hand-made share must not draw the warning).
fn write_secret(path: &Path, value: &Value) {
    std::fs::write(path, format!("{value}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn recover(escrow: &Path, shares: &[&Path], out: &Path) -> Cmd {
    let mut cmd = Cmd::new("escrow")
        .arg("recover")
        .path("--escrow", escrow)
        .path("--out", out);
    for sh in shares {
        cmd = cmd.path("--share", sh);
    }
    cmd
}

fn deal(dir: &Path, trustees: &[&str], out: &str) -> Cmd {
    let mut cmd = Cmd::new("escrow")
        .arg("deal")
        .path("--key", &dir.join("key.json"))
        .flag("--threshold", 2)
        .path("--keys-dir", &dir.join("keys"))
        .path("--out", &dir.join(out));
    for t in trustees {
        cmd = cmd.path("--trustee", &dir.join(t));
    }
    cmd
}

#[test]
fn two_of_three_escrow_deal_verify_open_recover_and_drill() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = |name: &str| -> PathBuf { dir.join(name) };

    // Trustee keys: 1 and 2 with a public key file, 3's public key from stdout.
    for i in 1..=3 {
        let mut cmd = Cmd::new("escrow")
            .arg("trustee-keygen")
            .path("--out", &p(&format!("t{i}.json")));
        if i < 3 {
            cmd = cmd.path("--public-out", &p(&format!("t{i}.pub.json")));
        }
        let public = json(&cmd.ok());
        assert_eq!(public["kind"], "zkbackup-trustee-public-key");
        if i == 3 {
            std::fs::write(p("t3.pub.json"), public.to_string()).unwrap();
        } else {
            assert_eq!(read_json(&p(&format!("t{i}.pub.json"))), public);
        }
        let key = read_json(&p(&format!("t{i}.json")));
        assert_eq!(key["publicKey"], public["publicKey"]);
        #[cfg(unix)]
        assert_eq!(mode(&p(&format!("t{i}.json"))), 0o600);
    }
    let err = Cmd::new("escrow")
        .arg("trustee-keygen")
        .path("--out", &p("t1.json"))
        .fails(2);
    assert!(err.contains("already exists"), "{err}");

    // The backup key and a small backup (arity 2, 5 records, chunks of 2).
    let k_hex = ok(&["keygen", "--out", s(&p("key.json"))])
        .trim()
        .strip_prefix("commitment ")
        .unwrap()
        .to_string();
    let records: String = (0..5).map(|i| format!("{},{}\n", i + 1, 7 * i)).collect();
    std::fs::write(p("records.csv"), records).unwrap();
    common::backup(&p("records.csv"), &p("key.json"), &p("backup.zkb"), 2);
    let root = json(&ok(&["root", "--records", s(&p("records.csv")), "--json"]));
    let root_hex = root["root"].as_str().unwrap().to_string();

    // Setup and deal (trustee 3 given by its key file: only its public part is used).
    let setup = json(
        &Cmd::new("escrow")
            .arg("setup")
            .flag("--threshold", 2)
            .flag("--trustees", 3)
            .path("--keys-dir", &p("keys"))
            .arg("--json")
            .ok(),
    );
    assert!(p("keys/escrow-2-of-3").is_dir(), "{setup}");
    let dealt = json(
        &deal(
            dir,
            &["t1.pub.json", "t2.pub.json", "t3.json"],
            "escrow.json",
        )
        .flag("--label", "alice")
        .flag("--label", "bob")
        .flag("--label", "carol")
        .arg("--json")
        .ok(),
    );
    assert_eq!(dealt["key_commitment"], k_hex.as_str());
    assert_eq!(dealt["circuit_id"], setup["circuit_id"]);
    let escrow = p("escrow.json");
    #[cfg(unix)]
    assert_eq!(mode(&escrow), 0o600);
    let file = read_json(&escrow);
    assert_eq!(file["trustees"][1]["label"], "bob");
    assert_eq!(file["escrowDigest"], dealt["escrow_digest"]);
    // Refusals of the deal: an existing output, a trustee twice, a wrong count of labels.
    let err = deal(
        dir,
        &["t1.pub.json", "t2.pub.json", "t3.pub.json"],
        "escrow.json",
    )
    .fails(2);
    assert!(err.contains("already exists"), "{err}");
    let err = deal(dir, &["t1.pub.json", "t2.pub.json", "t1.json"], "dup.json").fails(2);
    assert!(
        err.contains("trustees 1") && err.contains("same public key"),
        "{err}"
    );
    let err = deal(
        dir,
        &["t1.pub.json", "t2.pub.json", "t3.pub.json"],
        "l.json",
    )
    .flag("--label", "x")
    .fails(2);
    assert!(err.contains("one label per trustee"), "{err}");
    let err = deal(dir, &["t1.pub.json", "key.json", "t3.pub.json"], "k.json").fails(2);
    assert!(err.contains("backup key file"), "{err}");
    assert!(!p("dup.json").exists() && !p("l.json").exists() && !p("k.json").exists());

    // Verify: OK for K; refused for another K (exit 1); with --vk as well.
    let v = |k: &str| {
        Cmd::new("escrow")
            .arg("verify")
            .arg(s(&escrow))
            .flag("--key-commitment", k)
            .path("--keys-dir", &p("keys"))
    };
    let report = json(&v(&k_hex).arg("--json").ok());
    assert_eq!(report["ok"], true);
    assert_eq!(report["threshold"], 2);
    assert_eq!(report["trustees"][2]["label"], "carol");
    let other_k = format!("0x{}", "0".repeat(63) + "1");
    let err = v(&other_k).fails(1);
    assert!(err.contains("not 0x") || err.contains(&other_k), "{err}");
    ok(&[
        "escrow",
        "verify",
        s(&escrow),
        "--key-commitment",
        &k_hex,
        "--vk",
        s(&p("keys/escrow-2-of-3/vk.bin")),
    ]);
    // A flipped ciphertext: the file's own check (the digest recomputed) refuses it.
    let mut flipped = file.clone();
    let c0 = flipped["shares"][0]["ciphertext"][0]
        .as_str()
        .unwrap()
        .to_string();
    let last = c0.as_bytes()[c0.len() - 1];
    let changed = format!(
        "{}{}",
        &c0[..c0.len() - 1],
        if last == b'1' { '2' } else { '1' }
    );
    flipped["shares"][0]["ciphertext"][0] = changed.into();
    std::fs::write(p("flipped.json"), flipped.to_string()).unwrap();
    let err = fails(
        &[
            "escrow",
            "verify",
            s(&p("flipped.json")),
            "--key-commitment",
            &k_hex,
            "--keys-dir",
            s(&p("keys")),
        ],
        2,
    );
    assert!(err.contains("flipped.json"), "{err}");

    // Another deal's proof spliced into this file: well-formed, but the proof fails (exit 1).
    deal(
        dir,
        &["t1.pub.json", "t2.pub.json", "t3.pub.json"],
        "escrow2.json",
    )
    .ok();
    let mut spliced = file.clone();
    spliced["proof"] = read_json(&p("escrow2.json"))["proof"].clone();
    std::fs::write(p("spliced.json"), spliced.to_string()).unwrap();
    let err = fails(
        &[
            "escrow",
            "verify",
            s(&p("spliced.json")),
            "--key-commitment",
            &k_hex,
            "--keys-dir",
            s(&p("keys")),
        ],
        1,
    );
    assert!(
        err.contains("spliced.json does not verify") && err.contains("proof"),
        "{err}"
    );
    // Opening it with the proof checked: refused, no share written.
    let err = Cmd::new("escrow")
        .arg("open")
        .path("--escrow", &p("spliced.json"))
        .path("--trustee-key", &p("t1.json"))
        .path("--out", &p("spliced-s1.json"))
        .path("--keys-dir", &p("keys"))
        .fails(1);
    assert!(err.contains("share was not written"), "{err}");
    assert!(!p("spliced-s1.json").exists());

    // Open: each trustee its share (owner-only); an outsider is refused.
    for i in 1..=3 {
        let mut cmd = Cmd::new("escrow")
            .arg("open")
            .path("--escrow", &escrow)
            .path("--trustee-key", &p(&format!("t{i}.json")))
            .path("--out", &p(&format!("s{i}.json")))
            .arg("--json");
        if i == 1 {
            cmd = cmd.path("--keys-dir", &p("keys"));
        }
        let out = json(&cmd.ok());
        assert_eq!(out["index"], i);
        assert_eq!(out["proof_checked"], i == 1);
        #[cfg(unix)]
        assert_eq!(mode(&p(&format!("s{i}.json"))), 0o600);
    }
    Cmd::new("escrow")
        .arg("trustee-keygen")
        .path("--out", &p("t4.json"))
        .ok();
    let err = Cmd::new("escrow")
        .arg("open")
        .path("--escrow", &escrow)
        .path("--trustee-key", &p("t4.json"))
        .path("--out", &p("s4.json"))
        .fails(2);
    assert!(err.contains("not among the escrow's 3 trustees"), "{err}");

    // The independent opener (npm libraries only) gives trustee 1 the same share.
    zkbackup_tests::require_node_modules();
    let node = Command::new("node")
        .arg("escrow-open.mjs")
        .arg(&escrow)
        .arg(p("t1.json"))
        .current_dir(zkbackup_tests::js_dir())
        .output()
        .expect("run node");
    assert!(node.status.success(), "{}", text(&node.stderr));
    assert_eq!(json(&text(&node.stdout)), read_json(&p("s1.json")));

    // Recover from every pair: the original key file, byte for byte.
    let original = std::fs::read(p("key.json")).unwrap();
    for (a, b) in [(1, 2), (1, 3), (2, 3)] {
        let out = p(&format!("key{a}{b}.json"));
        let stdout = recover(
            &escrow,
            &[&p(&format!("s{a}.json")), &p(&format!("s{b}.json"))],
            &out,
        )
        .ok();
        assert_eq!(stdout.trim(), format!("commitment {k_hex}"));
        assert_eq!(std::fs::read(&out).unwrap(), original, "shares {a}, {b}");
        #[cfg(unix)]
        assert_eq!(mode(&out), 0o600);
    }
    // A share others can read draws a warning (it still recovers).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::copy(p("s2.json"), p("open-s2.json")).unwrap();
        std::fs::set_permissions(p("open-s2.json"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let out = recover(
            &escrow,
            &[&p("open-s2.json"), &p("s3.json")],
            &p("key-open.json"),
        )
        .run();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("warning: the share file"),
            "{}",
            text(&out.stderr)
        );
    }
    let err = recover(&escrow, &[&p("s1.json"), &p("s2.json")], &p("key12.json")).fails(2);
    assert!(err.contains("already exists"), "{err}");
    // One share: refused.
    let err = recover(&escrow, &[&p("s2.json")], &p("r1.json")).fails(2);
    assert!(
        err.contains("1 share given") && err.contains("needs 2"),
        "{err}"
    );
    // The same share twice: refused.
    let err = recover(&escrow, &[&p("s2.json"), &p("s2.json")], &p("r2.json")).fails(2);
    assert!(err.contains("both share 2"), "{err}");
    // A share of another escrow of the same key and trustees: refused by its digest.
    Cmd::new("escrow")
        .arg("open")
        .path("--escrow", &p("escrow2.json"))
        .path("--trustee-key", &p("t1.json"))
        .path("--out", &p("other-s1.json"))
        .ok();
    let err = recover(
        &escrow,
        &[&p("other-s1.json"), &p("s2.json")],
        &p("r3.json"),
    )
    .fails(2);
    assert!(
        err.contains("other-s1.json") && err.contains("another escrow"),
        "{err}"
    );
    // A corrupted share file: refused by the reader, naming it.
    let mut corrupt = read_json(&p("s3.json"));
    corrupt["share"][0] = "01".into();
    write_secret(&p("corrupt-s3.json"), &corrupt);
    let err = recover(
        &escrow,
        &[&p("s1.json"), &p("corrupt-s3.json")],
        &p("r4.json"),
    )
    .fails(2);
    assert!(
        err.contains("corrupt-s3.json") && err.contains("leading zeros"),
        "{err}"
    );
    // A wrong but well-formed share: detected, the subsets tried named.
    let mut wrong = read_json(&p("s3.json"));
    let y: String = wrong["share"][0].as_str().unwrap().to_string();
    let y1 = if y.ends_with('0') {
        format!("{}1", &y[..y.len() - 1])
    } else {
        format!("{}0", &y[..y.len() - 1])
    };
    wrong["share"][0] = y1.into();
    write_secret(&p("wrong-s3.json"), &wrong);
    let err = recover(
        &escrow,
        &[&p("s1.json"), &p("wrong-s3.json")],
        &p("r5.json"),
    )
    .fails(2);
    assert!(
        err.contains("{1, 3}") && err.contains("recover the key"),
        "{err}"
    );
    // With a third, good share the subset without the wrong one gives the key.
    recover(
        &escrow,
        &[&p("s1.json"), &p("wrong-s3.json"), &p("s2.json")],
        &p("r6.json"),
    )
    .ok();
    assert_eq!(std::fs::read(p("r6.json")).unwrap(), original);
    for r in ["r1.json", "r2.json", "r3.json", "r4.json", "r5.json"] {
        assert!(!p(r).exists(), "{r} written after a refusal");
    }

    // The drill: shares → key → restore → re-root; writes nothing.
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let drill = |root: &str, size: u64| {
        Cmd::new("drill")
            .path("--backup", &p("backup.zkb"))
            .path("--escrow", &escrow)
            .path("--share", &p("s3.json"))
            .path("--share", &p("s1.json"))
            .flag("--expect-root", root)
            .flag("--size", size)
    };
    let report = json(&drill(&root_hex, 5).arg("--json").ok());
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["root"], root_hex.as_str());
    assert_eq!(report["records"], 5);
    assert!(
        report["records_per_second"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    assert!(
        report["stages"]["restore_and_reroot"].as_f64().is_some(),
        "{report}"
    );
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "the drill wrote nothing");
    let err = drill(&root_hex, 6).fails(1);
    assert!(err.contains("5 records, not the expected 6"), "{err}");
    let err = drill(&other_k, 5).fails(1);
    assert!(err.contains("not the expected"), "{err}");
    let err = Cmd::new("drill")
        .path("--backup", &p("backup.zkb"))
        .path("--escrow", &escrow)
        .path("--share", &p("s1.json"))
        .flag("--expect-root", &root_hex)
        .flag("--size", 5)
        .fails(2);
    assert!(err.contains("needs 2"), "{err}");
    // Asked to, it writes the records.
    let text_report = drill(&root_hex, 5)
        .path("--out-records", &p("restored.csv"))
        .ok();
    assert!(text_report.contains("records/s"), "{text_report}");
    assert_eq!(
        std::fs::read_to_string(p("restored.csv")).unwrap(),
        std::fs::read_to_string(p("records.csv")).unwrap()
    );
}
