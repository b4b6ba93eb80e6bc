//! One property test per native/gadget pair: the values agree, an honest witness satisfies
//! the constraints, and a tampered one does not.

use ark_bn254::Fr;
use ark_ff::{One, UniformRand, Zero};
use ark_r1cs_std::{
    alloc::AllocVar,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef, LinearCombination, Variable};
use ark_relations::lc;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_circuits::lean_imt::LeanImtVar;
use zkbackup_circuits::poseidon::PoseidonVar;
use zkbackup_circuits::soundness;
use zkbackup_core::lean_imt;
use zkbackup_core::poseidon::{self, MAX_INPUTS};

fn random(seed: u64, n: usize) -> Vec<Fr> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| Fr::rand(&mut rng)).collect()
}

fn alloc(cs: &ConstraintSystemRef<Fr>, values: &[Fr]) -> Vec<FpVar<Fr>> {
    values
        .iter()
        .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
        .collect()
}

/// Poseidon(inputs) == expected, with inputs as witnesses and the expected hash public.
fn poseidon_system(inputs: &[Fr], expected: Fr) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let vars = alloc(&cs, inputs);
    let out = PoseidonVar::hash(&vars).unwrap();
    assert_eq!(
        out.value().unwrap(),
        poseidon::hash(inputs),
        "gadget value equals native"
    );
    let public = FpVar::new_input(cs.clone(), || Ok(expected)).unwrap();
    out.enforce_equal(&public).unwrap();
    cs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn poseidon_gadget_matches_native_and_rejects_tampering(
        n in 1..=MAX_INPUTS, seed in any::<u64>(), which in any::<prop::sample::Index>()
    ) {
        let inputs = random(seed, n);
        let expected = poseidon::hash(&inputs);
        prop_assert!(poseidon_system(&inputs, expected).is_satisfied().unwrap());

        let mut tampered = inputs.clone();
        tampered[which.index(n)] += Fr::one();
        prop_assert!(!poseidon_system(&tampered, expected).is_satisfied().unwrap());
    }

    #[test]
    fn chunk_root_gadget_matches_native_and_rejects_tampering(
        k in 0usize..=5, seed in any::<u64>(), fill in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
    ) {
        let slots = 1usize << k;
        let count = fill.index(slots) + 1;
        let mut leaves = random(seed, slots);
        // Absent slots hold zero, as the chunk circuit pins them.
        leaves[count..].iter_mut().for_each(|l| *l = Fr::zero());
        let expected = lean_imt::root(&leaves[..count]).unwrap();

        let system = |leaves: &[Fr], count: usize| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars = alloc(&cs, leaves);
            let n = FpVar::new_witness(cs.clone(), || Ok(Fr::from(count as u64))).unwrap();
            let present = LeanImtVar::presence(cs.clone(), &n, slots).unwrap();
            let root = LeanImtVar::chunk_root(&vars, &present).unwrap();
            let public = FpVar::new_input(cs.clone(), || Ok(expected)).unwrap();
            root.enforce_equal(&public).unwrap();
            (cs, root.value().unwrap())
        };

        let (cs, value) = system(&leaves, count);
        prop_assert_eq!(value, expected);
        prop_assert!(cs.is_satisfied().unwrap());

        // One present leaf altered.
        let mut altered = leaves.clone();
        altered[which.index(count)] += Fr::one();
        prop_assert!(!system(&altered, count).0.is_satisfied().unwrap());

        // Two distinct present leaves swapped (siblings when adjacent).
        if count >= 2 {
            let i = which.index(count - 1);
            let mut swapped = leaves.clone();
            swapped.swap(i, i + 1);
            prop_assert!(!system(&swapped, count).0.is_satisfied().unwrap());
        }

        // A record dropped (count − 1) or one extra (count + 1) changes the root.
        if count > 1 {
            prop_assert!(!system(&leaves, count - 1).0.is_satisfied().unwrap());
        }
        if count < slots {
            let mut extra = leaves.clone();
            extra[count] = Fr::from(7u64);
            prop_assert!(!system(&extra, count + 1).0.is_satisfied().unwrap());
        }
    }
}

#[test]
fn chunk_root_gadget_equals_level_k_node_of_the_whole_tree() {
    let leaves = random(9, 45);
    let tree = lean_imt::LeanImt::new(leaves.clone()).unwrap();
    let level = tree.level(3).unwrap();
    for (j, chunk) in leaves.chunks(8).enumerate() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let mut padded = chunk.to_vec();
        padded.resize(8, Fr::zero());
        let vars = alloc(&cs, &padded);
        let n = FpVar::new_witness(cs.clone(), || Ok(Fr::from(chunk.len() as u64))).unwrap();
        let present = LeanImtVar::presence(cs.clone(), &n, 8).unwrap();
        let root = LeanImtVar::chunk_root(&vars, &present).unwrap();
        assert_eq!(root.value().unwrap(), level[j], "chunk {j}");
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn presence_flags_admit_only_a_prefix_of_the_right_length() {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let n = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
    let _present = LeanImtVar::presence(cs.clone(), &n, 8).unwrap();
    soundness::prepare(&cs);
    assert!(soundness::satisfied_with(&cs, |_| {}));
    // Witness 0 is the count, 1..=8 the flags: 1 1 1 0 0 0 0 0.
    // A hole (1 0 1 …) with the same sum: flags 2 and 4 flipped.
    assert!(!soundness::satisfied_with(&cs, |w| {
        w[2] = Fr::zero();
        w[4] = Fr::one();
    }));
    // A non-boolean flag pair that keeps the sum: 2 and 0 in place of 1 and 1.
    assert!(!soundness::satisfied_with(&cs, |w| {
        w[1] = Fr::from(2u64);
        w[2] = Fr::zero();
    }));
    // Count zero with no flags: slot 0 must be present.
    assert!(!soundness::satisfied_with(&cs, |w| w[0..=8]
        .iter_mut()
        .for_each(|x| *x = Fr::zero())));
    // No witness of the gadget is free on its own.
    let all = cs.num_witness_variables();
    assert_eq!(soundness::free_witnesses(&cs, 0..all), Vec::<usize>::new());
}

#[test]
fn poseidon_gadget_has_no_free_witness() {
    let inputs = random(5, 4);
    let cs = poseidon_system(&inputs, poseidon::hash(&inputs));
    soundness::prepare(&cs);
    let all = cs.num_witness_variables();
    assert_eq!(soundness::free_witnesses(&cs, 0..all), Vec::<usize>::new());
}

/// `free_witnesses` (one evaluation of the matrices) answers as the full check of
/// `satisfied_with` does index by index, on a system that has free witnesses of each kind:
/// one in no constraint, one multiplied by a zero, one whose terms in a row cancel.
#[test]
fn free_witnesses_agrees_with_the_full_check() {
    let inputs = random(6, 3);
    let cs = poseidon_system(&inputs, poseidon::hash(&inputs));
    let first_extra = cs.num_witness_variables();
    let var = |v: u64| cs.new_witness_variable(|| Ok(Fr::from(v))).unwrap();
    let (_unused, x, y, v, t, u) = (var(7), var(5), var(0), var(3), var(6), var(4));
    // x·y = 0 with y = 0: x is free, y is not.
    cs.enforce_r1cs_constraint(|| lc!(x), || lc!(y), LinearCombination::new)
        .unwrap();
    // (v + v)·1 = t: v twice in one row, not free; nor is t.
    cs.enforce_r1cs_constraint(|| lc!(v, v), || lc!(Variable::One), || lc!(t))
        .unwrap();
    // (u − u)·1 = 0: u's terms cancel, so u is free.
    cs.enforce_r1cs_constraint(
        || lc!((Fr::one(), u), (-Fr::one(), u)),
        || lc!(Variable::One),
        LinearCombination::new,
    )
    .unwrap();
    soundness::prepare(&cs);
    assert!(soundness::satisfied_with(&cs, |_| {}));
    let all = cs.num_witness_variables();
    let full: Vec<usize> = (0..all)
        .filter(|&i| soundness::satisfied_with(&cs, |w| w[i] += Fr::one()))
        .collect();
    let e = first_extra;
    assert_eq!(full, [e, e + 1, e + 5], "unused, x and u");
    assert_eq!(soundness::free_witnesses(&cs, 0..all), full);
}

mod cipher_gadget {
    use super::*;
    use ark_r1cs_std::boolean::Boolean;
    use zkbackup_circuits::cipher::CipherVar;
    use zkbackup_core::{cipher, EscrowKey};

    /// Encrypts `message` zero-extended to `slots` in the circuit, with the expected layout
    /// as public inputs; returns the system and the gadget's output values.
    fn system(
        message: &[Fr],
        slots: usize,
        key: &EscrowKey,
        nonce: u128,
        expected: &[Fr],
    ) -> (ConstraintSystemRef<Fr>, Vec<Fr>) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let k = key.elements();
        let key_vars = [
            FpVar::new_witness(cs.clone(), || Ok(k[0])).unwrap(),
            FpVar::new_witness(cs.clone(), || Ok(k[1])).unwrap(),
        ];
        let nonce_var = FpVar::new_input(cs.clone(), || Ok(Fr::from(nonce))).unwrap();
        let mut padded = message.to_vec();
        padded.resize(slots, Fr::zero());
        let m = alloc(&cs, &padded);
        let present: Vec<Boolean<Fr>> = (0..slots)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(i < message.len())).unwrap())
            .collect();
        let length = present
            .iter()
            .fold(FpVar::zero(), |acc, b| acc + FpVar::from(b.clone()));
        let out = CipherVar::encrypt(&key_vars, &nonce_var, &m, &present, &length).unwrap();
        let values = out.iter().map(|v| v.value().unwrap()).collect();
        for (o, e) in out.iter().zip(expected) {
            let public = FpVar::new_input(cs.clone(), || Ok(*e)).unwrap();
            o.enforce_equal(&public).unwrap();
        }
        (cs, values)
    }

    fn layout(ciphertext: &[Fr], slots: usize) -> Vec<Fr> {
        let mut v = ciphertext.to_vec();
        v.resize(cipher::ciphertext_len(slots), Fr::zero());
        v
    }

    #[test]
    fn gadget_matches_native_for_every_length() {
        let mut rng = StdRng::seed_from_u64(11);
        let key = EscrowKey::generate_with(&mut rng);
        for slots in [1usize, 2, 3, 4, 7, 12] {
            for n in 1..=slots {
                let message = random(n as u64 * 31 + slots as u64, n);
                let nonce = 5u128 << 100 | n as u128;
                let expected = layout(&cipher::encrypt(&message, &key, nonce), slots);
                let (cs, values) = system(&message, slots, &key, nonce, &expected);
                assert_eq!(values, expected, "slots={slots} n={n}");
                assert!(cs.is_satisfied().unwrap(), "slots={slots} n={n}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn tampering_breaks_the_cipher_gadget(
            slots in 1usize..=9, fill in any::<prop::sample::Index>(),
            which in any::<prop::sample::Index>(), seed in any::<u64>(),
        ) {
            let n = fill.index(slots) + 1;
            let mut rng = StdRng::seed_from_u64(seed);
            let key = EscrowKey::generate_with(&mut rng);
            let message = random(seed ^ 1, n);
            let nonce = 77u128;
            let expected = layout(&cipher::encrypt(&message, &key, nonce), slots);
            prop_assert!(system(&message, slots, &key, nonce, &expected).0.is_satisfied().unwrap());

            // Another message element.
            let mut altered = message.clone();
            altered[which.index(n)] += Fr::one();
            prop_assert!(!system(&altered, slots, &key, nonce, &expected).0.is_satisfied().unwrap());
            // Another key.
            let other = EscrowKey::generate_with(&mut rng);
            prop_assert!(!system(&message, slots, &other, nonce, &expected).0.is_satisfied().unwrap());
            // Another nonce.
            prop_assert!(!system(&message, slots, &key, nonce + 1, &expected).0.is_satisfied().unwrap());
            // A dropped element (length − 1).
            if n > 1 {
                prop_assert!(!system(&message[..n - 1], slots, &key, nonce, &expected).0.is_satisfied().unwrap());
            }
        }
    }

    #[test]
    fn absent_slots_cannot_carry_data() {
        let key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(3));
        let message = random(4, 2);
        let expected = layout(&cipher::encrypt(&message, &key, 9), 6);
        let (cs, _) = system(&message, 6, &key, 9, &expected);
        soundness::prepare(&cs);
        assert!(soundness::satisfied_with(&cs, |_| {}));
        // Witnesses: k0, k1, m_0..m_5, flags... ; slot 4 (absent) set to non-zero.
        assert!(!soundness::satisfied_with(&cs, |w| w[2 + 4] = Fr::from(5u64)));
        let all = cs.num_witness_variables();
        assert_eq!(soundness::free_witnesses(&cs, 0..all), Vec::<usize>::new());
    }
}
