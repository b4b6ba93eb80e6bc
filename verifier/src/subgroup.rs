//! A faster membership test for the order-`r` subgroup of BN254's G2.
//!
//! arkworks checks `ψ(Q) = [6x²]Q` with a 127-bit double-and-add, which costs about as much as
//! preparing the point for the pairing; batch verification does one check per proof, so it
//! matters. Dai, Lin, Zhao and Zhou ("Fast subgroup membership testings for G1, G2 and GT on
//! pairing-friendly curves", eprint 2022/348, sections 3 and 5.1) prove for BN254 that
//!
//! ```text
//! Q ∈ G2  ⇔  [x+1]Q + ψ([x]Q) + ψ²([x]Q) = ψ³([2x]Q)
//! ```
//!
//! with `x = 4965661367192848881` (63 bits) the curve parameter and `ψ` the
//! untwist-Frobenius-twist endomorphism: one 63-bit scalar multiplication instead of a
//! 127-bit one. (gnark-crypto uses the same test.) The unit tests compare it with arkworks'
//! check on points inside and outside the subgroup.

use ark_bn254::{Config, G2Affine, G2Projective};
use ark_ec::bn::BnConfig;
use ark_ec::{AffineRepr, PrimeGroup};
use ark_ff::{AdditiveGroup, Field};

/// `ψ` on Jacobian coordinates: conjugation is a field automorphism, so it commutes with the
/// division by `Z²` and `Z³`.
fn psi(p: &G2Projective) -> G2Projective {
    let mut x = p.x;
    x.frobenius_map_in_place(1);
    x *= Config::TWIST_MUL_BY_Q_X;
    let mut y = p.y;
    y.frobenius_map_in_place(1);
    y *= Config::TWIST_MUL_BY_Q_Y;
    let mut z = p.z;
    z.frobenius_map_in_place(1);
    G2Projective::new_unchecked(x, y, z)
}

/// Whether `q` (assumed on the curve) lies in the order-`r` subgroup of G2.
pub(crate) fn g2_in_subgroup(q: &G2Affine) -> bool {
    if q.is_zero() {
        return true;
    }
    let q = q.into_group();
    let xq = q.mul_bigint(Config::X);
    let psi_xq = psi(&xq);
    let lhs = xq + q + psi_xq + psi(&psi_xq);
    let rhs = psi(&psi(&psi(&xq.double())));
    lhs == rhs
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq2, Fr};
    use ark_ec::CurveGroup;
    use ark_ff::{PrimeField, UniformRand};
    use rand::{rngs::StdRng, SeedableRng};

    fn random_on_curve(rng: &mut StdRng) -> G2Affine {
        loop {
            if let Some(p) = G2Affine::get_point_from_x_unchecked(Fq2::rand(rng), false) {
                return p;
            }
        }
    }

    #[test]
    fn agrees_with_arkworks() {
        let mut rng = StdRng::seed_from_u64(348);
        for _ in 0..100 {
            // In the subgroup.
            let p = G2Projective::rand(&mut rng).into_affine();
            assert!(p.is_in_correct_subgroup_assuming_on_curve());
            assert!(g2_in_subgroup(&p));
            // A random point of the twist: almost surely outside.
            let q = random_on_curve(&mut rng);
            assert_eq!(
                g2_in_subgroup(&q),
                q.is_in_correct_subgroup_assuming_on_curve()
            );
            assert!(!g2_in_subgroup(&q));
            // Its cofactor part alone ([r]q, order dividing the cofactor), and the sum of an
            // in-subgroup point and it.
            let h_part = q.into_group().mul_bigint(Fr::MODULUS);
            assert!(!g2_in_subgroup(&h_part.into_affine()));
            assert!(!g2_in_subgroup(&(h_part + p).into_affine()));
        }
        assert!(g2_in_subgroup(&G2Affine::identity()));
        assert!(g2_in_subgroup(&G2Affine::generator()));
    }
}
