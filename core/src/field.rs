//! Text forms of field elements, shared by every file format and CLI verb.
//!
//! - [`parse`] / [`parse_bytes`] read a **canonical** BN254 scalar: decimal digits, or `0x`/`0X`
//!   followed by hex digits of either case. Leading zeros are allowed; signs, spaces,
//!   underscores and an empty string are not. A value `>= r` (the scalar modulus) is refused
//!   rather than reduced, since a silently reduced value would commit to a different record.
//! - [`to_hex`] writes `0x` + 64 lowercase hex digits (big-endian, zero-padded): the form the
//!   CLI prints roots and commitments in.
//! - [`to_decimal`] / [`write_decimal`] write the canonical decimal form (no leading zeros):
//!   the form records files and the Node oracle use.

use ark_bn254::Fr;
use ark_ff::{BigInt, PrimeField};

/// The BN254 scalar modulus `r` in decimal: every value must be below it.
pub const MODULUS_DECIMAL: &str =
    "21888242871839275222246405745257275088548364400416034343698204186575808495617";

/// Longest value text quoted back in an error; longer text is cut with `…`.
const QUOTE_LIMIT: usize = 80;

/// `10^19`, the largest power of ten in a `u64`: decimal text is handled 19 digits at a time.
const TEN19: u64 = 10_000_000_000_000_000_000;

/// Why a text is not a canonical field element.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldParseError {
    /// The text is empty.
    #[error("empty value")]
    Empty,
    /// The text is not decimal digits nor `0x` + hex digits (quoted, possibly shortened).
    #[error("not a number: {0} (expected decimal digits or 0x-hex)")]
    NotANumber(String),
    /// The number is at least the BN254 scalar modulus (quoted, possibly shortened).
    #[error("value {0} is not below the BN254 scalar modulus r = {MODULUS_DECIMAL}")]
    NotBelowModulus(String),
}

/// `text` quoted for an error message, cut to [`QUOTE_LIMIT`] characters.
fn quote(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    if s.chars().count() <= QUOTE_LIMIT {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(QUOTE_LIMIT).collect();
        format!("{cut:?}…")
    }
}

/// Parses a canonical field element (decimal or `0x`-hex); see the [module docs](self).
pub fn parse(text: &str) -> Result<Fr, FieldParseError> {
    parse_bytes(text.as_bytes())
}

/// [`parse`] on bytes, so callers can parse straight out of a file buffer without UTF-8
/// validation or allocation.
pub fn parse_bytes(text: &[u8]) -> Result<Fr, FieldParseError> {
    if text.is_empty() {
        return Err(FieldParseError::Empty);
    }
    let limbs = match text {
        [b'0', b'x' | b'X', hex @ ..] => parse_hex_limbs(hex),
        _ => parse_decimal_limbs(text),
    }
    .ok_or_else(|| {
        if is_number(text) {
            FieldParseError::NotBelowModulus(quote(text))
        } else {
            FieldParseError::NotANumber(quote(text))
        }
    })?;
    Fr::from_bigint(BigInt(limbs)).ok_or_else(|| FieldParseError::NotBelowModulus(quote(text)))
}

/// Whether `text` is syntactically a number (used only to classify a failure).
fn is_number(text: &[u8]) -> bool {
    match text {
        [b'0', b'x' | b'X', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
        _ => text.iter().all(u8::is_ascii_digit),
    }
}

/// Little-endian limbs of a decimal number; `None` if not digits or wider than 256 bits.
fn parse_decimal_limbs(digits: &[u8]) -> Option<[u64; 4]> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let digits = &digits[first..];
    // 10^77 < 2^256 < 10^78: 77 significant digits always fit, 78 never fit below r.
    if digits.len() > 77 {
        return None;
    }
    let mut limbs = [0u64; 4];
    // The first group takes the remainder so the others are exactly 19 digits.
    let head = digits.len() % 19;
    let groups = std::iter::once(&digits[..head]).chain(digits[head..].chunks(19));
    for group in groups.filter(|g| !g.is_empty()) {
        let value = group.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        let scale = 10u64.pow(group.len() as u32);
        let mut carry = u128::from(value);
        for limb in &mut limbs {
            let t = u128::from(*limb) * u128::from(scale) + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(limbs)
}

/// Little-endian limbs of hex digits (no prefix); `None` if empty, not hex or over 256 bits.
fn parse_hex_limbs(hex: &[u8]) -> Option<[u64; 4]> {
    if hex.is_empty() {
        return None;
    }
    let mut limbs = [0u64; 4];
    let first = hex.iter().position(|&d| d != b'0').unwrap_or(hex.len());
    let significant = &hex[first..];
    if significant.len() > 64 {
        // The caller tells "too large" from "not hex" apart.
        return None;
    }
    for (i, &d) in significant.iter().rev().enumerate() {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        limbs[i / 16] |= u64::from(nibble) << (4 * (i % 16));
    }
    Some(limbs)
}

/// `0x` + 64 lowercase hex digits, big-endian: how the CLI prints roots and commitments.
pub fn to_hex(x: &Fr) -> String {
    let limbs = x.into_bigint().0;
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for limb in limbs.iter().rev() {
        s.push_str(&format!("{limb:016x}"));
    }
    s
}

/// The canonical decimal form (no leading zeros; `0` for zero).
pub fn to_decimal(x: &Fr) -> String {
    let mut buf = Vec::with_capacity(78);
    write_decimal(x, &mut buf);
    String::from_utf8(buf).expect("decimal digits are ASCII")
}

/// Appends the canonical decimal form of `x` to `out`, without allocating.
pub fn write_decimal(x: &Fr, out: &mut Vec<u8>) {
    let mut n = x.into_bigint().0;
    // Base-10^19 digits, least significant first; r < 10^77 needs at most 5.
    let mut parts = [0u64; 5];
    let mut count = 0;
    while n != [0; 4] {
        let mut rem = 0u128;
        for limb in n.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(TEN19)) as u64;
            rem = cur % u128::from(TEN19);
        }
        parts[count] = rem as u64;
        count += 1;
    }
    if count == 0 {
        out.push(b'0');
        return;
    }
    push_u64(out, parts[count - 1], 0);
    for &part in parts[..count - 1].iter().rev() {
        push_u64(out, part, 19);
    }
}

/// Appends `v` in decimal, left-padded with zeros to `width` digits.
fn push_u64(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    while v > 0 {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = i.min(digits.len() - width.max(1));
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, UniformRand, Zero};
    use rand::{rngs::StdRng, SeedableRng};

    fn r_minus_1() -> Fr {
        -Fr::from(1u64)
    }

    #[test]
    fn decimal_and_hex_round_trip() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut values: Vec<Fr> = (0..2000).map(|_| Fr::rand(&mut rng)).collect();
        values.extend([Fr::zero(), Fr::from(1u64), Fr::from(u64::MAX), r_minus_1()]);
        values.extend((0..64).map(|i| Fr::from(10u64).pow([i])));
        for x in values {
            let dec = to_decimal(&x);
            assert_eq!(dec, x.into_bigint().to_string(), "decimal of {x}");
            assert_eq!(parse(&dec), Ok(x));
            let hex = to_hex(&x);
            assert_eq!(hex.len(), 66);
            assert_eq!(parse(&hex), Ok(x));
            assert_eq!(parse(&hex.to_uppercase().replacen("0X", "0x", 1)), Ok(x));
        }
    }

    #[test]
    fn edge_forms() {
        assert_eq!(to_decimal(&Fr::zero()), "0");
        assert_eq!(to_hex(&Fr::from(255u64)), format!("0x{}ff", "0".repeat(62)));
        assert_eq!(parse("0"), Ok(Fr::zero()));
        assert_eq!(parse("000"), Ok(Fr::zero()));
        assert_eq!(parse("0x0"), Ok(Fr::zero()));
        assert_eq!(parse("0X00ff"), Ok(Fr::from(255u64)));
        assert_eq!(parse("0xAbC"), Ok(Fr::from(0xabcu64)));
        assert_eq!(parse("007"), Ok(Fr::from(7u64)));
        let long_zeros = format!("{}{}", "0".repeat(100), 5);
        assert_eq!(parse(&long_zeros), Ok(Fr::from(5u64)));
        let long_hex_zeros = format!("0x{}{}", "0".repeat(100), "f");
        assert_eq!(parse(&long_hex_zeros), Ok(Fr::from(15u64)));
        assert_eq!(
            parse("21888242871839275222246405745257275088548364400416034343698204186575808495616"),
            Ok(r_minus_1())
        );
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "abc", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x", "0xg", "x1", "1_000", "0b1",
        ] {
            match parse(bad) {
                Err(FieldParseError::NotANumber(q)) => {
                    assert!(q.contains(bad.trim()), "{bad}: {q}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(parse(""), Err(FieldParseError::Empty));
        let msg = parse("abc").unwrap_err().to_string();
        assert!(
            msg.contains("not a number") && msg.contains("\"abc\""),
            "{msg}"
        );
    }

    #[test]
    fn rejects_values_not_below_modulus() {
        let r_hex = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        let too_big = [
            MODULUS_DECIMAL.to_string(),
            "21888242871839275222246405745257275088548364400416034343698204186575808495618".into(),
            "9".repeat(77),
            "1".repeat(78),
            "1".repeat(200),
            r_hex.into(),
            r_hex.to_uppercase().replacen("0X", "0x", 1),
            format!("0x{}", "f".repeat(64)),
            format!("0x1{}", "0".repeat(64)),
        ];
        for bad in &too_big {
            match parse(bad) {
                Err(e @ FieldParseError::NotBelowModulus(_)) => {
                    let msg = e.to_string();
                    assert!(msg.contains("BN254 scalar modulus"), "{msg}");
                    assert!(msg.contains(MODULUS_DECIMAL), "{msg}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        // Long values are quoted shortened.
        let msg = parse(&"1".repeat(200)).unwrap_err().to_string();
        assert!(msg.len() < 300 && msg.contains('…'), "{msg}");
    }
}
