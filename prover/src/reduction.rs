//! The two R1CS-to-QAP reductions a chunk proof can use, and which one a key was made for.
//!
//! - [`Reduction::Libsnark`]: arkworks' default ([`LibsnarkReduction`]); keys from `zkbackup
//!   setup` are made for it.
//! - [`Reduction::Circom`]: the reduction snarkjs zkeys are made for ([`CircomReduction`]); keys
//!   imported from a ceremony (`zkbackup ceremony import`) use it.
//!
//! A proof made with one reduction under a key made for the other does not verify: the H
//! query of the key and the prover's H polynomial must agree.
//!
//! # Why our own `CircomReduction`
//! The `ark-circom` crate has one, but depending on it pulls wasmer, cranelift and bindgen into
//! the build (246 crates: 7 min 18 s to compile on this 2-core machine, measured) for ~60 lines
//! of arithmetic, and its zkey reader panics on hostile input.
//! Correctness is checked where it matters: proofs we make under a snarkjs zkey verify with
//! `snarkjs groth16 verify`, and snarkjs proves under keys our setup makes with this reduction
//! (`cli/tests/ceremony_cli.rs`, `tests/tests/snarkjs.rs`).

use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use ark_relations::utils::matrix::Matrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Which QAP reduction proofs under a key must use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// arkworks' (and libsnark's): keys from `zkbackup setup`.
    #[default]
    Libsnark,
    /// snarkjs': keys imported from a snarkjs `.zkey`.
    Circom,
}

/// The QAP reduction of snarkjs (and rapidsnark).
///
/// Over the domain `D` of size `n` (the smallest power of two holding the constraints and one
/// row per instance variable, as in [`LibsnarkReduction`]), the prover evaluates
/// `A·z` and `B·z` per row, sets `C·z = (A·z)(B·z)` (true for a satisfying assignment, and
/// zero on the instance rows where `B` is zero), and interpolates the three. Instead of
/// dividing `A·B − C` by the vanishing polynomial, it evaluates `A·B − C` on the coset
/// `ω₂ₙ·D` (the odd points of the domain of size `2n`). There `A·B − C = H·Z`, and the key's H
/// query holds `L'_{2j+1}(τ)/δ`, the Lagrange polynomials of the `2n`-domain at the odd points:
/// since `H·Z` has degree below `2n` and vanishes on `D` (the even points), its value at `τ`
/// is `Σ_j (A·B − C)(ω₂ₙ^{2j+1}) · L'_{2j+1}(τ)`.
pub struct CircomReduction;

/// The coset generator `ω₂ₙ` of `domain` (size `n`): a primitive `2n`-th root of unity.
fn odd_coset<F: PrimeField, D: EvaluationDomain<F>>(domain: &D) -> Result<D, SynthesisError> {
    let generator = F::get_root_of_unity(2 * domain.size() as u64)
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    domain
        .get_coset(generator)
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)
}

impl R1CSToQAP for CircomReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        // The same A, B, C polynomials (instance rows included) and domain as libsnark's.
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let domain =
            D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let coset = odd_coset(&domain)?;
        let n = domain.size();
        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        a[..num_constraints]
            .par_iter_mut()
            .zip(&mut b[..num_constraints])
            .zip(&matrices[0])
            .zip(&matrices[1])
            .for_each(|(((a, b), a_row), b_row)| {
                *a = evaluate_constraint(a_row, full_assignment);
                *b = evaluate_constraint(b_row, full_assignment);
            });
        // One row `z_i · 0 = 0` per instance variable, as both snarkjs and libsnark add.
        a[num_constraints..num_constraints + num_inputs]
            .copy_from_slice(&full_assignment[..num_inputs]);
        let mut c: Vec<F> = a.par_iter().zip(&b).map(|(a, b)| *a * b).collect();

        for evaluations in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(evaluations);
            coset.fft_in_place(evaluations);
        }
        a.par_iter_mut()
            .zip(&b)
            .zip(&c)
            .for_each(|((a, b), c)| *a = *a * b - c);
        Ok(a)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // `max_power` is n − 1: the generator passes the domain size minus one.
        let double = D::new(2 * (max_power + 1)).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        Ok(double
            .evaluate_all_lagrange_coefficients(t)
            .into_par_iter()
            .skip(1)
            .step_by(2)
            .map(|l| l * delta_inverse)
            .collect())
    }
}
