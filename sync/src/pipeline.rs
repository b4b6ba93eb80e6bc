//! The real steps of a cycle: a gate and its state source over JSON-RPC, the custodian's
//! records file, escrow key and proving keys.

use crate::agent::{AttestReport, BackupReport, ChainState, Pipeline, ProveReport, StepError};
use crate::chain_view::RpcView;
use crate::state::{ChangedAt, StateRef};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::SystemTime;
use zkbackup_chain::gate::{GateAddresses, GateConfig};
use zkbackup_chain::{Attestation, ChainError, GateFlow, RpcChain};
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::{Backup, BackupError, Changes};
use zkbackup_formats::claims::ClaimsLedger;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_prover::{ChunkProver, ProveJob, RunError};
use zkbackup_verifier::bundle::read_bundle;

/// The custodian's side of the agent: what it backs up, under which keys.
pub struct Custodian {
    /// The records file the custodian's system keeps at the chain's state.
    pub records: PathBuf,
    /// Its format (`None`: from the extension).
    pub format: Option<RecordFormat>,
    /// The escrow key file (its claims ledger is beside it).
    pub key_path: PathBuf,
    /// The escrow key.
    pub key: EscrowKey,
    /// The prover of the proving keys' shape (its chunk size is the backups').
    pub prover: ChunkProver,
    /// Chunks proven at once.
    pub jobs: usize,
    /// The most gas a submission transaction may use.
    pub gas_cap: u64,
    /// Set to stop proving between chunks (finished ones stay checkpointed).
    pub stop: Arc<AtomicBool>,
}

/// The records as last read, with the file's size and modification time when read.
struct ReadRecords {
    stamp: (u64, Option<SystemTime>),
    format: RecordFormat,
    records: Records,
    state: StateRef,
}

/// The pipeline `zkbackup sync` runs: chain reads and submissions over JSON-RPC.
pub struct RpcPipeline {
    view: RpcView,
    flow: GateFlow<RpcChain>,
    custodian: Custodian,
    read: Option<ReadRecords>,
}

/// A failure of a chain request: a node that does not answer or a submission the gate
/// refused (e.g. because the state moved on) may pass; anything else needs the operator.
fn chain_error(step: &str, e: ChainError) -> StepError {
    match e {
        ChainError::Rpc { .. } | ChainError::Node(_) | ChainError::Reverted { .. } => {
            StepError::transient(step, e)
        }
        e => StepError::fatal(step, e),
    }
}

fn stamp(path: &Path) -> Result<(u64, Option<SystemTime>), StepError> {
    let m = std::fs::metadata(path).map_err(|e| {
        StepError::transient(
            "reading the records file",
            format!("{}: {e}", path.display()),
        )
    })?;
    Ok((m.len(), m.modified().ok()))
}

impl RpcPipeline {
    /// The pipeline for the gate `gate`: `reader` reads the chain, `sender` (with its
    /// signing key) submits; freshness is `isFresh(max_age_blocks)`.
    pub fn new(
        reader: RpcChain,
        sender: RpcChain,
        gate: alloy_primitives::Address,
        max_age_blocks: u64,
        custodian: Custodian,
    ) -> Result<Self, StepError> {
        let view = RpcView::new(reader, gate, max_age_blocks)?;
        let shape = custodian.prover.shape();
        let config = GateConfig {
            key_commitment: custodian.key.commitment(),
            chunk_size: shape.chunk_size as u64,
            max_age_blocks,
        };
        let addresses = GateAddresses {
            gate,
            state_source: view.source(),
            ..Default::default()
        };
        Ok(Self {
            view,
            flow: GateFlow::attach(sender, addresses, config),
            custodian,
            read: None,
        })
    }

    /// The records file, read again only if its size or modification time changed.
    fn records(&mut self) -> Result<&ReadRecords, StepError> {
        let path = &self.custodian.records;
        let now = stamp(path)?;
        if self.read.as_ref().is_none_or(|r| r.stamp != now) {
            let format = RecordFormat::resolve(path, self.custodian.format)
                .map_err(|e| StepError::fatal("reading the records file", e))?;
            // A file being rewritten may not parse: try again later.
            let records = Records::read(path, Some(format))
                .map_err(|e| StepError::transient("reading the records file", e))?;
            let state = StateRef {
                root: records.root(),
                size: records.len() as u64,
            };
            self.read = Some(ReadRecords {
                stamp: now,
                format,
                records,
                state,
            });
        }
        Ok(self.read.as_ref().expect("just read"))
    }
}

fn backup_error(e: BackupError) -> StepError {
    match e {
        BackupError::Io { .. } => StepError::transient("writing the backup", e),
        e => StepError::fatal("writing the backup", e),
    }
}

impl Pipeline for RpcPipeline {
    fn observe(&mut self) -> Result<ChainState, StepError> {
        self.view.observe()
    }

    fn changed_at(&mut self, now: &ChainState, since: Option<u64>) -> Result<ChangedAt, StepError> {
        self.view.changed_at(now, since)
    }

    fn records_state(&mut self) -> Result<StateRef, StepError> {
        Ok(self.records()?.state)
    }

    fn backup(
        &mut self,
        parent: Option<&Path>,
        target: &StateRef,
        out: &Path,
        refresh: bool,
    ) -> Result<BackupReport, StepError> {
        let chunk_size = self.custodian.prover.shape().chunk_size;
        let key_path = self.custodian.key_path.clone();
        let key = self.custodian.key.clone();
        let read = self.records()?;
        if read.state != *target {
            return Err(StepError::transient(
                "writing the backup",
                "the records file changed since it matched the chain",
            ));
        }
        let (backup, changes) = match parent {
            Some(parent_path) => {
                let parent = Backup::read(parent_path).map_err(backup_error)?;
                let ledger = ClaimsLedger::beside_key(&key_path);
                let child = if refresh {
                    Backup::refresh_named
                } else {
                    Backup::update_named
                };
                child(
                    &parent,
                    parent_path,
                    &read.records,
                    read.format,
                    &key,
                    &ledger,
                )
                .map_err(backup_error)?
            }
            None => {
                let backup = Backup::create(&read.records, read.format, &key, chunk_size)
                    .map_err(backup_error)?;
                // A full backup: every chunk is new.
                let changes = Changes {
                    added: (0..backup.chunks().len() as u32).collect(),
                    ..Changes::default()
                };
                (backup, changes)
            }
        };
        let report = BackupReport {
            chunks: backup.chunks().len(),
            unchanged: changes.unchanged.len(),
            changed: changes.changed.len(),
            added: changes.added.len(),
            removed: changes.removed.len(),
            lineage: backup.header().lineage,
            generation: backup.header().generation,
        };
        if backup.root() != target.root || backup.header().records != target.size {
            return Err(StepError::fatal(
                "writing the backup",
                "the backup's root differs from the records' (a bug)",
            ));
        }
        backup.write_to(out).map_err(backup_error)?;
        Ok(report)
    }

    fn prove(
        &mut self,
        backup: &Path,
        reuse: Option<&Path>,
        out: &Path,
    ) -> Result<ProveReport, StepError> {
        let step = "proving";
        let backup_file = Backup::read(backup).map_err(|e| StepError::fatal(step, e))?;
        let old = match reuse {
            Some(path) if path.exists() => {
                Some(read_bundle(path).map_err(|e| StepError::fatal(step, e))?)
            }
            _ => None,
        };
        let stop = self.custodian.stop.clone();
        let jobs = self.custodian.jobs;
        let key = self.custodian.key.clone();
        // The records file as last read if it is the backup's state (the prover checks it
        // against R again); else the records restored from the backup.
        let restored;
        let records = match &self.read {
            Some(r)
                if r.state.root == backup_file.root()
                    && r.state.size == backup_file.header().records =>
            {
                &r.records
            }
            _ => {
                restored = backup_file
                    .restore_named(&key, backup)
                    .map_err(|e| StepError::fatal(step, e))?;
                &restored
            }
        };
        let job = ProveJob {
            backup: &backup_file,
            records,
            key: &key,
            prover: &self.custodian.prover,
            out,
            jobs,
            stop: Some(&stop),
            reuse: old.as_ref(),
        };
        let (_, report) = job.run(&|_, _| {}).map_err(|e| match e {
            RunError::Io { .. } | RunError::Interrupted { .. } => StepError::transient(step, e),
            e => StepError::fatal(step, e),
        })?;
        Ok(ProveReport {
            proved: report.proven,
            reused: report.reused,
        })
    }

    fn attest(&mut self, bundle: &Path) -> Result<AttestReport, StepError> {
        let step = "submitting to the gate";
        let bundle = read_bundle(bundle).map_err(|e| StepError::fatal(step, e))?;
        let attestation = Attestation {
            chunks: bundle.chunks.clone(),
        };
        let report = self
            .flow
            .attest(&attestation, self.custodian.gas_cap)
            .map_err(|e| chain_error(step, e))?;
        // Complete if the gate's last attestation is this bundle's state (by this
        // submission or, after a restart, an earlier one).
        let last = self
            .flow
            .last_attestation()
            .map_err(|e| chain_error(step, e))?;
        let complete = last.root == bundle.root
            && last.records == bundle.records
            && Some(last.lineage) == attestation.lineage().ok();
        let block = report.transactions.last().map_or(last.block, |t| t.block);
        Ok(AttestReport {
            transactions: report.transactions.len(),
            gas: report.gas_used(),
            chunks: report.chunks_submitted(),
            complete,
            block,
        })
    }
}
