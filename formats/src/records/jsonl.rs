//! JSON Lines records: one JSON array per line of strings and non-negative integers (see the
//! [module docs](super)).
//!
//! serde_json splits a line into its elements' raw texts ([`RawValue`]), so integers are read
//! exactly, at any size, by the canonical field parser ([`field::parse_bytes`]), never through
//! `f64`. When serde_json refuses a line, the error says what is wrong where, from the
//! elements it did read: the line's first problem, left to right.

use super::lines::{check_arity, LineErrorKind};
use super::JsonLineError;
use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use zkbackup_core::field;
use zkbackup_core::Fr;

/// The elements of one line, reused across the lines of a block.
#[derive(Default)]
pub(super) struct Scratch<'a> {
    values: Vec<&'a RawValue>,
}

/// The shortest line that can hold a record of `arity` values: each value takes at least one
/// byte, separated by commas, within brackets.
pub(super) fn min_line_len(arity: usize) -> usize {
    2 * arity + 1
}

/// The number of values on a (non-blank) line; checks its syntax.
pub(super) fn arity(line: &[u8]) -> Result<usize, JsonLineError> {
    let mut values = Vec::new();
    split(line, &mut values)?;
    Ok(values.len())
}

/// Parses a non-blank line into `row`, whose length is the expected arity.
pub(super) fn parse_into<'a>(
    line: &'a [u8],
    row: &mut [Fr],
    scratch: &mut Scratch<'a>,
) -> Result<(), LineErrorKind> {
    split(line, &mut scratch.values)?;
    check_arity(row.len(), scratch.values.len())?;
    for (i, (value, out)) in scratch.values.iter().zip(row.iter_mut()).enumerate() {
        *out = field_of(line, value, i + 1)?;
    }
    Ok(())
}

/// Appends one record in canonical form (`["1","2"]`), with its `\n`.
pub(super) fn render_row(row: &[Fr], buf: &mut Vec<u8>) {
    buf.push(b'[');
    for (i, x) in row.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'"');
        field::write_decimal(x, buf);
        buf.push(b'"');
    }
    buf.extend_from_slice(b"]\n");
}

/// The field element of element number `field` (1-based) of `line`, a string or a number.
fn field_of(line: &[u8], value: &RawValue, field: usize) -> Result<Fr, LineErrorKind> {
    let text = value.get().as_bytes();
    match text {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
            field::parse_bytes(inner).map_err(LineErrorKind::value(field))
        }
        [b'"', ..] => {
            // Rare: let serde_json decode the escapes.
            let s = serde_json::from_str::<String>(value.get()).map_err(|source| {
                JsonLineError::InvalidString {
                    field,
                    column: column_of(line, value),
                    source,
                }
            })?;
            field::parse(&s).map_err(LineErrorKind::value(field))
        }
        // serde_json has checked the number's syntax: digits only is an integer without
        // leading zeros.
        _ if text.iter().all(u8::is_ascii_digit) => {
            field::parse_bytes(text).map_err(LineErrorKind::value(field))
        }
        _ => Err(JsonLineError::NotAnInteger {
            field,
            number: value.get().to_owned(),
        }
        .into()),
    }
}

/// Splits `line`, one JSON array, into its elements (into `out`, cleared first), each a
/// string or a number.
fn split<'a>(line: &'a [u8], out: &mut Vec<&'a RawValue>) -> Result<(), JsonLineError> {
    out.clear();
    let mut de = serde_json::Deserializer::from_slice(line);
    let parsed = de
        .deserialize_seq(Elements(&mut *out))
        .and_then(|()| de.end());
    check_kinds(line, out)?;
    parsed.map_err(|error| diagnose(line, out, error))
}

/// Collects the elements of a JSON array as raw JSON texts.
struct Elements<'s, 'a>(&'s mut Vec<&'a RawValue>);

impl<'a> Visitor<'a> for Elements<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<&'a RawValue>()? {
            self.0.push(value);
        }
        Ok(())
    }
}

/// Refuses the first element that is neither a string nor a number.
fn check_kinds(line: &[u8], values: &[&RawValue]) -> Result<(), JsonLineError> {
    match values
        .iter()
        .find(|v| !matches!(v.get().as_bytes()[0], b'"' | b'-' | b'0'..=b'9'))
    {
        Some(value) => {
            let at = offset(line, value);
            Err(JsonLineError::NotAValue {
                column: at + 1,
                found: found(line, at),
            })
        }
        None => Ok(()),
    }
}

/// What is wrong with `line`, which serde_json refused with `error` after reading `values`
/// (all strings and numbers).
fn diagnose(line: &[u8], values: &[&RawValue], error: serde_json::Error) -> JsonLineError {
    let start = skip_whitespace(line, 0);
    if line.get(start) != Some(&b'[') {
        return JsonLineError::NotAnArray {
            found: found(line, start),
        };
    }
    // After the last element read (or the opening bracket): a separator, the end of the
    // array, or the element that failed.
    let mut at = skip_whitespace(
        line,
        values
            .last()
            .map_or(start + 1, |v| offset(line, v) + v.get().len()),
    );
    match line.get(at) {
        Some(b']') => {
            let at = skip_whitespace(line, at + 1);
            return JsonLineError::AfterTheArray {
                column: at + 1,
                found: found(line, at),
            };
        }
        Some(b',') if !values.is_empty() => at = skip_whitespace(line, at + 1),
        _ if !values.is_empty() => {
            return JsonLineError::ExpectedCommaOrEnd {
                column: at + 1,
                found: found(line, at),
            }
        }
        _ => {}
    }
    let field = values.len() + 1;
    match line.get(at) {
        Some(b'"') if error.is_eof() => JsonLineError::UnterminatedString { column: at + 1 },
        Some(b'"') => JsonLineError::InvalidString {
            field,
            column: at + 1,
            source: error,
        },
        Some(b'-' | b'0'..=b'9') => {
            let len = line[at..]
                .iter()
                .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                .count();
            JsonLineError::NotAnInteger {
                field,
                number: String::from_utf8_lossy(&line[at..at + len]).into_owned(),
            }
        }
        _ => JsonLineError::NotAValue {
            column: at + 1,
            found: found(line, at),
        },
    }
}

/// The byte offset in `line` of `value`, which serde_json borrowed from it.
fn offset(line: &[u8], value: &RawValue) -> usize {
    let at = (value.get().as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    debug_assert!(at < line.len(), "a raw value borrowed from its line");
    at.min(line.len())
}

/// The 1-based column of `value` in `line`.
fn column_of(line: &[u8], value: &RawValue) -> usize {
    offset(line, value) + 1
}

/// JSON whitespace (as serde_json skips it) from `at` on.
fn skip_whitespace(line: &[u8], mut at: usize) -> usize {
    while matches!(line.get(at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// What is at `at` in `line`: `'x'`, or `end of line`.
fn found(line: &[u8], at: usize) -> String {
    match line.get(at..) {
        Some([]) | None => "end of line".into(),
        Some(rest) => {
            let c = String::from_utf8_lossy(&rest[..rest.len().min(4)]);
            let c = c.chars().next().unwrap_or('?');
            format!("{c:?}")
        }
    }
}
