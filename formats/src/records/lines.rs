//! What both formats share: the file split into lines (byte-order mark, trailing blank
//! lines, blank lines between records), line 1 fixing the arity, memory bounded by the file's
//! size, and the lines parsed in parallel blocks with the first bad line reported.

use super::{csv, jsonl, JsonLineError, RecordFormat, Records, RecordsError, MAX_ARITY};
use ark_ff::Zero;
use rayon::prelude::*;
use std::path::Path;
use zkbackup_core::field::FieldParseError;
use zkbackup_core::Fr;

/// Lines parsed per rayon task: large enough to amortize scheduling.
pub(super) const PARSE_BLOCK: usize = 4096;

/// A parse error before the path is attached.
#[derive(Debug)]
pub(super) struct LineError {
    line: usize,
    kind: LineErrorKind,
}

/// What is wrong with a line (see the [`RecordsError`] variants of the same names).
#[derive(Debug)]
pub(super) enum LineErrorKind {
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
    TooShort {
        arity: usize,
    },
    Syntax(JsonLineError),
}

impl LineErrorKind {
    /// The error for value number `field` (1-based) of a line.
    pub(super) fn value(field: usize) -> impl Fn(FieldParseError) -> Self {
        move |problem| Self::Value { field, problem }
    }
}

impl From<JsonLineError> for LineErrorKind {
    fn from(problem: JsonLineError) -> Self {
        Self::Syntax(problem)
    }
}

/// `Ok` if a line of `got` values fits a record of `expected`.
pub(super) fn check_arity(expected: usize, got: usize) -> Result<(), LineErrorKind> {
    if got == expected {
        Ok(())
    } else {
        Err(LineErrorKind::WrongArity { expected, got })
    }
}

impl LineError {
    fn new(line: usize, kind: LineErrorKind) -> Self {
        Self { line, kind }
    }

    /// The error, naming the file `path`.
    pub(super) fn at(self, path: &Path) -> RecordsError {
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
            LineErrorKind::TooShort { arity } => RecordsError::TooShort { path, line, arity },
            LineErrorKind::Syntax(problem) => RecordsError::Syntax {
                path,
                line,
                problem,
            },
        }
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// One line's parser, per format.
#[derive(Clone, Copy)]
struct LineParser {
    format: RecordFormat,
}

impl LineParser {
    /// The number of fields on line `n` (checks JSON syntax).
    fn arity(self, line: &[u8], n: usize) -> Result<usize, LineError> {
        if is_blank(line) {
            return Err(LineError::new(n, LineErrorKind::BlankLine));
        }
        match self.format {
            RecordFormat::Csv => Ok(csv::arity(line)),
            RecordFormat::JsonLines => {
                jsonl::arity(line).map_err(|e| LineError::new(n, LineErrorKind::Syntax(e)))
            }
        }
    }

    /// Parses line `n` into `row`, whose length is the expected arity.
    fn parse_into<'a>(
        self,
        line: &'a [u8],
        n: usize,
        row: &mut [Fr],
        scratch: &mut jsonl::Scratch<'a>,
    ) -> Result<(), LineError> {
        if is_blank(line) {
            return Err(LineError::new(n, LineErrorKind::BlankLine));
        }
        match self.format {
            RecordFormat::Csv => csv::parse_into(line, row),
            RecordFormat::JsonLines => jsonl::parse_into(line, row, scratch),
        }
        .map_err(|kind| LineError::new(n, kind))
    }

    /// The shortest line that can hold a record of `arity` values.
    fn min_line_len(self, arity: usize) -> usize {
        match self.format {
            RecordFormat::Csv => csv::min_line_len(arity),
            RecordFormat::JsonLines => jsonl::min_line_len(arity),
        }
    }
}

/// Parses the contents of a records file (see the [module docs](super)).
pub(super) fn parse_lines(bytes: &[u8], format: RecordFormat) -> Result<Records, LineError> {
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
    let min_len = parser.min_line_len(arity);
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
            let mut scratch = jsonl::Scratch::default();
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
            LineErrorKind::TooShort { arity },
        ));
    }
    Ok(Records::from_checked(arity, fields))
}
