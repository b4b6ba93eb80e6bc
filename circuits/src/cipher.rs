//! R1CS gadget for the Poseidon cipher; mirrors [`super::encrypt`] (block by block, as
//! [`super::Duplex`] lays it out).
//!
//! The chunk circuit has a fixed number of message slots, but the last chunk of a backup
//! may be partial, so the real message length `n` is a variable. [`CipherVar::encrypt`]
//! takes per-slot presence flags (a prefix, made by the caller) and returns the ciphertext
//! laid out in `3·ceil(slots/3) + 1` positions: the real ciphertext of `n` elements
//! (`3·ceil(n/3)` elements, then the tag) followed by zeros. That is exactly the native
//! ciphertext zero-extended to the slot layout, which is what the chunk commitment hashes.
//!
//! Cost per block of three slots: one width-4 permutation (264 constraints), four products
//! to select the state the tag is taken from, three to zero unused positions, one to place
//! the tag, and one per slot to pin absent message slots to zero; plus one permutation for
//! the tag.
//!
//! # Security
//! - The key, nonce and message enter only through the permutation input, so the output is
//!   fully determined by them and by the length `n = Σ present`.
//! - Absent message slots are constrained to zero (`m·(1 − present) = 0`), so the padding of
//!   the last block is zero as the scheme requires, and no data hides in unused slots.
//! - The "block `b` is the last" flags are differences of adjacent presence flags; for a
//!   prefix (which the caller must enforce) exactly one is 1, so exactly one state feeds
//!   the tag and the tag lands at position `3·ceil(n/3)`.

use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_r1cs_std::{
    boolean::Boolean,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::SynthesisError;
use zkbackup_core::cipher::{two_pow_128, RATE, WIDTH};

/// The cipher gadget (the in-circuit twin of [`super::encrypt`]).
pub struct CipherVar;

impl CipherVar {
    /// Encrypts the present prefix of `message` under `key` and `nonce`.
    ///
    /// `present[i]` says whether slot `i` holds a message element; the flags must form a
    /// prefix (the caller constrains that) and `length` must equal their sum (the caller
    /// passes the same linear combination). Returns `3·ceil(slots/3) + 1` positions: the
    /// native ciphertext of the prefix, then zeros.
    #[tracing::instrument(target = "gr1cs", skip_all, fields(slots = message.len()))]
    pub fn encrypt(
        key: &[FpVar<Fr>; 2],
        nonce: &FpVar<Fr>,
        message: &[FpVar<Fr>],
        present: &[Boolean<Fr>],
        length: &FpVar<Fr>,
    ) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
        if message.is_empty() || present.len() != message.len() {
            return Err(SynthesisError::Unsatisfiable);
        }
        let blocks = message.len().div_ceil(RATE);
        let flag = |i: usize| -> FpVar<Fr> {
            present
                .get(i)
                .map_or(FpVar::zero(), |b| FpVar::from(b.clone()))
        };

        // Absent slots hold zero.
        for (m, p) in message.iter().zip(present) {
            m.mul_equals(&(FpVar::one() - FpVar::from(p.clone())), &FpVar::zero())?;
        }

        let mut state: [FpVar<Fr>; WIDTH] = [
            FpVar::zero(),
            key[0].clone(),
            key[1].clone(),
            nonce + length * two_pow_128(),
        ];
        let mut ciphertext = Vec::with_capacity(blocks * RATE + 1);
        // Σ_b last_b · (state after block b): the state the tag permutation starts from.
        let mut tag_input: [FpVar<Fr>; WIDTH] =
            [FpVar::zero(), FpVar::zero(), FpVar::zero(), FpVar::zero()];
        let mut last_flags = Vec::with_capacity(blocks);
        for b in 0..blocks {
            PoseidonVar::permute(&mut state)?;
            for j in 0..RATE {
                if let Some(m) = message.get(b * RATE + j) {
                    state[1 + j] += m;
                }
                ciphertext.push(state[1 + j].clone());
            }
            // Block b (0-based) is the last iff its first slot is present and the next
            // block's first slot is not.
            let last = flag(b * RATE) - flag((b + 1) * RATE);
            for (acc, lane) in tag_input.iter_mut().zip(&state) {
                *acc += &last * lane;
            }
            last_flags.push(last);
        }
        let mut tag_state = tag_input;
        PoseidonVar::permute(&mut tag_state)?;
        let tag = tag_state[1].clone();

        // Zero the positions of blocks past the real length, then place the tag right after
        // the last real block.
        let mut out = Vec::with_capacity(blocks * RATE + 1);
        for (i, c) in ciphertext.iter().enumerate() {
            let in_use = flag((i / RATE) * RATE);
            let mut v = in_use * c;
            if i % RATE == 0 && i > 0 {
                v += &last_flags[i / RATE - 1] * &tag;
            }
            out.push(v);
        }
        out.push(&last_flags[blocks - 1] * &tag);
        Ok(out)
    }
}
