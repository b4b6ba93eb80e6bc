//! `zkbackup verify`: check a proof bundle against a verifying key, the backup file and the
//! state root.

use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use zkbackup_circuits::backup::Backup;
use zkbackup_circuits::field;
use zkbackup_verifier::bundle::read_bundle;
use zkbackup_verifier::verify::{verify_bundle, BackupSummary};
use zkbackup_verifier::{read_verifying_key, Bn254, VerifyingKey};

/// Verify a proof bundle: every chunk proof (batch-verified), the circuit id against the
/// verifying key, the chunk values against the backup file, and the recombined state root
/// against the root you trust.
#[derive(Clone, Debug, Args)]
pub struct VerifyArgs {
    /// The proof bundle (from `zkbackup prove`).
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The verifying key: vk.bin, or the key directory holding it.
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// The backup file the bundle proves.
    #[arg(long, value_name = "BACKUP")]
    backup: PathBuf,
    /// The state root to check against, 0x + 64 hex digits (e.g. the chain's root).
    #[arg(
        long,
        value_name = "0x…",
        required_unless_present = "rpc",
        conflicts_with = "rpc"
    )]
    root: Option<String>,
    /// Read the state root from a chain instead: its JSON-RPC endpoint…
    #[arg(long, value_name = "URL", requires = "state")]
    rpc: Option<String>,
    /// …the state source contract (its `root()`)…
    #[arg(long, value_name = "ADDR", requires = "rpc")]
    state: Option<String>,
    /// …at this block (default: latest).
    #[arg(long, value_name = "N", requires = "rpc")]
    block: Option<u64>,
}

/// Reads a verifying key from a file or a key directory's vk.bin.
pub fn read_vk(path: &Path) -> anyhow::Result<VerifyingKey<Bn254>> {
    let file = if path.is_dir() {
        path.join(zkbackup_prover::keys::VK_FILE)
    } else {
        path.to_path_buf()
    };
    read_verifying_key(&file).input_error()
}

/// Runs `zkbackup verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let root = match (&args.root, &args.rpc, &args.state) {
        (Some(root), _, _) => field::parse(root)
            .with_context(|| format!("--root {root}"))
            .input_error()?,
        (None, Some(url), Some(state)) => {
            let address = state.parse().map_err(|e| {
                crate::error::bad_input(format!("--state {state}: not an address ({e})"))
            })?;
            let root = zkbackup_chain::read_state_root(url, address, args.block)
                .with_context(|| format!("reading root() of {state} from {url}"))?;
            eprintln!(
                "chain root {} (block {})",
                field::to_hex(&root),
                args.block.map_or("latest".into(), |b| b.to_string())
            );
            root
        }
        _ => {
            return Err(crate::error::bad_input(
                "give --root, or --rpc with --state",
            ))
        }
    };
    let bundle = read_bundle(&args.bundle).input_error()?;
    let vk = read_vk(&args.vk)?;
    let backup = Backup::read(&args.backup).input_error()?;
    let start = std::time::Instant::now();
    let summary = verify_bundle(&bundle, &vk, &BackupSummary::from_backup(&backup), root)
        .with_context(|| format!("{} does not verify", args.bundle.display()))?;
    println!("{summary}");
    eprintln!("verified in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
