//! Field elements and curve points as the iden3 files store them.
//!
//! - `.r1cs` and `.wtns` values and the primes in headers: 32 bytes, little-endian, normal
//!   form.
//! - `.zkey` points: affine `(x, y)`, each coordinate 32 bytes little-endian in Montgomery
//!   form (`x·2^256 mod q`); a G2 coordinate is `c0` then `c1`; the point at infinity is all
//!   zero bytes (`(0, 0)` is not on either curve, so the encoding is unambiguous).
//! - `.zkey` coefficients: `v·2^512 mod r`, little-endian (snarkjs multiplies the Montgomery
//!   form by `R²` once more, zkey_new.js `writeCoef`).
//! - snarkjs hashes points "uncompressed": `x` then `y`, big-endian, normal form, G2
//!   coordinates `c1` then `c0`; infinity is all zero bytes.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField};
use std::sync::OnceLock;

/// Bytes of one base-field or scalar-field element.
pub const N8: usize = 32;
/// Bytes of a G1 point in a zkey.
pub const G1_LEN: usize = 2 * N8;
/// Bytes of a G2 point in a zkey.
pub const G2_LEN: usize = 4 * N8;

/// `2^256 mod q` and its inverse.
fn fq_r() -> &'static (Fq, Fq) {
    static R: OnceLock<(Fq, Fq)> = OnceLock::new();
    R.get_or_init(|| {
        let r = Fq::from(2u64).pow([256]);
        (r, r.inverse().expect("2^256 is invertible"))
    })
}

/// `2^512 mod r` and its inverse.
fn fr_r2() -> &'static (Fr, Fr) {
    static R2: OnceLock<(Fr, Fr)> = OnceLock::new();
    R2.get_or_init(|| {
        let r2 = Fr::from(2u64).pow([512]);
        (r2, r2.inverse().expect("2^512 is invertible"))
    })
}

/// 32 little-endian bytes of a prime field element's integer.
pub fn le_bytes<F: PrimeField>(x: &F) -> [u8; N8] {
    let mut out = [0u8; N8];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

/// The integer of 32 little-endian bytes as a field element, `None` if it is not below the
/// modulus.
pub fn from_le<F: PrimeField>(bytes: &[u8]) -> Option<F> {
    let mut bigint = F::BigInt::default();
    let limbs = bigint.as_mut();
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    F::from_bigint(bigint)
}

/// The modulus of `F` as 32 little-endian bytes.
pub fn modulus_le<F: PrimeField>() -> [u8; N8] {
    let mut out = [0u8; N8];
    out.copy_from_slice(&F::MODULUS.to_bytes_le());
    out
}

/// A base-field element from its Montgomery form (32 bytes LE), `None` if not below `q`.
pub fn fq_from_mont(bytes: &[u8]) -> Option<Fq> {
    from_le::<Fq>(bytes).map(|x| x * fq_r().1)
}

/// A base-field element's Montgomery form (32 bytes LE).
pub fn fq_to_mont(x: &Fq) -> [u8; N8] {
    le_bytes(&(*x * fq_r().0))
}

/// A zkey coefficient from its stored form, `None` if not below `r`.
pub fn coefficient_from_zkey(bytes: &[u8]) -> Option<Fr> {
    from_le::<Fr>(bytes).map(|x| x * fr_r2().1)
}

/// A zkey coefficient's stored form.
pub fn coefficient_to_zkey(v: &Fr) -> [u8; N8] {
    le_bytes(&(*v * fr_r2().0))
}

/// Why a point's bytes are not a valid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PointProblem {
    /// A coordinate is not below the base field's modulus.
    #[error("a coordinate is not below the base field's modulus")]
    CoordinateRange,
    /// The coordinates do not satisfy the curve equation.
    #[error("not on the curve")]
    NotOnCurve,
    /// On the curve but outside the prime-order subgroup.
    #[error("not in the prime-order subgroup")]
    NotInSubgroup,
}

/// A G1 point from its zkey bytes (64), checked.
pub fn g1_from_zkey(bytes: &[u8]) -> Result<G1Affine, PointProblem> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::zero());
    }
    let x = fq_from_mont(&bytes[..N8]).ok_or(PointProblem::CoordinateRange)?;
    let y = fq_from_mont(&bytes[N8..2 * N8]).ok_or(PointProblem::CoordinateRange)?;
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointProblem::NotOnCurve);
    }
    // BN254's G1 has cofactor 1: on the curve is in the group (checked anyway, it is free).
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointProblem::NotInSubgroup);
    }
    Ok(p)
}

/// A G2 point from its zkey bytes (128), checked (on the curve and in the subgroup).
pub fn g2_from_zkey(bytes: &[u8]) -> Result<G2Affine, PointProblem> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G2Affine::zero());
    }
    let coordinate = |at: usize| -> Result<Fq2, PointProblem> {
        let c0 = fq_from_mont(&bytes[at..at + N8]).ok_or(PointProblem::CoordinateRange)?;
        let c1 = fq_from_mont(&bytes[at + N8..at + 2 * N8]).ok_or(PointProblem::CoordinateRange)?;
        Ok(Fq2::new(c0, c1))
    };
    let p = G2Affine::new_unchecked(coordinate(0)?, coordinate(2 * N8)?);
    if !p.is_on_curve() {
        return Err(PointProblem::NotOnCurve);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointProblem::NotInSubgroup);
    }
    Ok(p)
}

/// A G1 point's zkey bytes.
pub fn g1_to_zkey(p: &G1Affine) -> [u8; G1_LEN] {
    let mut out = [0u8; G1_LEN];
    if let Some((x, y)) = p.xy() {
        out[..N8].copy_from_slice(&fq_to_mont(&x));
        out[N8..].copy_from_slice(&fq_to_mont(&y));
    }
    out
}

/// A G2 point's zkey bytes.
pub fn g2_to_zkey(p: &G2Affine) -> [u8; G2_LEN] {
    let mut out = [0u8; G2_LEN];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c0, x.c1, y.c0, y.c1].iter().enumerate() {
            out[i * N8..(i + 1) * N8].copy_from_slice(&fq_to_mont(c));
        }
    }
    out
}

fn be(x: &Fq) -> [u8; N8] {
    let mut out = le_bytes(x);
    out.reverse();
    out
}

/// A G1 point as snarkjs hashes it (`toRprUncompressed`).
pub fn g1_uncompressed(p: &G1Affine) -> [u8; G1_LEN] {
    let mut out = [0u8; G1_LEN];
    if let Some((x, y)) = p.xy() {
        out[..N8].copy_from_slice(&be(&x));
        out[N8..].copy_from_slice(&be(&y));
    }
    out
}

/// A G2 point as snarkjs hashes it (`toRprUncompressed`).
pub fn g2_uncompressed(p: &G2Affine) -> [u8; G2_LEN] {
    let mut out = [0u8; G2_LEN];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * N8..(i + 1) * N8].copy_from_slice(&be(c));
        }
    }
    out
}
