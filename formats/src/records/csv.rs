//! CSV records: one record per line, values separated by commas (see the
//! [module docs](super)).

use super::lines::{check_arity, LineErrorKind};
use zkbackup_core::field;
use zkbackup_core::Fr;

/// The shortest line that can hold a record of `arity` values: each value takes at least one
/// byte, separated by commas.
pub(super) fn min_line_len(arity: usize) -> usize {
    2 * arity - 1
}

/// The number of values on a (non-blank) line.
pub(super) fn arity(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b == b',').count() + 1
}

/// Parses a non-blank line into `row`, whose length is the expected arity.
pub(super) fn parse_into(line: &[u8], row: &mut [Fr]) -> Result<(), LineErrorKind> {
    check_arity(row.len(), arity(line))?;
    for (i, (text, out)) in line.split(|&b| b == b',').zip(row.iter_mut()).enumerate() {
        let text = trim(text);
        let text = match text {
            [b'"', inner @ .., b'"'] => trim(inner),
            _ => text,
        };
        *out = field::parse_bytes(text).map_err(LineErrorKind::value(i + 1))?;
    }
    Ok(())
}

/// Appends one record in canonical form (`1,2`), with its `\n`.
pub(super) fn render_row(row: &[Fr], buf: &mut Vec<u8>) {
    for (i, x) in row.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        field::write_decimal(x, buf);
    }
    buf.push(b'\n');
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
