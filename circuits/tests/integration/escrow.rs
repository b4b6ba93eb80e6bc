//! The escrow circuit: an honest deal satisfies it, and each way a dishonest dealer could
//! try to cheat (issue 13: a share of another polynomial, a share to the wrong trustee, a
//! constant term other than the key, a threshold lie, a weak trustee key or ephemeral key)
//! leaves it unsatisfied.

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_circuits::escrow::{EscrowCircuit, EscrowPublic, EscrowSecret};
use zkbackup_circuits::soundness;
use zkbackup_core::babyjubjub::{base8, mul, Point, Scalar};
use zkbackup_core::escrow::{
    deal_with, encrypt_share, escrow_digest, share_values, Deal, EscrowShape, Polynomials,
};
use zkbackup_core::trustee_key::{shared_point, TrusteeSecret};
use zkbackup_core::EscrowKey;

fn trustees(rng: &mut StdRng, n: usize) -> Vec<Point> {
    (0..n)
        .map(|_| TrusteeSecret::generate_with(rng).public_key())
        .collect()
}

fn honest(seed: u64, k: usize, n: usize) -> Deal {
    let mut rng = StdRng::seed_from_u64(seed);
    let key = EscrowKey::generate_with(&mut rng);
    let shape = EscrowShape::new(k, n).unwrap();
    let trustees = trustees(&mut rng, n);
    deal_with(&mut rng, &key, shape, &trustees).unwrap()
}

fn satisfied(circuit: EscrowCircuit) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn secret_of(deal: &Deal) -> EscrowSecret {
    EscrowSecret {
        coefficients: deal.polynomials().coefficients().clone(),
        ephemeral: *deal.ephemeral_secret(),
    }
}

fn public_of(deal: &Deal) -> EscrowPublic {
    EscrowPublic {
        key_commitment: deal.key_commitment(),
        digest: deal.digest(),
        trustees: deal.trustees().to_vec(),
    }
}

/// The digest of `deal` with its ciphertexts replaced by `ciphertexts`: what a dealer
/// publishing those ciphertexts would claim.
fn digest_with(deal: &Deal, ciphertexts: &[[Fr; 4]]) -> Fr {
    escrow_digest(deal.shape(), &deal.ephemeral_public(), ciphertexts)
}

#[test]
fn honest_deals_satisfy_the_circuit_with_equal_setup_and_prove_counts() {
    for (k, n) in [(1, 1), (2, 3), (3, 5)] {
        let deal = honest(k as u64, k, n);
        let public = EscrowCircuit::from_deal(&deal);
        assert_eq!(
            public.public().unwrap().inputs(),
            deal.public_inputs(),
            "the circuit's public inputs are core's"
        );
        let cs = ConstraintSystem::<Fr>::new_ref();
        EscrowCircuit::from_deal(&deal)
            .generate_constraints(cs.clone())
            .unwrap();
        assert!(cs.is_satisfied().unwrap(), "{k}-of-{n}");
        assert_eq!(cs.num_instance_variables(), 1 + 2 + 2 * n);
        let setup = ConstraintSystem::<Fr>::new_ref();
        setup.set_mode(SynthesisMode::Setup);
        EscrowCircuit::setup(deal.shape())
            .generate_constraints(setup.clone())
            .unwrap();
        assert_eq!(setup.num_constraints(), cs.num_constraints(), "{k}-of-{n}");
    }
}

#[test]
fn a_changed_public_input_is_refused() {
    let deal = honest(7, 2, 3);
    let base = public_of(&deal);
    let mut changes: Vec<EscrowPublic> = Vec::new();
    let mut p = base.clone();
    p.key_commitment += Fr::one();
    changes.push(p);
    let mut p = base.clone();
    p.digest += Fr::one();
    changes.push(p);
    // Another (valid) trustee key in place of trustee 2.
    let mut p = base.clone();
    p.trustees[1] = mul(&base8(), &Scalar::from(12345u64));
    changes.push(p);
    for (i, public) in changes.into_iter().enumerate() {
        assert!(
            !satisfied(EscrowCircuit::prove(deal.shape(), secret_of(&deal), public)),
            "change {i}"
        );
    }
}

#[test]
fn a_share_of_another_polynomial_is_refused() {
    let deal = honest(8, 2, 3);
    let mut rng = StdRng::seed_from_u64(80);
    let other = Polynomials::random_with(&mut rng, &deal.polynomials().key(), 2);
    // Trustee 2 gets f'(2) from another polynomial with the same constant terms: the three
    // shares no longer lie on one line, and some pair recovers a wrong key.
    let mut cts = deal.ciphertexts().to_vec();
    cts[1] = encrypt_share(&deal.shared_point(2).unwrap(), 2, &share_values(&other, 2));
    let public = EscrowPublic {
        digest: digest_with(&deal, &cts),
        ..public_of(&deal)
    };
    for polynomials in [deal.polynomials(), &other] {
        let secret = EscrowSecret {
            coefficients: polynomials.coefficients().clone(),
            ephemeral: *deal.ephemeral_secret(),
        };
        assert!(!satisfied(EscrowCircuit::prove(
            deal.shape(),
            secret,
            public.clone()
        )));
    }
}

#[test]
fn a_share_encrypted_to_the_wrong_trustee_is_refused() {
    let deal = honest(9, 2, 3);
    // Share 1 encrypted to someone else's key (the dealer's own, say), under nonce 1.
    let rogue = mul(&base8(), &Scalar::from(999u64));
    let mut cts = deal.ciphertexts().to_vec();
    cts[0] = encrypt_share(
        &shared_point(deal.ephemeral_secret(), &rogue),
        1,
        &deal.share(1).unwrap(),
    );
    let public = EscrowPublic {
        digest: digest_with(&deal, &cts),
        ..public_of(&deal)
    };
    assert!(!satisfied(EscrowCircuit::prove(
        deal.shape(),
        secret_of(&deal),
        public
    )));
}

#[test]
fn a_constant_term_other_than_the_key_is_refused() {
    let deal = honest(10, 2, 3);
    // An honest deal of another key, claimed under the real key's commitment.
    let mut rng = StdRng::seed_from_u64(100);
    let other_key = EscrowKey::generate_with(&mut rng);
    let other = Deal::from_parts(
        deal.shape(),
        Polynomials::random_with(&mut rng, &other_key, 2),
        *deal.ephemeral_secret(),
        deal.trustees(),
    )
    .unwrap();
    let public = EscrowPublic {
        key_commitment: deal.key_commitment(),
        ..public_of(&other)
    };
    assert!(!satisfied(EscrowCircuit::prove(
        deal.shape(),
        secret_of(&other),
        public
    )));
    // The same, with only k0's constant term changed in the witness.
    let mut secret = secret_of(&deal);
    secret.coefficients[0][0] += Fr::one();
    assert!(!satisfied(EscrowCircuit::prove(
        deal.shape(),
        secret,
        public_of(&deal)
    )));
}

#[test]
fn a_threshold_lie_is_refused() {
    // A 3-of-3 deal (degree-2 polynomials) claimed as 2-of-3: its digest is made with the
    // claimed shape, and the 2-of-3 circuit has only two coefficients per key element.
    let real = honest(11, 3, 3);
    let claimed = EscrowShape::new(2, 3).unwrap();
    let digest = escrow_digest(claimed, &real.ephemeral_public(), real.ciphertexts());
    let public = EscrowPublic {
        digest,
        ..public_of(&real)
    };
    let full = real.polynomials().coefficients();
    let truncated = EscrowSecret {
        coefficients: [full[0][..2].to_vec(), full[1][..2].to_vec()],
        ephemeral: *real.ephemeral_secret(),
    };
    assert!(!satisfied(EscrowCircuit::prove(claimed, truncated, public)));
    // And the degree-1 deal itself does not pass as 3-of-3: its digest names k = 2.
    let two = honest(12, 2, 3);
    let lie = EscrowShape::new(3, 3).unwrap();
    let mut coefficients = two.polynomials().coefficients().clone();
    coefficients[0].push(Fr::zero());
    coefficients[1].push(Fr::zero());
    let secret = EscrowSecret {
        coefficients,
        ephemeral: *two.ephemeral_secret(),
    };
    assert!(!satisfied(EscrowCircuit::prove(
        lie,
        secret,
        public_of(&two)
    )));
}

/// A deal to `trustees` built by hand (core's `Deal` refuses weak keys), with the digest a
/// dishonest dealer would publish.
fn hand_dealt(deal: &Deal, trustees: &[Point], e: Scalar) -> (EscrowSecret, EscrowPublic) {
    let ephemeral = mul(&base8(), &e);
    let cts: Vec<[Fr; 4]> = trustees
        .iter()
        .zip(1u64..)
        .map(|(p, i)| encrypt_share(&shared_point(&e, p), i, &deal.share(i).unwrap()))
        .collect();
    let digest = escrow_digest(deal.shape(), &ephemeral, &cts);
    (
        EscrowSecret {
            coefficients: deal.polynomials().coefficients().clone(),
            ephemeral: e,
        },
        EscrowPublic {
            key_commitment: deal.key_commitment(),
            digest,
            trustees: trustees.to_vec(),
        },
    )
}

#[test]
fn weak_trustee_keys_and_a_zero_ephemeral_key_are_refused() {
    let deal = honest(13, 2, 3);
    let e = *deal.ephemeral_secret();
    // The honest deal rebuilt by hand satisfies the circuit (the helper is faithful).
    let (secret, public) = hand_dealt(&deal, deal.trustees(), e);
    assert_eq!(public.digest, deal.digest());
    assert!(satisfied(EscrowCircuit::prove(
        deal.shape(),
        secret,
        public
    )));

    let two_torsion = Point::new_unchecked(Fr::zero(), -Fr::one());
    let mixed = (base8() + two_torsion).into();
    let identity = Point::new_unchecked(Fr::zero(), Fr::one());
    for (what, weak) in [
        ("Base8 + T2 (not in the subgroup)", mixed),
        ("T2 (order 2)", two_torsion),
        ("the identity", identity),
    ] {
        let mut trustees = deal.trustees().to_vec();
        trustees[2] = weak;
        let (secret, public) = hand_dealt(&deal, &trustees, e);
        assert!(
            !satisfied(EscrowCircuit::prove(deal.shape(), secret, public)),
            "{what}"
        );
    }
    // e = 0: E = O and every shared point is O, a key anyone knows.
    let (secret, public) = hand_dealt(&deal, deal.trustees(), Scalar::zero());
    assert!(!satisfied(EscrowCircuit::prove(
        deal.shape(),
        secret,
        public
    )));
}

#[test]
fn every_trustee_decrypts_what_the_circuit_encrypted() {
    // The trustees' side of a proven deal: each opens its own share with its secret key.
    let mut rng = StdRng::seed_from_u64(14);
    let key = EscrowKey::generate_with(&mut rng);
    let secrets: Vec<TrusteeSecret> = (0..3)
        .map(|_| TrusteeSecret::generate_with(&mut rng))
        .collect();
    let publics: Vec<Point> = secrets.iter().map(|s| s.public_key()).collect();
    let deal = deal_with(&mut rng, &key, EscrowShape::new(2, 3).unwrap(), &publics).unwrap();
    for (i, t) in (1u64..).zip(&secrets) {
        let share = zkbackup_core::escrow::open_share(
            t,
            &deal.ephemeral_public(),
            i,
            &deal.ciphertexts()[i as usize - 1],
        )
        .unwrap();
        assert_eq!(share, deal.share(i).unwrap());
    }
    assert!(satisfied(EscrowCircuit::from_deal(&deal)));
}

#[test]
fn no_witness_is_free() {
    // Every witness variable is fixed by the public inputs and the others: changing any one
    // alone breaks a constraint. All of them, in 1-of-1 (every gadget once) and in 2-of-2
    // (with the degree-1 coefficients c_{0,1}, c_{1,1}, which 1-of-1 lacks).
    for (k, n) in [(1, 1), (2, 2)] {
        let deal = honest(15 + k as u64, k, n);
        let cs = ConstraintSystem::<Fr>::new_ref();
        EscrowCircuit::from_deal(&deal)
            .generate_constraints(cs.clone())
            .unwrap();
        soundness::prepare(&cs);
        assert!(cs.is_satisfied().unwrap());
        let witnesses = cs.num_witness_variables();
        assert_eq!(
            soundness::free_witnesses(&cs, 0..witnesses),
            Vec::<usize>::new(),
            "{k}-of-{n}"
        );
    }
}
