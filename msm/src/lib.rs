//! zkbackup's multi-scalar multiplication (MSM) engine for **fixed bases**.
//!
//! Every chunk of a backup is proven under the same Groth16 proving key, so the bases of its
//! MSMs never change: work that depends only on the bases is done once per key
//! ([`FixedBaseMsm::new`]) and reused by every proof ([`FixedBaseMsm::msm`]).
//!
//! We wrote this engine ourselves (rather than using arkworks' `VariableBaseMSM`) because no
//! well-kept Rust crate offers fixed-base precomputation with batch-affine buckets, and the
//! MSMs are over 80% of our prover's time. Techniques (ideas, not code) followed:
//!
//! - **Pippenger's bucket method** with **signed digits** (`2^(c-1)` buckets per window).
//! - **Precomputed window tables** for fixed bases: for each base `P` we store
//!   `2^(c·t·e)·P` for `e = 0, 1, ..`, so windows `j = t·e + s` of all scalars land in one of
//!   `t` shared bucket sets; the per-window bucket reductions and the `c` doublings per window
//!   disappear (for `t = 1` there is a single bucket set and a single reduction). This is the
//!   fixed-base variant described e.g. in the ZPrize 2022 MSM write-ups and used by
//!   gnark-crypto's and Ingonyama's fixed-base MSMs; `t` trades table memory against extra
//!   bucket reductions (`t = windows` is plain Pippenger with no table).
//! - **Batch-affine bucket accumulation**: affine buckets, additions batched with one
//!   inversion per batch by Montgomery's simultaneous-inversion trick (as in gnark-crypto's
//!   `msm` and rapidsnark); an addition whose bucket is already in the batch goes to a
//!   projective side bucket instead of waiting (see `bucket.rs`).
//! - Bases at infinity are dropped at precomputation, zero digits are skipped, and the points
//!   are split into contiguous ranges, one per thread, each with its own buckets.
//!
//! The GLV endomorphism was considered: with tables it halves table memory at the cost of one
//! base-field multiplication per addition; a table stride `t = 2` achieves the same memory for
//! one extra bucket reduction per thread, which measured cheaper (see `README.md`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bucket;
mod digits;

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger as _, PrimeField};
use ark_std::Zero;
use rayon::prelude::*;

use bucket::Buckets;
use digits::{signed_digits, window_count};

/// Scalar field of curve `C`.
type Scalar<C> = <C as ark_ec::CurveConfig>::ScalarField;
/// Big integer representation of the scalar field of `C`.
type ScalarBigInt<C> = <Scalar<C> as PrimeField>::BigInt;

/// Tuning knobs of a [`FixedBaseMsm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsmConfig {
    /// Window width `c` in bits (2..=24): `2^(c-1)` buckets per bucket set.
    pub window_bits: u32,
    /// Table stride `t >= 1`: the table stores `2^(c·t·e)·P` for each base `P`, i.e. one entry
    /// every `t` windows. `1` = full table (one bucket set, most memory); values at or above
    /// the window count mean no table at all (plain Pippenger, one bucket set per window).
    pub table_stride: u32,
    /// Additions per batch-affine batch (one field inversion each); `0` turns batch-affine off
    /// (projective buckets, for comparison).
    pub batch_size: usize,
    /// Conflicting additions (bucket already in the batch) that wait for the next batch; more
    /// go to projective side buckets. `0` = always the side buckets.
    pub queue_size: usize,
    /// Threads; `0` = rayon's current thread count.
    pub threads: usize,
    /// With several threads and a multiple of their number of bucket sets (`table_stride`):
    /// give each thread its own bucket sets over all points (no bucket set reduced twice) instead of
    /// splitting the points (each thread reducing every bucket set).
    pub split_phases: bool,
}

impl MsmConfig {
    /// The default for `n` bases: measured on a 2-core x86_64 machine (see `README.md`).
    pub fn for_size(n: usize) -> Self {
        let log = usize::BITS - n.max(1).leading_zeros(); // ceil-ish log2
        let window_bits = match log {
            0..=6 => 4,
            7..=10 => 8,
            11..=14 => 12,
            _ => 16,
        };
        Self {
            window_bits,
            table_stride: 2,
            batch_size: 1024,
            queue_size: 256,
            threads: 0,
            split_phases: true,
        }
    }

    /// Number of signed windows for curve `C`'s scalar field.
    pub fn windows<C: SWCurveConfig>(&self) -> usize {
        window_count(Scalar::<C>::MODULUS_BIT_SIZE, self.window_bits)
    }

    /// Table entries stored per base.
    pub fn entries_per_base<C: SWCurveConfig>(&self) -> usize {
        self.windows::<C>()
            .div_ceil(self.table_stride.max(1) as usize)
    }

    /// Table bytes for `n` bases of curve `C` under this config.
    pub fn table_bytes<C: SWCurveConfig>(&self, n: usize) -> usize {
        n * self.entries_per_base::<C>() * 2 * std::mem::size_of::<C::BaseField>()
    }
}

/// A precomputed MSM over fixed bases: see the crate docs.
pub struct FixedBaseMsm<C: SWCurveConfig> {
    config: MsmConfig,
    /// Number of bases given (including those at infinity).
    len: usize,
    /// Original index of each kept (finite) base, increasing; empty when none was dropped.
    kept: Vec<u32>,
    /// Number of kept bases.
    count: usize,
    /// Table: for kept base `k`, entries `k·entries .. (k+1)·entries` are `2^(c·t·e)·P_k` as
    /// affine `[x, y]`.
    table: Vec<[C::BaseField; 2]>,
    /// Entries per base.
    entries: usize,
    /// Signed windows per scalar.
    windows: usize,
}

impl<C: SWCurveConfig> FixedBaseMsm<C> {
    /// Precomputes the tables for `bases` with the default config for their number.
    pub fn new(bases: &[Affine<C>]) -> Self {
        Self::with_config(bases, MsmConfig::for_size(bases.len()))
    }

    /// Precomputes the tables for `bases` with `config` (bases at infinity are dropped up
    /// front, remembering indices).
    ///
    /// # Panics
    /// If `config.window_bits` is outside `2..=24` or there are `2^32` bases or more.
    pub fn with_config(bases: &[Affine<C>], mut config: MsmConfig) -> Self {
        assert!(
            (2..=24).contains(&config.window_bits),
            "MsmConfig::window_bits must be in 2..=24, got {}",
            config.window_bits
        );
        assert!(u32::try_from(bases.len()).is_ok(), "too many bases");
        config.table_stride = config.table_stride.max(1);
        let windows = config.windows::<C>();
        let entries = config.entries_per_base::<C>();
        let any_infinity = bases.iter().any(|p| p.is_zero());
        let kept: Vec<u32> = if any_infinity {
            (0..bases.len() as u32)
                .filter(|&i| !bases[i as usize].is_zero())
                .collect()
        } else {
            Vec::new()
        };
        let finite: Vec<Affine<C>> = if any_infinity {
            kept.iter().map(|&i| bases[i as usize]).collect()
        } else {
            Vec::new()
        };
        let finite: &[Affine<C>] = if any_infinity { &finite } else { bases };
        let count = finite.len();
        let shift = config.window_bits as usize * config.table_stride as usize;

        // Each chunk of bases: project, double `shift` times per entry, normalise in one batch.
        let chunk = 4096;
        let parts: Vec<Vec<[C::BaseField; 2]>> = finite
            .par_chunks(chunk)
            .map(|ps| {
                let mut proj = Vec::with_capacity(ps.len() * entries);
                for p in ps {
                    let mut cur: Projective<C> = (*p).into();
                    for e in 0..entries {
                        proj.push(cur);
                        if e + 1 < entries {
                            for _ in 0..shift {
                                cur.double_in_place();
                            }
                        }
                    }
                }
                let aff = Projective::normalize_batch(&proj);
                aff.iter().map(|a| [a.x, a.y]).collect()
            })
            .collect();
        let mut table = Vec::with_capacity(count * entries);
        for part in parts {
            table.extend(part);
        }
        Self {
            config,
            len: bases.len(),
            kept,
            count,
            table,
            entries,
            windows,
        }
    }

    /// `sum_i scalars[i]·bases[i]` over `i < min(bases.len(), scalars.len())`: the semantics of
    /// arkworks' `VariableBaseMSM::msm_unchecked`.
    pub fn msm(&self, scalars: &[Scalar<C>]) -> Projective<C> {
        let n = self.kept_prefix(scalars.len());
        let bigints: Vec<ScalarBigInt<C>> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|k| scalars[self.original_index(k)].into_bigint())
            .collect();
        self.msm_kept(&bigints)
    }

    /// As [`Self::msm`] with scalars already in canonical big-integer form.
    ///
    /// # Panics
    /// If a scalar is not below the field modulus.
    pub fn msm_bigint(&self, scalars: &[ScalarBigInt<C>]) -> Projective<C> {
        let n = self.kept_prefix(scalars.len());
        let modulus = Scalar::<C>::MODULUS;
        let bigints: Vec<ScalarBigInt<C>> = (0..n)
            .map(|k| {
                let s = scalars[self.original_index(k)];
                assert!(s < modulus, "msm_bigint: scalar not below the modulus");
                s
            })
            .collect();
        self.msm_kept(&bigints)
    }

    /// Number of bases given (including any at infinity).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no bases were given.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held by the tables and index.
    pub fn memory_bytes(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<[C::BaseField; 2]>()
            + self.kept.capacity() * std::mem::size_of::<u32>()
    }

    /// The config in use.
    pub fn config(&self) -> MsmConfig {
        self.config
    }

    /// Number of kept bases whose original index is below `len`.
    fn kept_prefix(&self, len: usize) -> usize {
        if self.kept.is_empty() {
            len.min(self.count)
        } else {
            self.kept.partition_point(|&i| (i as usize) < len)
        }
    }

    fn original_index(&self, k: usize) -> usize {
        if self.kept.is_empty() {
            k
        } else {
            self.kept[k] as usize
        }
    }

    /// MSM over the first `scalars.len()` kept bases, scalars indexed by kept base.
    fn msm_kept(&self, scalars: &[ScalarBigInt<C>]) -> Projective<C> {
        let n = scalars.len();
        if n == 0 {
            return Projective::zero();
        }
        let threads = match self.config.threads {
            0 => rayon::current_num_threads(),
            t => t,
        }
        .clamp(1, n);
        let sets = (self.config.table_stride as usize).min(self.windows);
        if threads > 1 && sets.is_multiple_of(threads) && self.config.split_phases {
            // Split bucket sets: thread i takes phases i, i + threads, ... over all points, so
            // no bucket set is reduced twice.
            return (0..threads)
                .into_par_iter()
                .map(|i| self.accumulate(scalars, 0, n, i, threads))
                .reduce(Projective::zero, |a, b| a + b);
        }
        // Split points: each thread has its own buckets for every phase.
        let per = n.div_ceil(threads);
        let ranges: Vec<(usize, usize)> = (0..threads)
            .map(|t| (t * per, ((t + 1) * per).min(n)))
            .filter(|(lo, hi)| lo < hi)
            .collect();
        if ranges.len() == 1 {
            return self.accumulate(scalars, 0, n, 0, 1);
        }
        ranges
            .into_par_iter()
            .map(|(lo, hi)| self.accumulate(scalars, lo, hi, 0, 1))
            .reduce(Projective::zero, |a, b| a + b)
    }

    /// One thread's share: kept bases `lo..hi`, window phases `first, first + step, ..` (a
    /// window `j` has phase `j mod t`); returns `sum_s 2^(c·s)·R_s` over those phases.
    fn accumulate(
        &self,
        scalars: &[ScalarBigInt<C>],
        lo: usize,
        hi: usize,
        first: usize,
        step: usize,
    ) -> Projective<C> {
        let c = self.config.window_bits;
        let t = self.config.table_stride as usize;
        let half = 1usize << (c - 1);
        let sets = t.min(self.windows);
        // Local bucket set of phase s (one of ours): (s - first) / step.
        let mine = (sets - first).div_ceil(step);
        let mut buckets =
            Buckets::<C>::new(mine * half, self.config.batch_size, self.config.queue_size);
        let mut digits = vec![0i32; self.windows];
        for (k, s) in scalars.iter().enumerate().take(hi).skip(lo) {
            if s.is_zero() {
                continue;
            }
            signed_digits(s.as_ref(), c, &mut digits);
            let row = k * self.entries;
            for (j, &d) in digits.iter().enumerate() {
                if d == 0 {
                    continue;
                }
                let (e, phase) = (j / t, j % t);
                if phase < first || !(phase - first).is_multiple_of(step) {
                    continue;
                }
                let [px, py] = self.table[row + e];
                let b = (phase - first) / step * half + (d.unsigned_abs() as usize - 1);
                if d > 0 {
                    buckets.add(b, px, py);
                } else {
                    buckets.add(b, px, -py);
                }
            }
        }
        buckets.flush();
        // Horner over phases: result = sum_s 2^(c·s) · R_s.
        let mut acc = Projective::<C>::zero();
        for phase in (0..sets).rev() {
            for _ in 0..c {
                acc.double_in_place();
            }
            if phase >= first && (phase - first).is_multiple_of(step) {
                acc += buckets.reduce((phase - first) / step * half, half);
            }
        }
        acc
    }
}
