//! `zkbackup attest`: submit a proof bundle to a `BackupGate` on any EVM JSON-RPC endpoint.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use zkbackup_chain::gate::{GateAddresses, GateConfig};
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{AttestReport, Attestation, GateFlow, RpcChain, MAX_GAS_CAP};
use zkbackup_core::field::to_hex;
use zkbackup_verifier::bundle::{read_bundle, Bundle};

/// Submit a bundle to a BackupGate, incrementally: the gate keeps each backup lineage's chunk
/// roots and commitments on chain, so only the chunks it lacks (new ones, and those whose
/// nonce moved forward in an incremental backup) are submitted, in transactions under
/// `--gas-cap`. The gate verifies every chunk proof (batched per transaction), lets each
/// chunk's nonce only move forward within one lineage, and completes the attestation when
/// the lineage's record count is its state source's size and its chunk roots combine into
/// the source's current root. Prints each transaction (chunks, gas) and whether the
/// attestation completed (`--json`: one JSON object).
#[derive(Clone, Debug, Args)]
pub struct AttestArgs {
    /// JSON-RPC endpoint, e.g. http://127.0.0.1:8545.
    #[arg(long, value_name = "URL")]
    rpc: String,
    /// The BackupGate contract, 0x + 40 hex digits.
    #[arg(long, value_name = "ADDR")]
    gate: String,
    /// The proof bundle.
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// File holding the sender's private key (0x + 64 hex digits).
    #[arg(long, value_name = "FILE")]
    private_key_file: PathBuf,
    /// Gas limit of each transaction (at most 15,000,000): the work is split into
    /// transactions that each fit, measured with eth_estimateGas.
    #[arg(long, value_name = "GAS", default_value_t = MAX_GAS_CAP,
          value_parser = clap::value_parser!(u64).range(1..=MAX_GAS_CAP))]
    gas_cap: u64,
    /// Print one JSON object instead of a line.
    #[arg(long)]
    json: bool,
}

/// The gate's view of a bundle's chunks.
pub fn attestation(bundle: &Bundle) -> anyhow::Result<Attestation> {
    let attestation = Attestation {
        chunks: bundle.chunks.clone(),
    };
    // Every count must fit the gate's uint64 sum.
    attestation.records().input_error()?;
    Ok(attestation)
}

/// Runs `zkbackup attest`.
pub fn run(args: AttestArgs) -> anyhow::Result<()> {
    let gate: alloy_primitives::Address = args
        .gate
        .parse::<alloy_primitives::Address>()
        .input_error()
        .with_context(|| format!("--gate {}: not an address", args.gate))?;
    let bundle = read_bundle(&args.bundle).input_error()?;
    let key_text = std::fs::read_to_string(&args.private_key_file)
        .with_context(|| format!("reading {}", args.private_key_file.display()))
        .input_error()?;
    let key = parse_private_key(key_text.trim())
        .with_context(|| format!("{}: not a private key", args.private_key_file.display()))
        .input_error()?;
    let chain = RpcChain::connect(&args.rpc)
        .with_context(|| format!("connecting to {}", args.rpc))?
        .with_key(key);
    let config = GateConfig {
        key_commitment: bundle.key_commitment,
        chunk_size: bundle.chunk_size as u64,
        max_age_blocks: 0,
    };
    let mut flow = GateFlow::attach(
        chain,
        GateAddresses {
            gate,
            ..Default::default()
        },
        config,
    );
    let report = flow
        .attest(&attestation(&bundle)?, args.gas_cap)
        .with_context(|| format!("attesting to the gate {}", args.gate))?;
    print_report(&report, gate, args.json);
    if report.attested.is_none() {
        // Nothing completed now: fine if the gate's current attestation is this lineage's
        // and still covers the source's root and size (a re-run), an error otherwise.
        let last = flow
            .last_attestation()
            .with_context(|| format!("reading the gate {}", args.gate))?;
        let matches = flow
            .is_fresh(u64::MAX)
            .with_context(|| format!("reading the gate {}", args.gate))?;
        if !(matches && last.lineage == report.lineage) {
            anyhow::bail!(
                "the attestation did not complete: lineage {:#018x} on the gate {} does not \
                 match its state source's current root and size (did the state change since \
                 the backup?)",
                report.lineage,
                args.gate
            );
        }
    }
    Ok(())
}

/// Prints what `attest` did: one line per transaction on stderr and the outcome on stdout,
/// or one JSON object.
fn print_report(report: &AttestReport, gate: alloy_primitives::Address, json: bool) {
    let txs: Vec<serde_json::Value> = report
        .transactions
        .iter()
        .map(|t| {
            json!({
                "block": t.block,
                "updates": t.updates,
                "appends": t.appends,
                "gas_limit": t.gas_limit,
                "gas_used": t.gas_used,
                "completed": t.completed,
            })
        })
        .collect();
    // What the gate recorded (its Attested event), not what the bundle claims.
    let attested = report.attested.as_ref();
    if json {
        let out = json!({
            "gate": gate.to_string(),
            "lineage": format!("{:#018x}", report.lineage),
            "chunks_submitted": report.chunks_submitted(),
            "chunks_updated": report.plan.updates.len(),
            "chunks_appended": report.plan.appends.len(),
            "chunks_unchanged": report.plan.unchanged,
            "transactions": txs,
            "gas_used": report.gas_used(),
            "completed": attested.is_some(),
            "root": attested.map(|r| to_hex(&r.root)),
            "commitment": attested.map(|r| to_hex(&r.commitment)),
            "key_commitment": attested.map(|r| to_hex(&r.key_commitment)),
            "records": attested.map(|r| r.records),
            "block": attested.map(|r| r.block),
        });
        println!("{out}");
        return;
    }
    for (i, t) in report.transactions.iter().enumerate() {
        eprintln!(
            "tx {}: {} updated, {} appended, {} gas (limit {}), block {}",
            i + 1,
            t.updates.len(),
            t.appends.len(),
            t.gas_used,
            t.gas_limit,
            t.block
        );
    }
    eprintln!(
        "{} chunks submitted ({} unchanged) in {} transactions, {} gas",
        report.chunks_submitted(),
        report.plan.unchanged,
        report.transactions.len(),
        report.gas_used()
    );
    match attested {
        Some(r) => println!(
            "attested root {} (lineage {:#018x}, {} records) in block {}",
            to_hex(&r.root),
            report.lineage,
            r.records,
            r.block
        ),
        None if report.transactions.is_empty() => println!(
            "nothing to submit: the gate holds every chunk of lineage {:#018x}",
            report.lineage
        ),
        None => println!(
            "not complete: lineage {:#018x} does not match the state source's root and size yet",
            report.lineage
        ),
    }
}
