//! `zkbackup export-verifier`: a standalone Solidity verifier with the verifying key
//! embedded as constants.

use crate::cmd::verify::read_vk;
use crate::error::{bad_input, InputResultExt};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Write a standalone Solidity Groth16 verifier for a verifying key (EIP-196/197
/// precompiles, every public input range-checked), like snarkjs's exported verifier, with
/// single and batch verification.
#[derive(Clone, Debug, Args)]
pub struct ExportVerifierArgs {
    /// The verifying key: vk.bin, or the proving keys directory (from `zkbackup setup`)
    /// holding it.
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// The Solidity file to write; must not exist (its directory must).
    #[arg(long, value_name = "Verifier.sol")]
    out: PathBuf,
    /// Print one JSON object (the file written, the circuit id) on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup export-verifier`.
pub fn run(args: ExportVerifierArgs) -> anyhow::Result<()> {
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    zkbackup_formats::fs::check_parent_directory(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))
        .input_error()?;
    let vk = read_vk(&args.vk)?;
    let source =
        zkbackup_chain::render_verifier(&vk.clone().into()).context("rendering the verifier")?;
    zkbackup_formats::fs::write_atomic(&args.out, |w| w.write_all(source.as_bytes()))
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let id = zkbackup_verifier::bundle::circuit_id(&vk);
    if args.json {
        let value = json!({
            "out": args.out.display().to_string(),
            "circuit_id": id,
            "bytes": source.len(),
        });
        crate::error::stdout(writeln!(std::io::stdout().lock(), "{value}"))?;
    } else {
        eprintln!("wrote {} for circuit {id}", args.out.display());
    }
    Ok(())
}
