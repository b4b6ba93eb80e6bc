//! circomlib's Poseidon over BN254: x^5 S-box, 8 full rounds, circomlib's partial rounds,
//! round constants and MDS matrices for state widths 2 to 17 (1 to 16 inputs).
//!
//! `hash(inputs)` is circomlib's `Poseidon(n)`: state `[0, inputs…]`, permute, output
//! `state[0]`. `permute` exposes the whole permutation (the cipher needs every lane).
//!
//! # Speed
//! The reference round is `s += C_r; S-box; s = M·s`. The native permutation runs the
//! equivalent optimized schedule of the Poseidon paper (appendix B):
//! 1. a partial round's S-box touches only `s[0]`, so its other constants are pushed
//!    through `M` into the next round, leaving one scalar constant per partial round;
//! 2. each partial round's dense `M` is factored as `M'' · M'`, where `M' = diag(1, M̂)`
//!    commutes with the partial S-box and moves one round earlier, and `M''` is sparse
//!    (first row, first column, identity): `2t - 1` multiplications instead of `t²`.
//!
//! Both schedules are kept: `permute_reference` is the textbook one, the tests hold them equal.

pub mod params;

pub use params::{params, PoseidonParams, FULL_ROUNDS, MAX_WIDTH, MIN_WIDTH, PARTIAL_ROUNDS};

use ark_bn254::Fr;
use ark_ff::{Field, Zero};

/// Largest number of inputs of one hash.
pub const MAX_INPUTS: usize = MAX_WIDTH - 1;

#[inline(always)]
fn sbox(x: &mut Fr) {
    let x2 = x.square();
    let x4 = x2.square();
    *x *= x4;
}

#[inline]
fn add_constants(state: &mut [Fr], constants: &[Fr]) {
    for (s, c) in state.iter_mut().zip(constants) {
        *s += c;
    }
}

#[inline]
fn mix(state: &mut [Fr], m: &[Vec<Fr>], scratch: &mut [Fr]) {
    for (out, row) in scratch.iter_mut().zip(m) {
        let mut acc = Fr::zero();
        for (a, b) in row.iter().zip(state.iter()) {
            acc += *a * b;
        }
        *out = acc;
    }
    state.copy_from_slice(scratch);
}

/// The Poseidon permutation of width `state.len()` (2 to 17), in place.
///
/// # Panics
/// If the width is outside `2..=17`.
pub fn permute(state: &mut [Fr]) {
    let p = params(state.len());
    let mut scratch = [Fr::zero(); MAX_WIDTH];
    let scratch = &mut scratch[..state.len()];
    let half = FULL_ROUNDS / 2;
    for (r, constants) in p.opt_first_constants.iter().enumerate() {
        add_constants(state, constants);
        state.iter_mut().for_each(sbox);
        let m = if r + 1 == half {
            &p.opt_pre_sparse
        } else {
            &p.mds
        };
        mix(state, m, scratch);
    }
    for (c, sm) in p.opt_partial_constants.iter().zip(&p.opt_sparse) {
        state[0] += c;
        sbox(&mut state[0]);
        let s0 = state[0];
        let mut new0 = sm.a * s0;
        for ((s, r), c) in state[1..].iter_mut().zip(&sm.row).zip(&sm.col) {
            new0 += *r * *s;
            *s += *c * s0;
        }
        state[0] = new0;
    }
    for constants in &p.opt_last_constants {
        add_constants(state, constants);
        state.iter_mut().for_each(sbox);
        mix(state, &p.mds, scratch);
    }
}

/// The textbook permutation (`s += C_r; S-box; s = M·s` every round), kept as the
/// specification that `permute` is tested against.
pub fn permute_reference(state: &mut [Fr]) {
    let p = params(state.len());
    let mut scratch = vec![Fr::zero(); state.len()];
    let half = FULL_ROUNDS / 2;
    for (r, constants) in p.round_constants.iter().enumerate() {
        add_constants(state, constants);
        if r < half || r >= half + p.partial_rounds {
            state.iter_mut().for_each(sbox);
        } else {
            sbox(&mut state[0]);
        }
        mix(state, &p.mds, &mut scratch);
    }
}

/// circomlib's `Poseidon(n)` of 1 to 16 inputs.
///
/// # Panics
/// If `inputs` is empty or longer than 16; callers validate arity first.
pub fn hash(inputs: &[Fr]) -> Fr {
    assert!(
        (1..=MAX_INPUTS).contains(&inputs.len()),
        "Poseidon takes 1 to {MAX_INPUTS} inputs, got {}",
        inputs.len()
    );
    let mut state = [Fr::zero(); MAX_WIDTH];
    state[1..=inputs.len()].copy_from_slice(inputs);
    let state = &mut state[..=inputs.len()];
    permute(state);
    state[0]
}

/// `Poseidon(a, b)`: the LeanIMT node hash.
#[inline]
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash(&[a, b])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{PrimeField, UniformRand};
    use ark_std::str::FromStr;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn known_vector_poseidon2() {
        // circomlibjs / poseidon-lite: poseidon2([1, 2]).
        let expected = Fr::from_str(
            "7853200120776062878684798364095072458815029376092732009249414926327459813530",
        )
        .unwrap();
        assert_eq!(hash2(Fr::from(1u64), Fr::from(2u64)), expected);
    }

    #[test]
    fn constants_match_light_poseidon() {
        for t in 2..=13u8 {
            let theirs =
                light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(t).unwrap();
            let ours = params(t as usize);
            let flat: Vec<Fr> = ours.round_constants.concat();
            assert_eq!(flat, theirs.ark, "round constants, width {t}");
            assert_eq!(ours.mds, theirs.mds, "MDS matrix, width {t}");
        }
    }

    #[test]
    fn hash_matches_light_poseidon() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in 1..=12 {
            let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let mut lp = Poseidon::<Fr>::new_circom(n).unwrap();
            assert_eq!(hash(&inputs), lp.hash(&inputs).unwrap(), "{n} inputs");
        }
    }

    #[test]
    fn optimized_equals_reference_every_width() {
        let mut rng = StdRng::seed_from_u64(2);
        for t in MIN_WIDTH..=MAX_WIDTH {
            for _ in 0..3 {
                let mut a: Vec<Fr> = (0..t).map(|_| Fr::rand(&mut rng)).collect();
                let mut b = a.clone();
                permute(&mut a);
                permute_reference(&mut b);
                assert_eq!(a, b, "width {t}");
            }
        }
    }

    #[test]
    fn widths_14_to_17_use_reference_partial_rounds() {
        for t in 14..=17 {
            let p = params(t);
            assert_eq!(p.round_constants.len(), FULL_ROUNDS + PARTIAL_ROUNDS[t - 2]);
            assert!(p
                .round_constants
                .iter()
                .flatten()
                .all(|c| c.into_bigint() < Fr::MODULUS));
        }
    }
}
