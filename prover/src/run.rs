//! Proving a whole backup: every chunk in parallel, each finished chunk checkpointed, the
//! bundle written at the end.
//!
//! Checkpoints live in `<bundle>.chunks/` next to the output: `run.json` names the run
//! (circuit id, root, backup commitment, key commitment) and `chunk_<j>.json` holds chunk
//! `j`'s public inputs and proof, each file written to a temporary name then renamed. A run
//! that is killed and started again keeps every checkpoint that belongs to the same
//! backup and keys and still verifies, and proves only the rest. The directory is removed
//! once the bundle is written.
//!
//! A run holds an exclusive OS file lock (`flock`) on `<bundle>.lock` from start to end
//! ([`OutputLock`]), so two runs on one output cannot do the work twice or interleave their
//! checkpoints: the second is refused at once with [`RunError::Locked`]. The operating system
//! releases the lock when its process ends, however it ends, so a crash leaves nothing
//! stale behind.
//!
//! A run can be offered the bundle of an earlier backup ([`ProveJob::reuse`]: `prove --reuse
//! OLD`). A chunk whose public values, computed from this backup and the key, equal those of
//! the old bundle's chunk at the same index takes the old proof instead of a new one, once
//! the old proofs have been verified against those values (one batch; if it fails, each on
//! its own, and the failing chunks are proven instead: [`RunReport::reuse_rejected`]). Reused
//! proofs are checkpointed together (one `reused.json`: a file and an fsync per chunk cost
//! ~0.5 s at 390 chunks), so a resumed run needs no `--reuse`; the bundle is written the
//! same way.

use crate::prove::{ChunkProver, ProveError};
use ark_bn254::{Bn254, Fr};
use rand::rngs::OsRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use zkbackup_core::chunk::{ChunkError, ChunkPublic, ChunkShape, ChunkWitness};
use zkbackup_core::field::to_hex;
use zkbackup_core::lean_imt;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::records::Records;
use zkbackup_verifier::bundle::{
    circuit_id, write_bundle, Bundle, BundleError, ChunkProof, BUNDLE_VERSION,
};
use zkbackup_verifier::{
    batch_verify, prepare_verifying_key, verify_chunk, PreparedVerifyingKey, VerifyingKey,
};

/// Why a proving run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The records, escrow key, backup and proving keys do not belong together.
    #[error("{0}")]
    Mismatch(String),
    /// A chunk could not be proven.
    #[error("chunk {chunk}")]
    Chunk {
        /// The chunk index.
        chunk: usize,
        /// The cause.
        source: ProveError,
    },
    /// The run was stopped; its finished chunks are checkpointed for the next run.
    #[error("interrupted after {done} of {total} chunks; run again to resume")]
    Interrupted {
        /// Chunks finished (checkpointed).
        done: usize,
        /// Chunks in the backup.
        total: usize,
    },
    /// Another run holds the output's lock: it is writing the same bundle.
    #[error("another run is writing this bundle: it holds the lock on {}", lock.display())]
    Locked {
        /// The lock file.
        lock: PathBuf,
    },
    /// The bundle exists already (an earlier run finished); it is never overwritten.
    #[error("{}: already exists; refusing to overwrite it", path.display())]
    Exists {
        /// The bundle.
        path: PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("{}: cannot lock", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The records of a chunk do not fit the keys' shape.
    #[error("chunk {chunk}")]
    Witness {
        /// The chunk index.
        chunk: usize,
        /// The cause.
        source: ChunkError,
    },
    /// A checkpoint file or directory could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A checkpoint directory's `run.json` is not a checkpoint description.
    #[error("{}: not a checkpoint description", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The checkpoint directory belongs to another run.
    #[error("{}: holds checkpoints of another backup or other keys; remove the directory to start over", dir.display())]
    ForeignCheckpoints {
        /// The checkpoint directory.
        dir: PathBuf,
    },
    /// A checkpoint or the bundle could not be written (the error names the file).
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The bundle offered for reuse ([`ProveJob::reuse`]) is for another shape, circuit or
    /// escrow key.
    #[error("cannot reuse the old bundle's proofs")]
    Reuse(#[source] ReuseMismatch),
}

/// Why the bundle offered for reuse cannot serve this run, whatever its chunks hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReuseMismatch {
    /// Its chunks have another shape than the proving keys'.
    #[error("it is for arity {found_arity} and chunk size {found_size}, the proving keys for arity {arity} and chunk size {size}")]
    Shape {
        /// The keys' arity.
        arity: usize,
        /// The keys' chunk size.
        size: usize,
        /// The old bundle's arity.
        found_arity: usize,
        /// The old bundle's chunk size.
        found_size: usize,
    },
    /// Its proofs are for another verifying key (another setup).
    #[error("it is for circuit {found}, the proving keys are circuit {expected} (another setup?)")]
    Circuit {
        /// The proving keys' circuit id.
        expected: String,
        /// The old bundle's circuit id.
        found: String,
    },
    /// It is for another escrow key.
    #[error("it is for key commitment {found}, the backup for {expected} (a backup under another escrow key?)")]
    KeyCommitment {
        /// The backup's key commitment `K` (hex).
        expected: String,
        /// The old bundle's (hex).
        found: String,
    },
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// Chunks in the backup.
    pub chunks: usize,
    /// Chunks taken from checkpoints of an earlier run.
    pub resumed: usize,
    /// Chunks proven by this run.
    pub proven: usize,
    /// Chunks whose proof was taken from the bundle offered for reuse (each verified
    /// against this backup's public values first).
    pub reused: usize,
    /// Chunks of the bundle offered for reuse whose public values matched but whose old
    /// proof did not verify: proven again instead (ascending indices).
    pub reuse_rejected: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct RunId {
    circuit_id: String,
    root: String,
    commitment: String,
    key_commitment: String,
    chunks: usize,
}

/// The checkpoint of the proofs a run reused, all in one bundle file (in the checkpoint
/// directory, beside a `chunk_<j>.json` per proven chunk).
const REUSED_CHECKPOINT: &str = "reused.json";

/// The checkpoint directory of a bundle path: `<bundle>.chunks`.
pub fn checkpoint_dir(bundle: &Path) -> PathBuf {
    let mut name = bundle
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".chunks");
    bundle.with_file_name(name)
}

/// The lock file of a bundle path: `<bundle>.lock`.
pub fn lock_path(bundle: &Path) -> PathBuf {
    let mut name = bundle
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    bundle.with_file_name(name)
}

/// An exclusive OS lock on a bundle's `<bundle>.lock`, held by one proving run at a time.
///
/// The lock is `flock(2)` (through `fs4`), not a pid file: the kernel drops it when the
/// holder's process ends, even by a crash or `kill -9`. The file is removed on drop, while
/// still locked; [`OutputLock::acquire`] checks after locking that the file it locked is
/// still the one at the path (not one a finishing run just removed), so removal cannot let
/// two runs in.
#[derive(Debug)]
pub struct OutputLock {
    bundle: PathBuf,
    path: PathBuf,
    _file: File,
}

impl OutputLock {
    /// Locks `bundle`'s lock file, creating it; [`RunError::Locked`] if another run holds it.
    pub fn acquire(bundle: &Path) -> Result<Self, RunError> {
        use fs4::fs_std::FileExt;
        let path = lock_path(bundle);
        let lock_err = |source| RunError::Lock {
            path: path.clone(),
            source,
        };
        loop {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(lock_err)?;
            match file.try_lock_exclusive() {
                Ok(true) => {}
                Ok(false) => return Err(RunError::Locked { lock: path }),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Err(RunError::Locked { lock: path })
                }
                Err(e) => return Err(lock_err(e)),
            }
            if same_file(&file, &path) {
                return Ok(Self {
                    bundle: bundle.to_path_buf(),
                    path,
                    _file: file,
                });
            }
            // A finishing run removed (and maybe another run re-created) the file between
            // our open and our lock: lock the file that is there now.
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the file handle right after.
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether `file` is the file now at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a run over a backup must prove ([`ProveJob::plan`]).
pub struct Plan {
    /// The proving keys' chunk shape.
    pub shape: ChunkShape,
    /// The proving keys' circuit id.
    pub circuit_id: String,
    /// The public values each chunk's proof must have, computed from the backup, its
    /// decrypted records and the key (index = chunk).
    pub publics: Vec<ChunkPublic>,
    /// The chunks to prove (ascending): all but the reused ones.
    pub to_prove: Vec<usize>,
    /// Proofs taken from the bundle offered for reuse, each verified against `publics`.
    pub reused: Vec<ChunkProof>,
    /// Chunks of that bundle whose public values matched but whose proof did not verify.
    pub reuse_rejected: Vec<usize>,
    /// The verifying key, prepared.
    pub pvk: PreparedVerifyingKey<Bn254>,
    /// The bundle's header (no chunks).
    empty: Bundle,
}

impl Plan {
    /// The bundle of this backup holding `chunks` (in index order), exactly as
    /// [`ProveJob::run`] writes it.
    pub fn bundle(&self, chunks: Vec<ChunkProof>) -> Bundle {
        Bundle {
            chunks,
            ..self.empty.clone()
        }
    }
}

/// Everything a run needs.
pub struct ProveJob<'a> {
    /// The backup file's content.
    pub backup: &'a Backup,
    /// The records it encrypts.
    pub records: &'a Records,
    /// The escrow key.
    pub key: &'a EscrowKey,
    /// The prover for the backup's shape.
    pub prover: &'a ChunkProver,
    /// Where the bundle goes.
    pub out: &'a Path,
    /// Chunks proven at once (bounds memory: one witness and proof in flight per job).
    pub jobs: usize,
    /// Set (e.g. by a Ctrl-C handler) to stop starting new chunks; finished ones stay
    /// checkpointed and the run returns [`RunError::Interrupted`].
    pub stop: Option<&'a AtomicBool>,
    /// The bundle of an earlier backup (e.g. the parent of an incremental one): a chunk
    /// whose public values equal those of the old bundle's chunk at the same index takes
    /// its old proof, once verified (see the [module docs](self)). It must be for the same
    /// proving keys (circuit id, shape) and escrow key: else [`RunError::Reuse`].
    pub reuse: Option<&'a Bundle>,
}

impl ProveJob<'_> {
    /// Checks that the inputs belong together; returns the keys' shape and the chunk roots of
    /// the records (their state root is the backup's).
    fn check(&self) -> Result<(ChunkShape, Vec<Fr>), RunError> {
        let h = self.backup.header();
        let shape = self.prover.shape();
        let mismatch = |m: String| Err(RunError::Mismatch(m));
        if (h.arity, h.chunk_size) != (shape.arity, shape.chunk_size) {
            return mismatch(format!(
                "the backup has arity {} and chunk size {}, the keys are for arity {} and chunk size {}",
                h.arity, h.chunk_size, shape.arity, shape.chunk_size
            ));
        }
        if self.records.arity() != h.arity || self.records.len() as u64 != h.records {
            return mismatch(format!(
                "the records file has {} records of arity {}, the backup {} of arity {}",
                self.records.len(),
                self.records.arity(),
                h.records,
                h.arity
            ));
        }
        if self.key.commitment() != h.key_commitment {
            return mismatch(
                "the key does not match the backup's key commitment (wrong key file?)".into(),
            );
        }
        let chunk_roots = self.records.chunk_roots(shape.chunk_size);
        if lean_imt::root_of_chunk_roots(&chunk_roots).expect("not empty") != h.root {
            return mismatch("the records' state root differs from the backup's root (records of another state?)".into());
        }
        if chunk_roots.len() != self.backup.chunks().len() {
            return mismatch(format!(
                "the records make {} chunks of {}, the backup has {}",
                chunk_roots.len(),
                shape.chunk_size,
                self.backup.chunks().len()
            ));
        }
        Ok((shape, chunk_roots))
    }

    /// The public values a proof of chunk `j` must have: the chunk root of its records, the
    /// commitment of its stored ciphertext, `K`, its nonce and record count.
    fn expected_public(&self, shape: ChunkShape, chunk_roots: &[Fr], j: usize) -> ChunkPublic {
        let chunk = &self.backup.chunks()[j];
        let count = self.records.len() - j * shape.chunk_size;
        ChunkPublic {
            chunk_root: chunk_roots[j],
            chunk_commitment: chunk.commitment,
            key_commitment: self.key.commitment(),
            nonce: Fr::from(chunk.nonce),
            count: Fr::from(count.min(shape.chunk_size) as u64),
        }
    }

    /// The proofs of `old` for chunks among `pending` whose public values are unchanged, once
    /// verified: the good ones, and the indices of those whose old proof does not verify.
    fn reusable(
        &self,
        old: &Bundle,
        pvk: &PreparedVerifyingKey<Bn254>,
        shape: ChunkShape,
        chunk_roots: &[Fr],
        pending: &[usize],
    ) -> Result<(Vec<ChunkProof>, Vec<usize>), RunError> {
        let by_index: HashMap<usize, &ChunkProof> =
            old.chunks.iter().map(|c| (c.index, c)).collect();
        let offered: Vec<(usize, &ChunkProof)> = pending
            .iter()
            .filter_map(|&j| by_index.get(&j).map(|&c| (j, c)))
            .collect();
        // A proof binds the stored ciphertext to the records and key through the chunk
        // commitment: the stored commitments must be the ciphertext's (checked once per
        // backup; free for a backup this process assembled).
        self.backup
            .verify_commitments(Path::new("the backup"))
            .map_err(|e| RunError::Mismatch(format!("the backup is damaged: {e}")))?;
        let candidates: Vec<ChunkProof> = offered
            .into_iter()
            .filter_map(|(j, old)| {
                let public = self.expected_public(shape, chunk_roots, j);
                (old.public_inputs == public).then(|| ChunkProof {
                    index: j,
                    public_inputs: public,
                    proof: old.proof.clone(),
                })
            })
            .collect();
        Ok(verify_proofs(pvk, candidates))
    }

    /// The bundle of this backup holding `chunks`, for the keys of `circuit_id`.
    fn bundle(&self, circuit_id: &str, shape: ChunkShape, chunks: Vec<ChunkProof>) -> Bundle {
        Bundle {
            version: BUNDLE_VERSION,
            circuit_id: circuit_id.to_owned(),
            chain_id: None,
            contract: None,
            block: None,
            arity: shape.arity,
            chunk_size: shape.chunk_size,
            records: self.backup.header().records,
            root: self.backup.root(),
            commitment: self.backup.commitment(),
            key_commitment: self.backup.key_commitment(),
            chunks,
        }
    }

    /// What a run must prove, decided as [`ProveJob::run`] decides it but without proving or
    /// checkpointing anything: for a prover elsewhere (the distributed run of
    /// `zkbackup-queue`), which then assembles the bundle with [`Plan::bundle`].
    pub fn plan(&self) -> Result<Plan, RunError> {
        let (shape, chunk_roots) = self.check()?;
        let vk: VerifyingKey<Bn254> = self.prover.proving_key().vk.clone().into();
        let pvk = prepare_verifying_key(&vk);
        let circuit = circuit_id(&vk);
        let total = self.backup.chunks().len();
        let (reused, reuse_rejected) = match self.reuse {
            Some(old) => {
                check_reuse(old, shape, &circuit, self.backup.key_commitment())
                    .map_err(RunError::Reuse)?;
                let all: Vec<usize> = (0..total).collect();
                self.reusable(old, &pvk, shape, &chunk_roots, &all)?
            }
            None => (Vec::new(), Vec::new()),
        };
        let taken: HashSet<usize> = reused.iter().map(|e| e.index).collect();
        let publics = (0..total)
            .map(|j| self.expected_public(shape, &chunk_roots, j))
            .collect();
        let empty = self.bundle(&circuit, shape, Vec::new());
        Ok(Plan {
            shape,
            circuit_id: circuit,
            publics,
            to_prove: (0..total).filter(|j| !taken.contains(j)).collect(),
            reused,
            reuse_rejected,
            pvk,
            empty,
        })
    }

    /// Proves every chunk not yet checkpointed, `jobs` at a time, calling `progress(done,
    /// total)` once with the chunks taken from checkpoints and then after each chunk
    /// proven; then writes the bundle and removes the checkpoints. Holds the output's
    /// [`OutputLock`] throughout.
    pub fn run(
        &self,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Bundle, RunReport), RunError> {
        let lock = OutputLock::acquire(self.out)?;
        self.run_locked(&lock, progress)
    }

    /// [`ProveJob::run`] under a lock the caller took earlier (e.g. before the slow reading
    /// of its inputs, so that a second run is refused at once).
    pub fn run_locked(
        &self,
        lock: &OutputLock,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Bundle, RunReport), RunError> {
        if lock.bundle != self.out {
            return Err(RunError::Mismatch(format!(
                "the lock held is for {}, not for {}",
                lock.bundle.display(),
                self.out.display()
            )));
        }
        if self.out.symlink_metadata().is_ok() {
            return Err(RunError::Exists {
                path: self.out.to_path_buf(),
            });
        }
        let (shape, chunk_roots) = self.check()?;
        let vk: VerifyingKey<Bn254> = self.prover.proving_key().vk.clone().into();
        let pvk = prepare_verifying_key(&vk);
        let id = RunId {
            circuit_id: circuit_id(&vk),
            root: to_hex(&self.backup.root()),
            commitment: to_hex(&self.backup.commitment()),
            key_commitment: to_hex(&self.backup.key_commitment()),
            chunks: self.backup.chunks().len(),
        };
        if let Some(old) = self.reuse {
            check_reuse(old, shape, &id.circuit_id, self.backup.key_commitment())
                .map_err(RunError::Reuse)?;
        }
        let dir = checkpoint_dir(self.out);
        prepare_checkpoints(&dir, &id)?;

        let total = self.backup.chunks().len();
        let header = |chunks: Vec<ChunkProof>| self.bundle(&id.circuit_id, shape, chunks);
        let checkpoint = |entry: &ChunkProof| -> Result<(), RunError> {
            let path = dir.join(format!("chunk_{}.json", entry.index));
            write_bundle(&path, &header(vec![entry.clone()]))?;
            Ok(())
        };

        let arity = shape.arity;
        let fields = self.records.fields();
        // Chunk `j`'s witness: its records (decrypted from this backup), the key, its nonce.
        let witness = |j: usize| -> Result<ChunkWitness, RunError> {
            let chunk = &self.backup.chunks()[j];
            let start = j * shape.chunk_size * arity;
            let end = (start + shape.chunk_size * arity).min(fields.len());
            ChunkWitness::new(
                shape,
                fields[start..end].to_vec(),
                self.key.clone(),
                chunk.nonce,
            )
            .map_err(|source| RunError::Witness { chunk: j, source })
        };
        // The witness's public values must be the backup's chunk `j`: its commitment (of
        // the stored ciphertext) and nonce.
        let matches_backup = |j: usize, public: &ChunkPublic| -> Result<(), String> {
            let chunk = &self.backup.chunks()[j];
            if public.chunk_commitment == chunk.commitment && public.nonce == Fr::from(chunk.nonce)
            {
                Ok(())
            } else {
                Err(format!(
                    "chunk {j}: the backup's ciphertext is not the encryption of these records under this key"
                ))
            }
        };

        // Keep the checkpoints that match this backup and verify: one file per proven chunk,
        // and one for the reused proofs.
        let matches = |entry: &ChunkProof| {
            let chunk = self.backup.chunks().get(entry.index);
            chunk.is_some_and(|chunk| {
                entry.public_inputs.chunk_commitment == chunk.commitment
                    && entry.public_inputs.nonce == Fr::from(chunk.nonce)
            })
        };
        let read = |path: PathBuf| -> Vec<ChunkProof> {
            let text = fs::read_to_string(path).ok();
            let bundle = text.and_then(|t| Bundle::from_json(&t).ok());
            bundle.map_or_else(Vec::new, |b| b.chunks)
        };
        let mut found: Vec<ChunkProof> = (0..total)
            .filter_map(|j| {
                let entry = read(dir.join(format!("chunk_{j}.json")))
                    .into_iter()
                    .next()?;
                (entry.index == j && matches(&entry)).then_some(entry)
            })
            .collect();
        let proven: HashSet<usize> = found.iter().map(|e| e.index).collect();
        let mut reused_found: Vec<ChunkProof> = read(dir.join(REUSED_CHECKPOINT))
            .into_iter()
            .filter(|e| !proven.contains(&e.index) && matches(e))
            .collect();
        reused_found.sort_by_key(|e| e.index);
        reused_found.dedup_by_key(|e| e.index);
        found.extend(reused_found);
        let mut done: Vec<Option<ChunkProof>> = vec![None; total];
        for entry in verify_proofs(&pvk, found).0 {
            let j = entry.index;
            done[j] = Some(entry);
        }
        let resumed = done.iter().filter(|d| d.is_some()).count();

        // Take the old bundle's proofs of chunks whose public values are unchanged, once
        // verified against the values computed here.
        let mut reused = 0;
        let mut reuse_rejected = Vec::new();
        if let Some(old) = self.reuse {
            let pending: Vec<usize> = (0..total).filter(|&j| done[j].is_none()).collect();
            let (good, bad) = self.reusable(old, &pvk, shape, &chunk_roots, &pending)?;
            // Checkpointed together in one file (a file per chunk costs a write and an fsync
            // each: ~0.5 s for 390 chunks).
            if !good.is_empty() {
                write_bundle(&dir.join(REUSED_CHECKPOINT), &header(good.clone()))?;
            }
            reused = good.len();
            reuse_rejected = bad;
            for entry in good {
                let j = entry.index;
                done[j] = Some(entry);
            }
        }

        // Progress counts the chunks to prove: those left, and those resumed.
        let to_prove = total - reused;
        let pending: Vec<usize> = (0..total).filter(|&j| done[j].is_none()).collect();
        let finished = AtomicUsize::new(resumed);
        progress(resumed, to_prove);
        // Enough chunks to pay for the fixed-base tables: built here, once, before the first.
        if !pending.is_empty() {
            self.prover.expect_proofs(pending.len());
        }

        let prove_one = |j: usize| -> Result<ChunkProof, RunError> {
            let (public, proof) = self
                .prover
                .prove_checked(witness(j)?, &mut OsRng, |public| matches_backup(j, public))
                .map_err(|source| match source {
                    ProveError::Rejected(m) => RunError::Mismatch(m),
                    source => RunError::Chunk { chunk: j, source },
                })?;
            let entry = ChunkProof {
                index: j,
                public_inputs: public,
                proof: proof.into(),
            };
            // Our prove path (and its MSM engine) is checked against stock arkworks in the
            // tests; each proof is still verified before it is written (a pairing check:
            // ~0.1% of a proof), so a prover bug or a damaged key cannot reach a bundle.
            verify_chunk(&pvk, &entry.public_inputs.to_inputs(), &entry.proof).map_err(|_| {
                RunError::Chunk {
                    chunk: j,
                    source: ProveError::SelfCheck,
                }
            })?;
            checkpoint(&entry)?;
            progress(finished.fetch_add(1, Ordering::SeqCst) + 1, to_prove);
            Ok(entry)
        };

        // `jobs` workers take the next pending chunk until none is left, an error occurs or
        // a stop is asked: at most `jobs` witnesses in memory. Each proof's own MSMs and FFTs
        // run on rayon's pool. (Chunks are not rayon tasks: a worker waiting inside a proof
        // would steal and start more chunks, unbounded.)
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Vec<Result<Vec<(usize, ChunkProof)>, RunError>> =
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..self.jobs.clamp(1, pending.len().max(1)))
                    .map(|_| {
                        scope.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                if failed.load(Ordering::SeqCst)
                                    || self.stop.is_some_and(|s| s.load(Ordering::SeqCst))
                                {
                                    return Ok(mine);
                                }
                                let Some(&j) = pending.get(next.fetch_add(1, Ordering::SeqCst))
                                else {
                                    return Ok(mine);
                                };
                                match prove_one(j) {
                                    Ok(entry) => mine.push((j, entry)),
                                    Err(e) => {
                                        failed.store(true, Ordering::SeqCst);
                                        return Err(e);
                                    }
                                }
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("a proving worker panicked"))
                    .collect()
            });
        let mut proven = Vec::new();
        for r in results {
            proven.extend(r?);
        }
        let proven_count = proven.len();
        if resumed + reused + proven_count < total {
            return Err(RunError::Interrupted {
                done: resumed + reused + proven_count,
                total,
            });
        }
        for (j, entry) in proven {
            done[j] = Some(entry);
        }
        let chunks: Vec<ChunkProof> = done
            .into_iter()
            .map(|d| d.expect("every chunk proven"))
            .collect();
        let bundle = header(chunks);
        write_bundle(self.out, &bundle)?;
        fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        Ok((
            bundle,
            RunReport {
                chunks: total,
                resumed,
                proven: proven_count,
                reused,
                reuse_rejected,
            },
        ))
    }
}

/// Checks that `old` can serve a run of `shape` under the keys of `circuit` and the escrow
/// key of commitment `key_commitment`.
fn check_reuse(
    old: &Bundle,
    shape: ChunkShape,
    circuit: &str,
    key_commitment: Fr,
) -> Result<(), ReuseMismatch> {
    if (old.arity, old.chunk_size) != (shape.arity, shape.chunk_size) {
        return Err(ReuseMismatch::Shape {
            arity: shape.arity,
            size: shape.chunk_size,
            found_arity: old.arity,
            found_size: old.chunk_size,
        });
    }
    if old.circuit_id != circuit {
        return Err(ReuseMismatch::Circuit {
            expected: circuit.to_owned(),
            found: old.circuit_id.clone(),
        });
    }
    if old.key_commitment != key_commitment {
        return Err(ReuseMismatch::KeyCommitment {
            expected: to_hex(&key_commitment),
            found: to_hex(&old.key_commitment),
        });
    }
    Ok(())
}

/// Splits `entries` into those whose proof verifies against their public values and the
/// indices of those whose proof does not: one batch for all (`OsRng`'s scalars), and only if
/// it fails, each proof on its own.
pub fn verify_proofs(
    pvk: &PreparedVerifyingKey<Bn254>,
    entries: Vec<ChunkProof>,
) -> (Vec<ChunkProof>, Vec<usize>) {
    let items: Vec<_> = entries
        .iter()
        .map(|e| (e.public_inputs.to_inputs(), &e.proof))
        .collect();
    if batch_verify(pvk, &items, &mut OsRng).is_ok() {
        return (entries, Vec::new());
    }
    let ok: Vec<bool> = items
        .par_iter()
        .map(|(inputs, proof)| verify_chunk(pvk, inputs, proof).is_ok())
        .collect();
    drop(items);
    let (good, bad): (Vec<_>, Vec<_>) = entries.into_iter().zip(ok).partition(|(_, ok)| *ok);
    (
        good.into_iter().map(|(e, _)| e).collect(),
        bad.into_iter().map(|(e, _)| e.index).collect(),
    )
}

/// Creates the checkpoint directory, or checks that an existing one belongs to this run.
fn prepare_checkpoints(dir: &Path, id: &RunId) -> Result<(), RunError> {
    let meta = dir.join("run.json");
    if dir.exists() {
        let text = fs::read_to_string(&meta).map_err(io_err(&meta))?;
        let found: RunId = serde_json::from_str(&text).map_err(|source| RunError::Checkpoint {
            path: meta.clone(),
            source,
        })?;
        if &found != id {
            return Err(RunError::ForeignCheckpoints {
                dir: dir.to_path_buf(),
            });
        }
        return Ok(());
    }
    // The directory appears with its run.json or not at all: it is made under a staging
    // name and renamed, so a run killed here leaves no checkpoint directory without its
    // identity (which the next run could not resume from).
    let mut staging_name = std::ffi::OsString::from(".");
    staging_name.push(dir.file_name().unwrap_or_default());
    staging_name.push(".new");
    let staging = dir.with_file_name(staging_name);
    if staging.exists() {
        // Left by a run killed before the rename: it holds no proof.
        fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    let staged_meta = staging.join("run.json");
    let text = serde_json::to_vec_pretty(id).expect("serializable");
    zkbackup_formats::fs::write_atomic(&staged_meta, |w| w.write_all(&text))
        .map_err(io_err(&staged_meta))?;
    fs::rename(&staging, dir).map_err(io_err(dir))
}
