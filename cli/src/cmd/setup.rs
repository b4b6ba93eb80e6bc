//! `zkbackup setup`: a single-party Groth16 setup for one chunk shape.

use crate::error::{bad_input, InputResultExt};
use crate::progress;
use anyhow::Context;
use clap::Args;
use rand::rngs::OsRng;
use std::path::PathBuf;
use zkbackup_circuits::chunk::ChunkShape;
use zkbackup_prover::Keys;

/// Generate the proving and verifying keys of the chunk circuit for one arity and chunk
/// size, with randomness from the operating system.
///
/// Writes DIR/keys.json, DIR/proving_key.bin, DIR/vk.bin (what `verify` reads) and
/// DIR/verification_key.json (snarkjs format).
#[derive(Clone, Debug, Args)]
pub struct SetupArgs {
    /// Field elements per record (1 to 16).
    #[arg(long)]
    arity: usize,
    /// Records per chunk, a power of two (must match the backup's).
    #[arg(long, value_name = "N", default_value_t = crate::cmd::backup::DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    /// Directory for the keys (created; refused if it already holds keys).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// The warning every single-party setup prints.
pub const SINGLE_PARTY_WARNING: &str = "WARNING: this is a single-party setup. Whoever ran it could forge proofs for these keys. \
The auditor who relies on the proofs, not the custodian who makes them, must run it (or a multi-party ceremony, on the roadmap).";

/// Runs `zkbackup setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    let shape = ChunkShape::new(args.arity, args.chunk_size).input_error()?;
    if args.out.join(zkbackup_prover::keys::META_FILE).exists() {
        return Err(bad_input(format!(
            "{}: already holds keys; refusing to overwrite them",
            args.out.display()
        )));
    }
    eprintln!("{SINGLE_PARTY_WARNING}");
    let spinner = progress::spinner("setup");
    let start = std::time::Instant::now();
    let mut keys = Keys::generate(shape, &mut OsRng).context("running the setup")?;
    keys.write(&args.out).context("writing the keys")?;
    zkbackup_verifier::snarkjs::write_verification_key(&args.out, keys.vk())
        .context("writing verification_key.json")?;
    spinner.finish_and_clear();
    println!("circuit {}", keys.meta.circuit_id);
    eprintln!(
        "arity {}, chunk size {}: {} constraints ({:.0} per record); keys in {} ({:.1} s)",
        shape.arity,
        shape.chunk_size,
        keys.meta.constraints,
        keys.meta.constraints as f64 / shape.chunk_size as f64,
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
