//! zkbackup's off-chain verifier: reads a proof bundle, checks every chunk's Groth16 proof
//! (BN254) in one batch, recombines the chunk values into the state root `R` and the backup
//! commitment `C`, and compares them with what the caller trusts ([`Expected`]: the chain's
//! root and tree size, the escrowed key's commitment), the verifying key's shape and, if
//! given, the backup file. Reads and writes the verifying key in snarkjs's JSON format too.
//!
//! Small on purpose: it depends on the native half of `zkbackup-circuits` only (no
//! constraint system, no prover).
//!
//! - [`bundle`]: the JSON proof bundle, strict reading, atomic writing, [`circuit_id`];
//! - [`verify`]: [`verify_chunk`], [`verify_bundle`], [`Expected`] and [`VerifyError`];
//! - [`batch`]: [`batch_verify`], one multi-Miller loop for many proofs;
//! - [`keys`]: verifying keys on disk;
//! - [`snarkjs`]: `verification_key.json` (export and import), `proof_<i>.json`,
//!   `public_<i>.json`;
//! - [`vk_file`]: a verifying key in any of its forms, and the chunk shape beside it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod bundle;
mod encoding;
pub mod keys;
pub mod snarkjs;
mod subgroup;
pub mod verify;
pub mod vk_file;

pub use ark_bn254::{Bn254, Fr};
pub use ark_groth16::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};
pub use batch::batch_verify;
pub use bundle::{
    circuit_id, read_bundle, write_bundle, Bundle, BundleError, ChunkProof, FieldPath,
    BUNDLE_VERSION,
};
pub use encoding::{to_hex, FieldKind};
pub use keys::{read_verifying_key, write_verifying_key, KeyError};
pub use verify::{
    verify_bundle, verify_bundle_with_rng, verify_chunk, BackupChunk, BackupSummary, Expected,
    PointProblem, Summary, VerifyError,
};
pub use vk_file::{load_verifying_key, LoadedKey, VkFileError, VkForm};
pub use zkbackup_core::chunk::{
    split_nonce, ChunkPublic, ChunkShape, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES,
};
