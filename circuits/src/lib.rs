//! zkbackup's native code and R1CS gadgets, side by side: circomlib's Poseidon over BN254,
//! the LeanIMT state tree, and records.
//!
//! The gadgets (`constraints` modules) sit behind the default `r1cs` feature, so the
//! verifier can use the native code without the constraint system.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backup;
pub mod chunk;
pub mod cipher;
pub mod commitment;
#[cfg(feature = "r1cs")]
pub mod counts;
pub mod field;
pub mod fs;
pub mod lean_imt;
pub mod poseidon;
pub mod records;
#[cfg(feature = "r1cs")]
pub mod soundness;

/// The BN254 scalar field, the field of every value zkbackup hashes, encrypts and proves.
pub use ark_bn254::Fr;
