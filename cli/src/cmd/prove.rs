//! `zkbackup prove`: prove every chunk of a backup, in parallel, resumably.

use crate::args::{expect_dir, expect_file, EngineArg};
use crate::error::{bad_input, InputResultExt};
use crate::keyfile::read_escrow_key;
use crate::progress::ChunkProgress;
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use zkbackup_core::field;
use zkbackup_formats::backup::Backup;
use zkbackup_prover::run::OutputLock;
use zkbackup_prover::{checkpoint_dir, ProveJob, ProvingKeys, RunError};
use zkbackup_verifier::read_bundle;

/// Prove that a backup file encrypts the records of its state root under the escrowed key:
/// one Groth16 proof per chunk, written as a JSON bundle (docs/BUNDLE.md).
///
/// The records are not needed: the backup is decrypted with the key, and proving is refused
/// unless the decrypted records re-root to the backup's state root R.
///
/// Finished chunks are checkpointed in BUNDLE.chunks/; a run that is stopped (Ctrl-C,
/// SIGTERM: it finishes the chunks in progress) or killed and started again with the same
/// arguments proves only the chunks that are left. A run holds an OS lock on BUNDLE.lock:
/// a second run on the same output is refused.
///
/// With --reuse OLD (the bundle of an earlier backup, e.g. the parent of an incremental
/// one), a chunk whose public values are those of OLD's chunk at the same index takes OLD's
/// proof instead of a new one, once verified against this backup; only the other chunks are
/// proven.
///
/// With --queue postgres://… the chunks are proven by `zkbackup worker` processes on any
/// number of machines (docs/DISTRIBUTED.md): this process creates the run in the database
/// (one job per chunk to prove), shows progress across all workers, verifies every proof
/// they store and writes the same bundle. Running it again attaches to the same run.
#[derive(Clone, Debug, Args)]
pub struct ProveArgs {
    /// The backup file (from `zkbackup backup`).
    #[arg(long, value_name = "BACKUP")]
    pub(crate) backup: PathBuf,
    /// The escrow key file the backup was encrypted under (from `zkbackup keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The proving keys directory written by `zkbackup setup` for the backup's arity and
    /// chunk size.
    #[arg(long, value_name = "DIR")]
    keys_dir: PathBuf,
    /// The bundle to write; must not exist.
    #[arg(long, value_name = "BUNDLE")]
    pub(crate) out: PathBuf,
    /// The bundle of an earlier backup under the same escrow key and proving keys: its
    /// proofs of chunks whose public values are unchanged are verified and reused.
    #[arg(long, value_name = "OLD_BUNDLE")]
    pub(crate) reuse: Option<PathBuf>,
    /// Chunks proven at once (memory grows with it); default: the number of CPUs.
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
    /// The MSM engine: `auto` (fixed-base tables of the proving key when enough chunks are
    /// to be proven to pay for building them), `fixed` or `arkworks`.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
    #[command(flatten)]
    tables: crate::args::TablesCacheArg,
    /// Print one JSON object on stdout instead of the `bundle …` line.
    #[arg(long)]
    pub(crate) json: bool,
    /// Prove through workers: the PostgreSQL connection string of the queue
    /// (`postgres://user@host/db`, or `host=… user=… dbname=…`).
    #[arg(long, value_name = "URL")]
    pub(crate) queue: Option<String>,
    /// With --queue: claims of one chunk's job before it is marked failed and the run
    /// reports it (a new run's setting).
    #[arg(long, value_name = "N", default_value_t = 3, requires = "queue")]
    pub(crate) max_attempts: u32,
    /// With --queue: how often to look at the database, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, requires = "queue")]
    pub(crate) poll_ms: u64,
    /// With --queue: queue the run's failed jobs again (their attempts reset), after the
    /// cause was fixed.
    #[arg(long, requires = "queue")]
    pub(crate) retry_failed: bool,
}

/// Stops at SIGINT or SIGTERM: the first sets the flag (the run finishes the chunks in
/// progress, keeps them and returns), a second one exits at once (status 130).
pub(crate) fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as it was before this signal set it.
        flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .context("installing the Ctrl-C handler")?;
        flag::register(signal, Arc::clone(&stop)).context("installing the Ctrl-C handler")?;
    }
    Ok(stop)
}

/// Runs `zkbackup prove`.
pub fn run(args: ProveArgs) -> anyhow::Result<()> {
    if args.out.symlink_metadata().is_ok() {
        return Err(bad_input(format!(
            "{}: already exists; refusing to overwrite it",
            args.out.display()
        )));
    }
    expect_file(
        "--backup",
        &args.backup,
        "the backup file written by `zkbackup backup`",
    )?;
    expect_dir(
        "--keys-dir",
        &args.keys_dir,
        "the proving keys directory written by `zkbackup setup` (the escrow key file goes \
         to --key)",
    )?;
    if let Some(old) = &args.reuse {
        expect_file(
            "--reuse",
            old,
            "the bundle of an earlier backup (from `zkbackup prove`)",
        )?;
    }
    if args.jobs == Some(0) {
        return Err(bad_input("--jobs must be at least 1"));
    }
    // Before the slow reads: a second run on this output is refused at once.
    let lock = match OutputLock::acquire(&args.out) {
        Ok(lock) => lock,
        Err(e @ RunError::Locked { .. }) => {
            return Err(e)
                .input_error()
                .with_context(|| format!("{}", args.out.display()))
        }
        Err(e) => return Err(e).context("locking the output"),
    };
    let backup = Backup::read(&args.backup).input_error()?;
    let key = read_escrow_key(&args.key)?;
    let keys = ProvingKeys::read(&args.keys_dir).input_error()?;
    let old = args
        .reuse
        .as_deref()
        .map(read_bundle)
        .transpose()
        .input_error()
        .context("--reuse")?;
    let h = backup.header();
    if (keys.meta.arity, keys.meta.chunk_size) != (h.arity, h.chunk_size) {
        return Err(bad_input(format!(
            "{}: keys for arity {} and chunk size {}, but {} has arity {} and chunk size {}",
            args.keys_dir.display(),
            keys.meta.arity,
            keys.meta.chunk_size,
            args.backup.display(),
            h.arity,
            h.chunk_size
        )));
    }
    // The records come from the backup itself: decrypted, and re-rooted to its R.
    let records = {
        let spinner = crate::progress::spinner("decrypting");
        let records = backup.restore_named(&key, &args.backup);
        spinner.finish_and_clear();
        records.input_error().context("decrypting the backup")?
    };
    let tables_cache = args.tables.cache(&keys.meta.proving_key_sha256);
    let mut prover = keys.prover().context("preparing the prover")?;
    prover.set_policy(args.engine.into());
    prover.set_tables_cache(tables_cache);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = backup.chunks().len();
    let stop = stop_on_signals()?;
    let start = std::time::Instant::now();
    // Local runs show a bar; a coordinator (`--queue`) proves nothing itself.
    let progress = args
        .queue
        .is_none()
        .then(|| ChunkProgress::new("proving", total, Some(Arc::clone(&stop))));
    if let Some(progress) = &progress {
        prover.on_tables_build(crate::progress::tables_notes(progress.notes()));
    }
    let job = ProveJob {
        backup: &backup,
        records: &records,
        key: &key,
        prover: &prover,
        out: &args.out,
        jobs,
        stop: Some(&stop),
        reuse: old.as_ref(),
    };
    if let Some(url) = &args.queue {
        return super::prove_queue::coordinate(&args, url, &job, &stop, &lock, start);
    }
    let progress = progress.expect("made for local runs");
    let result = job.run_locked(&lock, &|done, total| progress.update(done, total));
    progress.finish();
    drop(lock);
    let checkpoints = checkpoint_dir(&args.out);
    let (bundle, report) = match result {
        Ok(r) => r,
        Err(RunError::Interrupted { done, total }) => {
            anyhow::bail!(
                "interrupted: {done} of {total} chunks are proven and kept in {}; run the same \
                 command again to prove the other {}",
                checkpoints.display(),
                total - done
            )
        }
        Err(e @ (RunError::Mismatch(_) | RunError::Witness { .. })) => return Err(e).input_error(),
        Err(e @ RunError::Reuse(_)) => {
            let old = args.reuse.as_deref().unwrap_or(std::path::Path::new(""));
            return Err(e)
                .input_error()
                .with_context(|| format!("--reuse {}", old.display()));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "proving stopped; finished chunks are kept in {}",
                    checkpoints.display()
                )
            })
        }
    };
    let secs = start.elapsed().as_secs_f64();
    report_bundle(
        &args,
        &bundle,
        &report.reuse_rejected,
        json!({
            "chunks": report.chunks,
            "resumed": report.resumed,
            "proven": report.proven,
            "reused": report.reused,
            "jobs": jobs,
            "engine": prover.prepared_key().backend(),
            "constraints_per_chunk": prover.num_constraints(),
            "seconds": secs,
        }),
    )?;
    let done = if args.reuse.is_some() {
        format!(
            "proved {} chunks, reused {} (verified), of {} ({} resumed from checkpoints)",
            report.proven, report.reused, report.chunks, report.resumed
        )
    } else {
        format!(
            "{} chunks ({} resumed from checkpoints, {} proven)",
            report.chunks, report.resumed, report.proven
        )
    };
    eprintln!(
        "{done} for {} records in {:.1} s, {} jobs, {} constraints per chunk",
        records.len(),
        secs,
        jobs,
        prover.num_constraints()
    );
    Ok(())
}

/// What a finished prove, local or queued, prints: the `--reuse` warning on stderr, then on
/// stdout the `bundle …` line or, with `--json`, the bundle's fields with `--reuse`'s and
/// the run's own (`extra`, an object).
pub(crate) fn report_bundle(
    args: &ProveArgs,
    bundle: &zkbackup_verifier::Bundle,
    reuse_rejected: &[usize],
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    if let (Some(old), false) = (&args.reuse, reuse_rejected.is_empty()) {
        eprintln!(
            "warning: --reuse {}: the old proofs of chunk(s) {} do not verify against their \
             public values; those chunks were proven again",
            old.display(),
            list(reuse_rejected)
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut value = json!({
            "bundle": args.out,
            "circuit_id": bundle.circuit_id,
            "root": field::to_hex(&bundle.root),
            "commitment": field::to_hex(&bundle.commitment),
            "key_commitment": field::to_hex(&bundle.key_commitment),
            "records": bundle.records,
            "arity": bundle.arity,
            "chunk_size": bundle.chunk_size,
            "reuse": args.reuse,
            "reuse_rejected": reuse_rejected,
        });
        if let (Some(value), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
            value.extend(extra);
        }
        writeln!(out, "{value}").context("writing to stdout")?;
    } else {
        writeln!(out, "bundle {}", args.out.display()).context("writing to stdout")?;
    }
    Ok(())
}

/// `0, 3, 7`.
pub(crate) fn list(indices: &[usize]) -> String {
    indices
        .iter()
        .map(|j| j.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
