//! One cycle of the agent: decide what to do from the chain and `sync.json`, do it through a
//! [`Pipeline`], and record each finished step before starting the next.

use crate::state::{
    ChangedAt, Pending, Snapshot, StateDir, StateError, StateRef, Step, SyncState, BACKUP_FILE,
    BUNDLE_FILE,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What the chain says now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainState {
    /// The block the values were read at.
    pub block: u64,
    /// That block's timestamp, in milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// The state source's root and size at that block.
    pub state: StateRef,
    /// Whether the gate is fresh at that block (`isFresh` with the agent's bound).
    pub fresh: bool,
}

/// What writing a backup did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// Chunks in the new backup.
    pub chunks: usize,
    /// Chunks copied from the parent byte for byte.
    pub unchanged: usize,
    /// Chunks whose records changed (re-encrypted under a new nonce).
    pub changed: usize,
    /// Chunks the parent did not have.
    pub added: usize,
    /// The parent's chunks beyond the new backup's last.
    pub removed: usize,
    /// The backup's lineage.
    pub lineage: u64,
    /// The backup's generation in its lineage.
    pub generation: u32,
}

/// What proving did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProveReport {
    /// Chunks proven.
    pub proved: usize,
    /// Chunks whose proof was reused from the previous bundle (after checking it).
    pub reused: usize,
}

/// What submitting to the gate did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestReport {
    /// Transactions sent.
    pub transactions: usize,
    /// Gas used by them, in total.
    pub gas: u64,
    /// Chunks sent (the others were on chain already).
    pub chunks: usize,
    /// Whether the gate now holds a complete attestation of the bundle's state.
    pub complete: bool,
    /// The block of the last transaction (or of the read, if nothing was sent).
    pub block: u64,
}

/// The steps of a cycle, done by someone else: the agent only sequences and records them.
pub trait Pipeline {
    /// The state source's current root and size, and whether the gate is fresh.
    fn observe(&mut self) -> Result<ChainState, StepError>;
    /// When the chain changed to `now.state`: the first block after `since` (a block known
    /// to hold an older state, if any) that holds it.
    fn changed_at(&mut self, now: &ChainState, since: Option<u64>) -> Result<ChangedAt, StepError>;
    /// The root and size of the custodian's records file as it is now.
    fn records_state(&mut self) -> Result<StateRef, StepError>;
    /// Writes the backup of the records file to `out` (a new file), incremental from
    /// `parent` when given (with `refresh`: also re-encrypting the last chunk, see
    /// `Backup::refresh_named`). Writes nothing unless the backup's state is `target`.
    fn backup(
        &mut self,
        parent: Option<&Path>,
        target: &StateRef,
        out: &Path,
        refresh: bool,
    ) -> Result<BackupReport, StepError>;
    /// Proves `backup` into the bundle `out` (a new file; checkpoints beside it, resumed if
    /// present), reusing checked proofs of `reuse` for unchanged chunks.
    fn prove(
        &mut self,
        backup: &Path,
        reuse: Option<&Path>,
        out: &Path,
    ) -> Result<ProveReport, StepError>;
    /// Submits what the gate lacks of `bundle`.
    fn attest(&mut self, bundle: &Path) -> Result<AttestReport, StepError>;
}

/// A failed step.
#[derive(Debug, thiserror::Error)]
#[error("{step}")]
pub struct StepError {
    /// The step, as a log names it (`reading the chain`, `proving`, ...).
    pub step: String,
    /// Whether trying again later may succeed (a node that did not answer, a records file
    /// that is being rewritten) rather than needing the operator.
    pub transient: bool,
    /// The cause.
    #[source]
    pub source: BoxError,
}

impl StepError {
    /// A failure that may pass if tried again later.
    pub fn transient(step: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            step: step.into(),
            transient: true,
            source: source.into(),
        }
    }

    /// A failure the operator must fix.
    pub fn fatal(step: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            step: step.into(),
            transient: false,
            source: source.into(),
        }
    }
}

/// Why a cycle failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A step failed.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The agent's directory failed.
    #[error("the sync state directory")]
    State(#[from] StateError),
}

impl SyncError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Step(e) => e.transient,
            Self::State(_) => false,
        }
    }
}

/// What one cycle found or did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The gate is fresh for the chain's current state: nothing to do.
    UpToDate {
        /// The chain's state.
        chain: ChainState,
    },
    /// The chain changed but the records file does not have its state yet.
    Waiting {
        /// The chain's state.
        chain: ChainState,
        /// The records file's state.
        records: StateRef,
    },
    /// A cycle ran (or finished one a restart interrupted).
    Ran(CycleReport),
}

/// One line of what a cycle did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleReport {
    /// The state the cycle backed up and attested.
    pub state: StateRef,
    /// When the chain changed to it, if the cycle made the backup (a cycle that only
    /// re-submits a proven backup does not know).
    pub changed: Option<ChangedAt>,
    /// Whether the cycle was a refresh: same state, the last attestation aged out.
    pub refresh: bool,
    /// The backup step, if this run did it.
    pub backup: Option<BackupReport>,
    /// The proving step, if this run did it.
    pub prove: Option<ProveReport>,
    /// The submission.
    pub attest: AttestReport,
    /// Milliseconds from the chain's change to the end of the submission (by the block's
    /// timestamp and this machine's clock), if known.
    pub change_to_fresh_ms: Option<u64>,
}

impl fmt::Display for CycleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "state {} ({} records)",
            zkbackup_core::field::to_hex(&self.state.root),
            self.state.size
        )?;
        if let Some(c) = self.changed {
            if self.refresh {
                write!(f, " unchanged, attestation aged out at block {}", c.block)?;
            } else {
                write!(f, " since block {}", c.block)?;
            }
        }
        if let Some(b) = &self.backup {
            write!(
                f,
                ": {} of {} chunks changed ({} updated, {} added, {} removed), generation {}",
                b.changed + b.added,
                b.chunks,
                b.changed,
                b.added,
                b.removed,
                b.generation
            )?;
        }
        if let Some(p) = self.prove {
            write!(f, "; proved {}, reused {}", p.proved, p.reused)?;
        }
        let a = self.attest;
        write!(
            f,
            "; sent {} chunks in {} transactions, {} gas",
            a.chunks, a.transactions, a.gas
        )?;
        if a.complete {
            write!(f, "; fresh at block {}", a.block)?;
        } else {
            write!(
                f,
                "; NOT complete at block {} (the state moved on)",
                a.block
            )?;
        }
        if let Some(ms) = self.change_to_fresh_ms {
            write!(f, ", {:.1} s after the change", ms as f64 / 1000.0)?;
        }
        Ok(())
    }
}

/// The agent: its directory, its state and the pipeline that does the work.
pub struct Agent<P> {
    dir: StateDir,
    state: SyncState,
    pipeline: P,
}

/// This machine's clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl<P: Pipeline> Agent<P> {
    /// Opens the agent's directory (creating it if needed), reads `sync.json` and deletes
    /// cycle directories it does not name (left by a crash after a newer backup was proven
    /// and before the older one was deleted, or by an abandoned cycle).
    pub fn open(dir: &Path, pipeline: P) -> Result<Self, SyncError> {
        let dir = StateDir::create(dir)?;
        let state = dir.load()?;
        let agent = Self {
            dir,
            state,
            pipeline,
        };
        agent.collect_garbage()?;
        Ok(agent)
    }

    /// The recorded state.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The pipeline.
    pub fn pipeline_mut(&mut self) -> &mut P {
        &mut self.pipeline
    }

    fn collect_garbage(&self) -> Result<(), SyncError> {
        let keep: Vec<&str> = self
            .state
            .current
            .iter()
            .map(|c| c.dir.as_str())
            .chain(self.state.pending.iter().map(|p| p.dir.as_str()))
            .collect();
        let path = self.dir.path();
        let entries = std::fs::read_dir(path).map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with("cycle-") && !keep.contains(&name) {
                self.dir.remove_cycle(name)?;
            }
        }
        Ok(())
    }

    fn file(&self, dir: &str, name: &str) -> PathBuf {
        self.dir.cycle_path(dir).join(name)
    }

    /// Runs one cycle.
    pub fn cycle(&mut self) -> Result<Outcome, SyncError> {
        let chain = self.pipeline.observe()?;
        let mut backup = None;
        let mut prove = None;
        let mut changed = None;
        let mut refreshed = false;
        if let Some(pending) = self.state.pending.clone() {
            if pending.step == Step::Backup && pending.target != chain.state {
                // Nothing of it was used: start over for the chain's new state.
                tracing::info!(dir = %pending.dir, "the chain moved on before the backup was written: abandoning the cycle");
                self.state.pending = None;
                self.dir.save(&self.state)?;
                self.dir.remove_cycle(&pending.dir)?;
            } else {
                // A written backup is finished even if the chain moved on: its proofs make
                // the next cycle cheaper, and it becomes the next backup's parent.
                let (b, p) = self.finish(pending.clone())?;
                backup = b;
                prove = Some(p);
                changed = Some(pending.changed);
                refreshed = pending.refresh;
            }
        }
        let current = self.state.current.clone();
        // The current backup's attestation completed but is no longer fresh, and the state
        // is the same: only its age is wrong, and re-submitting it sends nothing (every
        // nonce is on chain). A refresh cycle makes a newer proof of the same state.
        let aged = current
            .as_ref()
            .is_some_and(|c| c.state == chain.state && c.attested_block.is_some() && !chain.fresh);
        match current {
            Some(c) if c.state == chain.state && !aged => {
                if c.attested_block.is_some() && chain.fresh {
                    return Ok(Outcome::UpToDate { chain });
                }
                let attest = self.attest(&c)?;
                Ok(Outcome::Ran(CycleReport {
                    state: c.state,
                    changed,
                    refresh: refreshed,
                    backup,
                    prove,
                    attest,
                    change_to_fresh_ms: changed
                        .filter(|_| attest.complete)
                        .map(|ch| now_ms().saturating_sub(ch.unix_ms)),
                }))
            }
            _ => {
                let records = self.pipeline.records_state()?;
                if records != chain.state {
                    return Ok(Outcome::Waiting { chain, records });
                }
                let changed = if aged {
                    ChangedAt {
                        block: chain.block,
                        unix_ms: chain.unix_ms,
                    }
                } else {
                    let since = current.as_ref().and_then(|c| c.attested_block);
                    self.pipeline.changed_at(&chain, since)?
                };
                let dir = self.dir.new_cycle(&mut self.state)?;
                let pending = Pending {
                    dir,
                    target: chain.state,
                    changed,
                    step: Step::Backup,
                    refresh: aged,
                };
                self.state.pending = Some(pending.clone());
                self.dir.save(&self.state)?;
                let (backup, prove) = self.finish(pending)?;
                let c = self.state.current.clone().expect("finish sets current");
                let attest = self.attest(&c)?;
                Ok(Outcome::Ran(CycleReport {
                    state: c.state,
                    changed: Some(changed),
                    refresh: aged,
                    backup,
                    prove: Some(prove),
                    attest,
                    change_to_fresh_ms: attest
                        .complete
                        .then(|| now_ms().saturating_sub(changed.unix_ms)),
                }))
            }
        }
    }

    /// Runs the pending cycle's remaining steps and makes its backup current (deleting the
    /// previous one only then).
    fn finish(
        &mut self,
        mut pending: Pending,
    ) -> Result<(Option<BackupReport>, ProveReport), SyncError> {
        let parent = self.state.current.clone();
        let backup_path = self.file(&pending.dir, BACKUP_FILE);
        let bundle_path = self.file(&pending.dir, BUNDLE_FILE);
        let mut backup = None;
        if pending.step == Step::Backup {
            // A backup file is written atomically and only for the target state: if it
            // exists, a crash came after it was written and before this step was recorded.
            if !backup_path.exists() {
                let parent_backup = parent.as_ref().map(|c| self.file(&c.dir, BACKUP_FILE));
                backup = Some(self.pipeline.backup(
                    parent_backup.as_deref(),
                    &pending.target,
                    &backup_path,
                    pending.refresh,
                )?);
            }
            pending.step = Step::Prove;
            self.state.pending = Some(pending.clone());
            self.dir.save(&self.state)?;
        }
        // Likewise a bundle is complete if it exists; otherwise the prover resumes from its
        // checkpoints.
        let prove = if bundle_path.exists() {
            ProveReport {
                proved: 0,
                reused: 0,
            }
        } else {
            let reuse = parent.as_ref().map(|c| self.file(&c.dir, BUNDLE_FILE));
            self.pipeline
                .prove(&backup_path, reuse.as_deref(), &bundle_path)?
        };
        self.state.current = Some(Snapshot {
            dir: pending.dir.clone(),
            state: pending.target,
            attested_block: None,
        });
        self.state.pending = None;
        self.dir.save(&self.state)?;
        if let Some(old) = parent {
            self.dir.remove_cycle(&old.dir)?;
        }
        Ok((backup, prove))
    }

    /// Submits the current backup's bundle; records the block if the gate completed it.
    fn attest(&mut self, current: &Snapshot) -> Result<AttestReport, SyncError> {
        let report = self
            .pipeline
            .attest(&self.file(&current.dir, BUNDLE_FILE))?;
        if report.complete {
            if let Some(c) = self.state.current.as_mut() {
                c.attested_block = Some(report.block);
            }
            self.dir.save(&self.state)?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{state_of, Crash, Script};

    fn open(dir: &Path, script: Script) -> Agent<Script> {
        Agent::open(dir, script).unwrap()
    }

    /// An agent whose chain and records file hold state 3.
    fn at_state_3(dir: &Path) -> Agent<Script> {
        open(
            dir,
            Script {
                chain: 3,
                records: 3,
                ..Script::default()
            },
        )
    }

    fn ran(outcome: Outcome) -> CycleReport {
        match outcome {
            Outcome::Ran(r) => r,
            other => panic!("expected a cycle, got {other:?}"),
        }
    }

    #[test]
    fn a_cycle_backs_up_proves_and_attests_and_then_there_is_nothing_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let mut agent = at_state_3(tmp.path());
        let report = ran(agent.cycle().unwrap());
        assert!(report.attest.complete);
        assert!(report.change_to_fresh_ms.is_some());
        assert_eq!(
            agent.pipeline_mut().calls,
            ["backup 3", "prove 3", "attest 3"]
        );
        assert!(matches!(agent.cycle().unwrap(), Outcome::UpToDate { .. }));
        let current = agent.state().current.clone().unwrap();
        assert_eq!(current.state, state_of(3));
        assert!(current.attested_block.is_some());
        assert!(agent.state().pending.is_none());
    }

    #[test]
    fn an_aged_out_attestation_of_an_unchanged_state_is_refreshed() {
        let tmp = tempfile::tempdir().unwrap();
        let mut agent = at_state_3(tmp.path());
        ran(agent.cycle().unwrap());
        let first = agent.state().current.clone().unwrap().dir;
        // Before: re-submitting the attested bundle sent nothing and the gate stayed stale.
        agent.pipeline_mut().aged_out = true;
        let report = ran(agent.cycle().unwrap());
        assert!(report.refresh);
        assert!(report.attest.complete && report.attest.chunks == 1);
        assert_eq!(
            agent.pipeline_mut().calls[3..],
            ["refresh 3", "prove 3", "attest 3"]
        );
        assert!(report
            .to_string()
            .contains("unchanged, attestation aged out"));
        let current = agent.state().current.clone().unwrap();
        assert_ne!(current.dir, first, "a new backup");
        assert!(
            !tmp.path().join(&first).exists(),
            "the old one is gone once replaced"
        );
        assert!(matches!(agent.cycle().unwrap(), Outcome::UpToDate { .. }));
    }

    #[test]
    fn a_change_waits_for_the_records_file_then_builds_on_the_last_backup() {
        let tmp = tempfile::tempdir().unwrap();
        let mut agent = at_state_3(tmp.path());
        ran(agent.cycle().unwrap());
        let first = agent.state().current.clone().unwrap().dir;
        agent.pipeline_mut().chain = 4;
        match agent.cycle().unwrap() {
            Outcome::Waiting { chain, records } => {
                assert_eq!(chain.state, state_of(4));
                assert_eq!(records, state_of(3));
            }
            other => panic!("expected to wait, got {other:?}"),
        }
        agent.pipeline_mut().records = 4;
        let report = ran(agent.cycle().unwrap());
        assert_eq!(
            report.prove.unwrap().reused,
            1,
            "the previous bundle is offered"
        );
        assert!(report.attest.complete);
        // The previous cycle's files go once the new backup is proven.
        assert!(!tmp.path().join(&first).exists());
        assert!(tmp
            .path()
            .join(&agent.state().current.clone().unwrap().dir)
            .join(BUNDLE_FILE)
            .exists());
    }

    #[test]
    fn a_crash_at_any_step_resumes_without_redoing_finished_work_or_losing_the_last_backup() {
        for crash in [
            Crash::BackupAfter,
            Crash::ProveBefore,
            Crash::ProveAfter,
            Crash::AttestBefore,
            Crash::AttestAfter,
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let mut agent = at_state_3(tmp.path());
            ran(agent.cycle().unwrap());
            let first = agent.state().current.clone().unwrap().dir;
            let script = agent.pipeline_mut();
            script.chain = 4;
            script.records = 4;
            script.crash = Some(crash);
            script.calls.clear();
            let err = agent.cycle().unwrap_err();
            assert!(!err.is_transient(), "{crash:?}");
            let before = std::mem::take(&mut agent.pipeline_mut().calls);
            if matches!(
                crash,
                Crash::BackupAfter | Crash::ProveBefore | Crash::ProveAfter
            ) {
                assert!(
                    tmp.path().join(&first).join(BACKUP_FILE).exists(),
                    "{crash:?}: the last good backup was deleted before the new one was proven"
                );
            }
            // A restart: a new process reads the directory.
            let script = std::mem::take(agent.pipeline_mut());
            drop(agent);
            let mut agent = open(tmp.path(), script);
            let report = ran(agent.cycle().unwrap());
            assert!(report.attest.complete, "{crash:?}");
            let after = &agent.pipeline_mut().calls;
            let all: Vec<&String> = before.iter().chain(after.iter()).collect();
            let count = |p: &str| all.iter().filter(|c| c.starts_with(p)).count();
            assert_eq!(count("backup"), 1, "{crash:?}: {all:?}");
            assert_eq!(count("prove"), 1, "{crash:?}: {all:?}");
            assert!(count("attest") >= 1, "{crash:?}: {all:?}");
            assert!(matches!(agent.cycle().unwrap(), Outcome::UpToDate { .. }));
            // Only the current cycle's directory is left.
            let dirs: Vec<_> = std::fs::read_dir(tmp.path())
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("cycle-"))
                .collect();
            assert_eq!(dirs.len(), 1, "{crash:?}");
        }
    }

    #[test]
    fn a_cycle_whose_backup_was_not_written_is_dropped_when_the_chain_moves_on() {
        let tmp = tempfile::tempdir().unwrap();
        let mut agent = at_state_3(tmp.path());
        ran(agent.cycle().unwrap());
        // A cycle recorded at its backup step (the process died before writing it).
        let mut state = agent.state().clone();
        let dir = StateDir::create(tmp.path()).unwrap();
        let name = dir.new_cycle(&mut state).unwrap();
        state.pending = Some(Pending {
            dir: name.clone(),
            target: state_of(4),
            changed: ChangedAt {
                block: 1,
                unix_ms: 0,
            },
            step: Step::Backup,
            refresh: false,
        });
        dir.save(&state).unwrap();
        let mut script = std::mem::take(agent.pipeline_mut());
        drop(agent);
        script.chain = 5;
        script.records = 5;
        script.calls.clear();
        let mut agent = open(tmp.path(), script);
        let report = ran(agent.cycle().unwrap());
        assert_eq!(report.state, state_of(5));
        assert!(!tmp.path().join(&name).exists());
        assert_eq!(
            agent.pipeline_mut().calls,
            ["backup 5", "prove 5", "attest 5"]
        );
    }

    #[test]
    fn directories_no_state_names_are_removed_on_open() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("cycle-000009")).unwrap();
        std::fs::create_dir(tmp.path().join("keep-me")).unwrap();
        let _agent = open(tmp.path(), Script::default());
        assert!(!tmp.path().join("cycle-000009").exists());
        assert!(tmp.path().join("keep-me").exists());
    }
}
