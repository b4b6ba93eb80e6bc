//! `zkbackup attest`: submit a proof bundle to a `BackupGate` on any EVM JSON-RPC endpoint.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use zkbackup_chain::gate::{GateAddresses, GateConfig};
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{Attestation, AttestationRecord, GateFlow, RpcChain};
use zkbackup_core::field::to_hex;
use zkbackup_verifier::bundle::{read_bundle, Bundle};

/// Submit every chunk proof of a bundle to a BackupGate in one transaction; the gate
/// verifies them (batched), checks that the chunks are one backup (every nonce is
/// `backup_id · 2^32 + j`), that their record counts sum to its state source's size and
/// their roots combine into its current root, and records the attestation. Prints the
/// attested root, backup id, record count and block (`--json`: one JSON object).
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
    let receipt = flow
        .attest(&attestation(&bundle)?)
        .with_context(|| format!("the gate {} refused the attestation", args.gate))?;
    // What the gate recorded (its Attested event), not what the bundle claims.
    let record = AttestationRecord::from_receipt(&receipt)
        .with_context(|| format!("reading the gate {}'s receipt", args.gate))?;
    if args.json {
        let report = json!({
            "gate": gate.to_string(),
            "root": to_hex(&record.root),
            "commitment": to_hex(&record.commitment),
            "key_commitment": to_hex(&record.key_commitment),
            "backup_id": record.backup_id.to_string(),
            "records": record.records,
            "chunks": bundle.chunks.len(),
            "block": record.block,
            "gas_used": receipt.gas_used,
            "execution_gas": receipt.execution_gas,
        });
        println!("{report}");
    } else {
        println!(
            "attested root {} (backup id {:#026x}, {} records) in block {}",
            to_hex(&record.root),
            record.backup_id,
            record.records,
            record.block
        );
        eprintln!(
            "{} chunks, {} gas ({} execution)",
            bundle.chunks.len(),
            receipt.gas_used,
            receipt.execution_gas
        );
    }
    Ok(())
}
