//! `ChunkCircuit`: the Groth16 circuit of one chunk; mirrors [`super::ChunkWitness::public`].
//!
//! Layout (for `N` record slots of arity `a`):
//! - public inputs `chunk_root, commitment, key_commitment, nonce, count` (that order);
//! - witnesses: the key `(k0, k1)`, `N·a` record fields (zero past `count` records), and
//!   the gadgets' internal values.
//!
//! Constraints:
//! 1. `Poseidon(domain, k0, k1) = key_commitment` — the one escrowed key;
//! 2. presence flags `1…1 0…0` with `Σ = count`, `1 ≤ count ≤ N`;
//! 3. `leaf_i = Poseidon(record_i)`, and the LeanIMT root of the present leaves is
//!    `chunk_root`;
//! 4. the ciphertext of the present records' fields under the key and `nonce` (absent
//!    slots pinned to zero), laid out zero-extended;
//! 5. its commitment (over its real length `3·ceil(count·a/3) + 1`) is `commitment`.
//!
//! # Security
//! Every witness is fixed by the public inputs and the key: the key by its commitment
//! (collision resistance of Poseidon), each present record by its leaf through the root,
//! each absent record slot by the zero pin, the internal values by their gadgets. The
//! under-constraint test perturbs each witness and expects a failure. The nonce is not
//! range-checked here: the verifier compares it with the backup file's 128-bit nonce.

use crate::cipher::CipherVar;
use crate::commitment::CommitmentVar;
use crate::lean_imt::LeanImtVar;
use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::{
    alloc::AllocVar,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use zkbackup_core::chunk::{ChunkPublic, ChunkShape, ChunkWitness};
use zkbackup_core::cipher::RATE;
use zkbackup_core::commitment::GROUP;
use zkbackup_core::escrow_key::key_commitment_domain;

/// The circuit of one chunk. With `witness: None` it synthesizes the shape alone (setup).
#[derive(Clone)]
pub struct ChunkCircuit {
    /// The circuit's shape; fixes the constraint system.
    shape: ChunkShape,
    /// The prover's data and the public values it proves, absent at setup.
    witness: Option<(ChunkWitness, ChunkPublic)>,
}

impl ChunkCircuit {
    /// The circuit for setup: shape only.
    pub fn setup(shape: ChunkShape) -> Self {
        Self {
            shape,
            witness: None,
        }
    }

    /// The circuit for proving `witness`; its public values are computed here, once.
    pub fn prove(witness: ChunkWitness) -> Self {
        let public = witness.public();
        Self {
            shape: witness.shape,
            witness: Some((witness, public)),
        }
    }

    /// The circuit's shape.
    pub fn shape(&self) -> ChunkShape {
        self.shape
    }

    /// The public values a proving circuit proves (`None` for setup).
    pub fn public(&self) -> Option<ChunkPublic> {
        self.witness.as_ref().map(|(_, public)| *public)
    }
}

fn value<T: Copy>(v: Option<T>) -> Result<T, SynthesisError> {
    v.ok_or(SynthesisError::AssignmentMissing)
}

impl ConstraintSynthesizer<Fr> for ChunkCircuit {
    #[tracing::instrument(target = "gr1cs", skip_all, fields(arity = self.shape.arity, chunk_size = self.shape.chunk_size))]
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs, &mut |_, _| {})
    }
}

impl ChunkCircuit {
    /// Synthesizes the circuit, calling `probe(component, constraints so far)` after each
    /// component (`fixed`, `tree`, `leaf`, `tree`, `cipher`, `commitment`), so the cost
    /// breakdown is measured on the real circuit.
    pub fn synthesize(
        self,
        cs: ConstraintSystemRef<Fr>,
        probe: &mut dyn FnMut(&'static str, usize),
    ) -> Result<(), SynthesisError> {
        let ChunkShape { arity, chunk_size } = self.shape;
        let public = self.public();
        let w = self.witness.as_ref().map(|(w, _)| w);

        // Public inputs, in the documented order.
        let chunk_root = FpVar::new_input(cs.clone(), || value(public.map(|p| p.chunk_root)))?;
        let commitment =
            FpVar::new_input(cs.clone(), || value(public.map(|p| p.chunk_commitment)))?;
        let key_commitment =
            FpVar::new_input(cs.clone(), || value(public.map(|p| p.key_commitment)))?;
        let nonce = FpVar::new_input(cs.clone(), || value(public.map(|p| p.nonce)))?;
        let count = FpVar::new_input(cs.clone(), || value(public.map(|p| p.count)))?;

        // 1. The key and its commitment.
        let key = w.map(|w| *w.key.elements());
        let key = [
            FpVar::new_witness(cs.clone(), || value(key.map(|k| k[0])))?,
            FpVar::new_witness(cs.clone(), || value(key.map(|k| k[1])))?,
        ];
        let domain = FpVar::constant(key_commitment_domain());
        PoseidonVar::hash(&[domain, key[0].clone(), key[1].clone()])?
            .enforce_equal(&key_commitment)?;
        probe("fixed", cs.num_constraints());

        // Record fields, zero past the last record.
        let slots = self.shape.slots();
        let fields = (0..slots)
            .map(|i| {
                FpVar::new_witness(cs.clone(), || {
                    value(w.map(|w| w.records.get(i).copied().unwrap_or_else(Fr::zero)))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        // 2. Which record slots are in use.
        let present = LeanImtVar::presence(cs.clone(), &count, chunk_size)?;
        probe("tree", cs.num_constraints());

        // 3. Leaves and the chunk root.
        let leaves = fields
            .chunks(arity)
            .map(PoseidonVar::hash)
            .collect::<Result<Vec<_>, _>>()?;
        probe("leaf", cs.num_constraints());
        LeanImtVar::chunk_root(&leaves, &present)?.enforce_equal(&chunk_root)?;
        probe("tree", cs.num_constraints());

        // 4. The ciphertext, laid out over 3·ceil(slots/3) + 1 positions.
        let field_present: Vec<_> = (0..slots).map(|i| present[i / arity].clone()).collect();
        let length = &count * Fr::from(arity as u64);
        let layout = CipherVar::encrypt(&key, &nonce, &fields, &field_present, &length)?;
        probe("cipher", cs.num_constraints());

        // 5. Its commitment over the real length L = 3·B + 1 (B blocks in use).
        let blocks = slots.div_ceil(RATE);
        let block_in_use = |b: usize| -> FpVar<Fr> {
            if b < blocks {
                FpVar::from(field_present[b * RATE].clone())
            } else {
                FpVar::zero()
            }
        };
        let used_blocks = (0..blocks).fold(FpVar::zero(), |acc, b| acc + block_in_use(b));
        let real_length = used_blocks * Fr::from(RATE as u64) + Fr::from(1u64);
        // [position 3b < L] = (b == 0) or block b−1 in use; group g starts at 3·(5g).
        let starts_real = |position: usize| -> FpVar<Fr> {
            let b = position / RATE;
            if b == 0 {
                FpVar::one()
            } else {
                block_in_use(b - 1)
            }
        };
        let groups = layout.len().div_ceil(GROUP);
        let last_group: Vec<FpVar<Fr>> = (0..groups)
            .map(|g| starts_real(g * GROUP) - starts_real((g + 1) * GROUP))
            .collect();
        CommitmentVar::chunk_commitment(&layout, &real_length, &last_group)?
            .enforce_equal(&commitment)?;
        probe("commitment", cs.num_constraints());
        Ok(())
    }
}
