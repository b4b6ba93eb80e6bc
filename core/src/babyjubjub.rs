//! Baby Jubjub (EIP-2494) in the model and coordinates of circomlib and @zk-kit/baby-jubjub:
//! `a·x² + y² = 1 + d·x²·y²` over the BN254 scalar field with `a = 168700`, `d = 168696`,
//! generator `Base8` (of prime order `l`), identity `(0, 1)`.
//!
//! # Why our own curve config
//! `ark-ed-on-bn254` is the same curve rescaled to `a = 1` (`x_ark = √168700 · x_zk`) with a
//! different generator. Its coordinates are not zk-kit's: a public key or a shared point
//! taken from it would not match what a trustee computes with the npm libraries. This
//! config is the curve in zk-kit's own coordinates, so no conversion appears anywhere; only
//! the scalar field (`l`) is taken from `ark-ed-on-bn254`. `d` is not a square, so the
//! twisted Edwards addition law arkworks uses is complete.

use ark_bn254::Fr;
use ark_ec::{
    twisted_edwards::{Affine, MontCurveConfig, Projective, TECurveConfig},
    AffineRepr, CurveConfig, CurveGroup,
};
use ark_ff::{MontFp, PrimeField};

/// The prime-order subgroup's scalar field, modulus
/// `l = 2736030358979909402780800718157159386076813972158567259200215660948447373041`.
pub use ark_ed_on_bn254::Fr as Scalar;

/// Baby Jubjub with zk-kit's coefficients and generator `Base8`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BabyJubjub;

/// A point in affine coordinates (zk-kit's `[x, y]`).
pub type Point = Affine<BabyJubjub>;
/// A point in extended projective coordinates.
pub type PointProjective = Projective<BabyJubjub>;

impl CurveConfig for BabyJubjub {
    type BaseField = Fr;
    type ScalarField = Scalar;

    /// The curve's order is `8·l`.
    const COFACTOR: &'static [u64] = &[8];

    /// `8⁻¹ mod l`.
    const COFACTOR_INV: Scalar =
        MontFp!("2394026564107420727433200628387514462817212225638746351800188703329891451411");
}

impl TECurveConfig for BabyJubjub {
    const COEFF_A: Fr = MontFp!("168700");
    const COEFF_D: Fr = MontFp!("168696");
    /// zk-kit's `Base8`.
    const GENERATOR: Point = Point::new_unchecked(
        MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
        MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
    );
    type MontCurveConfig = BabyJubjub;
}

impl MontCurveConfig for BabyJubjub {
    /// `2(a + d)/(a − d)`.
    const COEFF_A: Fr = MontFp!("168698");
    /// `4/(a − d)`.
    const COEFF_B: Fr = MontFp!("1");
    type TECurveConfig = BabyJubjub;
}

/// zk-kit's `Base8`, the generator of the prime-order subgroup.
pub fn base8() -> Point {
    BabyJubjub::GENERATOR
}

/// `scalar · point` (variable time: use it on public points, or on secrets only where the
/// timing of one multiplication is not observable, as in a CLI run).
pub fn mul(point: &Point, scalar: &Scalar) -> Point {
    (*point * scalar).into_affine()
}

/// `scalar · point` for a scalar given as an integer of any size (reduced by the group's
/// order implicitly: `l·P = O` for a checked point).
pub fn mul_bigint(point: &Point, scalar: impl AsRef<[u64]>) -> Point {
    point.mul_bigint(scalar).into_affine()
}

/// Why a point is not a valid public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    /// `(x, y)` does not satisfy the curve equation.
    #[error("the point is not on Baby Jubjub")]
    NotOnCurve,
    /// The point is on the curve but `l·P ≠ O` (it has a small-order component).
    #[error("the point is not in Baby Jubjub's prime-order subgroup")]
    NotInSubgroup,
    /// The identity `(0, 1)`: every multiple of it is public.
    #[error("the point is the identity (0, 1)")]
    Identity,
}

/// `(x, y)` as a public key: on the curve, in the prime-order subgroup, not the identity.
/// Anything else would let a third party compute the shared point.
pub fn checked_point(x: Fr, y: Fr) -> Result<Point, PointError> {
    let p = Point::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointError::NotOnCurve);
    }
    if p.is_zero() {
        return Err(PointError::Identity);
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointError::NotInSubgroup);
    }
    Ok(p)
}

/// The subgroup order `l` as a big integer.
pub fn subgroup_order() -> <Scalar as PrimeField>::BigInt {
    Scalar::MODULUS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::parse;
    use ark_ff::{BigInteger, One, Zero};

    fn pt(x: &str, y: &str) -> (Fr, Fr) {
        (parse(x).unwrap(), parse(y).unwrap())
    }

    #[test]
    fn base8_is_zk_kits_and_of_order_l() {
        let b = base8();
        assert!(b.is_on_curve());
        assert!(b.is_in_correct_subgroup_assuming_on_curve());
        assert!(!b.is_zero());
        assert_eq!(
            Scalar::MODULUS.to_string(),
            "2736030358979909402780800718157159386076813972158567259200215660948447373041"
        );
        assert_eq!(Scalar::from(8u64) * BabyJubjub::COFACTOR_INV, Scalar::one());
    }

    /// Multiples of Base8 printed by @zk-kit/baby-jubjub 1.0.3 `mulPointEscalar`.
    #[test]
    fn multiples_of_base8_match_zk_kit() {
        let cases = [
            (
                2u64,
                pt(
                    "10031262171927540148667355526369034398030886437092045105752248699557385197826",
                    "633281375905621697187330766174974863687049529291089048651929454608812697683",
                ),
            ),
            (
                324,
                pt(
                    "15229345502220149131685586687941443871001305766614475172402395422497225172142",
                    "4911899710315914981416442134857325378932941598283120700062541445449511641519",
                ),
            ),
        ];
        for (k, (x, y)) in cases {
            let p = mul(&base8(), &Scalar::from(k));
            assert_eq!((p.x, p.y), (x, y), "{k}·Base8");
        }
        let minus = mul(&base8(), &-Scalar::one());
        let (x, y) = pt(
            "16588623631197723940611540161738978058265489928225261449611683042093087494064",
            "16950150798460657717958625567821834550301663161624707787222815936182638968203",
        );
        assert_eq!((minus.x, minus.y), (x, y));
    }

    #[test]
    fn bad_points_are_refused() {
        // T2 = (0, −1) has order 2.
        assert_eq!(
            checked_point(Fr::zero(), -Fr::one()),
            Err(PointError::NotInSubgroup)
        );
        assert_eq!(
            checked_point(Fr::zero(), Fr::one()),
            Err(PointError::Identity)
        );
        // Base8 + T2: on the curve, l·P = T2.
        let (x, y) = pt(
            "16588623631197723940611540161738978058265489928225261449611683042093087494064",
            "4938092073378617504287780177435440538246701238791326556475388250393169527414",
        );
        assert_eq!(checked_point(x, y), Err(PointError::NotInSubgroup));
        let b = base8();
        assert_eq!(
            checked_point(b.x, b.y + Fr::one()),
            Err(PointError::NotOnCurve)
        );
        assert_eq!(checked_point(b.x, b.y), Ok(b));
        assert_eq!(subgroup_order().num_bits(), 251);
    }
}
