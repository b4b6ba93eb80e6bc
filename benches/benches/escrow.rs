//! The escrow's costs per shape: setup (once, not by criterion), deal + prove (what
//! `zkbackup escrow deal` does after reading its inputs), and verify (parse escrow.json,
//! recompute digest and public inputs, check the Groth16 proof), for 2-of-3 and 3-of-5.
//! Constraint counts are printed with the setup time.
//!
//! `cargo bench -p zkbackup-benches --bench escrow`; see benches/README.md.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{rngs::StdRng, SeedableRng};
use std::time::Instant;
use zkbackup_core::babyjubjub::Point;
use zkbackup_core::escrow::{deal_with, EscrowShape};
use zkbackup_core::trustee_key::TrusteeSecret;
use zkbackup_core::EscrowKey;
use zkbackup_prover::EscrowKeys;
use zkbackup_verifier::escrow::{verify_escrow, EscrowFile};

fn escrow(c: &mut Criterion) {
    let mut group = c.benchmark_group("escrow");
    group.sample_size(10);
    for (k, n) in [(2usize, 3usize), (3, 5)] {
        let shape = EscrowShape::new(k, n).unwrap();
        let mut rng = StdRng::seed_from_u64(13);
        let start = Instant::now();
        let keys = EscrowKeys::generate(shape, &mut rng).unwrap();
        eprintln!(
            "escrow {k}-of-{n}: {} constraints, setup {:.2} s",
            keys.meta.constraints,
            start.elapsed().as_secs_f64()
        );
        let key = EscrowKey::generate_with(&mut rng);
        let trustees: Vec<Point> = (0..n)
            .map(|_| TrusteeSecret::generate_with(&mut rng).public_key())
            .collect();
        group.bench_function(format!("deal_prove/{k}_of_{n}"), |b| {
            b.iter(|| {
                let deal = deal_with(&mut rng, &key, shape, &trustees).unwrap();
                keys.prove(&deal, &mut rng).unwrap()
            })
        });
        let deal = deal_with(&mut rng, &key, shape, &trustees).unwrap();
        let proof = keys.prove(&deal, &mut rng).unwrap();
        let text =
            EscrowFile::new(&deal, keys.circuit_id().to_owned(), proof.into(), &[]).to_json();
        let vk = keys.vk().into();
        group.bench_function(format!("verify/{k}_of_{n}"), |b| {
            b.iter(|| {
                let file = EscrowFile::from_json(&text).unwrap();
                verify_escrow(&file, &vk, Some(key.commitment())).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, escrow);
criterion_main!(benches);
