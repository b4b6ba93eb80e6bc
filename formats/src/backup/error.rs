//! The errors of the backup file and of restore.
//!
//! Every error about a file names it (`<memory>` for a backup restored from memory with
//! [`Backup::restore`](super::Backup::restore)). A foreign cause (an I/O error, the cipher's
//! error) is kept as the [`source`](std::error::Error::source) and not repeated in the
//! message; what the format's own checks find is part of the message.

use super::{VERSION, VERSION_1};
use crate::claims::ClaimsError;
use std::fmt;
use std::path::PathBuf;
use zkbackup_core::chunk::MAX_ARITY;
use zkbackup_core::cipher::CipherError;

/// What is wrong with a file that fails its integrity check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrityProblem {
    /// The file does not start with `ZKBACKUP`.
    BadMagic,
    /// The file is shorter than a header and a trailer.
    TooShort {
        /// The file's length.
        len: u64,
    },
    /// The trailer's length field differs from the file's length.
    LengthMismatch {
        /// The length recorded in the trailer.
        recorded: u64,
        /// The file's length.
        actual: u64,
    },
    /// The SHA-256 in the trailer does not match the content.
    HashMismatch,
}

impl fmt::Display for IntegrityProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegrityProblem::BadMagic => write!(
                f,
                "the file does not start with \"ZKBACKUP\" (not a zkbackup backup, or damaged)"
            ),
            IntegrityProblem::TooShort { len } => write!(
                f,
                "the file is {len} bytes, shorter than any backup (truncated)"
            ),
            IntegrityProblem::LengthMismatch { recorded, actual } => write!(
                f,
                "the trailer records {recorded} bytes but the file has {actual} (truncated or damaged)"
            ),
            IntegrityProblem::HashMismatch => {
                write!(f, "the SHA-256 in the trailer does not match the content (damaged)")
            }
        }
    }
}

/// A structural rule of the format that a file with an intact trailer breaks (a writer bug
/// or a crafted file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StructureProblem {
    /// A value runs past the end of the content (before the trailer).
    #[error("{what} at byte offset {offset} runs past the end of the content")]
    Truncated {
        /// Which value.
        what: String,
        /// Where it starts.
        offset: usize,
    },
    /// The records-format byte is neither 0 (CSV) nor 1 (JSON Lines).
    #[error("unknown records format code {0}")]
    FormatCode(u8),
    /// The arity is not between 1 and [`MAX_ARITY`].
    #[error("arity {0} is not between 1 and {MAX_ARITY}")]
    Arity(usize),
    /// Header bytes 14 and 15 are reserved and must be zero.
    #[error("reserved header bytes 14..16 are not zero")]
    Reserved,
    /// The chunk size is not a power of two.
    #[error("chunk size {0} is not a power of two")]
    ChunkSizeNotPowerOfTwo(usize),
    /// A full chunk would hold more than `2^32 − 1` elements.
    #[error("chunk size {0} is too large")]
    ChunkSizeTooLarge(usize),
    /// The record count is zero.
    #[error("the record count is zero")]
    NoRecords,
    /// The chunk count is not `ceil(records / chunk size)`.
    #[error("{chunks} chunks cannot hold {records} records of {chunk_size} per chunk")]
    ChunkCount {
        /// The chunk count in the header.
        chunks: usize,
        /// The record count in the header.
        records: u64,
        /// The chunk size in the header.
        chunk_size: usize,
    },
    /// Chunk `j` does not carry index `j`.
    #[error("chunk {chunk} carries index {index}")]
    ChunkIndex {
        /// The chunk's position.
        chunk: u32,
        /// The index it carries.
        index: u32,
    },
    /// A chunk's nonce does not carry its position `j` in its low 32 bits.
    #[error(
        "chunk {chunk} has nonce {nonce}, whose chunk index (low 32 bits) is {index}, not {chunk}"
    )]
    NonceIndex {
        /// The chunk.
        chunk: u32,
        /// The nonce it carries.
        nonce: u128,
        /// The nonce's index part.
        index: u32,
    },
    /// A chunk's nonce is of another lineage than the header's.
    #[error("chunk {chunk} has nonce {nonce} of lineage {lineage:#018x}, the header's lineage is {expected:#018x}")]
    NonceLineage {
        /// The chunk.
        chunk: u32,
        /// The nonce it carries.
        nonce: u128,
        /// The nonce's lineage part (bits 64..128).
        lineage: u64,
        /// The header's lineage.
        expected: u64,
    },
    /// A v2 chunk's nonce version is above the header's generation: no generation up to
    /// the file's encrypted it.
    #[error("chunk {chunk} has nonce {nonce} of version {version}, above the header's generation {generation}")]
    NonceVersionAboveGeneration {
        /// The chunk.
        chunk: u32,
        /// The nonce it carries.
        nonce: u128,
        /// The nonce's version part (bits 32..64).
        version: u32,
        /// The header's generation.
        generation: u32,
    },
    /// A v1 chunk's nonce is not `backup id · 2^32 + j`: its version part differs from the
    /// header's generation (the backup id's low 32 bits).
    #[error("chunk {chunk} has nonce {nonce} of version {version}; a version 1 file's nonces are backup id · 2^32 + j, version {generation}")]
    NonceVersionNotGenerationV1 {
        /// The chunk.
        chunk: u32,
        /// The nonce it carries.
        nonce: u128,
        /// The nonce's version part (bits 32..64).
        version: u32,
        /// The header's generation (the backup id's low 32 bits).
        generation: u32,
    },
    /// A chunk's plaintext length is not the one the header's counts give it.
    #[error("chunk {chunk} has plaintext length {length}, expected {expected}")]
    Length {
        /// The chunk.
        chunk: u32,
        /// The length it carries.
        length: u32,
        /// The length the header's counts give it.
        expected: u32,
    },
}

/// Why [`Backup::create`](super::Backup::create) refuses its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateProblem {
    /// The chunk size is not a power of two.
    #[error("chunk size {0} is not a power of two")]
    ChunkSizeNotPowerOfTwo(usize),
    /// A full chunk would hold more than `2^32 − 1` elements.
    #[error("chunk size {0} is too large")]
    ChunkSizeTooLarge(usize),
    /// The records make more chunks than the format counts.
    #[error("{records} records make more than 2^32 - 1 chunks")]
    TooManyChunks {
        /// The number of records.
        records: usize,
    },
}

/// Why [`Backup::update`](super::Backup::update) refuses to make an incremental backup of
/// its parent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateProblem {
    /// The key is not the parent's: an incremental backup keeps the parent's key.
    #[error("the parent backup was made with the key whose commitment is {parent}, this key's commitment is {key}: an incremental backup needs the parent's key (make a full backup for another key)")]
    WrongKey {
        /// The parent's `K`.
        parent: String,
        /// The given key's commitment.
        key: String,
    },
    /// The records have another arity than the parent's.
    #[error("the records have {records} fields per record, the parent backup {parent}: an incremental backup keeps the parent's arity (make a full backup)")]
    Arity {
        /// The parent's arity.
        parent: usize,
        /// The records' arity.
        records: usize,
    },
    /// The parent is at the last generation a nonce can carry.
    #[error("the parent backup is generation {generation} of lineage {lineage:#018x}, the last a nonce can carry: start a new lineage with a full backup")]
    GenerationExhausted {
        /// The parent's lineage.
        lineage: u64,
        /// The parent's generation.
        generation: u32,
    },
    /// A parent chunk's nonce breaks the format's nonce rule (a backup built in memory; a
    /// file that does is refused when read).
    #[error("{0}")]
    ParentNonce(StructureProblem),
}

/// Errors of the backup file and of restore; each names the file where there is one.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing failed.
    #[error("{path}")]
    Io {
        /// The backup file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output exists; backups are never overwritten.
    #[error("{path}: already exists; refusing to overwrite it")]
    Exists {
        /// The output path.
        path: PathBuf,
    },
    /// Truncated, damaged or not a backup: refused before anything is decrypted.
    #[error("{path}: integrity check failed: {problem}")]
    Integrity {
        /// The backup file.
        path: PathBuf,
        /// What failed.
        problem: IntegrityProblem,
    },
    /// A format version this build does not read.
    #[error("{path}: unknown backup format version {found} (this build reads versions {VERSION_1} and {VERSION})")]
    UnknownVersion {
        /// The backup file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// A structural rule of the format is broken (with an intact hash: a writer bug or a
    /// crafted file).
    #[error("{path}: invalid backup: {problem}")]
    Invalid {
        /// The backup file.
        path: PathBuf,
        /// What is wrong.
        problem: StructureProblem,
    },
    /// The header describes a file of another length (chunk count, record count, chunk size
    /// or arity altered, or chunks missing or added): refused before anything is allocated
    /// for the chunks.
    #[error("{path}: invalid backup: the header describes a file of {described} bytes, the file has {actual}")]
    SizeMismatch {
        /// The backup file.
        path: PathBuf,
        /// The length the header's counts imply, trailer included.
        described: u128,
        /// The file's length.
        actual: u64,
    },
    /// A stored field element is not below the BN254 scalar modulus.
    #[error("{path}: invalid backup: {what} at byte offset {offset} is not a canonical field element (not below the BN254 scalar modulus)")]
    NonCanonical {
        /// The backup file.
        path: PathBuf,
        /// Which value.
        what: String,
        /// Its offset in the file.
        offset: usize,
    },
    /// A recomputed commitment differs from the stored one.
    #[error(
        "{path}: {what} does not match the ciphertext: stored {stored}, recomputed {recomputed}"
    )]
    CommitmentMismatch {
        /// The backup file.
        path: PathBuf,
        /// Which commitment.
        what: String,
        /// The value in the file.
        stored: String,
        /// The value computed from the file.
        recomputed: String,
    },
    /// The key's commitment is not the backup's key commitment.
    #[error("{path}: wrong key: the backup was made with the key whose commitment is {expected}, this key's commitment is {found}")]
    WrongKey {
        /// The backup file.
        path: PathBuf,
        /// The backup's key commitment.
        expected: String,
        /// The given key's commitment.
        found: String,
    },
    /// A chunk failed to decrypt.
    #[error("{path}: chunk {index} does not decrypt")]
    Decrypt {
        /// The backup file.
        path: PathBuf,
        /// The chunk.
        index: u32,
        /// Why.
        source: CipherError,
    },
    /// The decrypted records do not hash to the expected root.
    #[error(
        "{path}: state root mismatch: expected {expected}, the decrypted records have root {found}"
    )]
    StateRootMismatch {
        /// The backup file.
        path: PathBuf,
        /// The header's (or the caller's) root.
        expected: String,
        /// The recomputed root.
        found: String,
    },
    /// The arguments to [`Backup::create`](super::Backup::create) are not valid.
    #[error("cannot create a backup: {0}")]
    Create(CreateProblem),
    /// The parent of an incremental backup is refused.
    #[error("{path}: cannot make an incremental backup of it: {problem}")]
    Update {
        /// The parent backup file.
        path: PathBuf,
        /// Why.
        problem: UpdateProblem,
    },
    /// The generation of an incremental backup could not be claimed (nothing was encrypted).
    #[error("cannot claim a generation for the incremental backup")]
    Claims(#[from] ClaimsError),
}

impl BackupError {
    /// Whether this is an integrity failure (damaged, truncated, not a backup).
    pub fn is_integrity(&self) -> bool {
        matches!(self, BackupError::Integrity { .. })
    }
}
