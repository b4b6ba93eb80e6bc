//! zkbackup's off-chain verifier: reads a proof bundle, checks every chunk's Groth16 proof
//! (BN254) in one batch, recombines the chunk values into the state root `R` and the backup
//! commitment `C`, and compares them with what the caller trusts ([`Expected`]: the chain's
//! root and tree size, the escrowed key's commitment), the verifying key's shape and, if
//! given, the backup file. Reads and writes the verifying key in snarkjs's JSON format too.
//!
//! Small on purpose: it depends on `zkbackup-core` only (no constraint system, no prover, not
//! even ark-groth16: [`groth16`] has the verifier's side of it), and with
//! `--no-default-features` it builds for `wasm32-unknown-unknown`.
//!
//! - [`groth16`]: [`Proof`], [`VerifyingKey`], [`PreparedVerifyingKey`] (ark-groth16's
//!   layout and bytes);
//! - [`single`]: [`verify_chunk`], one proof;
//! - [`batch`]: [`batch_verify`], one multi-Miller loop for many proofs;
//! - [`verify`]: [`verify_bundle`] and its checks, [`Expected`], [`Summary`],
//!   [`BackupSummary`];
//! - [`error`]: why verification failed, [`VerifyError`];
//! - [`escrow`]: the escrow file (`escrow.json`) and [`escrow::verify_escrow`];
//! - [`bundle`]: the JSON proof bundle, strict parsing and rendering, [`circuit_id`];
//! - [`keys`]: verifying keys as bytes (`vk.bin`);
//! - [`snarkjs`]: `verification_key.json` (export and import), `proof_<i>.json`,
//!   `public_<i>.json`;
//! - `vk_file`: a verifying key in any of its forms on disk, and the chunk shape beside it.
//!
//! # Features
//! - `files` (default): reading and writing files (bundles, `vk.bin`, snarkjs files, key
//!   directories, [`BackupSummary::from_backup`]); pulls `zkbackup-formats`. Without it, a
//!   host verifies a bundle handed to it as text ([`Bundle::from_json`]) and a key as bytes
//!   ([`keys::verifying_key_from_bytes`]).
//! - `parallel` (default): batch verification and arkworks' arithmetic on rayon's threads.
//! - `os-rng` (default): [`verify_bundle`], with the batch's randomness from the operating
//!   system; without it, [`verify_bundle_with_rng`] takes the caller's generator.
//! - `ark-groth16`: `From` conversions to and from ark-groth16's types, for the prover and
//!   the chain code (never needed to verify).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod bundle;
mod encoding;
pub mod error;
pub mod escrow;
pub mod groth16;
pub mod keys;
pub mod single;
pub mod snarkjs;
mod subgroup;
pub mod verify;
#[cfg(feature = "files")]
pub mod vk_file;

pub use ark_bn254::{Bn254, Fr};
pub use batch::batch_verify;
pub use bundle::{circuit_id, Bundle, BundleError, ChunkProof, FieldPath, BUNDLE_VERSION};
#[cfg(feature = "files")]
pub use bundle::{read_bundle, write_bundle};
pub use encoding::{to_hex, FieldKind};
pub use error::{PointProblem, VerifyError};
pub use groth16::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};
pub use keys::KeyError;
#[cfg(feature = "files")]
pub use keys::{read_verifying_key, write_verifying_key};
pub use single::verify_chunk;
#[cfg(feature = "os-rng")]
pub use verify::verify_bundle;
pub use verify::{verify_bundle_with_rng, BackupChunk, BackupSummary, Expected, Summary};
#[cfg(feature = "files")]
pub use vk_file::{load_verifying_key, LoadedKey, VkFileError, VkForm};
pub use zkbackup_core::chunk::{
    ChunkPublic, ChunkShape, Nonce, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES,
};
