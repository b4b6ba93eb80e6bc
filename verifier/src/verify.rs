//! Verification of one chunk proof, and of a whole bundle against what the caller trusts.
//!
//! # What [`verify_bundle`] establishes
//! Each chunk proof says: the records of chunk `j` hash to `chunk_root_j`, encrypt under the
//! key committed in `K` with `nonce_j` to a ciphertext committed in `chunk_commitment_j`, and
//! there are `count_j` of them. Everything the prover wrote (the bundle, the backup header)
//! is a claim; what the verifier trusts comes from the caller ([`Expected`]: the chain's root
//! `R` and tree size `n`, the escrowed key's `K`) and with the verifying key (its
//! [`ChunkShape`]). The verifier adds what the proofs cannot see:
//! - the proofs are for *this* circuit (circuit id of the verifying key) and the bundle's
//!   arity and chunk size are the key's shape;
//! - the bundle covers exactly `n` records (a root alone does not fix a state: with arity 2 a
//!   leaf hash is a node hash, so subtree roots would pass as records), in
//!   `ceil(n / chunk_size)` chunks in index order with the right `count_j`, so no chunk is
//!   dropped, duplicated, swapped or added;
//! - every chunk used the expected `K`;
//! - the chunks are of one backup lineage: every nonce is below `2^128` and is
//!   `lineage · 2^64 + version · 2^32 + j` ([`Nonce`]) with its position `j` and one lineage
//!   for all chunks, so proofs of different lineages cannot be mixed into one bundle (the
//!   versions may differ: an incremental backup keeps its parent's unchanged chunks);
//! - the chunk roots recombine into `R` (LeanIMT over chunk roots) and the chunk commitments
//!   into the bundle's `C` (LeanIMT over chunk commitments);
//! - with a backup file ([`BackupSummary`]): its header agrees, every nonce is the file's
//!   (so each version is at most the file's generation, the file's rule), and every `chunk_commitment_j` is the commitment recomputed from the file's ciphertext,
//!   so `C` is the commitment of the file in hand. Without one, `C` is only what the proofs
//!   recombine to ([`Summary::backup_checked`] is `false`).

use crate::batch::batch_verify;
use crate::bundle::{circuit_id, Bundle, BUNDLE_VERSION};
use crate::encoding::hex_fr;
use crate::groth16::{prepare_verifying_key, Proof, VerifyingKey};
use crate::single::expected_inputs;
use ark_bn254::{Bn254, Fr};
use ark_std::rand::{CryptoRng, RngCore};
use std::fmt;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::chunk::{Nonce, NUM_PUBLIC_INPUTS};
use zkbackup_core::lean_imt;

// The single-proof check and the errors live in their own modules; these paths stay.
pub use crate::error::{PointProblem, VerifyError};
pub use crate::single::verify_chunk;

/// One chunk of a backup, as the verifier needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupChunk {
    /// The chunk's encryption nonce.
    pub nonce: u128,
    /// The chunk commitment, recomputed from the chunk's ciphertext.
    pub commitment: Fr,
    /// Records in the chunk.
    pub count: u64,
}

/// What the verifier needs of a backup file: its header values and, per chunk, the nonce
/// and the ciphertext commitment. Build it with [`BackupSummary::from_backup`], which
/// recomputes the chunk commitments from the ciphertext rather than trusting stored ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// The header's state root `R`.
    pub root: Fr,
    /// The header's backup commitment `C`.
    pub commitment: Fr,
    /// The header's key commitment `K`.
    pub key_commitment: Fr,
    /// Fields per record.
    pub arity: usize,
    /// Records per chunk.
    pub chunk_size: usize,
    /// Number of records.
    pub records: u64,
    /// The chunks, in index order.
    pub chunks: Vec<BackupChunk>,
}

impl BackupSummary {
    /// The summary of a backup read from a file; the chunk commitments are recomputed from
    /// the ciphertext (so a backup whose stored commitments lie is caught by the comparison
    /// with the proofs' inputs and with `C`).
    #[cfg(feature = "files")]
    pub fn from_backup(backup: &zkbackup_formats::backup::Backup) -> Self {
        let header = backup.header();
        let (commitments, _) = backup.recompute_commitments();
        let arity = header.arity.max(1) as u64;
        let chunks = backup
            .chunks()
            .iter()
            .zip(commitments)
            .map(|(chunk, commitment)| BackupChunk {
                nonce: chunk.nonce,
                commitment,
                count: u64::from(chunk.length) / arity,
            })
            .collect();
        Self {
            root: header.root,
            commitment: header.commitment,
            key_commitment: header.key_commitment,
            arity: header.arity,
            chunk_size: header.chunk_size,
            records: header.records,
            chunks,
        }
    }
}

/// What the verifier trusts: read from the chain or given by the auditor, never taken from
/// the prover's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The state root `R` (e.g. the state source's `root()`).
    pub root: Fr,
    /// The state's number of records, the tree size (e.g. the state source's `size()`).
    pub size: u64,
    /// The escrowed key's commitment `K` (e.g. the gate's `keyCommitment()`).
    pub key_commitment: Fr,
}

/// What a verified bundle establishes, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The circuit id of the verifying key.
    pub circuit_id: String,
    /// Number of records (equal to the expected tree size).
    pub records: u64,
    /// Number of chunks (and proofs).
    pub chunks: usize,
    /// Records per chunk (the verifying key's).
    pub chunk_size: usize,
    /// Fields per record (the verifying key's).
    pub arity: usize,
    /// The lineage shared by every chunk's nonce.
    pub lineage: u64,
    /// The highest nonce version among the chunks: the latest generation of the lineage
    /// that encrypted a chunk of this state.
    pub generation: u32,
    /// The state root `R` (equal to the expected root).
    pub root: Fr,
    /// The backup commitment `C` the chunk commitments recombine to.
    pub commitment: Fr,
    /// The key commitment `K` (equal to the expected one).
    pub key_commitment: Fr,
    /// Whether `C` and every chunk commitment were checked against a backup file's
    /// ciphertext. Without a file, a passing check says what the proofs prove, not that the
    /// file someone holds is that backup.
    pub backup_checked: bool,
    /// The bundle's claimed chain, if any: **not checked** by [`verify_bundle`] (only `R`
    /// and the size are, against [`Expected`]).
    pub chain_id: Option<u64>,
    /// The bundle's claimed contract, if any: not checked.
    pub contract: Option<String>,
    /// The bundle's claimed block, if any: not checked.
    pub block: Option<u64>,
}

impl fmt::Display for Summary {
    /// One line of what was checked; the bundle's chain claims are left out (the caller
    /// knows whether it read `R` from a chain).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OK: {} records ({} chunks of {}, arity {}) of lineage {:#018x} up to generation {}, \
             proven under key commitment {} to state root {} with backup commitment {}",
            self.records,
            self.chunks,
            self.chunk_size,
            self.arity,
            self.lineage,
            self.generation,
            hex_fr(&self.key_commitment),
            hex_fr(&self.root),
            hex_fr(&self.commitment),
        )?;
        if !self.backup_checked {
            f.write_str(" (C not checked against a backup file)")?;
        }
        Ok(())
    }
}

fn header_mismatch<T: PartialEq + fmt::Display>(
    field: &'static str,
    bundle: T,
    backup: T,
) -> Result<(), VerifyError> {
    if bundle == backup {
        Ok(())
    } else {
        Err(VerifyError::HeaderMismatch {
            field,
            bundle: bundle.to_string(),
            backup: backup.to_string(),
        })
    }
}

fn fr_header_mismatch(field: &'static str, bundle: Fr, backup: Fr) -> Result<(), VerifyError> {
    header_mismatch(field, hex_fr(&bundle), hex_fr(&backup))
}

fn shape_mismatch(field: &'static str, key: usize, bundle: usize) -> Result<(), VerifyError> {
    if key == bundle {
        Ok(())
    } else {
        Err(VerifyError::ShapeMismatch { field, key, bundle })
    }
}

/// Verifies `bundle` against the verifying key and its `shape`, the values the caller trusts,
/// and, if given, the backup file it claims to prove (see the [module docs](self) for what
/// that establishes). Proofs are batch-verified with randomness from the operating system.
///
/// # Errors
/// The first failed check, as a [`VerifyError`] naming the check, the chunk and both values.
#[cfg(feature = "os-rng")]
pub fn verify_bundle(
    bundle: &Bundle,
    vk: &VerifyingKey<Bn254>,
    shape: ChunkShape,
    expected: &Expected,
    backup: Option<&BackupSummary>,
) -> Result<Summary, VerifyError> {
    verify_bundle_with_rng(bundle, vk, shape, expected, backup, &mut rand::rngs::OsRng)
}

/// [`verify_bundle`] with the batch verification's randomness from `rng` (tests use a seeded
/// generator so that failures reproduce).
pub fn verify_bundle_with_rng<R: RngCore + CryptoRng>(
    bundle: &Bundle,
    vk: &VerifyingKey<Bn254>,
    shape: ChunkShape,
    expected: &Expected,
    backup: Option<&BackupSummary>,
    rng: &mut R,
) -> Result<Summary, VerifyError> {
    // The statement: version, circuit, shape of the public inputs and of the chunks.
    if bundle.version != BUNDLE_VERSION {
        return Err(VerifyError::UnsupportedVersion {
            found: bundle.version,
        });
    }
    let id = circuit_id(vk);
    if bundle.circuit_id != id {
        return Err(VerifyError::CircuitIdMismatch {
            expected: id,
            found: bundle.circuit_id.clone(),
        });
    }
    let inputs = expected_inputs(vk)?;
    if inputs != NUM_PUBLIC_INPUTS {
        return Err(VerifyError::PublicInputLength {
            expected: NUM_PUBLIC_INPUTS,
            got: inputs,
        });
    }
    shape_mismatch("arity", shape.arity, bundle.arity)?;
    shape_mismatch("chunk_size", shape.chunk_size, bundle.chunk_size)?;
    let chunk_size = bundle.chunk_size;
    if chunk_size == 0 || !chunk_size.is_power_of_two() {
        return Err(VerifyError::InvalidChunkSize { chunk_size });
    }

    // What the caller trusts: the root (the recombination below proves the bundle's), the
    // tree size and the escrowed key.
    if bundle.root != expected.root {
        return Err(VerifyError::StateRootMismatch {
            expected: expected.root,
            found: bundle.root,
        });
    }
    if bundle.records == 0 {
        return Err(VerifyError::NoRecords);
    }
    if bundle.records != expected.size {
        return Err(VerifyError::RecordCountMismatch {
            expected: expected.size,
            bundle: bundle.records,
        });
    }
    if bundle.key_commitment != expected.key_commitment {
        return Err(VerifyError::KeyCommitmentMismatch {
            expected: expected.key_commitment,
            found: bundle.key_commitment,
        });
    }

    // The backup file, if any: its header is the bundle's.
    if let Some(backup) = backup {
        header_mismatch("arity", bundle.arity, backup.arity)?;
        header_mismatch("chunk_size", bundle.chunk_size, backup.chunk_size)?;
        header_mismatch("records", bundle.records, backup.records)?;
        fr_header_mismatch(
            "key_commitment",
            bundle.key_commitment,
            backup.key_commitment,
        )?;
        fr_header_mismatch("commitment", bundle.commitment, backup.commitment)?;
        fr_header_mismatch("root", bundle.root, backup.root)?;
    }

    // The chunking.
    let chunk_size = chunk_size as u64;
    // A count past usize cannot match any chunk list in memory: saturate, and let the
    // comparison below report it.
    let expected_chunks =
        usize::try_from(bundle.records.div_ceil(chunk_size)).unwrap_or(usize::MAX);
    if bundle.chunks.len() != expected_chunks {
        return Err(VerifyError::ChunkCount {
            holder: "bundle",
            expected: expected_chunks,
            found: bundle.chunks.len(),
        });
    }
    if let Some(backup) = backup {
        if backup.chunks.len() != expected_chunks {
            return Err(VerifyError::ChunkCount {
                holder: "backup",
                expected: expected_chunks,
                found: backup.chunks.len(),
            });
        }
    }

    // Each chunk's public inputs: the expected K, one lineage's nonces, the counts, and the
    // backup file's values if there is one.
    let mut lineage = None;
    let mut generation = 0u32;
    for (position, entry) in bundle.chunks.iter().enumerate() {
        if entry.index != position {
            return Err(VerifyError::ChunkIndex {
                position,
                found: entry.index,
            });
        }
        let chunk = position;
        let count = if position + 1 < expected_chunks {
            chunk_size
        } else {
            bundle.records - chunk_size * (expected_chunks as u64 - 1)
        };
        let inputs = &entry.public_inputs;
        if inputs.key_commitment != expected.key_commitment {
            return Err(VerifyError::ChunkKeyCommitment {
                chunk,
                expected: expected.key_commitment,
                found: inputs.key_commitment,
            });
        }
        let nonce = Nonce::from_field(&inputs.nonce).ok_or(VerifyError::NonceOutOfRange {
            chunk,
            found: inputs.nonce,
        })?;
        if u64::from(nonce.index) != chunk as u64 {
            return Err(VerifyError::NonceIndex {
                chunk,
                found: nonce.index,
            });
        }
        match lineage {
            None => lineage = Some(nonce.lineage),
            Some(first) if first != nonce.lineage => {
                return Err(VerifyError::LineageMismatch {
                    chunk,
                    expected: first,
                    found: nonce.lineage,
                })
            }
            Some(_) => {}
        }
        generation = generation.max(nonce.version);
        if inputs.count != Fr::from(count) {
            return Err(VerifyError::ChunkRecordCount {
                chunk,
                expected: count,
                found: inputs.count,
            });
        }
        if let Some(backup) = backup {
            let backup_chunk = &backup.chunks[position];
            if backup_chunk.count != count {
                return Err(VerifyError::BackupInconsistent {
                    reason: format!(
                        "chunk {chunk} holds {} records, its header implies {count}",
                        backup_chunk.count
                    ),
                });
            }
            let nonce = Fr::from(backup_chunk.nonce);
            if inputs.nonce != nonce {
                return Err(VerifyError::ChunkNonce {
                    chunk,
                    expected: nonce,
                    found: inputs.nonce,
                });
            }
            if inputs.chunk_commitment != backup_chunk.commitment {
                return Err(VerifyError::ChunkCommitment {
                    chunk,
                    expected: backup_chunk.commitment,
                    found: inputs.chunk_commitment,
                });
            }
        }
    }

    // The proofs, all at once.
    let pvk = prepare_verifying_key(vk);
    let items: Vec<([Fr; NUM_PUBLIC_INPUTS], &Proof<Bn254>)> = bundle
        .chunks
        .iter()
        .map(|entry| (entry.public_inputs.to_inputs(), &entry.proof))
        .collect();
    batch_verify(&pvk, &items, rng)?;

    // Recombination: chunk commitments into C, chunk roots into R.
    let commitments: Vec<Fr> = bundle
        .chunks
        .iter()
        .map(|e| e.public_inputs.chunk_commitment)
        .collect();
    let recombined = lean_imt::root(&commitments)?;
    if recombined != bundle.commitment {
        return Err(VerifyError::RecombinedCommitmentMismatch {
            bundle: bundle.commitment,
            recombined,
        });
    }
    let roots: Vec<Fr> = bundle
        .chunks
        .iter()
        .map(|e| e.public_inputs.chunk_root)
        .collect();
    let recombined = lean_imt::root_of_chunk_roots(&roots)?;
    if recombined != bundle.root {
        return Err(VerifyError::RecombinedRootMismatch {
            bundle: bundle.root,
            recombined,
        });
    }

    Ok(Summary {
        circuit_id: id,
        records: bundle.records,
        chunks: bundle.chunks.len(),
        chunk_size: bundle.chunk_size,
        arity: bundle.arity,
        lineage: lineage.expect("at least one chunk: records >= 1"),
        generation,
        root: bundle.root,
        commitment: bundle.commitment,
        key_commitment: bundle.key_commitment,
        backup_checked: backup.is_some(),
        chain_id: bundle.chain_id,
        contract: bundle.contract.clone(),
        block: bundle.block,
    })
}
