//! circomlib's Poseidon parameters over BN254, derived at first use with the reference
//! Grain LFSR (the `generate_parameters_grain.sage` procedure of the Poseidon paper), and
//! their precomputed "optimized" form (scalar partial-round constants, sparse matrices).
//!
//! Deriving instead of embedding keeps every width (2 to 17) on one code path; the derived
//! constants are checked against `light-poseidon` (widths up to 13) and circomlibjs (all
//! widths) in the tests.

use ark_bn254::Fr;
use ark_ff::{BigInt, Field, PrimeField, Zero};
use std::sync::OnceLock;

/// Full rounds, the same for every width.
pub const FULL_ROUNDS: usize = 8;

/// circomlib's partial rounds for widths 2 to 17 (1 to 16 inputs).
pub const PARTIAL_ROUNDS: [usize; 16] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// Smallest supported state width (one input).
pub const MIN_WIDTH: usize = 2;
/// Largest supported state width (sixteen inputs).
pub const MAX_WIDTH: usize = 17;

/// A `t × t` matrix, row-major: `new[i] = Σ_j m[i][j] · old[j]`.
pub type Matrix = Vec<Vec<Fr>>;

/// A sparse `t × t` matrix of the form `[[a, row], [col, I]]`.
#[derive(Clone, Debug)]
pub struct SparseMatrix {
    /// The top-left entry.
    pub a: Fr,
    /// The first row without its first entry (length `t - 1`).
    pub row: Vec<Fr>,
    /// The first column without its first entry (length `t - 1`).
    pub col: Vec<Fr>,
}

/// Parameters for one state width: the reference constants and the optimized schedule.
#[derive(Clone, Debug)]
pub struct PoseidonParams {
    /// State width `t` (inputs + 1).
    pub width: usize,
    /// Partial rounds for this width.
    pub partial_rounds: usize,
    /// Reference round constants, `(FULL_ROUNDS + partial_rounds)` rows of `t`.
    pub round_constants: Vec<Vec<Fr>>,
    /// The MDS matrix.
    pub mds: Matrix,
    /// Optimized: constants of the first `FULL_ROUNDS / 2` rounds (unchanged).
    pub opt_first_constants: Vec<Vec<Fr>>,
    /// Optimized: the matrix of the last first-half full round (`M'_0 · M`).
    pub opt_pre_sparse: Matrix,
    /// Optimized: one scalar constant per partial round, added to `state[0]`.
    pub opt_partial_constants: Vec<Fr>,
    /// Optimized: one sparse matrix per partial round.
    pub opt_sparse: Vec<SparseMatrix>,
    /// Optimized: constants of the last `FULL_ROUNDS / 2` rounds (the first absorbs what the
    /// partial rounds pushed forward).
    pub opt_last_constants: Vec<Vec<Fr>>,
}

/// Parameters for state width `t` (2 to 17), derived once and cached.
///
/// # Panics
/// If `t` is outside `2..=17`.
pub fn params(t: usize) -> &'static PoseidonParams {
    static CACHE: [OnceLock<PoseidonParams>; MAX_WIDTH + 1] =
        [const { OnceLock::new() }; MAX_WIDTH + 1];
    assert!(
        (MIN_WIDTH..=MAX_WIDTH).contains(&t),
        "Poseidon width {t} is outside {MIN_WIDTH}..={MAX_WIDTH}"
    );
    CACHE[t].get_or_init(|| PoseidonParams::derive(t))
}

/// The Grain LFSR of the Poseidon reference, in self-shrinking mode.
struct Grain {
    bits: [bool; 80],
    pos: usize,
}

impl Grain {
    fn new(t: usize, partial_rounds: usize) -> Self {
        let mut init = Vec::with_capacity(80);
        let mut push = |value: u64, width: usize| {
            for i in (0..width).rev() {
                init.push((value >> i) & 1 == 1);
            }
        };
        push(1, 2); // field: prime
        push(0, 4); // S-box: x^alpha
        push(u64::from(Fr::MODULUS_BIT_SIZE), 12);
        push(t as u64, 12);
        push(FULL_ROUNDS as u64, 10);
        push(partial_rounds as u64, 10);
        push((1 << 30) - 1, 30);
        let mut grain = Self {
            bits: init.try_into().expect("80 bits"),
            pos: 0,
        };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    /// One LFSR step: b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23] ^ b[i+13] ^ b[i].
    fn step(&mut self) -> bool {
        let at = |k: usize| self.bits[(self.pos + k) % 80];
        let new = at(62) ^ at(51) ^ at(38) ^ at(23) ^ at(13) ^ at(0);
        self.bits[self.pos] = new;
        self.pos = (self.pos + 1) % 80;
        new
    }

    /// Self-shrinking output: of each pair of bits, emit the second if the first is 1.
    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// `n` bits, most significant first, as a 256-bit integer.
    fn next_bits(&mut self, n: u32) -> BigInt<4> {
        let mut limbs = [0u64; 4];
        for i in (0..n).rev() {
            if self.next_bit() {
                limbs[(i / 64) as usize] |= 1 << (i % 64);
            }
        }
        BigInt::new(limbs)
    }

    /// A uniform field element by rejection sampling (round constants).
    fn next_field_rejecting(&mut self) -> Fr {
        loop {
            if let Some(f) = Fr::from_bigint(self.next_bits(Fr::MODULUS_BIT_SIZE)) {
                return f;
            }
        }
    }

    /// A field element reduced modulo p (MDS sampling).
    fn next_field_reduced(&mut self) -> Fr {
        let big = self.next_bits(Fr::MODULUS_BIT_SIZE);
        Fr::from_le_bytes_mod_order(&ark_ff::BigInteger::to_bytes_le(&big))
    }
}

impl PoseidonParams {
    fn derive(t: usize) -> Self {
        let partial_rounds = PARTIAL_ROUNDS[t - MIN_WIDTH];
        let rounds = FULL_ROUNDS + partial_rounds;
        let mut grain = Grain::new(t, partial_rounds);
        let round_constants: Vec<Vec<Fr>> = (0..rounds)
            .map(|_| (0..t).map(|_| grain.next_field_rejecting()).collect())
            .collect();
        let mds = loop {
            let xs: Vec<Fr> = (0..t).map(|_| grain.next_field_reduced()).collect();
            let ys: Vec<Fr> = (0..t).map(|_| grain.next_field_reduced()).collect();
            let mut all: Vec<Fr> = xs.iter().chain(&ys).copied().collect();
            all.sort_unstable();
            all.dedup();
            if all.len() != 2 * t {
                continue;
            }
            let sums: Option<Matrix> = xs
                .iter()
                .map(|x| ys.iter().map(|y| (*x + y).inverse()).collect())
                .collect();
            if let Some(m) = sums {
                break m;
            }
        };
        Self::optimize(t, partial_rounds, round_constants, mds)
    }

    /// Precomputes the optimized schedule; see `poseidon/mod.rs` for the derivation.
    fn optimize(
        t: usize,
        partial_rounds: usize,
        round_constants: Vec<Vec<Fr>>,
        mds: Matrix,
    ) -> Self {
        let half = FULL_ROUNDS / 2;
        // 1. Push the non-first constants of each partial round through the MDS matrix
        //    into the next round: the partial S-box does not touch them.
        let mut constants = round_constants.clone();
        let mut opt_partial_constants = Vec::with_capacity(partial_rounds);
        for r in half..half + partial_rounds {
            let mut rest = constants[r].clone();
            opt_partial_constants.push(rest[0]);
            rest[0] = Fr::zero();
            let pushed = mat_vec(&mds, &rest);
            for (c, p) in constants[r + 1].iter_mut().zip(pushed) {
                *c += p;
            }
        }
        // 2. Factor the partial rounds' matrices, last to first: X = M'' · M' with
        //    M' = diag(1, X̂) commuting with the partial S-box; M' moves one round earlier.
        let mut sparse = Vec::with_capacity(partial_rounds);
        let mut x = mds.clone();
        for _ in 0..partial_rounds {
            let (m_sparse, m_prime) = factor(&x);
            sparse.push(m_sparse);
            x = mat_mul(&m_prime, &mds);
        }
        sparse.reverse();
        // After the loop, x = M'_0 · M: the last first-half full round's matrix.
        Self {
            width: t,
            partial_rounds,
            opt_first_constants: constants[..half].to_vec(),
            opt_pre_sparse: x,
            opt_partial_constants,
            opt_sparse: sparse,
            opt_last_constants: constants[half + partial_rounds..].to_vec(),
            round_constants,
            mds,
        }
    }
}

/// `X = M'' · M'` with `M' = diag(1, X̂)` and `M'' = [[x00, x0r · X̂⁻¹], [xc0, I]]`.
fn factor(x: &Matrix) -> (SparseMatrix, Matrix) {
    let t = x.len();
    let hat: Matrix = x[1..].iter().map(|row| row[1..].to_vec()).collect();
    let hat_inv = invert(&hat);
    let x0r = &x[0][1..];
    let row: Vec<Fr> = (0..t - 1)
        .map(|j| (0..t - 1).map(|k| x0r[k] * hat_inv[k][j]).sum())
        .collect();
    let col: Vec<Fr> = x[1..].iter().map(|r| r[0]).collect();
    let mut prime = vec![vec![Fr::zero(); t]; t];
    prime[0][0] = Fr::from(1u64);
    for i in 1..t {
        prime[i][1..].copy_from_slice(&hat[i - 1]);
    }
    (
        SparseMatrix {
            a: x[0][0],
            row,
            col,
        },
        prime,
    )
}

fn mat_vec(m: &Matrix, v: &[Fr]) -> Vec<Fr> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| *a * b).sum())
        .collect()
}

fn mat_mul(a: &Matrix, b: &Matrix) -> Matrix {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

/// Gauss-Jordan inversion; the sub-matrices of an MDS matrix are invertible.
fn invert(m: &Matrix) -> Matrix {
    let n = m.len();
    let mut a: Matrix = m.clone();
    let mut inv: Matrix = (0..n)
        .map(|i| (0..n).map(|j| Fr::from(u64::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .find(|&r| !a[r][col].is_zero())
            .expect("MDS sub-matrix is invertible");
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p_inv = a[col][col].inverse().expect("non-zero pivot");
        for j in 0..n {
            a[col][j] *= p_inv;
            inv[col][j] *= p_inv;
        }
        for r in 0..n {
            if r != col && !a[r][col].is_zero() {
                let f = a[r][col];
                for j in 0..n {
                    let (ac, ic) = (a[col][j], inv[col][j]);
                    a[r][j] -= f * ac;
                    inv[r][j] -= f * ic;
                }
            }
        }
    }
    inv
}
