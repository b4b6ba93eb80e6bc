//! The backup file, format v2 (v1 still read): records encrypted chunk by chunk under the
//! escrow key, with the commitments an auditor recomputes from the file alone.
//! `docs/FORMAT.md` is the byte-level specification; this module implements it.
//!
//! # Definitions
//! - **Chunk `j`**: records `j·2^k .. min((j+1)·2^k, n)`, its plaintext the fields of those
//!   records in order (`length = records in chunk × arity` elements), encrypted as one
//!   message with [`cipher::encrypt`](zkbackup_core::cipher::encrypt).
//! - **Lineage and generation**: a full backup ([`Backup::create`]) draws a random 64-bit
//!   lineage from the operating system's generator and is generation 0; an incremental
//!   backup ([`Backup::update`]) keeps its parent's lineage and takes a generation above the
//!   parent's and above every generation of the lineage claimed before in the key's claims
//!   ledger ([`crate::claims`]), claimed (appended and synced) before anything is encrypted.
//! - **Nonce** of chunk `j` ([`Nonce`]): `lineage · 2^64 + version · 2^32 + j`, where
//!   `version` is the generation that encrypted the chunk: `≤` the header's generation (v2);
//!   exactly the generation in a v1 file. An unchanged chunk keeps its parent's nonce,
//!   ciphertext and commitment; a changed or added one is encrypted under the child's
//!   generation. So under one key a nonce repeats only if a (lineage, generation) pair is
//!   used twice (the ledger prevents it) or two random lineages collide (probability at
//!   most `q² / 2^65` after `q` full backups).
//! - **Chunk commitment**: [`chunk_commitment`](zkbackup_core::commitment::chunk_commitment) of the chunk's ciphertext, a Poseidon
//!   hash chain of 15 elements per 16-input call starting from the ciphertext length (see
//!   [`zkbackup_core::commitment`]). The chunk's nonce and record count are not hashed into it: they
//!   are public inputs of the chunk proof, and the verifier reads them from this file.
//! - **Backup commitment** `C`: the LeanIMT root ([`lean_imt::root`](zkbackup_core::lean_imt::root)) of the chunk
//!   commitments in chunk order: a binary Poseidon Merkle tree, so one chunk can be proven
//!   present by a path.
//! - **State root** `R`: the LeanIMT root of the record leaves `Poseidon(record)`.
//! - **EscrowKey commitment** `K`: [`EscrowKey::commitment`](zkbackup_core::EscrowKey::commitment).
//!
//! Reading checks the trailer (length and SHA-256 of the whole file) before anything else, so
//! truncation and any flipped byte are refused before decryption; then every structural
//! rule (counts, lengths, nonces, canonical elements). The file's length is checked against
//! the one the header's counts describe before anything is allocated for the chunks, so a
//! header that lies about its counts costs nothing. [`Backup::verify_commitments`]
//! recomputes the chunk commitments and `C` (no key needed); [`Backup::restore`] runs that
//! check too, then decrypts, re-roots and compares with `R`.
//!
//! # What binds the header
//! The SHA-256 trailer is not a signature: anyone can edit a header and re-hash it. What
//! restore produces is bound by other means: the ciphertext, nonces (lineage, version,
//! index) and plaintext lengths by the cipher's tag under the key; the arity, chunk size
//! and record count by `R` (records regrouped under another arity have another root: the
//! header's `R` can only be made to match by someone who knows the plaintext, a root from
//! the chain by no one); the stored commitments by recomputation. The records-format byte
//! is bound by nothing and is information only; the generation only bounds the chunks'
//! versions (a lowered one is refused, a raised one changes nothing restore produces).
//!
//! # Layout of this module
//! - this file: the model ([`Header`], [`Chunk`], [`Backup`] and its accessors) and the
//!   format's constants;
//! - `create`: encrypting records into a full backup ([`Backup::create`]);
//! - `update`: the incremental backup ([`Backup::update`], [`Changes`]);
//! - `restore`: checking the commitments and decrypting ([`Backup::verify_commitments`],
//!   [`Backup::restore`]);
//! - `codec`: the bytes of the file (the writer with its SHA-256 trailer, the strict reader);
//! - `error`: [`BackupError`] and what it carries.

mod codec;
mod create;
mod error;
mod restore;
mod update;

pub use codec::{element_bytes, element_from_bytes};
pub use create::random_lineage;
pub use error::{BackupError, CreateProblem, IntegrityProblem, StructureProblem, UpdateProblem};
pub use update::Changes;
pub use zkbackup_core::chunk::Nonce;

use crate::records::RecordFormat;
use ark_bn254::Fr;
use zkbackup_core::poseidon::hash;

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"ZKBACKUP";
/// The format version this build writes.
pub const VERSION: u32 = 2;
/// The first format version (96-bit backup id, one generation per file), still read.
pub const VERSION_1: u32 = 1;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 140;
/// Bytes of a chunk's fixed fields (index, nonce, length) before its ciphertext.
pub const CHUNK_PREFIX_LEN: usize = 24;
/// Bytes of the trailer: the file length (u64) and the SHA-256 of everything before it.
pub const TRAILER_LEN: usize = 40;
/// Bytes of one field element (big-endian, canonical).
pub const ELEMENT_LEN: usize = 32;

/// The header byte of a records format: 0 CSV, 1 JSON Lines.
pub fn format_code(format: RecordFormat) -> u8 {
    match format {
        RecordFormat::Csv => 0,
        RecordFormat::JsonLines => 1,
    }
}

/// The records format of a header byte.
pub fn format_from_code(code: u8) -> Option<RecordFormat> {
    match code {
        0 => Some(RecordFormat::Csv),
        1 => Some(RecordFormat::JsonLines),
        _ => None,
    }
}

/// The fixed header of a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version the file was read with ([`VERSION`] or [`VERSION_1`]); written
    /// back as it is, so a v1 file re-encodes byte for byte.
    pub version: u32,
    /// The format of the records file the backup was made from. Information only: the
    /// byte is covered by no commitment or tag (only the SHA-256 trailer, which anyone can
    /// recompute), so it never decides what restore produces.
    pub format: RecordFormat,
    /// Fields per record, 1 to 16.
    pub arity: usize,
    /// Records per chunk, a power of two.
    pub chunk_size: usize,
    /// Number of records, at least 1.
    pub records: u64,
    /// The lineage: 64 random bits drawn by the full backup that started it, the high part
    /// of every nonce (bytes 32..40; a v1 file's backup id `b` reads as lineage `b >> 32`).
    pub lineage: u64,
    /// The generation of the lineage: 0 for a full backup, above its parent's (and above
    /// every generation claimed for the lineage) for an incremental one (bytes 40..44; a v1
    /// file's backup id `b` reads as generation `b mod 2^32`). Every chunk's nonce version
    /// is at most this (v1: exactly this).
    pub generation: u32,
    /// The state root `R`.
    pub root: Fr,
    /// The key commitment `K`.
    pub key_commitment: Fr,
    /// The backup commitment `C`.
    pub commitment: Fr,
}

/// One encrypted chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The chunk's index `j`.
    pub index: u32,
    /// `lineage · 2^64 + version · 2^32 + j` ([`Nonce`]), `version` the generation that
    /// encrypted the chunk.
    pub nonce: u128,
    /// Plaintext elements (records in the chunk × arity).
    pub length: u32,
    /// `ceil(length / 3) · 3 + 1` elements, the last one the authentication tag.
    pub ciphertext: Vec<Fr>,
    /// The chunk commitment.
    pub commitment: Fr,
}

impl Chunk {
    /// The nonce's parts: lineage, version and index.
    pub fn nonce_parts(&self) -> Nonce {
        Nonce::from_u128(self.nonce)
    }
}

/// The nonce rule of chunk `j` under a header of format `version` (`docs/FORMAT.md` §4):
/// the nonce's index is `j` and its lineage the header's; its version is at most the
/// header's generation (v2) or exactly it (v1).
pub fn check_nonce(
    version: u32,
    lineage: u64,
    generation: u32,
    j: u32,
    nonce: u128,
) -> Result<(), StructureProblem> {
    let parts = Nonce::from_u128(nonce);
    if parts.index != j {
        return Err(StructureProblem::NonceIndex {
            chunk: j,
            nonce,
            index: parts.index,
        });
    }
    if parts.lineage != lineage {
        return Err(StructureProblem::NonceLineage {
            chunk: j,
            nonce,
            lineage: parts.lineage,
            expected: lineage,
        });
    }
    if version == VERSION_1 && parts.version != generation {
        return Err(StructureProblem::NonceVersionNotGenerationV1 {
            chunk: j,
            nonce,
            version: parts.version,
            generation,
        });
    }
    if parts.version > generation {
        return Err(StructureProblem::NonceVersionAboveGeneration {
            chunk: j,
            nonce,
            version: parts.version,
            generation,
        });
    }
    Ok(())
}

/// A backup: header and chunks, in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    header: Header,
    chunks: Vec<Chunk>,
    commitments: Checked,
}

/// Set once the stored chunk commitments and `C` are known to be those of the ciphertext: a
/// backup this process assembled (it computed them), or one whose
/// [`Backup::verify_commitments`] passed. Header and chunks never change after construction,
/// so the knowledge stays true; a delta cycle then does not hash every ciphertext again in the
/// update and in the prover (~2.7 s at 100,000 records of arity 4).
#[derive(Clone, Debug, Default)]
pub(crate) struct Checked(std::sync::OnceLock<()>);

impl Checked {
    pub(crate) fn yes() -> Self {
        let c = Self::default();
        let _ = c.0.set(());
        c
    }
}

/// Whether a check ran is not part of a backup's value.
impl PartialEq for Checked {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Checked {}

/// The state tree leaf of a record.
fn leaf(record: &[Fr]) -> Fr {
    hash(record)
}

impl Backup {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The chunks, in index order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The backup commitment `C` as stored in the header ([`Backup::verify_commitments`]
    /// checks it against the ciphertext).
    pub fn commitment(&self) -> Fr {
        self.header.commitment
    }

    /// The state root `R` as stored in the header.
    pub fn root(&self) -> Fr {
        self.header.root
    }

    /// The key commitment `K` as stored in the header.
    pub fn key_commitment(&self) -> Fr {
        self.header.key_commitment
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod update_tests;
