//! A whole backup proven chunk by chunk: the bundle verifies, and a run killed midway
//! resumes from its checkpoints without redoing finished chunks.

use ark_bn254::Fr;
use rand::{rngs::StdRng, SeedableRng};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_prover::{
    checkpoint_dir, lock_path, ChunkProver, OutputLock, ProveJob, ProvingKeys, RunError,
};
use zkbackup_verifier::verify::{verify_bundle, BackupSummary, Expected};

#[test]
fn three_chunks_last_partial_prove_resume_and_verify() {
    let mut rng = StdRng::seed_from_u64(4);
    let shape = ChunkShape::new(2, 2).unwrap();
    let prover = ProvingKeys::generate(shape, &mut rng)
        .unwrap()
        .prover()
        .unwrap();
    let vk: zkbackup_verifier::VerifyingKey<ark_bn254::Bn254> =
        prover.proving_key().vk.clone().into();
    let records = Records::new(2, (0..10u64).map(Fr::from).collect()).unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let backup = Backup::create(&records, RecordFormat::Csv, &key, 2).unwrap();
    assert_eq!(backup.chunks().len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    let stop = AtomicBool::new(false);
    let job = ProveJob {
        backup: &backup,
        records: &records,
        key: &key,
        prover: &prover,
        out: &out,
        jobs: 1,
        stop: Some(&stop),
        reuse: None,
    };

    // Stopped after the first finished chunk: its checkpoint is on disk, no bundle is.
    let stopped = job.run(&|done, _| stop.store(done >= 1, Ordering::SeqCst));
    assert!(
        matches!(stopped, Err(RunError::Interrupted { done: 1, total: 3 })),
        "{stopped:?}"
    );
    assert!(!out.exists());
    assert!(checkpoint_dir(&out).join("chunk_0.json").exists());
    stop.store(false, Ordering::SeqCst);

    let (bundle, report) = job.run(&|_, _| {}).unwrap();
    // A checkpoint of another backup would be refused, not mixed in: see run.json.
    assert_eq!(report.chunks, 3);
    assert_eq!(report.resumed, 1, "the finished chunk is not redone");
    assert_eq!(report.proven, 2);
    assert!(out.exists());
    assert!(!checkpoint_dir(&out).exists());

    let summary = BackupSummary::from_backup(&backup);
    let mut expected = Expected {
        root: records.root(),
        size: records.len() as u64,
        key_commitment: key.commitment(),
    };
    verify_bundle(&bundle, &vk, shape, &expected, Some(&summary)).unwrap();
    // Another root (e.g. the chain's root at another block) is refused.
    expected.root = Fr::from(1u64);
    assert!(verify_bundle(&bundle, &vk, shape, &expected, Some(&summary)).is_err());
}

/// Three records of arity 1 in chunks of 2 (a full chunk and a partial one): the prover,
/// records, key and backup, and the bundle path `b.json` in a temporary directory.
struct Small {
    prover: ChunkProver,
    records: Records,
    key: EscrowKey,
    backup: Backup,
    _dir: tempfile::TempDir,
    out: PathBuf,
}

impl Small {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let shape = ChunkShape::new(1, 2).unwrap();
        let prover = ProvingKeys::generate(shape, &mut rng)
            .unwrap()
            .prover()
            .unwrap();
        let records = Records::new(1, (0..3u64).map(Fr::from).collect()).unwrap();
        let key = EscrowKey::generate_with(&mut rng);
        let backup = Backup::create(&records, RecordFormat::Csv, &key, 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.json");
        Self {
            prover,
            records,
            key,
            backup,
            _dir: dir,
            out,
        }
    }

    /// A one-worker job on `b.json` of this backup, with these records and key.
    fn job<'a>(&'a self, records: &'a Records, key: &'a EscrowKey) -> ProveJob<'a> {
        ProveJob {
            backup: &self.backup,
            records,
            key,
            prover: &self.prover,
            out: &self.out,
            jobs: 1,
            stop: None,
            reuse: None,
        }
    }
}

#[test]
fn a_wrong_key_or_foreign_records_are_refused_before_proving() {
    let f = Small::new(5);
    let other_key = EscrowKey::generate_with(&mut StdRng::seed_from_u64(55));
    let job = f.job(&f.records, &other_key);
    assert!(matches!(job.run(&|_, _| {}), Err(RunError::Mismatch(m)) if m.contains("key")));

    let other = Records::new(1, (5..8u64).map(Fr::from).collect()).unwrap();
    let job = f.job(&other, &f.key);
    assert!(matches!(job.run(&|_, _| {}), Err(RunError::Mismatch(m)) if m.contains("root")));
    assert!(!f.out.exists());
}

#[test]
fn a_locked_output_is_refused_and_an_existing_bundle_is_never_overwritten() {
    let f = Small::new(6);
    let out = &f.out;
    let job = f.job(&f.records, &f.key);

    let held = OutputLock::acquire(out).unwrap();
    assert_eq!(held.path(), lock_path(out));
    match job.run(&|_, _| {}) {
        Err(RunError::Locked { lock }) => assert_eq!(lock, lock_path(out)),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(!checkpoint_dir(out).exists(), "no work done");
    // The lock's holder runs under it.
    job.run_locked(&held, &|_, _| {}).unwrap();
    drop(held);
    assert!(!lock_path(out).exists());

    let before = std::fs::read(out).unwrap();
    assert!(matches!(job.run(&|_, _| {}), Err(RunError::Exists { path }) if path == *out));
    assert_eq!(std::fs::read(out).unwrap(), before);
}

/// A run killed while creating its checkpoint directory leaves at most the staging
/// directory (never a checkpoint directory without its run.json, which no later run could
/// resume from); the next run clears it and proves.
#[test]
fn a_checkpoint_directory_left_half_made_by_a_killed_run_does_not_block_the_next() {
    let f = Small::new(7);
    let staging = f.out.with_file_name(".b.json.chunks.new");
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join("run.json"), "{\"circ").unwrap();
    let job = f.job(&f.records, &f.key);
    let (bundle, report) = job.run(&|_, _| {}).unwrap();
    assert_eq!((report.proven, bundle.chunks.len()), (2, 2));
    assert!(!staging.exists());
    assert!(
        !checkpoint_dir(&f.out).exists(),
        "checkpoints removed after the bundle"
    );
}

#[test]
fn a_proof_that_does_not_verify_is_never_written() {
    // A proving key damaged in its prover-only part (δ in G1; the verifying key inside it
    // intact): the prover makes proofs that the key's own verifying key refuses. The run
    // verifies each proof before it checkpoints it, so nothing reaches the disk.
    let f = Small::new(8);
    let mut pk = f.prover.proving_key().clone();
    pk.delta_g1 = (pk.delta_g1 + pk.vk.alpha_g1).into();
    let damaged = ChunkProver::new(f.prover.shape(), pk).unwrap();
    let job = ProveJob {
        prover: &damaged,
        ..f.job(&f.records, &f.key)
    };
    let result = job.run(&|_, _| {});
    assert!(
        matches!(
            result,
            Err(RunError::Chunk {
                chunk: 0,
                source: zkbackup_prover::ProveError::SelfCheck
            })
        ),
        "{result:?}"
    );
    assert!(!f.out.exists());
    assert!(!checkpoint_dir(&f.out).join("chunk_0.json").exists());
    // The same job with the intact key proves and writes the bundle.
    f.job(&f.records, &f.key).run(&|_, _| {}).unwrap();
    assert!(f.out.exists());
}
