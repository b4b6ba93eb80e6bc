//! Per-shape Groth16 keys: generation (single-party setup, OS randomness) and the key
//! directory.
//!
//! A key directory holds:
//! - `keys.json` — version, arity, chunk size, constraints, circuit id, SHA-256 of the
//!   proving key file;
//! - `proving_key.bin` — the proving key, arkworks uncompressed serialization;
//! - `vk.bin` — the verifying key, arkworks compressed serialization (what `verify` reads).
//!
//! The circuit id is the SHA-256 of `vk.bin`'s bytes: a bundle names the key it needs.

use crate::prove::ChunkProver;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::CircuitSpecificSetupSNARK;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::ChunkShape;

/// The key directory format version.
pub const KEYS_VERSION: u32 = 1;
/// Metadata file of a key directory.
pub const META_FILE: &str = "keys.json";
/// Proving key file of a key directory.
pub const PK_FILE: &str = "proving_key.bin";
/// Verifying key file of a key directory.
pub const VK_FILE: &str = "vk.bin";

/// Errors reading or writing a key directory.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{path}: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The output directory already holds keys.
    #[error("{0}: already holds keys; refusing to overwrite (choose another directory)")]
    Exists(PathBuf),
    /// Setup failed.
    #[error("setup failed: {0}")]
    Setup(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, problem: impl Into<String>) -> KeyError {
    KeyError::Invalid {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysMeta {
    /// Format version ([`KEYS_VERSION`]).
    pub version: u32,
    /// Field elements per record.
    pub arity: usize,
    /// Records per chunk.
    pub chunk_size: usize,
    /// Constraints of the chunk circuit.
    pub constraints: usize,
    /// `0x` + SHA-256 of `vk.bin`.
    pub circuit_id: String,
    /// SHA-256 of `proving_key.bin`, hex.
    pub proving_key_sha256: String,
}

/// The keys of one shape.
pub struct Keys {
    /// What the directory says about them.
    pub meta: KeysMeta,
    /// The proving key.
    pub pk: ProvingKey<Bn254>,
}

pub use zkbackup_verifier::bundle::circuit_id;

impl Keys {
    /// Runs a single-party Groth16 setup for `shape` with `rng` (the OS RNG in the CLI).
    pub fn generate<R: RngCore + CryptoRng>(
        shape: ChunkShape,
        rng: &mut R,
    ) -> Result<Self, KeyError> {
        let (pk, vk) = Groth16::<Bn254>::setup(ChunkCircuit::setup(shape), rng)
            .map_err(|e| KeyError::Setup(e.to_string()))?;
        let constraints = zkbackup_circuits::counts::chunk_constraints(shape)
            .map_err(|e| KeyError::Setup(e.to_string()))?;
        Ok(Self {
            meta: KeysMeta {
                version: KEYS_VERSION,
                arity: shape.arity,
                chunk_size: shape.chunk_size,
                constraints,
                circuit_id: circuit_id(&(&vk).into()),
                proving_key_sha256: String::new(),
            },
            pk,
        })
    }

    /// The shape the keys are for.
    pub fn shape(&self) -> ChunkShape {
        ChunkShape {
            arity: self.meta.arity,
            chunk_size: self.meta.chunk_size,
        }
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// A prover for these keys.
    pub fn prover(self) -> Result<ChunkProver, crate::ProveError> {
        ChunkProver::new(self.shape(), self.pk)
    }

    /// Writes the key directory `dir` (created if missing; refused if it holds keys).
    /// Each file is written to a temporary name and renamed, so a crash leaves no
    /// half-written key under its final name.
    pub fn write(&mut self, dir: &Path) -> Result<(), KeyError> {
        if dir.join(META_FILE).exists() || dir.join(PK_FILE).exists() {
            return Err(KeyError::Exists(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        let mut pk_bytes = Vec::new();
        self.pk
            .serialize_uncompressed(&mut pk_bytes)
            .map_err(|e| KeyError::Setup(e.to_string()))?;
        self.meta.proving_key_sha256 = hex::encode(Sha256::digest(&pk_bytes));
        write_file(&dir.join(PK_FILE), &pk_bytes)?;
        write_file(
            &dir.join(VK_FILE),
            &zkbackup_verifier::keys::verifying_key_to_bytes(&(&self.pk.vk).into()),
        )?;
        let meta = serde_json::to_vec_pretty(&self.meta).expect("serializable");
        write_file(&dir.join(META_FILE), &meta)?;
        Ok(())
    }

    /// Reads and checks a key directory: version, the proving key's hash, and that the
    /// verifying key inside it matches `vk.bin` and the circuit id.
    pub fn read(dir: &Path) -> Result<Self, KeyError> {
        let meta_path = dir.join(META_FILE);
        let meta_text = fs::read(&meta_path).map_err(io(&meta_path))?;
        let meta: KeysMeta = serde_json::from_slice(&meta_text)
            .map_err(|e| invalid(&meta_path, format!("not a key directory description: {e}")))?;
        if meta.version != KEYS_VERSION {
            return Err(invalid(
                &meta_path,
                format!(
                    "unknown version {} (this build reads {KEYS_VERSION})",
                    meta.version
                ),
            ));
        }
        ChunkShape::new(meta.arity, meta.chunk_size)
            .map_err(|e| invalid(&meta_path, e.to_string()))?;
        let pk_path = dir.join(PK_FILE);
        let pk_bytes = fs::read(&pk_path).map_err(io(&pk_path))?;
        if hex::encode(Sha256::digest(&pk_bytes)) != meta.proving_key_sha256 {
            return Err(invalid(
                &pk_path,
                "damaged: its SHA-256 differs from keys.json",
            ));
        }
        // The hash above vouches for the bytes, so the slow curve checks are skipped.
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&pk_bytes[..])
            .map_err(|e| invalid(&pk_path, format!("not a proving key: {e}")))?;
        if circuit_id(&(&pk.vk).into()) != meta.circuit_id {
            return Err(invalid(
                &pk_path,
                "its verifying key does not match the circuit id in keys.json",
            ));
        }
        Ok(Self { meta, pk })
    }
}

/// Writes `bytes` to `path` atomically ([`zkbackup_formats::fs::write_atomic`]).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    zkbackup_formats::fs::write_atomic(path, |w| w.write_all(bytes)).map_err(io(path))
}
