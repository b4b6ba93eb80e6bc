//! Helpers for soundness tests: overwrite one witness value of a synthesized, satisfied
//! constraint system and ask whether it is still satisfied.
//!
//! A sound gadget leaves no witness free: every witness variable is determined by the
//! public inputs and the other witnesses, so changing one alone breaks some constraint.
//! [`free_witnesses`] lists those that do not, for a test to compare with the list of
//! variables that are free by design.

use ark_bn254::Fr;
use ark_ff::One;
use ark_relations::gr1cs::ConstraintSystemRef;

/// Inlines the linear combinations and drops their cached values, so that the satisfaction
/// check re-evaluates every constraint from the instance and witness assignments.
pub fn prepare(cs: &ConstraintSystemRef<Fr>) {
    cs.finalize();
    if let Some(mut inner) = cs.borrow_mut() {
        inner.assignments.lc_assignment.clear();
    }
}

/// Whether the system is satisfied after `mutate` changes its witness assignment; the
/// assignment is restored afterwards. Call [`prepare`] once first.
pub fn satisfied_with(cs: &ConstraintSystemRef<Fr>, mutate: impl FnOnce(&mut Vec<Fr>)) -> bool {
    let saved = cs
        .borrow()
        .map(|inner| inner.assignments.witness_assignment.clone())
        .unwrap_or_default();
    if let Some(mut inner) = cs.borrow_mut() {
        mutate(&mut inner.assignments.witness_assignment);
    }
    let satisfied = cs.is_satisfied().unwrap_or(false);
    if let Some(mut inner) = cs.borrow_mut() {
        inner.assignments.witness_assignment = saved;
    }
    satisfied
}

/// The witness indices (among `indices`) whose value can be changed, alone, by adding one,
/// without breaking any constraint.
pub fn free_witnesses(
    cs: &ConstraintSystemRef<Fr>,
    indices: impl IntoIterator<Item = usize>,
) -> Vec<usize> {
    indices
        .into_iter()
        .filter(|&i| satisfied_with(cs, |w| w[i] += Fr::one()))
        .collect()
}
