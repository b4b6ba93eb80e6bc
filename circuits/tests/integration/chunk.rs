//! The chunk circuit: honest chunks satisfy it, and each way a dishonest prover could try
//! to cheat (threat model of DESIGN.md) leaves it unsatisfied.

use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_circuits::soundness;
use zkbackup_core::chunk::{ChunkPublic, ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;

fn records(seed: u64, n: usize, arity: usize) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n * arity).map(|_| Fr::rand(&mut rng)).collect()
}

fn key(seed: u64) -> EscrowKey {
    EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed))
}

/// Synthesizes `witness` with `public` forced as the public inputs.
fn system(witness: ChunkWitness, public: &ChunkPublic) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    ChunkCircuit::prove(witness)
        .generate_constraints(cs.clone())
        .unwrap();
    // Overwrite the instance with the claimed public values (index 0 is the constant 1).
    {
        let mut inner = cs.borrow_mut().unwrap();
        let inputs = public.to_inputs();
        inner.assignments.instance_assignment[1..=inputs.len()].copy_from_slice(&inputs);
    }
    soundness::prepare(&cs);
    cs
}

fn satisfied(witness: ChunkWitness, public: &ChunkPublic) -> bool {
    system(witness, public).is_satisfied().unwrap()
}

#[test]
fn honest_chunks_satisfy_every_shape_and_fill() {
    for (arity, chunk_size) in [(1, 1), (1, 4), (4, 1), (4, 4), (3, 8), (16, 2)] {
        let shape = ChunkShape::new(arity, chunk_size).unwrap();
        for count in 1..=chunk_size {
            let w =
                ChunkWitness::new(shape, records(count as u64, count, arity), key(1), 42).unwrap();
            let public = w.public();
            assert!(
                satisfied(w, &public),
                "arity {arity}, chunk {chunk_size}, count {count}"
            );
        }
    }
}

#[test]
fn every_tamper_of_the_threat_model_is_refused() {
    let shape = ChunkShape::new(4, 4).unwrap();
    let honest_records = records(7, 3, 4);
    let honest = ChunkWitness::new(shape, honest_records.clone(), key(1), 1000).unwrap();
    let public = honest.public();
    let with = |recs: Vec<Fr>| ChunkWitness::new(shape, recs, key(1), 1000).unwrap();

    let mut altered = honest_records.clone();
    altered[5] += Fr::one();
    assert!(!satisfied(with(altered), &public), "altered record");

    let mut dropped = honest_records.clone();
    dropped.truncate(8);
    assert!(!satisfied(with(dropped.clone()), &public), "dropped record");
    // … also when the count is claimed honestly for the shorter chunk.
    let mut short_public = public;
    short_public.count = Fr::from(2u64);
    assert!(
        !satisfied(with(dropped), &short_public),
        "dropped record, count adjusted"
    );

    let mut duplicated = honest_records.clone();
    duplicated[8..12].copy_from_slice(&honest_records[4..8]);
    assert!(!satisfied(with(duplicated), &public), "duplicated record");

    let mut swapped = honest_records.clone();
    swapped[..4].copy_from_slice(&honest_records[4..8]);
    swapped[4..8].copy_from_slice(&honest_records[..4]);
    assert!(!satisfied(with(swapped), &public), "swapped records");

    let mut extra = honest_records.clone();
    extra.extend_from_slice(&[Fr::one(); 4]);
    let mut extra_public = public;
    extra_public.count = Fr::from(4u64);
    assert!(
        !satisfied(with(extra.clone()), &extra_public),
        "extra record, count raised"
    );
    assert!(!satisfied(with(extra), &public), "extra record, count kept");

    let other_key = ChunkWitness::new(shape, honest_records.clone(), key(2), 1000).unwrap();
    assert!(!satisfied(other_key.clone(), &public), "another key");
    let mut other_key_public = public;
    other_key_public.key_commitment = key(2).commitment();
    assert!(
        !satisfied(other_key, &other_key_public),
        "another key, its commitment claimed"
    );

    let other_nonce = ChunkWitness::new(shape, honest_records.clone(), key(1), 1001).unwrap();
    assert!(!satisfied(other_nonce, &public), "another nonce");
    let mut nonce_public = public;
    nonce_public.nonce = Fr::from(1001u64);
    assert!(
        !satisfied(honest.clone(), &nonce_public),
        "nonce claimed differs from the one used"
    );

    let mut other_ct = public;
    other_ct.chunk_commitment = ChunkWitness::new(shape, records(8, 3, 4), key(1), 1000)
        .unwrap()
        .public()
        .chunk_commitment;
    assert!(
        !satisfied(honest.clone(), &other_ct),
        "ciphertext of other records"
    );

    let mut other_root = public;
    other_root.chunk_root = ChunkWitness::new(shape, records(9, 3, 4), key(1), 1000)
        .unwrap()
        .public()
        .chunk_root;
    assert!(
        !satisfied(honest.clone(), &other_root),
        "root of other records"
    );

    let mut count_up = public;
    count_up.count = Fr::from(4u64);
    assert!(
        !satisfied(honest.clone(), &count_up),
        "padding counted as a record"
    );

    assert!(
        satisfied(honest, &public),
        "and the honest one still passes"
    );
}

/// Perturbs witness variables one at a time, every one of each shape: each must break the
/// system. No witness of the chunk circuit is free by design, so the allow-list is empty.
#[test]
fn no_witness_is_free() {
    const FREE_BY_DESIGN: &[usize] = &[];
    for (arity, chunk_size, count) in [(1, 2, 1), (4, 4, 3), (3, 2, 2), (1, 8, 8)] {
        let shape = ChunkShape::new(arity, chunk_size).unwrap();
        let w = ChunkWitness::new(shape, records(3, count, arity), key(5), 9).unwrap();
        let public = w.public();
        let cs = system(w, &public);
        assert!(cs.is_satisfied().unwrap());
        let all = cs.num_witness_variables();
        let free = soundness::free_witnesses(&cs, 0..all);
        assert_eq!(
            free, FREE_BY_DESIGN,
            "arity {arity}, chunk {chunk_size}, count {count}: {all} witnesses"
        );
    }
}
