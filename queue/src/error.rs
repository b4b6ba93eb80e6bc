//! Why a queue operation, a worker or a coordinator stopped.

use std::path::PathBuf;

/// A failed job as the database records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedJob {
    /// The chunk index.
    pub chunk: usize,
    /// Claims made (the run's maximum, or fewer if a worker refused it outright).
    pub attempts: u32,
    /// The last error a worker or the coordinator recorded.
    pub error: String,
}

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database refused a statement or the connection broke.
    #[error("PostgreSQL: {what}")]
    Db {
        /// The operation (e.g. "claiming a job").
        what: &'static str,
        /// The cause.
        #[source]
        source: postgres::Error,
    },
    /// The schema migrations could not be applied.
    #[error("applying the queue's schema migrations")]
    Migrate(#[source] refinery::Error),
    /// The connection string does not parse.
    #[error("the queue's connection string does not parse (expected postgres://user@host/db or key=value pairs)")]
    Url(#[source] postgres::Error),
    /// A run's chunk jobs failed their maximum number of attempts: the run cannot finish.
    #[error("run {run}: {} chunk(s) failed: {}", failed.len(), summary(failed))]
    JobsFailed {
        /// The run id.
        run: i64,
        /// The failed jobs, by chunk.
        failed: Vec<FailedJob>,
    },
    /// The run in the database does not match what this coordinator would create (e.g. a
    /// different chunk count under the same identity: a corrupted or foreign row).
    #[error("run {run}: {problem}")]
    RunMismatch {
        /// The run id.
        run: i64,
        /// What differs.
        problem: String,
    },
    /// A job row holds a value that is not what this version writes.
    #[error("run {run}, chunk {chunk}: the job's {field} is malformed")]
    BadJob {
        /// The run id.
        run: i64,
        /// The chunk.
        chunk: usize,
        /// The column.
        field: &'static str,
    },
    /// The worker lost its lease (it expired and another worker took the job) before it
    /// could complete the job: its proof was dropped, the other worker's counts.
    #[error("run {run}, chunk {chunk}: lease lost (attempt {attempt} is no longer current)")]
    Fenced {
        /// The run id.
        run: i64,
        /// The chunk.
        chunk: usize,
        /// The attempt the worker held.
        attempt: u32,
    },
    /// Stopped (Ctrl-C, SIGTERM) before the run finished; the run stays in the database.
    #[error("run {run}: stopped with {done} of {total} chunks proven; run the same command again to attach")]
    Interrupted {
        /// The run id.
        run: i64,
        /// Chunks proven (and verified) so far.
        done: usize,
        /// Chunks to prove.
        total: usize,
    },
    /// Planning the run or writing the bundle failed.
    #[error(transparent)]
    Run(#[from] zkbackup_prover::RunError),
    /// Writing the bundle failed.
    #[error(transparent)]
    Bundle(#[from] zkbackup_verifier::BundleError),
    /// The test server could not be started or stopped.
    #[error("{}: {problem}", dir.display())]
    Server {
        /// Its directory.
        dir: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

fn summary(failed: &[FailedJob]) -> String {
    failed
        .iter()
        .take(5)
        .map(|f| {
            format!(
                "chunk {} after {} attempt(s): {}",
                f.chunk, f.attempts, f.error
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
        + if failed.len() > 5 { "; …" } else { "" }
}

/// `result.db("claiming a job")`: wraps a database error with the operation.
pub(crate) trait DbResultExt<T> {
    fn db(self, what: &'static str) -> Result<T, QueueError>;
}

impl<T> DbResultExt<T> for Result<T, postgres::Error> {
    fn db(self, what: &'static str) -> Result<T, QueueError> {
        self.map_err(|source| QueueError::Db { what, source })
    }
}
