//! R1CS gadget for the root of one chunk of the LeanIMT; mirrors [`super::root`] on the
//! chunk's leaves (and so the level-`k` node of the whole tree, see [`super::chunk_roots`]).
//!
//! # Security
//! A chunk has a fixed number of leaf slots `2^k`; `present[i]` says whether slot `i` holds
//! a leaf. [`LeanImtVar::presence`] constrains the flags to a prefix (`1…1 0…0`) of length
//! `count ≥ 1`, so a partial chunk can neither skip a slot nor hide one. A node's value is
//! `Poseidon(left, right)` when its right child is present and the left child promoted
//! otherwise, exactly the native rule. Absent slots do not influence the root; whatever
//! the caller binds them to (the chunk circuit pins them to zero) is the caller's job.

use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_r1cs_std::{
    alloc::AllocVar,
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
    select::CondSelectGadget,
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// The chunk-root gadget (the in-circuit twin of [`super::root`] on one chunk).
pub struct LeanImtVar;

impl LeanImtVar {
    /// Prefix flags for `slots` leaf slots holding `count` leaves (`1 ≤ count ≤ slots`):
    /// `present[i] = (i < count)`. Two constraints per slot.
    pub fn presence(
        cs: ConstraintSystemRef<Fr>,
        count: &FpVar<Fr>,
        slots: usize,
    ) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
        let n = count.value().ok().map(|v| {
            let big: num_bigint::BigUint = v.into();
            usize::try_from(big).unwrap_or(usize::MAX)
        });
        let mut present = Vec::with_capacity(slots);
        for i in 0..slots {
            present.push(Boolean::new_witness(cs.clone(), || {
                n.map(|n| i < n).ok_or(SynthesisError::AssignmentMissing)
            })?);
        }
        // Slot 0 is always present: a chunk holds at least one record.
        present[0].enforce_equal(&Boolean::TRUE)?;
        // present[i+1] ⇒ present[i]: a prefix, so no slot is skipped.
        for pair in present.windows(2) {
            let next = FpVar::from(pair[1].clone());
            let gap = FpVar::one() - FpVar::from(pair[0].clone());
            next.mul_equals(&gap, &FpVar::zero())?;
        }
        let sum = present
            .iter()
            .fold(FpVar::zero(), |acc, b| acc + FpVar::from(b.clone()));
        sum.enforce_equal(count)?;
        Ok(present)
    }

    /// The LeanIMT root of the present leaves of one chunk (`leaves.len()` a power of two,
    /// `present` a prefix as made by [`Self::presence`]).
    #[tracing::instrument(target = "gr1cs", skip_all, fields(slots = leaves.len()))]
    pub fn chunk_root(
        leaves: &[FpVar<Fr>],
        present: &[Boolean<Fr>],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        if leaves.is_empty() || !leaves.len().is_power_of_two() || present.len() != leaves.len() {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut level = leaves.to_vec();
        let mut flags = present.to_vec();
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len() / 2);
            let mut next_flags = Vec::with_capacity(level.len() / 2);
            for (pair, pair_flags) in level.chunks(2).zip(flags.chunks(2)) {
                let hashed = PoseidonVar::hash2(&pair[0], &pair[1])?;
                next.push(FpVar::conditionally_select(
                    &pair_flags[1],
                    &hashed,
                    &pair[0],
                )?);
                next_flags.push(pair_flags[0].clone());
            }
            level = next;
            flags = next_flags;
        }
        Ok(level.swap_remove(0))
    }

    /// The root of a full chunk (every slot present): no selection constraints.
    pub fn full_chunk_root(leaves: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
        Self::chunk_root(leaves, &vec![Boolean::TRUE; leaves.len()])
    }
}
