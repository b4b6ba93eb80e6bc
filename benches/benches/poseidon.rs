//! Poseidon: native hashes per second (2 and 4 inputs, and the cipher's width-4
//! permutation), and gadget synthesis time.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_circuits::poseidon::PoseidonVar;
use zkbackup_core::poseidon;

fn native(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("poseidon_native");
    group.throughput(Throughput::Elements(1));
    for n in [1usize, 2, 4, 16] {
        let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        group.bench_with_input(BenchmarkId::new("hash", n), &inputs, |b, inputs| {
            b.iter(|| poseidon::hash(black_box(inputs)))
        });
        group.bench_with_input(BenchmarkId::new("reference", n), &inputs, |b, inputs| {
            b.iter(|| {
                let mut state = vec![Fr::from(0u64)];
                state.extend_from_slice(inputs);
                poseidon::permute_reference(black_box(&mut state));
                state[0]
            })
        });
    }
    group.finish();
}

fn gadget(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon_gadget_synthesis");
    for n in [2usize, 4, 16] {
        for (mode, setup) in [("setup", true), ("prove", false)] {
            group.bench_function(BenchmarkId::new(mode, n), |b| {
                b.iter(|| {
                    let cs = ConstraintSystem::<Fr>::new_ref();
                    if setup {
                        cs.set_mode(SynthesisMode::Setup);
                    }
                    let inputs: Vec<FpVar<Fr>> = (0..n)
                        .map(|i| FpVar::new_witness(cs.clone(), || Ok(Fr::from(i as u64))).unwrap())
                        .collect();
                    let _ = PoseidonVar::hash(&inputs).unwrap();
                    cs.num_constraints()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, native, gadget);
criterion_main!(benches);
