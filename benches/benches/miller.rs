//! The verifier's own Miller loop (`zkbackup_verifier::miller`, lines computed on the fly,
//! squarings shared) against arkworks' `Bn254::multi_miller_loop` (G2 points prepared
//! first), on the same inputs:
//!
//! - `miller_loop/{ours,arkworks}/N`: the loop alone over `N` random pairs, on one thread
//!   (as at `batch_verify`'s call site, where each thread runs one group of pairs);
//! - `batch_verify/{ours,arkworks}/N`: `batch_verify` end to end on `N` valid proofs with the
//!   proofs' Miller loop swapped, on rayon's default pool.
//!
//! The proofs are of a toy circuit with the chunk proof's five public inputs: verification
//! costs the same for any circuit with as many public inputs.
//!
//! `ZKBACKUP_BENCH_AB=RUNS` skips criterion and alternates ours and arkworks `RUNS` times per
//! size in this one process, printing medians and ratios. `ZKBACKUP_BENCH_ONLY=ours|arkworks`
//! runs one variant once at each size (for `valgrind --tool=callgrind`, see benches/README.md).

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use ark_bn254::{Bn254, Fq12, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};
use zkbackup_verifier::batch::batch_verify_using;
use zkbackup_verifier::miller;
use zkbackup_verifier::NUM_PUBLIC_INPUTS;

const LOOP_SIZES: [usize; 3] = [1, 8, 64];
const BATCH_SIZES: [usize; 2] = [16, 64];

/// Knows the square of each public input (every input is bound by a constraint).
struct Toy(Vec<Fr>);

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        for x in self.0 {
            let input = cs.new_input_variable(|| Ok(x))?;
            let square = cs.new_witness_variable(|| Ok(x * x))?;
            cs.enforce_r1cs_constraint(|| input.into(), || input.into(), || square.into())?;
        }
        Ok(())
    }
}

type Items = Vec<(Vec<Fr>, Proof<Bn254>)>;

/// A verifying key and `n` valid proofs, each of its own random inputs.
fn proofs(n: usize) -> (PreparedVerifyingKey<Bn254>, Items) {
    let mut rng = StdRng::seed_from_u64(7);
    let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Toy(vec![Fr::from(0u64); NUM_PUBLIC_INPUTS]),
        &mut rng,
    )
    .expect("toy setup");
    let items = (0..n)
        .map(|_| {
            let inputs: Vec<Fr> = (0..NUM_PUBLIC_INPUTS).map(|_| Fr::rand(&mut rng)).collect();
            let proof = Groth16::<Bn254>::create_random_proof_with_reduction(
                Toy(inputs.clone()),
                &pk,
                &mut rng,
            )
            .expect("toy proof");
            (inputs, proof)
        })
        .collect();
    (prepare_verifying_key(&pk.vk), items)
}

/// `n` random pairs.
fn pairs(n: usize) -> (Vec<G1Affine>, Vec<G2Affine>) {
    let mut rng = StdRng::seed_from_u64(11);
    let ps = (0..n)
        .map(|_| G1Projective::rand(&mut rng))
        .collect::<Vec<_>>();
    let qs = (0..n)
        .map(|_| G2Projective::rand(&mut rng))
        .collect::<Vec<_>>();
    (
        G1Projective::normalize_batch(&ps),
        G2Projective::normalize_batch(&qs),
    )
}

/// arkworks' loop where `batch_verify` calls ours (G2 preparation included).
fn arkworks_loop(ps: &[G1Affine], qs: &[G2Affine]) -> Fq12 {
    Bn254::multi_miller_loop(ps.iter().copied(), qs.iter().copied()).0
}

/// A multi-Miller loop.
type Loop = fn(&[G1Affine], &[G2Affine]) -> Fq12;

/// Ours or arkworks', by name.
const VARIANTS: [(&str, Loop); 2] = [
    ("ours", miller::multi_miller_loop),
    ("arkworks", arkworks_loop),
];

fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool")
}

fn batch(pvk: &PreparedVerifyingKey<Bn254>, items: &[(Vec<Fr>, Proof<Bn254>)], f: Loop) {
    let mut rng = StdRng::seed_from_u64(3);
    batch_verify_using(pvk, items, &mut rng, f).expect("valid batch");
}

fn bench(c: &mut Criterion) {
    let pool = one_thread();
    let mut group = c.benchmark_group("miller_loop");
    for n in LOOP_SIZES {
        let (ps, qs) = pairs(n);
        group.throughput(Throughput::Elements(n as u64));
        for (name, f) in VARIANTS {
            group.bench_function(BenchmarkId::new(name, n), |b| {
                pool.install(|| b.iter(|| f(black_box(&ps), black_box(&qs))))
            });
        }
    }
    group.finish();

    let (pvk, all) = proofs(*BATCH_SIZES.iter().max().unwrap());
    let mut group = c.benchmark_group("batch_verify");
    for n in BATCH_SIZES {
        let items = &all[..n];
        group.throughput(Throughput::Elements(n as u64));
        for (name, f) in VARIANTS {
            group.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| batch(&pvk, items, f))
            });
        }
    }
    group.finish();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Alternates the variants `runs` times and prints each one's median and the ratio.
fn alternate(label: &str, runs: usize, mut run: impl FnMut(usize)) {
    let mut times = [Vec::new(), Vec::new()];
    run(0);
    run(1); // warm-up
    for _ in 0..runs {
        for (v, t) in times.iter_mut().enumerate() {
            let start = Instant::now();
            run(v);
            t.push(start.elapsed());
        }
    }
    let [ours, arkworks] = times.map(median);
    println!(
        "{label:<20} ours {:>10.3} ms  arkworks {:>10.3} ms  arkworks/ours {:.3}",
        ours.as_secs_f64() * 1e3,
        arkworks.as_secs_f64() * 1e3,
        arkworks.as_secs_f64() / ours.as_secs_f64()
    );
}

fn ab(runs: usize) {
    let pool = one_thread();
    for n in LOOP_SIZES {
        let (ps, qs) = pairs(n);
        alternate(&format!("miller_loop/{n}"), runs, |v| {
            pool.install(|| black_box(VARIANTS[v].1(&ps, &qs)));
        });
    }
    let (pvk, all) = proofs(*BATCH_SIZES.iter().max().unwrap());
    for n in BATCH_SIZES {
        alternate(&format!("batch_verify/{n}"), runs, |v| {
            batch(&pvk, &all[..n], VARIANTS[v].1)
        });
    }
}

/// Runs `id` (`miller_loop/VARIANT/N` or `batch_verify/VARIANT/N`) once on one thread,
/// through [`measured`] (for `callgrind --toggle-collect='*measured*'`).
fn once(id: &str) {
    let parts: Vec<&str> = id.split('/').collect();
    let [what, variant, n] = parts[..] else {
        panic!("ZKBACKUP_BENCH_ONLY: expected WHAT/VARIANT/N, got {id:?}");
    };
    let f = VARIANTS
        .iter()
        .find(|(name, _)| *name == variant)
        .unwrap_or_else(|| panic!("no variant {variant:?}"))
        .1;
    let n: usize = n.parse().expect("N");
    let pool = one_thread();
    match what {
        "miller_loop" => {
            let (ps, qs) = pairs(n);
            pool.install(|| {
                measured(|| {
                    black_box(f(&ps, &qs));
                })
            });
        }
        "batch_verify" => {
            let (pvk, items) = proofs(n);
            pool.install(|| measured(|| batch(&pvk, &items, f)));
        }
        _ => panic!("no bench {what:?}"),
    }
}

#[inline(never)]
fn measured(f: impl FnOnce()) {
    f()
}

fn main() {
    let var = |name| std::env::var(name).ok();
    if let Some(runs) = var("ZKBACKUP_BENCH_AB") {
        return ab(runs.parse().expect("ZKBACKUP_BENCH_AB: a number of runs"));
    }
    if let Some(id) = var("ZKBACKUP_BENCH_ONLY") {
        return once(&id);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

criterion_group!(benches, bench);
