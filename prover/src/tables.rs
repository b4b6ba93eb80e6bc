//! The fixed-base tables cache: the MSM tables of a proving key ([`crate::Backend::Fixed`])
//! written to disk by the first run that builds them and read by later runs under the same
//! key, so that a short run (an incremental `prove --reuse`, a `sync` round, a restarted
//! worker) gets the fast MSMs from its first proof instead of building them (about a minute
//! at chunk 256) or falling back to arkworks' MSM.
//!
//! One file per proving key, `tables-<first 16 hex digits of the key's SHA-256>.bin` in the
//! cache directory (`--tables-cache`; by default the user's cache directory, see the CLI).
//!
//! # Format, version 1
//! `ZKBTABL\0` (8 bytes), the version (`u32` little-endian, `1`), the SHA-256 of the
//! proving key file it was built from (32 bytes), the five tables in the order `A`, `B` in
//! G1, `B` in G2, `L`, `H` (each as [`zkbackup_msm::FixedBaseMsm::write_to`] lays it out,
//! with `engine::query_config` of the query's length), then the SHA-256 of everything before
//! it (32 bytes). Nothing follows.
//!
//! # Trust
//! The file is as trusted as the keys directory: whoever can write it can make proving
//! fail, never make a false proof, because every proof a run makes is verified under the
//! key's verifying key before it is written. The hash catches damage (a truncated write, a
//! flipped bit); a file that does not check is rebuilt and replaced, never used.

use crate::engine::PreparedKey;
use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use sha2::{Digest, Sha256};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// The file's magic bytes.
pub const TABLES_MAGIC: [u8; 8] = *b"ZKBTABL\0";
/// The format version this build writes and reads.
pub const TABLES_VERSION: u32 = 1;

/// Where a prover keeps the tables of its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablesCache {
    /// The cache directory (created when the tables are first written).
    pub dir: PathBuf,
    /// The proving key file's SHA-256, hex (`keys.json`'s `proving_key_sha256`).
    pub key_sha256: String,
}

/// What happened to the tables, for a progress display
/// ([`crate::ChunkProver::on_tables_build`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TablesEvent {
    /// Building starts (no usable cached file).
    Building,
    /// Built.
    Built,
    /// Read from this cached file.
    Loaded(PathBuf),
    /// Written to this file for later runs.
    Saved(PathBuf),
    /// A cached file could not be used or written (the reason, naming the file); the run
    /// goes on without it.
    CacheProblem(String),
}

impl TablesCache {
    /// The cache for the key whose proving key file hashes to `key_sha256` (hex), in `dir`.
    /// `None` when the hash is not 64 hex digits (keys never written to a directory).
    pub fn new(dir: PathBuf, key_sha256: &str) -> Option<Self> {
        let ok = key_sha256.len() == 64 && key_sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| Self {
            dir,
            key_sha256: key_sha256.to_ascii_lowercase(),
        })
    }

    /// The key's tables file.
    pub fn path(&self) -> PathBuf {
        self.dir
            .join(format!("tables-{}.bin", &self.key_sha256[..16]))
    }

    fn key_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.key_sha256, &mut out).expect("checked in new");
        out
    }

    /// Reads the cached tables of `pk` (`Ok(None)`: no file). An error names the file and
    /// the problem.
    pub fn load(&self, pk: &ProvingKey<Bn254>) -> Result<Option<PreparedKey>, String> {
        let path = self.path();
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let named = |problem: String| format!("{}: {problem}", path.display());
        let size = file.metadata().map_err(|e| named(e.to_string()))?.len();
        // The hash runs under the buffer (on whole buffer fills, not per field element) and
        // covers everything but the 32-byte checksum at the end.
        let mut r = BufReader::with_capacity(
            1 << 20,
            Hashing {
                inner: file,
                hash: Sha256::new(),
                left: size.saturating_sub(32),
            },
        );
        let mut header = [0u8; 8 + 4 + 32];
        r.read_exact(&mut header)
            .map_err(|e| named(format!("header: {e}")))?;
        if header[..8] != TABLES_MAGIC {
            return Err(named("not a zkbackup tables file".into()));
        }
        let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
        if version != TABLES_VERSION {
            return Err(named(format!(
                "unknown version {version} (this build reads {TABLES_VERSION})"
            )));
        }
        if header[12..] != self.key_bytes() {
            return Err(named("built from another proving key".into()));
        }
        let key = PreparedKey::read_fixed(pk, &mut r).map_err(named)?;
        let mut trailer = [0u8; 32];
        r.read_exact(&mut trailer)
            .map_err(|e| named(format!("checksum: {e}")))?;
        if r.read(&mut [0u8; 1]).map_err(|e| named(e.to_string()))? != 0 {
            return Err(named("bytes after the checksum".into()));
        }
        let hashing = r.into_inner();
        if hashing.left != 0 || trailer[..] != hashing.hash.finalize()[..] {
            return Err(named("damaged: its checksum does not match".into()));
        }
        Ok(Some(key))
    }

    /// Writes `key`'s tables (a [`crate::Backend::Fixed`] key) to the cache, atomically
    /// (a crash leaves no partial file under the final name). Returns the file.
    pub fn save(&self, key: &PreparedKey) -> Result<PathBuf, String> {
        let path = self.path();
        let named = |problem: String| format!("{}: {problem}", path.display());
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        zkbackup_formats::fs::write_atomic(&path, |w| {
            let mut out = BufWriter::with_capacity(
                1 << 20,
                Hashing {
                    inner: w,
                    hash: Sha256::new(),
                    left: u64::MAX,
                },
            );
            out.write_all(&TABLES_MAGIC)?;
            out.write_all(&TABLES_VERSION.to_le_bytes())?;
            out.write_all(&self.key_bytes())?;
            key.write_fixed(&mut out)?;
            let Hashing { inner, hash, .. } = out.into_inner().map_err(|e| e.into_error())?;
            inner.write_all(&hash.finalize())?;
            inner.flush()
        })
        .map_err(|e| named(e.to_string()))?;
        Ok(path)
    }
}

/// A reader or writer that hashes the first `left` bytes passing through it.
struct Hashing<T> {
    inner: T,
    hash: Sha256,
    left: u64,
}

impl<T> Hashing<T> {
    fn update(&mut self, bytes: &[u8]) {
        let n = bytes
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        self.hash.update(&bytes[..n]);
        self.left -= n as u64;
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.update(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
