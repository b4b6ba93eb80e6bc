//! The verifier's own Groth16 types against ark-groth16's: the same canonical bytes
//! (compressed and uncompressed), hence the same circuit id and `vk.bin`, the same verdicts,
//! and conversions that round-trip.

use crate::common;

use ark_bn254::{Bn254, Fr};
use ark_ff::Field;
use ark_groth16::Groth16;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use common::{prove, setup};
use rand::{rngs::StdRng, SeedableRng};
use sha2::{Digest, Sha256};
use zkbackup_verifier::keys::{verifying_key_from_bytes, verifying_key_to_bytes};
use zkbackup_verifier::*;

fn bytes<T: CanonicalSerialize>(x: &T, compressed: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if compressed {
        x.serialize_compressed(&mut out).unwrap();
    } else {
        x.serialize_uncompressed(&mut out).unwrap();
    }
    out
}

#[test]
fn verifying_key_bytes_and_circuit_id_are_ark_groth16s() {
    let keys = setup(5, 11);
    let ark_vk: &ark_groth16::VerifyingKey<Bn254> = &keys.pk.vk;
    let ours: VerifyingKey<Bn254> = ark_vk.into();
    for compressed in [true, false] {
        assert_eq!(bytes(&ours, compressed), bytes(ark_vk, compressed));
    }
    // The circuit id is the SHA-256 of ark-groth16's compressed bytes, as before.
    let id = format!("0x{}", hex::encode(Sha256::digest(bytes(ark_vk, true))));
    assert_eq!(circuit_id(&ours), id);
    assert_eq!(verifying_key_to_bytes(&ours), bytes(ark_vk, true));
    // vk.bin written by either reads as the other.
    let back = verifying_key_from_bytes(&bytes(ark_vk, true), "vk.bin".as_ref()).unwrap();
    assert_eq!(back, ours);
    let ark_back =
        ark_groth16::VerifyingKey::<Bn254>::deserialize_compressed(&bytes(&ours, true)[..])
            .unwrap();
    assert_eq!(&ark_back, ark_vk);
    assert_eq!(ark_groth16::VerifyingKey::from(ours), *ark_vk);
}

#[test]
fn proof_bytes_and_prepared_key_are_ark_groth16s() {
    let keys = setup(5, 12);
    let mut rng = StdRng::seed_from_u64(1);
    let inputs = [Fr::ONE; 5];
    let ours = prove(&keys, &inputs, &mut rng);
    let ark_proof: ark_groth16::Proof<Bn254> = ours.clone().into();
    for compressed in [true, false] {
        assert_eq!(bytes(&ours, compressed), bytes(&ark_proof, compressed));
    }
    assert_eq!(
        Proof::<Bn254>::deserialize_compressed(&bytes(&ark_proof, true)[..]).unwrap(),
        ours
    );
    let pvk = prepare_verifying_key(&keys.vk);
    let ark_pvk = ark_groth16::prepare_verifying_key(&keys.pk.vk);
    assert_eq!(bytes(&pvk, false), bytes(&ark_pvk, false));
    assert_eq!(
        ark_groth16::PreparedVerifyingKey::from(pvk.clone()),
        ark_pvk
    );

    // The same verdicts as ark-groth16's verifier, on a valid proof and on wrong inputs.
    assert_eq!(verify_chunk(&pvk, &inputs, &ours), Ok(()));
    assert!(Groth16::<Bn254>::verify_proof(&ark_pvk, &ark_proof, &inputs).unwrap());
    let mut wrong = inputs;
    wrong[2] = Fr::from(3u64);
    assert_eq!(
        verify_chunk(&pvk, &wrong, &ours),
        Err(VerifyError::InvalidProof { chunk: None })
    );
    assert!(!Groth16::<Bn254>::verify_proof(&ark_pvk, &ark_proof, &wrong).unwrap());
}
