//! `zkbackup export-snarkjs`: a bundle's proofs and verifying key in snarkjs's JSON format.

use crate::cmd::verify::read_vk;
use crate::error::InputResultExt;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use zkbackup_verifier::bundle::read_bundle;

/// Write verification_key.json and, per chunk i, proof_<i>.json and public_<i>.json, as
/// `snarkjs groth16 verify verification_key.json public_<i>.json proof_<i>.json` expects.
#[derive(Clone, Debug, Args)]
pub struct ExportSnarkjsArgs {
    /// The proof bundle.
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The verifying key: vk.bin, or the key directory holding it.
    #[arg(long, value_name = "VK")]
    vk: PathBuf,
    /// Output directory (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs `zkbackup export-snarkjs`.
pub fn run(args: ExportSnarkjsArgs) -> anyhow::Result<()> {
    let bundle = read_bundle(&args.bundle).input_error()?;
    let vk = read_vk(&args.vk)?;
    let files =
        zkbackup_verifier::snarkjs::export_bundle(&bundle, &vk, &args.out).with_context(|| {
            format!(
                "exporting {} to {}",
                args.bundle.display(),
                args.out.display()
            )
        })?;
    eprintln!("{} files written to {}", files.len(), args.out.display());
    Ok(())
}
