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

/// With the same `r, s`, ours (precomputed matrices, witness-only synthesis) gives exactly the
/// proof arkworks gives from the circuit, for both reductions; each verifies under its key
/// and not under a key made for the other reduction's H query.
#[test]
fn ours_equals_arkworks_bit_for_bit_under_both_reductions() {
    use ark_ff::UniformRand;
    use zkbackup_circuits::chunk::ChunkCircuit;
    use zkbackup_prover::{CircomReduction, Reduction};

    let mut rng = StdRng::seed_from_u64(4);
    let shape = ChunkShape::new(3, 2).unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let records: Vec<Fr> = (0..3u64).map(|i| Fr::from(i * i + 3)).collect();
    let witness = ChunkWitness::new(shape, records, key, 5).unwrap();
    let inputs = witness.public().to_inputs();
    let mut proofs = Vec::new();
    for reduction in [Reduction::Libsnark, Reduction::Circom] {
        let keys = ProvingKeys::generate_for(shape, reduction, &mut rng).unwrap();
        assert_eq!(keys.meta.reduction, reduction);
        let pk = keys.pk.clone();
        let prover = keys.prover().unwrap();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let full = prover.assignment(witness.clone()).unwrap();
        let ours = prover.prove_assignment(&full, r, s).unwrap();
        let circuit = ChunkCircuit::prove(witness.clone());
        let theirs = match reduction {
            Reduction::Libsnark => {
                Groth16::<Bn254>::create_proof_with_reduction(circuit, &pk, r, s)
            }
            Reduction::Circom => {
                Groth16::<Bn254, CircomReduction>::create_proof_with_reduction(circuit, &pk, r, s)
            }
        }
        .unwrap();
        assert_eq!(ours, theirs, "{reduction:?}");
        assert!(Groth16::<Bn254>::verify(&pk.vk, &inputs, &ours).unwrap());
        proofs.push((pk, ours));
    }
    // The circom key's H query is not libsnark's: a libsnark proof under it fails, and back.
    let (libsnark_pk, _) = &proofs[0];
    let (circom_pk, _) = &proofs[1];
    let full = ProvingKeys::generate_for(shape, Reduction::Libsnark, &mut rng)
        .unwrap()
        .prover()
        .unwrap()
        .assignment(witness.clone())
        .unwrap();
    for (pk, wrong) in [
        (circom_pk, Reduction::Libsnark),
        (libsnark_pk, Reduction::Circom),
    ] {
        let prover =
            zkbackup_prover::ChunkProver::with_reduction(shape, pk.clone(), wrong).unwrap();
        let proof = prover
            .prove_assignment(&full, Fr::from(1u64), Fr::from(2u64))
            .unwrap();
        assert!(!Groth16::<Bn254>::verify(&pk.vk, &inputs, &proof).unwrap());
    }
}

#[test]
fn version_1_key_directories_read_as_single_party_libsnark() {
    let mut rng = StdRng::seed_from_u64(5);
    let shape = ChunkShape::new(1, 1).unwrap();
    let mut keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    keys.write(dir.path()).unwrap();
    let meta_path = dir.path().join(zkbackup_prover::keys::META_FILE);
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    assert_eq!(meta["version"], 2);
    assert_eq!(meta["reduction"], "libsnark");
    assert_eq!(meta["setup"]["kind"], "single-party");
    let v2 = ProvingKeys::read(dir.path()).unwrap().meta;
    let object = meta.as_object_mut().unwrap();
    object.remove("reduction");
    object.remove("setup");
    object["version"] = 1.into();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let v1 = ProvingKeys::read(dir.path()).unwrap().meta;
    assert_eq!((v1.reduction, v1.setup), (v2.reduction, v2.setup));
    assert_eq!(v1.version, 1);
    object_version(&meta_path, 3);
    let err = ProvingKeys::read(dir.path()).err().unwrap().to_string();
    assert!(err.contains("unknown version 3"), "{err}");
}

fn object_version(path: &std::path::Path, version: u32) {
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    meta["version"] = version.into();
    std::fs::write(path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

#[test]
fn a_key_of_another_circuit_is_refused_as_a_ceremony_key() {
    use zkbackup_prover::{ProvingKeysError, Reduction, Setup};
    let mut rng = StdRng::seed_from_u64(6);
    let other =
        ProvingKeys::generate_for(ChunkShape::new(1, 2).unwrap(), Reduction::Circom, &mut rng)
            .unwrap();
    let err = ProvingKeys::new(
        ChunkShape::new(1, 1).unwrap(),
        other.pk,
        Reduction::Circom,
        Setup::SingleParty,
    )
    .err()
    .unwrap();
    assert!(matches!(err, ProvingKeysError::Mismatch(_)), "{err}");
}
