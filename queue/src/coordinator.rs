//! The coordinator: plan the run as a local `prove` would, put one job per chunk to prove in
//! the database (or attach to the run already there), wait while workers prove, verify
//! every proof they store, and write the bundle.
//!
//! The coordinator holds no state that the database does not: kill it and start it again
//! (or start a second one) and it attaches to the same run, re-reads and re-verifies the
//! proofs stored so far and waits for the rest.

use crate::error::QueueError;
use crate::store::{NewJob, Progress, Queue, RunSpec, StoredProof};
use crate::worker::sleep_unless;
use ark_serialize::CanonicalDeserialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use zkbackup_core::field::to_hex;
use zkbackup_prover::{verify_proofs, Plan, ProveJob};
use zkbackup_verifier::{write_bundle, Bundle, ChunkProof, Proof};

/// How a coordinator runs.
pub struct CoordinatorConfig<'a> {
    /// The connection string.
    pub url: &'a str,
    /// Claims of one job before it is marked failed (a new run's; an existing run keeps
    /// its own).
    pub max_attempts: u32,
    /// How often to look at the database.
    pub poll: Duration,
    /// Queue the run's failed jobs again (attempts reset) before waiting: after the cause
    /// was fixed.
    pub retry_failed: bool,
    /// Set (by Ctrl-C) to stop waiting: the run stays in the database for the next
    /// coordinator.
    pub stop: Option<&'a AtomicBool>,
}

/// What a distributed run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorReport {
    /// The run's id in the database.
    pub run: i64,
    /// Chunks in the backup.
    pub chunks: usize,
    /// Chunks proven by workers (verified here).
    pub proven: usize,
    /// Chunks whose proof came from the bundle offered for reuse.
    pub reused: usize,
    /// Chunks of that bundle whose public values matched but whose proof did not verify.
    pub reuse_rejected: Vec<usize>,
    /// Proofs from workers that did not verify and were refused (their jobs queued again).
    pub refused: usize,
    /// Whether the run existed before (this coordinator attached to it).
    pub attached: bool,
}

/// Progress across all workers, for the caller's display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunProgress {
    /// The run id.
    pub run: i64,
    /// Chunks to prove whose proof has been verified here.
    pub verified: usize,
    /// Chunks to prove.
    pub total: usize,
    /// The run's jobs by state in the database.
    pub jobs: Progress,
}

/// The run identity of a plan: a local run's checkpoint identity.
fn run_key(job: &ProveJob<'_>, plan: &Plan) -> String {
    format!(
        "{}:{}:{}:{}:{}",
        plan.circuit_id,
        to_hex(&job.backup.root()),
        to_hex(&job.backup.commitment()),
        to_hex(&job.backup.key_commitment()),
        job.backup.chunks().len()
    )
}

/// Runs `job` through the queue: plans it (exactly as [`ProveJob::run`] decides what to
/// prove, `--reuse` included), creates or attaches to its run, waits for the workers while
/// calling `progress`, verifies every stored proof against the public values computed here
/// from the backup (a proof that does not verify is refused: deleted, its job queued again
/// or failed), and writes the bundle to `job.out` exactly as a local run would.
pub fn coordinate(
    job: &ProveJob<'_>,
    config: &CoordinatorConfig<'_>,
    progress: &dyn Fn(RunProgress),
) -> Result<(Bundle, CoordinatorReport), QueueError> {
    if job.out.symlink_metadata().is_ok() {
        return Err(zkbackup_prover::RunError::Exists {
            path: job.out.to_path_buf(),
        }
        .into());
    }
    let plan = job.plan()?;
    let total = job.backup.chunks().len();
    let spec = RunSpec {
        run_key: run_key(job, &plan),
        circuit_id: plan.circuit_id.clone(),
        key_commitment: to_hex(&job.backup.key_commitment()),
        shape: plan.shape,
        chunks: total,
        max_attempts: config.max_attempts.max(1),
    };
    let jobs: Vec<NewJob> = plan
        .to_prove
        .iter()
        .map(|&j| {
            let chunk = &job.backup.chunks()[j];
            NewJob {
                chunk: j,
                nonce: chunk.nonce,
                length: chunk.length,
                ciphertext: chunk.ciphertext.clone(),
                public: plan.publics[j],
            }
        })
        .collect();
    let mut queue = Queue::connect(config.url)?;
    let before = queue
        .client()
        .query_opt(
            "SELECT id FROM zkb_runs WHERE run_key = $1",
            &[&spec.run_key],
        )
        .map_err(|source| QueueError::Db {
            what: "looking for the run",
            source,
        })?;
    let run = queue.create_or_attach(&spec, &jobs)?;
    drop(jobs);
    if config.retry_failed {
        queue.retry_failed(run)?;
    }
    let wanted: std::collections::HashSet<usize> = plan.to_prove.iter().copied().collect();
    let mut accepted: BTreeMap<usize, ChunkProof> = BTreeMap::new();
    let mut refused = 0;
    let mut seen = 0i64;
    loop {
        queue.reap(run)?;
        let stored = queue.proofs_after(run, seen)?;
        if let Some(last) = stored.last() {
            seen = last.seq;
        }
        refused += accept(&mut queue, run, &plan, &wanted, stored, &mut accepted)?;
        let jobs = queue.progress(run)?;
        progress(RunProgress {
            run,
            verified: accepted.len(),
            total: wanted.len(),
            jobs,
        });
        if accepted.len() == wanted.len() {
            break;
        }
        let failed: Vec<_> = queue
            .failed(run)?
            .into_iter()
            .filter(|f| wanted.contains(&f.chunk) && !accepted.contains_key(&f.chunk))
            .collect();
        if !failed.is_empty() {
            return Err(QueueError::JobsFailed { run, failed });
        }
        if let Some(stop) = config.stop {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(QueueError::Interrupted {
                    run,
                    done: accepted.len(),
                    total: wanted.len(),
                });
            }
            sleep_unless(stop, config.poll);
        } else {
            std::thread::sleep(config.poll);
        }
    }
    let proven = accepted.len();
    let mut all: BTreeMap<usize, ChunkProof> =
        plan.reused.iter().map(|e| (e.index, e.clone())).collect();
    all.extend(accepted);
    debug_assert_eq!(all.len(), total);
    let bundle = plan.bundle(all.into_values().collect());
    write_bundle(job.out, &bundle)?;
    queue.finish(run)?;
    Ok((
        bundle,
        CoordinatorReport {
            run,
            chunks: total,
            proven,
            reused: plan.reused.len(),
            reuse_rejected: plan.reuse_rejected.clone(),
            refused,
            attached: before.is_some(),
        },
    ))
}

/// Checks `stored` proofs against the plan's public values (one batch; each on its own if
/// the batch fails) and takes the good ones; refuses the others in the database. Returns how
/// many it refused.
fn accept(
    queue: &mut Queue,
    run: i64,
    plan: &Plan,
    wanted: &std::collections::HashSet<usize>,
    stored: Vec<StoredProof>,
    accepted: &mut BTreeMap<usize, ChunkProof>,
) -> Result<usize, QueueError> {
    let mut refused = 0;
    let mut candidates = Vec::new();
    let mut by_chunk: BTreeMap<usize, StoredProof> = BTreeMap::new();
    for s in stored {
        if !wanted.contains(&s.chunk) || accepted.contains_key(&s.chunk) {
            continue;
        }
        // The bytes must be a proof: points on the curve and in the subgroup.
        match Proof::<ark_bn254::Bn254>::deserialize_compressed(s.proof.as_slice()) {
            Ok(proof) => {
                candidates.push(ChunkProof {
                    index: s.chunk,
                    public_inputs: plan.publics[s.chunk],
                    proof,
                });
                by_chunk.insert(s.chunk, s);
            }
            Err(e) => {
                let why = format!("the proof from worker {} is not a proof: {e}", s.worker);
                refused += usize::from(queue.reject(run, &s, &why)?);
            }
        }
    }
    let (good, bad) = verify_proofs(&plan.pvk, candidates);
    for j in bad {
        let s = &by_chunk[&j];
        let why = format!(
            "the proof from worker {} does not verify against the chunk's public values",
            s.worker
        );
        tracing::warn!("run {run}, chunk {j}: {why}");
        refused += usize::from(queue.reject(run, s, &why)?);
    }
    for entry in good {
        accepted.insert(entry.index, entry);
    }
    Ok(refused)
}
