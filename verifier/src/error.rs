//! Why verification failed: [`VerifyError`], one variant per check, naming the chunk and
//! both values where there are some; [`PointProblem`] for proof points.

use crate::bundle::BUNDLE_VERSION;
use crate::encoding::hex_fr;
use ark_bn254::Fr;
use std::fmt;
use zkbackup_core::lean_imt::LeanImtError;

/// `"chunk 3: "`, or nothing when the proof stands alone.
fn chunk_prefix(chunk: &Option<usize>) -> String {
    match chunk {
        Some(chunk) => format!("chunk {chunk}: "),
        None => String::new(),
    }
}

/// Which proof point is invalid, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointProblem {
    /// Not on the curve.
    NotOnCurve,
    /// On the curve, outside the prime-order subgroup.
    NotInSubgroup,
}

impl fmt::Display for PointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointProblem::NotOnCurve => "not on the curve",
            PointProblem::NotInSubgroup => "not in the prime-order subgroup",
        })
    }
}

/// Why verification failed. Every variant names the check, and the chunk where there is one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// A bundle version this verifier does not check.
    #[error("unsupported bundle version {found} (this verifier checks version {BUNDLE_VERSION})")]
    UnsupportedVersion {
        /// The bundle's version.
        found: u32,
    },
    /// The bundle was proven for another circuit than the verifying key's.
    #[error(
        "circuit id mismatch: the verifying key's circuit is {expected}, \
         the bundle was proven for {found}"
    )]
    CircuitIdMismatch {
        /// [`circuit_id`] of the verifying key.
        expected: String,
        /// The bundle's circuit id.
        found: String,
    },
    /// The verifying key has no `gamma_abc_g1` entries at all.
    #[error("the verifying key is malformed: {reason}")]
    MalformedVerifyingKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The number of public inputs differs from the verifying key's.
    #[error("public input count mismatch: the verifying key takes {expected}, got {got}")]
    PublicInputLength {
        /// Public inputs the verifying key takes.
        expected: usize,
        /// Public inputs given.
        got: usize,
    },
    /// A proof point is not a valid group element.
    #[error("{}proof point {point} is {problem}", chunk_prefix(.chunk))]
    InvalidPoint {
        /// The chunk, when verifying a bundle or a batch.
        chunk: Option<usize>,
        /// `a`, `b` or `c`.
        point: &'static str,
        /// How it is invalid.
        problem: PointProblem,
    },
    /// The Groth16 check failed: the proof is not a proof of these public inputs under this
    /// verifying key.
    #[error("{}the proof does not verify against its public inputs", chunk_prefix(.chunk))]
    InvalidProof {
        /// The chunk (position in the batch), when verifying a bundle or a batch.
        chunk: Option<usize>,
    },
    /// The bundle's arity or chunk size is not the verifying key's shape.
    #[error("the bundle's {field} is {bundle}, the verifying key is for {field} {key}")]
    ShapeMismatch {
        /// `arity` or `chunk_size`.
        field: &'static str,
        /// The verifying key's value.
        key: usize,
        /// The bundle's value.
        bundle: usize,
    },
    /// The bundle does not cover the state's number of records (the tree size).
    #[error(
        "record count mismatch: the state has {expected} records (tree size), \
         the bundle covers {bundle}"
    )]
    RecordCountMismatch {
        /// The tree size the caller trusts.
        expected: u64,
        /// The bundle's record count.
        bundle: u64,
    },
    /// The bundle's key commitment is not the escrowed key's.
    #[error(
        "key commitment mismatch: expected {} (the escrowed key), the bundle's is {}",
        hex_fr(.expected), hex_fr(.found)
    )]
    KeyCommitmentMismatch {
        /// The key commitment the caller trusts.
        expected: Fr,
        /// The bundle's `K`.
        found: Fr,
    },
    /// A chunk's nonce input is at least `2^128`.
    #[error("chunk {chunk}: nonce input {} is not below 2^128", hex_fr(.found))]
    NonceOutOfRange {
        /// The chunk.
        chunk: usize,
        /// The chunk's input.
        found: Fr,
    },
    /// A chunk's nonce does not carry its chunk index in its low 32 bits.
    #[error(
        "chunk {chunk}: the nonce's chunk index (low 32 bits) is {found}, must be {chunk} \
         (nonce = lineage · 2^64 + version · 2^32 + chunk index)"
    )]
    NonceIndex {
        /// The chunk.
        chunk: usize,
        /// The nonce's low 32 bits.
        found: u32,
    },
    /// A chunk's nonce belongs to another lineage than chunk 0's: proofs of two backup
    /// lineages mixed.
    #[error(
        "chunk {chunk}: the nonce is of lineage {found:#018x}, chunk 0's is {expected:#018x} \
         (all chunks of a bundle must be of one backup lineage)"
    )]
    LineageMismatch {
        /// The chunk.
        chunk: usize,
        /// Chunk 0's lineage.
        expected: u64,
        /// This chunk's lineage.
        found: u64,
    },
    /// The chunk size is zero or not a power of two.
    #[error("chunk size {chunk_size} is not a power of two")]
    InvalidChunkSize {
        /// The bundle's chunk size.
        chunk_size: usize,
    },
    /// A bundle of zero records.
    #[error("the bundle covers no records")]
    NoRecords,
    /// A header value differs between the bundle and the backup.
    #[error("bundle and backup disagree on {field}: bundle {bundle}, backup {backup}")]
    HeaderMismatch {
        /// `arity`, `chunk_size`, `records`, `root`, `commitment` or `key_commitment`.
        field: &'static str,
        /// The bundle's value.
        bundle: String,
        /// The backup's value.
        backup: String,
    },
    /// The bundle or the backup does not have `ceil(records / chunk_size)` chunks.
    #[error(
        "the {holder} has {found} chunks, expected {expected} (records / chunk size, rounded up)"
    )]
    ChunkCount {
        /// `bundle` or `backup`.
        holder: &'static str,
        /// `ceil(records / chunk_size)`.
        expected: usize,
        /// The number of chunks found.
        found: usize,
    },
    /// Chunk entries out of order (swapped, duplicated or skipped).
    #[error(
        "chunk entry {position} has index {found}: entries must have indices 0, 1, 2, … in order"
    )]
    ChunkIndex {
        /// The entry's position in the bundle.
        position: usize,
        /// Its index field.
        found: usize,
    },
    /// A chunk's key commitment input is not the expected `K`.
    #[error("chunk {chunk}: key commitment input is {}, the expected K is {}", hex_fr(.found), hex_fr(.expected))]
    ChunkKeyCommitment {
        /// The chunk.
        chunk: usize,
        /// The expected `K` (equal to the bundle's, checked before).
        expected: Fr,
        /// The chunk's input.
        found: Fr,
    },
    /// A chunk's nonce input is not the backup's nonce for that chunk.
    #[error("chunk {chunk}: nonce input is {}, the backup's nonce is {}", hex_fr(.found), hex_fr(.expected))]
    ChunkNonce {
        /// The chunk.
        chunk: usize,
        /// The backup's nonce.
        expected: Fr,
        /// The chunk's input.
        found: Fr,
    },
    /// A chunk's count input is not its number of records.
    #[error("chunk {chunk}: count input is {}, the chunk holds {expected} records", hex_fr(.found))]
    ChunkRecordCount {
        /// The chunk.
        chunk: usize,
        /// Records in the chunk (chunk size, or the remainder for the last).
        expected: u64,
        /// The chunk's input.
        found: Fr,
    },
    /// A chunk's commitment input is not the commitment of the backup's ciphertext.
    #[error(
        "chunk {chunk}: ciphertext commitment input is {}, the backup's chunk commitment is {}",
        hex_fr(.found), hex_fr(.expected)
    )]
    ChunkCommitment {
        /// The chunk.
        chunk: usize,
        /// The backup's chunk commitment.
        expected: Fr,
        /// The chunk's input.
        found: Fr,
    },
    /// The backup's own chunk list is inconsistent with its header.
    #[error("the backup is inconsistent: {reason}")]
    BackupInconsistent {
        /// What is wrong.
        reason: String,
    },
    /// The chunk roots do not recombine into the bundle's `R`.
    #[error("the chunk roots recombine into {}, the bundle's root is {}", hex_fr(.recombined), hex_fr(.bundle))]
    RecombinedRootMismatch {
        /// The bundle's `R`.
        bundle: Fr,
        /// The LeanIMT root of the chunk roots.
        recombined: Fr,
    },
    /// The chunk commitments do not recombine into the bundle's `C`.
    #[error(
        "the chunk commitments recombine into {}, the bundle's commitment is {}",
        hex_fr(.recombined), hex_fr(.bundle)
    )]
    RecombinedCommitmentMismatch {
        /// The bundle's `C`.
        bundle: Fr,
        /// The LeanIMT root of the chunk commitments.
        recombined: Fr,
    },
    /// The proven state root is not the one the caller expects (from the chain).
    #[error("state root mismatch: expected {}, the bundle proves {}", hex_fr(.expected), hex_fr(.found))]
    StateRootMismatch {
        /// The root the caller trusts.
        expected: Fr,
        /// The root the bundle proves.
        found: Fr,
    },
    /// A LeanIMT error (only for an empty chunk list, which earlier checks exclude).
    #[error(transparent)]
    Tree(#[from] LeanImtError),
}
