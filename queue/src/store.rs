//! The SQL: runs, jobs with leases, proofs. One [`Queue`] is one connection; every method is
//! one statement or one transaction, so any number of workers and coordinators on any number
//! of machines can share one database.
//!
//! # Leases and the fence
//! A claim ([`Queue::claim`]) takes the first claimable job — queued, or leased with an
//! expired lease — with `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait on each
//! other and never take the same row, and in the same statement marks it leased to the
//! worker until `now() + lease` and increments `attempts`. The attempt number it returns is
//! the worker's fence token: [`Queue::complete`] and [`Queue::fail`] change the job only
//! while it is still leased *with that attempt number to that worker*. A worker that stalled
//! past its lease (and whose job another worker has since claimed, raising `attempts`)
//! cannot complete or fail it: [`QueueError::Fenced`]. A live worker keeps its leases with
//! [`Queue::heartbeat`].

use crate::error::{DbResultExt, FailedJob, QueueError};
use ark_bn254::Fr;
use postgres::{Client, NoTls, Transaction};
use std::time::Duration;
use zkbackup_core::chunk::{ChunkPublic, ChunkShape, NUM_PUBLIC_INPUTS};
use zkbackup_formats::backup::{element_bytes, element_from_bytes, ELEMENT_LEN};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// What identifies a run and how its jobs are proven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// The identity: circuit id, state root, backup commitment, key commitment and chunk
    /// count (a local run's checkpoint identity). Two coordinators with the same inputs
    /// share one run.
    pub run_key: String,
    /// The proving keys' circuit id: only workers with these keys claim its jobs.
    pub circuit_id: String,
    /// The escrow key's commitment `K` (hex): only workers with that key claim its jobs.
    pub key_commitment: String,
    /// The chunk shape.
    pub shape: ChunkShape,
    /// Chunks in the backup.
    pub chunks: usize,
    /// Claims of one job before it is marked failed.
    pub max_attempts: u32,
}

/// A job to insert: one chunk's ciphertext, nonce and the public values its proof must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    /// The chunk index.
    pub chunk: usize,
    /// Its nonce.
    pub nonce: u128,
    /// Its plaintext length in field elements.
    pub length: u32,
    /// Its ciphertext (the backup file's).
    pub ciphertext: Vec<Fr>,
    /// The public values of its proof.
    pub public: ChunkPublic,
}

/// A claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The run id.
    pub run: i64,
    /// The attempt number: the fence token for [`Queue::complete`] and [`Queue::fail`].
    pub attempt: u32,
    /// The run's chunk shape.
    pub shape: ChunkShape,
    /// The chunk.
    pub chunk: NewJob,
}

/// Jobs of a run by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Waiting for a worker (including retries).
    pub queued: usize,
    /// Held by a worker (possibly with an expired lease).
    pub leased: usize,
    /// Proven.
    pub done: usize,
    /// Failed their last attempt.
    pub failed: usize,
}

/// A stored proof, not yet checked by the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProof {
    /// Its sequence number (increasing in insertion order).
    pub seq: i64,
    /// The chunk.
    pub chunk: usize,
    /// The proof's compressed arkworks bytes.
    pub proof: Vec<u8>,
    /// The worker that stored it.
    pub worker: String,
}

/// A connection to the queue's database.
pub struct Queue {
    client: Client,
}

/// Encodes field elements as 32-byte big-endian words, back to back (the backup file's).
fn elements_to_bytes(elements: &[Fr]) -> Vec<u8> {
    elements.iter().flat_map(element_bytes).collect()
}

/// Decodes [`elements_to_bytes`]; `None` if the length or an element is not canonical.
fn elements_from_bytes(bytes: &[u8]) -> Option<Vec<Fr>> {
    if !bytes.len().is_multiple_of(ELEMENT_LEN) {
        return None;
    }
    bytes
        .chunks_exact(ELEMENT_LEN)
        .map(|w| element_from_bytes(w.try_into().expect("32 bytes")))
        .collect()
}

const JOB_COLUMNS: &str =
    "j.run_id, j.chunk, j.attempts, r.arity, r.chunk_size, j.nonce, j.length, j.ciphertext, j.public_inputs";

impl Queue {
    /// Connects to `url` (`postgres://user@host:port/db`, or `host=/run/postgresql user=…`
    /// pairs; `sslmode` other than `disable` is refused by the client: use a local socket or
    /// a tunnel) and applies the schema migrations not yet applied.
    pub fn connect(url: &str) -> Result<Self, QueueError> {
        let config: postgres::Config = url.parse().map_err(QueueError::Url)?;
        let mut client = config.connect(NoTls).db("connecting")?;
        // Two processes migrating at once: the advisory lock makes the second wait, then
        // find nothing left to apply.
        client
            .execute("SELECT pg_advisory_lock(7265627)", &[])
            .db("locking for migrations")?;
        let migrated = embedded::migrations::runner()
            .run(&mut client)
            .map_err(QueueError::Migrate);
        client
            .execute("SELECT pg_advisory_unlock(7265627)", &[])
            .db("unlocking after migrations")?;
        migrated?;
        Ok(Self { client })
    }

    /// The underlying client (tests and tools inspect the tables with it).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Creates the run of `spec` with `jobs`, or attaches to it if a run with its identity
    /// exists: jobs not there yet are added, existing ones (and their proofs) are kept. One
    /// transaction: two coordinators starting at once make one run and one job per chunk.
    /// Returns the run id.
    pub fn create_or_attach(&mut self, spec: &RunSpec, jobs: &[NewJob]) -> Result<i64, QueueError> {
        let mut tx = self.client.transaction().db("starting a transaction")?;
        tx.execute(
            "INSERT INTO zkb_runs (run_key, circuit_id, key_commitment, arity, chunk_size, chunks, max_attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_key) DO NOTHING",
            &[
                &spec.run_key,
                &spec.circuit_id,
                &spec.key_commitment,
                &(spec.shape.arity as i32),
                &(spec.shape.chunk_size as i32),
                &(spec.chunks as i32),
                &(spec.max_attempts as i32),
            ],
        )
        .db("creating the run")?;
        let row = tx
            .query_one(
                "SELECT id, arity, chunk_size, chunks FROM zkb_runs WHERE run_key = $1",
                &[&spec.run_key],
            )
            .db("reading the run")?;
        let run: i64 = row.get(0);
        let found = (
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, i32>(3),
        );
        let expected = (
            spec.shape.arity as i32,
            spec.shape.chunk_size as i32,
            spec.chunks as i32,
        );
        if found != expected {
            return Err(QueueError::RunMismatch {
                run,
                problem: format!(
                    "the database has arity, chunk size and chunks {found:?}, this backup {expected:?}"
                ),
            });
        }
        // Inserted a thousand at a time through arrays: one round trip each.
        for batch in jobs.chunks(1000) {
            let chunks: Vec<i32> = batch.iter().map(|j| j.chunk as i32).collect();
            let nonces: Vec<String> = batch.iter().map(|j| j.nonce.to_string()).collect();
            let lengths: Vec<i32> = batch.iter().map(|j| j.length as i32).collect();
            let ciphertexts: Vec<Vec<u8>> = batch
                .iter()
                .map(|j| elements_to_bytes(&j.ciphertext))
                .collect();
            let publics: Vec<Vec<u8>> = batch
                .iter()
                .map(|j| elements_to_bytes(&j.public.to_inputs()))
                .collect();
            tx.execute(
                "INSERT INTO zkb_jobs (run_id, chunk, nonce, length, ciphertext, public_inputs)
                 SELECT $1, * FROM unnest($2::int4[], $3::text[], $4::int4[], $5::bytea[], $6::bytea[])
                 ON CONFLICT (run_id, chunk) DO NOTHING",
                &[&run, &chunks, &nonces, &lengths, &ciphertexts, &publics],
            )
            .db("adding the run's jobs")?;
        }
        tx.commit().db("committing the run")?;
        Ok(run)
    }

    /// Claims the next claimable job of any unfinished run for the proving keys of
    /// `circuit_id` and the escrow key of commitment `key_commitment`, leased to `worker` for
    /// `lease`; `None` if there is none. A worker with other keys never takes (and so never
    /// burns the attempts of) a job it cannot prove.
    pub fn claim(
        &mut self,
        worker: &str,
        circuit_id: &str,
        key_commitment: &str,
        lease: Duration,
    ) -> Result<Option<Job>, QueueError> {
        let sql = format!(
            "WITH next AS (
                 SELECT j.run_id, j.chunk FROM zkb_jobs j JOIN zkb_runs r ON r.id = j.run_id
                 WHERE r.circuit_id = $1 AND r.key_commitment = $2 AND r.finished_at IS NULL
                   AND j.attempts < r.max_attempts
                   AND (j.state = 'queued' OR (j.state = 'leased' AND j.lease_expires < now()))
                 ORDER BY j.run_id, j.chunk
                 LIMIT 1
                 FOR UPDATE OF j SKIP LOCKED
             )
             UPDATE zkb_jobs j SET state = 'leased', attempts = j.attempts + 1, leased_by = $3,
                 lease_expires = now() + make_interval(secs => $4), updated_at = now()
             FROM next, zkb_runs r
             WHERE j.run_id = next.run_id AND j.chunk = next.chunk AND r.id = j.run_id
             RETURNING {JOB_COLUMNS}"
        );
        loop {
            let row = self
                .client
                .query_opt(
                    &sql,
                    &[&circuit_id, &key_commitment, &worker, &lease.as_secs_f64()],
                )
                .db("claiming a job")?;
            let Some(row) = row else { return Ok(None) };
            match job_from_row(&row) {
                Ok(job) => return Ok(Some(job)),
                // A row no retry can mend (not what this version writes): failed at once,
                // with the reason, and the next job is claimed.
                Err(e) => {
                    let (run, chunk, attempt): (i64, i32, i32) =
                        (row.get(0), row.get(1), row.get(2));
                    self.client
                        .execute(
                            "UPDATE zkb_jobs SET state = 'failed', last_error = $4, leased_by = NULL,
                                 lease_expires = NULL, updated_at = now()
                             WHERE run_id = $1 AND chunk = $2 AND attempts = $3 AND state = 'leased'",
                            &[&run, &chunk, &attempt, &e.to_string()],
                        )
                        .db("failing a malformed job")?;
                }
            }
        }
    }

    /// Extends the lease of every job `worker` holds to `now() + lease`; returns how many.
    pub fn heartbeat(&mut self, worker: &str, lease: Duration) -> Result<u64, QueueError> {
        self.client
            .execute(
                "UPDATE zkb_jobs SET lease_expires = now() + make_interval(secs => $2)
                 WHERE leased_by = $1 AND state = 'leased'",
                &[&worker, &lease.as_secs_f64()],
            )
            .db("extending leases")
    }

    /// Stores `proof` for `job` and marks the job done, in one transaction, if `worker` still
    /// holds the job's lease at `job.attempt`; else [`QueueError::Fenced`] and nothing
    /// changes.
    pub fn complete(&mut self, worker: &str, job: &Job, proof: &[u8]) -> Result<(), QueueError> {
        let mut tx = self.client.transaction().db("starting a transaction")?;
        let held = fence(&mut tx, worker, job)?;
        if !held {
            return Err(QueueError::Fenced {
                run: job.run,
                chunk: job.chunk.chunk,
                attempt: job.attempt,
            });
        }
        tx.execute(
            "INSERT INTO zkb_proofs (run_id, chunk, proof, worker) VALUES ($1, $2, $3, $4)",
            &[&job.run, &(job.chunk.chunk as i32), &proof, &worker],
        )
        .db("storing the proof")?;
        tx.commit().db("committing the proof")
    }

    /// Records that `job` failed with `error`: queued again, or failed for good if it was
    /// its last attempt (returns whether it was). [`QueueError::Fenced`] if `worker` no longer
    /// holds it.
    pub fn fail(&mut self, worker: &str, job: &Job, error: &str) -> Result<bool, QueueError> {
        let mut tx = self.client.transaction().db("starting a transaction")?;
        let row = tx
            .query_opt(
                "UPDATE zkb_jobs j SET
                     state = CASE WHEN j.attempts >= r.max_attempts THEN 'failed' ELSE 'queued' END,
                     last_error = $5, leased_by = NULL, lease_expires = NULL, updated_at = now()
                 FROM zkb_runs r
                 WHERE r.id = j.run_id AND j.run_id = $1 AND j.chunk = $2 AND j.attempts = $3
                   AND j.state = 'leased' AND j.leased_by = $4
                 RETURNING j.state",
                &[
                    &job.run,
                    &(job.chunk.chunk as i32),
                    &(job.attempt as i32),
                    &worker,
                    &error,
                ],
            )
            .db("recording a failed job")?;
        let Some(row) = row else {
            return Err(QueueError::Fenced {
                run: job.run,
                chunk: job.chunk.chunk,
                attempt: job.attempt,
            });
        };
        tx.commit().db("committing the failure")?;
        Ok(row.get::<_, String>(0) == "failed")
    }

    /// Marks failed the leased jobs of `run` whose lease expired on their last attempt (the
    /// worker died, or stalled, on every attempt); returns how many.
    pub fn reap(&mut self, run: i64) -> Result<u64, QueueError> {
        self.client
            .execute(
                "UPDATE zkb_jobs j SET state = 'failed', leased_by = NULL, lease_expires = NULL,
                     last_error = 'the lease of attempt ' || j.attempts
                         || ' expired (the worker died or stalled on every attempt)'
                         || coalesce('; before that: ' || j.last_error, ''),
                     updated_at = now()
                 FROM zkb_runs r
                 WHERE r.id = j.run_id AND j.run_id = $1 AND j.state = 'leased'
                   AND j.lease_expires < now() AND j.attempts >= r.max_attempts",
                &[&run],
            )
            .db("failing jobs whose last lease expired")
    }

    /// The jobs of `run` by state.
    pub fn progress(&mut self, run: i64) -> Result<Progress, QueueError> {
        let rows = self
            .client
            .query(
                "SELECT state, count(*) FROM zkb_jobs WHERE run_id = $1 GROUP BY state",
                &[&run],
            )
            .db("reading the run's progress")?;
        let mut p = Progress::default();
        for row in rows {
            let n = row.get::<_, i64>(1) as usize;
            match row.get::<_, &str>(0) {
                "queued" => p.queued = n,
                "leased" => p.leased = n,
                "done" => p.done = n,
                _ => p.failed = n,
            }
        }
        Ok(p)
    }

    /// Whether any unfinished run for these keys has a job queued or leased.
    pub fn has_work(&mut self, circuit_id: &str, key_commitment: &str) -> Result<bool, QueueError> {
        let row = self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM zkb_jobs j JOIN zkb_runs r ON r.id = j.run_id
                 WHERE r.circuit_id = $1 AND r.key_commitment = $2 AND r.finished_at IS NULL
                   AND j.state IN ('queued', 'leased'))",
                &[&circuit_id, &key_commitment],
            )
            .db("looking for work")?;
        Ok(row.get(0))
    }

    /// The failed jobs of `run`, by chunk.
    pub fn failed(&mut self, run: i64) -> Result<Vec<FailedJob>, QueueError> {
        let rows = self
            .client
            .query(
                "SELECT chunk, attempts, coalesce(last_error, '') FROM zkb_jobs
                 WHERE run_id = $1 AND state = 'failed' ORDER BY chunk",
                &[&run],
            )
            .db("reading failed jobs")?;
        Ok(rows
            .iter()
            .map(|row| FailedJob {
                chunk: row.get::<_, i32>(0) as usize,
                attempts: row.get::<_, i32>(1) as u32,
                error: row.get(2),
            })
            .collect())
    }

    /// Queues the failed jobs of `run` again with their attempts reset (after the cause was
    /// fixed); returns how many.
    pub fn retry_failed(&mut self, run: i64) -> Result<u64, QueueError> {
        self.client
            .execute(
                "UPDATE zkb_jobs SET state = 'queued', attempts = 0, updated_at = now()
                 WHERE run_id = $1 AND state = 'failed'",
                &[&run],
            )
            .db("queueing failed jobs again")
    }

    /// The proofs of `run` stored after sequence number `after`, in order.
    pub fn proofs_after(&mut self, run: i64, after: i64) -> Result<Vec<StoredProof>, QueueError> {
        let rows = self
            .client
            .query(
                "SELECT seq, chunk, proof, worker FROM zkb_proofs
                 WHERE run_id = $1 AND seq > $2 ORDER BY seq",
                &[&run, &after],
            )
            .db("reading new proofs")?;
        Ok(rows
            .iter()
            .map(|row| StoredProof {
                seq: row.get(0),
                chunk: row.get::<_, i32>(1) as usize,
                proof: row.get(2),
                worker: row.get(3),
            })
            .collect())
    }

    /// Refuses a stored proof that does not verify: deletes it and queues its job again (or
    /// fails it, on its last attempt) with `error`. Returns false if another coordinator
    /// refused it first.
    pub fn reject(
        &mut self,
        run: i64,
        proof: &StoredProof,
        error: &str,
    ) -> Result<bool, QueueError> {
        let mut tx = self.client.transaction().db("starting a transaction")?;
        let deleted = tx
            .execute(
                "DELETE FROM zkb_proofs WHERE run_id = $1 AND chunk = $2 AND seq = $3",
                &[&run, &(proof.chunk as i32), &proof.seq],
            )
            .db("deleting a bad proof")?;
        if deleted == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE zkb_jobs j SET
                 state = CASE WHEN j.attempts >= r.max_attempts THEN 'failed' ELSE 'queued' END,
                 last_error = $3, leased_by = NULL, lease_expires = NULL, updated_at = now()
             FROM zkb_runs r
             WHERE r.id = j.run_id AND j.run_id = $1 AND j.chunk = $2 AND j.state = 'done'",
            &[&run, &(proof.chunk as i32), &error],
        )
        .db("queueing the job of a bad proof again")?;
        tx.commit().db("committing the refusal")?;
        Ok(true)
    }

    /// Marks `run` finished (its bundle is written): workers stop looking at its jobs.
    pub fn finish(&mut self, run: i64) -> Result<(), QueueError> {
        self.client
            .execute(
                "UPDATE zkb_runs SET finished_at = coalesce(finished_at, now()) WHERE id = $1",
                &[&run],
            )
            .db("finishing the run")?;
        Ok(())
    }
}

/// Marks `job` done if `worker` still holds it at `job.attempt` (the fence); whether it did.
fn fence(tx: &mut Transaction<'_>, worker: &str, job: &Job) -> Result<bool, QueueError> {
    let n = tx
        .execute(
            "UPDATE zkb_jobs SET state = 'done', last_error = NULL, leased_by = NULL,
                 lease_expires = NULL, updated_at = now()
             WHERE run_id = $1 AND chunk = $2 AND attempts = $3 AND state = 'leased'
               AND leased_by = $4",
            &[
                &job.run,
                &(job.chunk.chunk as i32),
                &(job.attempt as i32),
                &worker,
            ],
        )
        .db("completing a job")?;
    Ok(n == 1)
}

fn job_from_row(row: &postgres::Row) -> Result<Job, QueueError> {
    let run: i64 = row.get(0);
    let chunk = row.get::<_, i32>(1) as usize;
    let bad = |field| QueueError::BadJob { run, chunk, field };
    let shape = ChunkShape::new(row.get::<_, i32>(3) as usize, row.get::<_, i32>(4) as usize)
        .map_err(|_| bad("run's shape"))?;
    let nonce: u128 = row.get::<_, &str>(5).parse().map_err(|_| bad("nonce"))?;
    let length = u32::try_from(row.get::<_, i32>(6)).map_err(|_| bad("length"))?;
    let ciphertext = elements_from_bytes(row.get(7)).ok_or_else(|| bad("ciphertext"))?;
    let public: [Fr; NUM_PUBLIC_INPUTS] = elements_from_bytes(row.get(8))
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("public values"))?;
    Ok(Job {
        run,
        attempt: row.get::<_, i32>(2) as u32,
        shape,
        chunk: NewJob {
            chunk,
            nonce,
            length,
            ciphertext,
            public: ChunkPublic::from_inputs(public),
        },
    })
}
