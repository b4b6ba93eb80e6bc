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
//! The GLV endomorphism was considered but not implemented: with tables it does not reduce
//! the number of additions, it halves table memory at the cost of one base-field
//! multiplication per addition on the endomorphism half; a stride `t = 2` gives the same memory
//! for one extra bucket set. It is the first candidate to let `t = 1` speed fit the memory
//! budget (see `README.md`, which also holds the measurements behind the defaults).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bucket;
mod digits;

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger as _, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::Zero;
use rayon::prelude::*;
use std::io::{Read, Write};

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
    /// The default for `n` bases, measured on this project's 2-core x86_64 machine (see
    /// `msm/README.md`): 13-bit windows (4096 buckets of 64 bytes per set fit a 512 KiB L2;
    /// 16-bit windows were slower despite fewer windows), table stride 2 (10 entries per base,
    /// 640 bytes per G1 base, 1280 per G2 base), batches of 1024.
    pub fn for_size(n: usize) -> Self {
        let window_bits = match n {
            0..=63 => 4,
            64..=1023 => 8,
            1024..=8191 => 11,
            _ => 13,
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

    /// [`Self::for_size`] with the smallest table stride whose table for `n` bases of curve
    /// `C` fits in `budget` bytes (falling back to no table at all).
    pub fn for_size_within<C: SWCurveConfig>(n: usize, budget: usize) -> Self {
        let mut config = Self::for_size(n);
        let windows = config.windows::<C>() as u32;
        config.table_stride = (1..=windows)
            .find(|&t| {
                Self {
                    table_stride: t,
                    ..config
                }
                .table_bytes::<C>(n)
                    <= budget
            })
            .unwrap_or(windows);
        config
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
            let mut kept: Vec<u32> = (0..bases.len() as u32)
                .filter(|&i| !bases[i as usize].is_zero())
                .collect();
            // Exact, so that memory_bytes is the same for built and read tables.
            kept.shrink_to_fit();
            kept
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

    /// Writes the tables (window width, stride, base count, the kept bases' indices and
    /// every table entry) to `w`, for [`Self::read_from`]: a prover caches them on disk so
    /// that later runs under the same key skip the precomputation.
    ///
    /// Layout, little-endian: `window_bits: u32`, `table_stride: u32`, `len: u64`,
    /// `count: u64`, `kept: u64` then `kept` × `u32` indices (0 when no base was dropped),
    /// then `count · entries_per_base` entries, each `x` then `y` in arkworks' uncompressed
    /// serialization of the base field (canonical, little-endian).
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        w.write_all(&self.config.window_bits.to_le_bytes())?;
        w.write_all(&self.config.table_stride.to_le_bytes())?;
        for n in [self.len, self.count, self.kept.len()] {
            w.write_all(&(n as u64).to_le_bytes())?;
        }
        for i in &self.kept {
            w.write_all(&i.to_le_bytes())?;
        }
        let invalid = |e| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        for [x, y] in &self.table {
            x.serialize_uncompressed(&mut *w).map_err(invalid)?;
            y.serialize_uncompressed(&mut *w).map_err(invalid)?;
        }
        Ok(())
    }

    /// Reads tables that [`Self::write_to`] wrote for `len` bases under `config` (its
    /// window width and stride must be the file's; its other knobs are taken as given).
    /// Checks every count and index and that every coordinate is a canonical field
    /// element; that the entries are the multiples of the right bases is the caller's to
    /// vouch for (a hash of the file, and a proof checked against its key). The error says
    /// what is wrong.
    pub fn read_from(r: &mut dyn Read, len: usize, mut config: MsmConfig) -> Result<Self, String> {
        config.table_stride = config.table_stride.max(1);
        let mut u32_at = |what: &str| -> Result<u32, String> {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|e| format!("{what}: {e}"))?;
            Ok(u32::from_le_bytes(b))
        };
        let (c, t) = (u32_at("window width")?, u32_at("table stride")?);
        if (c, t) != (config.window_bits, config.table_stride) {
            return Err(format!(
                "tables of {c}-bit windows and stride {t}, this build uses {} and {}",
                config.window_bits, config.table_stride
            ));
        }
        let mut u64_at = |what: &str| -> Result<usize, String> {
            let mut b = [0u8; 8];
            r.read_exact(&mut b).map_err(|e| format!("{what}: {e}"))?;
            usize::try_from(u64::from_le_bytes(b)).map_err(|_| format!("{what} out of range"))
        };
        let (file_len, count, kept_len) = (
            u64_at("base count")?,
            u64_at("kept count")?,
            u64_at("index count")?,
        );
        if file_len != len {
            return Err(format!("tables of {file_len} bases, the key has {len}"));
        }
        let expected = if kept_len == 0 { len } else { kept_len };
        if count != expected || kept_len > len {
            return Err(format!(
                "{count} kept bases and {kept_len} indices for {len} bases"
            ));
        }
        let mut kept = Vec::with_capacity(kept_len);
        for _ in 0..kept_len {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|e| format!("index: {e}"))?;
            let i = u32::from_le_bytes(b);
            if i as usize >= len || kept.last().is_some_and(|&last| last >= i) {
                return Err(format!("index {i} out of order or range"));
            }
            kept.push(i);
        }
        let windows = config.windows::<C>();
        let entries = config.entries_per_base::<C>();
        let mut table = Vec::with_capacity(count * entries);
        for _ in 0..count * entries {
            let mut coordinate = || {
                C::BaseField::deserialize_uncompressed(&mut *r)
                    .map_err(|e| format!("table entry {}: {e}", table.len()))
            };
            let (x, y) = (coordinate()?, coordinate()?);
            table.push([x, y]);
        }
        Ok(Self {
            config,
            len,
            kept,
            count,
            table,
            entries,
            windows,
        })
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
            let row = &self.table[k * self.entries..(k + 1) * self.entries];
            // Window j = t·e + phase uses entry e; walk our phases of each entry (no divisions).
            for (e, &[px, py]) in row.iter().enumerate() {
                let base = e * t;
                let mut phase = first;
                let mut set = 0;
                while phase < sets && base + phase < self.windows {
                    let d = digits[base + phase];
                    if d != 0 {
                        let b = set * half + (d.unsigned_abs() as usize - 1);
                        if d > 0 {
                            buckets.add(b, px, py);
                        } else {
                            buckets.add(b, px, -py);
                        }
                    }
                    phase += step;
                    set += 1;
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
