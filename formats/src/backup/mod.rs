//! The backup file, format v1: records encrypted chunk by chunk under the escrow key, with
//! the commitments an auditor recomputes from the file alone. `docs/FORMAT.md` is the
//! byte-level specification; this module implements it.
//!
//! # Definitions
//! - **Chunk `j`**: records `j·2^k .. min((j+1)·2^k, n)`, its plaintext the fields of those
//!   records in order (`length = records in chunk × arity` elements), encrypted as one
//!   message with [`cipher::encrypt`](crate::cipher::encrypt).
//! - **Nonce** of chunk `j`: `backup_id · 2^32 + j`, where `backup_id` is 96 bits drawn from
//!   the operating system's generator for each backup. Within a backup the chunk index keeps
//!   nonces distinct; across backups under one key two nonces collide only if two backup ids
//!   do: after `q` backups with one key, probability at most `q² / 2^97` (`2^-57` for a million
//!   backups). The nonce is below `2^128`, as the cipher requires.
//! - **Chunk commitment**: [`chunk_commitment`] of the chunk's ciphertext, a Poseidon
//!   hash chain of 15 elements per 16-input call starting from the ciphertext length (see
//!   [`crate::commitment`]). The chunk's nonce and record count are not hashed into it: they
//!   are public inputs of the chunk proof, and the verifier reads them from this file.
//! - **Backup commitment** `C`: the LeanIMT root ([`lean_imt::root`]) of the chunk
//!   commitments in chunk order: a binary Poseidon Merkle tree, so one chunk can be proven
//!   present by a path.
//! - **State root** `R`: the LeanIMT root of the record leaves `Poseidon(record)`.
//! - **EscrowKey commitment** `K`: [`EscrowKey::commitment`].
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
//! restore produces is bound by other means: the ciphertext, nonces (backup id, index) and
//! plaintext lengths by the cipher's tag under the key; the arity, chunk size and record
//! count by `R` (records regrouped under another arity have another root: the header's `R`
//! can only be made to match by someone who knows the plaintext, a root from the chain by
//! no one); the stored commitments by recomputation. The records-format byte is bound by
//! nothing and is information only.

pub use crate::fs::write_new_file;
use crate::records::{RecordFormat, Records};
use ark_bn254::Fr;
use ark_ff::{BigInt, BigInteger, PrimeField};
use rand::{rngs::OsRng, RngCore};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use zkbackup_core::chunk::{chunk_nonce, BACKUP_ID_BITS};
use zkbackup_core::cipher::{self, ciphertext_len, CipherError};
use zkbackup_core::commitment::{backup_commitment, chunk_commitment};
use zkbackup_core::field::to_hex;
use zkbackup_core::lean_imt;
use zkbackup_core::poseidon::{hash, MAX_INPUTS};
use zkbackup_core::EscrowKey;

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"ZKBACKUP";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 140;
/// Bytes of a chunk's fixed fields (index, nonce, length) before its ciphertext.
pub const CHUNK_PREFIX_LEN: usize = 24;
/// Bytes of the trailer: the file length (u64) and the SHA-256 of everything before it.
pub const TRAILER_LEN: usize = 40;
/// Bytes of one field element (big-endian, canonical).
pub const ELEMENT_LEN: usize = 32;
/// The largest record arity (a leaf is one Poseidon call of at most 16 inputs).
pub const MAX_ARITY: usize = MAX_INPUTS;

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
    #[error("{path}: unknown backup format version {found} (this build reads version {VERSION})")]
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
        problem: String,
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
    /// The arguments to [`Backup::create`] are not valid.
    #[error("cannot create a backup: {0}")]
    Create(String),
}

impl BackupError {
    /// Whether this is an integrity failure (damaged, truncated, not a backup).
    pub fn is_integrity(&self) -> bool {
        matches!(self, BackupError::Integrity { .. })
    }
}

/// The fixed header of a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version ([`VERSION`]).
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
    /// The random 96-bit backup id, the high part of every nonce.
    pub backup_id: u128,
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
    /// `backup_id · 2^32 + j`.
    pub nonce: u128,
    /// Plaintext elements (records in the chunk × arity).
    pub length: u32,
    /// `ceil(length / 3) · 3 + 1` elements, the last one the authentication tag.
    pub ciphertext: Vec<Fr>,
    /// The chunk commitment.
    pub commitment: Fr,
}

/// A backup: header and chunks, in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    header: Header,
    chunks: Vec<Chunk>,
}

/// The state tree leaf of a record.
fn leaf(record: &[Fr]) -> Fr {
    hash(record)
}

/// A fresh 96-bit backup id.
pub fn random_backup_id() -> u128 {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes[4..]);
    u128::from_be_bytes(bytes)
}

/// A path named in errors of in-memory operations.
const NO_PATH: &str = "<memory>";

impl Backup {
    /// Encrypts `records` into chunks of `chunk_size` records (a power of two), in
    /// parallel, with a fresh random backup id. `format`, the format of the records file, is
    /// recorded in the header as information (`inspect` shows it).
    pub fn create(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
    ) -> Result<Self, BackupError> {
        Self::create_with_id(records, format, key, chunk_size, random_backup_id())
    }

    /// [`Backup::create`] with a given backup id (tests and benches; a real backup must use
    /// a fresh random id, or nonces may repeat).
    pub fn create_with_id(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
        backup_id: u128,
    ) -> Result<Self, BackupError> {
        let bad = |m: String| Err(BackupError::Create(m));
        let arity = records.arity();
        let fields = records.fields();
        if chunk_size == 0 || !chunk_size.is_power_of_two() {
            return bad(format!("chunk size {chunk_size} is not a power of two"));
        }
        if chunk_size
            .checked_mul(arity)
            .is_none_or(|l| l > u32::MAX as usize)
        {
            return bad(format!("chunk size {chunk_size} is too large"));
        }
        if backup_id >> BACKUP_ID_BITS != 0 {
            return bad("the backup id must be below 2^96".into());
        }
        let records = fields.len() / arity;
        let chunk_count = records.div_ceil(chunk_size);
        if chunk_count > u32::MAX as usize {
            return bad(format!("{records} records make more than 2^32 - 1 chunks"));
        }
        let per_chunk: Vec<(Chunk, Fr)> = fields
            .par_chunks(chunk_size * arity)
            .enumerate()
            .map(|(j, plaintext)| {
                let index = j as u32;
                let nonce = chunk_nonce(backup_id, index);
                let length = plaintext.len() as u32;
                let ciphertext = cipher::encrypt(plaintext, key, nonce);
                let commitment = chunk_commitment(&ciphertext);
                let leaves: Vec<Fr> = plaintext.chunks(arity).map(leaf).collect();
                let chunk_root = lean_imt::root(&leaves).expect("a chunk is not empty");
                let chunk = Chunk {
                    index,
                    nonce,
                    length,
                    ciphertext,
                    commitment,
                };
                (chunk, chunk_root)
            })
            .collect();
        let (chunks, chunk_roots): (Vec<Chunk>, Vec<Fr>) = per_chunk.into_iter().unzip();
        let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
        let header = Header {
            version: VERSION,
            format,
            arity,
            chunk_size,
            records: records as u64,
            backup_id,
            root: lean_imt::root_of_chunk_roots(&chunk_roots).expect("at least one chunk"),
            key_commitment: key.commitment(),
            commitment: backup_commitment(&commitments),
        };
        Ok(Self { header, chunks })
    }

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

    /// Recomputes every chunk commitment and `C` from the ciphertext (in parallel; no key).
    pub fn recompute_commitments(&self) -> (Vec<Fr>, Fr) {
        let chunk_commitments: Vec<Fr> = self
            .chunks
            .par_iter()
            .map(|c| chunk_commitment(&c.ciphertext))
            .collect();
        let c = backup_commitment(&chunk_commitments);
        (chunk_commitments, c)
    }

    /// Checks the stored chunk commitments and `C` against the ciphertext; `path` names the
    /// file in errors.
    pub fn verify_commitments(&self, path: &Path) -> Result<(), BackupError> {
        let (chunk_commitments, c) = self.recompute_commitments();
        for (chunk, recomputed) in self.chunks.iter().zip(&chunk_commitments) {
            if chunk.commitment != *recomputed {
                return Err(BackupError::CommitmentMismatch {
                    path: path.to_path_buf(),
                    what: format!("the commitment of chunk {}", chunk.index),
                    stored: to_hex(&chunk.commitment),
                    recomputed: to_hex(recomputed),
                });
            }
        }
        if c != self.header.commitment {
            return Err(BackupError::CommitmentMismatch {
                path: path.to_path_buf(),
                what: "the backup commitment".into(),
                stored: to_hex(&self.header.commitment),
                recomputed: to_hex(&c),
            });
        }
        Ok(())
    }

    /// Restores the records, in the reading order of `docs/FORMAT.md`: first the commitment
    /// check ([`Backup::verify_commitments`]: every chunk commitment and `C` recomputed from
    /// the ciphertext, so restore refuses exactly the files `inspect` refuses), then the key
    /// (a key whose commitment is not `K` is refused before decrypting), then every chunk is
    /// decrypted and authenticated (in parallel), and the records are re-rooted and compared
    /// with the header's `R`.
    ///
    /// What comes back is fixed by authenticated values only: the ciphertext (its tag, under
    /// the key), the nonces, lengths and `R`. The header's records-format byte plays no part:
    /// the caller chooses the output format.
    pub fn restore(&self, key: &EscrowKey) -> Result<Records, BackupError> {
        self.restore_named(key, Path::new(NO_PATH))
    }

    /// [`Backup::restore`], naming `path` in errors.
    pub fn restore_named(&self, key: &EscrowKey, path: &Path) -> Result<Records, BackupError> {
        self.verify_commitments(path)?;
        let h = &self.header;
        let found = key.commitment();
        if found != h.key_commitment {
            return Err(BackupError::WrongKey {
                path: path.to_path_buf(),
                expected: to_hex(&h.key_commitment),
                found: to_hex(&found),
            });
        }
        let arity = h.arity;
        let per_chunk: Vec<(Vec<Fr>, Fr)> = self
            .chunks
            .par_iter()
            .map(|c| {
                let plaintext = cipher::decrypt(&c.ciphertext, key, c.nonce, c.length as usize)
                    .map_err(|source| BackupError::Decrypt {
                        path: path.to_path_buf(),
                        index: c.index,
                        source,
                    })?;
                let leaves: Vec<Fr> = plaintext.chunks(arity).map(leaf).collect();
                let chunk_root = lean_imt::root(&leaves).expect("a chunk is not empty");
                Ok((plaintext, chunk_root))
            })
            .collect::<Result<_, BackupError>>()?;
        let chunk_roots: Vec<Fr> = per_chunk.iter().map(|(_, r)| *r).collect();
        let root = lean_imt::root_of_chunk_roots(&chunk_roots).expect("at least one chunk");
        if root != h.root {
            return Err(BackupError::StateRootMismatch {
                path: path.to_path_buf(),
                expected: to_hex(&h.root),
                found: to_hex(&root),
            });
        }
        let mut fields = Vec::with_capacity(h.records as usize * arity);
        for (plaintext, _) in per_chunk {
            fields.extend_from_slice(&plaintext);
        }
        Ok(Records::new(arity, fields).expect("the header's arity and counts were validated"))
    }

    /// The exact bytes of the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out).expect("writing to a Vec cannot fail");
        out
    }

    /// The file's length in bytes.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + self
                .chunks
                .iter()
                .map(|c| CHUNK_PREFIX_LEN + (c.ciphertext.len() + 1) * ELEMENT_LEN)
                .sum::<usize>()
            + TRAILER_LEN
    }

    fn encode<W: Write>(&self, w: W) -> std::io::Result<()> {
        let mut w = HashingWriter {
            inner: w,
            hasher: Sha256::new(),
            len: 0,
        };
        let h = &self.header;
        w.write_all(MAGIC)?;
        w.write_all(&h.version.to_be_bytes())?;
        w.write_all(&[format_code(h.format), h.arity as u8, 0, 0])?;
        w.write_all(&(h.chunk_size as u32).to_be_bytes())?;
        w.write_all(&(self.chunks.len() as u32).to_be_bytes())?;
        w.write_all(&h.records.to_be_bytes())?;
        w.write_all(&h.backup_id.to_be_bytes()[4..])?;
        for x in [&h.root, &h.key_commitment, &h.commitment] {
            w.write_all(&element_bytes(x))?;
        }
        for c in &self.chunks {
            w.write_all(&c.index.to_be_bytes())?;
            w.write_all(&c.nonce.to_be_bytes())?;
            w.write_all(&c.length.to_be_bytes())?;
            for x in &c.ciphertext {
                w.write_all(&element_bytes(x))?;
            }
            w.write_all(&element_bytes(&c.commitment))?;
        }
        let total = (w.len + TRAILER_LEN) as u64;
        w.write_all(&total.to_be_bytes())?;
        let digest = w.hasher.finalize_reset();
        w.inner.write_all(&digest)?;
        w.inner.flush()
    }

    /// Writes the file: to a temporary file in the same directory, synced, then moved to
    /// `path` with no-clobber semantics. Refuses an existing `path`; never leaves a partial
    /// file.
    pub fn write_to(&self, path: &Path) -> Result<(), BackupError> {
        write_new_file(path, |w| {
            self.encode(std::io::BufWriter::with_capacity(1 << 20, w))
        })
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                BackupError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                BackupError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
    }

    /// Reads and validates a backup file (integrity first, then structure; commitments are
    /// checked by [`Backup::verify_commitments`]).
    pub fn read(path: &Path) -> Result<Self, BackupError> {
        let bytes = std::fs::read(path).map_err(|source| BackupError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses and validates the bytes of a backup file; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, BackupError> {
        check_integrity(bytes, path)?;
        Parser {
            bytes: &bytes[..bytes.len() - TRAILER_LEN],
            pos: 0,
            path,
        }
        .backup()
    }
}

/// The trailer checks, in the order of the format spec.
fn check_integrity(bytes: &[u8], path: &Path) -> Result<(), BackupError> {
    let fail = |problem| {
        Err(BackupError::Integrity {
            path: path.to_path_buf(),
            problem,
        })
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return fail(IntegrityProblem::BadMagic);
    }
    let actual = bytes.len() as u64;
    if bytes.len() < HEADER_LEN + TRAILER_LEN {
        return fail(IntegrityProblem::TooShort { len: actual });
    }
    let (content, digest) = bytes.split_at(bytes.len() - 32);
    let recorded = u64::from_be_bytes(content[content.len() - 8..].try_into().expect("8 bytes"));
    if recorded != actual {
        return fail(IntegrityProblem::LengthMismatch { recorded, actual });
    }
    if Sha256::digest(content).as_slice() != digest {
        return fail(IntegrityProblem::HashMismatch);
    }
    Ok(())
}

/// The length in bytes of the file a header describes (header, chunks and trailer), for
/// `records ≥ 1` records of `arity` fields in chunks of `chunk_size`. In `u128`, where it
/// cannot overflow: at most `2^32` chunks of at most `2^37` bytes each.
fn described_file_len(records: u64, chunk_size: u64, arity: u64) -> u128 {
    let chunk_bytes = |records_in_chunk: u64| -> u128 {
        let length = u128::from(records_in_chunk) * u128::from(arity);
        let elements = length.div_ceil(3) * 3 + 1 + 1; // ciphertext and tag, commitment
        CHUNK_PREFIX_LEN as u128 + elements * ELEMENT_LEN as u128
    };
    let full = u128::from(records / chunk_size);
    let rest = records % chunk_size;
    let last = if rest == 0 { 0 } else { chunk_bytes(rest) };
    HEADER_LEN as u128 + full * chunk_bytes(chunk_size) + last + TRAILER_LEN as u128
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    len: usize,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// 32 big-endian bytes.
pub fn element_bytes(x: &Fr) -> [u8; 32] {
    x.into_bigint()
        .to_bytes_be()
        .try_into()
        .expect("a BN254 scalar is 32 bytes")
}

/// The element of 32 big-endian bytes, `None` if not below the modulus.
pub fn element_from_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        *limb = u64::from_be_bytes(bytes[start..start + 8].try_into().expect("8 bytes"));
    }
    Fr::from_bigint(BigInt(limbs))
}

/// A cursor over the content (the bytes before the trailer).
struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Parser<'a> {
    fn invalid<T>(&self, problem: String) -> Result<T, BackupError> {
        Err(BackupError::Invalid {
            path: self.path.to_path_buf(),
            problem,
        })
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], BackupError> {
        if self.bytes.len() - self.pos < n {
            return self.invalid(format!(
                "{what} at byte offset {} runs past the end of the content",
                self.pos
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self, what: &str) -> Result<u32, BackupError> {
        Ok(u32::from_be_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    fn element(&mut self, what: &dyn Fn() -> String) -> Result<Fr, BackupError> {
        let offset = self.pos;
        let b: &[u8; 32] = self.take(32, &what())?.try_into().expect("32 bytes");
        element_from_bytes(b).ok_or_else(|| BackupError::NonCanonical {
            path: self.path.to_path_buf(),
            what: what(),
            offset,
        })
    }

    fn backup(mut self) -> Result<Backup, BackupError> {
        self.take(MAGIC.len(), "magic")?;
        let version = self.u32("version")?;
        if version != VERSION {
            return Err(BackupError::UnknownVersion {
                path: self.path.to_path_buf(),
                found: version,
            });
        }
        let [format, arity, r0, r1]: [u8; 4] = self.take(4, "format")?.try_into().expect("4 bytes");
        let Some(format) = format_from_code(format) else {
            return self.invalid(format!("unknown records format code {format}"));
        };
        let arity = arity as usize;
        if !(1..=MAX_ARITY).contains(&arity) {
            return self.invalid(format!("arity {arity} is not between 1 and {MAX_ARITY}"));
        }
        if (r0, r1) != (0, 0) {
            return self.invalid("reserved header bytes 14..16 are not zero".into());
        }
        let chunk_size = self.u32("chunk size")? as usize;
        if chunk_size == 0 || !chunk_size.is_power_of_two() {
            return self.invalid(format!("chunk size {chunk_size} is not a power of two"));
        }
        // In u64: a usize product saturates at u32::MAX on 32-bit targets (wasm) and would
        // pass.
        if chunk_size as u64 * arity as u64 > u64::from(u32::MAX) {
            return self.invalid(format!("chunk size {chunk_size} is too large"));
        }
        let chunk_count = self.u32("chunk count")? as usize;
        let records = u64::from_be_bytes(self.take(8, "record count")?.try_into().expect("8"));
        if records == 0 {
            return self.invalid("the record count is zero".into());
        }
        if records.div_ceil(chunk_size as u64) != chunk_count as u64 {
            return self.invalid(format!(
                "{chunk_count} chunks cannot hold {records} records of {chunk_size} per chunk"
            ));
        }
        let mut id = [0u8; 16];
        id[4..].copy_from_slice(self.take(12, "backup id")?);
        let backup_id = u128::from_be_bytes(id);
        let root = self.element(&|| "the state root".into())?;
        let key_commitment = self.element(&|| "the key commitment".into())?;
        let commitment = self.element(&|| "the backup commitment".into())?;
        debug_assert_eq!(self.pos, HEADER_LEN);

        // Every chunk's size follows from the header, so the whole layout is known before
        // reading: a file whose size does not match is refused at once, before anything is
        // allocated for its chunks (a hostile header may claim 2^32 − 1 chunks in 180 bytes).
        let plaintext_len = |j: u64| -> u32 {
            let start = j * chunk_size as u64;
            // At most chunk_size · arity, checked above to fit a u32.
            ((records - start).min(chunk_size as u64) * arity as u64) as u32
        };
        let described = described_file_len(records, chunk_size as u64, arity as u64);
        let actual = (self.bytes.len() + TRAILER_LEN) as u64;
        if described != u128::from(actual) {
            return Err(BackupError::SizeMismatch {
                path: self.path.to_path_buf(),
                described,
                actual,
            });
        }
        // The file holds every chunk's bytes, so this is bounded by the file's size.
        let mut chunks = Vec::with_capacity(chunk_count);
        for j in 0..chunk_count as u32 {
            let length = plaintext_len(u64::from(j));
            let index = self.u32("chunk index")?;
            if index != j {
                return self.invalid(format!("chunk {j} carries index {index}"));
            }
            let nonce =
                u128::from_be_bytes(self.take(16, "chunk nonce")?.try_into().expect("16 bytes"));
            if nonce != chunk_nonce(backup_id, j) {
                return self.invalid(format!(
                    "chunk {j} has nonce {nonce}, expected backup id · 2^32 + {j} = {}",
                    chunk_nonce(backup_id, j)
                ));
            }
            let stored_length = self.u32("chunk length")?;
            if stored_length != length {
                return self.invalid(format!(
                    "chunk {j} has plaintext length {stored_length}, expected {length}"
                ));
            }
            let n = ciphertext_len(length as usize);
            let start = self.pos;
            let raw = self.take(n * ELEMENT_LEN, "ciphertext")?;
            let ciphertext = raw
                .chunks_exact(ELEMENT_LEN)
                .enumerate()
                .map(|(i, b)| {
                    element_from_bytes(b.try_into().expect("32 bytes")).ok_or_else(|| {
                        BackupError::NonCanonical {
                            path: self.path.to_path_buf(),
                            what: format!("ciphertext element {i} of chunk {j}"),
                            offset: start + i * ELEMENT_LEN,
                        }
                    })
                })
                .collect::<Result<Vec<Fr>, _>>()?;
            let chunk_commitment = self.element(&|| format!("the commitment of chunk {j}"))?;
            chunks.push(Chunk {
                index,
                nonce,
                length,
                ciphertext,
                commitment: chunk_commitment,
            });
        }
        let header = Header {
            version,
            format,
            arity,
            chunk_size,
            records,
            backup_id,
            root,
            key_commitment,
            commitment,
        };
        Ok(Backup { header, chunks })
    }
}

#[cfg(test)]
mod tests;
