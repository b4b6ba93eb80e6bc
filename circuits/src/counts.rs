//! Constraint counts of every gadget, measured in setup mode (no witness) and in prove mode
//! (with a witness); the two must agree or a proving key would not match its circuit.
//!
//! The table is pinned in `circuits/constraint_counts.csv`; `tests/constraint_counts.rs`
//! fails on any difference. Regenerate on purpose with
//! `UPDATE_CONSTRAINT_COUNTS=1 cargo test -p zkbackup-circuits --test integration constraint_counts`.

use crate::chunk::ChunkCircuit;
use crate::escrow::EscrowCircuit;
use crate::lean_imt::LeanImtVar;
use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode,
};
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::poseidon::MAX_INPUTS;

/// One measured gadget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// What was measured, e.g. `poseidon_4` (4 inputs) or `lean_imt_chunk_partial_256`.
    pub name: String,
    /// Constraints in setup mode (equal to prove mode, checked).
    pub constraints: usize,
}

/// The constraint counts of `build` in setup and prove mode: `(setup, prove)`.
pub fn setup_and_prove_counts(
    build: impl Fn(ConstraintSystemRef<Fr>) -> Result<(), SynthesisError>,
) -> Result<(usize, usize), SynthesisError> {
    let setup = ConstraintSystem::<Fr>::new_ref();
    setup.set_mode(SynthesisMode::Setup);
    build(setup.clone())?;
    let prove = ConstraintSystem::<Fr>::new_ref();
    build(prove.clone())?;
    if !prove.is_satisfied()? {
        return Err(SynthesisError::Unsatisfiable);
    }
    Ok((setup.num_constraints(), prove.num_constraints()))
}

fn witnesses(cs: &ConstraintSystemRef<Fr>, n: usize) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    (0..n)
        .map(|i| FpVar::new_witness(cs.clone(), || Ok(Fr::from(i as u64 + 1))))
        .collect()
}

fn measured(
    name: String,
    build: impl Fn(ConstraintSystemRef<Fr>) -> Result<(), SynthesisError>,
) -> Result<Count, SynthesisError> {
    let (setup, prove) = setup_and_prove_counts(build)?;
    if setup != prove {
        // A mismatch means the circuit's shape depends on the witness: a bug.
        return Err(SynthesisError::Unsatisfiable);
    }
    Ok(Count {
        name,
        constraints: setup,
    })
}

/// Every pinned count, in a stable order.
pub fn all() -> Result<Vec<Count>, SynthesisError> {
    let mut out = Vec::new();
    for n in 1..=MAX_INPUTS {
        out.push(measured(format!("poseidon_{n}"), |cs| {
            let inputs = witnesses(&cs, n)?;
            PoseidonVar::hash(&inputs).map(drop)
        })?);
    }
    for k in [1usize, 2, 4, 8] {
        let slots = 1 << k;
        out.push(measured(format!("lean_imt_chunk_full_{slots}"), |cs| {
            let leaves = witnesses(&cs, slots)?;
            LeanImtVar::full_chunk_root(&leaves).map(drop)
        })?);
        out.push(measured(format!("lean_imt_chunk_partial_{slots}"), |cs| {
            let leaves = witnesses(&cs, slots)?;
            let count = FpVar::new_witness(cs.clone(), || Ok(Fr::from(slots as u64 / 2 + 1)))?;
            let present = LeanImtVar::presence(cs.clone(), &count, slots)?;
            LeanImtVar::chunk_root(&leaves, &present).map(drop)
        })?);
    }
    for chunk_size in [1usize, 4, 16, 64] {
        let shape = ChunkShape::new(4, chunk_size).map_err(|_| SynthesisError::Unsatisfiable)?;
        for (component, constraints) in chunk_breakdown(shape)? {
            out.push(Count {
                name: format!("chunk_a4_n{chunk_size}_{component}"),
                constraints,
            });
        }
    }
    for (k, n) in [(2usize, 3usize), (3, 5)] {
        out.push(escrow_count(k, n)?);
    }
    Ok(out)
}

/// The escrow circuit of `k`-of-`n`, measured on a deal to random trustees (a fixed test
/// generator: the count does not depend on the values).
fn escrow_count(k: usize, n: usize) -> Result<Count, SynthesisError> {
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use zkbackup_core::escrow::{deal_with, EscrowShape};
    use zkbackup_core::trustee_key::TrusteeSecret;
    let unsatisfiable = |_| SynthesisError::Unsatisfiable;
    let shape = EscrowShape::new(k, n).map_err(unsatisfiable)?;
    let mut rng = StdRng::seed_from_u64(13);
    let key = zkbackup_core::EscrowKey::generate_with(&mut rng);
    let trustees: Vec<_> = (0..n)
        .map(|_| TrusteeSecret::generate_with(&mut rng).public_key())
        .collect();
    let deal = deal_with(&mut rng, &key, shape, &trustees).map_err(unsatisfiable)?;
    let setup = ConstraintSystem::<Fr>::new_ref();
    setup.set_mode(SynthesisMode::Setup);
    EscrowCircuit::setup(shape).generate_constraints(setup.clone())?;
    let prove = ConstraintSystem::<Fr>::new_ref();
    EscrowCircuit::from_deal(&deal).generate_constraints(prove.clone())?;
    if !prove.is_satisfied()? || prove.num_constraints() != setup.num_constraints() {
        return Err(SynthesisError::Unsatisfiable);
    }
    Ok(Count {
        name: format!("escrow_{k}_of_{n}"),
        constraints: setup.num_constraints(),
    })
}

/// Constraints of a chunk circuit in setup mode.
pub fn chunk_constraints(shape: ChunkShape) -> Result<usize, SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    ChunkCircuit::setup(shape).generate_constraints(cs.clone())?;
    Ok(cs.num_constraints())
}

/// Where a chunk circuit's constraints go, measured on the real circuit in setup mode:
/// `leaf` (record hashes), `tree` (presence flags and the chunk root), `cipher`,
/// `commitment`, `fixed` (the key commitment) and `total`.
pub fn chunk_breakdown(shape: ChunkShape) -> Result<Vec<(&'static str, usize)>, SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    let mut parts: Vec<(&'static str, usize)> = ["leaf", "tree", "cipher", "commitment", "fixed"]
        .into_iter()
        .map(|name| (name, 0))
        .collect();
    let mut before = 0;
    ChunkCircuit::setup(shape).synthesize(cs.clone(), &mut |name, now| {
        if let Some(part) = parts.iter_mut().find(|(n, _)| *n == name) {
            part.1 += now - before;
        }
        before = now;
    })?;
    parts.push(("total", cs.num_constraints()));
    Ok(parts)
}

/// The table as CSV (`name,constraints`, one row each).
pub fn to_csv(counts: &[Count]) -> String {
    let mut s = String::from("name,constraints\n");
    for c in counts {
        s.push_str(&format!("{},{}\n", c.name, c.constraints));
    }
    s
}
