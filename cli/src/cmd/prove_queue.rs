//! `zkbackup prove --queue URL`: the coordinator of a distributed run (docs/DISTRIBUTED.md).

use super::prove::{report_bundle, ProveArgs};
use crate::error::InputResultExt;
use crate::progress::ChunkProgress;
use anyhow::Context;
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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
    report_bundle(
        args,
        &bundle,
        &report.reuse_rejected,
        json!({
            "run": report.run,
            "attached": report.attached,
            "chunks": report.chunks,
            "proven": report.proven,
            "reused": report.reused,
            "refused": report.refused,
            "seconds": secs,
        }),
    )?;
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
