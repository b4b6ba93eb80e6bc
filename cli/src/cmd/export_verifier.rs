//! `zkbackup export-verifier`: a standalone Solidity verifier with the verifying key
//! embedded as constants.

use crate::cmd::verify::read_vk;
use crate::error::bad_input;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Write a standalone Solidity Groth16 verifier for a verifying key (EIP-196/197
/// precompiles, every public input range-checked), like snarkjs's exported verifier, with
/// single and batch verification.
#[derive(Clone, Debug, Args)]
pub struct ExportVerifierArgs {
    /// The verifying key: vk.bin, or the key directory holding it.
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// The Solidity file to write; must not exist.
    #[arg(long, value_name = "Verifier.sol")]
    out: PathBuf,
}

/// Runs `zkbackup export-verifier`.
pub fn run(args: ExportVerifierArgs) -> anyhow::Result<()> {
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let vk = read_vk(&args.vk)?;
    let source = zkbackup_chain::render_verifier(&vk).context("rendering the verifier")?;
    zkbackup_circuits::fs::write_atomic(&args.out, |w| w.write_all(source.as_bytes()))
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {} for circuit {}",
        args.out.display(),
        zkbackup_verifier::bundle::circuit_id(&vk)
    );
    Ok(())
}
