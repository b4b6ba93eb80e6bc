//! `zkbackup escrow register`: put an escrow on chain, in an `EscrowRegistry` on any EVM
//! JSON-RPC endpoint (the registry verifies the proof; a vault can then require the key to be
//! escrowed).

use crate::error::InputResultExt;
use anyhow::{anyhow, Context};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use zkbackup_chain::escrow::{escrow_of, register, EscrowRecord};
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{EscrowRegistration, EscrowShape as ChainShape, RpcChain};
use zkbackup_core::field::to_hex;
use zkbackup_verifier::escrow::EscrowFile;

/// Register an escrow file in an EscrowRegistry: the registry verifies the escrow's Groth16
/// proof against its verifier for the shape and stores K's threshold, trustees and digest
/// (`escrowOf(K)`, `isEscrowed(K, minThreshold)`). A re-run for an escrow already registered
/// for K changes nothing and succeeds; a registration the registry refuses exits 1 with its
/// reason (an unknown shape, an invalid proof, a replayed older escrow).
#[derive(Clone, Debug, Args)]
pub struct RegisterArgs {
    /// JSON-RPC endpoint, e.g. http://127.0.0.1:8545.
    #[arg(long, value_name = "URL")]
    rpc: String,
    /// The EscrowRegistry contract, 0x + 40 hex digits.
    #[arg(long, value_name = "ADDR")]
    registry: String,
    /// The escrow file (from `zkbackup escrow deal`).
    #[arg(long, value_name = "ESCROW")]
    escrow: PathBuf,
    /// File holding the sender's private key (0x + 64 hex digits).
    #[arg(long, value_name = "FILE")]
    private_key_file: PathBuf,
    /// Print one JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

/// What `register` sends for `escrow`.
pub fn registration(escrow: &EscrowFile) -> EscrowRegistration {
    EscrowRegistration {
        key_commitment: escrow.key_commitment,
        shape: ChainShape {
            // EscrowShape caps n at 16 (checked when the file was read).
            threshold: escrow.shape.threshold as u8,
            trustees: escrow.shape.trustees as u8,
        },
        trustees: escrow.trustee_keys().iter().map(|p| (p.x, p.y)).collect(),
        digest: escrow.digest,
        proof: escrow.proof.clone(),
    }
}

/// Runs `zkbackup escrow register`.
pub fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let registry: alloy_primitives::Address = args
        .registry
        .parse()
        .input_error()
        .with_context(|| format!("--registry {}: not an address", args.registry))?;
    let escrow = super::read_escrow(&args.escrow)?;
    let key_text = std::fs::read_to_string(&args.private_key_file)
        .with_context(|| format!("reading {}", args.private_key_file.display()))
        .input_error()?;
    let key = parse_private_key(key_text.trim())
        .with_context(|| format!("{}: not a private key", args.private_key_file.display()))
        .input_error()?;
    let mut chain = RpcChain::connect(&args.rpc)
        .with_context(|| format!("connecting to {}", args.rpc))?
        .with_key(key);
    let k = escrow.key_commitment;
    let reading = || format!("reading escrowOf(K) from the registry {}", args.registry);

    let before = escrow_of(&mut chain, registry, k).with_context(reading)?;
    let (gas, already) = match before {
        Some(r) if r.digest == escrow.digest => (None, true),
        _ => {
            let receipt = register(&mut chain, registry, &registration(&escrow))
                .with_context(|| format!("registering the escrow in {}", args.registry))?;
            (Some(receipt), false)
        }
    };
    let record: EscrowRecord = escrow_of(&mut chain, registry, k)
        .with_context(reading)?
        .ok_or_else(|| anyhow!("escrowOf(K) is empty after the registration"))?;
    if record.digest != escrow.digest {
        anyhow::bail!(
            "escrowOf(K) holds digest {}, not this escrow's {}",
            to_hex(&record.digest),
            to_hex(&escrow.digest)
        );
    }
    if args.json {
        let value = json!({
            "registry": format!("{registry:#x}"),
            "key_commitment": to_hex(&k),
            "digest": to_hex(&record.digest),
            "threshold": record.shape.threshold,
            "trustees": record.shape.trustees,
            "block": record.block,
            "already_registered": already,
            "gas_used": gas.as_ref().map(|r| r.gas_used),
        });
        println!("{value}");
    } else if already {
        println!(
            "already registered: K {} is escrowed {}-of-{} (digest {}, block {})",
            to_hex(&k),
            record.shape.threshold,
            record.shape.trustees,
            to_hex(&record.digest),
            record.block
        );
    } else {
        println!(
            "registered: K {} is escrowed {}-of-{} (digest {}, block {}, {} gas)",
            to_hex(&k),
            record.shape.threshold,
            record.shape.trustees,
            to_hex(&record.digest),
            record.block,
            gas.map_or(0, |r| r.gas_used)
        );
    }
    Ok(())
}
