use super::codec::described_file_len;
use super::*;
use crate::records::Records;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use std::path::Path;
use zkbackup_core::cipher::CipherError;
use zkbackup_core::commitment::{backup_commitment, chunk_commitment};
use zkbackup_core::lean_imt;
use zkbackup_core::EscrowKey;

fn key(seed: u64) -> EscrowKey {
    EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed))
}

fn fields(n: usize, seed: u64) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| Fr::rand(&mut rng)).collect()
}

fn state_root(arity: usize, fields: &[Fr]) -> Fr {
    let leaves: Vec<Fr> = fields.chunks(arity).map(hash).collect();
    lean_imt::root(&leaves).unwrap()
}

/// Re-seals the trailer after an edit, so a test reaches the checks behind the integrity one.
fn reseal(bytes: &mut Vec<u8>) {
    bytes.truncate(bytes.len() - TRAILER_LEN);
    let total = (bytes.len() + TRAILER_LEN) as u64;
    bytes.extend_from_slice(&total.to_be_bytes());
    let digest = Sha256::digest(&bytes[..]);
    bytes.extend_from_slice(&digest);
}

fn records(arity: usize, fields: &[Fr]) -> Records {
    Records::new(arity, fields.to_vec()).unwrap()
}

fn small(format: RecordFormat) -> (Backup, EscrowKey, Vec<Fr>) {
    let k = key(7);
    let f = fields(5 * 2, 8);
    (
        Backup::create(&records(2, &f), format, &k, 2).unwrap(),
        k,
        f,
    )
}

fn p() -> &'static Path {
    Path::new("dir/b.zkb")
}

#[test]
fn round_trips_arity_1_4_16_at_sizes_1_2k_2k_plus_1() {
    let k = key(1);
    for arity in [1usize, 4, 16] {
        for (n, chunk_size) in [
            (1, 1),
            (1, 4),
            (4, 4),
            (5, 4),
            (16, 4),
            (17, 4),
            (8, 8),
            (9, 8),
        ] {
            let f = fields(n * arity, (arity * 100 + n) as u64);
            let r = records(arity, &f);
            let b = Backup::create(&r, RecordFormat::JsonLines, &k, chunk_size).unwrap();
            assert_eq!(b.root(), state_root(arity, &f));
            assert_eq!(b.root(), r.root());
            assert_eq!(b.chunks().len(), n.div_ceil(chunk_size));
            let bytes = b.to_bytes();
            assert_eq!(bytes.len(), b.encoded_len());
            let read = Backup::from_bytes(&bytes, p()).unwrap();
            assert_eq!(read, b);
            read.verify_commitments(p()).unwrap();
            assert_eq!(read.header().format, RecordFormat::JsonLines);
            let restored = read.restore(&k).unwrap();
            assert_eq!(restored, r, "arity {arity}, {n} records");
            assert_eq!(
                restored.to_bytes(RecordFormat::JsonLines),
                r.to_bytes(RecordFormat::JsonLines)
            );
        }
    }
}

#[test]
fn layout_matches_the_spec() {
    let (b, k, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    assert_eq!(&bytes[..8], b"ZKBACKUP");
    assert_eq!(bytes[8..12], 2u32.to_be_bytes());
    assert_eq!(bytes[12..16], [0, 2, 0, 0]);
    assert_eq!(bytes[16..20], 2u32.to_be_bytes());
    assert_eq!(bytes[20..24], 3u32.to_be_bytes());
    assert_eq!(bytes[24..32], 5u64.to_be_bytes());
    assert_eq!(bytes[32..40], b.header().lineage.to_be_bytes());
    assert_eq!(
        bytes[40..44],
        0u32.to_be_bytes(),
        "a full backup is generation 0"
    );
    assert_eq!(bytes[44..76], element_bytes(&b.root()));
    assert_eq!(bytes[76..108], element_bytes(&k.commitment()));
    assert_eq!(bytes[108..140], element_bytes(&b.commitment()));
    // Chunk 0: index, nonce, length 4, 7 ciphertext elements, commitment.
    let c0 = &b.chunks()[0];
    assert_eq!(bytes[140..144], 0u32.to_be_bytes());
    assert_eq!(bytes[144..160], c0.nonce.to_be_bytes());
    assert_eq!(bytes[160..164], 4u32.to_be_bytes());
    assert_eq!(bytes[164..196], element_bytes(&c0.ciphertext[0]));
    // 3 chunks: lengths 4, 4, 2 -> ciphertexts of 7, 7, 4 elements.
    let expected = HEADER_LEN + 3 * CHUNK_PREFIX_LEN + (8 + 8 + 5) * 32 + TRAILER_LEN;
    assert_eq!(bytes.len(), expected);
    let n = bytes.len();
    assert_eq!(bytes[n - 40..n - 32], (n as u64).to_be_bytes());
    assert_eq!(
        &bytes[n - 32..],
        Sha256::digest(&bytes[..n - 32]).as_slice()
    );
}

#[test]
fn nonces_and_commitments_follow_their_definitions() {
    let (b, _, _) = small(RecordFormat::Csv);
    let lineage = b.header().lineage;
    assert_eq!(b.header().generation, 0);
    for c in b.chunks() {
        assert_eq!(c.nonce, (u128::from(lineage) << 64) + u128::from(c.index));
        assert_eq!(c.nonce_parts(), Nonce::new(lineage, 0, c.index));
        assert_eq!(c.commitment, chunk_commitment(&c.ciphertext));
    }
    let commitments: Vec<Fr> = b.chunks().iter().map(|c| c.commitment).collect();
    assert_eq!(b.commitment(), lean_imt::root(&commitments).unwrap());
    assert_eq!(b.recompute_commitments().1, b.commitment());
}

#[test]
fn two_backups_never_share_a_nonce() {
    let k = key(4);
    let f = fields(8, 4);
    let a = Backup::create(&records(1, &f), RecordFormat::Csv, &k, 1).unwrap();
    let b = Backup::create(&records(1, &f), RecordFormat::Csv, &k, 1).unwrap();
    assert_ne!(a.header().lineage, b.header().lineage);
    let mut nonces: Vec<u128> = a
        .chunks()
        .iter()
        .chain(b.chunks())
        .map(|c| c.nonce)
        .collect();
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), 16);
    assert_ne!(
        a.commitment(),
        b.commitment(),
        "fresh nonces, fresh ciphertext"
    );
    assert_eq!(a.root(), b.root());
}

#[test]
fn every_single_byte_flip_fails_the_integrity_check() {
    let (b, _, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut t = bytes.clone();
            t[i] ^= mask;
            match Backup::from_bytes(&t, p()) {
                Err(e) if e.is_integrity() => {
                    assert!(
                        e.to_string()
                            .starts_with("dir/b.zkb: integrity check failed"),
                        "{e}"
                    );
                }
                other => panic!("byte {i} ^ {mask:#x}: {other:?}"),
            }
        }
    }
}

#[test]
fn truncation_and_extension_fail_the_integrity_check() {
    let (b, _, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    for len in 0..bytes.len() {
        let err = Backup::from_bytes(&bytes[..len], p()).unwrap_err();
        assert!(err.is_integrity(), "truncated to {len}: {err}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Backup::from_bytes(&longer, p()).unwrap_err().is_integrity());
    let err = Backup::from_bytes(&bytes[..bytes.len() - 100], p()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    let err = Backup::from_bytes(b"id,balance\n1,2\n", p()).unwrap_err();
    assert!(err.to_string().contains("not a zkbackup backup"), "{err}");
}

#[test]
fn unknown_version_is_named() {
    let (b, _, _) = small(RecordFormat::Csv);
    let mut bytes = b.to_bytes();
    for version in [0u32, 3] {
        bytes[8..12].copy_from_slice(&version.to_be_bytes());
        reseal(&mut bytes);
        let err = Backup::from_bytes(&bytes, p()).unwrap_err();
        assert!(
            matches!(err, BackupError::UnknownVersion { found, .. } if found == version),
            "{err}"
        );
        assert!(err.to_string().contains(&format!(
            "unknown backup format version {version} (this build reads versions 1 and 2)"
        )));
    }
}

#[test]
fn non_canonical_elements_are_refused() {
    let (b, _, _) = small(RecordFormat::Csv);
    let modulus: [u8; 32] = Fr::MODULUS.to_bytes_be().try_into().unwrap();
    // The root, a ciphertext element of chunk 1 and the last chunk commitment.
    let chunk1_ct0 = HEADER_LEN + (CHUNK_PREFIX_LEN + 8 * 32) + CHUNK_PREFIX_LEN;
    let bytes = b.to_bytes();
    let last_commitment = bytes.len() - TRAILER_LEN - 32;
    for (offset, what) in [
        (44, "the state root"),
        (chunk1_ct0 + 32, "ciphertext element 1 of chunk 1"),
        (last_commitment, "the commitment of chunk 2"),
    ] {
        for value in [modulus, [0xff; 32]] {
            let mut t = bytes.clone();
            t[offset..offset + 32].copy_from_slice(&value);
            reseal(&mut t);
            let err = Backup::from_bytes(&t, p()).unwrap_err();
            match &err {
                BackupError::NonCanonical {
                    what: w, offset: o, ..
                } => {
                    assert_eq!((w.as_str(), *o), (what, offset), "{err}");
                }
                other => panic!("{other:?}"),
            }
            assert!(err.to_string().contains("not a canonical field element"));
        }
    }
    // r - 1 is canonical: read succeeds, the commitment check then fails.
    let mut t = bytes.clone();
    let mut r_minus_1 = modulus;
    r_minus_1[31] -= 1;
    t[last_commitment..last_commitment + 32].copy_from_slice(&r_minus_1);
    reseal(&mut t);
    let read = Backup::from_bytes(&t, p()).unwrap();
    let err = read.verify_commitments(p()).unwrap_err();
    assert!(
        err.to_string()
            .contains("commitment of chunk 2 does not match"),
        "{err}"
    );
}

#[test]
fn inconsistent_headers_are_refused() {
    let (b, _, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    let edit = |offset: usize, value: &[u8], want: &str| {
        let mut t = bytes.clone();
        t[offset..offset + value.len()].copy_from_slice(value);
        reseal(&mut t);
        let err = Backup::from_bytes(&t, p()).unwrap_err();
        assert!(matches!(err, BackupError::Invalid { .. }), "{err}");
        assert!(
            err.to_string().contains(want),
            "{err} should contain {want}"
        );
    };
    edit(12, &[2], "unknown records format code 2");
    // The problem is typed, not only a message.
    let mut t = bytes.clone();
    t[13] = 17;
    reseal(&mut t);
    assert!(matches!(
        Backup::from_bytes(&t, p()),
        Err(BackupError::Invalid {
            problem: StructureProblem::Arity(17),
            ..
        })
    ));
    edit(13, &[0], "arity 0");
    edit(13, &[17], "arity 17");
    edit(14, &[1], "reserved");
    edit(16, &3u32.to_be_bytes(), "not a power of two");
    edit(
        16,
        &(1u32 << 31).to_be_bytes(),
        "chunk size 2147483648 is too large",
    );
    edit(20, &4u32.to_be_bytes(), "4 chunks cannot hold 5 records");
    edit(24, &0u64.to_be_bytes(), "record count is zero");
    edit(32, &[1], "the header's lineage is 0x01");
    edit(140, &1u32.to_be_bytes(), "chunk 0 carries index 1");
    edit(
        144 + 15,
        &[9],
        "whose chunk index (low 32 bits) is 9, not 0",
    );
    // The nonce's version (bytes 8..12 of the nonce) above the header's generation 0.
    edit(
        144 + 11,
        &[1],
        "of version 1, above the header's generation 0",
    );
    let mut t = bytes.clone();
    t[144 + 11] = 1;
    reseal(&mut t);
    assert!(matches!(
        Backup::from_bytes(&t, p()),
        Err(BackupError::Invalid {
            problem: StructureProblem::NonceVersionAboveGeneration {
                chunk: 0,
                version: 1,
                generation: 0,
                ..
            },
            ..
        })
    ));
    edit(160, &5u32.to_be_bytes(), "chunk 0 has plaintext length 5");
    // 6 records still make 3 chunks of 2, but a last chunk of 4 elements, not 2: a
    // ciphertext of 7 elements, not 4.
    let mut t = bytes.clone();
    t[24..32].copy_from_slice(&6u64.to_be_bytes());
    reseal(&mut t);
    let err = Backup::from_bytes(&t, p()).unwrap_err();
    let n = bytes.len() as u64;
    assert!(
        matches!(err, BackupError::SizeMismatch { described, actual, .. }
            if described == u128::from(n) + 96 && actual == n),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "dir/b.zkb: invalid backup: the header describes a file of {} bytes, the file has {n}",
            n + 96
        )),
        "{err}"
    );
}

#[test]
fn described_length_is_the_encoded_length() {
    let k = key(6);
    for (arity, n, chunk_size) in [(1, 1, 1), (3, 7, 4), (16, 9, 8), (2, 8, 8), (5, 3, 1)] {
        let b = Backup::create(
            &records(arity, &fields(n * arity, n as u64)),
            RecordFormat::Csv,
            &k,
            chunk_size,
        )
        .unwrap();
        assert_eq!(
            described_file_len(n as u64, chunk_size as u64, arity as u64),
            b.encoded_len() as u128
        );
    }
    // The largest header: 2^32 − 1 chunks of 2^31 records of arity 16 (about 2^68 bytes)
    // does not overflow.
    let records = (u64::from(u32::MAX)) << 31;
    let len = described_file_len(records, 1 << 31, 16);
    assert!(len > 1 << 68, "{len}");
}

/// A file whose stored chunk commitment or `C` is wrong (trailer re-hashed) is refused by
/// restore with the error inspect gives, before any decryption: the ciphertext is intact,
/// so the old restore (which skipped the check) returned the records.
#[test]
fn restore_runs_the_commitment_check() {
    let (b, k, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    let chunk1_commitment = HEADER_LEN + (CHUNK_PREFIX_LEN + 8 * 32) * 2 - 32;
    for (offset, what) in [
        (chunk1_commitment, "the commitment of chunk 1"),
        (108, "the backup commitment"),
    ] {
        let mut t = bytes.clone();
        t[offset + 31] ^= 1;
        reseal(&mut t);
        let read = Backup::from_bytes(&t, p()).unwrap();
        let inspected = read.verify_commitments(p()).unwrap_err();
        let err = read.restore_named(&k, p()).unwrap_err();
        match &err {
            BackupError::CommitmentMismatch { what: w, .. } => assert_eq!(w, what),
            other => panic!("{other:?}"),
        }
        assert_eq!(err.to_string(), inspected.to_string());
        // Even with a wrong key, the commitments are step 4, before the key's step 5.
        assert!(matches!(
            read.restore_named(&key(99), p()),
            Err(BackupError::CommitmentMismatch { .. })
        ));
    }
}

/// The records-format byte is information only: flipping it (trailer re-hashed) changes
/// nothing restore returns.
#[test]
fn format_byte_does_not_change_what_restore_returns() {
    let (b, k, f) = small(RecordFormat::Csv);
    let mut t = b.to_bytes();
    t[12] = format_code(RecordFormat::JsonLines);
    reseal(&mut t);
    let read = Backup::from_bytes(&t, p()).unwrap();
    assert_eq!(read.header().format, RecordFormat::JsonLines);
    assert_eq!(read.restore(&k).unwrap().fields(), f);
}

/// Records regrouped under another arity (arity 2 in chunks of 2 read as arity 1 in chunks
/// of 4: every length and the file size unchanged, trailer re-hashed) decrypt, but `R`
/// refuses them.
#[test]
fn regrouped_records_are_refused_by_the_root() {
    let k = key(7);
    let f = fields(4 * 2, 8);
    let b = Backup::create(&records(2, &f), RecordFormat::Csv, &k, 2).unwrap();
    let mut t = b.to_bytes();
    t[13] = 1;
    t[16..20].copy_from_slice(&4u32.to_be_bytes());
    t[24..32].copy_from_slice(&8u64.to_be_bytes());
    reseal(&mut t);
    let read = Backup::from_bytes(&t, p()).unwrap();
    read.verify_commitments(p()).unwrap();
    let err = read.restore_named(&k, p()).unwrap_err();
    assert!(
        matches!(err, BackupError::StateRootMismatch { .. }),
        "{err}"
    );
}

#[test]
fn wrong_key_is_refused_before_decrypting() {
    let (b, _, _) = small(RecordFormat::Csv);
    let err = b.restore_named(&key(99), p()).unwrap_err();
    assert!(matches!(err, BackupError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("dir/b.zkb: wrong key"), "{err}");
}

#[test]
fn altered_ciphertext_or_root_fail_restore() {
    let (b, k, _) = small(RecordFormat::Csv);
    let bytes = b.to_bytes();
    // A resealed ciphertext element, with its chunk commitment and C recomputed so that the
    // commitment check passes: the tag check fails.
    let mut t = bytes.clone();
    t[HEADER_LEN + CHUNK_PREFIX_LEN + 31] ^= 1;
    let mut chunks = Backup::from_bytes(
        &{
            let mut u = t.clone();
            reseal(&mut u);
            u
        },
        p(),
    )
    .unwrap()
    .chunks()
    .to_vec();
    chunks[0].commitment = chunk_commitment(&chunks[0].ciphertext);
    let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
    let chunk0_commitment = HEADER_LEN + CHUNK_PREFIX_LEN + 7 * 32;
    t[chunk0_commitment..chunk0_commitment + 32]
        .copy_from_slice(&element_bytes(&chunks[0].commitment));
    t[108..140].copy_from_slice(&element_bytes(&backup_commitment(&commitments)));
    reseal(&mut t);
    Backup::from_bytes(&t, p())
        .unwrap()
        .verify_commitments(p())
        .unwrap();
    let err = Backup::from_bytes(&t, p())
        .unwrap()
        .restore_named(&k, p())
        .unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Decrypt {
                index: 0,
                source: CipherError::Authentication,
                ..
            }
        ),
        "{err}"
    );
    // A resealed header root: decryption succeeds, the root check fails.
    let mut t = bytes.clone();
    t[44 + 31] ^= 1;
    reseal(&mut t);
    let err = Backup::from_bytes(&t, p())
        .unwrap()
        .restore_named(&k, p())
        .unwrap_err();
    assert!(
        matches!(err, BackupError::StateRootMismatch { .. }),
        "{err}"
    );
}

#[test]
fn create_validates_its_arguments() {
    let k = key(5);
    let r = records(2, &fields(8, 5));
    for chunk_size in [0, 3, 6] {
        let err = Backup::create(&r, RecordFormat::Csv, &k, chunk_size).unwrap_err();
        assert!(err.to_string().contains("power of two"), "{err}");
        assert!(
            matches!(err, BackupError::Create(CreateProblem::ChunkSizeNotPowerOfTwo(c)) if c == chunk_size),
            "{err:?}"
        );
    }
}

#[test]
fn write_to_refuses_existing_files_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zkb");
    let (b, k, f) = small(RecordFormat::JsonLines);
    b.write_to(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b.to_bytes());
    let err = b.write_to(&path).unwrap_err();
    assert!(matches!(err, BackupError::Exists { .. }), "{err}");
    let read = Backup::read(&path).unwrap();
    assert_eq!(read.restore(&k).unwrap().fields(), f);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
    let err = Backup::read(&dir.path().join("missing.zkb")).unwrap_err();
    assert!(err.to_string().contains("missing.zkb"), "{err}");
}

/// Foreign causes (I/O, the cipher) are the error's source, and the message, which names the
/// file, does not repeat them: the CLI prints the chain, "X: X" would say it twice.
#[test]
fn errors_keep_their_source_without_repeating_it() {
    use std::error::Error;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.zkb");
    let err = Backup::read(&missing).unwrap_err();
    assert!(matches!(err, BackupError::Io { .. }), "{err:?}");
    assert_eq!(err.to_string(), missing.display().to_string());
    let source = err.source().expect("the I/O error");
    assert_eq!(
        source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound)
    );

    // A chunk that does not authenticate (altered ciphertext with its commitments
    // recomputed): the cipher's error is the source.
    let (b, k, _) = small(RecordFormat::Csv);
    let mut chunks = b.chunks().to_vec();
    chunks[1].ciphertext[0] += Fr::from(1u64);
    chunks[1].commitment = chunk_commitment(&chunks[1].ciphertext);
    let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
    let header = Header {
        commitment: backup_commitment(&commitments),
        ..b.header().clone()
    };
    let altered = Backup {
        header,
        chunks,
        commitments: Default::default(),
    };
    let err = altered.restore_named(&k, p()).unwrap_err();
    assert_eq!(err.to_string(), "dir/b.zkb: chunk 1 does not decrypt");
    let source = err.source().expect("the cipher's error");
    assert_eq!(
        source.downcast_ref::<CipherError>(),
        Some(&CipherError::Authentication)
    );
    assert!(!err.to_string().contains(&source.to_string()));

    // The format's own findings are the message, not a source.
    let err = Backup::from_bytes(b"not a backup", p()).unwrap_err();
    assert!(err.source().is_none(), "{err:?}");
}
