//! `zkbackup sync`: the agent that keeps a gate fresh as the state changes (docs/SYNC.md).

use crate::args::RecordsInput;
use crate::error::{bad_input, InputResultExt};
use crate::keyfile::read_escrow_key;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::RpcChain;
use zkbackup_core::field::to_hex;
use zkbackup_prover::ProvingKeys;
use zkbackup_sync::{
    run as run_loop, Agent, Backoff, Custodian, Event, LoopOptions, Outcome, RpcPipeline,
};

/// Keep a BackupGate fresh: follow its state source and, whenever the root changes, back up
/// the records file incrementally, prove the changed chunks and submit the delta.
///
/// Everything the agent needs to resume lives in --state-dir (docs/SYNC.md): a restart
/// continues the cycle in progress without redoing finished steps. One line per cycle on
/// stderr (--json: one JSON object per cycle on stdout).
#[derive(Clone, Debug, Args)]
pub struct SyncArgs {
    /// JSON-RPC endpoint, e.g. http://127.0.0.1:8545.
    #[arg(long, value_name = "URL")]
    rpc: String,
    /// The BackupGate contract, 0x + 40 hex digits (its state source is followed).
    #[arg(long, value_name = "ADDR")]
    gate: String,
    /// File holding the sender's private key (0x + 64 hex digits).
    #[arg(long, value_name = "FILE")]
    private_key_file: PathBuf,
    #[command(flatten)]
    records: RecordsInput,
    /// The escrow key file (from `zkbackup keygen`); its claims ledger goes beside it.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The proving keys directory (from `zkbackup setup`): its chunk size is the backups'.
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// The agent's directory: its state, the last backup and bundle, the cycle in progress.
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// The freshness bound asked of the gate (`isFresh(N)`), in blocks.
    #[arg(long, value_name = "N", default_value_t = 7200)]
    max_age_blocks: u64,
    /// Seconds between polls of the chain.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    poll: f64,
    /// The most gas one submission transaction may use (at most 15,000,000).
    #[arg(long, value_name = "GAS", default_value_t = zkbackup_chain::submit::MAX_GAS_CAP)]
    gas_cap: u64,
    /// Chunks proven at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    tables: crate::args::TablesCacheArg,
    /// Run one cycle and exit (for cron and tests).
    #[arg(long)]
    once: bool,
    /// One JSON object per cycle on stdout.
    #[arg(long)]
    json: bool,
}

fn outcome_json(outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::UpToDate { chain } => json!({
            "outcome": "up_to_date",
            "block": chain.block,
            "root": to_hex(&chain.state.root),
            "records": chain.state.size,
        }),
        Outcome::Waiting { chain, records } => json!({
            "outcome": "waiting",
            "block": chain.block,
            "root": to_hex(&chain.state.root),
            "records": chain.state.size,
            "records_file_root": to_hex(&records.root),
            "records_file_records": records.size,
        }),
        Outcome::Ran(r) => json!({
            "outcome": "ran",
            "root": to_hex(&r.state.root),
            "records": r.state.size,
            "changed_block": r.changed.map(|c| c.block),
            "backup": r.backup.as_ref().map(|b| json!({
                "chunks": b.chunks,
                "unchanged": b.unchanged,
                "changed": b.changed,
                "added": b.added,
                "removed": b.removed,
                "lineage": format!("{:#018x}", b.lineage),
                "generation": b.generation,
            })),
            "proved": r.prove.map(|p| p.proved),
            "reused": r.prove.map(|p| p.reused),
            "transactions": r.attest.transactions,
            "gas": r.attest.gas,
            "chunks_submitted": r.attest.chunks,
            "fresh": r.attest.complete,
            "block": r.attest.block,
            "change_to_fresh_ms": r.change_to_fresh_ms,
            "refresh": r.refresh,
        }),
    }
}

/// Runs `zkbackup sync`.
pub fn run(args: SyncArgs) -> anyhow::Result<()> {
    if !(args.poll.is_finite() && args.poll >= 0.0) {
        return Err(bad_input(format!("--poll {} is not a duration", args.poll)));
    }
    if args.jobs == Some(0) {
        return Err(bad_input("--jobs must be at least 1"));
    }
    if args.gas_cap == 0 || args.gas_cap > zkbackup_chain::submit::MAX_GAS_CAP {
        return Err(bad_input(format!(
            "--gas-cap {} is outside 1..={}",
            args.gas_cap,
            zkbackup_chain::submit::MAX_GAS_CAP
        )));
    }
    let gate: alloy_primitives::Address = args
        .gate
        .parse()
        .input_error()
        .with_context(|| format!("--gate {}: not an address", args.gate))?;
    let key_text = std::fs::read_to_string(&args.private_key_file)
        .with_context(|| format!("reading {}", args.private_key_file.display()))
        .input_error()?;
    let signer = parse_private_key(key_text.trim())
        .with_context(|| format!("{}: not a private key", args.private_key_file.display()))
        .input_error()?;
    let key = read_escrow_key(&args.key)?;
    let keys = ProvingKeys::read(&args.keys_dir).input_error()?;
    let tables_cache = args.tables.cache(&keys.meta.proving_key_sha256);
    let mut prover = keys.prover().context("preparing the prover")?;
    // Rounds that re-prove a few changed chunks use the tables when an earlier run kept them.
    prover.set_tables_cache(tables_cache);
    prover.on_tables_build(crate::progress::tables_notes(|line, _| {
        eprintln!("sync: {line}")
    }));
    let stop = crate::cmd::prove::stop_on_signals()?;
    let custodian = Custodian {
        records: args.records.records.clone(),
        format: args.records.format.map(Into::into),
        key_path: args.key.clone(),
        key,
        prover,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        gas_cap: args.gas_cap,
        stop: stop.clone(),
    };
    let connect =
        || RpcChain::connect(&args.rpc).with_context(|| format!("connecting to {}", args.rpc));
    let pipeline = RpcPipeline::new(
        connect()?,
        connect()?.with_key(signer),
        gate,
        args.max_age_blocks,
        custodian,
    )
    .with_context(|| format!("reading the gate {gate}"))?;
    let mut agent = Agent::open(&args.state_dir, pipeline)
        .with_context(|| format!("opening {}", args.state_dir.display()))?;
    let options = LoopOptions {
        poll: Duration::from_secs_f64(args.poll),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(300)),
        once: args.once,
        once_attempts: 5,
    };
    let mut last_waiting = None;
    let result = run_loop(&mut agent, options, &stop, |event| match event {
        Event::Cycle(outcome) => {
            if args.json {
                println!("{}", outcome_json(outcome));
            }
            match outcome {
                Outcome::Ran(report) => {
                    last_waiting = None;
                    eprintln!("sync: {report}");
                }
                Outcome::Waiting { chain, records } => {
                    // Once per state, not once per poll.
                    if last_waiting != Some((chain.state, *records)) {
                        last_waiting = Some((chain.state, *records));
                        eprintln!(
                            "sync: waiting for the records file: the chain has root {} ({} records) at block {}, {} has root {} ({} records)",
                            to_hex(&chain.state.root),
                            chain.state.size,
                            chain.block,
                            args.records.records.display(),
                            to_hex(&records.root),
                            records.size
                        );
                    }
                }
                Outcome::UpToDate { chain } => {
                    if args.once {
                        eprintln!(
                            "sync: up to date: the gate is fresh for root {} ({} records) at block {}",
                            to_hex(&chain.state.root),
                            chain.state.size,
                            chain.block
                        );
                    }
                }
            }
        }
        Event::Retry { error, wait } => {
            eprintln!(
                "sync: {:#}; trying again in {:.0} s",
                anyhow::Error::from(error),
                wait.as_secs_f64()
            );
        }
    });
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(anyhow::Error::from(e)).context("sync"),
    }
}
