//! Delta proofs (`prove --reuse OLD`): a chunk whose public values are those of the old
//! bundle's chunk at the same index takes its old proof, verified first; every other chunk is
//! proven; the bundle verifies exactly like one proven from scratch.

use ark_bn254::{Bn254, Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use rand::{rngs::StdRng, SeedableRng};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use zkbackup_core::chunk::ChunkShape;
use zkbackup_core::EscrowKey;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::records::{RecordFormat, Records};
use zkbackup_prover::{
    checkpoint_dir, ChunkProver, ProveJob, ProvingKeys, ReuseMismatch, RunError, RunReport,
};
use zkbackup_verifier::bundle::read_bundle;
use zkbackup_verifier::verify::{verify_bundle, BackupSummary, Expected};
use zkbackup_verifier::{Bundle, VerifyingKey};

struct Fixture {
    shape: ChunkShape,
    prover: ChunkProver,
    vk: VerifyingKey<Bn254>,
    records: Records,
    key: EscrowKey,
    backup: Backup,
    dir: tempfile::TempDir,
}

/// `n` records of `arity` in chunks of `chunk_size`, backed up under a fresh key.
fn fixture(seed: u64, arity: usize, chunk_size: usize, n: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let shape = ChunkShape::new(arity, chunk_size).unwrap();
    let prover = ProvingKeys::generate(shape, &mut rng)
        .unwrap()
        .prover()
        .unwrap();
    let vk = prover.proving_key().vk.clone().into();
    let records = Records::new(arity, (0..n * arity as u64).map(Fr::from).collect()).unwrap();
    let key = EscrowKey::generate_with(&mut rng);
    let backup = Backup::create(&records, RecordFormat::Csv, &key, chunk_size).unwrap();
    Fixture {
        shape,
        prover,
        vk,
        records,
        key,
        backup,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Fixture {
    fn job<'a>(
        &'a self,
        backup: &'a Backup,
        out: &'a Path,
        reuse: Option<&'a Bundle>,
    ) -> ProveJob<'a> {
        ProveJob {
            backup,
            records: &self.records,
            key: &self.key,
            prover: &self.prover,
            out,
            jobs: 2,
            stop: None,
            reuse,
        }
    }

    /// Proves `backup` into `name`, reusing `reuse`'s proofs.
    fn prove(
        &self,
        backup: &Backup,
        name: &str,
        reuse: Option<&Bundle>,
    ) -> Result<(Bundle, RunReport), RunError> {
        let out = self.dir.path().join(name);
        self.job(backup, &out, reuse).run(&|_, _| {})
    }

    /// Verifies `bundle` as `zkbackup verify --backup` does, against `backup`.
    fn verify(&self, bundle: &Bundle, backup: &Backup) {
        let expected = Expected {
            root: self.records.root(),
            size: self.records.len() as u64,
            key_commitment: self.key.commitment(),
        };
        let summary = BackupSummary::from_backup(backup);
        verify_bundle(bundle, &self.vk, self.shape, &expected, Some(&summary)).unwrap();
    }
}

fn public_values(bundle: &Bundle) -> Vec<(usize, [Fr; 5])> {
    bundle
        .chunks
        .iter()
        .map(|c| (c.index, c.public_inputs.to_inputs()))
        .collect()
}

#[test]
fn a_backup_re_proven_with_its_own_bundle_proves_nothing_and_writes_the_same_bundle() {
    let f = fixture(11, 2, 2, 5);
    let (old, first) = f.prove(&f.backup, "old.json", None).unwrap();
    assert_eq!((first.proven, first.reused), (3, 0));

    let (new, report) = f.prove(&f.backup, "new.json", Some(&old)).unwrap();
    assert_eq!(report.chunks, 3);
    assert_eq!(report.proven, 0);
    assert_eq!(report.reused, 3);
    assert!(report.reuse_rejected.is_empty());
    assert_eq!(public_values(&new), public_values(&old));
    assert_eq!(new, old, "same header, same proofs");
    assert_eq!(
        std::fs::read(f.dir.path().join("new.json")).unwrap(),
        std::fs::read(f.dir.path().join("old.json")).unwrap(),
        "written exactly like the bundle proven from scratch"
    );
    assert!(!checkpoint_dir(&f.dir.path().join("new.json")).exists());
    f.verify(&new, &f.backup);
}

#[test]
fn old_proofs_that_do_not_verify_are_proven_again_not_reused() {
    let f = fixture(12, 1, 2, 8);
    let (good, _) = f.prove(&f.backup, "good.json", None).unwrap();
    let mut old = good.clone();
    // Chunk 0: A moved to another point of the group (on the curve, in the subgroup).
    let a = old.chunks[0].proof.a;
    old.chunks[0].proof.a = (a + G1Affine::generator()).into_affine();
    // Chunk 1: chunk 3's proof under chunk 1's public values.
    old.chunks[1].proof = old.chunks[3].proof.clone();

    let (new, report) = f.prove(&f.backup, "new.json", Some(&old)).unwrap();
    assert_eq!(report.reuse_rejected, vec![0, 1]);
    assert_eq!(report.proven, 2);
    assert_eq!(report.reused, 2);
    assert_ne!(new.chunks[0].proof, old.chunks[0].proof);
    assert_ne!(new.chunks[1].proof, old.chunks[1].proof);
    assert_eq!(new.chunks[2..], good.chunks[2..]);
    assert_eq!(public_values(&new), public_values(&good));
    f.verify(&new, &f.backup);
}

#[test]
fn the_bundle_of_another_backup_of_the_same_records_gives_nothing_to_reuse() {
    let f = fixture(13, 2, 2, 4);
    let (old, _) = f.prove(&f.backup, "old.json", None).unwrap();
    // Same records, same key, new lineage: every nonce (and ciphertext) differs.
    let other = Backup::create(&f.records, RecordFormat::Csv, &f.key, 2).unwrap();
    assert_ne!(other.chunks()[0].nonce, f.backup.chunks()[0].nonce);

    let (new, report) = f.prove(&other, "new.json", Some(&old)).unwrap();
    assert_eq!((report.proven, report.reused), (2, 0));
    assert!(report.reuse_rejected.is_empty());
    f.verify(&new, &other);
}

#[test]
fn an_old_bundle_of_another_shape_circuit_or_escrow_key_is_refused() {
    let f = fixture(14, 1, 2, 3);
    let (good, _) = f.prove(&f.backup, "old.json", None).unwrap();
    let out = f.dir.path().join("new.json");
    let refused = |old: &Bundle| match f.job(&f.backup, &out, Some(old)).run(&|_, _| {}) {
        Err(RunError::Reuse(mismatch)) => {
            assert!(!out.exists());
            assert!(!checkpoint_dir(&out).exists(), "refused before any work");
            mismatch
        }
        other => panic!("expected RunError::Reuse, got {other:?}"),
    };

    let mut old = good.clone();
    old.chunk_size = 4;
    assert_eq!(
        refused(&old),
        ReuseMismatch::Shape {
            arity: 1,
            size: 2,
            found_arity: 1,
            found_size: 4
        }
    );

    let mut old = good.clone();
    old.circuit_id = format!("0x{}", "ab".repeat(32));
    match refused(&old) {
        ReuseMismatch::Circuit { expected, found } => {
            assert_eq!(expected, good.circuit_id);
            assert_eq!(found, old.circuit_id);
        }
        other => panic!("expected Circuit, got {other:?}"),
    }

    let mut old = good.clone();
    old.key_commitment = Fr::from(7u64);
    assert!(matches!(refused(&old), ReuseMismatch::KeyCommitment { .. }));
    // The error chain names the cause once, below the variant's own message.
    let e = f
        .job(&f.backup, &out, Some(&old))
        .run(&|_, _| {})
        .unwrap_err();
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(cause.contains("key commitment"), "{cause}");
    assert!(!e.to_string().contains("key commitment"), "{e}");
}

#[test]
fn reuse_is_by_index_and_exact_values_a_missing_chunk_is_the_only_one_proven() {
    let f = fixture(15, 2, 2, 7);
    let (good, _) = f.prove(&f.backup, "old.json", None).unwrap();
    let mut old = good.clone();
    // Chunk 1 removed: the old chunks 2 and 3 now sit at positions 1 and 2.
    old.chunks.remove(1);

    let (new, report) = f.prove(&f.backup, "new.json", Some(&old)).unwrap();
    assert_eq!((report.chunks, report.proven, report.reused), (4, 1, 3));
    assert_eq!(public_values(&new), public_values(&good));
    assert_eq!(new.chunks[0], good.chunks[0]);
    assert_eq!(new.chunks[2..], good.chunks[2..]);
    f.verify(&new, &f.backup);

    // An old entry at the right index with one public value changed is not a candidate.
    let mut old = good.clone();
    old.chunks[3].public_inputs.count += Fr::from(1u64);
    let (_, report) = f.prove(&f.backup, "new2.json", Some(&old)).unwrap();
    assert_eq!((report.proven, report.reused), (1, 3));
    assert!(report.reuse_rejected.is_empty(), "not a candidate at all");
}

#[test]
fn reused_proofs_are_checkpointed_and_a_stopped_run_resumes_without_reuse() {
    let f = fixture(16, 1, 2, 8);
    let (good, _) = f.prove(&f.backup, "old.json", None).unwrap();
    let mut old = good.clone();
    old.chunks.remove(2);

    let out = f.dir.path().join("new.json");
    let stop = AtomicBool::new(false);
    let calls = Mutex::new(Vec::new());
    let job = ProveJob {
        stop: Some(&stop),
        ..f.job(&f.backup, &out, Some(&old))
    };
    // Stopped as soon as proving starts: the reused chunks are checkpointed already.
    let stopped = job.run(&|done, total| {
        calls.lock().unwrap().push((done, total));
        stop.store(true, Ordering::SeqCst);
    });
    assert!(
        matches!(stopped, Err(RunError::Interrupted { done: 3, total: 4 })),
        "{stopped:?}"
    );
    assert_eq!(
        calls.lock().unwrap().as_slice(),
        [(0, 1)],
        "the progress counts only the chunk to prove"
    );
    // In one file, not a file per chunk.
    let dir = checkpoint_dir(&out);
    let reused = read_bundle(&dir.join("reused.json")).unwrap();
    let indices: Vec<usize> = reused.chunks.iter().map(|c| c.index).collect();
    assert_eq!(indices, [0, 1, 3]);
    for j in 0..4 {
        assert!(!dir.join(format!("chunk_{j}.json")).exists(), "chunk {j}");
    }

    // The next run, without --reuse, resumes from them.
    let (new, report) = f.job(&f.backup, &out, None).run(&|_, _| {}).unwrap();
    assert_eq!((report.resumed, report.reused, report.proven), (3, 0, 1));
    assert_eq!(public_values(&new), public_values(&good));
    f.verify(&new, &f.backup);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn runs() -> usize {
    std::env::var("ZKBACKUP_REUSE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// Re-proving 64 records (arity 4) in chunks of 8 where one chunk changed (its proof removed
/// from the old bundle), and where none did, against proving them from scratch; the three
/// alternated, medians.
/// `cargo test -p zkbackup-prover --test integration reuse::timing_delta -- --ignored --nocapture`
#[test]
#[ignore = "timing; run by hand"]
fn timing_delta_vs_scratch() {
    use std::time::Instant;
    let runs = runs();
    let f = fixture(17, 4, 8, 64);
    let (good, _) = f.prove(&f.backup, "warmup.json", None).unwrap();
    let mut old = good.clone();
    old.chunks.remove(3);
    let (mut scratch, mut delta, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let t = Instant::now();
        let (_, r) = f.prove(&f.backup, &format!("s{i}.json"), None).unwrap();
        scratch.push(t.elapsed().as_secs_f64());
        assert_eq!(r.proven, 8);
        let t = Instant::now();
        let (b, r) = f
            .prove(&f.backup, &format!("d{i}.json"), Some(&old))
            .unwrap();
        delta.push(t.elapsed().as_secs_f64());
        assert_eq!((r.proven, r.reused), (1, 7));
        f.verify(&b, &f.backup);
        let t = Instant::now();
        let (_, r) = f
            .prove(&f.backup, &format!("a{i}.json"), Some(&good))
            .unwrap();
        all.push(t.elapsed().as_secs_f64());
        assert_eq!((r.proven, r.reused), (0, 8));
    }
    let (s, d, a) = (median(scratch), median(delta), median(all));
    println!(
        "64 records, arity 4, chunks of 8, 2 jobs, {runs} alternated runs (medians): scratch \
         {:.0} ms, delta (1 of 8 chunks proven) {:.0} ms, all 8 reused {:.1} ms; \
         scratch/delta {:.2}x",
        s * 1e3,
        d * 1e3,
        a * 1e3,
        s / d
    );
}

/// What reusing costs per chunk and per record: 1,024 records (arity 4) in chunks of 32,
/// every proof reused.
/// `cargo test -p zkbackup-prover --test integration reuse::timing_reuse -- --ignored --nocapture`
#[test]
#[ignore = "timing; run by hand"]
fn timing_reuse_overhead() {
    use std::time::Instant;
    let runs = runs();
    let f = fixture(18, 4, 32, 1024);
    let t = Instant::now();
    let (good, _) = f.prove(&f.backup, "scratch.json", None).unwrap();
    let scratch = t.elapsed().as_secs_f64();
    let times: Vec<f64> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            let (_, r) = f
                .prove(&f.backup, &format!("a{i}.json"), Some(&good))
                .unwrap();
            assert_eq!((r.proven, r.reused), (0, 32));
            t.elapsed().as_secs_f64()
        })
        .collect();
    let a = median(times);
    println!(
        "1,024 records, arity 4, chunks of 32 (32 chunks), 2 jobs: scratch {:.1} s (one run), \
         all reused {:.0} ms (median of {runs}) = {:.1} ms per chunk, {:.0} us per record",
        scratch,
        a * 1e3,
        a * 1e3 / 32.0,
        a * 1e6 / 1024.0
    );
}
