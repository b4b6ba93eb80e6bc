//! zkbackup's native core: the values every other crate computes or checks, with nothing
//! else. No files, no constraint system, no proofs; builds for `wasm32-unknown-unknown`
//! with `--no-default-features`.
//!
//! - [`field`]: the BN254 scalar field's canonical decimal and hex text forms;
//! - [`poseidon`]: circomlib's Poseidon (1 to 16 inputs);
//! - [`lean_imt`]: the LeanIMT root of @zk-kit/lean-imt;
//! - [`cipher`]: @zk-kit/poseidon-cipher encryption and decryption;
//! - [`commitment`]: a chunk's ciphertext commitment and the backup commitment;
//! - [`escrow_key`]: the escrow key and its commitment `K`;
//! - [`babyjubjub`]: Baby Jubjub in zk-kit's coordinates (trustee keys, ECDH);
//! - [`trustee_key`]: trustee key pairs (BLAKE-512 derivation, as @zk-kit/eddsa-poseidon) and ECDH;
//! - [`escrow`]: the k-of-n escrow: Shamir shares, their encryption to trustees, the digest, recovery;
//! - [`chunk`]: a chunk's shape, witness, public values and nonce layout.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod babyjubjub;
pub mod chunk;
pub mod cipher;
pub mod commitment;
pub mod escrow;
pub mod escrow_key;
pub mod field;
pub mod lean_imt;
pub mod poseidon;
pub mod trustee_key;

/// The BN254 scalar field, the field of every value zkbackup hashes, encrypts and proves.
pub use ark_bn254::Fr;
pub use escrow_key::EscrowKey;
