//! `zkbackup setup`: a single-party Groth16 setup for one chunk shape.

use crate::args::MemoryCheck;
use crate::error::{bad_input, InputResultExt};
use crate::progress;
use anyhow::Context;
use clap::Args;
use rand::rngs::OsRng;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_prover::ProvingKeys;

/// Generate the proving and verifying keys of the chunk circuit for one arity and chunk
/// size, with randomness from the operating system.
///
/// Writes DIR/keys.json, DIR/proving_key.bin, DIR/vk.bin (what `verify` reads) and
/// DIR/verification_key.json (snarkjs format). First estimates the memory and time the
/// shape needs, and refuses one that does not fit this machine's available memory.
#[derive(Clone, Debug, Args)]
pub struct SetupArgs {
    /// Field elements per record (1 to 16).
    #[arg(long)]
    arity: usize,
    /// Records per chunk, a power of two (must match the backup's).
    #[arg(long, value_name = "N", default_value_t = crate::cmd::backup::DEFAULT_CHUNK_SIZE)]
    chunk_size: usize,
    /// The proving keys directory to write (created; refused if it already holds keys): what
    /// `prove --keys-dir` and `verify --vk` read.
    #[arg(long, value_name = "DIR", visible_alias = "keys-dir")]
    out: PathBuf,
    #[command(flatten)]
    memory: MemoryCheck,
    /// Print one JSON object on stdout instead of the `circuit …` line.
    #[arg(long)]
    json: bool,
}

/// The warning every single-party setup prints.
pub const SINGLE_PARTY_WARNING: &str = "WARNING: this is a single-party setup. Whoever ran it could forge proofs for these keys. \
The auditor who relies on the proofs, not the custodian who makes them, must run it, or use keys from a multi-party ceremony (`zkbackup ceremony`, docs/CEREMONY.md).";

/// Runs `zkbackup setup`.
pub fn run(args: SetupArgs) -> anyhow::Result<()> {
    let shape = ChunkShape::new(args.arity, args.chunk_size).input_error()?;
    crate::args::expect_dir(
        "--out",
        &args.out,
        "a directory for the proving and verifying keys",
    )?;
    if args.out.join(zkbackup_prover::keys::META_FILE).exists() {
        return Err(bad_input(format!(
            "{}: already holds keys; refusing to overwrite them",
            args.out.display()
        )));
    }
    let estimate = args.memory.check(shape)?;
    eprintln!("{SINGLE_PARTY_WARNING}");
    let spinner = progress::spinner("setup");
    let start = std::time::Instant::now();
    let mut keys = ProvingKeys::generate(shape, &mut OsRng).context("running the setup")?;
    keys.write(&args.out).context("writing the keys")?;
    zkbackup_verifier::snarkjs::write_verification_key(&args.out, &keys.vk().into())
        .context("writing verification_key.json")?;
    spinner.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    let per_record = keys.meta.constraints as f64 / shape.chunk_size as f64;
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "keys_dir": args.out,
            "circuit_id": keys.meta.circuit_id,
            "arity": shape.arity,
            "chunk_size": shape.chunk_size,
            "constraints": keys.meta.constraints,
            "constraints_per_record": per_record,
            "seconds": secs,
            "estimate": {
                "setup_bytes": estimate.setup_bytes,
                "prove_bytes_one_job": estimate.prove_bytes(1),
                "prove_bytes_per_extra_job": estimate.prove_job_bytes,
                "prove_seconds_per_chunk": estimate.prove_secs,
            },
        });
        writeln!(out, "{value}").context("writing to stdout")?;
    } else {
        writeln!(out, "circuit {}", keys.meta.circuit_id).context("writing to stdout")?;
    }
    eprintln!(
        "arity {}, chunk size {}: {} constraints ({:.0} per record); keys in {} ({:.1} s)",
        shape.arity,
        shape.chunk_size,
        keys.meta.constraints,
        per_record,
        args.out.display(),
        secs
    );
    Ok(())
}
