//! `zkbackup attest`: submit a proof bundle to a `BackupGate` on any EVM JSON-RPC endpoint.

use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use zkbackup_chain::gate::{GateAddresses, GateConfig};
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{Attestation, ChunkProof, GateFlow, RpcChain};
use zkbackup_circuits::field::to_hex;
use zkbackup_verifier::bundle::{read_bundle, Bundle};

/// Submit every chunk proof of a bundle to a BackupGate in one transaction; the gate
/// verifies them (batched), checks that the chunk roots combine into its state source's
/// current root, and records the attestation.
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
}

/// The gate's view of a bundle's chunks.
pub fn attestation(bundle: &Bundle) -> anyhow::Result<Attestation> {
    let chunks = bundle
        .chunks
        .iter()
        .map(|c| {
            let count: num_bigint::BigUint = c.public_inputs.count.into();
            let count = u64::try_from(count)
                .map_err(|_| bad_input(format!("chunk {}: record count out of range", c.index)))?;
            Ok(ChunkProof {
                proof: c.proof.clone(),
                chunk_root: c.public_inputs.chunk_root,
                chunk_commitment: c.public_inputs.chunk_commitment,
                nonce: c.public_inputs.nonce,
                count,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Attestation { chunks })
}

/// Runs `zkbackup attest`.
pub fn run(args: AttestArgs) -> anyhow::Result<()> {
    let gate = args
        .gate
        .parse()
        .map_err(|e| bad_input(format!("--gate {}: not an address ({e})", args.gate)))?;
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
    println!(
        "attested root {} in block {}",
        to_hex(&bundle.root),
        receipt.block_number
    );
    eprintln!(
        "{} chunks, {} gas ({} execution)",
        bundle.chunks.len(),
        receipt.gas_used,
        receipt.execution_gas
    );
    Ok(())
}
