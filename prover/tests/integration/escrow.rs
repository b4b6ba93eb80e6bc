//! Escrow proofs: keys per shape, a dealt escrow proven and written as escrow.json, verified
//! by zkbackup's verifier and by snarkjs, and refused for another key, another verifying key
//! or a proof of another deal.

use rand::{rngs::StdRng, SeedableRng};
use zkbackup_core::babyjubjub::Point;
use zkbackup_core::escrow::{deal_with, Deal, EscrowShape};
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_core::EscrowKey;
use zkbackup_prover::EscrowKeys;
use zkbackup_verifier::escrow::{verify_escrow, EscrowFile, EscrowVerifyError};
use zkbackup_verifier::{snarkjs, VerifyError};

fn random_deal(rng: &mut StdRng, shape: EscrowShape) -> Deal {
    let key = EscrowKey::generate_with(rng);
    let trustees: Vec<Point> = (0..shape.trustees)
        .map(|_| TrusteeSecret::generate_with(rng).public_key())
        .collect();
    deal_with(rng, &key, shape, &trustees).unwrap()
}

#[test]
fn a_proven_escrow_verifies_with_zkbackup_and_snarkjs_and_nothing_else_does() {
    let mut rng = StdRng::seed_from_u64(13);
    let shape = EscrowShape::new(2, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = EscrowKeys::generate(shape, &mut rng).unwrap();
    assert_eq!(keys.meta.constraints, 14_105);
    let written = keys.write(dir.path()).unwrap();
    assert_eq!(written, dir.path().join("escrow-2-of-3"));
    assert!(keys.write(dir.path()).is_err(), "never overwrites keys");
    let keys = EscrowKeys::read(dir.path(), shape).unwrap();
    assert!(EscrowKeys::read(dir.path(), EscrowShape::new(3, 3).unwrap()).is_err());

    let deal = random_deal(&mut rng, shape);
    let proof = keys.prove(&deal, &mut rng).unwrap();
    let vk = keys.vk().into();
    let file = EscrowFile::new(&deal, keys.circuit_id().to_owned(), proof.into(), &[]);
    let file = EscrowFile::from_json(&file.to_json()).unwrap();
    verify_escrow(&file, &vk, Some(deal.key_commitment())).unwrap();
    verify_escrow(&file, &vk, None).unwrap();

    // Another K pinned.
    let other = zkbackup_core::Fr::from(7u64);
    assert!(matches!(
        verify_escrow(&file, &vk, Some(other)),
        Err(EscrowVerifyError::KeyCommitment { .. })
    ));
    // A proof of another deal (same shape and keys) in this file.
    let second_key = EscrowKey::generate_with(&mut rng);
    let second = deal_with(&mut rng, &second_key, shape, deal.trustees()).unwrap();
    let mut swapped = file.clone();
    swapped.proof = keys.prove(&second, &mut rng).unwrap().into();
    assert!(matches!(
        verify_escrow(&swapped, &vk, None),
        Err(EscrowVerifyError::Proof(VerifyError::InvalidProof { .. }))
    ));
    // Another setup of the same shape: another circuit id.
    let again = EscrowKeys::generate(shape, &mut rng).unwrap();
    assert!(matches!(
        verify_escrow(&file, &again.vk().into(), None),
        Err(EscrowVerifyError::CircuitId { .. })
    ));
    // The key of another shape.
    let small = EscrowKeys::generate(EscrowShape::new(1, 1).unwrap(), &mut rng).unwrap();
    assert!(matches!(
        verify_escrow(&file, &small.vk().into(), None),
        Err(EscrowVerifyError::VerifyingKeyShape {
            expected: 8,
            got: 4,
            ..
        })
    ));
    // The keys refuse a deal of another shape.
    let three = random_deal(&mut rng, EscrowShape::new(3, 3).unwrap());
    assert!(keys.prove(&three, &mut rng).is_err());

    // snarkjs checks the same proof and public inputs under the same key.
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, value: serde_json::Value| {
        std::fs::write(work.path().join(name), value.to_string()).unwrap()
    };
    write("vk.json", snarkjs::verification_key_json(&vk));
    write("public.json", snarkjs::public_json(&file.public_inputs()));
    write("proof.json", snarkjs::proof_json(&file.proof));
    let out = zkbackup_tests::snarkjs::run(
        work.path(),
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );
    assert!(out.contains("OK"), "{out}");
    let mut changed = file.public_inputs();
    changed[1] += zkbackup_core::Fr::from(1u64);
    write("public.json", snarkjs::public_json(&changed));
    let (_, out) = zkbackup_tests::snarkjs::try_run(
        work.path(),
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );
    assert!(out.contains("Invalid proof"), "{out}");
}
