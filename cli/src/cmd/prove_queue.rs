//! `zkbackup prove --queue URL`: the coordinator of a distributed run (docs/DISTRIBUTED.md).

use super::prove::{list, ProveArgs};
use crate::error::InputResultExt;
use crate::progress::ChunkProgress;
use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkbackup_core::field;
use zkbackup_prover::run::OutputLock;
use zkbackup_prover::{ProveJob, RunError};
use zkbackup_queue::{CoordinatorConfig, QueueError, RunProgress};

/// Runs `job` through the queue at `url` and reports as `prove` does.
pub(crate) fn coordinate(
    args: &ProveArgs,
    url: &str,
    job: &ProveJob<'_>,
    stop: &Arc<AtomicBool>,
    lock: &OutputLock,
    start: Instant,
) -> anyhow::Result<()> {
    let config = CoordinatorConfig {
        url,
        max_attempts: args.max_attempts,
        poll: Duration::from_millis(args.poll_ms.max(10)),
        retry_failed: args.retry_failed,
        stop: Some(stop),
    };
    // The bar is made at the first report, once the run's size is known.
    let progress: Mutex<Option<(ChunkProgress, RunProgress)>> = Mutex::new(None);
    let result = zkbackup_queue::coordinate(job, &config, &|p: RunProgress| {
        let mut slot = progress.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_mut() {
            None => {
                eprintln!(
                    "run {}: {} chunks to prove ({} queued, {} leased, {} done, {} failed)",
                    p.run, p.total, p.jobs.queued, p.jobs.leased, p.jobs.done, p.jobs.failed
                );
                let bar = ChunkProgress::new("proving", p.total, Some(Arc::clone(stop)));
                bar.update(p.verified, p.total);
                *slot = Some((bar, p));
            }
            Some((bar, last)) => {
                if p.verified != last.verified {
                    bar.update(p.verified, p.total);
                }
                *last = p;
            }
        }
    });
    if let Some((bar, _)) = progress.into_inner().unwrap_or_else(|e| e.into_inner()) {
        bar.finish();
    }
    // The output's OS lock is held until the bundle is written (by our caller's `lock`).
    let _held = lock;
    let (bundle, report) = match result {
        Ok(r) => r,
        Err(e @ QueueError::Run(RunError::Mismatch(_) | RunError::Witness { .. })) => {
            return Err(e).input_error()
        }
        Err(e @ QueueError::Run(RunError::Reuse(_))) => {
            let old = args.reuse.as_deref().unwrap_or(std::path::Path::new(""));
            return Err(e)
                .input_error()
                .with_context(|| format!("--reuse {}", old.display()));
        }
        Err(e @ (QueueError::Url(_) | QueueError::JobsFailed { .. })) => {
            return Err(e).input_error().context("distributed proving")
        }
        Err(e) => return Err(e).context("distributed proving"),
    };
    let secs = start.elapsed().as_secs_f64();
    if let (Some(old), false) = (&args.reuse, report.reuse_rejected.is_empty()) {
        eprintln!(
            "warning: --reuse {}: the old proofs of chunk(s) {} do not verify against their \
             public values; those chunks were proven again",
            old.display(),
            list(&report.reuse_rejected)
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "bundle": args.out,
            "run": report.run,
            "attached": report.attached,
            "circuit_id": bundle.circuit_id,
            "root": field::to_hex(&bundle.root),
            "commitment": field::to_hex(&bundle.commitment),
            "key_commitment": field::to_hex(&bundle.key_commitment),
            "records": bundle.records,
            "arity": bundle.arity,
            "chunk_size": bundle.chunk_size,
            "chunks": report.chunks,
            "proven": report.proven,
            "reuse": args.reuse,
            "reused": report.reused,
            "reuse_rejected": report.reuse_rejected,
            "refused": report.refused,
            "seconds": secs,
        });
        writeln!(out, "{value}").context("writing to stdout")?;
    } else {
        writeln!(out, "bundle {}", args.out.display()).context("writing to stdout")?;
    }
    eprintln!(
        "run {}{}: {} chunks proven by workers (each verified here), {} reused, of {}, \
         {} refused proof(s), in {:.1} s",
        report.run,
        if report.attached { " (attached)" } else { "" },
        report.proven,
        report.reused,
        report.chunks,
        report.refused,
        secs
    );
    Ok(())
}
