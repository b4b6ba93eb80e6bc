//! What the verifier trusts comes from the caller ([`Expected`], the key's shape), never from
//! the prover's files: the tree size, the escrowed key, one backup lineage per bundle, the key's
//! shape, and what holds (and what does not) without the backup file.
//!
//! Real-circuit versions of the first two (the arity-2 forgery, a rogue key) run through the
//! CLI in `cli/tests/integration/verify_cli.rs`.

use crate::common;

use ark_bn254::Fr;
use ark_ff::{Field, UniformRand};
use common::{fixture, Fixture, GENERATION, LINEAGE};
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_verifier::*;

fn rng() -> StdRng {
    StdRng::seed_from_u64(9)
}

/// 3 chunks of 4, the last partial (10 records).
fn small() -> Fixture {
    fixture(10, 4, 7)
}

fn nonce(lineage: u64, version: u32, j: u32) -> Fr {
    Nonce::new(lineage, version, j).to_field()
}

#[test]
fn the_record_count_must_be_the_trusted_tree_size() {
    let f = small();
    for size in [9, 11, 1, 16] {
        let expected = Expected { size, ..f.expected };
        let err = f.verify_with(&expected, Some(&f.backup)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::RecordCountMismatch {
                expected: size,
                bundle: 10
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{size} records")) && msg.contains("covers 10"),
            "{msg}"
        );
    }
    // Without the backup file too: the size never came from it.
    let expected = Expected {
        size: 11,
        ..f.expected
    };
    assert!(matches!(
        f.verify_with(&expected, None),
        Err(VerifyError::RecordCountMismatch { .. })
    ));
}

#[test]
fn a_bundle_under_another_key_is_refused_naming_both_commitments() {
    // An honest, self-consistent bundle and backup under a rogue key: they agree with each
    // other, so only the escrowed K the auditor gives can refuse them.
    let f = small();
    let escrowed = Fr::rand(&mut rng());
    let expected = Expected {
        key_commitment: escrowed,
        ..f.expected
    };
    for backup in [Some(&f.backup), None] {
        let err = f.verify_with(&expected, backup).unwrap_err();
        assert_eq!(
            err,
            VerifyError::KeyCommitmentMismatch {
                expected: escrowed,
                found: f.expected.key_commitment
            }
        );
        let msg = err.to_string();
        assert!(msg.contains(&to_hex(&escrowed)), "{msg}");
        assert!(msg.contains(&to_hex(&f.expected.key_commitment)), "{msg}");
    }
    // A bundle whose header claims the escrowed K while one chunk was proven under another.
    let mut f = small();
    f.reprove(1, |p| p.key_commitment += Fr::ONE, &mut rng());
    assert!(matches!(
        f.verify_with(&f.expected, None),
        Err(VerifyError::ChunkKeyCommitment { chunk: 1, expected, .. }) if expected == f.expected.key_commitment
    ));
}

#[test]
fn chunks_of_two_lineages_cannot_be_mixed() {
    // Chunk 1 taken from a backup of another lineage (its own valid proof, same key, same
    // index, even the same version): without the backup file, the nonces alone refuse the
    // mix.
    let other = LINEAGE + 1;
    let mut f = small();
    f.reprove(1, |p| p.nonce = nonce(other, GENERATION, 1), &mut rng());
    for backup in [None, Some(&f.backup)] {
        assert_eq!(
            f.verify_with(&f.expected, backup),
            Err(VerifyError::LineageMismatch {
                chunk: 1,
                expected: LINEAGE,
                found: other
            })
        );
    }
    let msg = f.verify_with(&f.expected, None).unwrap_err().to_string();
    assert!(msg.contains("one backup lineage"), "{msg}");
}

/// An incremental backup's bundle: chunks of one lineage with different versions (the
/// parent's unchanged chunks and the child's re-encrypted ones) verify, with and without the
/// backup file; the summary reports the lineage and the highest version.
#[test]
fn chunks_of_one_lineage_with_different_versions_verify() {
    let mut f = small();
    for (j, version) in [(0, 3), (2, GENERATION + 7)] {
        f.reprove(
            j,
            |p| p.nonce = nonce(LINEAGE, version, j as u32),
            &mut rng(),
        );
        f.backup.chunks[j].nonce = Nonce::new(LINEAGE, version, j as u32).to_u128();
    }
    for backup in [None, Some(&f.backup)] {
        let summary = f.verify_with(&f.expected, backup).unwrap();
        assert_eq!(
            (summary.lineage, summary.generation),
            (LINEAGE, GENERATION + 7)
        );
    }
    // Against a backup file whose chunk 2 carries another version: refused.
    let mut other = f.backup.clone();
    other.chunks[2].nonce = Nonce::new(LINEAGE, GENERATION, 2).to_u128();
    assert!(matches!(
        f.verify_with(&f.expected, Some(&other)),
        Err(VerifyError::ChunkNonce { chunk: 2, .. })
    ));
}

#[test]
fn a_duplicate_nonce_is_refused() {
    // Chunk 2 re-proven under chunk 0's nonce (the same (key, nonce) pair twice).
    let mut f = small();
    f.reprove(2, |p| p.nonce = nonce(LINEAGE, GENERATION, 0), &mut rng());
    for backup in [None, Some(&f.backup)] {
        assert_eq!(
            f.verify_with(&f.expected, backup),
            Err(VerifyError::NonceIndex { chunk: 2, found: 0 })
        );
    }
}

#[test]
fn a_nonce_of_2_pow_128_or_more_is_refused() {
    let mut f = small();
    let big = Fr::from(u128::MAX) + Fr::ONE;
    f.reprove(0, |p| p.nonce = big, &mut rng());
    assert_eq!(
        f.verify_with(&f.expected, None),
        Err(VerifyError::NonceOutOfRange {
            chunk: 0,
            found: big
        })
    );
    assert_eq!(Nonce::from_field(&big), None);
    assert_eq!(
        Nonce::from_field(&Fr::from(u128::MAX)),
        Some(Nonce::new(u64::MAX, u32::MAX, u32::MAX))
    );
    assert_eq!(
        Nonce::from_field(&nonce(LINEAGE, GENERATION, 7)),
        Some(Nonce::new(LINEAGE, GENERATION, 7))
    );
}

#[test]
fn the_bundle_must_have_the_keys_shape() {
    let f = small();
    let check = |shape: ChunkShape| {
        verify_bundle_with_rng(
            &f.bundle,
            &f.vk,
            shape,
            &f.expected,
            Some(&f.backup),
            &mut rng(),
        )
    };
    assert_eq!(
        check(ChunkShape {
            arity: 2,
            chunk_size: 4
        }),
        Err(VerifyError::ShapeMismatch {
            field: "arity",
            key: 2,
            bundle: 4
        })
    );
    let err = check(ChunkShape {
        arity: 4,
        chunk_size: 8,
    })
    .unwrap_err();
    assert_eq!(
        err,
        VerifyError::ShapeMismatch {
            field: "chunk_size",
            key: 8,
            bundle: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "the bundle's chunk_size is 4, the verifying key is for chunk_size 8"
    );
}

#[test]
fn without_the_backup_file_the_proofs_are_checked_and_c_is_not() {
    let f = small();
    let summary = f.verify_with(&f.expected, None).expect("no backup file");
    assert!(!summary.backup_checked);
    assert_eq!((summary.lineage, summary.generation), (LINEAGE, GENERATION));
    assert!(
        summary
            .to_string()
            .ends_with("(C not checked against a backup file)"),
        "{summary}"
    );
    let with = f.verify().unwrap();
    assert!(with.backup_checked);
    assert!(!with.to_string().contains("not checked"), "{with}");

    // A whole bundle re-proven under another lineage verifies on its own, and is refused
    // against the backup file whose nonces it does not use.
    let mut g = small();
    for j in 0..3 {
        g.reprove(j, |p| p.nonce = nonce(LINEAGE + 5, 0, j as u32), &mut rng());
    }
    let summary = g.verify_with(&g.expected, None).unwrap();
    assert_eq!((summary.lineage, summary.generation), (LINEAGE + 5, 0));
    assert!(matches!(
        g.verify(),
        Err(VerifyError::ChunkNonce { chunk: 0, .. })
    ));
    // Without the file, the commitments must still recombine into the bundle's C.
    let mut h = small();
    h.reprove(2, |p| p.chunk_commitment += Fr::ONE, &mut rng());
    assert!(matches!(
        h.verify_with(&h.expected, None),
        Err(VerifyError::RecombinedCommitmentMismatch { .. })
    ));
}
