//! The sync agent behind `zkbackup sync`: it keeps a `BackupGate` fresh while the state it
//! guards changes.
//!
//! One **cycle** ([`Agent::cycle`]): read the state source's root and size; if they differ
//! from the last proven backup's, check that the custodian's records file has that root,
//! write the incremental backup (its parent is the last proven backup), prove the changed
//! chunks (the unchanged ones reuse the last bundle's proofs, checked first), and submit
//! the delta to the gate. Then the gate is fresh again.
//!
//! # State on disk ([`state`])
//! Everything lives in one directory: `sync.json` (the last proven backup and the cycle in
//! progress, written atomically after every step) and one subdirectory per cycle holding
//! `backup.zkb`, `bundle.json` and the prover's checkpoints. A restart continues the cycle in
//! progress from its last finished step: a written backup is not re-encrypted, proven chunks
//! are not re-proven (the prover resumes from its checkpoints), and the submission reads the
//! gate first, so a chunk already on chain is not sent again. The last proven backup and
//! bundle are deleted only after the next ones are complete.
//!
//! # Who does the work ([`Pipeline`])
//! The agent decides what to do and records progress; a [`Pipeline`] does each step (the
//! chain, the backup, the prover, the gate). `zkbackup sync` plugs in the real one; tests
//! plug in a scripted one to crash at every step.

pub mod agent;
pub mod backoff;
pub mod chain_view;
pub mod daemon;
pub mod pipeline;
pub mod state;
#[cfg(test)]
mod testing;

pub use agent::{Agent, ChainState, CycleReport, Outcome, Pipeline, StepError};
pub use backoff::Backoff;
pub use daemon::{run, Event, LoopOptions};
pub use pipeline::{Custodian, RpcPipeline};
pub use state::{StateDir, SyncState};
