//! Why records could not be built, read or written.

use super::MAX_ARITY;
use std::io;
use std::path::PathBuf;
use zkbackup_core::field::FieldParseError;

/// Why records could not be built, read or written.
///
/// Every error about a file names the file (and, for its contents, the 1-based line); the
/// cause, if any, is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The file could not be read.
    #[error("cannot read records file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file could not be written.
    #[error("cannot write records file {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
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
    #[error("{}, line {line}, field {field}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based position of the value in its record.
        field: usize,
        /// What is wrong with it.
        #[source]
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
    /// A line is too short to hold a record of the file's arity. (Not reported in practice:
    /// such a line fails with its own error first; this keeps a parse from ever dropping
    /// records silently.)
    #[error("{}, line {line}: line too short to hold {arity} values", path.display())]
    TooShort {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The arity of line 1.
        arity: usize,
    },
    /// A JSON Lines line is not a JSON array of strings or integers.
    #[error("{}, line {line}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        #[source]
        problem: JsonLineError,
    },
    /// [`Records::new`](super::Records::new) was given an arity outside 1..=[`MAX_ARITY`].
    #[error("a record has 1 to {MAX_ARITY} fields, not {0}")]
    InvalidArity(usize),
    /// [`Records::new`](super::Records::new) was given a number of fields that is not a
    /// multiple of the arity.
    #[error("{len} field elements do not split into records of {arity}")]
    Ragged {
        /// The arity.
        arity: usize,
        /// The number of field elements.
        len: usize,
    },
    /// [`Records::new`](super::Records::new) was given no fields: a state has at least one
    /// record.
    #[error("no records: a state has at least one record")]
    NoRecords,
}

/// Why a JSON Lines line is not a JSON array of strings and non-negative integers. Columns
/// are 1-based byte positions in the line; `found` describes what is there (`'x'`, or
/// `end of line`).
#[derive(Debug, thiserror::Error)]
pub enum JsonLineError {
    /// The line does not start with `[`.
    #[error("expected a JSON array '[', found {found}")]
    NotAnArray {
        /// What the line starts with.
        found: String,
    },
    /// A value is followed by something else than `,` or `]`.
    #[error("expected ',' or ']' at column {column}, found {found}")]
    ExpectedCommaOrEnd {
        /// Where.
        column: usize,
        /// What is there.
        found: String,
    },
    /// An element is neither a string nor a number (`null`, `true`, an array, an object, a
    /// missing value, ...).
    #[error("expected a string or a non-negative integer at column {column}, found {found}")]
    NotAValue {
        /// Where the element starts.
        column: usize,
        /// What it starts with.
        found: String,
    },
    /// A string does not end on its line.
    #[error("unterminated string at column {column}")]
    UnterminatedString {
        /// Where the string starts.
        column: usize,
    },
    /// A string is not valid JSON (a bad escape, a control character, invalid UTF-8).
    #[error("field {field}: invalid JSON string at column {column}")]
    InvalidString {
        /// 1-based position of the value in its record.
        field: usize,
        /// Where the string starts.
        column: usize,
        /// serde_json's diagnosis.
        #[source]
        source: serde_json::Error,
    },
    /// A number is negative, has a fraction or an exponent, or is not a valid JSON number.
    #[error(
        "field {field}: JSON number {number} is not a non-negative integer (write values as \
         strings, e.g. \"123\" or \"0x7b\")"
    )]
    NotAnInteger {
        /// 1-based position of the value in its record.
        field: usize,
        /// The number's text.
        number: String,
    },
    /// Something follows the array on its line.
    #[error("unexpected {found} at column {column} after the array (one array per line)")]
    AfterTheArray {
        /// Where.
        column: usize,
        /// What is there.
        found: String,
    },
}

/// A records format name that is neither `csv` nor `jsonl` (nor `ndjson`, `jsonlines`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown records format {0:?} (expected csv or jsonl)")]
pub struct UnknownRecordFormat(pub String);
