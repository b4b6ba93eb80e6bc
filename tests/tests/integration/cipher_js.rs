//! Our Poseidon cipher against @zk-kit/poseidon-cipher (through `tests/js/oracle.mjs`): our
//! ciphertext decrypts with `poseidonDecrypt`, its ciphertext decrypts with ours, and both
//! encrypt to the same elements, for message lengths 0 to 10 and 100.
//!
//! Needs `npm ci` in `tests/js`; fails (does not skip) without it.

use ark_ff::UniformRand;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use zkbackup_core::Fr;
use zkbackup_core::{cipher, EscrowKey};
use zkbackup_tests::{dec, decs, frs, oracle, oracle_batch};

struct Case {
    key: EscrowKey,
    nonce: u128,
    message: Vec<Fr>,
}

fn cases() -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(3);
    let mut lengths: Vec<usize> = (0..=10).collect();
    lengths.push(100);
    lengths
        .into_iter()
        .map(|n| Case {
            key: EscrowKey::generate_with(&mut rng),
            // Nonces up to the largest allowed, 2^128 - 1.
            nonce: if n == 10 { u128::MAX } else { rng.gen() },
            message: (0..n).map(|_| Fr::rand(&mut rng)).collect(),
        })
        .collect()
}

fn key_json(key: &EscrowKey) -> Value {
    decs(key.elements())
}

#[test]
fn ciphertexts_agree_and_cross_decrypt() {
    let cases = cases();
    let ours: Vec<Vec<Fr>> = cases
        .iter()
        .map(|c| cipher::encrypt(&c.message, &c.key, c.nonce))
        .collect();
    let mut requests = Vec::new();
    for (c, ct) in cases.iter().zip(&ours) {
        requests.push(json!({
            "op": "encrypt", "message": decs(&c.message), "key": key_json(&c.key),
            "nonce": c.nonce.to_string(),
        }));
        requests.push(json!({
            "op": "decrypt", "ciphertext": decs(ct), "key": key_json(&c.key),
            "nonce": c.nonce.to_string(), "length": c.message.len(),
        }));
    }
    let responses = oracle_batch(&requests);
    for (i, (c, ct)) in cases.iter().zip(&ours).enumerate() {
        let n = c.message.len();
        let theirs = frs(&responses[2 * i]["ciphertext"]);
        assert_eq!(&theirs, ct, "encryption differs at length {n}");
        assert_eq!(theirs.len(), cipher::ciphertext_len(n));
        // Theirs with ours.
        assert_eq!(
            cipher::decrypt(&theirs, &c.key, c.nonce, n).unwrap(),
            c.message,
            "length {n}"
        );
        // Ours with theirs.
        assert_eq!(
            frs(&responses[2 * i + 1]["message"]),
            c.message,
            "length {n}"
        );
    }
}

#[test]
fn both_refuse_a_wrong_key_or_altered_tag() {
    let mut rng = StdRng::seed_from_u64(4);
    let key = EscrowKey::generate_with(&mut rng);
    let other = EscrowKey::generate_with(&mut rng);
    let message: Vec<Fr> = (0..7).map(|_| Fr::rand(&mut rng)).collect();
    let ct = cipher::encrypt(&message, &key, 5);
    let mut altered = ct.clone();
    *altered.last_mut().unwrap() += Fr::from(1u64);
    assert!(cipher::decrypt(&ct, &other, 5, 7).is_err());
    assert!(cipher::decrypt(&altered, &key, 5, 7).is_err());
    // poseidonDecrypt throws on both (the oracle then exits 1, which `oracle` panics on).
    for (ct, k) in [(&ct, &other), (&altered, &key)] {
        let request = json!({
            "op": "decrypt", "ciphertext": decs(ct), "key": key_json(k), "nonce": "5", "length": 7,
        });
        let refused = std::panic::catch_unwind(|| oracle(request)).is_err();
        assert!(
            refused,
            "poseidonDecrypt accepted a wrong key or an altered tag"
        );
    }
    // And the right key still decrypts there.
    let ok = oracle(json!({
        "op": "decrypt", "ciphertext": decs(&ct), "key": key_json(&key), "nonce": dec(&Fr::from(5u64)),
        "length": 7,
    }));
    assert_eq!(frs(&ok["message"]), message);
}
