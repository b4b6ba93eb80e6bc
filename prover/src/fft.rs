//! Our radix-2 FFTs over BN254's scalar field, and the QAP witness map built on them.
//!
//! # Why our own
//! The QAP witness map is ~19 % of a proof with the fixed-base MSMs, and arkworks'
//! `Radix2EvaluationDomain` spends much of it outside the butterflies: every transform
//! recomputes its `n/2` roots of unity, makes one pass over the whole vector per stage
//! (19 passes of 16 MB at chunk 256), and bit-reverses the vector serially, twice for an
//! inverse transform followed by a forward one. arkworks' witness map does seven transforms
//! of one size per proof, under one domain for a whole run. Here:
//!
//! - the roots are computed once per domain size ([`FftPlan`], cached);
//! - the transforms recurse depth first (`rayon::join` on the parts), so every stage below
//!   the top few works on a block that is already in the core's cache, and above that
//!   they take two stages per pass over the block (radix 4): at chunk 256 a vector is
//!   16 MB and three of them do not fit the 32 MB L3, so each pass saved is a pass over
//!   memory (measured: 1.50× faster at 2^19 than radix 2 alone, `examples/qap_ab.rs`);
//! - an inverse transform runs decimation in frequency (natural order in, bit-reversed out)
//!   and the forward one decimation in time (bit-reversed in, natural out), so an inverse
//!   transform followed by a forward one needs no bit reversal at all; the coset shift and
//!   the `1/n` are one pass over the bit-reversed coefficients. Only the libsnark map's last
//!   inverse transform bit-reverses, once, in parallel;
//! - the rows `A·z`, `B·z`, `C·z` are evaluated once per proof, and the prover's
//!   satisfaction check is made on them (it used to evaluate them a second time);
//! - the libsnark map takes `C` to the coset and back no more: `h` is
//!   `(coset⁻¹(AB) − C)/Z(g)`, six transforms instead of arkworks' seven.
//!
//! The results are exact field elements, so they equal arkworks' bit for bit (tested here
//! against `Radix2EvaluationDomain` and ark-groth16's `LibsnarkReduction`, and through the
//! identical-proof tests).

use crate::reduction::Reduction;
use ark_bn254::Fr;
use ark_ff::{FftField, Field, One, Zero};
use ark_relations::gr1cs::SynthesisError;
use ark_relations::utils::matrix::Matrix;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Blocks at or below this size run their stages in one loop, on one thread.
const LEAF: usize = 1 << 10;
/// Butterfly passes over at least this many pairs are split over threads.
const PAR_PAIRS: usize = 1 << 12;

/// The roots of unity of one power-of-two domain, for both directions.
pub struct FftPlan {
    log_n: u32,
    /// `ω^j` for `j < n/2`, `ω` the domain's generator (`Fr::get_root_of_unity(n)`, as in
    /// arkworks).
    roots: Vec<Fr>,
    /// `ω^-j` for `j < n/2`.
    inv_roots: Vec<Fr>,
}

impl FftPlan {
    /// The plan for the domain of `n` points (`n` a power of two, at least 1).
    pub fn new(n: usize) -> Result<Self, SynthesisError> {
        if !n.is_power_of_two() {
            return Err(SynthesisError::PolynomialDegreeTooLarge);
        }
        let omega =
            Fr::get_root_of_unity(n as u64).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let omega_inv = omega.inverse().expect("a root of unity is non-zero");
        Ok(Self {
            log_n: n.trailing_zeros(),
            roots: powers(omega, n / 2),
            inv_roots: powers(omega_inv, n / 2),
        })
    }

    /// The domain size.
    pub fn size(&self) -> usize {
        1 << self.log_n
    }

    /// The shared plan for domain size `n`: one plan is kept (a run proves one shape), and
    /// replaced when another size is asked for.
    pub fn shared(n: usize) -> Result<Arc<Self>, SynthesisError> {
        static PLAN: Mutex<Option<Arc<FftPlan>>> = Mutex::new(None);
        let mut slot = PLAN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(plan) = slot.as_ref().filter(|p| p.size() == n) {
            return Ok(plan.clone());
        }
        let plan = Arc::new(Self::new(n)?);
        *slot = Some(plan.clone());
        Ok(plan)
    }

    /// Decimation in frequency: the transform of `x` (natural order) under `ω` (or `ω^-1`
    /// when `inverse`), unscaled, left in bit-reversed order.
    pub fn dif(&self, x: &mut [Fr], inverse: bool) {
        dif(x, self.roots_for(x, inverse), 1);
    }

    /// Decimation in time: the transform of `x` (bit-reversed order) under `ω` (or `ω^-1`
    /// when `inverse`), unscaled, in natural order.
    pub fn dit(&self, x: &mut [Fr], inverse: bool) {
        dit(x, self.roots_for(x, inverse), 1);
    }

    /// The roots of one direction, for a transform of `x` (checked to be of this size).
    fn roots_for(&self, x: &[Fr], inverse: bool) -> &[Fr] {
        assert_eq!(x.len(), self.size(), "FFT input of the wrong size");
        if inverse {
            &self.inv_roots
        } else {
            &self.roots
        }
    }

    /// Multiplies the bit-reversed vector `x` by `c · g^i` at the position of index `i`
    /// (`x[p] *= c · g^bitrev(p)`): the coset shift (and `1/n`) of bit-reversed
    /// coefficients.
    pub fn scale_bitrev(&self, x: &mut [Fr], g: Fr, c: Fr) {
        assert_eq!(x.len(), self.size(), "FFT input of the wrong size");
        // p = q·B + r  =>  bitrev(p) = bitrev_k(r)·2^(L-k) + bitrev_(L-k)(q), B = 2^k: the
        // factor is low[r] · high[q], from two short tables.
        let l = self.log_n;
        let k = l.min(10);
        let block = 1usize << k;
        let g_step = g.pow([1u64 << (l - k)]);
        let low = bitrev_powers(g_step, k, c);
        let high = bitrev_powers(g, l - k, Fr::one());
        x.par_chunks_mut(block)
            .zip(high.par_iter())
            .for_each(|(xs, h)| {
                for (x, lo) in xs.iter_mut().zip(&low) {
                    *x *= *lo * h;
                }
            });
    }
}

/// `base^j` for `j < count`, in parallel chunks.
fn powers(base: Fr, count: usize) -> Vec<Fr> {
    const CHUNK: usize = 1 << 12;
    let mut out = vec![Fr::zero(); count];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(i, xs)| {
        let mut p = base.pow([(i * CHUNK) as u64]);
        for x in xs {
            *x = p;
            p *= base;
        }
    });
    out
}

/// `c · base^bitrev_bits(p)` for `p < 2^bits`.
fn bitrev_powers(base: Fr, bits: u32, c: Fr) -> Vec<Fr> {
    let natural = powers(base, 1 << bits);
    (0..1usize << bits)
        .map(|p| c * natural[bitrev(p, bits)])
        .collect()
}

fn bitrev(p: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        p.reverse_bits() >> (usize::BITS - bits)
    }
}

/// `x[p] = x[bitrev(p)]`, in parallel (out of place).
fn bit_reverse(x: &mut Vec<Fr>) {
    let bits = x.len().trailing_zeros();
    let src = std::mem::take(x);
    *x = (0..src.len())
        .into_par_iter()
        .with_min_len(1 << 12)
        .map(|p| src[bitrev(p, bits)])
        .collect();
    drop(Zeroizing::new(src));
}

/// Decimation in frequency on `x` (`roots[j · stride]` is `w^j` for this block's size):
/// the top two stages in one pass over the block (radix 4), or the top one (radix 2),
/// then the parts, depth first.
fn dif(x: &mut [Fr], roots: &[Fr], stride: usize) {
    let m = x.len();
    if m <= LEAF {
        dif_leaf(x, roots, stride);
        return;
    }
    if m >= 4 * LEAF {
        // Stage of size m on (x0, x2) and (x1, x3) with w^j and w^(j + m/4), then stage
        // of size m/2 on (x0, x1) and (x2, x3) with w^(2j).
        let quarter = m / 4;
        quads(x, |j, [x0, x1, x2, x3]| {
            let (w, w4, w2) = (
                roots[j * stride],
                roots[(j + quarter) * stride],
                roots[2 * j * stride],
            );
            let (y0, y2) = (*x0 + *x2, (*x0 - *x2) * w);
            let (y1, y3) = (*x1 + *x3, (*x1 - *x3) * w4);
            (*x0, *x1) = (y0 + y1, (y0 - y1) * w2);
            (*x2, *x3) = (y2 + y3, (y2 - y3) * w2);
        });
        each_quarter(x, |q| dif(q, roots, 4 * stride));
        return;
    }
    let (lo, hi) = x.split_at_mut(m / 2);
    butterflies(lo, hi, roots, stride, |a, b, w| {
        let t = *a - *b;
        *a += *b;
        *b = t * w;
    });
    rayon::join(|| dif(lo, roots, 2 * stride), || dif(hi, roots, 2 * stride));
}

/// Decimation in time: the parts first, depth first, then the top two stages in one pass
/// (radix 4) or the top one (radix 2): the mirror of [`dif`].
fn dit(x: &mut [Fr], roots: &[Fr], stride: usize) {
    let m = x.len();
    if m <= LEAF {
        dit_leaf(x, roots, stride);
        return;
    }
    if m >= 4 * LEAF {
        let quarter = m / 4;
        each_quarter(x, |q| dit(q, roots, 4 * stride));
        // Stage of size m/2 on (x0, x1) and (x2, x3) with w^(2j), then stage of size m on
        // (x0, x2) and (x1, x3) with w^j and w^(j + m/4).
        quads(x, |j, [x0, x1, x2, x3]| {
            let (w, w4, w2) = (
                roots[j * stride],
                roots[(j + quarter) * stride],
                roots[2 * j * stride],
            );
            let (t1, t3) = (*x1 * w2, *x3 * w2);
            let (y0, y1, y2, y3) = (*x0 + t1, *x0 - t1, *x2 + t3, *x2 - t3);
            let (t2, t3) = (y2 * w, y3 * w4);
            (*x0, *x2) = (y0 + t2, y0 - t2);
            (*x1, *x3) = (y1 + t3, y1 - t3);
        });
        return;
    }
    let (lo, hi) = x.split_at_mut(m / 2);
    rayon::join(|| dit(lo, roots, 2 * stride), || dit(hi, roots, 2 * stride));
    butterflies(lo, hi, roots, stride, |a, b, w| {
        let t = *b * w;
        *b = *a - t;
        *a += t;
    });
}

/// Applies `f(j, [x[j], x[j + m/4], x[j + m/2], x[j + 3m/4]])` for every `j < m/4`, over
/// threads when there are many.
fn quads(x: &mut [Fr], f: impl Fn(usize, [&mut Fr; 4]) + Sync) {
    let [q0, q1, q2, q3] = quarters(x);
    let quarter = q0.len();
    let f = &f;
    let run = |first: usize, q0: &mut [Fr], q1: &mut [Fr], q2: &mut [Fr], q3: &mut [Fr]| {
        for (j, (((x0, x1), x2), x3)) in q0
            .iter_mut()
            .zip(q1.iter_mut())
            .zip(q2.iter_mut())
            .zip(q3.iter_mut())
            .enumerate()
        {
            f(first + j, [x0, x1, x2, x3]);
        }
    };
    if quarter >= PAR_PAIRS {
        const PART: usize = 1 << 10;
        q0.par_chunks_mut(PART)
            .zip(q1.par_chunks_mut(PART))
            .zip(q2.par_chunks_mut(PART))
            .zip(q3.par_chunks_mut(PART))
            .enumerate()
            .for_each(|(i, (((q0, q1), q2), q3))| run(i * PART, q0, q1, q2, q3));
    } else {
        run(0, q0, q1, q2, q3);
    }
}

/// `f` on each quarter of `x`, the four in parallel.
fn each_quarter(x: &mut [Fr], f: impl Fn(&mut [Fr]) + Sync) {
    let [q0, q1, q2, q3] = quarters(x);
    rayon::join(
        || rayon::join(|| f(q0), || f(q1)),
        || rayon::join(|| f(q2), || f(q3)),
    );
}

/// The four quarters of `x` (its length a multiple of 4).
fn quarters(x: &mut [Fr]) -> [&mut [Fr]; 4] {
    let quarter = x.len() / 4;
    let (q01, q23) = x.split_at_mut(2 * quarter);
    let (q0, q1) = q01.split_at_mut(quarter);
    let (q2, q3) = q23.split_at_mut(quarter);
    [q0, q1, q2, q3]
}

/// Applies `f(lo[j], hi[j], w^j)` for every `j`, over threads when there are many.
fn butterflies(
    lo: &mut [Fr],
    hi: &mut [Fr],
    roots: &[Fr],
    stride: usize,
    f: impl Fn(&mut Fr, &mut Fr, Fr) + Sync,
) {
    let f = &f;
    if lo.len() >= PAR_PAIRS {
        const PART: usize = 1 << 11;
        lo.par_chunks_mut(PART)
            .zip(hi.par_chunks_mut(PART))
            .enumerate()
            .for_each(|(i, (lo, hi))| {
                let first = i * PART;
                for (j, (a, b)) in lo.iter_mut().zip(hi).enumerate() {
                    f(a, b, roots[(first + j) * stride]);
                }
            });
    } else {
        for (j, (a, b)) in lo.iter_mut().zip(hi).enumerate() {
            f(a, b, roots[j * stride]);
        }
    }
}

/// Every stage of a small block, in one loop (largest span first).
fn dif_leaf(x: &mut [Fr], roots: &[Fr], stride: usize) {
    let mut half = x.len() / 2;
    let mut step = stride;
    while half >= 1 {
        for block in x.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            // w^0 = 1.
            let t = lo[0] - hi[0];
            lo[0] += hi[0];
            hi[0] = t;
            for j in 1..half {
                let t = lo[j] - hi[j];
                lo[j] += hi[j];
                hi[j] = t * roots[j * step];
            }
        }
        half /= 2;
        step *= 2;
    }
}

/// Every stage of a small block, in one loop (smallest span first).
fn dit_leaf(x: &mut [Fr], roots: &[Fr], stride: usize) {
    let m = x.len();
    let mut half = 1;
    let mut step = stride * m / 2;
    while half < m {
        for block in x.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            let t = hi[0];
            hi[0] = lo[0] - t;
            lo[0] += t;
            for j in 1..half {
                let t = hi[j] * roots[j * step];
                hi[j] = lo[j] - t;
                lo[j] += t;
            }
        }
        half *= 2;
        step /= 2;
    }
}

/// Evaluations on the domain (natural order) → evaluations on the coset `g·D` (natural
/// order): an inverse transform, the shift by `g^i / n`, a forward transform.
fn to_coset(plan: &FftPlan, x: &mut [Fr], g: Fr, n_inv: Fr) {
    plan.dif(x, true);
    plan.scale_bitrev(x, g, n_inv);
    plan.dit(x, false);
}

/// One row of a constraint matrix at the assignment `z`: `Σ coefficient · z[index]`, in one
/// serial loop (arkworks' `evaluate_constraint` splits rows of 100 terms or more over
/// threads, which only costs where the rows already are split over threads).
pub(crate) fn evaluate_row(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    let mut sum = Fr::zero();
    for (coefficient, index) in row {
        if coefficient.is_one() {
            sum += z[*index];
        } else {
            sum += z[*index] * coefficient;
        }
    }
    sum
}

/// `A·z`, `B·z` and `C·z` over a domain of `n` points (zero beyond the rows), with one row
/// `z_i · 0 = 0` per instance variable (as libsnark and snarkjs add).
type Rows = (Zeroizing<Vec<Fr>>, Zeroizing<Vec<Fr>>, Zeroizing<Vec<Fr>>);

fn rows(
    matrices: &[Matrix<Fr>],
    num_inputs: usize,
    num_constraints: usize,
    full: &[Fr],
    n: usize,
) -> Rows {
    let eval = |row: &[(Fr, usize)]| evaluate_row(row, full);
    let mut a = Zeroizing::new(vec![Fr::zero(); n]);
    let mut b = Zeroizing::new(vec![Fr::zero(); n]);
    let mut c = Zeroizing::new(vec![Fr::zero(); n]);
    a[..num_constraints]
        .par_iter_mut()
        .zip(&mut b[..num_constraints])
        .zip(&mut c[..num_constraints])
        .zip(&matrices[0])
        .zip(&matrices[1])
        .zip(&matrices[2])
        .with_min_len(256)
        .for_each(|(((((a, b), c), a_row), b_row), c_row)| {
            *a = eval(a_row);
            *b = eval(b_row);
            *c = eval(c_row);
        });
    a[num_constraints..num_constraints + num_inputs].copy_from_slice(&full[..num_inputs]);
    (a, b, c)
}

/// The QAP witness map of `reduction` for a full assignment `full = [1, public…,
/// witness…]` that satisfies the constraints: what ark-groth16's
/// `LibsnarkReduction::witness_map_from_matrices` (the coefficients of `h`) or our
/// [`CircomReduction`](crate::CircomReduction)'s (the evaluations of `A·B − C` on the odd
/// coset) return for it, bit for bit. The rows `A·z`, `B·z`, `C·z` are evaluated once, and
/// checked (`A·z ∘ B·z = C·z`) on the way, so a caller needs no check of its own before:
/// an assignment that does not satisfy them gets [`SynthesisError::Unsatisfiable`]. The
/// vectors it works in are wiped.
pub fn witness_map(
    reduction: Reduction,
    matrices: &[Matrix<Fr>],
    num_inputs: usize,
    num_constraints: usize,
    full: &[Fr],
) -> Result<Zeroizing<Vec<Fr>>, SynthesisError> {
    let n = domain_size(num_inputs, num_constraints)?;
    let (a, b, c) = rows(matrices, num_inputs, num_constraints, full, n);
    let satisfied = a[..num_constraints]
        .par_iter()
        .zip(&b[..num_constraints])
        .zip(&c[..num_constraints])
        .with_min_len(1024)
        .all(|((a, b), c)| *a * b == *c);
    if !satisfied {
        return Err(SynthesisError::Unsatisfiable);
    }
    map_rows(reduction, a, b, c)
}

/// [`witness_map`] without the satisfaction check, as arkworks' `witness_map_from_matrices`
/// (which checks nothing): equal to it bit for bit for any assignment. For comparisons and
/// benchmarks (`examples/qap_ab.rs`); proving goes through [`witness_map`].
pub fn witness_map_unchecked(
    reduction: Reduction,
    matrices: &[Matrix<Fr>],
    num_inputs: usize,
    num_constraints: usize,
    full: &[Fr],
) -> Result<Zeroizing<Vec<Fr>>, SynthesisError> {
    let n = domain_size(num_inputs, num_constraints)?;
    let (a, b, c) = rows(matrices, num_inputs, num_constraints, full, n);
    map_rows(reduction, a, b, c)
}

fn domain_size(num_inputs: usize, num_constraints: usize) -> Result<usize, SynthesisError> {
    (num_constraints + num_inputs)
        .checked_next_power_of_two()
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)
}

/// The map from the rows (any values: no satisfaction assumed, so that the tests can
/// compare it with arkworks' on random rows).
fn map_rows(
    reduction: Reduction,
    mut a: Zeroizing<Vec<Fr>>,
    mut b: Zeroizing<Vec<Fr>>,
    mut c: Zeroizing<Vec<Fr>>,
) -> Result<Zeroizing<Vec<Fr>>, SynthesisError> {
    let n = a.len();
    let plan = FftPlan::shared(n)?;
    let n_inv = Fr::from(n as u64)
        .inverse()
        .expect("the domain size is below the field's characteristic");
    match reduction {
        Reduction::Libsnark => {
            // As arkworks: the coset of the field's multiplicative generator g, and C·z
            // from the matrix.
            //
            // arkworks takes all three of A, B, C to the coset, forms (AB − C)/Z there and
            // interpolates back: h = coset⁻¹((AB − C)/Z). The inverse transform is linear and
            // coset⁻¹ of C's coset evaluations is C's coefficients, which C's first inverse
            // transform already gives, so h = (coset⁻¹(AB) − C)/Z(g) (Z(g) = gⁿ − 1 is the
            // same at every coset point): one transform fewer, the same field elements.
            let g = Fr::GENERATOR;
            to_coset(&plan, &mut a, g, n_inv);
            to_coset(&plan, &mut b, g, n_inv);
            a.par_iter_mut()
                .zip(b.par_iter())
                .for_each(|(a, b)| *a *= b);
            drop(b);
            // n·C's coefficients, bit-reversed.
            plan.dif(&mut c, true);
            // n·g^i·(coset⁻¹(AB))_i, bit-reversed: times g^-i here, then (… − n·C)·(1/(n·Z(g))).
            plan.dif(&mut a, true);
            let g_inv = g.inverse().expect("the generator is non-zero");
            plan.scale_bitrev(&mut a, g_inv, Fr::one());
            let z = g.pow([n as u64]) - Fr::one();
            let k = (z * Fr::from(n as u64))
                .inverse()
                .expect("the coset is off the domain");
            a.par_iter_mut()
                .zip(c.par_iter())
                .for_each(|(a, c)| *a = (*a - c) * k);
            drop(c);
            bit_reverse(&mut a);
            Ok(a)
        }
        Reduction::Circom => {
            // snarkjs sets C·z = A·z ∘ B·z (equal for a satisfying assignment, and on the
            // instance rows); the coset of the odd 2n-th roots of unity.
            c.par_iter_mut()
                .zip(a.par_iter())
                .zip(b.par_iter())
                .for_each(|((c, a), b)| *c = *a * b);
            let g = Fr::get_root_of_unity(2 * n as u64)
                .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
            for v in [&mut a, &mut b, &mut c] {
                to_coset(&plan, v, g, n_inv);
            }
            a.par_iter_mut()
                .zip(b.par_iter())
                .zip(c.par_iter())
                .for_each(|((a, b), c)| *a = *a * b - c);
            Ok(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
    use rand::{rngs::StdRng, SeedableRng};

    fn random(n: usize, rng: &mut StdRng) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    /// Every size from 1 to 2^16 (leaf only, radix-2 and radix-4 steps, on one thread and
    /// split over threads), both directions and a coset, against arkworks' domain.
    #[test]
    fn transforms_equal_arkworks() {
        let mut rng = StdRng::seed_from_u64(14);
        for log in 0..=16u32 {
            let n = 1usize << log;
            let plan = FftPlan::new(n).unwrap();
            let domain = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
            let v = random(n, &mut rng);
            let n_inv = Fr::from(n as u64).inverse().unwrap();

            // Forward: DIF then bit reversal = DIT of the bit-reversed input = arkworks' fft.
            let expected = domain.fft(&v);
            let mut x = v.clone();
            plan.dif(&mut x, false);
            bit_reverse(&mut x);
            assert_eq!(x, expected, "dif, n = {n}");
            let mut x = v.clone();
            bit_reverse(&mut x);
            plan.dit(&mut x, false);
            assert_eq!(x, expected, "dit, n = {n}");

            // Inverse.
            let expected = domain.ifft(&v);
            let mut x = v.clone();
            plan.dif(&mut x, true);
            plan.scale_bitrev(&mut x, Fr::one(), n_inv);
            bit_reverse(&mut x);
            assert_eq!(x, expected, "inverse, n = {n}");

            // Domain evaluations to coset evaluations.
            let coset = domain.get_coset(Fr::GENERATOR).unwrap();
            let expected = coset.fft(&domain.ifft(&v));
            let mut x = v.clone();
            to_coset(&plan, &mut x, Fr::GENERATOR, n_inv);
            assert_eq!(x, expected, "to coset, n = {n}");

            // And back: arkworks' coset ifft.
            let expected = coset.ifft(&v);
            let mut x = v.clone();
            plan.dif(&mut x, true);
            plan.scale_bitrev(&mut x, Fr::GENERATOR.inverse().unwrap(), n_inv);
            bit_reverse(&mut x);
            assert_eq!(x, expected, "coset ifft, n = {n}");
        }
    }

    fn random_matrix(rows: usize, columns: usize, rng: &mut StdRng) -> Matrix<Fr> {
        use rand::Rng;
        (0..rows)
            .map(|_| {
                (0..rng.gen_range(0..4))
                    .map(|_| (Fr::rand(rng), rng.gen_range(0..columns)))
                    .collect()
            })
            .collect()
    }

    /// Our map equals ark-groth16's libsnark map and our reference circom map (arkworks'
    /// transforms) on random matrices and assignments (satisfying or not: the unchecked
    /// map assumes nothing), at domain sizes below, at and above the leaf size and the parallel
    /// threshold.
    #[test]
    fn maps_equal_the_reference_reductions() {
        use crate::reduction::CircomReduction;
        use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
        use ark_poly::GeneralEvaluationDomain;
        type D = GeneralEvaluationDomain<Fr>;
        let mut rng = StdRng::seed_from_u64(1414);
        for (constraints, inputs) in [(1, 1), (5, 3), (61, 3), (1000, 24), (3000, 2), (6000, 9)] {
            let columns = inputs + 50;
            let matrices: Vec<Matrix<Fr>> = (0..3)
                .map(|_| random_matrix(constraints, columns, &mut rng))
                .collect();
            let mut full = random(columns, &mut rng);
            full[0] = Fr::one();
            for reduction in [Reduction::Libsnark, Reduction::Circom] {
                let ours = witness_map_unchecked(reduction, &matrices, inputs, constraints, &full)
                    .unwrap();
                let theirs = match reduction {
                    Reduction::Libsnark => LibsnarkReduction::witness_map_from_matrices::<Fr, D>(
                        &matrices,
                        inputs,
                        constraints,
                        &full,
                    ),
                    Reduction::Circom => CircomReduction::witness_map_from_matrices::<Fr, D>(
                        &matrices,
                        inputs,
                        constraints,
                        &full,
                    ),
                }
                .unwrap();
                assert_eq!(*ours, theirs, "{reduction:?}, {constraints} constraints");
            }
        }
    }

    /// `witness_map` takes a satisfying assignment (and gives arkworks' map for it) and
    /// refuses one with a single constraint broken.
    #[test]
    fn witness_map_checks_satisfaction() {
        use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
        use ark_poly::GeneralEvaluationDomain;
        type D = GeneralEvaluationDomain<Fr>;
        let mut rng = StdRng::seed_from_u64(77);
        let (constraints, inputs, free) = (2000, 3, 40);
        // Row i: (random A row)·(random B row) = z[free + i].
        let columns = free + constraints;
        let a = random_matrix(constraints, free, &mut rng);
        let b = random_matrix(constraints, free, &mut rng);
        let c: Matrix<Fr> = (0..constraints)
            .map(|i| vec![(Fr::one(), free + i)])
            .collect();
        let mut full = random(columns, &mut rng);
        full[0] = Fr::one();
        let dot =
            |row: &[(Fr, usize)], z: &[Fr]| -> Fr { row.iter().map(|(k, i)| *k * z[*i]).sum() };
        for i in 0..constraints {
            full[free + i] = dot(&a[i], &full) * dot(&b[i], &full);
        }
        let matrices = vec![a, b, c];
        for reduction in [Reduction::Libsnark, Reduction::Circom] {
            let h = witness_map(reduction, &matrices, inputs, constraints, &full).unwrap();
            if reduction == Reduction::Libsnark {
                let theirs = LibsnarkReduction::witness_map_from_matrices::<Fr, D>(
                    &matrices,
                    inputs,
                    constraints,
                    &full,
                )
                .unwrap();
                assert_eq!(*h, theirs);
            }
            let mut broken = full.clone();
            broken[free + 1234] += Fr::one();
            assert!(matches!(
                witness_map(reduction, &matrices, inputs, constraints, &broken),
                Err(SynthesisError::Unsatisfiable)
            ));
        }
    }

    #[test]
    fn a_size_not_a_power_of_two_is_refused() {
        assert!(matches!(
            FftPlan::new(12),
            Err(SynthesisError::PolynomialDegreeTooLarge)
        ));
    }
}
