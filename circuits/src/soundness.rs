//! Helpers for soundness tests: overwrite one witness value of a synthesized, satisfied
//! constraint system and ask whether it is still satisfied.
//!
//! A sound gadget leaves no witness free: every witness variable is determined by the
//! public inputs and the other witnesses, so changing one alone breaks some constraint.
//! [`free_witnesses`] lists those that do not, for a test to compare with the list of
//! variables that are free by design.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, R1CS_PREDICATE_LABEL};

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
/// without breaking any constraint. Call [`prepare`] once first; the system must be
/// satisfied (asserted here).
///
/// The answer is the one [`satisfied_with`] gives index by index, computed without
/// re-checking the whole system for each index: the R1CS matrices (as the Groth16 prover
/// derives them) are evaluated once at the assignment `z`; adding one to witness `i` changes
/// only the rows whose A, B or C part has a term in `i`, each by that term's coefficient, so
/// the witness is free exactly when each of those rows still satisfies `a·b = c`. Every other
/// row is unchanged, and satisfied since the system is. This is linear in the matrices'
/// size instead of quadratic (a full check per index), which makes checking every witness
/// of a chunk circuit affordable.
pub fn free_witnesses(
    cs: &ConstraintSystemRef<Fr>,
    indices: impl IntoIterator<Item = usize>,
) -> Vec<usize> {
    let mut matrices = cs.to_matrices().expect("a constraint system in prove mode");
    let labels: Vec<_> = matrices.keys().cloned().collect();
    assert_eq!(labels, [R1CS_PREDICATE_LABEL], "R1CS constraints only");
    let Some([a, b, c]) = matrices
        .remove(R1CS_PREDICATE_LABEL)
        .and_then(|m| <[Matrix<Fr>; 3]>::try_from(m).ok())
    else {
        panic!("R1CS has three matrices");
    };
    let (z, num_instance) = {
        let inner = cs.borrow().expect("a constraint system");
        let instance = &inner.assignments.instance_assignment;
        let witness = &inner.assignments.witness_assignment;
        let z: Vec<Fr> = instance.iter().chain(witness).copied().collect();
        (z, instance.len())
    };
    let eval = |m: &Matrix<Fr>| -> Vec<Fr> {
        m.iter()
            .map(|row| row.iter().map(|&(coeff, j)| coeff * z[j]).sum())
            .collect()
    };
    let (az, bz, cz) = (eval(&a), eval(&b), eval(&c));
    let broken = (0..a.len()).find(|&r| az[r] * bz[r] != cz[r]);
    assert_eq!(broken, None, "the unchanged system must be satisfied");
    // The rows of each column of z, in A, B or C.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); z.len()];
    for m in [&a, &b, &c] {
        for (r, row) in m.iter().enumerate() {
            for &(_, j) in row {
                rows[j].push(r);
            }
        }
    }
    // A row may name a column more than once: its coefficient is the sum.
    let coefficient = |row: &[(Fr, usize)], col: usize| -> Fr {
        row.iter()
            .filter(|&&(_, j)| j == col)
            .map(|&(coeff, _)| coeff)
            .sum()
    };
    indices
        .into_iter()
        .filter(|&i| {
            let col = num_instance + i;
            rows[col].iter().all(|&r| {
                (az[r] + coefficient(&a[r], col)) * (bz[r] + coefficient(&b[r], col))
                    == cz[r] + coefficient(&c[r], col)
            })
        })
        .collect()
}
