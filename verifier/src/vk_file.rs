//! A verifying key as a user hands it to `verify`, and the chunk shape that comes with it.
//!
//! `--vk` may name `vk.bin` (arkworks' compressed form, [`crate::keys`]), snarkjs's
//! `verification_key.json` ([`crate::snarkjs::parse_verification_key`]), or a key directory
//! holding either. The form is told by the content, not the name: a JSON object is snarkjs's
//! form, anything else must be `vk.bin`'s.
//!
//! # The key's shape
//! A Groth16 verifying key does not say which chunk shape (arity, chunk size) its circuit
//! was set up for: every shape's key has the same five public inputs, and its points depend
//! on the setup's randomness. The shape therefore travels beside the key, in the key
//! directory's `keys.json` that `zkbackup setup` writes (`prover/src/keys.rs`): its `arity`
//! and `chunk_size`, and the `circuit_id` of the key they describe. [`load_verifying_key`]
//! reads `keys.json` when it sits in the key's directory and refuses it if its circuit id is
//! not the key's, so a `keys.json` of another key cannot lend its shape. A key that comes
//! without one (a bare `vk.bin`, a snarkjs file from a ceremony) leaves
//! [`LoadedKey::shape`] empty: the caller states the shape (`verify --arity --chunk-size`),
//! as the auditor who ran or attended the setup knows it.
//!
//! The shape is read here, not in the prover crate (which writes it), so that the verifier
//! does not depend on the prover: only the four fields below are read, others are ignored.

use crate::bundle::circuit_id;
use crate::groth16::VerifyingKey;
use crate::keys::{verifying_key_from_bytes, KeyError};
use crate::snarkjs::{parse_verification_key, SnarkjsError};
use ark_bn254::Bn254;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use zkbackup_core::chunk::{ChunkError, ChunkShape};

/// The key directory's description of its keys (written by `zkbackup setup`).
pub const KEYS_META_FILE: &str = "keys.json";
/// The verifying key in a key directory, arkworks' compressed form.
pub const VK_FILE: &str = "vk.bin";
/// snarkjs's name for a verifying key.
pub const SNARKJS_VK_FILE: &str = "verification_key.json";
/// The newest `keys.json` version this verifier reads (version 2 adds the QAP reduction and
/// the setup, which verifying does not need; version 1 is still read).
pub const KEYS_META_VERSION: u32 = 2;

/// The form a verifying key was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VkForm {
    /// arkworks' canonical compressed serialization (`vk.bin`).
    Arkworks,
    /// snarkjs's `verification_key.json`.
    Snarkjs,
}

/// A verifying key read from disk, with its shape if a `keys.json` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedKey {
    /// The key.
    pub vk: VerifyingKey<Bn254>,
    /// The file it was read from.
    pub file: PathBuf,
    /// Its form.
    pub form: VkForm,
    /// Its shape, from the `keys.json` beside it (checked against the key's circuit id).
    pub shape: Option<ChunkShape>,
    /// The `keys.json` the shape was read from.
    pub shape_file: Option<PathBuf>,
}

/// Why a verifying key, or the shape beside it, cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum VkFileError {
    /// A directory with no verifying key in it.
    #[error("{} holds neither {VK_FILE} nor {SNARKJS_VK_FILE}", dir.display())]
    NoKeyInDirectory {
        /// The directory.
        dir: PathBuf,
    },
    /// The key file cannot be read, or is not a valid `vk.bin`.
    #[error(transparent)]
    Arkworks(#[from] KeyError),
    /// The key file is not a valid `verification_key.json`.
    #[error(transparent)]
    Snarkjs(#[from] SnarkjsError),
    /// `keys.json` cannot be read.
    #[error("cannot read {}", path.display())]
    ReadMeta {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `keys.json` is not a key directory description.
    #[error("{} is not a key directory description", path.display())]
    InvalidMeta {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A `keys.json` version this verifier does not read.
    #[error("{} has version {found}, this verifier reads versions 1 to {KEYS_META_VERSION}", path.display())]
    MetaVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// `keys.json` describes an impossible shape.
    #[error("{} describes an invalid shape", path.display())]
    MetaShape {
        /// The file.
        path: PathBuf,
        /// What is wrong with the shape.
        #[source]
        source: ChunkError,
    },
    /// `keys.json` describes another key than the one beside it.
    #[error(
        "{} describes the key of circuit {meta}, but the verifying key's circuit id is {key}",
        path.display()
    )]
    MetaCircuitId {
        /// The file.
        path: PathBuf,
        /// The circuit id in `keys.json`.
        meta: String,
        /// The verifying key's circuit id.
        key: String,
    },
}

/// The fields of `keys.json` the verifier reads.
#[derive(Deserialize)]
struct KeysMeta {
    version: u32,
    arity: usize,
    chunk_size: usize,
    circuit_id: String,
}

/// Reads the verifying key at `path` (`vk.bin`, `verification_key.json`, or a key directory
/// holding one; `vk.bin` first) and, if a `keys.json` sits in the key's directory, the shape
/// it describes (see the [module docs](self)).
pub fn load_verifying_key(path: &Path) -> Result<LoadedKey, VkFileError> {
    let file = if path.is_dir() {
        [VK_FILE, SNARKJS_VK_FILE]
            .iter()
            .map(|name| path.join(name))
            .find(|f| f.is_file())
            .ok_or_else(|| VkFileError::NoKeyInDirectory {
                dir: path.to_path_buf(),
            })?
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|source| KeyError::Read {
        path: file.clone(),
        source,
    })?;
    let (vk, form) = match json_text(&bytes) {
        Some(text) => {
            let vk = parse_verification_key(text).map_err(|source| {
                SnarkjsError::InvalidVerificationKey {
                    path: file.clone(),
                    source,
                }
            })?;
            (vk, VkForm::Snarkjs)
        }
        None => (verifying_key_from_bytes(&bytes, &file)?, VkForm::Arkworks),
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let meta = dir.join(KEYS_META_FILE);
    let (shape, shape_file) = if meta.is_file() {
        (Some(read_shape(&meta, &vk)?), Some(meta))
    } else {
        (None, None)
    };
    Ok(LoadedKey {
        vk,
        file,
        form,
        shape,
        shape_file,
    })
}

/// The shape `keys.json` at `path` describes, if it describes `vk`.
pub fn read_shape(path: &Path, vk: &VerifyingKey<Bn254>) -> Result<ChunkShape, VkFileError> {
    let text = std::fs::read(path).map_err(|source| VkFileError::ReadMeta {
        path: path.to_path_buf(),
        source,
    })?;
    let meta: KeysMeta =
        serde_json::from_slice(&text).map_err(|source| VkFileError::InvalidMeta {
            path: path.to_path_buf(),
            source,
        })?;
    if !(1..=KEYS_META_VERSION).contains(&meta.version) {
        return Err(VkFileError::MetaVersion {
            path: path.to_path_buf(),
            found: meta.version,
        });
    }
    let key = circuit_id(vk);
    if !meta.circuit_id.eq_ignore_ascii_case(&key) {
        return Err(VkFileError::MetaCircuitId {
            path: path.to_path_buf(),
            meta: meta.circuit_id,
            key,
        });
    }
    ChunkShape::new(meta.arity, meta.chunk_size).map_err(|source| VkFileError::MetaShape {
        path: path.to_path_buf(),
        source,
    })
}

/// The bytes as text if they are a JSON object (UTF-8, `{` first after white space). A
/// compressed `vk.bin` of some 400 random-looking bytes is practically never valid UTF-8.
fn json_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.trim_start().starts_with('{').then_some(text)
}
