//! Text forms of field elements and curve points in the bundle: `0x` + exactly 64 hex digits,
//! big-endian, for every scalar (`Fr`) and base-field (`Fq`) value.
//!
//! Reading is strict: a value at or above its field's modulus is refused, never reduced
//! (a reduced public input would be a second encoding of the same statement).

use ark_bn254::{Fq, Fr};
use ark_ff::{BigInt, PrimeField};
use std::fmt;

/// Hex digits of one encoded field element.
pub const HEX_DIGITS: usize = 64;

/// Which field a value belongs to, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// The BN254 scalar field `Fr` (public inputs, roots, commitments).
    Scalar,
    /// The BN254 base field `Fq` (curve point coordinates).
    Base,
}

impl FieldKind {
    /// The field's modulus in decimal.
    pub fn modulus(self) -> String {
        match self {
            FieldKind::Scalar => Fr::MODULUS.to_string(),
            FieldKind::Base => Fq::MODULUS.to_string(),
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldKind::Scalar => "scalar-field (Fr)",
            FieldKind::Base => "base-field (Fq)",
        })
    }
}

/// Why a text is not an encoded field element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HexProblem {
    /// No `0x` prefix.
    MissingPrefix,
    /// Not exactly [`HEX_DIGITS`] digits after the prefix.
    Length(usize),
    /// A character that is not a hex digit.
    NotHex,
    /// The value is at least the modulus.
    NonCanonical,
}

/// `0x` + 64 lowercase hex digits of `x`, big-endian.
pub fn to_hex<F: PrimeField<BigInt = BigInt<4>>>(x: &F) -> String {
    let limbs = x.into_bigint().0;
    let mut s = String::with_capacity(2 + HEX_DIGITS);
    s.push_str("0x");
    for limb in limbs.iter().rev() {
        s.push_str(&format!("{limb:016x}"));
    }
    s
}

/// The 32 big-endian bytes after a `0x` prefix (either case of digits).
pub(crate) fn parse_hex_bytes<const N: usize>(text: &str) -> Result<[u8; N], HexProblem> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or(HexProblem::MissingPrefix)?;
    if digits.len() != 2 * N {
        return Err(HexProblem::Length(digits.chars().count()));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(digits, &mut out).map_err(|_| HexProblem::NotHex)?;
    Ok(out)
}

/// Parses `0x` + 64 hex digits into a canonical element of `F`.
pub(crate) fn parse_hex<F: PrimeField<BigInt = BigInt<4>>>(text: &str) -> Result<F, HexProblem> {
    let bytes: [u8; 32] = parse_hex_bytes(text)?;
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        *limb = u64::from_be_bytes(bytes[start..start + 8].try_into().expect("8 bytes"));
    }
    F::from_bigint(BigInt(limbs)).ok_or(HexProblem::NonCanonical)
}

/// `x` in `0x` form, for error messages.
pub(crate) fn hex_fr(x: &Fr) -> String {
    to_hex(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, UniformRand};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn round_trip_and_strictness() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let x = Fr::rand(&mut rng);
            assert_eq!(parse_hex::<Fr>(&to_hex(&x)), Ok(x));
            let y = Fq::rand(&mut rng);
            assert_eq!(parse_hex::<Fq>(&to_hex(&y)), Ok(y));
        }
        assert_eq!(parse_hex::<Fr>(&to_hex(&Fr::ONE)), Ok(Fr::ONE));
        assert_eq!(
            parse_hex::<Fr>(&to_hex(&Fr::ONE).to_uppercase().replacen("0X", "0x", 1)),
            Ok(Fr::ONE)
        );
        // The modulus itself and modulus + 1 are refused, not reduced to 0 and 1.
        let r = format!("0x{:0>64}", format!("{:x}", num_modulus::<Fr>()));
        assert_eq!(parse_hex::<Fr>(&r), Err(HexProblem::NonCanonical));
        let q = format!("0x{:0>64}", format!("{:x}", num_modulus::<Fq>()));
        assert_eq!(parse_hex::<Fq>(&q), Err(HexProblem::NonCanonical));
        // r is below q, so it is a fine base-field element.
        assert!(parse_hex::<Fq>(&r).is_ok());
        assert_eq!(parse_hex::<Fr>("0x1"), Err(HexProblem::Length(1)));
        assert_eq!(
            parse_hex::<Fr>(&"1".repeat(64)),
            Err(HexProblem::MissingPrefix)
        );
        assert_eq!(
            parse_hex::<Fr>(&format!("0x{}", "g".repeat(64))),
            Err(HexProblem::NotHex)
        );
        assert_eq!(
            parse_hex::<Fr>(&format!("0x{}", "ff".repeat(32))),
            Err(HexProblem::NonCanonical)
        );
    }

    /// The modulus as a `u128`-free big number, via its limbs.
    fn num_modulus<F: PrimeField<BigInt = BigInt<4>>>() -> HexBig {
        HexBig(F::MODULUS.0)
    }

    struct HexBig([u64; 4]);
    impl fmt::LowerHex for HexBig {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for limb in self.0.iter().rev() {
                write!(f, "{limb:016x}")?;
            }
            Ok(())
        }
    }
}
