//! `zkbackup escrow setup`: a single-party Groth16 setup of the escrow circuit of one shape.

use crate::cmd::setup::SINGLE_PARTY_WARNING;
use crate::error::{bad_input, InputResultExt};
use crate::progress;
use anyhow::Context;
use clap::Args;
use rand::rngs::OsRng;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::escrow::EscrowShape;
use zkbackup_prover::escrow::EscrowKeys;

/// Generate the proving and verifying keys of the escrow circuit for `k` of `n` trustees,
/// with randomness from the operating system.
///
/// Writes them under DIR/escrow-<k>-of-<n>/ (what `escrow deal` and `escrow verify
/// --keys-dir` read); DIR may already hold other shapes' keys or the chunk keys.
#[derive(Clone, Debug, Args)]
pub struct SetupArgs {
    /// k: shares needed to recover the key.
    #[arg(long, value_name = "K")]
    threshold: usize,
    /// n: trustees.
    #[arg(long, value_name = "N")]
    trustees: usize,
    /// The proving keys directory (created if missing).
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// Print one JSON object on stdout instead of the `circuit …` line.
    #[arg(long)]
    json: bool,
}

/// Runs `zkbackup escrow setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    let shape = EscrowShape::new(args.threshold, args.trustees)
        .input_error()
        .context("--threshold/--trustees")?;
    crate::args::expect_dir(
        "--keys-dir",
        &args.keys_dir,
        "a directory for the proving keys",
    )?;
    let dir = EscrowKeys::dir(&args.keys_dir, shape);
    if dir.exists() {
        return Err(bad_input(format!(
            "{}: already holds the {}-of-{} escrow keys; refusing to overwrite them",
            dir.display(),
            shape.threshold,
            shape.trustees
        )));
    }
    std::fs::create_dir_all(&args.keys_dir)
        .with_context(|| format!("cannot create {}", args.keys_dir.display()))?;
    eprintln!("{SINGLE_PARTY_WARNING}");
    let spinner = progress::spinner("escrow setup");
    let start = std::time::Instant::now();
    let mut keys = EscrowKeys::generate(shape, &mut OsRng).context("running the setup")?;
    keys.write(&args.keys_dir).context("writing the keys")?;
    spinner.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let circuit_id = keys.circuit_id();
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "keys_dir": args.keys_dir,
            "dir": dir,
            "circuit_id": circuit_id,
            "threshold": shape.threshold,
            "trustees": shape.trustees,
            "public_inputs": 2 + 2 * shape.trustees,
            "constraints": keys.meta.constraints,
            "seconds": secs,
        });
        crate::error::stdout(writeln!(out, "{value}"))?;
    } else {
        crate::error::stdout(writeln!(out, "circuit {circuit_id}"))?;
    }
    eprintln!(
        "{}-of-{} escrow circuit: {} constraints; keys in {} ({secs:.1} s)",
        shape.threshold,
        shape.trustees,
        keys.meta.constraints,
        dir.display()
    );
    Ok(())
}
