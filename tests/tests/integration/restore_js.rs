//! The project's independent restorer, `tests/js/restore.mjs`, written from docs/FORMAT.md
//! alone with the npm reference libraries (@zk-kit/poseidon-cipher, poseidon-lite,
//! @zk-kit/lean-imt, node:crypto), restores what zkbackup writes: a committed v1 backup
//! (written by the v1 writer), a v2 full backup, and v2 incremental backups whose chunks
//! carry different nonce versions; and it refuses, as zkbackup does, a file that breaks the
//! nonce rule of its version.
//!
//! Needs `npm ci` in `tests/js`; fails (does not skip) without it.

use ark_ff::UniformRand;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use zkbackup_core::{EscrowKey, Fr};
use zkbackup_formats::backup::{Backup, BackupError, StructureProblem};
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_formats::KeyFile;
use zkbackup_tests::{frs, js_dir, require_node_modules, workspace_root};

/// Runs the restorer: its JSON report, or its error message.
fn restore_js(backup: &Path, key: &Path) -> Result<Value, String> {
    require_node_modules();
    let out = Command::new("node")
        .arg("restore.mjs")
        .arg(backup)
        .arg(key)
        .current_dir(js_dir())
        .output()
        .expect("node runs");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("one JSON line"))
    } else {
        assert!(out.stdout.is_empty());
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn restored_fields(report: &Value) -> Vec<Fr> {
    report["records"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(frs)
        .collect()
}

fn versions(report: &Value) -> Vec<u64> {
    report["nonces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["version"].as_u64().unwrap())
        .collect()
}

fn reseal(bytes: &mut Vec<u8>) {
    bytes.truncate(bytes.len() - 40);
    let total = (bytes.len() + 40) as u64;
    bytes.extend_from_slice(&total.to_be_bytes());
    let digest = Sha256::digest(&bytes[..]);
    bytes.extend_from_slice(&digest);
}

#[test]
fn restores_a_committed_v1_backup() {
    let fixtures = workspace_root().join("formats/tests/fixtures");
    let report = restore_js(&fixtures.join("v1.zkb"), &fixtures.join("v1-key.json")).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["lineage"], "0x8462a0a62b17ffab");
    assert_eq!(report["generation"], 0x25c672b5);
    assert_eq!(versions(&report), [0x25c672b5; 3]);
    let expected: Vec<Fr> = [1u64, 100, 2, 200, 3, 300, 4, 400, 5, 500]
        .map(Fr::from)
        .to_vec();
    assert_eq!(restored_fields(&report), expected);
}

struct Chain {
    _dir: tempfile::TempDir,
    key_path: PathBuf,
    files: Vec<(PathBuf, Records)>,
}

/// A full backup of 11 records of arity 3 in chunks of 4, a child with record 5 (chunk 1)
/// edited, and a grandchild with 3 records appended (chunk 2 fills up, chunk 3 is added).
fn chain() -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let key = EscrowKey::generate_with(&mut rng);
    let key_path = dir.path().join("key.json");
    key.write_new(&key_path).unwrap();
    let claims = ClaimsLedger::beside_key(&key_path);
    let mut fields: Vec<Fr> = (0..11 * 3).map(|_| Fr::rand(&mut rng)).collect();
    let v0 = Records::new(3, fields.clone()).unwrap();
    let b0 = Backup::create(&v0, RecordFormat::Csv, &key, 4).unwrap();
    fields[5 * 3] += Fr::from(1u64);
    let v1 = Records::new(3, fields.clone()).unwrap();
    let (b1, _) = Backup::update(&b0, &v1, RecordFormat::Csv, &key, &claims).unwrap();
    fields.extend((0..3 * 3).map(|_| Fr::rand(&mut rng)));
    let v2 = Records::new(3, fields).unwrap();
    let (b2, changes) = Backup::update(&b1, &v2, RecordFormat::Csv, &key, &claims).unwrap();
    assert_eq!((changes.changed, changes.added), (vec![2], vec![3]));
    let files = [(b0, v0), (b1, v1), (b2, v2)]
        .into_iter()
        .enumerate()
        .map(|(i, (b, r))| {
            let path = dir.path().join(format!("g{i}.zkb"));
            b.write_to(&path).unwrap();
            (path, r)
        })
        .collect();
    Chain {
        _dir: dir,
        key_path,
        files,
    }
}

#[test]
fn restores_v2_full_and_incremental_backups_with_mixed_versions() {
    let chain = chain();
    let expected_versions: [&[u64]; 3] = [&[0, 0, 0], &[0, 1, 0], &[0, 1, 2, 2]];
    let mut lineage = None;
    for ((path, records), want) in chain.files.iter().zip(expected_versions) {
        let report = restore_js(path, &chain.key_path).unwrap();
        assert_eq!(report["version"], 2);
        assert_eq!(versions(&report), want, "{}", path.display());
        assert_eq!(restored_fields(&report), records.fields());
        let backup = Backup::read(path).unwrap();
        assert_eq!(
            report["lineage"],
            format!("{:#018x}", backup.header().lineage)
        );
        assert_eq!(report["generation"], backup.header().generation);
        assert_eq!(
            *lineage.get_or_insert(report["lineage"].clone()),
            report["lineage"]
        );
    }
}

/// The grandchild (generation 2, chunks of versions 0, 1, 2, 2) with its generation lowered
/// to 1, or relabelled as v1: both readers refuse it, naming the nonce rule.
#[test]
fn both_readers_refuse_a_broken_nonce_rule() {
    let chain = chain();
    let (path, _) = &chain.files[2];
    let bytes = std::fs::read(path).unwrap();
    let edited = path.with_file_name("edited.zkb");
    // (offset, new u32 value, what the JS restorer says): the generation lowered to 1 below
    // chunks of version 2, or the version field set to 1 (the v1 rule: version = generation).
    let cases = [(40, 1u32, "above generation"), (8, 1u32, "v1 nonce")];
    for (offset, value, js_says) in cases {
        let mut t = bytes.clone();
        t[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
        reseal(&mut t);
        std::fs::write(&edited, &t).unwrap();
        let err = Backup::read(&edited).unwrap_err();
        assert!(
            matches!(
                err,
                BackupError::Invalid {
                    problem: StructureProblem::NonceVersionAboveGeneration { .. }
                        | StructureProblem::NonceVersionNotGenerationV1 { .. },
                    ..
                }
            ),
            "{err}"
        );
        let js = restore_js(&edited, &chain.key_path).unwrap_err();
        assert!(js.contains(js_says), "{js}");
    }
}
