//! `zkbackup prove`: prove every chunk of a backup, in parallel, resumably.

use crate::args::RecordsInput;
use crate::error::{bad_input, InputResultExt};
use crate::progress;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use zkbackup_circuits::backup::Backup;
use zkbackup_circuits::cipher::Key;
use zkbackup_prover::{checkpoint_dir, Keys, ProveJob, RunError};

/// Prove that a backup file encrypts the records under the escrowed key: one Groth16 proof
/// per chunk, written as a JSON bundle (docs/BUNDLE.md).
///
/// Finished chunks are checkpointed in BUNDLE.chunks/; a run that is killed and started
/// again with the same arguments proves only the chunks that are left.
#[derive(Clone, Debug, Args)]
pub struct ProveArgs {
    /// The backup file (from `zkbackup backup`).
    #[arg(long, value_name = "BACKUP")]
    backup: PathBuf,
    #[command(flatten)]
    records: RecordsInput,
    /// The key file the backup was encrypted under.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The key directory written by `zkbackup setup` for the backup's arity and chunk size.
    #[arg(long, value_name = "DIR")]
    keys: PathBuf,
    /// The bundle to write; must not exist.
    #[arg(long, value_name = "BUNDLE")]
    out: PathBuf,
    /// Chunks proven at once (memory grows with it); default: the number of CPUs.
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
}

/// Runs `zkbackup prove`.
pub fn run(args: ProveArgs) -> anyhow::Result<()> {
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    let backup = Backup::read(&args.backup).input_error()?;
    let records = args.records.read()?;
    let key = Key::read(&args.key).input_error()?;
    let keys = Keys::read(&args.keys).input_error()?;
    let h = backup.header();
    if (keys.meta.arity, keys.meta.chunk_size) != (h.arity, h.chunk_size) {
        return Err(bad_input(format!(
            "{}: keys for arity {} and chunk size {}, but {} has arity {} and chunk size {}",
            args.keys.display(),
            keys.meta.arity,
            keys.meta.chunk_size,
            args.backup.display(),
            h.arity,
            h.chunk_size
        )));
    }
    let prover = keys.prover().context("preparing the prover")?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(bad_input("--jobs must be at least 1"));
    }
    let total = backup.chunks().len();
    let bar = progress::bar(total as u64, "proving");
    let start = std::time::Instant::now();
    let job = ProveJob {
        backup: &backup,
        records: &records,
        key: &key,
        prover: &prover,
        out: &args.out,
        jobs,
        stop: None,
    };
    let result = job.run(&|done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    let (_, report) = match result {
        Ok(r) => r,
        Err(e @ RunError::Mismatch(_)) => return Err(e).input_error(),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "proving stopped; finished chunks are kept in {}",
                    checkpoint_dir(&args.out).display()
                )
            })
        }
    };
    let secs = start.elapsed().as_secs_f64();
    println!("bundle {}", args.out.display());
    eprintln!(
        "{} chunks ({} resumed from checkpoints, {} proven) for {} records in {:.1} s, {} jobs, {} constraints per chunk",
        report.chunks,
        report.resumed,
        report.proven,
        records.len(),
        secs,
        jobs,
        prover.num_constraints()
    );
    Ok(())
}
