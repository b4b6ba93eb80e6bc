//! Records: the private state zkbackup backs up, and the files it is read from and written to.
//!
//! A state is a non-empty list of records of one fixed arity (1 to 16 field elements); its
//! leaves are `Poseidon(record fields)` and its root is the LeanIMT root of the leaves.
//!
//! # File formats
//!
//! Values are canonical BN254 scalars, decimal or `0x`-hex ([`zkbackup_core::field::parse`]);
//! a value `>= r` is an error, never reduced. The format follows the extension (`.csv`; `.jsonl` or
//! `.ndjson`; case-insensitive) unless given explicitly.
//!
//! - **CSV** ([`RecordFormat::Csv`]): one record per line, values separated by commas. Spaces
//!   and tabs around a value are ignored, as are double quotes around a whole value
//!   (`"12"`, as spreadsheets write). No header line.
//! - **JSON Lines** ([`RecordFormat::JsonLines`]): one JSON array per line whose elements are
//!   strings (`["1","0x2a"]`) or non-negative JSON integers (`[1,42]`, read exactly, at any
//!   size: the file is not parsed through `f64`). Other JSON values are errors.
//!
//! Both: lines end in `\n` or `\r\n`; a UTF-8 byte-order mark at the start is skipped; blank
//! lines at the end are ignored, but a blank line *between* records is an error, since it
//! usually means a damaged file and would otherwise shift every later record's index. Every
//! line has the arity of line 1. An empty file (or one of blank lines only) is an error.
//!
//! [`Records::write`] writes the canonical form: decimal values, no spaces, `\n` after every
//! record (CSV `1,2`; JSON Lines `["1","2"]`), so reading and writing a canonical file gives it
//! back byte for byte.
//!
//! Errors ([`RecordsError`]) name the file and the 1-based line; the problem is their source
//! (a [`FieldParseError`](zkbackup_core::field::FieldParseError), a [`JsonLineError`], an I/O
//! error) or said in the message. When a file has several bad lines, the first one is
//! reported.
//!
//! Parsing allocates in proportion to the file, never more: at most 16 bytes of field
//! elements per byte of text (a line shorter than the shortest record ends the parse with
//! its error before anything is allocated for the lines after it).
//!
//! The code: the [`Records`] type and [`RecordFormat`] here; `lines` (what both formats share:
//! splitting the file into lines, the arity, parallel parsing), `csv`, `jsonl` (serde_json
//! splits each line into its elements' raw texts) and `error`.

mod csv;
mod error;
mod jsonl;
mod lines;
#[cfg(test)]
mod tests;

pub use error::{JsonLineError, RecordsError, UnknownRecordFormat};

use rayon::prelude::*;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;
use zkbackup_core::{lean_imt, poseidon, Fr};

/// The most fields a record may have (one constant for the whole workspace).
pub use zkbackup_core::chunk::MAX_ARITY;

/// Records rendered per rayon task when writing.
const WRITE_BLOCK: usize = 4096;
/// Records rendered before each write, so writing a big state needs bounded extra memory.
const WRITE_BATCH: usize = 64 * WRITE_BLOCK;
/// Below this many records, leaves are hashed on one thread.
const PARALLEL_LEAVES: usize = 1024;

/// The text format of a records file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// Comma-separated values, one record per line.
    Csv,
    /// One JSON array per line.
    JsonLines,
}

impl RecordFormat {
    /// The format a path's extension names: `.csv`, or `.jsonl` / `.ndjson` (any case).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }

    /// `explicit` if given, else the format of `path`'s extension.
    pub fn resolve(path: &Path, explicit: Option<Self>) -> Result<Self, RecordsError> {
        explicit
            .or_else(|| Self::from_path(path))
            .ok_or_else(|| RecordsError::UnknownFormat {
                path: path.to_path_buf(),
            })
    }

    /// The short name: `csv` or `jsonl`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }
}

impl fmt::Display for RecordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RecordFormat {
    type Err = UnknownRecordFormat;

    /// `csv`, or `jsonl` / `ndjson` / `jsonlines` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "jsonl" | "ndjson" | "jsonlines" => Ok(Self::JsonLines),
            _ => Err(UnknownRecordFormat(s.to_owned())),
        }
    }
}

/// A non-empty list of records of one arity, stored row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Records {
    arity: usize,
    fields: Vec<Fr>,
    derived: Derived,
}

/// What is hashed from the fields, kept once computed: the fields never change after
/// construction, and a delta cycle needs the leaves and chunk roots in the backup update, the
/// prover's checks and the root comparison (each ~1 s at 100,000 records of arity 4).
#[derive(Clone, Debug, Default)]
struct Derived {
    leaves: OnceLock<Vec<Fr>>,
    /// The chunk roots for the first chunk size asked.
    chunk_roots: OnceLock<(usize, Vec<Fr>)>,
}

/// Derived values are a function of the fields: they never make two records differ.
impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Derived {}

/// Records are secrets once decrypted: their fields are overwritten with zeros on drop.
impl Drop for Records {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.fields);
    }
}

impl zeroize::ZeroizeOnDrop for Records {}

// `len` without `is_empty`: a `Records` is never empty.
#[allow(clippy::len_without_is_empty)]
impl Records {
    /// Records of `arity` fields from their fields, row-major.
    pub fn new(arity: usize, fields: Vec<Fr>) -> Result<Self, RecordsError> {
        if !(1..=MAX_ARITY).contains(&arity) {
            return Err(RecordsError::InvalidArity(arity));
        }
        if fields.is_empty() {
            return Err(RecordsError::NoRecords);
        }
        if !fields.len().is_multiple_of(arity) {
            return Err(RecordsError::Ragged {
                arity,
                len: fields.len(),
            });
        }
        Ok(Self::from_checked(arity, fields))
    }

    /// Records of fields whose arity and length the caller checked.
    pub(super) fn from_checked(arity: usize, fields: Vec<Fr>) -> Self {
        Self {
            arity,
            fields,
            derived: Derived::default(),
        }
    }

    /// Records from rows, which must all have the first row's arity.
    pub fn from_rows<R: AsRef<[Fr]>>(rows: &[R]) -> Result<Self, RecordsError> {
        let arity = rows.first().ok_or(RecordsError::NoRecords)?.as_ref().len();
        let mut fields = Vec::with_capacity(arity * rows.len());
        for row in rows {
            let row = row.as_ref();
            if row.len() != arity {
                return Err(RecordsError::Ragged {
                    arity,
                    len: row.len(),
                });
            }
            fields.extend_from_slice(row);
        }
        Self::new(arity, fields)
    }

    /// Fields per record.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// Number of records (at least 1).
    pub fn len(&self) -> usize {
        self.fields.len() / self.arity
    }

    /// Record `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`; see [`Records::get`].
    pub fn row(&self, i: usize) -> &[Fr] {
        &self.fields[i * self.arity..(i + 1) * self.arity]
    }

    /// Record `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&[Fr]> {
        (i < self.len()).then(|| self.row(i))
    }

    /// The records in order.
    pub fn iter_rows(&self) -> std::slice::ChunksExact<'_, Fr> {
        self.fields.chunks_exact(self.arity)
    }

    /// All fields, row-major.
    pub fn fields(&self) -> &[Fr] {
        &self.fields
    }

    /// All fields, row-major, by value (no longer wiped on drop: the caller's to wipe).
    pub fn into_fields(mut self) -> Vec<Fr> {
        std::mem::take(&mut self.fields)
    }

    /// The leaves `Poseidon(record)`, hashed in parallel for large states (once: later calls
    /// copy them).
    pub fn leaves(&self) -> Vec<Fr> {
        self.leaf_slice().to_vec()
    }

    fn leaf_slice(&self) -> &[Fr] {
        self.derived.leaves.get_or_init(|| {
            if self.len() >= PARALLEL_LEAVES {
                self.fields
                    .par_chunks_exact(self.arity)
                    .map(poseidon::hash)
                    .collect()
            } else {
                self.iter_rows().map(poseidon::hash).collect()
            }
        })
    }

    /// The LeanIMT roots of the leaves in chunks of `chunk_size` (a power of two), in chunk
    /// order (kept for the first chunk size asked).
    ///
    /// # Panics
    /// If `chunk_size` is not a power of two.
    pub fn chunk_roots(&self, chunk_size: usize) -> Vec<Fr> {
        let compute = || {
            lean_imt::chunk_roots(self.leaf_slice(), chunk_size)
                .expect("records are never empty and the chunk size is a power of two")
        };
        let (size, roots) = self
            .derived
            .chunk_roots
            .get_or_init(|| (chunk_size, compute()));
        if *size == chunk_size {
            roots.clone()
        } else {
            compute()
        }
    }

    /// The state root: the LeanIMT root of [`Records::leaves`].
    pub fn root(&self) -> Fr {
        lean_imt::root(self.leaf_slice()).expect("records are never empty")
    }

    /// Reads a records file; the format is `format` if given, else the extension's.
    pub fn read(
        path: impl AsRef<Path>,
        format: Option<RecordFormat>,
    ) -> Result<Self, RecordsError> {
        let path = path.as_ref();
        let format = RecordFormat::resolve(path, format)?;
        let bytes = std::fs::read(path).map_err(|source| RecordsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&bytes, format, path)
    }

    /// Parses the contents of a records file; `path` names it in errors.
    pub fn parse(
        bytes: &[u8],
        format: RecordFormat,
        path: impl AsRef<Path>,
    ) -> Result<Self, RecordsError> {
        let path = path.as_ref();
        lines::parse_lines(bytes, format).map_err(|e| e.at(path))
    }

    /// Writes the canonical form to `out` (see the [module docs](self)).
    pub fn write_to(&self, mut out: impl Write, format: RecordFormat) -> io::Result<()> {
        for batch in self.fields.chunks(WRITE_BATCH * self.arity) {
            let blocks: Vec<Vec<u8>> = batch
                .par_chunks(WRITE_BLOCK * self.arity)
                .map(|block| {
                    let mut buf = Vec::with_capacity(block.len() * 80);
                    for row in block.chunks_exact(self.arity) {
                        match format {
                            RecordFormat::Csv => csv::render_row(row, &mut buf),
                            RecordFormat::JsonLines => jsonl::render_row(row, &mut buf),
                        }
                    }
                    buf
                })
                .collect();
            for block in blocks {
                out.write_all(&block)?;
            }
        }
        out.flush()
    }

    /// The canonical form as bytes.
    pub fn to_bytes(&self, format: RecordFormat) -> Vec<u8> {
        let mut buf = Vec::new();
        self.write_to(&mut buf, format)
            .expect("writing to a Vec cannot fail");
        buf
    }

    /// Writes the canonical form to `path`, atomically: into a temporary file next to it,
    /// synced, then renamed over `path`, so a crash never leaves a half-written file.
    pub fn write(&self, path: impl AsRef<Path>, format: RecordFormat) -> Result<(), RecordsError> {
        let path = path.as_ref();
        let error = |source| RecordsError::Write {
            path: path.to_path_buf(),
            source,
        };
        crate::fs::write_atomic(path, |file| {
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            self.write_to(&mut out, format)?;
            out.flush()
        })
        .map_err(error)
    }
}
