//! R1CS gadget for the chunk ciphertext commitment; mirrors
//! [`super::chunk_commitment`] for a ciphertext laid out in a fixed number of
//! positions whose real length is a variable.
//!
//! # Security
//! The result is `h_G` for the real length `L`: every group's chain value is computed, and
//! exactly one is selected by the caller's one-hot "group `g` is the last" flags. The
//! caller must make those flags one-hot and consistent with `L`, and the positions past `L`
//! zero (the cipher gadget's layout is), so the last real group is zero-padded as natively.

use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::SynthesisError;
use zkbackup_core::commitment::GROUP;

/// The commitment gadget (the in-circuit twin of [`super::chunk_commitment`]).
pub struct CommitmentVar;

impl CommitmentVar {
    /// The commitment of the first `length` positions of `layout`, where `last_group[g]`
    /// is 1 exactly for the group holding position `length − 1` (and `layout` is zero past
    /// `length`).
    pub fn chunk_commitment(
        layout: &[FpVar<Fr>],
        length: &FpVar<Fr>,
        last_group: &[FpVar<Fr>],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        if last_group.len() != layout.len().div_ceil(GROUP) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut h = length.clone();
        let mut selected = FpVar::zero();
        for (group, last) in layout.chunks(GROUP).zip(last_group) {
            let mut input = Vec::with_capacity(GROUP + 1);
            input.push(h);
            input.extend_from_slice(group);
            input.resize(GROUP + 1, FpVar::zero());
            h = PoseidonVar::hash(&input)?;
            selected += last * &h;
        }
        Ok(selected)
    }
}
