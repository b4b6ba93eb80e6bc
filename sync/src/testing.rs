//! A scripted pipeline for the agent's tests: a chain, a records file and a gate in
//! memory, real files in the agent's directory, and a crash at a chosen step.

use crate::agent::*;
use crate::state::{ChangedAt, StateRef};
use ark_bn254::Fr;
use std::path::Path;
/// Where the scripted pipeline fails, as a crash would: `*After` fails once the step's
/// file is written (a crash before the agent records the step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crash {
    BackupAfter,
    ProveBefore,
    ProveAfter,
    AttestBefore,
    AttestAfter,
}

/// A chain, a records file and a gate in memory; files are real, in the agent's
/// directory, so the agent's resume logic sees what a crash leaves.
#[derive(Default)]
pub struct Script {
    pub chain: u64,
    pub records: u64,
    pub block: u64,
    pub attested: Option<u64>,
    pub crash: Option<Crash>,
    pub calls: Vec<String>,
    /// `observe` fails this many more times, as a node that does not answer.
    pub unreachable: u32,
    /// The last attestation is too old for `isFresh` (until a new bundle is attested).
    pub aged_out: bool,
    /// The bundle attested last.
    pub last_bundle: Option<std::path::PathBuf>,
}

pub fn state_of(n: u64) -> StateRef {
    StateRef {
        root: Fr::from(1000 + n),
        size: n,
    }
}

fn crash(step: &str) -> StepError {
    StepError::fatal(step, "killed")
}

impl Script {
    pub fn take(&mut self, c: Crash) -> bool {
        if self.crash == Some(c) {
            self.crash = None;
            true
        } else {
            false
        }
    }
}

impl Pipeline for Script {
    fn observe(&mut self) -> Result<ChainState, StepError> {
        if self.unreachable > 0 {
            self.unreachable -= 1;
            return Err(StepError::transient(
                "reading the chain",
                "connection refused",
            ));
        }
        self.block += 1;
        Ok(ChainState {
            block: self.block,
            unix_ms: now_ms(),
            state: state_of(self.chain),
            fresh: self.attested == Some(self.chain) && !self.aged_out,
        })
    }

    fn changed_at(&mut self, now: &ChainState, _: Option<u64>) -> Result<ChangedAt, StepError> {
        Ok(ChangedAt {
            block: now.block,
            unix_ms: now.unix_ms,
        })
    }

    fn records_state(&mut self) -> Result<StateRef, StepError> {
        Ok(state_of(self.records))
    }

    fn backup(
        &mut self,
        parent: Option<&Path>,
        target: &StateRef,
        out: &Path,
        refresh: bool,
    ) -> Result<BackupReport, StepError> {
        assert!(!out.exists(), "a backup is never written twice");
        if let Some(p) = parent {
            assert!(p.exists(), "the parent backup {} is gone", p.display());
        }
        assert!(!refresh || parent.is_some(), "a refresh has a parent");
        let verb = if refresh { "refresh" } else { "backup" };
        self.calls.push(format!("{verb} {}", target.size));
        std::fs::write(out, target.size.to_string()).unwrap();
        if self.take(Crash::BackupAfter) {
            return Err(crash("backup"));
        }
        Ok(BackupReport {
            chunks: 1,
            unchanged: 0,
            changed: 1,
            added: 0,
            removed: 0,
            lineage: 7,
            generation: 1,
        })
    }

    fn prove(
        &mut self,
        backup: &Path,
        reuse: Option<&Path>,
        out: &Path,
    ) -> Result<ProveReport, StepError> {
        if self.take(Crash::ProveBefore) {
            return Err(crash("prove"));
        }
        assert!(!out.exists(), "a bundle is never written twice");
        if let Some(r) = reuse {
            assert!(r.exists(), "the previous bundle {} is gone", r.display());
        }
        let size = std::fs::read_to_string(backup).unwrap();
        self.calls.push(format!("prove {size}"));
        std::fs::write(out, size).unwrap();
        if self.take(Crash::ProveAfter) {
            return Err(crash("prove"));
        }
        Ok(ProveReport {
            proved: 1,
            reused: usize::from(reuse.is_some()),
        })
    }

    fn attest(&mut self, bundle: &Path) -> Result<AttestReport, StepError> {
        if self.take(Crash::AttestBefore) {
            return Err(crash("attest"));
        }
        let size: u64 = std::fs::read_to_string(bundle).unwrap().parse().unwrap();
        let sent = self.last_bundle.as_deref() != Some(bundle);
        self.calls.push(format!("attest {size}"));
        self.attested = Some(size);
        if sent {
            self.aged_out = false;
            self.last_bundle = Some(bundle.to_path_buf());
        }
        if self.take(Crash::AttestAfter) {
            return Err(crash("attest"));
        }
        Ok(AttestReport {
            transactions: usize::from(sent),
            gas: 0,
            chunks: usize::from(sent),
            complete: size == self.chain,
            block: self.block,
        })
    }
}
