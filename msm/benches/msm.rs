//! Criterion bench: `FixedBaseMsm::msm` vs arkworks' `VariableBaseMSM::msm_unchecked` at 2^16
//! and 2^18 random bases and scalars, G1 and G2 of BN254. Precomputation is timed once, outside
//! the measured loop, and printed with the table size.
//!
//! `cargo bench -p zkbackup-msm` (all threads); `RAYON_NUM_THREADS=1` for one.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, UniformRand};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Instant;
use zkbackup_msm::FixedBaseMsm;

fn bases<C: SWCurveConfig>(rng: &mut StdRng, n: usize) -> Vec<Affine<C>> {
    let seeds: Vec<Projective<C>> = (0..4)
        .map(|_| Projective::<C>::generator() * C::ScalarField::rand(rng))
        .collect();
    let mut acc = seeds[0];
    let proj: Vec<Projective<C>> = (0..n)
        .map(|i| {
            acc += seeds[1 + i % 3];
            acc.double_in_place();
            acc
        })
        .collect();
    Projective::normalize_batch(&proj)
}

fn group<C: SWCurveConfig<ScalarField = Fr>>(c: &mut Criterion, name: &str) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut g = c.benchmark_group(format!("msm_{name}"));
    g.sample_size(10);
    for log in [16u32, 18] {
        let n = 1usize << log;
        let bases = bases::<C>(&mut rng, n);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let start = Instant::now();
        let engine = FixedBaseMsm::new(&bases);
        eprintln!(
            "{name} 2^{log}: precompute {:.2?}, table {} MiB, config {:?}",
            start.elapsed(),
            engine.memory_bytes() >> 20,
            engine.config()
        );
        g.bench_with_input(BenchmarkId::new("arkworks", log), &n, |b, _| {
            b.iter(|| <Projective<C> as VariableBaseMSM>::msm_unchecked(&bases, &scalars))
        });
        g.bench_with_input(BenchmarkId::new("fixed_base", log), &n, |b, _| {
            b.iter(|| engine.msm(&scalars))
        });
    }
    g.finish();
}

fn msm_benches(c: &mut Criterion) {
    group::<ark_bn254::g1::Config>(c, "g1");
    group::<ark_bn254::g2::Config>(c, "g2");
}

criterion_group!(benches, msm_benches);
criterion_main!(benches);
