//! Setup, prove (ours and stock) and verify one chunk on a small shape.

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::{ProveError, ProvingKeys};

#[test]
fn ours_and_stock_proofs_verify_and_a_wrong_input_fails() {
    let mut rng = StdRng::seed_from_u64(1);
    let shape = ChunkShape::new(4, 4).unwrap();
    let keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let vk = keys.vk().clone();
    let prover = keys.prover().unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let records: Vec<Fr> = (0..12u64).map(Fr::from).collect();
    let witness = ChunkWitness::new(shape, records, key, 99).unwrap();

    let (public, ours) = prover.prove(witness.clone(), &mut rng).unwrap();
    let (public_stock, stock) = prover.prove_stock(witness, &mut rng).unwrap();
    assert_eq!(public, public_stock);
    let inputs = public.to_inputs();
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &ours).unwrap());
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &stock).unwrap());

    let mut wrong = inputs;
    wrong[4] = Fr::from(2u64);
    assert!(!Groth16::<Bn254>::verify(&vk, &wrong, &ours).unwrap());
}

#[test]
fn keys_round_trip_through_a_directory_and_damage_is_named() {
    let mut rng = StdRng::seed_from_u64(2);
    let shape = ChunkShape::new(1, 2).unwrap();
    let mut keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys");
    keys.write(&path).unwrap();
    let back = ProvingKeys::read(&path).unwrap();
    assert_eq!(back.meta, keys.meta);
    assert!(matches!(
        keys.write(&path),
        Err(zkbackup_prover::ProvingKeysError::Exists(_))
    ));

    let pk = path.join(zkbackup_prover::keys::PK_FILE);
    let mut bytes = std::fs::read(&pk).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&pk, bytes).unwrap();
    let err = ProvingKeys::read(&path).err().unwrap().to_string();
    assert!(
        err.contains("proving_key.bin") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn a_witness_of_another_shape_is_refused() {
    let mut rng = StdRng::seed_from_u64(3);
    let prover = ProvingKeys::generate(ChunkShape::new(1, 2).unwrap(), &mut rng)
        .unwrap()
        .prover()
        .unwrap();
    let w = ChunkWitness::new(
        ChunkShape::new(2, 2).unwrap(),
        vec![Fr::from(1u64); 2],
        EscrowKey::generate_with(&mut rng),
        1,
    )
    .unwrap();
    assert!(matches!(
        prover.prove(w, &mut rng),
        Err(ProveError::Shape { .. })
    ));
}

/// Compiles only for types whose memory is wiped when dropped.
fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}

#[test]
fn the_assignment_the_witness_and_records_are_wiped_on_drop() {
    let mut rng = StdRng::seed_from_u64(3);
    let shape = ChunkShape::new(2, 2).unwrap();
    let prover = ProvingKeys::generate(shape, &mut rng)
        .unwrap()
        .prover()
        .unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let records =
        zkbackup_formats::records::Records::new(2, (1..=4u64).map(Fr::from).collect()).unwrap();
    wiped_on_drop(&records);
    let witness = ChunkWitness::new(shape, records.fields().to_vec(), key, 7).unwrap();
    wiped_on_drop(&witness);
    let full = prover.assignment(witness).unwrap();
    wiped_on_drop(&full);
    // The records are in it, so it must be wiped.
    assert!(full.windows(4).any(|w| w == records.fields()));
}
