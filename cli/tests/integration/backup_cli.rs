//! `zkbackup keygen | backup | inspect | restore` end to end: byte-for-byte round trips,
//! `inspect --json` decrypted by @zk-kit/poseidon-cipher, and every way a restore must refuse
//! (damaged or truncated file, wrong key, wrong root, existing output) without writing.
//!
//! The @zk-kit test needs `npm ci` in `tests/js`; it fails (does not skip) without it.

use crate::common;

use common::*;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkbackup_core::Fr;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_tests::{frs, oracle_batch, GenRecords};

/// Deterministic pseudo-random records (no RNG crate needed): values of every size.
fn records(arity: usize, count: usize, seed: u64) -> Records {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let fields = (0..arity * count)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 3 {
                0 => Fr::from(x),
                1 => Fr::from(x).pow_u64(5),
                _ => -Fr::from(x % 5),
            }
        })
        .collect();
    Records::new(arity, fields).unwrap()
}

trait Pow {
    fn pow_u64(self, e: u64) -> Self;
}
impl Pow for Fr {
    fn pow_u64(self, e: u64) -> Self {
        (0..e).fold(Fr::from(1u64), |acc, _| acc * self)
    }
}

struct Setup {
    dir: tempfile::TempDir,
    key: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.json");
        let out = ok(&["keygen", "--out", s(&key)]);
        assert!(
            out.starts_with("commitment 0x") && out.len() == "commitment 0x".len() + 65,
            "{out}"
        );
        Self { dir, key }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `records` as `name` and backs it up to `name.zkb`; returns (records, backup, stdout).
    fn backup(
        &self,
        name: &str,
        records: &Records,
        chunk_size: usize,
    ) -> (PathBuf, PathBuf, String) {
        let input = self.path(name);
        let format = RecordFormat::from_path(&input).unwrap();
        records.write(&input, format).unwrap();
        let out = self.path(&format!("{name}.zkb"));
        let stdout = ok(&[
            "backup",
            "--records",
            s(&input),
            "--key",
            s(&self.key),
            "--out",
            s(&out),
            "--chunk-size",
            &chunk_size.to_string(),
        ]);
        (input, out, stdout)
    }

    /// The files in the temp dir (to check nothing was half-written).
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

fn hex_root(records: &Records) -> String {
    zkbackup_core::field::to_hex(&records.root())
}

#[test]
fn round_trips_byte_for_byte_arity_1_4_16_at_1_2k_2k_plus_1() {
    let setup = Setup::new();
    for arity in [1usize, 4, 16] {
        for (count, chunk_size) in [(1, 4), (4, 4), (5, 4), (256, 256), (257, 256)] {
            for ext in ["csv", "jsonl"] {
                let name = format!("s-{arity}-{count}-{chunk_size}.{ext}");
                let r = records(arity, count, (arity * 1000 + count) as u64);
                let (input, backup, stdout) = setup.backup(&name, &r, chunk_size);
                let root = hex_root(&r);
                let lines: Vec<&str> = stdout.lines().collect();
                assert_eq!(lines.len(), 2, "{stdout}");
                assert_eq!(lines[0], format!("root {root}"));
                assert!(lines[1].starts_with("commitment 0x") && lines[1].len() == 77);
                // Restoring to a file named like the input writes the input's format.
                let restored = setup.path(&format!("restored-{name}"));
                let out = ok(&[
                    "restore",
                    s(&backup),
                    "--key",
                    s(&setup.key),
                    "--out",
                    s(&restored),
                    "--expect-root",
                    &root,
                ]);
                assert_eq!(out, format!("root {root}\n"));
                assert_eq!(
                    std::fs::read(&restored).unwrap(),
                    std::fs::read(&input).unwrap(),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn inspect_json_has_the_documented_shape() {
    let setup = Setup::new();
    let r = records(4, 5, 1);
    let (_, backup, stdout) = setup.backup("s.csv", &r, 2);
    let v: Value = serde_json::from_str(&ok(&["inspect", s(&backup), "--json"])).unwrap();
    assert_eq!(v["version"], 2);
    let lineage = v["lineage"].as_str().unwrap();
    assert!(
        lineage.starts_with("0x") && lineage.len() == 18,
        "{lineage}"
    );
    assert_eq!(v["generation"], 0);
    assert_eq!(v["format"], "csv");
    assert_eq!(v["arity"], 4);
    assert_eq!(v["records"], 5);
    assert_eq!(v["chunk_size"], 2);
    assert_eq!(v["root"], hex_root(&r));
    assert_eq!(
        format!("commitment {}\n", v["commitment"].as_str().unwrap()),
        stdout.lines().nth(1).unwrap().to_string() + "\n"
    );
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&setup.key).unwrap()).unwrap();
    assert_eq!(v["key_commitment"], key["commitment"]);
    let chunks = v["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3);
    for (j, c) in chunks.iter().enumerate() {
        assert_eq!(c["index"], j);
        let length: usize = if j < 2 { 8 } else { 4 };
        assert_eq!(c["length"], length);
        assert_eq!(
            c["ciphertext"].as_array().unwrap().len(),
            length.div_ceil(3) * 3 + 1
        );
        let nonce = c["nonce"].as_str().unwrap().parse::<u128>().unwrap();
        assert_eq!(
            format!("{:#018x}", nonce >> 64),
            lineage,
            "nonce = lineage · 2^64 + version · 2^32 + index"
        );
        assert_eq!(nonce as u32 as usize, j);
        assert_eq!(c["version"], 0);
        assert!(c["commitment"].as_str().unwrap().starts_with("0x"));
    }
    // The table names the same values.
    let table = ok(&["inspect", s(&backup)]);
    assert!(table.contains(&hex_root(&r)), "{table}");
    assert!(table.contains("integrity       ok"), "{table}");
    assert!(
        table.contains(&format!("lineage         {lineage}")),
        "{table}"
    );
    assert!(table.contains("generation      0"), "{table}");
}

/// `backup --parent`: an edited record re-encrypts its chunk only, the report counts the
/// chunks, the child restores to the edited records (also with @zk-kit/poseidon-cipher from
/// `inspect --json`), and a second child with appended records claims the next generation.
#[test]
fn incremental_backup_reports_changes_and_restores_the_edited_records() {
    let setup = Setup::new();
    let r = records(2, 9, 11); // chunks of 2: 5 chunks, the last with 1 record
    let (_, parent, _) = setup.backup("v0.csv", &r, 2);
    let parent_json: Value = serde_json::from_str(&ok(&["inspect", s(&parent), "--json"])).unwrap();
    let lineage = parent_json["lineage"].as_str().unwrap().to_string();

    // Record 4 (chunk 2) edited.
    let mut fields = r.fields().to_vec();
    fields[4 * 2 + 1] += Fr::from(1u64);
    let edited = Records::new(2, fields).unwrap();
    let input = setup.path("v1.csv");
    edited.write(&input, RecordFormat::Csv).unwrap();
    let child = setup.path("v1.zkb");
    let backup_args = |input: &Path, out: &Path, parent: &Path, json: bool| -> String {
        let mut args = vec![
            "backup",
            "--records",
            s(input),
            "--key",
            s(&setup.key),
            "--out",
            s(out),
            "--parent",
            s(parent),
        ];
        if json {
            args.push("--json");
        }
        ok(&args)
    };
    let v: Value = serde_json::from_str(&backup_args(&input, &child, &parent, true)).unwrap();
    assert_eq!(v["lineage"], lineage.as_str());
    assert_eq!(v["generation"], 1);
    assert_eq!(v["chunk_size"], 2, "the parent's chunk size");
    assert_eq!(v["root"], hex_root(&edited));
    assert_eq!(
        v["changes"],
        json!({"unchanged": 4, "changed": 1, "added": 0, "removed": 0,
               "changed_chunks": [2], "added_chunks": [], "removed_chunks": []})
    );
    let restored = setup.path("restored.csv");
    ok(&[
        "restore",
        s(&child),
        "--key",
        s(&setup.key),
        "--out",
        s(&restored),
        "--expect-root",
        &hex_root(&edited),
    ]);
    assert_eq!(
        std::fs::read(&restored).unwrap(),
        std::fs::read(&input).unwrap()
    );
    let child_json: Value = serde_json::from_str(&ok(&["inspect", s(&child), "--json"])).unwrap();
    let chunks = child_json["chunks"].as_array().unwrap();
    let versions: Vec<u64> = chunks
        .iter()
        .map(|c| c["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [0, 0, 1, 0, 0]);
    for j in [0, 1, 3, 4] {
        assert_eq!(chunks[j], parent_json["chunks"][j], "chunk {j} copied");
    }
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&setup.key).unwrap()).unwrap();
    let requests: Vec<Value> = chunks
        .iter()
        .map(|c| {
            json!({
                "op": "decrypt", "ciphertext": c["ciphertext"], "key": key["key"],
                "nonce": c["nonce"], "length": c["length"],
            })
        })
        .collect();
    let decrypted: Vec<Fr> = oracle_batch(&requests)
        .iter()
        .flat_map(|r| frs(&r["message"]))
        .collect();
    assert_eq!(decrypted, edited.fields());

    // Two records appended to the child: the partial chunk 4 changes, chunk 5 is added.
    let mut fields = edited.fields().to_vec();
    fields.extend(records(2, 2, 12).fields());
    let appended = Records::new(2, fields).unwrap();
    let input2 = setup.path("v2.csv");
    appended.write(&input2, RecordFormat::Csv).unwrap();
    let grandchild = setup.path("v2.zkb");
    let out = backup_args(&input2, &grandchild, &child, false);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("root {}", hex_root(&appended)));
    assert_eq!(
        lines[2],
        format!("6 chunks: 4 unchanged, 1 changed, 1 added, 0 removed (generation 2 of lineage {lineage})")
    );
    let ledger = std::fs::read_to_string(setup.path("key.json.claims")).unwrap();
    assert_eq!(ledger.lines().count(), 2, "{ledger}");
    assert!(
        ledger.starts_with(&format!("{{\"lineage\":\"{lineage}\",\"generation\":1,")),
        "{ledger}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(setup.path("key.json.claims"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Another key, or another chunk size, is refused (exit 2) and writes nothing.
    let other_key = setup.path("other.json");
    ok(&["keygen", "--out", s(&other_key)]);
    let before = setup.files();
    let out = setup.path("v3.zkb");
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input2),
            "--key",
            s(&other_key),
            "--out",
            s(&out),
            "--parent",
            s(&child),
        ],
        2,
    );
    assert!(
        err.contains(&format!(
            "{}: cannot make an incremental backup of it: the parent backup was made with the key",
            child.display()
        )),
        "{err}"
    );
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input2),
            "--key",
            s(&setup.key),
            "--out",
            s(&out),
            "--parent",
            s(&child),
            "--chunk-size",
            "4",
        ],
        2,
    );
    assert!(
        err.contains("--chunk-size 4 differs from the parent's chunk size 2"),
        "{err}"
    );
    assert_eq!(setup.files(), before);
}

/// The ciphertext `inspect --json` prints decrypts with @zk-kit/poseidon-cipher's
/// `poseidonDecrypt`, given the key file, to the records of a file gen-records.mjs wrote
/// (whose root @zk-kit/lean-imt computed).
#[test]
fn inspect_json_decrypts_with_zk_kit_poseidon_cipher() {
    let setup = Setup::new();
    let input = setup.path("gen.jsonl");
    let mut gen = GenRecords::new(4, 37, "jsonl");
    gen.seed = Some(9);
    gen.hex = true;
    let js_root = gen.write(&input);
    let backup = setup.path("gen.zkb");
    let stdout = ok(&[
        "backup",
        "--records",
        s(&input),
        "--key",
        s(&setup.key),
        "--out",
        s(&backup),
        "--chunk-size",
        "8",
    ]);
    assert_eq!(stdout.lines().next().unwrap(), format!("root {js_root}"));
    let v: Value = serde_json::from_str(&ok(&["inspect", s(&backup), "--json"])).unwrap();
    assert_eq!(v["root"], js_root.as_str());
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&setup.key).unwrap()).unwrap();
    let requests: Vec<Value> = v["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            json!({
                "op": "decrypt", "ciphertext": c["ciphertext"], "key": key["key"],
                "nonce": c["nonce"], "length": c["length"],
            })
        })
        .collect();
    let mut fields = Vec::new();
    for response in oracle_batch(&requests) {
        fields.extend(frs(&response["message"]));
    }
    let original = Records::read(&input, None).unwrap();
    assert_eq!(fields, original.fields());
}

#[test]
fn every_flipped_byte_and_every_truncation_is_refused() {
    let setup = Setup::new();
    let (_, backup, _) = setup.backup("one.csv", &records(1, 2, 5), 1);
    let bytes = std::fs::read(&backup).unwrap();
    let damaged = setup.path("damaged.zkb");
    let out = setup.path("out.csv");
    let check = |content: &[u8], what: &str| {
        std::fs::write(&damaged, content).unwrap();
        for args in [
            vec!["inspect", s(&damaged)],
            vec![
                "restore",
                s(&damaged),
                "--key",
                s(&setup.key),
                "--out",
                s(&out),
            ],
        ] {
            let err = fails(&args, 2);
            assert!(
                err.contains(&format!("{}: integrity check failed", damaged.display())),
                "{what}, {}: {err}",
                args[0]
            );
        }
        assert!(!out.exists(), "{what}: restore wrote output");
    };
    for i in 0..bytes.len() {
        let mut t = bytes.clone();
        t[i] ^= 0x40;
        check(&t, &format!("byte {i} flipped"));
    }
    for len in [
        0,
        7,
        8,
        100,
        bytes.len() - 41,
        bytes.len() - 40,
        bytes.len() - 1,
    ] {
        check(&bytes[..len], &format!("truncated to {len}"));
    }
    let err = fails(&["inspect", s(&setup.path("missing.zkb"))], 2);
    assert!(err.contains("missing.zkb"), "{err}");
}

#[test]
fn restore_refuses_wrong_key_wrong_root_and_existing_output_writing_nothing() {
    let setup = Setup::new();
    let r = records(4, 9, 2);
    let (input, backup, _) = setup.backup("s.csv", &r, 4);
    let other_key = setup.path("other.json");
    ok(&["keygen", "--out", s(&other_key)]);
    let before = setup.files();
    let out = setup.path("out.csv");

    let err = fails(
        &[
            "restore",
            s(&backup),
            "--key",
            s(&other_key),
            "--out",
            s(&out),
        ],
        2,
    );
    assert!(
        err.contains(&format!("{}: wrong key", backup.display())),
        "{err}"
    );

    let wrong_root = hex_root(&records(4, 9, 3));
    let err = fails(
        &[
            "restore",
            s(&backup),
            "--key",
            s(&setup.key),
            "--out",
            s(&out),
            "--expect-root",
            &wrong_root,
        ],
        1,
    );
    assert!(
        err.contains("state root mismatch") && err.contains(&wrong_root),
        "{err}"
    );

    let err = fails(
        &[
            "restore",
            s(&backup),
            "--key",
            s(&setup.key),
            "--out",
            s(&out),
            "--expect-root",
            "0xzz",
        ],
        2,
    );
    assert!(err.contains("--expect-root"), "{err}");

    // A damaged key file is named.
    let bad_key = setup.path("bad.json");
    std::fs::write(&bad_key, "{\"version\":1}").unwrap();
    let err = fails(
        &[
            "restore",
            s(&backup),
            "--key",
            s(&bad_key),
            "--out",
            s(&out),
        ],
        2,
    );
    assert!(
        err.contains("bad.json") && err.contains("missing field \"key\""),
        "{err}"
    );
    std::fs::remove_file(&bad_key).unwrap();
    assert_eq!(setup.files(), before, "nothing written");

    // Existing outputs: restore, backup and keygen refuse and leave them untouched.
    let err = fails(
        &[
            "restore",
            s(&backup),
            "--key",
            s(&setup.key),
            "--out",
            s(&input),
        ],
        2,
    );
    assert!(err.contains("already exists"), "{err}");
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input),
            "--key",
            s(&setup.key),
            "--out",
            s(&backup),
        ],
        2,
    );
    assert!(err.contains("already exists"), "{err}");
    let key_before = std::fs::read(&setup.key).unwrap();
    let err = fails(&["keygen", "--out", s(&setup.key)], 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&setup.key).unwrap(), key_before);
    assert_eq!(setup.files(), before, "nothing written or replaced");
}

#[test]
fn backup_refuses_bad_input_naming_the_file() {
    let setup = Setup::new();
    let input = setup.path("bad.csv");
    std::fs::write(&input, "1,2\n3\n").unwrap();
    let out = setup.path("b.zkb");
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input),
            "--key",
            s(&setup.key),
            "--out",
            s(&out),
        ],
        2,
    );
    assert!(err.contains("bad.csv, line 2"), "{err}");
    std::fs::write(&input, "1,2\n").unwrap();
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input),
            "--key",
            s(&setup.key),
            "--out",
            s(&out),
            "--chunk-size",
            "3",
        ],
        2,
    );
    assert!(err.contains("--chunk-size 3"), "{err}");
    let err = fails(
        &[
            "backup",
            "--records",
            s(&input),
            "--key",
            s(&setup.path("nokey.json")),
            "--out",
            s(&out),
        ],
        2,
    );
    assert!(err.contains("nokey.json"), "{err}");
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn key_and_restored_records_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&setup.key), 0o600);
    let (_, backup, _) = setup.backup("s.jsonl", &records(2, 3, 4), 2);
    let out = setup.path("r.jsonl");
    ok(&[
        "restore",
        s(&backup),
        "--key",
        s(&setup.key),
        "--out",
        s(&out),
    ]);
    assert_eq!(mode(&out), 0o600);
}
