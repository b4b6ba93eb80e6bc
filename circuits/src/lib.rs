//! zkbackup's R1CS, over BN254's scalar field: one gadget per native function of
//! `zkbackup_core`, each computing the same value, and the chunk circuit built from them.
//!
//! - [`poseidon`]: circomlib's Poseidon ([`poseidon::PoseidonVar`]);
//! - [`lean_imt`]: the LeanIMT root of a padded chunk ([`lean_imt::LeanImtVar`]);
//! - [`cipher`]: poseidon-cipher encryption;
//! - [`commitment`]: the chunk commitment of a ciphertext;
//! - [`chunk`]: the chunk circuit ([`chunk::ChunkCircuit`]), whose five public inputs are
//!   `zkbackup_core::chunk::ChunkPublic`;
//! - [`escrow`]: the k-of-n key escrow circuit ([`escrow::EscrowCircuit`]);
//! - [`counts`]: constraint counts, pinned in `constraint_counts.csv`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chunk;
pub mod cipher;
pub mod commitment;
pub mod counts;
pub mod escrow;
pub mod lean_imt;
pub mod poseidon;
#[cfg(feature = "test-utils")]
#[doc(hidden)]
pub mod soundness;
