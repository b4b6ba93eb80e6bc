//! Batch verification of Groth16 proofs under one verifying key, by a random linear
//! combination.
//!
//! Proof `i` = `(A_i, B_i, C_i)` with public inputs `x_i` is valid when
//! `e(A_i, B_i) = e(α, β) · e(IC(x_i), γ) · e(C_i, δ)`, `IC(x) = IC_0 + Σ_j x_j·IC_j`.
//! Raising equation `i` to a random `r_i` and multiplying them all:
//!
//! ```text
//! Π e(r_i·A_i, B_i) = e((Σ r_i)·α, β) · e(Σ r_i·IC(x_i), γ) · e(Σ r_i·C_i, δ)
//! ```
//!
//! checked as one multi-Miller loop over `n + 3` pairs and one final exponentiation, where
//! a single proof needs a 3-pair Miller loop and a final exponentiation of its own. The `n`
//! proof pairs are split into one group per thread (one group without the `parallel`
//! feature), each group preparing its `B_i` and running arkworks' Miller loop; the groups'
//! values and the 3 key pairs' are multiplied before the single final exponentiation.
//! `Σ r_i·IC(x_i)` is one MSM over the `IC_j` with scalars `(Σ r_i, Σ r_i·x_i1, …)`, so the
//! public inputs cost field multiplications only.
//!
//! # Security
//! Every point must be in the prime-order subgroup (checked here): then each equation's
//! discrepancy `g_i` lies in the order-`p` group `G_T`, and if some `g_k ≠ 1`, for any fixed
//! other `r_i` at most one value of `r_k` mod `p` makes the product 1. With `r_k` uniform among
//! the `2^128 − 1` nonzero 128-bit values, a batch with an invalid proof passes with
//! probability at most `1 / (2^128 − 1)`. The `r_i` must be unpredictable to the prover: the
//! operating system's generator in production, a seeded one only in tests.

use crate::error::VerifyError;
use crate::groth16::{PreparedVerifyingKey, Proof};
use crate::single::{check_points, expected_inputs, verify_one};
use ark_bn254::{Bn254, Fq12, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use std::borrow::Borrow;

/// `items.par_iter()` with the `parallel` feature, `items.iter()` without.
macro_rules! maybe_par_iter {
    ($items:expr) => {{
        #[cfg(feature = "parallel")]
        let iter = $items.par_iter();
        #[cfg(not(feature = "parallel"))]
        let iter = $items.iter();
        iter
    }};
}

/// Threads the proof pairs are split over: rayon's pool, or one without `parallel`.
fn threads() -> usize {
    #[cfg(feature = "parallel")]
    let threads = rayon::current_num_threads().max(1);
    #[cfg(not(feature = "parallel"))]
    let threads = 1;
    threads
}

/// A nonzero uniformly random 128-bit scalar.
fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> u128 {
    loop {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        let r = u128::from_le_bytes(bytes);
        if r != 0 {
            return r;
        }
    }
}

/// Verifies many proofs under one verifying key at once (see the [module docs](self)).
///
/// `items` are `(public inputs, proof)` pairs; `rng` draws the 128-bit combination scalars
/// and must be a cryptographic generator the prover cannot predict (`OsRng`).
///
/// # Errors
/// [`VerifyError::PublicInputLength`] if any item has not as many inputs as the key takes;
/// [`VerifyError::InvalidPoint`] for a proof point outside the group; if the combined check
/// fails, every proof is checked on its own and the first failing one is named:
/// [`VerifyError::InvalidProof`] with `chunk: Some(position in items)`.
pub fn batch_verify<I, P, R>(
    pvk: &PreparedVerifyingKey<Bn254>,
    items: &[(I, P)],
    rng: &mut R,
) -> Result<(), VerifyError>
where
    I: AsRef<[Fr]> + Sync,
    P: Borrow<Proof<Bn254>> + Sync,
    R: RngCore + CryptoRng,
{
    let vk = &pvk.vk;
    let expected = expected_inputs(vk)?;
    if let Some((inputs, _)) = items.iter().find(|(x, _)| x.as_ref().len() != expected) {
        return Err(VerifyError::PublicInputLength {
            expected,
            got: inputs.as_ref().len(),
        });
    }
    let checked: Vec<Result<(), VerifyError>> = maybe_par_iter!(items)
        .enumerate()
        .map(|(i, (_, proof))| check_points(proof.borrow(), Some(i)))
        .collect();
    checked.into_iter().collect::<Result<(), _>>()?;

    match items {
        [] => return Ok(()),
        [(inputs, proof)] => return verify_one(pvk, inputs.as_ref(), proof.borrow(), Some(0)),
        _ => {}
    }

    let rs: Vec<u128> = items.iter().map(|_| random_scalar(rng)).collect();
    let rs_fr: Vec<Fr> = rs.iter().map(|&r| Fr::from(r)).collect();

    // Σ r_i·IC(x_i) = (Σ r_i)·IC_0 + Σ_j (Σ_i r_i·x_ij)·IC_j.
    let mut ic_scalars = vec![Fr::zero(); expected + 1];
    for (r, (inputs, _)) in rs_fr.iter().zip(items) {
        ic_scalars[0] += r;
        for (s, x) in ic_scalars[1..].iter_mut().zip(inputs.as_ref()) {
            *s += *r * x;
        }
    }
    let r_sum = ic_scalars[0];
    let ic = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &ic_scalars);
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.borrow().c).collect();
    let c_sum = G1Projective::msm_unchecked(&cs, &rs_fr);
    let alpha_neg = vk.alpha_g1 * -r_sum;

    // Π e(r_i·A_i, B_i): one group of pairs per thread, so that the B_i are prepared (their
    // line coefficients computed) in parallel. (A Miller loop of our own computing the lines
    // on the fly saved only 7–9% of a 16–64 proof batch: benches/README.md.)
    let per_group = items.len().div_ceil(threads());
    #[cfg(feature = "parallel")]
    let groups = items.par_chunks(per_group).zip(rs.par_chunks(per_group));
    #[cfg(not(feature = "parallel"))]
    let groups = items.chunks(per_group).zip(rs.chunks(per_group));
    let proofs_part: Fq12 = groups
        .map(|(group, rs)| {
            let ra: Vec<G1Projective> = group
                .iter()
                .zip(rs)
                .map(|((_, proof), &r)| proof.borrow().a * Fr::from(r))
                .collect();
            let ra = G1Projective::normalize_batch(&ra);
            let bs: Vec<G2Affine> = group.iter().map(|(_, proof)| proof.borrow().b).collect();
            Bn254::multi_miller_loop(ra, bs).0
        })
        .product();
    // e(Σ r_i·IC(x_i), −γ) · e(Σ r_i·C_i, −δ) · e(−(Σ r_i)·α, β), with γ and δ prepared.
    let fixed = G1Projective::normalize_batch(&[ic, c_sum, alpha_neg]);
    let key_part = Bn254::multi_miller_loop(
        fixed,
        [
            pvk.gamma_g2_neg_pc.clone(),
            pvk.delta_g2_neg_pc.clone(),
            vk.beta_g2.into(),
        ],
    );

    let miller = MillerLoopOutput(proofs_part * key_part.0);
    if Bn254::final_exponentiation(miller).is_some_and(|t| t.0.is_one()) {
        return Ok(());
    }

    // Name the culprit: each proof on its own.
    let single: Vec<Result<(), VerifyError>> = maybe_par_iter!(items)
        .enumerate()
        .map(|(i, (inputs, proof))| verify_one(pvk, inputs.as_ref(), proof.borrow(), Some(i)))
        .collect();
    single
        .into_iter()
        .find(Result::is_err)
        .unwrap_or(Err(VerifyError::InvalidProof { chunk: None }))
}
