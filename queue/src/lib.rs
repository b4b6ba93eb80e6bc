//! Distributed proving coordinated through PostgreSQL (docs/DISTRIBUTED.md).
//!
//! A *run* is one backup proven with one set of proving keys; it has one *job* per chunk to
//! prove. The coordinator ([`coordinate`]) plans the run exactly as a local `prove` does
//! (`zkbackup_prover::ProveJob::plan`), inserts the jobs, and assembles the bundle from the
//! proofs the workers store, verifying each first. Workers ([`run_worker`]) on any number of
//! machines claim jobs with a lease (`FOR UPDATE SKIP LOCKED`), prove them and store each
//! proof in the transaction that completes its job, fenced by the attempt number
//! ([`store`]).
//!
//! The database is the only coordination: no scheduler process, no protocol of our own.
//! Schema changes are versioned migrations (`queue/migrations/V<n>__*.sql`) embedded in the
//! binary and applied by [`Queue::connect`].
//!
//! Why the sync `postgres` client and refinery rather than sqlx: both are well kept, and
//! together they compile lighter (no compile-time query checking macros, no async code of
//! ours: a worker is a few threads each blocking on one connection, which is all the
//! concurrency a prover that saturates its cores needs).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod coordinator;
pub mod error;
pub mod store;
#[cfg(feature = "test-server")]
pub mod testing;
pub mod worker;

pub use coordinator::{coordinate, CoordinatorConfig, CoordinatorReport, RunProgress};
pub use error::{FailedJob, QueueError};
pub use store::{Job, NewJob, Progress, Queue, RunSpec, StoredProof};
pub use worker::{prove_job, run_worker, worker_name, JobOutcome, WorkerConfig, WorkerReport};
