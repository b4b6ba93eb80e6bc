//! The worker: claim a job, decrypt its chunk with the escrow key, prove, store the proof in
//! the transaction that completes the job, loop.
//!
//! A worker holds no state of its own: everything it needs comes with the job (the chunk's
//! ciphertext, nonce, length and the public values its proof must have) or is configuration
//! (the proving keys, the escrow key, the connection string). Kill it at any moment and
//! nothing is lost: its lease runs out and another worker takes the job.

use crate::error::QueueError;
use crate::store::{Job, Queue};
use rand::rngs::OsRng;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zkbackup_core::chunk::ChunkWitness;
use zkbackup_core::cipher;
use zkbackup_core::EscrowKey;
use zkbackup_prover::ChunkProver;
use zkbackup_verifier::Proof;

/// How a worker runs.
pub struct WorkerConfig<'a> {
    /// The connection string.
    pub url: &'a str,
    /// This worker's name in the database (`leased_by`, `zkb_proofs.worker`): unique per
    /// process (see [`worker_name`]).
    pub name: String,
    /// The escrow key the chunks are decrypted with.
    pub key: &'a EscrowKey,
    /// The prover of the proving keys' shape.
    pub prover: &'a ChunkProver,
    /// The proving keys' circuit id.
    pub circuit_id: &'a str,
    /// How long a claim holds a job without a heartbeat; heartbeats come every third of it.
    pub lease: Duration,
    /// How long to wait before looking again when there is no job.
    pub poll: Duration,
    /// Jobs proven at once (each on its own connection).
    pub jobs: usize,
    /// Stop when no run for these keys has a job queued or leased (e.g. a Kubernetes Job);
    /// else wait for work until stopped.
    pub until_idle: bool,
    /// Set (by SIGTERM) to stop: jobs in progress are finished and stored first.
    pub stop: &'a AtomicBool,
}

/// What happened to one job, for the caller's log.
#[derive(Debug)]
pub enum JobOutcome {
    /// Proven and stored.
    Proven {
        /// Time from claim to commit.
        elapsed: Duration,
    },
    /// Refused (bad input): the job was queued again, or failed for good (`last`).
    Failed {
        /// Why.
        error: String,
        /// Whether that was its last attempt.
        last: bool,
    },
    /// The lease was lost before the job could be completed.
    Fenced,
}

/// What a worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Jobs proven and stored.
    pub proven: usize,
    /// Jobs refused (bad input).
    pub failed: usize,
    /// Jobs whose lease was lost before completing.
    pub fenced: usize,
}

/// A name unique to this process: host, process id and 4 random bytes.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    format!(
        "{host}/{}/{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 4]>())
    )
}

/// Proves one claimed job: decrypts its ciphertext, builds the witness and proves it,
/// refusing the job unless the decrypted records have the job's public values.
pub fn prove_job(
    key: &EscrowKey,
    prover: &ChunkProver,
    job: &Job,
) -> Result<Proof<ark_bn254::Bn254>, String> {
    let c = &job.chunk;
    if job.shape != prover.shape() {
        return Err(format!(
            "the run has arity {} and chunk size {}, this worker's keys arity {} and chunk size {}",
            job.shape.arity,
            job.shape.chunk_size,
            prover.shape().arity,
            prover.shape().chunk_size
        ));
    }
    let records = cipher::decrypt(&c.ciphertext, key, c.nonce, c.length as usize)
        .map_err(|e| format!("the ciphertext does not decrypt under the escrow key: {e}"))?;
    let witness = ChunkWitness::new(job.shape, records, key.clone(), c.nonce)
        .map_err(|e| format!("the decrypted records do not fit the shape: {e}"))?;
    let (_, proof) = prover
        .prove_checked(witness, &mut OsRng, |public| {
            if *public == c.public {
                Ok(())
            } else {
                Err("the decrypted records do not have the job's public values".into())
            }
        })
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        })?;
    Ok(proof.into())
}

/// Runs the worker until stopped (or idle, with `until_idle`): `jobs` threads each claim,
/// prove and complete jobs on their own connection, and one more keeps their leases alive.
/// `on_job(run, chunk, outcome)` is called after each job.
pub fn run_worker(
    config: &WorkerConfig<'_>,
    on_job: &(dyn Fn(i64, usize, &JobOutcome) + Sync),
) -> Result<WorkerReport, QueueError> {
    use ark_serialize::CanonicalSerialize;
    let key_commitment = zkbackup_core::field::to_hex(&config.key.commitment());
    let report = Mutex::new(WorkerReport::default());
    let active = AtomicUsize::new(config.jobs.max(1));
    // Connect (and migrate) once before the threads, so a bad URL fails at once.
    let mut heart = Queue::connect(config.url)?;
    // Set when a job thread fails (e.g. the database went away): the others stop too.
    let halt = AtomicBool::new(false);
    let stopped = || config.stop.load(Ordering::SeqCst) || halt.load(Ordering::SeqCst);
    let job_loop = || -> Result<(), QueueError> {
        let mut queue = Queue::connect(config.url)?;
        while !stopped() {
            let claimed = queue.claim(
                &config.name,
                config.circuit_id,
                &key_commitment,
                config.lease,
            )?;
            let Some(job) = claimed else {
                if config.until_idle && !queue.has_work(config.circuit_id, &key_commitment)? {
                    return Ok(());
                }
                sleep_unless(config.stop, config.poll);
                continue;
            };
            let start = Instant::now();
            let outcome = match prove_job(config.key, config.prover, &job) {
                Ok(proof) => {
                    let mut bytes = Vec::new();
                    proof
                        .serialize_compressed(&mut bytes)
                        .expect("writing to a Vec");
                    match queue.complete(&config.name, &job, &bytes) {
                        Ok(()) => JobOutcome::Proven {
                            elapsed: start.elapsed(),
                        },
                        Err(QueueError::Fenced { .. }) => JobOutcome::Fenced,
                        Err(e) => return Err(e),
                    }
                }
                Err(error) => match queue.fail(&config.name, &job, &error) {
                    Ok(last) => JobOutcome::Failed { error, last },
                    Err(QueueError::Fenced { .. }) => JobOutcome::Fenced,
                    Err(e) => return Err(e),
                },
            };
            {
                let mut r = report.lock().expect("not poisoned");
                match outcome {
                    JobOutcome::Proven { .. } => r.proven += 1,
                    JobOutcome::Failed { .. } => r.failed += 1,
                    JobOutcome::Fenced => r.fenced += 1,
                }
            }
            on_job(job.run, job.chunk.chunk, &outcome);
        }
        Ok(())
    };
    let result = std::thread::scope(|scope| -> Result<(), QueueError> {
        let threads: Vec<_> = (0..config.jobs.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), QueueError> {
                    let _done = Finished(&active);
                    let result = job_loop();
                    if result.is_err() {
                        halt.store(true, Ordering::SeqCst);
                    }
                    result
                })
            })
            .collect();
        // Heartbeats on their own connection while any job thread runs.
        let beat = config.lease / 3;
        let mut last = Instant::now();
        while active.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(50).min(beat));
            if last.elapsed() >= beat {
                // A missed heartbeat is not fatal: the fence keeps a lost lease harmless.
                if let Err(e) = heart.heartbeat(&config.name, config.lease) {
                    tracing::warn!("worker {}: {e}", config.name);
                }
                last = Instant::now();
            }
        }
        for t in threads {
            t.join().expect("a worker thread panicked")?;
        }
        Ok(())
    });
    result?;
    Ok(report.into_inner().expect("not poisoned"))
}

/// Counts a job thread out when it ends, however it ends.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sleeps `total`, waking early when `stop` is set.
pub(crate) fn sleep_unless(stop: &AtomicBool, total: Duration) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= until {
            return;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}
