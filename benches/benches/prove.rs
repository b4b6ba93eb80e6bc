//! The chunk circuit: witness generation, proving (ours and stock `Groth16::prove` on the
//! same circuit, keys and witness), and verification (single and batch of 64).
//!
//! Chunk size 16 by default (arity 4); `ZKBACKUP_BENCH_CHUNK=256` for the product's default.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::rngs::{OsRng, StdRng};
use rand::SeedableRng;
use zkbackup_core::chunk::{ChunkShape, ChunkWitness};
use zkbackup_core::EscrowKey;
use zkbackup_prover::{EnginePolicy, ProvingKeys, StageTimes};
use zkbackup_verifier::{batch_verify, prepare_verifying_key, verify::verify_chunk};

fn chunk_size() -> usize {
    std::env::var("ZKBACKUP_BENCH_CHUNK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16)
}

fn bench(c: &mut Criterion) {
    let n = chunk_size();
    let shape = ChunkShape::new(4, n).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let keys = ProvingKeys::generate(shape, &mut rng).unwrap();
    let vk = keys.vk().clone();
    let mut prover = keys.prover().unwrap();
    // What `prove` uses for a run of many chunks: the fixed-base tables (built here, once,
    // outside the timings); `ZKBACKUP_BENCH_ENGINE=arkworks` for arkworks' MSM.
    prover.set_policy(match std::env::var("ZKBACKUP_BENCH_ENGINE").as_deref() {
        Ok("arkworks") => EnginePolicy::Arkworks,
        _ => EnginePolicy::Fixed,
    });
    prover.expect_proofs(usize::MAX);
    let records: Vec<Fr> = (0..shape.slots()).map(|_| Fr::rand(&mut rng)).collect();
    let witness = ChunkWitness::new(shape, records, EscrowKey::generate_with(&mut rng), 1).unwrap();

    let mut group = c.benchmark_group(format!("chunk_a4_n{n}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("witness", |b| {
        b.iter(|| prover.assignment(witness.clone()).unwrap())
    });
    group.bench_function(BenchmarkId::new("prove", "ours"), |b| {
        b.iter(|| prover.prove(witness.clone(), &mut OsRng).unwrap())
    });
    group.bench_function(BenchmarkId::new("prove", "stock"), |b| {
        b.iter(|| prover.prove_stock(witness.clone(), &mut OsRng).unwrap())
    });
    group.finish();

    // Where the time goes: the median of each stage, ours and stock (arkworks' own pieces
    // in its order), alternating.
    let (mut ours, mut stock) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (_, _, t) = prover
            .prove_staged(witness.clone(), &mut OsRng, |_| Ok(()))
            .unwrap();
        ours.push(t);
        let (_, _, t) = prover
            .prove_stock_staged(witness.clone(), &mut OsRng)
            .unwrap();
        stock.push(t);
    }
    let (ours, stock) = (StageTimes::median(&ours), StageTimes::median(&stock));
    println!("chunk_a4_n{n} stages, median of 5 (ms): stage ours stock stock/ours");
    for ((name, o), (_, s)) in ours.stages().into_iter().zip(stock.stages()) {
        println!("  {name:<10} {o:>9.1} {s:>9.1} {:>6.2}x", s / o.max(1e-9));
    }
    println!(
        "  {:<10} {:>9.1} {:>9.1} {:>6.2}x",
        "total",
        ours.total,
        stock.total,
        stock.total / ours.total
    );

    let (public, proof) = prover.prove(witness, &mut OsRng).unwrap();
    let inputs = public.to_inputs();
    let pvk = prepare_verifying_key(&(&vk).into());
    let proof_checked: zkbackup_verifier::Proof<Bn254> = (&proof).into();
    let mut group = c.benchmark_group("verify");
    group.bench_function("single", |b| {
        b.iter(|| verify_chunk(&pvk, &inputs, &proof_checked).unwrap())
    });
    let items: Vec<_> = (0..64)
        .map(|_| {
            (
                inputs.to_vec(),
                zkbackup_verifier::Proof::from(Groth16::<Bn254>::rerandomize_proof(
                    &vk, &proof, &mut OsRng,
                )),
            )
        })
        .collect();
    group.throughput(Throughput::Elements(64));
    group.bench_function("batch_64", |b| {
        b.iter(|| batch_verify(&pvk, &items, &mut OsRng).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
