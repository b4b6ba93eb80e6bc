//! `zkbackup worker`: prove chunks for runs queued in PostgreSQL (docs/DISTRIBUTED.md).

use crate::args::{expect_dir, EngineArg};
use crate::error::{bad_input, InputResultExt};
use crate::keyfile::read_escrow_key;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use zkbackup_prover::{EnginePolicy, ProvingKeys};
use zkbackup_queue::{run_worker, worker_name, JobOutcome, QueueError, WorkerConfig};
use zkbackup_verifier::{circuit_id, VerifyingKey};

/// Prove chunks queued by `zkbackup prove --queue`: claim a job with a lease, decrypt the
/// chunk's ciphertext (carried by the job; no plaintext crosses the network) with the escrow
/// key, prove it, store the proof in the transaction that completes the job, and loop.
///
/// Only jobs of runs for these proving keys and this escrow key are claimed. A worker that
/// dies loses nothing: its lease runs out and another worker takes the job. SIGTERM or
/// Ctrl-C: the jobs in progress are finished and stored, then the worker exits 0 (a second
/// signal exits at once; the lease then runs out).
#[derive(Clone, Debug, Args)]
pub struct WorkerArgs {
    /// The PostgreSQL connection string of the queue.
    #[arg(long, value_name = "URL")]
    queue: String,
    /// The proving keys directory (from `zkbackup setup`), the same as the coordinator's.
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// The escrow key file (from `zkbackup keygen`): the chunks are decrypted with it.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// Jobs proven at once (each proof already uses every core for its MSMs; more jobs
    /// overlap their serial parts, at the cost of memory).
    #[arg(long, value_name = "J", default_value_t = 1)]
    jobs: usize,
    /// The MSM engine: `auto` and `fixed` build the proving key's fixed-base tables once at
    /// start (a worker is meant to prove many chunks; they take about as long as a few dozen
    /// proofs), `arkworks` needs none (for short-lived workers).
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
    #[command(flatten)]
    tables: crate::args::TablesCacheArg,
    /// Seconds a claimed job stays this worker's without a heartbeat (heartbeats come every
    /// third of it): how long a dead worker's job waits before another takes it.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    lease_secs: f64,
    /// How often to look for work when there is none, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,
    /// Exit once no run for these keys has a job queued or leased (for batch jobs, e.g. a
    /// Kubernetes Job); without it the worker waits for work until stopped.
    #[arg(long)]
    until_idle: bool,
}

/// Runs `zkbackup worker`.
pub fn run(args: WorkerArgs) -> anyhow::Result<()> {
    if args.jobs == 0 {
        return Err(bad_input("--jobs must be at least 1"));
    }
    if !(args.lease_secs.is_finite() && args.lease_secs >= 0.5) {
        return Err(bad_input("--lease-secs must be at least 0.5"));
    }
    expect_dir(
        "--keys-dir",
        &args.keys_dir,
        "the proving keys directory written by `zkbackup setup`",
    )?;
    let key = read_escrow_key(&args.key)?;
    let keys = ProvingKeys::read(&args.keys_dir).input_error()?;
    let tables_cache = args.tables.cache(&keys.meta.proving_key_sha256);
    let mut prover = keys.prover().context("preparing the prover")?;
    prover.set_policy(args.engine.into());
    prover.set_tables_cache(tables_cache);
    if prover.policy() != EnginePolicy::Arkworks {
        let spinner = crate::progress::spinner("preparing the proving key's fixed-base tables");
        let bar = spinner.clone();
        prover.on_tables_build(crate::progress::tables_notes(move |line, _| {
            bar.suspend(|| eprintln!("worker: {line}"))
        }));
        prover.expect_proofs(usize::MAX);
        spinner.finish_and_clear();
    }
    let vk: VerifyingKey<ark_bn254::Bn254> = prover.proving_key().vk.clone().into();
    let circuit = circuit_id(&vk);
    let stop = super::prove::stop_on_signals()?;
    let name = worker_name();
    eprintln!(
        "worker {name}: proving for circuit {circuit} (arity {}, chunk size {}), {} job(s) at once",
        prover.shape().arity,
        prover.shape().chunk_size,
        args.jobs
    );
    let config = WorkerConfig {
        url: &args.queue,
        name: name.clone(),
        key: &key,
        prover: &prover,
        circuit_id: &circuit,
        lease: Duration::from_secs_f64(args.lease_secs),
        poll: Duration::from_millis(args.poll_ms.max(10)),
        jobs: args.jobs,
        until_idle: args.until_idle,
        stop: &stop,
    };
    let report = run_worker(&config, &|run, chunk, outcome| {
        match outcome {
        JobOutcome::Proven { elapsed } => eprintln!(
            "run {run}, chunk {chunk}: proven and stored in {:.2} s",
            elapsed.as_secs_f64()
        ),
        JobOutcome::Failed { error, last } => eprintln!(
            "run {run}, chunk {chunk}: refused{}: {error}",
            if *last { " (last attempt: the job is failed)" } else { "" }
        ),
        JobOutcome::Fenced => eprintln!(
            "run {run}, chunk {chunk}: lease lost before completing (another worker has it); proof dropped"
        ),
    }
    });
    let report = match report {
        Ok(r) => r,
        Err(e @ QueueError::Url(_)) => return Err(e).input_error().context("--queue"),
        Err(e) => return Err(e).with_context(|| format!("worker {name}")),
    };
    eprintln!(
        "worker {name}: stopped; {} proven, {} refused, {} lease(s) lost",
        report.proven, report.failed, report.fenced
    );
    Ok(())
}
