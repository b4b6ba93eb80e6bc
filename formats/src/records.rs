//! Records: the private state zkbackup backs up, and the files it is read from and written to.
//!
//! A state is a non-empty list of records of one fixed arity (1 to 16 field elements); its
//! leaves are `Poseidon(record fields)` and its root is the LeanIMT root of the leaves.
//!
//! # File formats
//!
//! Values are canonical BN254 scalars, decimal or `0x`-hex ([`crate::field::parse`]); a value
//! `>= r` is an error, never reduced. The format follows the extension (`.csv`; `.jsonl` or
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
//! Errors ([`RecordsError`]) name the file, the 1-based line, and the problem. When a file has
//! several bad lines, the first one is reported.
//!
//! Parsing allocates in proportion to the file, never more: at most 16 bytes of field
//! elements per byte of text (a line shorter than the shortest record ends the parse with
//! its error before anything is allocated for the lines after it).

use ark_ff::Zero;
use rayon::prelude::*;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use zkbackup_core::field::{self, FieldParseError};
use zkbackup_core::{lean_imt, poseidon, Fr};

/// The most fields a record may have: the widest circomlib Poseidon.
pub const MAX_ARITY: usize = poseidon::MAX_INPUTS;

/// Lines parsed per rayon task: large enough to amortize scheduling.
const PARSE_BLOCK: usize = 4096;
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
    type Err = String;

    /// `csv`, or `jsonl` / `ndjson` / `jsonlines` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "jsonl" | "ndjson" | "jsonlines" => Ok(Self::JsonLines),
            _ => Err(format!(
                "unknown records format {s:?} (expected csv or jsonl)"
            )),
        }
    }
}

/// Why records could not be built, read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The file could not be read.
    #[error("cannot read records file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// The file could not be written.
    #[error("cannot write records file {}: {error}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// The extension names no known format and none was given.
    #[error(
        "cannot tell the records format of {} from its extension (expected .csv, .jsonl or \
         .ndjson); give the format explicitly (csv or jsonl)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no record.
    #[error("{}: empty file: no records", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A value is not a canonical field element.
    #[error("{}, line {line}, field {field}: {problem}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based position of the value in its record.
        field: usize,
        /// What is wrong with it.
        problem: FieldParseError,
    },
    /// A line's record has another arity than line 1's.
    #[error(
        "{}, line {line}: wrong arity: expected {expected} fields (as on line 1), got {got}",
        path.display()
    )]
    WrongArity {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The arity of line 1.
        expected: usize,
        /// The arity of this line.
        got: usize,
    },
    /// The first record's arity is 0 or more than [`MAX_ARITY`].
    #[error(
        "{}, line {line}: a record has 1 to {MAX_ARITY} fields, this one has {got}",
        path.display()
    )]
    ArityOutOfRange {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The number of fields found.
        got: usize,
    },
    /// A blank line sits between records.
    #[error(
        "{}, line {line}: blank line between records (only trailing blank lines are allowed)",
        path.display()
    )]
    BlankLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A JSON Lines line is not a JSON array of strings or integers.
    #[error("{}, line {line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// [`Records::new`] was given an arity outside 1..=[`MAX_ARITY`].
    #[error("a record has 1 to {MAX_ARITY} fields, not {0}")]
    InvalidArity(usize),
    /// [`Records::new`] was given a number of fields that is not a multiple of the arity.
    #[error("{len} field elements do not split into records of {arity}")]
    Ragged {
        /// The arity.
        arity: usize,
        /// The number of field elements.
        len: usize,
    },
    /// [`Records::new`] was given no fields: a state has at least one record.
    #[error("no records: a state has at least one record")]
    NoRecords,
}

/// A non-empty list of records of one arity, stored row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Records {
    arity: usize,
    fields: Vec<Fr>,
}

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
        Ok(Self { arity, fields })
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

    /// The leaves `Poseidon(record)`, hashed in parallel for large states.
    pub fn leaves(&self) -> Vec<Fr> {
        if self.len() >= PARALLEL_LEAVES {
            self.fields
                .par_chunks_exact(self.arity)
                .map(poseidon::hash)
                .collect()
        } else {
            self.iter_rows().map(poseidon::hash).collect()
        }
    }

    /// The state root: the LeanIMT root of [`Records::leaves`].
    pub fn root(&self) -> Fr {
        lean_imt::root(&self.leaves()).expect("records are never empty")
    }

    /// Reads a records file; the format is `format` if given, else the extension's.
    pub fn read(
        path: impl AsRef<Path>,
        format: Option<RecordFormat>,
    ) -> Result<Self, RecordsError> {
        let path = path.as_ref();
        let format = RecordFormat::resolve(path, format)?;
        let bytes = std::fs::read(path).map_err(|error| RecordsError::Read {
            path: path.to_path_buf(),
            error,
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
        parse_lines(bytes, format).map_err(|e| e.at(path))
    }

    /// Writes the canonical form to `out` (see the [module docs](self)).
    pub fn write_to(&self, mut out: impl Write, format: RecordFormat) -> io::Result<()> {
        for batch in self.fields.chunks(WRITE_BATCH * self.arity) {
            let blocks: Vec<Vec<u8>> = batch
                .par_chunks(WRITE_BLOCK * self.arity)
                .map(|block| {
                    let mut buf = Vec::with_capacity(block.len() * 80);
                    for row in block.chunks_exact(self.arity) {
                        render_row(row, format, &mut buf);
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
        let error = |error| RecordsError::Write {
            path: path.to_path_buf(),
            error,
        };
        crate::fs::write_atomic(path, |file| {
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            self.write_to(&mut out, format)?;
            out.flush()
        })
        .map_err(error)
    }
}

/// Appends one record in canonical form, with its `\n`.
fn render_row(row: &[Fr], format: RecordFormat, buf: &mut Vec<u8>) {
    match format {
        RecordFormat::Csv => {
            for (i, x) in row.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                field::write_decimal(x, buf);
            }
        }
        RecordFormat::JsonLines => {
            buf.push(b'[');
            for (i, x) in row.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                buf.push(b'"');
                field::write_decimal(x, buf);
                buf.push(b'"');
            }
            buf.push(b']');
        }
    }
    buf.push(b'\n');
}

// ------------------------------------------------------------------------------------------
// Parsing

/// A parse error before the path is attached.
#[derive(Debug)]
struct LineError {
    line: usize,
    kind: LineErrorKind,
}

#[derive(Debug)]
enum LineErrorKind {
    Empty,
    Value {
        field: usize,
        problem: FieldParseError,
    },
    WrongArity {
        expected: usize,
        got: usize,
    },
    ArityOutOfRange {
        got: usize,
    },
    BlankLine,
    Syntax(String),
}

impl LineError {
    fn new(line: usize, kind: LineErrorKind) -> Self {
        Self { line, kind }
    }

    fn at(self, path: &Path) -> RecordsError {
        let path = path.to_path_buf();
        let line = self.line;
        match self.kind {
            LineErrorKind::Empty => RecordsError::Empty { path },
            LineErrorKind::Value { field, problem } => RecordsError::Value {
                path,
                line,
                field,
                problem,
            },
            LineErrorKind::WrongArity { expected, got } => RecordsError::WrongArity {
                path,
                line,
                expected,
                got,
            },
            LineErrorKind::ArityOutOfRange { got } => {
                RecordsError::ArityOutOfRange { path, line, got }
            }
            LineErrorKind::BlankLine => RecordsError::BlankLine { path, line },
            LineErrorKind::Syntax(message) => RecordsError::Syntax {
                path,
                line,
                message,
            },
        }
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// The shortest line that can hold a record of `arity` values: each value takes at least one
/// byte, CSV separates them by commas, JSON Lines also needs the brackets.
fn min_line_len(format: RecordFormat, arity: usize) -> usize {
    match format {
        RecordFormat::Csv => 2 * arity - 1,
        RecordFormat::JsonLines => 2 * arity + 1,
    }
}

fn parse_lines(bytes: &[u8], format: RecordFormat) -> Result<Records, LineError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Trailing blank lines are ignored: cut the text after the last line with content.
    let Some(last) = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    else {
        return Err(LineError::new(0, LineErrorKind::Empty));
    };
    let end = bytes[last..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| last + i);
    let mut split = bytes[..end].split(|&b| b == b'\n');

    let parser = LineParser { format };
    // Line 1 fixes the arity. (A blank line 1 is an error: records follow it.)
    let first = split.next().expect("split yields at least one line");
    let arity = parser.arity(first, 1)?;
    if !(1..=MAX_ARITY).contains(&arity) {
        return Err(LineError::new(
            1,
            LineErrorKind::ArityOutOfRange { got: arity },
        ));
    }

    // Memory is bounded by the file's size, whatever its lines: a line too short to hold a
    // record cannot parse, so the lines are cut after the first such line (whose error is
    // then the first one reported). Every line kept has at least `2·arity − 1` bytes and a
    // newline, so the fields take at most 16 bytes per byte of the file, and a file of
    // blank lines cannot make them take 512.
    let min_len = min_line_len(format, arity);
    let mut lines = vec![first];
    let mut cut = false;
    for line in split {
        lines.push(line);
        if line.len() < min_len {
            cut = true;
            break;
        }
    }

    let mut fields = vec![Fr::zero(); lines.len() * arity];
    let results: Vec<Result<(), LineError>> = fields
        .par_chunks_mut(PARSE_BLOCK * arity)
        .zip(lines.par_chunks(PARSE_BLOCK))
        .enumerate()
        .map(|(block, (out, lines))| {
            let mut scratch = Vec::with_capacity(MAX_ARITY);
            for (i, (line, row)) in lines.iter().zip(out.chunks_exact_mut(arity)).enumerate() {
                parser.parse_into(line, block * PARSE_BLOCK + i + 1, row, &mut scratch)?;
            }
            Ok(())
        })
        .collect();
    // Blocks are in file order, so this is the first bad line.
    results.into_iter().collect::<Result<(), _>>()?;
    if cut {
        // Unreachable (a short line never parses), but never drop records silently.
        return Err(LineError::new(
            lines.len(),
            LineErrorKind::Syntax(format!("line too short to hold {arity} values")),
        ));
    }
    Ok(Records { arity, fields })
}

/// A JSON Lines value before conversion: string contents (raw, `escaped` if it holds `\`) or
/// the text of a JSON number.
#[derive(Clone, Copy)]
enum JsonValue<'a> {
    Str { raw: &'a [u8], escaped: bool },
    Num(&'a [u8]),
}

struct LineParser {
    format: RecordFormat,
}

impl LineParser {
    /// The number of fields on line `n` (checks JSON syntax).
    fn arity(&self, line: &[u8], n: usize) -> Result<usize, LineError> {
        if is_blank(line) {
            return Err(LineError::new(n, LineErrorKind::BlankLine));
        }
        match self.format {
            RecordFormat::Csv => Ok(csv_arity(line)),
            RecordFormat::JsonLines => {
                let mut scratch = Vec::new();
                json_values(line, &mut scratch)
                    .map_err(|m| LineError::new(n, LineErrorKind::Syntax(m)))?;
                Ok(scratch.len())
            }
        }
    }

    /// Parses line `n` into `row`, whose length is the expected arity.
    fn parse_into<'a>(
        &self,
        line: &'a [u8],
        n: usize,
        row: &mut [Fr],
        scratch: &mut Vec<JsonValue<'a>>,
    ) -> Result<(), LineError> {
        let err = |kind| LineError::new(n, kind);
        if is_blank(line) {
            return Err(err(LineErrorKind::BlankLine));
        }
        let check_arity = |got: usize| {
            if got == row.len() {
                Ok(())
            } else {
                Err(err(LineErrorKind::WrongArity {
                    expected: row.len(),
                    got,
                }))
            }
        };
        let value_err = |field: usize| move |problem| err(LineErrorKind::Value { field, problem });
        match self.format {
            RecordFormat::Csv => {
                check_arity(csv_arity(line))?;
                for (i, (text, out)) in line.split(|&b| b == b',').zip(row.iter_mut()).enumerate() {
                    let text = trim(text);
                    let text = match text {
                        [b'"', inner @ .., b'"'] => trim(inner),
                        _ => text,
                    };
                    *out = field::parse_bytes(text).map_err(value_err(i + 1))?;
                }
            }
            RecordFormat::JsonLines => {
                json_values(line, scratch).map_err(|m| err(LineErrorKind::Syntax(m)))?;
                check_arity(scratch.len())?;
                for (i, (value, out)) in scratch.iter().zip(row.iter_mut()).enumerate() {
                    *out = json_field(*value, i + 1).map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

fn csv_arity(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b == b',').count() + 1
}

/// The field element of JSON value number `field` (1-based) of a line.
fn json_field(value: JsonValue<'_>, field: usize) -> Result<Fr, LineErrorKind> {
    let value_err = |problem| LineErrorKind::Value { field, problem };
    match value {
        JsonValue::Str {
            raw,
            escaped: false,
        } => field::parse_bytes(raw).map_err(value_err),
        JsonValue::Str { raw, escaped: true } => {
            // Rare: decode the escapes with a real JSON parser, quotes included.
            let mut quoted = Vec::with_capacity(raw.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(raw);
            quoted.push(b'"');
            let s = serde_json::from_slice::<String>(&quoted).map_err(|e| {
                LineErrorKind::Syntax(format!("field {field}: invalid JSON string: {e}"))
            })?;
            field::parse(&s).map_err(value_err)
        }
        JsonValue::Num(text) => {
            // JSON forbids leading zeros; a fraction, exponent or sign is no integer.
            let is_integer =
                text.iter().all(u8::is_ascii_digit) && (text.len() == 1 || text[0] != b'0');
            if is_integer {
                field::parse_bytes(text).map_err(value_err)
            } else {
                Err(LineErrorKind::Syntax(format!(
                    "field {field}: JSON number {} is not a non-negative integer (write values \
                     as strings, e.g. \"123\" or \"0x7b\")",
                    String::from_utf8_lossy(text)
                )))
            }
        }
    }
}

/// Splits a JSON array of strings and numbers into its values (into `out`, cleared first).
fn json_values<'a>(line: &'a [u8], out: &mut Vec<JsonValue<'a>>) -> Result<(), String> {
    out.clear();
    let mut p = JsonCursor { s: line, i: 0 };
    p.ws();
    if !p.eat(b'[') {
        return Err(format!("expected a JSON array '[', found {}", p.found()));
    }
    p.ws();
    if !p.eat(b']') {
        loop {
            p.ws();
            out.push(p.value()?);
            p.ws();
            if p.eat(b',') {
                continue;
            }
            if p.eat(b']') {
                break;
            }
            return Err(format!(
                "expected ',' or ']' at column {}, found {}",
                p.i + 1,
                p.found()
            ));
        }
    }
    p.ws();
    if p.i != line.len() {
        return Err(format!(
            "unexpected {} at column {} after the array (one array per line)",
            p.found(),
            p.i + 1
        ));
    }
    Ok(())
}

struct JsonCursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> JsonCursor<'a> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn found(&self) -> String {
        match self.s.get(self.i..) {
            Some([]) | None => "end of line".into(),
            Some(rest) => {
                let c = String::from_utf8_lossy(&rest[..rest.len().min(4)]);
                let c = c.chars().next().unwrap_or('?');
                format!("{c:?}")
            }
        }
    }

    fn value(&mut self) -> Result<JsonValue<'a>, String> {
        let start = self.i;
        match self.s.get(self.i) {
            Some(b'"') => {
                self.i += 1;
                let body = self.i;
                let mut escaped = false;
                loop {
                    match self.s.get(self.i) {
                        None => return Err(format!("unterminated string at column {}", start + 1)),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            escaped = true;
                            self.i += 2;
                        }
                        Some(_) => self.i += 1,
                    }
                }
                let raw = &self.s[body..self.i];
                self.i += 1;
                Ok(JsonValue::Str { raw, escaped })
            }
            Some(b'-' | b'0'..=b'9') => {
                while matches!(
                    self.s.get(self.i),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                Ok(JsonValue::Num(&self.s[start..self.i]))
            }
            _ => Err(format!(
                "expected a string or a non-negative integer at column {}, found {}",
                start + 1,
                self.found()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    const R: &str = field::MODULUS_DECIMAL;

    fn parse(text: &str, format: RecordFormat) -> Result<Records, RecordsError> {
        Records::parse(text.as_bytes(), format, "state.txt")
    }

    fn csv(text: &str) -> Result<Records, RecordsError> {
        parse(text, RecordFormat::Csv)
    }

    fn jsonl(text: &str) -> Result<Records, RecordsError> {
        parse(text, RecordFormat::JsonLines)
    }

    fn fr(v: u64) -> Fr {
        Fr::from(v)
    }

    fn random_records(arity: usize, n: usize, seed: u64) -> Records {
        let mut rng = StdRng::seed_from_u64(seed);
        let fields = (0..arity * n)
            .map(|_| match rng.gen_range(0..10) {
                0 => Fr::zero(),
                1 => -fr(1),
                2 => fr(rng.gen_range(0..1000)),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        Records::new(arity, fields).unwrap()
    }

    /// The message must name the file, the line and each of `parts`.
    fn assert_message(err: &RecordsError, line: usize, parts: &[&str]) {
        let msg = err.to_string();
        assert!(msg.contains("state.txt"), "no file name: {msg}");
        assert!(
            msg.contains(&format!("line {line}")),
            "no line {line}: {msg}"
        );
        for part in parts {
            assert!(msg.contains(part), "missing {part:?}: {msg}");
        }
    }

    #[test]
    fn csv_basic_and_tolerances() {
        let want = Records::from_rows(&[[fr(1), fr(2)], [fr(255), fr(0)]]).unwrap();
        for text in [
            "1,2\n255,0\n",
            "1,2\n255,0",
            "1,2\r\n255,0\r\n",
            " 1 ,\t2\n0xff, 0\n\n\n",
            "\u{feff}1,2\n0XFF,000\n  \n",
            "\"1\",\"2\"\n\" 0xFf\",0\n",
        ] {
            assert_eq!(csv(text).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn jsonl_basic_and_tolerances() {
        let want = Records::from_rows(&[[fr(1), fr(2)], [fr(255), fr(0)]]).unwrap();
        for text in [
            "[\"1\",\"2\"]\n[\"255\",\"0\"]\n",
            "[\"1\",\"2\"]\n[\"0xff\",\"0\"]",
            " [ \"1\" , \"2\" ] \r\n[\"0XFF\",\"0x0\"]\r\n\n",
            "[1,2]\n[255,0]\n",
            "[\"\\u0031\",2]\n[\"0xff\",0]\n",
        ] {
            assert_eq!(jsonl(text).unwrap(), want, "{text:?}");
        }
        // Integers beyond 2^64 are read exactly.
        let big = "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        assert_eq!(jsonl(&format!("[{big}]")).unwrap().row(0), &[-fr(1)]);
    }

    #[test]
    fn accessors() {
        let r = random_records(3, 10, 5);
        assert_eq!((r.len(), r.arity()), (10, 3));
        assert_eq!(r.iter_rows().count(), 10);
        assert_eq!(r.iter_rows().nth(4).unwrap(), r.row(4));
        assert_eq!(r.get(9), Some(r.row(9)));
        assert_eq!(r.get(10), None);
        assert_eq!(r.fields().len(), 30);
        let leaves = r.leaves();
        assert_eq!(leaves[2], poseidon::hash(r.row(2)));
        assert_eq!(r.root(), lean_imt::root(&leaves).unwrap());
        // Parallel and serial leaf hashing agree.
        let big = random_records(2, PARALLEL_LEAVES + 3, 6);
        let serial: Vec<Fr> = big.iter_rows().map(poseidon::hash).collect();
        assert_eq!(big.leaves(), serial);
    }

    #[test]
    fn constructor_errors() {
        assert!(matches!(
            Records::new(0, vec![fr(1)]),
            Err(RecordsError::InvalidArity(0))
        ));
        assert!(matches!(
            Records::new(17, vec![fr(1); 17]),
            Err(RecordsError::InvalidArity(17))
        ));
        assert!(matches!(
            Records::new(2, vec![]),
            Err(RecordsError::NoRecords)
        ));
        assert!(matches!(
            Records::new(2, vec![fr(1); 3]),
            Err(RecordsError::Ragged { arity: 2, len: 3 })
        ));
        let rows: [&[Fr]; 2] = [&[fr(1), fr(2)], &[fr(3)]];
        assert!(matches!(
            Records::from_rows(&rows),
            Err(RecordsError::Ragged { .. })
        ));
        assert!(matches!(
            Records::from_rows::<[Fr; 1]>(&[]),
            Err(RecordsError::NoRecords)
        ));
    }

    #[test]
    fn error_not_a_number() {
        let e = csv("1,2\n3,4\n5,abc\n").unwrap_err();
        assert!(matches!(
            e,
            RecordsError::Value {
                line: 3,
                field: 2,
                problem: FieldParseError::NotANumber(_),
                ..
            }
        ));
        assert_message(&e, 3, &["field 2", "not a number", "\"abc\""]);
        for bad in ["1,-2", "1,2.5", "1,", "1,0x", "1,1e3"] {
            let e = csv(&format!("1,2\n{bad}\n")).unwrap_err();
            assert!(
                matches!(
                    e,
                    RecordsError::Value {
                        line: 2,
                        field: 2,
                        ..
                    }
                ),
                "{bad}: {e}"
            );
        }
        let e = jsonl("[\"1\"]\n[\"x\"]\n").unwrap_err();
        assert!(matches!(
            e,
            RecordsError::Value {
                line: 2,
                field: 1,
                ..
            }
        ));
        assert_message(&e, 2, &["not a number", "\"x\""]);
        // A header line is reported as such a value.
        let e = csv("a,b\n1,2\n").unwrap_err();
        assert_message(&e, 1, &["not a number", "\"a\""]);
    }

    #[test]
    fn error_not_below_modulus() {
        for text in [format!("1\n{R}\n"), format!("1\n0x{}\n", "f".repeat(64))] {
            let e = csv(&text).unwrap_err();
            assert!(matches!(
                e,
                RecordsError::Value {
                    line: 2,
                    field: 1,
                    problem: FieldParseError::NotBelowModulus(_),
                    ..
                }
            ));
            assert_message(&e, 2, &["not below the BN254 scalar modulus"]);
        }
        let e = jsonl(&format!("[\"1\",\"{R}\"]\n")).unwrap_err();
        assert_message(&e, 1, &["field 2", "not below the BN254 scalar modulus", R]);
        let e = jsonl(&format!("[1,{R}]\n")).unwrap_err();
        assert_message(&e, 1, &["field 2", "not below the BN254 scalar modulus"]);
    }

    #[test]
    fn error_wrong_arity() {
        let e = csv("1,2,3\n4,5,6\n7,8\n10,11,12\n").unwrap_err();
        assert!(matches!(
            e,
            RecordsError::WrongArity {
                line: 3,
                expected: 3,
                got: 2,
                ..
            }
        ));
        assert_message(&e, 3, &["wrong arity", "expected 3", "got 2"]);
        let e = jsonl("[\"1\"]\n[\"2\"]\n[\"3\",\"4\"]\n").unwrap_err();
        assert_message(&e, 3, &["wrong arity", "expected 1", "got 2"]);
        let e = jsonl("[\"1\"]\n[]\n").unwrap_err();
        assert_message(&e, 2, &["expected 1", "got 0"]);
        // Arity is checked before values: the line's first problem is its shape.
        let e = csv("1,2\nx\n").unwrap_err();
        assert!(matches!(e, RecordsError::WrongArity { line: 2, .. }));
    }

    #[test]
    fn error_first_bad_line_wins_across_blocks() {
        let mut text = "1,2\n".repeat(3 * PARSE_BLOCK);
        text.push_str("1,bad\n");
        text.push_str(&"1,2\n".repeat(PARSE_BLOCK));
        text.push_str("1\n");
        let e = csv(&text).unwrap_err();
        assert!(
            matches!(e, RecordsError::Value { line, .. } if line == 3 * PARSE_BLOCK + 1),
            "{e}"
        );
    }

    #[test]
    fn error_arity_out_of_range() {
        let e = csv(&format!("{}\n", vec!["1"; 17].join(","))).unwrap_err();
        assert!(matches!(
            e,
            RecordsError::ArityOutOfRange {
                line: 1,
                got: 17,
                ..
            }
        ));
        assert_message(&e, 1, &["1 to 16 fields", "has 17"]);
        let e = jsonl("[]\n[]\n").unwrap_err();
        assert!(matches!(
            e,
            RecordsError::ArityOutOfRange {
                line: 1,
                got: 0,
                ..
            }
        ));
        assert_message(&e, 1, &["1 to 16 fields", "has 0"]);
        let sixteen = vec!["1"; 16].join(",");
        assert_eq!(csv(&sixteen).unwrap().arity(), 16);
    }

    #[test]
    fn error_empty_file() {
        for text in ["", "\n", "\n\n  \r\n", "\u{feff}"] {
            for format in [RecordFormat::Csv, RecordFormat::JsonLines] {
                let e = parse(text, format).unwrap_err();
                assert!(matches!(e, RecordsError::Empty { .. }), "{text:?}");
                let msg = e.to_string();
                assert!(
                    msg.contains("state.txt") && msg.contains("empty file"),
                    "{msg}"
                );
            }
        }
    }

    #[test]
    fn error_blank_line_in_the_middle() {
        let e = csv("1,2\n\n3,4\n").unwrap_err();
        assert!(matches!(e, RecordsError::BlankLine { line: 2, .. }));
        assert_message(&e, 2, &["blank line"]);
        let e = jsonl("\n[\"1\"]\n").unwrap_err();
        assert!(matches!(e, RecordsError::BlankLine { line: 1, .. }));
    }

    #[test]
    fn error_json_syntax() {
        for (text, part) in [
            ("[\"1\",\"2\"\n", "expected ',' or ']'"),
            ("\"1\"\n", "expected a JSON array"),
            ("[\"1\"] x\n", "after the array"),
            (
                "[\"1\",null]\n",
                "expected a string or a non-negative integer",
            ),
            (
                "[\"1\",[\"2\"]]\n",
                "expected a string or a non-negative integer",
            ),
            ("[\"1]\n", "unterminated string"),
            ("[1,-2]\n", "not a non-negative integer"),
            ("[1,2.0]\n", "not a non-negative integer"),
            ("[1,1e3]\n", "not a non-negative integer"),
            ("[1,01]\n", "not a non-negative integer"),
            ("{\"a\":1}\n", "expected a JSON array"),
        ] {
            let e = jsonl(text).unwrap_err();
            assert!(
                matches!(e, RecordsError::Syntax { line: 1, .. }),
                "{text:?}: {e}"
            );
            assert_message(&e, 1, &[part]);
        }
    }

    #[test]
    fn error_unreadable_and_unknown_format() {
        let dir = std::env::temp_dir().join(format!("zkbackup-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.csv");
        let e = Records::read(&missing, None).unwrap_err();
        assert!(
            matches!(&e, RecordsError::Read { error, .. } if error.kind() == io::ErrorKind::NotFound)
        );
        assert!(e.to_string().contains("missing.csv"), "{e}");
        let e = Records::read(dir.join("state.txt"), None).unwrap_err();
        assert!(matches!(e, RecordsError::UnknownFormat { .. }));
        assert!(e.to_string().contains("state.txt"), "{e}");
        // A directory is unreadable as a file.
        let e = Records::read(&dir, Some(RecordFormat::Csv)).unwrap_err();
        assert!(matches!(e, RecordsError::Read { .. }), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn formats_from_names_and_paths() {
        assert_eq!(
            RecordFormat::from_path(Path::new("a/b.CSV")),
            Some(RecordFormat::Csv)
        );
        assert_eq!(
            RecordFormat::from_path(Path::new("b.jsonl")),
            Some(RecordFormat::JsonLines)
        );
        assert_eq!(
            RecordFormat::from_path(Path::new("b.ndjson")),
            Some(RecordFormat::JsonLines)
        );
        assert_eq!(RecordFormat::from_path(Path::new("b.json")), None);
        assert_eq!(RecordFormat::from_path(Path::new("csv")), None);
        assert_eq!(
            RecordFormat::resolve(Path::new("x.txt"), Some(RecordFormat::Csv)).unwrap(),
            RecordFormat::Csv
        );
        assert_eq!("JSONL".parse::<RecordFormat>(), Ok(RecordFormat::JsonLines));
        assert_eq!("csv".parse::<RecordFormat>(), Ok(RecordFormat::Csv));
        assert!("xml".parse::<RecordFormat>().is_err());
        for f in [RecordFormat::Csv, RecordFormat::JsonLines] {
            assert_eq!(f.to_string().parse::<RecordFormat>(), Ok(f));
        }
    }

    #[test]
    fn canonical_round_trip_is_byte_for_byte() {
        for (arity, n) in [(1, 1), (4, 10), (16, 50), (3, 3 * WRITE_BLOCK + 7)] {
            let records = random_records(arity, n, arity as u64);
            for format in [RecordFormat::Csv, RecordFormat::JsonLines] {
                let bytes = records.to_bytes(format);
                let back = Records::parse(&bytes, format, "x").unwrap();
                assert_eq!(back, records);
                assert_eq!(back.to_bytes(format), bytes);
                // And across formats.
                let other = match format {
                    RecordFormat::Csv => RecordFormat::JsonLines,
                    RecordFormat::JsonLines => RecordFormat::Csv,
                };
                let via = Records::parse(&records.to_bytes(other), other, "y").unwrap();
                assert_eq!(via.to_bytes(format), bytes);
            }
        }
        let r = Records::from_rows(&[[fr(1), fr(2)], [fr(0), -fr(1)]]).unwrap();
        assert_eq!(
            String::from_utf8(r.to_bytes(RecordFormat::Csv)).unwrap(),
            format!("1,2\n0,{}\n", field::to_decimal(&-fr(1)))
        );
        assert_eq!(
            String::from_utf8(r.to_bytes(RecordFormat::JsonLines)).unwrap(),
            format!(
                "[\"1\",\"2\"]\n[\"0\",\"{}\"]\n",
                field::to_decimal(&-fr(1))
            )
        );
        // Non-canonical input comes back canonical.
        let text = " 0x01 , 007 \r\n\"3\",4\n\n";
        assert_eq!(
            csv(text).unwrap().to_bytes(RecordFormat::Csv),
            b"1,7\n3,4\n"
        );
    }

    #[test]
    fn write_to_file_is_atomic_and_readable() {
        let dir = std::env::temp_dir().join(format!("zkbackup-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let records = random_records(4, 100, 9);
        for (name, format) in [
            ("s.csv", RecordFormat::Csv),
            ("s.jsonl", RecordFormat::JsonLines),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, "old contents").unwrap();
            records.write(&path, format).unwrap();
            assert_eq!(Records::read(&path, None).unwrap(), records);
        }
        // Only the two files: no temporary left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        let e = records
            .write(dir.join("no/such/dir.csv"), RecordFormat::Csv)
            .unwrap_err();
        assert!(matches!(e, RecordsError::Write { .. }) && e.to_string().contains("dir.csv"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parses_a_million_records_quickly() {
        // Not a benchmark, a guard: 1M records of arity 4 parse in well under the budget of
        // a couple of seconds even on 2 cores (in an optimized test build).
        let records = random_records(4, 1 << 20, 11);
        let bytes = records.to_bytes(RecordFormat::Csv);
        let start = std::time::Instant::now();
        let back = Records::parse(&bytes, RecordFormat::Csv, "big.csv").unwrap();
        let elapsed = start.elapsed();
        assert_eq!(back.len(), 1 << 20);
        assert!(
            elapsed.as_secs_f64() < 10.0,
            "parsing 1M records took {elapsed:?}"
        );
    }
}
