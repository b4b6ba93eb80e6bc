//! Trustee keys, Baby Jubjub scalar multiplication and the escrow's share encryption
//! (`zkbackup_core::{trustee_key, babyjubjub, escrow}`) against @zk-kit/eddsa-poseidon
//! 1.1.0 (default export, BLAKE-512), @zk-kit/baby-jubjub 1.0.3 and
//! @zk-kit/poseidon-cipher 0.3.2, through `tests/js/oracle.mjs` (`bjj_derive`, `bjj_mul`,
//! `escrow_open`). One Node process per test.
//!
//! Needs `npm ci` in `tests/js`; fails (does not skip) without it.

use ark_ff::{PrimeField, UniformRand, Zero};
use rand::{rngs::StdRng, RngCore, SeedableRng};
use serde_json::{json, Value};
use zkbackup_core::babyjubjub::{base8, mul, Point, Scalar};
use zkbackup_core::escrow::{deal_with, EscrowShape};
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_core::{EscrowKey, Fr};
use zkbackup_tests::{dec, decs, frs, oracle_batch};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn point_json(p: &Point) -> Value {
    decs(&[p.x, p.y])
}

fn scalar_dec(s: &Scalar) -> String {
    s.into_bigint().to_string()
}

#[test]
fn derived_keys_match_eddsa_poseidon() {
    let mut rng = StdRng::seed_from_u64(130);
    let mut keys: Vec<TrusteeSecret> = (0..12)
        .map(|_| TrusteeSecret::generate_with(&mut rng))
        .collect();
    // Edge bytes: all zero and all 0xff.
    keys.push(TrusteeSecret::from_bytes([0; 32]));
    keys.push(TrusteeSecret::from_bytes([0xff; 32]));
    let requests: Vec<Value> = keys
        .iter()
        .map(|k| json!({"op": "bjj_derive", "privateKeyHex": hex(k.as_bytes())}))
        .collect();
    let responses = oracle_batch(&requests);
    for (k, r) in keys.iter().zip(&responses) {
        let who = hex(k.as_bytes());
        assert_eq!(
            r["scalar"].as_str().unwrap(),
            scalar_dec(&k.scalar()),
            "{who}"
        );
        assert_eq!(
            frs(&r["publicKey"]),
            [k.public_key().x, k.public_key().y],
            "{who}"
        );
    }
}

#[test]
fn scalar_multiples_match_baby_jubjub() {
    let mut rng = StdRng::seed_from_u64(131);
    let mut points = vec![base8()];
    points.extend((0..3).map(|_| TrusteeSecret::generate_with(&mut rng).public_key()));
    let mut scalars = vec![Scalar::zero(), Scalar::from(1u64), -Scalar::from(1u64)];
    scalars.extend((0..4).map(|_| Scalar::rand(&mut rng)));
    // A 64-bit scalar (a short one).
    scalars.push(Scalar::from(rng.next_u64()));
    let mut cases = Vec::new();
    for p in &points {
        for s in &scalars {
            cases.push((*p, *s));
        }
    }
    let requests: Vec<Value> = cases
        .iter()
        .map(|(p, s)| json!({"op": "bjj_mul", "point": point_json(p), "scalar": scalar_dec(s)}))
        .collect();
    let responses = oracle_batch(&requests);
    for ((p, s), r) in cases.iter().zip(&responses) {
        let ours = mul(p, s);
        assert_eq!(
            frs(&r["point"]),
            [ours.x, ours.y],
            "{} · ({}, {})",
            scalar_dec(s),
            dec(&p.x),
            dec(&p.y)
        );
    }
}

/// A random 3-of-5 deal: every trustee opens its share with the npm libraries alone
/// (eddsa-poseidon's scalar, baby-jubjub's ECDH, poseidon-cipher's checked decryption) and
/// gets our share; the shared point is ours too.
#[test]
fn every_dealt_share_opens_with_the_npm_libraries() {
    let mut rng = StdRng::seed_from_u64(132);
    let key = EscrowKey::generate_with(&mut rng);
    let secrets: Vec<TrusteeSecret> = (0..5)
        .map(|_| TrusteeSecret::generate_with(&mut rng))
        .collect();
    let trustees: Vec<Point> = secrets.iter().map(|t| t.public_key()).collect();
    let deal = deal_with(&mut rng, &key, EscrowShape::new(3, 5).unwrap(), &trustees).unwrap();
    let requests: Vec<Value> = secrets
        .iter()
        .zip(1u64..)
        .map(|(t, i)| {
            json!({
                "op": "escrow_open",
                "privateKeyHex": hex(t.as_bytes()),
                "ephemeral": point_json(&deal.ephemeral_public()),
                "index": i.to_string(),
                "ciphertext": decs(&deal.ciphertexts()[i as usize - 1]),
            })
        })
        .collect();
    let responses = oracle_batch(&requests);
    for (r, i) in responses.iter().zip(1u64..) {
        let s = deal.shared_point(i).unwrap();
        assert_eq!(frs(&r["shared"]), [s.x, s.y], "S_{i}");
        let share: Vec<Fr> = frs(&r["share"]);
        assert_eq!(share, deal.share(i).unwrap(), "share {i}");
    }
}
