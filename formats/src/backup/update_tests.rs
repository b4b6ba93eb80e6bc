//! Incremental backups, the v2 nonce rule, reading v1, and the tests that try to force a
//! (key, nonce) reuse.

use super::*;
use crate::claims::{ClaimsError, ClaimsLedger};
use crate::records::Records;
use crate::KeyFile;
use ark_ff::UniformRand;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use zkbackup_core::cipher;
use zkbackup_core::EscrowKey;

fn key(seed: u64) -> EscrowKey {
    EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed))
}

fn fields(n: usize, seed: u64) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| Fr::rand(&mut rng)).collect()
}

fn records(arity: usize, fields: &[Fr]) -> Records {
    Records::new(arity, fields.to_vec()).unwrap()
}

fn reseal(bytes: &mut Vec<u8>) {
    bytes.truncate(bytes.len() - TRAILER_LEN);
    let total = (bytes.len() + TRAILER_LEN) as u64;
    bytes.extend_from_slice(&total.to_be_bytes());
    let digest = Sha256::digest(&bytes[..]);
    bytes.extend_from_slice(&digest);
}

fn p() -> &'static Path {
    Path::new("parent.zkb")
}

/// A ledger in a fresh directory (kept alive by the returned guard).
fn ledger() -> (tempfile::TempDir, ClaimsLedger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ClaimsLedger::beside_key(&dir.path().join("key.json"));
    (dir, ledger)
}

/// The encoded bytes of each chunk (prefix, ciphertext, commitment), from the file's bytes.
fn chunk_bytes(b: &Backup) -> Vec<Vec<u8>> {
    let bytes = b.to_bytes();
    let mut at = HEADER_LEN;
    b.chunks()
        .iter()
        .map(|c| {
            let len = CHUNK_PREFIX_LEN + (c.ciphertext.len() + 1) * ELEMENT_LEN;
            let slice = bytes[at..at + len].to_vec();
            at += len;
            slice
        })
        .collect()
}

/// 7 records of arity 2 in chunks of 2: chunks of 2, 2, 2 and 1 records.
fn parent() -> (Backup, EscrowKey, Vec<Fr>) {
    let k = key(1);
    let f = fields(7 * 2, 2);
    let b = Backup::create_with_lineage(&records(2, &f), RecordFormat::Csv, &k, 2, 0xabcd).unwrap();
    (b, k, f)
}

/// The child reads back from its bytes, restores to `f`, and keeps the parent's lineage.
fn check_child(parent: &Backup, child: &Backup, k: &EscrowKey, f: &[Fr]) {
    let read = Backup::from_bytes(&child.to_bytes(), Path::new("child.zkb")).unwrap();
    assert_eq!(&read, child);
    assert_eq!(read.restore(k).unwrap().fields(), f);
    assert_eq!(read.root(), records(2, f).root());
    assert_eq!(read.header().lineage, parent.header().lineage);
    assert_eq!(read.header().version, VERSION);
}

#[test]
fn unchanged_chunks_are_byte_identical_and_a_changed_one_is_reencrypted() {
    let (parent, k, mut f) = parent();
    let (_dir, claims) = ledger();
    f[2 * 2 + 1] += Fr::from(1u64); // record 2: chunk 1
    let (child, changes) =
        Backup::update(&parent, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap();
    assert_eq!(
        changes,
        Changes {
            unchanged: vec![0, 2, 3],
            changed: vec![1],
            added: vec![],
            removed: vec![],
        }
    );
    assert_eq!(child.header().generation, 1);
    let (old, new) = (chunk_bytes(&parent), chunk_bytes(&child));
    for j in [0, 2, 3] {
        assert_eq!(old[j], new[j], "chunk {j} byte for byte");
    }
    assert_ne!(old[1], new[1]);
    assert_eq!(child.chunks()[1].nonce_parts(), Nonce::new(0xabcd, 1, 1));
    assert_eq!(child.chunks()[0].nonce_parts(), Nonce::new(0xabcd, 0, 0));
    check_child(&parent, &child, &k, &f);
    assert_ne!(child.commitment(), parent.commitment());
}

#[test]
fn appended_records_fill_the_partial_chunk_and_add_one() {
    let (parent, k, mut f) = parent();
    let (_dir, claims) = ledger();
    f.extend(fields(2 * 2, 9)); // 9 records: chunk 3 now full, chunk 4 new
    let (child, changes) =
        Backup::update(&parent, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap();
    assert_eq!(changes.unchanged, vec![0, 1, 2]);
    assert_eq!(changes.changed, vec![3]);
    assert_eq!(changes.added, vec![4]);
    assert!(changes.removed.is_empty());
    assert_eq!(changes.encrypted(), vec![3, 4]);
    let (old, new) = (chunk_bytes(&parent), chunk_bytes(&child));
    assert_eq!(old[..3], new[..3]);
    check_child(&parent, &child, &k, &f);
}

#[test]
fn a_shrunk_state_drops_chunks_and_reencrypts_a_changed_last_chunk() {
    let (parent, k, f) = parent();
    // 5 records: chunk 2 keeps one of its two records (changed), chunk 3 is dropped.
    let (_dir, claims) = ledger();
    let (child, changes) = Backup::update(
        &parent,
        &records(2, &f[..10]),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap();
    assert_eq!(changes.unchanged, vec![0, 1]);
    assert_eq!(changes.changed, vec![2]);
    assert_eq!(changes.removed, vec![3]);
    assert_eq!(child.chunks().len(), 3);
    assert_eq!(child.chunks()[2].length, 2);
    assert_eq!(child.chunks()[2].nonce_parts().version, 1);
    check_child(&parent, &child, &k, &f[..10]);
    // 4 records: the last kept chunk is whole and unchanged: nothing is encrypted.
    let (child, changes) = Backup::update(
        &parent,
        &records(2, &f[..8]),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap();
    assert_eq!(changes.unchanged, vec![0, 1]);
    assert!(changes.encrypted().is_empty());
    assert_eq!(changes.removed, vec![2, 3]);
    assert_eq!(child.header().generation, 2, "the ledger's second claim");
    check_child(&parent, &child, &k, &f[..8]);
}

#[test]
fn identical_records_copy_every_chunk() {
    let (parent, k, f) = parent();
    let (_dir, claims) = ledger();
    let (child, changes) = Backup::update(
        &parent,
        &records(2, &f),
        RecordFormat::JsonLines,
        &k,
        &claims,
    )
    .unwrap();
    assert_eq!(changes.unchanged, vec![0, 1, 2, 3]);
    assert_eq!(child.chunks(), parent.chunks());
    assert_eq!(
        (child.root(), child.commitment()),
        (parent.root(), parent.commitment())
    );
    assert_eq!(child.header().format, RecordFormat::JsonLines);
    check_child(&parent, &child, &k, &f);
}

/// A refresh of unchanged records re-encrypts the last chunk only, under the new generation:
/// same root, new commitment; a refresh after an edit re-encrypts the edited chunk too.
#[test]
fn a_refresh_reencrypts_the_last_chunk_of_unchanged_records() {
    let (parent, k, mut f) = parent();
    let (_dir, claims) = ledger();
    let (child, changes) = Backup::refresh_named(
        &parent,
        p(),
        &records(2, &f),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap();
    assert_eq!(
        (changes.unchanged.clone(), changes.changed.clone()),
        (vec![0, 1, 2], vec![3])
    );
    let (old, new) = (chunk_bytes(&parent), chunk_bytes(&child));
    assert_eq!(old[..3], new[..3]);
    assert_ne!(old[3], new[3]);
    assert_eq!(child.chunks()[3].nonce_parts(), Nonce::new(0xabcd, 1, 3));
    assert_eq!(child.root(), parent.root());
    assert_ne!(child.commitment(), parent.commitment());
    check_child(&parent, &child, &k, &f);

    f[0] += Fr::from(1u64); // chunk 0
    let (grandchild, changes) =
        Backup::refresh_named(&child, p(), &records(2, &f), RecordFormat::Csv, &k, &claims)
            .unwrap();
    assert_eq!(
        (changes.unchanged, changes.changed),
        (vec![1, 2], vec![0, 3])
    );
    assert_eq!(
        grandchild.chunks()[3].nonce_parts(),
        Nonce::new(0xabcd, 2, 3)
    );
    check_child(&child, &grandchild, &k, &f);
}

/// Two children of one parent with different edits (a fork): the ledger gives them
/// generations 1 and 2, and no nonce carries two plaintexts. Without the ledger both would
/// be generation 1 and chunk 1 would be encrypted twice under one nonce.
#[test]
fn two_children_of_one_parent_get_different_generations() {
    let (parent, k, f) = parent();
    let (_dir, claims) = ledger();
    let mut a = f.clone();
    a[4] += Fr::from(1u64); // record 2: chunk 1
    let mut b = f.clone();
    b[4] += Fr::from(2u64);
    let (ca, _) = Backup::update(&parent, &records(2, &a), RecordFormat::Csv, &k, &claims).unwrap();
    let (cb, _) = Backup::update(&parent, &records(2, &b), RecordFormat::Csv, &k, &claims).unwrap();
    assert_eq!(ca.header().generation, 1);
    assert_eq!(cb.header().generation, 2);
    let mut seen = NonceMap::default();
    for backup in [&parent, &ca, &cb] {
        seen.add(backup, &k);
    }
    assert_ne!(ca.chunks()[1].nonce, cb.chunks()[1].nonce);
    // A child of the first child claims above both.
    let (cc, _) = Backup::update(&ca, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap();
    assert_eq!(cc.header().generation, 3);
    seen.add(&cc, &k);
}

/// Every nonce ever used under the key, with the plaintext it encrypted: a (key, nonce)
/// reuse is a nonce seen with two plaintexts.
#[derive(Default)]
struct NonceMap(HashMap<u128, Vec<Fr>>);

impl NonceMap {
    fn add(&mut self, b: &Backup, k: &EscrowKey) {
        for c in b.chunks() {
            let plaintext = cipher::decrypt(&c.ciphertext, k, c.nonce, c.length as usize).unwrap();
            if let Some(old) = self.0.insert(c.nonce, plaintext.clone()) {
                assert_eq!(
                    old,
                    plaintext,
                    "nonce {:?} encrypted two plaintexts",
                    c.nonce_parts()
                );
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Edit {
    /// Change record `i mod n` by adding `delta`.
    Change(usize, u64),
    /// Append `n` records.
    Append(usize),
    /// Back to the records of an earlier step.
    Revert(usize),
    /// Keep the first `max(1, n − k)` records.
    Shrink(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..4u64).prop_map(|(i, d)| Edit::Change(i, d)),
        (1..4usize).prop_map(Edit::Append),
        any::<usize>().prop_map(Edit::Revert),
        (1..4usize).prop_map(Edit::Shrink),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random edit sequences, each backed up incrementally from the latest backup or from an
    /// earlier one (a fork), all under one key and one ledger: every chunk ever written
    /// decrypts, each child restores to its records, and nonce → plaintext is a function.
    #[test]
    fn no_nonce_ever_encrypts_two_plaintexts(
        steps in proptest::collection::vec((edit(), any::<usize>(), any::<bool>()), 1..8),
        seed in any::<u64>(),
    ) {
        let k = key(seed);
        let (_dir, claims) = ledger();
        let mut states = vec![fields(5, seed)];
        let first = Backup::create(&records(1, &states[0]), RecordFormat::Csv, &k, 2).unwrap();
        let mut backups = vec![first];
        let mut seen = NonceMap::default();
        seen.add(&backups[0], &k);
        for (e, pick, fork) in steps {
            let mut f = states.last().unwrap().clone();
            match e {
                Edit::Change(i, d) => {
                    let i = i % f.len();
                    f[i] += Fr::from(d);
                }
                Edit::Append(n) => f.extend(fields(n, seed ^ f.len() as u64)),
                Edit::Revert(i) => f = states[i % states.len()].clone(),
                Edit::Shrink(n) => f.truncate(f.len().saturating_sub(n).max(1)),
            }
            let parent = if fork { &backups[pick % backups.len()] } else { backups.last().unwrap() };
            let (child, changes) =
                Backup::update(parent, &records(1, &f), RecordFormat::Csv, &k, &claims).unwrap();
            let restored = child.restore(&k).unwrap();
            prop_assert_eq!(restored.fields(), &f[..]);
            prop_assert_eq!(
                changes.unchanged.len() + changes.encrypted().len(),
                child.chunks().len()
            );
            for j in &changes.unchanged {
                prop_assert_eq!(&child.chunks()[*j as usize], &parent.chunks()[*j as usize]);
            }
            seen.add(&child, &k);
            states.push(f);
            backups.push(child);
        }
        // Every generation of the lineage was handed out once.
        let mut generations: Vec<u32> = backups[1..].iter().map(|b| b.header().generation).collect();
        generations.sort_unstable();
        generations.dedup();
        prop_assert_eq!(generations.len(), backups.len() - 1);
    }
}

#[test]
fn a_parent_at_the_last_generation_is_refused() {
    let (mut parent, k, f) = parent();
    let (_dir, claims) = ledger();
    parent.header.generation = u32::MAX;
    let err = Backup::update_named(
        &parent,
        p(),
        &records(2, &f),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Update {
                problem: UpdateProblem::GenerationExhausted {
                    lineage: 0xabcd,
                    generation: u32::MAX
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("start a new lineage with a full backup"),
        "{err}"
    );
    assert!(!claims.path().exists(), "nothing claimed");
    // The ledger at the last generation of the lineage: refused too, nothing claimed.
    parent.header.generation = 0;
    std::fs::write(
        claims.path(),
        format!("{{\"lineage\":\"0xabcd\",\"generation\":{}}}\n", u32::MAX),
    )
    .unwrap();
    let err = Backup::update(&parent, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Claims(ClaimsError::GenerationExhausted { .. })
        ),
        "{err}"
    );
    assert_eq!(claims.claims().unwrap().len(), 1);
}

#[test]
fn a_parent_under_another_key_or_arity_is_refused() {
    let (parent, _, f) = parent();
    let (_dir, claims) = ledger();
    let err = Backup::update_named(
        &parent,
        p(),
        &records(2, &f),
        RecordFormat::Csv,
        &key(2),
        &claims,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Update {
                problem: UpdateProblem::WrongKey { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("parent.zkb: cannot make an incremental backup of it: the parent backup was made with the key"), "{err}");
    let err = Backup::update(
        &parent,
        &records(1, &f),
        RecordFormat::Csv,
        &key(1),
        &claims,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Update {
                problem: UpdateProblem::Arity {
                    parent: 2,
                    records: 1
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(!claims.path().exists(), "nothing claimed");
}

/// A parent altered and re-sealed is refused before anything is claimed or encrypted: a
/// stored commitment that lies (the child would copy it), or ciphertext whose commitments
/// were recomputed (it does not authenticate).
#[test]
fn a_tampered_parent_is_refused() {
    let (parent, k, f) = parent();
    let (_dir, claims) = ledger();
    let bytes = parent.to_bytes();
    // A ciphertext element of chunk 0, commitments left as they were.
    let mut t = bytes.clone();
    t[HEADER_LEN + CHUNK_PREFIX_LEN + 31] ^= 1;
    reseal(&mut t);
    let tampered = Backup::from_bytes(&t, p()).unwrap();
    let err = Backup::update_named(
        &tampered,
        p(),
        &records(2, &f),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap_err();
    assert!(
        matches!(err, BackupError::CommitmentMismatch { .. }),
        "{err}"
    );
    // The same with the chunk commitment and C recomputed: the tag fails.
    let mut chunks = tampered.chunks().to_vec();
    chunks[0].commitment = zkbackup_core::commitment::chunk_commitment(&chunks[0].ciphertext);
    let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
    let header = Header {
        commitment: zkbackup_core::commitment::backup_commitment(&commitments),
        ..tampered.header().clone()
    };
    let tampered = Backup {
        header,
        chunks,
        commitments: Default::default(),
    };
    tampered.verify_commitments(p()).unwrap();
    let err = Backup::update_named(
        &tampered,
        p(),
        &records(2, &f),
        RecordFormat::Csv,
        &k,
        &claims,
    )
    .unwrap_err();
    assert!(
        matches!(err, BackupError::Decrypt { index: 0, .. }),
        "{err}"
    );
    // A parent in memory whose chunk breaks the nonce rule.
    let mut bad = parent.clone();
    bad.chunks[1].nonce = Nonce::new(0xabcd, 5, 1).to_u128();
    let err = Backup::update(&bad, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Update {
                problem: UpdateProblem::ParentNonce(
                    StructureProblem::NonceVersionAboveGeneration { chunk: 1, .. }
                ),
                ..
            }
        ),
        "{err}"
    );
    assert!(!claims.path().exists(), "nothing claimed");
}

/// The v2 rule (version ≤ generation) against the v1 rule (version = generation), on the
/// same bytes with the version field and the generation edited.
#[test]
fn v1_and_v2_nonce_rules() {
    let (parent, k, f) = parent();
    let mut bytes = parent.to_bytes();
    // Generation 3: the v2 rule accepts chunks of version 0.
    bytes[40..44].copy_from_slice(&3u32.to_be_bytes());
    reseal(&mut bytes);
    let raised = Backup::from_bytes(&bytes, p()).unwrap();
    assert_eq!(raised.header().generation, 3);
    assert_eq!(raised.restore(&k).unwrap().fields(), f);
    // As v1, the same file breaks the v1 rule.
    bytes[8..12].copy_from_slice(&1u32.to_be_bytes());
    reseal(&mut bytes);
    let err = Backup::from_bytes(&bytes, p()).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Invalid {
                problem: StructureProblem::NonceVersionNotGenerationV1 {
                    chunk: 0,
                    version: 0,
                    generation: 3,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
    // As v1 with generation 0 it reads, and re-encodes byte for byte as v1.
    bytes[40..44].copy_from_slice(&0u32.to_be_bytes());
    reseal(&mut bytes);
    let v1 = Backup::from_bytes(&bytes, p()).unwrap();
    assert_eq!(v1.header().version, VERSION_1);
    assert_eq!(v1.to_bytes(), bytes);
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A backup written by the v1 writer (committed): it reads, restores, re-encodes byte for
/// byte, and is a valid parent. Its child is v2 with mixed versions: unchanged chunks keep
/// their v1 nonces.
#[test]
fn a_committed_v1_backup_reads_and_has_a_v2_child() {
    let path = fixtures().join("v1.zkb");
    let bytes = std::fs::read(&path).unwrap();
    let v1 = Backup::read(&path).unwrap();
    let h = v1.header();
    assert_eq!(h.version, VERSION_1);
    // Backup id 0x8462a0a62b17ffab25c672b5.
    assert_eq!((h.lineage, h.generation), (0x8462a0a62b17ffab, 0x25c672b5));
    assert_eq!(v1.to_bytes(), bytes);
    v1.verify_commitments(&path).unwrap();
    let k = EscrowKey::read(&fixtures().join("v1-key.json")).unwrap();
    let restored = v1.restore(&k).unwrap();
    let expected: Vec<Fr> = [1u64, 100, 2, 200, 3, 300, 4, 400, 5, 500]
        .map(Fr::from)
        .to_vec();
    assert_eq!(restored.fields(), expected);

    let (_dir, claims) = ledger();
    let mut f = expected.clone();
    f[5] = Fr::from(301u64); // record 2: chunk 1
    let (child, changes) =
        Backup::update(&v1, &records(2, &f), RecordFormat::Csv, &k, &claims).unwrap();
    assert_eq!(changes.changed, vec![1]);
    assert_eq!(child.header().version, VERSION);
    assert_eq!(child.header().generation, 0x25c672b6);
    let versions: Vec<u32> = child
        .chunks()
        .iter()
        .map(|c| c.nonce_parts().version)
        .collect();
    assert_eq!(versions, [0x25c672b5, 0x25c672b6, 0x25c672b5]);
    check_child(&v1, &child, &k, &f);
}

/// The ledger's honest limit, and the negative twin of the fork test: two children of one
/// parent made with two different ledgers (a copy of the key elsewhere, or a deleted
/// ledger) both take generation 1, and chunk 1's nonce encrypts two plaintexts.
#[test]
fn without_a_shared_ledger_a_fork_reuses_a_nonce() {
    let (parent, k, f) = parent();
    let (_d1, l1) = ledger();
    let (_d2, l2) = ledger();
    let mut a = f.clone();
    a[4] += Fr::from(1u64);
    let mut b = f.clone();
    b[4] += Fr::from(2u64);
    let (ca, _) = Backup::update(&parent, &records(2, &a), RecordFormat::Csv, &k, &l1).unwrap();
    let (cb, _) = Backup::update(&parent, &records(2, &b), RecordFormat::Csv, &k, &l2).unwrap();
    assert_eq!(ca.chunks()[1].nonce, cb.chunks()[1].nonce);
    assert_ne!(ca.chunks()[1].ciphertext, cb.chunks()[1].ciphertext);
}
