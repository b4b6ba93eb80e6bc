//! Backup and restore throughput (records/s): `Backup::create` (encrypt, commit, root every
//! chunk in parallel), `Backup::restore` (decrypt and re-root), and the keyless checks an
//! auditor runs (`from_bytes`: integrity and structure; `verify_commitments`).
//!
//! `ZKBACKUP_BENCH_RECORDS` sets the number of records (default 10,000), arity 4, chunk size
//! 256; `RAYON_NUM_THREADS=1` measures one thread. `ZKBACKUP_BENCH_ONCE=1` skips criterion
//! and times each step once (for sizes where ten samples take too long). See
//! benches/README.md.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use ark_ff::UniformRand;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use rand::{rngs::StdRng, SeedableRng};
use std::path::Path;
use std::time::Instant;
use zkbackup_core::EscrowKey;
use zkbackup_core::Fr;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::records::{RecordFormat, Records};

const ARITY: usize = 4;
const CHUNK_SIZE: usize = 256;

fn record_count() -> usize {
    std::env::var("ZKBACKUP_BENCH_RECORDS")
        .ok()
        .map(|v| v.parse().expect("ZKBACKUP_BENCH_RECORDS must be a number"))
        .unwrap_or(10_000)
}

/// Seeded records and key.
fn inputs(n: usize) -> (Records, EscrowKey) {
    let mut rng = StdRng::seed_from_u64(42);
    let records = Records::new(ARITY, (0..n * ARITY).map(|_| Fr::rand(&mut rng)).collect())
        .expect("valid records");
    (records, EscrowKey::generate_with(&mut rng))
}

fn bench_backup(c: &mut Criterion) {
    let n = record_count();
    let (records, key) = inputs(n);
    let backup = Backup::create(&records, RecordFormat::Csv, &key, CHUNK_SIZE).expect("backup");
    let bytes = backup.to_bytes();
    let path = Path::new("bench.zkb");

    let mut group = c.benchmark_group("backup");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    let id = |name: &str| BenchmarkId::new(name, format!("{n}x{ARITY}"));
    group.bench_function(id("create"), |b| {
        b.iter(|| Backup::create(&records, RecordFormat::Csv, &key, CHUNK_SIZE).unwrap())
    });
    group.bench_function(id("restore"), |b| b.iter(|| backup.restore(&key).unwrap()));
    group.bench_function(id("read"), |b| {
        b.iter(|| Backup::from_bytes(&bytes, path).unwrap())
    });
    group.bench_function(id("verify_commitments"), |b| {
        b.iter(|| backup.verify_commitments(path).unwrap())
    });
    group.finish();
}

/// Each step once, timed, with records/s.
fn once() {
    let n = record_count();
    let (records, key) = inputs(n);
    let threads = rayon::current_num_threads();
    let report = |what: &str, secs: f64| {
        println!(
            "{what:<20} {n} records x {ARITY}, {threads} thread(s): {secs:.3} s, {:.0} records/s",
            n as f64 / secs
        );
    };
    let start = Instant::now();
    let backup = Backup::create(&records, RecordFormat::Csv, &key, CHUNK_SIZE).unwrap();
    report("create", start.elapsed().as_secs_f64());
    let bytes = backup.to_bytes();
    let start = Instant::now();
    let read = Backup::from_bytes(&bytes, Path::new("bench.zkb")).unwrap();
    report("read", start.elapsed().as_secs_f64());
    let start = Instant::now();
    read.verify_commitments(Path::new("bench.zkb")).unwrap();
    report("verify_commitments", start.elapsed().as_secs_f64());
    let start = Instant::now();
    let restored = read.restore(&key).unwrap();
    report("restore", start.elapsed().as_secs_f64());
    assert_eq!(restored, records);
}

criterion_group!(benches, bench_backup);

fn main() {
    if std::env::var_os("ZKBACKUP_BENCH_ONCE").is_some() {
        once();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
