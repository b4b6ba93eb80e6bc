//! R1CS gadget for circomlib's Poseidon; mirrors [`zkbackup_core::poseidon::permute`] and [`zkbackup_core::poseidon::hash`].
//!
//! Cost: three constraints per S-box on a variable (`x²`, `x⁴`, `x⁵`); round constants and
//! matrices are linear and free. The capacity lane starts at the constant 0, so the first
//! round's S-box on it is constant too: `3·(8t + R_P) − 3` constraints per hash, the same
//! as circom 2 `--O2` on circomlib (240 for 2 inputs, 297 for 4, 609 for 16).
//!
//! # Security
//! The output is fully determined by the inputs: every S-box output is a new witness bound
//! by its three multiplication constraints, and every other lane is a linear combination of
//! constrained values. Nothing about the inputs is constrained (range, distinctness): that
//! is the caller's job.

use ark_bn254::Fr;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::SynthesisError;
use zkbackup_core::poseidon::{params, FULL_ROUNDS, MAX_INPUTS};

/// The Poseidon gadget (the in-circuit twin of [`zkbackup_core::poseidon::hash`] and [`zkbackup_core::poseidon::permute`]).
pub struct PoseidonVar;

fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

fn mix(state: &[FpVar<Fr>], m: &[Vec<Fr>]) -> Vec<FpVar<Fr>> {
    m.iter()
        .map(|row| {
            row.iter()
                .zip(state)
                .fold(FpVar::zero(), |acc, (c, s)| acc + s * *c)
        })
        .collect()
}

impl PoseidonVar {
    /// The Poseidon permutation of width `state.len()` (2 to 17), in place; mirrors
    /// [`zkbackup_core::poseidon::permute`] (same optimized schedule, so the linear combinations stay short).
    #[tracing::instrument(target = "gr1cs", skip_all, fields(width = state.len()))]
    pub fn permute(state: &mut [FpVar<Fr>]) -> Result<(), SynthesisError> {
        let p = params(state.len());
        let half = FULL_ROUNDS / 2;
        for (r, constants) in p.opt_first_constants.iter().enumerate() {
            for (s, c) in state.iter_mut().zip(constants) {
                *s = sbox(&(&*s + *c))?;
            }
            let m = if r + 1 == half {
                &p.opt_pre_sparse
            } else {
                &p.mds
            };
            let mixed = mix(state, m);
            state.clone_from_slice(&mixed);
        }
        for (c, sm) in p.opt_partial_constants.iter().zip(&p.opt_sparse) {
            let s0 = sbox(&(&state[0] + *c))?;
            let mut new0 = &s0 * sm.a;
            for ((s, r), col) in state[1..].iter_mut().zip(&sm.row).zip(&sm.col) {
                new0 += &*s * *r;
                *s += &s0 * *col;
            }
            state[0] = new0;
        }
        for constants in &p.opt_last_constants {
            for (s, c) in state.iter_mut().zip(constants) {
                *s = sbox(&(&*s + *c))?;
            }
            let mixed = mix(state, &p.mds);
            state.clone_from_slice(&mixed);
        }
        Ok(())
    }

    /// circomlib's `Poseidon(n)` of 1 to 16 inputs; mirrors [`zkbackup_core::poseidon::hash`].
    pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
        if inputs.is_empty() || inputs.len() > MAX_INPUTS {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut state = Vec::with_capacity(inputs.len() + 1);
        state.push(FpVar::zero());
        state.extend_from_slice(inputs);
        Self::permute(&mut state)?;
        Ok(state.swap_remove(0))
    }

    /// `Poseidon(a, b)`, the LeanIMT node hash; mirrors [`zkbackup_core::poseidon::hash2`].
    pub fn hash2(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        Self::hash(&[a.clone(), b.clone()])
    }
}
