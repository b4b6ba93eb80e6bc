//! Batch-affine bucket accumulation.
//!
//! Buckets hold affine points. Additions into buckets are collected into a batch in which each
//! bucket appears at most once; the batch is then applied with one field inversion for all of
//! its slope denominators (Montgomery's simultaneous-inversion trick), so an addition costs
//! about 5 multiplications and 1 squaring instead of the 8M + 2S of a mixed XYZZ addition.
//! An addition aimed at a bucket already waiting in the current batch (a conflict) waits in a
//! small queue for the next batch (as gnark-crypto does); when the queue is full it goes to a
//! side bucket in projective coordinates with an ordinary mixed addition, so heavily-hit
//! buckets (many equal small scalars) cost no more than in a projective-bucket MSM.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ff::{AdditiveGroup, Field};
use ark_std::Zero;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const BUSY: u8 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Distinct x: the chord rule.
    Add,
    /// Same point: the tangent rule.
    Double,
    /// P + (-P): the bucket becomes empty.
    Cancel,
}

/// One thread's buckets: `sets` bucket sets of `half` buckets each.
pub(crate) struct Buckets<C: SWCurveConfig> {
    /// Affine buckets, `(x, y)` side by side so one access touches one cache line (G1).
    xy: Vec<[C::BaseField; 2]>,
    /// [`EMPTY`], [`FULL`] or [`BUSY`] (full, with an addition waiting in the batch).
    state: Vec<u8>,
    /// Conflicting additions, in projective coordinates.
    side: Vec<Projective<C>>,
    /// Batch: bucket index, incoming point, denominator, kind, prefix product.
    b_idx: Vec<u32>,
    b_x: Vec<C::BaseField>,
    b_y: Vec<C::BaseField>,
    b_den: Vec<C::BaseField>,
    b_kind: Vec<Kind>,
    b_prefix: Vec<C::BaseField>,
    batch: usize,
    /// Conflicts waiting for the next batch (`queue_cap` at most; beyond that they go to the
    /// side buckets), and a spare vector to swap with.
    queue: Vec<(u32, C::BaseField, C::BaseField)>,
    spare: Vec<(u32, C::BaseField, C::BaseField)>,
    queue_cap: usize,
}

impl<C: SWCurveConfig> Buckets<C> {
    /// `count` buckets; `batch == 0` turns batch-affine off (every addition is a projective
    /// mixed addition into the side buckets), for comparison.
    pub(crate) fn new(count: usize, batch: usize, queue_cap: usize) -> Self {
        let queue_cap = if batch == 0 { 0 } else { queue_cap };
        Self {
            xy: vec![[C::BaseField::ZERO; 2]; count],
            state: vec![EMPTY; count],
            side: vec![Projective::<C>::zero(); count],
            b_idx: Vec::with_capacity(batch),
            b_x: Vec::with_capacity(batch),
            b_y: Vec::with_capacity(batch),
            b_den: Vec::with_capacity(batch),
            b_kind: Vec::with_capacity(batch),
            b_prefix: Vec::with_capacity(batch),
            batch,
            queue: Vec::with_capacity(queue_cap),
            spare: Vec::with_capacity(queue_cap),
            queue_cap,
        }
    }

    /// Adds the affine point `(px, py)` (never infinity) to bucket `b`.
    #[inline]
    pub(crate) fn add(&mut self, b: usize, px: C::BaseField, py: C::BaseField) {
        self.place(b, px, py);
        if self.b_idx.len() >= self.batch {
            self.apply();
            self.retry();
        }
    }

    /// Puts an addition into the batch, or into an empty bucket, or (conflict) into the queue,
    /// or (queue full) into the side bucket.
    #[inline]
    fn place(&mut self, b: usize, px: C::BaseField, py: C::BaseField) {
        let state = self.state[b];
        if state == BUSY || self.batch == 0 {
            if self.queue.len() < self.queue_cap {
                self.queue.push((b as u32, px, py));
            } else {
                self.side[b] += Affine::<C>::new_unchecked(px, py);
            }
            return;
        }
        if state == EMPTY {
            self.xy[b] = [px, py];
            self.state[b] = FULL;
            return;
        }
        self.state[b] = BUSY;
        self.b_idx.push(b as u32);
        self.b_x.push(px);
        self.b_y.push(py);
    }

    /// After [`Self::apply`]: places the queued conflicts again (into the next batch).
    fn retry(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        std::mem::swap(&mut self.queue, &mut self.spare);
        let mut items = std::mem::take(&mut self.spare);
        for &(b, px, py) in &items {
            self.place(b as usize, px, py);
        }
        items.clear();
        self.spare = items;
    }

    /// Applies every waiting addition (the batch and the queue).
    pub(crate) fn flush(&mut self) {
        while !self.b_idx.is_empty() || !self.queue.is_empty() {
            self.apply();
            self.retry();
        }
    }

    /// Applies the waiting batch: one inversion for all denominators.
    fn apply(&mut self) {
        let n = self.b_idx.len();
        if n == 0 {
            return;
        }
        self.b_den.clear();
        self.b_kind.clear();
        self.b_prefix.clear();
        let mut acc = C::BaseField::ONE;
        for k in 0..n {
            let b = self.b_idx[k] as usize;
            let [x1, y1] = self.xy[b];
            let (x2, y2) = (self.b_x[k], self.b_y[k]);
            let (den, kind) = if x1 != x2 {
                (x2 - x1, Kind::Add)
            } else if y1 == y2 && !y1.is_zero() {
                (y1.double(), Kind::Double)
            } else {
                // y2 = -y1 (or a 2-torsion point, which prime-order groups do not have).
                (C::BaseField::ONE, Kind::Cancel)
            };
            self.b_prefix.push(acc);
            acc *= den;
            self.b_den.push(den);
            self.b_kind.push(kind);
        }
        // Non-zero: every denominator is non-zero by construction.
        let mut inv = acc.inverse().expect("product of non-zero denominators");
        for k in (0..n).rev() {
            let inv_k = inv * self.b_prefix[k];
            inv *= self.b_den[k];
            let b = self.b_idx[k] as usize;
            self.state[b] = FULL;
            let [x1, y1] = self.xy[b];
            let x2 = self.b_x[k];
            match self.b_kind[k] {
                Kind::Add => {
                    let lambda = (self.b_y[k] - y1) * inv_k;
                    let x3 = lambda.square() - x1 - x2;
                    self.xy[b] = [x3, lambda * (x1 - x3) - y1];
                }
                Kind::Double => {
                    let x1x1 = x1.square();
                    let num = x1x1.double() + x1x1 + C::COEFF_A;
                    let lambda = num * inv_k;
                    let x3 = lambda.square() - x1.double();
                    self.xy[b] = [x3, lambda * (x1 - x3) - y1];
                }
                Kind::Cancel => self.state[b] = EMPTY,
            }
        }
        self.b_idx.clear();
        self.b_x.clear();
        self.b_y.clear();
    }

    /// After [`Self::flush`]: `sum_k (k + 1) * bucket[start + k]` over `k < half`, by the
    /// running-sum method (two additions per bucket).
    pub(crate) fn reduce(&self, start: usize, half: usize) -> Projective<C> {
        debug_assert!(self.b_idx.is_empty());
        let mut running = Projective::<C>::zero();
        let mut sum = Projective::<C>::zero();
        for b in (start..start + half).rev() {
            if self.state[b] == FULL {
                let [x, y] = self.xy[b];
                running += Affine::<C>::new_unchecked(x, y);
            }
            if !self.side[b].is_zero() {
                running += self.side[b];
            }
            sum += running;
        }
        sum
    }
}
