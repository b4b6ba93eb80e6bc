//! Per-shape Groth16 proving keys ([`ProvingKeys`]): generation (single-party setup, OS
//! randomness) and the proving keys directory (`--keys-dir` on the command line; not the
//! escrow key file of `--key`).
//!
//! A proving keys directory holds:
//! - `keys.json` — version, arity, chunk size, constraints, circuit id, SHA-256 of the
//!   proving key file, the QAP reduction the key was made for, and which setup made it
//!   (single party, or a ceremony: the zkey's hash and its contributions);
//! - `proving_key.bin` — the proving key, arkworks uncompressed serialization;
//! - `vk.bin` — the verifying key, arkworks compressed serialization (what `verify` reads);
//! - `matrices.bin` — the chunk circuit's constraint matrices ([`crate::matrices`]), so that
//!   proving runs read them instead of deriving them (absent in directories written before
//!   it existed: their runs derive the matrices).
//!
//! The circuit id is the SHA-256 of `vk.bin`'s bytes: a bundle names the key it needs.

use crate::matrices::MATRICES_FILE;
use crate::prove::{ChunkMatrices, ChunkProver};
use crate::reduction::{CircomReduction, Reduction};
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::SynthesisError;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_snark::CircuitSpecificSetupSNARK;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use zkbackup_circuits::chunk::ChunkCircuit;
use zkbackup_core::chunk::{ChunkError, ChunkShape};

/// The key directory format version. Version 1 (no `reduction`, no `setup`: single-party
/// keys for the libsnark reduction) is still read.
pub const KEYS_VERSION: u32 = 2;
/// Metadata file of a key directory.
pub const META_FILE: &str = "keys.json";
/// Proving key file of a key directory.
pub const PK_FILE: &str = "proving_key.bin";
/// Verifying key file of a key directory.
pub const VK_FILE: &str = "vk.bin";

/// Errors making, reading or writing a proving keys directory.
#[derive(Debug, thiserror::Error)]
pub enum ProvingKeysError {
    /// A file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `keys.json` is not a proving keys description.
    #[error("{}: not a key directory description", path.display())]
    Meta {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// `keys.json` names a shape that is not one.
    #[error("{}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong with the shape.
        source: ChunkError,
    },
    /// `proving_key.bin` does not deserialize.
    #[error("{}: not a proving key", path.display())]
    ProvingKey {
        /// The file.
        path: PathBuf,
        /// The deserializer's error.
        source: SerializationError,
    },
    /// A file is not what it should be.
    #[error("{}: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The output directory already holds keys.
    #[error("{}: already holds keys; refusing to overwrite (choose another directory)", .0.display())]
    Exists(PathBuf),
    /// A proving key made elsewhere is not one of this circuit.
    #[error("the proving key is not one of the chunk circuit: {0}")]
    Mismatch(String),
    /// The Groth16 setup or the constraint count failed.
    #[error("setup failed")]
    Setup(#[from] SynthesisError),
    /// The proving key could not be serialized.
    #[error("serializing the proving key")]
    Serialize(#[source] SerializationError),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProvingKeysError + '_ {
    move |source| ProvingKeysError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn invalid(path: &Path, problem: impl Into<String>) -> ProvingKeysError {
    ProvingKeysError::Invalid {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvingKeysMeta {
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
    /// The QAP reduction proofs under the key use (absent in version 1: libsnark).
    #[serde(default)]
    pub reduction: Reduction,
    /// Which setup made the key (absent in version 1: single party).
    #[serde(default)]
    pub setup: Setup,
    /// SHA-256 of `matrices.bin`, hex (absent: the directory has no matrices file, and
    /// proving runs derive the matrices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrices_sha256: Option<String>,
}

/// Which setup made a proving key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Setup {
    /// `zkbackup setup`: whoever ran it can forge proofs.
    #[default]
    SingleParty,
    /// Imported from a snarkjs `.zkey` (`zkbackup ceremony import`): sound unless every
    /// contributor colluded (or kept their randomness and the beacon was predictable).
    Ceremony(Ceremony),
}

/// What a keys directory records of the ceremony that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// SHA-256 of the imported `.zkey` file, hex.
    pub zkey_sha256: String,
    /// The zkey's circuit hash (snarkjs' `csHash`, BLAKE2b-512 of the phase-2 start), hex.
    pub circuit_hash: String,
    /// SHA-256 of the `.ptau` file the zkey was verified against, hex (absent if not hashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptau_sha256: Option<String>,
    /// The phase-2 contributions, in order (a beacon is the last one).
    pub contributions: Vec<Contribution>,
}

/// One phase-2 contribution of a ceremony, as `snarkjs zkey verify` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// `contribution` or `beacon`.
    pub kind: String,
    /// The name the contributor gave (`-n`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The contribution hash (hex, 64 bytes) a contributor checks against the one snarkjs
    /// printed when they contributed.
    pub hash: String,
    /// For a beacon: the beacon value (hex) and the iteration exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_hash: Option<String>,
    /// For a beacon: `2^iterations_exp` hash iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations_exp: Option<u8>,
}

/// The Groth16 proving keys of one chunk shape (what `zkbackup setup` writes to a proving
/// keys directory); not the escrow key ([`zkbackup_core::EscrowKey`]).
pub struct ProvingKeys {
    /// What the directory says about them.
    pub meta: ProvingKeysMeta,
    /// The proving key.
    pub pk: ProvingKey<Bn254>,
    /// The circuit's constraint matrices, when known (derived by a setup or read from
    /// `matrices.bin`): handed to the prover so that it need not derive them.
    matrices: Option<ChunkMatrices>,
}

pub use zkbackup_verifier::bundle::circuit_id;

impl ProvingKeys {
    /// Runs a single-party Groth16 setup for `shape` with `rng` (the OS RNG in the CLI).
    pub fn generate<R: RngCore + CryptoRng>(
        shape: ChunkShape,
        rng: &mut R,
    ) -> Result<Self, ProvingKeysError> {
        Self::generate_for(shape, Reduction::Libsnark, rng)
    }

    /// [`ProvingKeys::generate`] for `reduction`: with [`Reduction::Circom`] the key is what a
    /// snarkjs zkey of the circuit holds (the benchmark proves with snarkjs and with us
    /// under one such key); still a single-party setup.
    pub fn generate_for<R: RngCore + CryptoRng>(
        shape: ChunkShape,
        reduction: Reduction,
        rng: &mut R,
    ) -> Result<Self, ProvingKeysError> {
        let circuit = ChunkCircuit::setup(shape);
        let (pk, _) = match reduction {
            Reduction::Libsnark => Groth16::<Bn254>::setup(circuit, rng)?,
            Reduction::Circom => Groth16::<Bn254, CircomReduction>::setup(circuit, rng)?,
        };
        Self::new(shape, pk, reduction, Setup::SingleParty)
    }

    /// Keys for `shape` from a proving key made elsewhere (a ceremony's zkey), for
    /// `reduction`. Checks the key's size against the circuit: its public inputs and the
    /// lengths of its queries. Whether it is *the* key of this circuit (and not one of a
    /// circuit with the same sizes) is the importer's to check: against the zkey's constraint
    /// coefficients, and by proving and verifying.
    pub fn new(
        shape: ChunkShape,
        pk: ProvingKey<Bn254>,
        reduction: Reduction,
        setup: Setup,
    ) -> Result<Self, ProvingKeysError> {
        let m = ChunkMatrices::derive(shape)?;
        let variables = m.num_variables();
        let domain = (m.num_constraints + m.num_instance_variables).next_power_of_two();
        let h_len = match reduction {
            Reduction::Libsnark => domain - 1,
            Reduction::Circom => domain,
        };
        let sizes = [
            (
                "gamma_abc_g1",
                pk.vk.gamma_abc_g1.len(),
                m.num_instance_variables,
            ),
            ("a_query", pk.a_query.len(), variables),
            ("b_g1_query", pk.b_g1_query.len(), variables),
            ("b_g2_query", pk.b_g2_query.len(), variables),
            ("l_query", pk.l_query.len(), m.num_witness_variables),
            ("h_query", pk.h_query.len(), h_len),
        ];
        if let Some((name, got, want)) = sizes.iter().find(|(_, got, want)| got != want) {
            return Err(ProvingKeysError::Mismatch(format!(
                "its {name} has {got} points, the chunk circuit of arity {} and chunk size {} \
                 needs {want}",
                shape.arity, shape.chunk_size
            )));
        }
        Ok(Self {
            meta: ProvingKeysMeta {
                version: KEYS_VERSION,
                arity: shape.arity,
                chunk_size: shape.chunk_size,
                constraints: m.num_constraints,
                circuit_id: circuit_id(&(&pk.vk).into()),
                proving_key_sha256: String::new(),
                reduction,
                setup,
                matrices_sha256: None,
            },
            pk,
            matrices: Some(m),
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

    /// A prover for these keys, with the constraint matrices they carry (derived if they
    /// carry none).
    pub fn prover(self) -> Result<ChunkProver, crate::ProveError> {
        let shape = self.shape();
        match self.matrices {
            Some(m) => ChunkProver::with_matrices(shape, self.pk, self.meta.reduction, m),
            None => ChunkProver::with_reduction(shape, self.pk, self.meta.reduction),
        }
    }

    /// Whether these keys carry their circuit's constraint matrices (a setup's keys, or a
    /// directory with `matrices.bin`).
    pub fn has_matrices(&self) -> bool {
        self.matrices.is_some()
    }

    /// Writes the key directory `dir` (created if missing; refused if it holds keys),
    /// `matrices.bin` included (derived now if these keys carry no matrices). Each file is
    /// written to a temporary name and renamed, `keys.json` last, so a crash leaves no
    /// half-written file under its final name and no `keys.json` naming a missing file.
    pub fn write(&mut self, dir: &Path) -> Result<(), ProvingKeysError> {
        if dir.join(META_FILE).exists() || dir.join(PK_FILE).exists() {
            return Err(ProvingKeysError::Exists(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        self.meta.proving_key_sha256 = write_key_files(dir, &self.pk)?;
        let shape = self.shape();
        let matrices = match self.matrices.take() {
            Some(m) => m,
            None => ChunkMatrices::derive(shape)?,
        };
        let bytes = matrices.to_file_bytes(shape);
        self.matrices = Some(matrices);
        write_file(&dir.join(MATRICES_FILE), &bytes)?;
        self.meta.matrices_sha256 = Some(hex::encode(Sha256::digest(&bytes)));
        let meta = serde_json::to_vec_pretty(&self.meta).expect("serializable");
        write_file(&dir.join(META_FILE), &meta)?;
        Ok(())
    }

    /// Reads and checks a key directory: version, the proving key's hash, and that the
    /// verifying key inside it matches `vk.bin` and the circuit id.
    pub fn read(dir: &Path) -> Result<Self, ProvingKeysError> {
        let meta_path = dir.join(META_FILE);
        let meta_text = fs::read(&meta_path).map_err(io(&meta_path))?;
        let meta: ProvingKeysMeta =
            serde_json::from_slice(&meta_text).map_err(|source| ProvingKeysError::Meta {
                path: meta_path.clone(),
                source,
            })?;
        if meta.version != KEYS_VERSION && meta.version != 1 {
            return Err(invalid(
                &meta_path,
                format!(
                    "unknown version {} (this build reads {KEYS_VERSION})",
                    meta.version
                ),
            ));
        }
        ChunkShape::new(meta.arity, meta.chunk_size).map_err(|source| ProvingKeysError::Shape {
            path: meta_path.clone(),
            source,
        })?;
        let pk = read_key_file(dir, &meta.proving_key_sha256, &meta.circuit_id)?;
        let matrices = match &meta.matrices_sha256 {
            Some(sha256) => Some(read_matrices_file(dir, sha256, &meta)?),
            None => None,
        };
        Ok(Self { meta, pk, matrices })
    }
}

/// Reads `dir`'s `matrices.bin`, checked against `keys.json`'s SHA-256, shape and
/// constraint count.
fn read_matrices_file(
    dir: &Path,
    sha256: &str,
    meta: &ProvingKeysMeta,
) -> Result<ChunkMatrices, ProvingKeysError> {
    let path = dir.join(MATRICES_FILE);
    let shape = ChunkShape {
        arity: meta.arity,
        chunk_size: meta.chunk_size,
    };
    let m = crate::matrices::read_checked(&path, sha256, shape)?;
    if m.num_constraints != meta.constraints {
        return Err(invalid(
            &path,
            format!(
                "{} constraints, keys.json says {}",
                m.num_constraints, meta.constraints
            ),
        ));
    }
    Ok(m)
}

/// Writes `proving_key.bin` and `vk.bin` of `pk` into `dir` (each atomically); returns the
/// proving key file's SHA-256 (hex) for `keys.json`. Shared with the escrow keys.
pub(crate) fn write_key_files(
    dir: &Path,
    pk: &ProvingKey<Bn254>,
) -> Result<String, ProvingKeysError> {
    let mut pk_bytes = Vec::new();
    pk.serialize_uncompressed(&mut pk_bytes)
        .map_err(ProvingKeysError::Serialize)?;
    write_file(&dir.join(PK_FILE), &pk_bytes)?;
    write_file(
        &dir.join(VK_FILE),
        &zkbackup_verifier::keys::verifying_key_to_bytes(&(&pk.vk).into()),
    )?;
    Ok(hex::encode(Sha256::digest(&pk_bytes)))
}

/// Reads `dir`'s `proving_key.bin`, checked against `keys.json`'s SHA-256 and circuit id.
/// Shared with the escrow keys.
pub(crate) fn read_key_file(
    dir: &Path,
    sha256: &str,
    id: &str,
) -> Result<ProvingKey<Bn254>, ProvingKeysError> {
    let pk_path = dir.join(PK_FILE);
    let pk_bytes = fs::read(&pk_path).map_err(io(&pk_path))?;
    if hex::encode(Sha256::digest(&pk_bytes)) != sha256 {
        return Err(invalid(
            &pk_path,
            "damaged: its SHA-256 differs from keys.json",
        ));
    }
    // The hash above vouches for the bytes, so the slow curve checks are skipped.
    let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&pk_bytes[..]).map_err(
        |source| ProvingKeysError::ProvingKey {
            path: pk_path.clone(),
            source,
        },
    )?;
    if circuit_id(&(&pk.vk).into()) != id {
        return Err(invalid(
            &pk_path,
            "its verifying key does not match the circuit id in keys.json",
        ));
    }
    Ok(pk)
}

/// Writes `bytes` to `path` atomically ([`zkbackup_formats::fs::write_atomic`]).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ProvingKeysError> {
    zkbackup_formats::fs::write_atomic(path, |w| w.write_all(bytes)).map_err(io(path))
}
