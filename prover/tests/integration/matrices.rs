//! The keys directory's constraint matrices file (`matrices.bin`): written by a setup, read
//! by proving runs instead of deriving the matrices, and every damage or lie named.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::Digest;
use std::path::Path;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::keys::META_FILE;
use zkbackup_prover::matrices::MATRICES_FILE;
use zkbackup_prover::{ChunkMatrices, ChunkProver, ProveError, ProvingKeys, Reduction};

fn written_keys(shape: ChunkShape, seed: u64) -> (tempfile::TempDir, ProvingKeys) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    keys.write(dir.path()).unwrap();
    (dir, keys)
}

fn read_err(dir: &Path) -> String {
    ProvingKeys::read(dir).err().expect("refused").to_string()
}

#[test]
fn a_setup_writes_the_matrices_and_a_run_reads_them_for_the_same_proof() {
    let shape = ChunkShape::new(4, 4).unwrap();
    let (dir, keys) = written_keys(shape, 11);
    let sha = keys
        .meta
        .matrices_sha256
        .clone()
        .expect("recorded in keys.json");
    let bytes = std::fs::read(dir.path().join(MATRICES_FILE)).unwrap();
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);

    let back = ProvingKeys::read(dir.path()).unwrap();
    assert!(back.has_matrices());
    assert_eq!(back.meta, keys.meta);
    let derived = ChunkMatrices::derive(shape).unwrap();
    let read = ChunkMatrices::from_file_bytes(&bytes, shape).unwrap();
    assert!(read == derived, "the file's matrices are the derived ones");
    // Coefficients are stored once: far smaller than 36 bytes per term.
    let terms: usize = derived.matrices.iter().flatten().map(Vec::len).sum();
    assert!(
        bytes.len() < terms * 12,
        "{} bytes for {terms} terms",
        bytes.len()
    );

    // A prover on the file's matrices and one that derives them make the same proof.
    let vk = back.vk().clone();
    let from_file = back.prover().unwrap();
    let derived_prover = ChunkProver::new(shape, keys.pk.clone()).unwrap();
    let mut rng = StdRng::seed_from_u64(12);
    let records: Vec<Fr> = (0..16u64).map(Fr::from).collect();
    let witness = ChunkWitness::new(shape, records, EscrowKey::generate_with(&mut rng), 5).unwrap();
    let full = from_file.assignment(witness.clone()).unwrap();
    assert_eq!(*full, *derived_prover.assignment(witness.clone()).unwrap());
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let a = from_file.prove_assignment(&full, r, s).unwrap();
    let b = derived_prover.prove_assignment(&full, r, s).unwrap();
    assert_eq!(a, b);
    let (public, proof) = from_file.prove(witness, &mut rng).unwrap();
    assert!(Groth16::<Bn254>::verify(&vk, &public.to_inputs(), &proof).unwrap());
}

#[test]
fn a_directory_without_the_file_still_proves_and_damage_is_named() {
    let shape = ChunkShape::new(1, 2).unwrap();
    let (dir, _) = written_keys(shape, 13);
    let file = dir.path().join(MATRICES_FILE);
    let meta_path = dir.path().join(META_FILE);
    let original = std::fs::read(&file).unwrap();

    // One flipped bit: the hash in keys.json catches it.
    let mut damaged = original.clone();
    damaged[original.len() / 2] ^= 1;
    std::fs::write(&file, &damaged).unwrap();
    let err = read_err(dir.path());
    assert!(
        err.contains("matrices.bin") && err.contains("damaged"),
        "{err}"
    );

    // keys.json names a file that is gone.
    std::fs::remove_file(&file).unwrap();
    let err = read_err(dir.path());
    assert!(err.contains("matrices.bin"), "{err}");

    // A directory written before the file existed (no hash in keys.json): the run derives.
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta.as_object_mut().unwrap().remove("matrices_sha256");
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let old = ProvingKeys::read(dir.path()).unwrap();
    assert!(!old.has_matrices());
    let prover = old.prover().unwrap();
    assert!(prover.matrices() == &ChunkMatrices::derive(shape).unwrap());

    // A hash-consistent file of another shape (keys.json edited to match): refused by name.
    let other = ChunkMatrices::derive(ChunkShape::new(1, 4).unwrap())
        .unwrap()
        .to_file_bytes(ChunkShape::new(1, 4).unwrap());
    std::fs::write(&file, &other).unwrap();
    meta["matrices_sha256"] = hex::encode(sha2::Sha256::digest(&other)).into();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let err = read_err(dir.path());
    assert!(
        err.contains("matrices.bin") && err.contains("arity 1 and chunk size 4"),
        "{err}"
    );
}

/// Offsets in a version-1 file: the header is 60 bytes, then `K` coefficients of 32.
fn first_row_term(bytes: &[u8]) -> usize {
    let k = u64::from_le_bytes(bytes[52..60].try_into().unwrap()) as usize;
    let mut at = 60 + 32 * k;
    loop {
        let n = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if n > 0 {
            return at + 4;
        }
        at += 4;
    }
}

#[test]
fn every_lie_in_a_matrices_file_is_refused_with_what_is_wrong() {
    let shape = ChunkShape::new(1, 2).unwrap();
    let m = ChunkMatrices::derive(shape).unwrap();
    let good = m.to_file_bytes(shape);
    assert!(ChunkMatrices::from_file_bytes(&good, shape).unwrap() == m);
    let term = first_row_term(&good);

    let patched = |at: usize, with: &[u8]| {
        let mut b = good.clone();
        b[at..at + with.len()].copy_from_slice(with);
        ChunkMatrices::from_file_bytes(&b, shape).expect_err("refused")
    };
    let cases: Vec<(String, &str)> = vec![
        (patched(0, b"NOTR1CS\0"), "magic"),
        (patched(8, &2u32.to_le_bytes()), "unknown version 2"),
        (patched(12, &3u32.to_le_bytes()), "arity 3"),
        // K larger than the file.
        (patched(52, &u64::MAX.to_le_bytes()), "out of range"),
        (patched(52, &(1u64 << 30).to_le_bytes()), "do not fit"),
        // The first coefficient ≥ r.
        (patched(60, &[0xff; 32]), "not a canonical scalar"),
        (patched(term, &u32::MAX.to_le_bytes()), "variable"),
        (patched(term + 4, &u32::MAX.to_le_bytes()), "coefficient"),
        (patched(term - 4, &u32::MAX.to_le_bytes()), "do not fit"),
        (
            ChunkMatrices::from_file_bytes(&[good.as_slice(), &[0]].concat(), shape)
                .err()
                .unwrap(),
            "1 bytes after the last row",
        ),
    ];
    for (err, want) in cases {
        assert!(err.contains(want), "{err:?} should say {want:?}");
    }
    // Every truncation is refused (never a panic, never a short matrix).
    for len in (0..good.len()).step_by(97).chain([good.len() - 1]) {
        let err = ChunkMatrices::from_file_bytes(&good[..len], shape).expect_err("refused");
        assert!(
            err.contains("truncated") || err.contains("do not fit"),
            "{len}: {err}"
        );
    }
    // Random damage never panics; whatever parses has the right number of rows.
    let mut rng = StdRng::seed_from_u64(14);
    for _ in 0..300 {
        let mut b = good.clone();
        for _ in 0..rng.gen_range(1..4) {
            let at = rng.gen_range(0..b.len());
            b[at] = rng.gen();
        }
        if let Ok(m) = ChunkMatrices::from_file_bytes(&b, shape) {
            assert!(m.matrices.iter().all(|x| x.len() == m.num_constraints));
        }
    }
}

#[test]
fn matrices_whose_sizes_are_not_the_keys_are_refused() {
    let mut rng = StdRng::seed_from_u64(15);
    let shape = ChunkShape::new(1, 2).unwrap();
    let keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let other = ChunkMatrices::derive(ChunkShape::new(1, 4).unwrap()).unwrap();
    let err = ChunkProver::with_matrices(shape, keys.pk, Reduction::Libsnark, other)
        .err()
        .expect("refused");
    assert!(matches!(err, ProveError::Matrices(_)), "{err}");
    assert!(err.to_string().contains("the key has"), "{err}");
}
