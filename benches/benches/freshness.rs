//! Time from a one-record change to fresh, on the embedded EVM (revm): the custodian's
//! incremental backup, the delta proof (unchanged chunks' proofs reused, checked first) and
//! the delta attestation; against the full path (new backup, every chunk proven, a first
//! attestation of a new lineage) on the same state, in the same run.
//!
//! `ZKBACKUP_BENCH_RECORDS` (default 16,384), `ZKBACKUP_BENCH_CHUNK` (default 256),
//! `ZKBACKUP_BENCH_RUNS` deltas (default 3, the median is reported), `ZKBACKUP_BENCH_FULL=0`
//! skips the full path. Records of arity 4, seeded. The proving keys and the first bundle
//! are cached in `target/bench-freshness/` (the first run proves every chunk once).
//!
//! `cargo bench -p zkbackup-benches --bench freshness`; see benches/README.md.

use ark_ff::UniformRand;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkbackup_chain::{Attestation, EmbeddedChain, GateConfig, GateFlow, MAX_GAS_CAP};
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::{EscrowKey, Fr};
use zkbackup_formats::backup::Backup;
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_prover::{ChunkProver, ProveJob, ProvingKeys};
use zkbackup_verifier::bundle::{read_bundle, write_bundle, Bundle};

const ARITY: usize = 4;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Proves `backup` (reusing `reuse`'s checked proofs) into a fresh file under `dir`.
fn prove(
    dir: &Path,
    name: &str,
    backup: &Backup,
    records: &Records,
    key: &EscrowKey,
    prover: &ChunkProver,
    reuse: Option<&Bundle>,
) -> (Bundle, usize) {
    let out = dir.join(name);
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_dir_all(zkbackup_prover::checkpoint_dir(&out));
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let job = ProveJob {
        backup,
        records,
        key,
        prover,
        out: &out,
        jobs,
        stop: None,
        reuse,
    };
    let (bundle, report) = job.run(&|_, _| {}).expect("prove");
    (bundle, report.proven)
}

/// Submits what the gate lacks of `bundle`.
fn attest(flow: &mut GateFlow, bundle: &Bundle) -> zkbackup_chain::AttestReport {
    let attestation = Attestation {
        chunks: bundle.chunks.clone(),
    };
    flow.attest(&attestation, MAX_GAS_CAP).expect("attest")
}

fn main() {
    let n = env_usize("ZKBACKUP_BENCH_RECORDS", 16_384);
    let chunk = env_usize("ZKBACKUP_BENCH_CHUNK", 256);
    let runs = env_usize("ZKBACKUP_BENCH_RUNS", 3);
    let full = std::env::var("ZKBACKUP_BENCH_FULL").map_or(true, |v| v != "0");
    let shape = ChunkShape::new(ARITY, chunk).expect("shape");
    let cache: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-freshness")
        .join(format!("{n}x{ARITY}-chunk{chunk}"));
    std::fs::create_dir_all(&cache).expect("cache dir");
    let work = tempfile::tempdir().expect("temp dir");

    let mut rng = StdRng::seed_from_u64(11);
    let mut records =
        Records::new(ARITY, (0..n * ARITY).map(|_| Fr::rand(&mut rng)).collect()).unwrap();
    let key = EscrowKey::generate_with(&mut rng);

    let keys_dir = cache.join("keys");
    let keys = if keys_dir.join("keys.json").exists() {
        ProvingKeys::read(&keys_dir).expect("cached keys")
    } else {
        eprintln!("setup for arity {ARITY}, chunks of {chunk} (cached for later runs)");
        let mut keys = ProvingKeys::generate(shape, &mut StdRng::seed_from_u64(12)).unwrap();
        keys.write(&keys_dir).expect("write keys");
        keys
    };
    let vk = keys.vk().clone();
    let prover = keys.prover().expect("prover");

    // The first backup and bundle, cached: proving every chunk takes minutes.
    let (backup_path, bundle_path) = (cache.join("backup.zkb"), cache.join("bundle.json"));
    let (mut parent, mut parent_bundle) = if bundle_path.exists() {
        (
            Backup::read(&backup_path).expect("cached backup"),
            read_bundle(&bundle_path).expect("cached bundle"),
        )
    } else {
        eprintln!(
            "proving the first bundle ({} chunks, cached for later runs)",
            n.div_ceil(chunk)
        );
        let backup = Backup::create(&records, RecordFormat::Csv, &key, chunk).unwrap();
        let (bundle, _) = prove(
            work.path(),
            "first.json",
            &backup,
            &records,
            &key,
            &prover,
            None,
        );
        let _ = std::fs::remove_file(&backup_path);
        backup.write_to(&backup_path).unwrap();
        write_bundle(&bundle_path, &bundle).unwrap();
        (backup, bundle)
    };
    assert_eq!(
        parent.root(),
        records.root(),
        "the cache is of other records"
    );

    let mut flow = GateFlow::deploy(
        EmbeddedChain::new(),
        &vk,
        GateConfig {
            key_commitment: key.commitment(),
            chunk_size: chunk as u64,
            max_age_blocks: 1_000,
        },
    )
    .unwrap();
    let mut leaves = records.leaves();
    for batch in leaves.chunks(512) {
        flow.insert_leaves(batch).unwrap();
    }
    let first = attest(&mut flow, &parent_bundle);
    assert!(flow.is_fresh(1_000).unwrap());
    println!(
        "{n} records of arity {ARITY}, chunks of {chunk} ({} chunks); first attestation: {} gas in {} transactions",
        parent.chunks().len(),
        first.gas_used(),
        first.transactions.len()
    );

    let ledger = ClaimsLedger::at(work.path().join("key.claims"));
    let mut totals = Vec::new();
    let mut phases = Vec::new();
    for run in 0..runs {
        // The change: one record replaced on chain (a LeanIMT update), then in the
        // custodian's records. Not timed: it is the protocol's, not ours.
        let at = rng.gen_range(0..n);
        let mut fields = records.fields().to_vec();
        for x in &mut fields[at * ARITY..(at + 1) * ARITY] {
            *x = Fr::rand(&mut rng);
        }
        let changed = Records::new(ARITY, fields).unwrap();
        let new_leaf = zkbackup_core::poseidon::hash(changed.row(at));
        flow.update_leaf(&leaves, at, new_leaf).unwrap();
        leaves[at] = new_leaf;
        assert!(!flow.is_fresh(1_000).unwrap());

        let t0 = Instant::now();
        let (child, changes) =
            Backup::update(&parent, &changed, RecordFormat::Csv, &key, &ledger).unwrap();
        // Written (and synced) before proving: a custodian keeps the backup it attests.
        child
            .write_to(&work.path().join(format!("delta{run}.zkb")))
            .unwrap();
        let t_backup = t0.elapsed().as_secs_f64();
        let (bundle, proven) = prove(
            work.path(),
            &format!("delta{run}.json"),
            &child,
            &changed,
            &key,
            &prover,
            Some(&parent_bundle),
        );
        let t_prove = t0.elapsed().as_secs_f64() - t_backup;
        let report = attest(&mut flow, &bundle);
        let total = t0.elapsed().as_secs_f64();
        assert!(flow.is_fresh(1_000).unwrap(), "fresh after the delta");
        println!(
            "delta {run}: record {at}: {} chunk(s) changed, {proven} proven; backup {t_backup:.2} s, prove {t_prove:.2} s, attest {:.2} s ({} gas, {} tx): {total:.2} s to fresh",
            changes.encrypted().len(),
            total - t_backup - t_prove,
            report.gas_used(),
            report.transactions.len()
        );
        totals.push(total);
        phases.push((t_backup, t_prove, total - t_backup - t_prove));
        records = changed;
        parent = child;
        parent_bundle = bundle;
    }
    let delta = median(totals);
    println!(
        "median time from a one-record change to fresh: {delta:.2} s (backup {:.2} s, prove {:.2} s, attest {:.2} s)",
        median(phases.iter().map(|p| p.0).collect()),
        median(phases.iter().map(|p| p.1).collect()),
        median(phases.iter().map(|p| p.2).collect()),
    );

    if full {
        // Today's full path on the same state: a new backup (a new lineage), every chunk
        // proven, a first attestation of the new lineage.
        let t0 = Instant::now();
        let backup = Backup::create(&records, RecordFormat::Csv, &key, chunk).unwrap();
        let (bundle, proven) = prove(
            work.path(),
            "full.json",
            &backup,
            &records,
            &key,
            &prover,
            None,
        );
        let report = attest(&mut flow, &bundle);
        let t_full = t0.elapsed().as_secs_f64();
        assert!(flow.is_fresh(1_000).unwrap());
        println!(
            "full path: {proven} chunks proven, {} gas in {} transactions: {t_full:.2} s to fresh; full / delta = {:.1}×",
            report.gas_used(),
            report.transactions.len(),
            t_full / delta
        );
    }
}
