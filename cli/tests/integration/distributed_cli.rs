//! `prove --queue` and `worker` against a real PostgreSQL (initdb + pg_ctl in a temporary
//! directory): workers prove a backup and the bundle verifies and has local prove's format; a
//! worker killed mid-job loses nothing and each chunk is proven once; a poisoned job fails
//! cleanly and the coordinator says which; a killed coordinator's run is resumed, and two
//! coordinators on one run do not double the work.
//!
//! Leases are 2 s and polls 100 ms, so nothing here waits long.

use crate::common::{backup, ok, prove_cmd, s, setup, verify_cmd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use zkbackup_queue::testing::TempPostgres;

/// 33 records of arity 2 in chunks of 2: 17 chunks, the last partial (the smallest shape).
const RECORDS: usize = 33;
const CHUNKS: i64 = 17;

struct World {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    /// The server, stopped when the test ends.
    _pg: TempPostgres,
    url: String,
    root: String,
}

impl World {
    fn p(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn db(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    /// `prove --queue` in the background, its output to `<out>.log`.
    fn coordinator(&self, out: &str, extra: &[&str]) -> Child {
        let cmd = prove_cmd(
            &self.p("backup.zkb"),
            &self.p("key.json"),
            &self.p("keys"),
            &self.p(out),
        )
        .flag("--queue", &self.url)
        .flag("--poll-ms", 100)
        .arg("--json")
        .args(extra);
        spawn(&cmd.to_vec(), &self.p(&format!("{out}.log")))
    }

    /// `worker` in the background with 2 s leases, its output to `worker-<tag>.log`.
    fn worker(&self, tag: &str, key: &Path) -> Child {
        let keys = self.p("keys");
        let args = [
            "worker",
            "--queue",
            self.url.as_str(),
            "--keys-dir",
            s(&keys),
            "--key",
            s(key),
            "--lease-secs",
            "2",
            "--poll-ms",
            "100",
        ];
        spawn(&args, &self.p(&format!("worker-{tag}.log")))
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.p(name)).unwrap_or_default()
    }

    fn key_commitment(&self) -> String {
        let key =
            <zkbackup_core::EscrowKey as zkbackup_formats::KeyFile>::read(&self.p("key.json"))
                .unwrap();
        zkbackup_core::field::to_hex(&key.commitment())
    }

    /// `verify` with what the auditor trusts.
    fn verifies(&self, bundle: &str) {
        verify_cmd(&self.p(bundle), &self.p("keys"))
            .path("--backup", &self.p("backup.zkb"))
            .trusted(&self.root, RECORDS, &self.key_commitment())
            .ok();
    }

    /// One scalar from the database.
    fn count(&self, sql: &str) -> i64 {
        self.db().query_one(sql, &[]).unwrap().get(0)
    }

    /// Waits (at most 60 s) until `sql` counts at least `n` (the tables may not exist yet:
    /// the coordinator creates them).
    fn wait_for(&self, sql: &str, n: i64) {
        let start = Instant::now();
        let mut db = self.db();
        let count =
            |db: &mut postgres::Client| db.query_one(sql, &[]).map_or(0, |r| r.get::<_, i64>(0));
        while count(&mut db) < n {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {sql}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every chunk has exactly one proof row.
    fn one_proof_per_chunk(&self) {
        let rows = self
            .db()
            .query(
                "SELECT chunk, count(*) FROM zkb_proofs GROUP BY chunk ORDER BY chunk",
                &[],
            )
            .unwrap();
        let found: Vec<(i32, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let expected: Vec<(i32, i64)> = (0..CHUNKS as i32).map(|j| (j, 1)).collect();
        assert_eq!(found, expected);
    }
}

fn spawn(args: &[&str], log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .env("XDG_CACHE_HOME", crate::common::cache_home())
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(file)
        .spawn()
        .expect("run zkbackup")
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let records: String = (0..RECORDS)
        .map(|i| format!("{},{}\n", i * 7 + 1, i * 11 + 2))
        .collect();
    std::fs::write(dir.join("records.csv"), records).unwrap();
    let root = ok(&["root", "--records", s(&dir.join("records.csv"))])
        .trim()
        .to_string();
    ok(&["keygen", "--out", s(&dir.join("key.json"))]);
    ok(&["keygen", "--out", s(&dir.join("other-key.json"))]);
    backup(
        &dir.join("records.csv"),
        &dir.join("key.json"),
        &dir.join("backup.zkb"),
        2,
    );
    setup(2, 2, &dir.join("keys"));
    let pg = TempPostgres::start().expect("a PostgreSQL server (apt-get install postgresql)");
    let url = pg.url();
    World {
        _dir: tmp,
        dir,
        _pg: pg,
        url,
        root,
    }
}

/// Waits (at most 60 s) for `child` to exit; kills it and fails if it does not.
fn wait(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{what} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM, then waits: a worker finishes its job and exits 0.
fn terminate(child: Child, what: &str) -> Output {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait(child, what)
}

/// The bundle's JSON without its proofs (randomized: they differ from run to run).
fn without_proofs(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for chunk in v["chunks"].as_array_mut().unwrap() {
        chunk.as_object_mut().unwrap().remove("proof");
    }
    v
}

#[test]
fn three_workers_prove_a_backup_and_the_bundle_is_local_proves() {
    let w = world();
    let coordinator = w.coordinator("bundle.json", &[]);
    let workers: Vec<Child> = (0..3)
        .map(|i| w.worker(&i.to_string(), &w.p("key.json")))
        .collect();
    let out = wait(coordinator, "the coordinator");
    assert!(out.status.success(), "{}", w.log("bundle.json.log"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["chunks"], CHUNKS);
    assert_eq!(report["proven"], CHUNKS);
    assert_eq!(report["attached"], false);
    for (i, worker) in workers.into_iter().enumerate() {
        let out = terminate(worker, "a worker");
        assert_eq!(
            out.status.code(),
            Some(0),
            "SIGTERM: a clean exit: {}",
            w.log(&format!("worker-{i}.log"))
        );
    }
    w.verifies("bundle.json");
    w.one_proof_per_chunk();
    // The same bundle as a local run's, proofs aside (each proof is randomized).
    prove_cmd(
        &w.p("backup.zkb"),
        &w.p("key.json"),
        &w.p("keys"),
        &w.p("local.json"),
    )
    .ok();
    assert_eq!(
        without_proofs(&w.p("bundle.json")),
        without_proofs(&w.p("local.json"))
    );
    // Re-running on a finished run writes the bundle again from the stored proofs.
    std::fs::rename(w.p("bundle.json"), w.p("first.json")).unwrap();
    let again = wait(w.coordinator("bundle.json", &[]), "the coordinator, again");
    assert!(again.status.success(), "{}", w.log("bundle.json.log"));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["attached"], true);
    w.verifies("bundle.json");
    assert_eq!(w.count("SELECT count(*) FROM zkb_runs"), 1);
}

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_each_chunk_is_proven_once() {
    let w = world();
    let coordinator = w.coordinator("bundle.json", &[]);
    let mut victim = w.worker("victim", &w.p("key.json"));
    let pid = victim.id();
    let held_by_victim = format!(
        "SELECT count(*) FROM zkb_jobs WHERE state = 'leased' AND leased_by LIKE '%/{pid}/%'"
    );
    w.wait_for(&held_by_victim, 1);
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    let lost: Vec<i32> = w
        .db()
        .query(
            &format!(
                "SELECT chunk FROM zkb_jobs WHERE state = 'leased' AND leased_by LIKE '%/{pid}/%'"
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!lost.is_empty(), "the victim died holding a job");
    let rescuers: Vec<Child> = (0..2)
        .map(|i| w.worker(&i.to_string(), &w.p("key.json")))
        .collect();
    let out = wait(coordinator, "the coordinator");
    assert!(out.status.success(), "{}", w.log("bundle.json.log"));
    for r in rescuers {
        terminate(r, "a worker");
    }
    w.verifies("bundle.json");
    w.one_proof_per_chunk();
    // The victim's jobs were taken over after its lease expired: a second attempt, and a
    // proof from another worker.
    for chunk in lost {
        let row = w
            .db()
            .query_one(
                "SELECT j.attempts, p.worker FROM zkb_jobs j JOIN zkb_proofs p USING (run_id, chunk) WHERE chunk = $1",
                &[&chunk],
            )
            .unwrap();
        let (attempts, worker): (i32, String) = (row.get(0), row.get(1));
        assert!(attempts >= 2, "chunk {chunk}: {attempts} attempt(s)");
        assert!(
            !worker.contains(&format!("/{pid}/")),
            "chunk {chunk} proven by {worker}"
        );
    }
}

#[test]
fn a_poisoned_job_fails_cleanly_and_a_bad_proof_is_refused() {
    let w = world();
    let coordinator = w.coordinator("bundle.json", &["--max-attempts", "2"]);
    w.wait_for("SELECT count(*) FROM zkb_jobs", CHUNKS);
    let mut db = w.db();
    // Chunk 3's ciphertext altered in the database (one bit of its first element).
    db.execute(
        "UPDATE zkb_jobs SET ciphertext = set_byte(ciphertext, 31, get_byte(ciphertext, 31) # 1) WHERE chunk = 3",
        &[],
    )
    .unwrap();
    // A "worker" that stores a proof of zeros for chunk 0 without proving anything.
    db.batch_execute(
        "UPDATE zkb_jobs SET state = 'done', attempts = 1 WHERE chunk = 0;
         INSERT INTO zkb_proofs (run_id, chunk, proof, worker)
             SELECT run_id, 0, decode(repeat('00', 128), 'hex'), 'evil' FROM zkb_jobs WHERE chunk = 0",
    )
    .unwrap();
    // A worker with the wrong escrow key takes no job (so it cannot burn their attempts).
    let wrong = w.worker("wrong", &w.p("other-key.json"));
    let good: Vec<Child> = (0..2)
        .map(|i| w.worker(&i.to_string(), &w.p("key.json")))
        .collect();
    let out = wait(coordinator, "the coordinator");
    let stderr = w.log("bundle.json.log");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("chunk 3 after 2 attempt(s)"), "{stderr}");
    assert!(
        stderr.contains("does not decrypt under the escrow key"),
        "{stderr}"
    );
    assert!(!w.p("bundle.json").exists(), "no bundle for a failed run");
    for r in good {
        terminate(r, "a worker");
    }
    let wrong_out = terminate(wrong, "the wrong-key worker");
    assert_eq!(wrong_out.status.code(), Some(0));
    let log = w.log("worker-wrong.log");
    assert!(log.contains("0 proven, 0 refused"), "{log}");
    let row = db
        .query_one(
            "SELECT state, last_error FROM zkb_jobs WHERE chunk = 3",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "failed");
    // The zero proof was refused, never bundled: its job went back to the queue with why.
    let refused: i64 = db
        .query_one("SELECT count(*) FROM zkb_proofs WHERE worker = 'evil'", &[])
        .unwrap()
        .get(0);
    assert_eq!(refused, 0);
    let chunk0 = db
        .query_one("SELECT attempts FROM zkb_jobs WHERE chunk = 0", &[])
        .unwrap();
    assert!(chunk0.get::<_, i32>(0) >= 1);
}

#[test]
fn a_killed_coordinator_is_resumed_and_two_coordinators_share_the_run() {
    let w = world();
    let mut first = w.coordinator("bundle.json", &[]);
    let worker = w.worker("0", &w.p("key.json"));
    w.wait_for("SELECT count(*) FROM zkb_proofs", 4);
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    assert!(!w.p("bundle.json").exists());
    // Two coordinators at once (two outputs): both attach to the one run.
    let a = w.coordinator("bundle.json", &[]);
    let b = w.coordinator("other.json", &[]);
    let more = w.worker("1", &w.p("key.json"));
    for (c, out) in [(a, "bundle.json"), (b, "other.json")] {
        let o = wait(c, "a coordinator");
        assert!(o.status.success(), "{}", w.log(&format!("{out}.log")));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(report["attached"], true);
        w.verifies(out);
    }
    terminate(worker, "a worker");
    terminate(more, "a worker");
    assert_eq!(w.count("SELECT count(*) FROM zkb_runs"), 1);
    assert_eq!(
        w.count("SELECT count(*) FROM zkb_jobs"),
        CHUNKS,
        "no job twice"
    );
    w.one_proof_per_chunk();
}
