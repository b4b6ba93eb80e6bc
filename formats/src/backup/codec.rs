//! The bytes of a backup file: the writer, which appends the SHA-256 trailer as it goes,
//! and the strict reader (integrity first, then every structural rule, then the elements,
//! each checked canonical).

use super::{
    check_nonce, format_code, format_from_code, Backup, BackupError, Checked, Chunk, Header,
    IntegrityProblem, StructureProblem, CHUNK_PREFIX_LEN, ELEMENT_LEN, HEADER_LEN, MAGIC,
    TRAILER_LEN, VERSION, VERSION_1,
};
use crate::fs::write_new_file;
use ark_bn254::Fr;
use ark_ff::{BigInt, BigInteger, PrimeField};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use zkbackup_core::chunk::MAX_ARITY;
use zkbackup_core::cipher::ciphertext_len;

impl Backup {
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
        // v2: lineage (u64) and generation (u32); the same 12 bytes as v1's backup id
        // `lineage · 2^32 + generation`.
        w.write_all(&h.lineage.to_be_bytes())?;
        w.write_all(&h.generation.to_be_bytes())?;
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
pub(super) fn described_file_len(records: u64, chunk_size: u64, arity: u64) -> u128 {
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
    fn invalid<T>(&self, problem: StructureProblem) -> Result<T, BackupError> {
        Err(BackupError::Invalid {
            path: self.path.to_path_buf(),
            problem,
        })
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], BackupError> {
        if self.bytes.len() - self.pos < n {
            return self.invalid(StructureProblem::Truncated {
                what: what.to_string(),
                offset: self.pos,
            });
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
        if version != VERSION && version != VERSION_1 {
            return Err(BackupError::UnknownVersion {
                path: self.path.to_path_buf(),
                found: version,
            });
        }
        let [format, arity, r0, r1]: [u8; 4] = self.take(4, "format")?.try_into().expect("4 bytes");
        let Some(format) = format_from_code(format) else {
            return self.invalid(StructureProblem::FormatCode(format));
        };
        let arity = arity as usize;
        if !(1..=MAX_ARITY).contains(&arity) {
            return self.invalid(StructureProblem::Arity(arity));
        }
        if (r0, r1) != (0, 0) {
            return self.invalid(StructureProblem::Reserved);
        }
        let chunk_size = self.u32("chunk size")? as usize;
        if chunk_size == 0 || !chunk_size.is_power_of_two() {
            return self.invalid(StructureProblem::ChunkSizeNotPowerOfTwo(chunk_size));
        }
        // In u64: a usize product saturates at u32::MAX on 32-bit targets (wasm) and would
        // pass.
        if chunk_size as u64 * arity as u64 > u64::from(u32::MAX) {
            return self.invalid(StructureProblem::ChunkSizeTooLarge(chunk_size));
        }
        let chunk_count = self.u32("chunk count")? as usize;
        let records = u64::from_be_bytes(self.take(8, "record count")?.try_into().expect("8"));
        if records == 0 {
            return self.invalid(StructureProblem::NoRecords);
        }
        if records.div_ceil(chunk_size as u64) != chunk_count as u64 {
            return self.invalid(StructureProblem::ChunkCount {
                chunks: chunk_count,
                records,
                chunk_size,
            });
        }
        // v1's 96-bit backup id `b` is the same 12 bytes: lineage `b >> 32`, generation
        // `b mod 2^32`.
        let lineage = u64::from_be_bytes(self.take(8, "lineage")?.try_into().expect("8 bytes"));
        let generation = self.u32("generation")?;
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
                return self.invalid(StructureProblem::ChunkIndex { chunk: j, index });
            }
            let nonce =
                u128::from_be_bytes(self.take(16, "chunk nonce")?.try_into().expect("16 bytes"));
            if let Err(problem) = check_nonce(version, lineage, generation, j, nonce) {
                return self.invalid(problem);
            }
            let stored_length = self.u32("chunk length")?;
            if stored_length != length {
                return self.invalid(StructureProblem::Length {
                    chunk: j,
                    length: stored_length,
                    expected: length,
                });
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
            lineage,
            generation,
            root,
            key_commitment,
            commitment,
        };
        Ok(Backup {
            header,
            chunks,
            commitments: Checked::default(),
        })
    }
}
