//! zkbackup's native code and R1CS gadgets, side by side: circomlib's Poseidon over BN254,
//! the LeanIMT state tree, and records.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod poseidon;

/// The BN254 scalar field, the field of every value zkbackup hashes, encrypts and proves.
pub use ark_bn254::Fr;
