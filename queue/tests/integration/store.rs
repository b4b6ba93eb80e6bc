//! Claim, lease, fence and complete-once, each against a fresh database.

use ark_bn254::Fr;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use zkbackup_core::chunk::{ChunkPublic, ChunkShape};
use zkbackup_queue::testing::TempPostgres;
use zkbackup_queue::{NewJob, Queue, QueueError, RunSpec};

/// One server for the tests that run at the same time; stopped when the last one ends.
fn server() -> Arc<TempPostgres> {
    static SHARED: Mutex<Weak<TempPostgres>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = slot.upgrade() {
        return s;
    }
    let s =
        Arc::new(TempPostgres::start().expect("a PostgreSQL server (apt-get install postgresql)"));
    *slot = Arc::downgrade(&s);
    s
}

/// A fresh database on the shared server.
fn database(name: &str) -> (Arc<TempPostgres>, String) {
    let s = server();
    let url = s.create_database(name).unwrap();
    (s, url)
}

const CIRCUIT: &str = "circuit-a";
const K: &str = "0x01";

fn spec(max_attempts: u32) -> RunSpec {
    RunSpec {
        run_key: "run-1".into(),
        circuit_id: CIRCUIT.into(),
        key_commitment: K.into(),
        shape: ChunkShape::new(2, 2).unwrap(),
        chunks: 8,
        max_attempts,
    }
}

fn jobs(n: usize) -> Vec<NewJob> {
    (0..n)
        .map(|j| NewJob {
            chunk: j,
            nonce: (7u128 << 64) + j as u128,
            length: 4,
            ciphertext: (0..7).map(|i| Fr::from((j * 10 + i) as u64)).collect(),
            public: ChunkPublic::from_inputs([
                Fr::from(j as u64),
                Fr::from(2u64),
                Fr::from(3u64),
                Fr::from(4u64),
                Fr::from(2u64),
            ]),
        })
        .collect()
}

fn proof_rows(q: &mut Queue, run: i64) -> BTreeMap<i32, i64> {
    q.client()
        .query(
            "SELECT chunk, count(*) FROM zkb_proofs WHERE run_id = $1 GROUP BY chunk",
            &[&run],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

const LEASE: Duration = Duration::from_secs(30);

#[test]
fn concurrent_claims_take_each_job_once_and_carry_its_values() {
    let (_s, url) = database("claims");
    let mut q = Queue::connect(&url).unwrap();
    let run = q.create_or_attach(&spec(3), &jobs(8)).unwrap();
    let taken = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for w in 0..4 {
            let (url, taken) = (&url, &taken);
            scope.spawn(move || {
                let mut q = Queue::connect(url).unwrap();
                let name = format!("w{w}");
                while let Some(job) = q.claim(&name, CIRCUIT, K, LEASE).unwrap() {
                    assert_eq!(job.attempt, 1);
                    assert_eq!(
                        job.chunk,
                        jobs(8)[job.chunk.chunk],
                        "the job carries its chunk"
                    );
                    q.complete(&name, &job, b"proof").unwrap();
                    taken.lock().unwrap().push(job.chunk.chunk);
                }
            });
        }
    });
    let mut taken = taken.into_inner().unwrap();
    taken.sort();
    assert_eq!(taken, (0..8).collect::<Vec<_>>(), "every job once");
    assert!(q.claim("late", CIRCUIT, K, LEASE).unwrap().is_none());
    let p = q.progress(run).unwrap();
    assert_eq!((p.done, p.queued, p.leased, p.failed), (8, 0, 0, 0));
    assert!(proof_rows(&mut q, run).values().all(|&n| n == 1));
    assert_eq!(proof_rows(&mut q, run).len(), 8);
}

#[test]
fn a_worker_with_other_keys_claims_nothing() {
    let (_s, url) = database("other_keys");
    let mut q = Queue::connect(&url).unwrap();
    q.create_or_attach(&spec(3), &jobs(2)).unwrap();
    assert!(q.claim("w", "circuit-b", K, LEASE).unwrap().is_none());
    assert!(q.claim("w", CIRCUIT, "0x02", LEASE).unwrap().is_none());
    assert!(q.claim("w", CIRCUIT, K, LEASE).unwrap().is_some());
}

#[test]
fn an_expired_lease_is_taken_over_and_the_stale_worker_is_fenced() {
    let (_s, url) = database("fence");
    let mut a = Queue::connect(&url).unwrap();
    let mut b = Queue::connect(&url).unwrap();
    let run = a.create_or_attach(&spec(3), &jobs(1)).unwrap();
    let short = Duration::from_millis(300);
    let held = a.claim("a", CIRCUIT, K, short).unwrap().unwrap();
    assert!(
        b.claim("b", CIRCUIT, K, short).unwrap().is_none(),
        "the lease holds"
    );
    std::thread::sleep(Duration::from_millis(500));
    let taken = b.claim("b", CIRCUIT, K, LEASE).unwrap().unwrap();
    assert_eq!((taken.chunk.chunk, taken.attempt), (0, 2));
    // The stale worker can neither complete nor fail the job it no longer holds.
    assert!(matches!(
        a.complete("a", &held, b"stale"),
        Err(QueueError::Fenced {
            chunk: 0,
            attempt: 1,
            ..
        })
    ));
    assert!(matches!(
        a.fail("a", &held, "x"),
        Err(QueueError::Fenced { .. })
    ));
    // Nor can it with the new attempt number under its own name.
    assert!(matches!(
        a.complete("a", &taken, b"stale"),
        Err(QueueError::Fenced { .. })
    ));
    b.complete("b", &taken, b"good").unwrap();
    // Completing twice stores nothing more.
    assert!(matches!(
        b.complete("b", &taken, b"again"),
        Err(QueueError::Fenced { .. })
    ));
    let stored = b.proofs_after(run, 0).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].proof.as_slice(), stored[0].worker.as_str()),
        (&b"good"[..], "b")
    );
}

#[test]
fn a_heartbeat_keeps_the_lease() {
    let (_s, url) = database("heartbeat");
    let mut a = Queue::connect(&url).unwrap();
    let mut b = Queue::connect(&url).unwrap();
    a.create_or_attach(&spec(3), &jobs(1)).unwrap();
    let short = Duration::from_millis(400);
    let held = a.claim("a", CIRCUIT, K, short).unwrap().unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(a.heartbeat("a", short).unwrap(), 1);
        assert!(b.claim("b", CIRCUIT, K, short).unwrap().is_none());
    }
    a.complete("a", &held, b"p").unwrap();
}

#[test]
fn a_failing_job_is_retried_then_failed_with_its_error() {
    let (_s, url) = database("failing");
    let mut q = Queue::connect(&url).unwrap();
    let run = q.create_or_attach(&spec(2), &jobs(1)).unwrap();
    let first = q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap();
    assert!(
        !q.fail("w", &first, "bad ciphertext").unwrap(),
        "queued again"
    );
    let second = q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap();
    assert_eq!(second.attempt, 2);
    assert!(
        q.fail("w", &second, "bad ciphertext").unwrap(),
        "failed for good"
    );
    assert!(
        q.claim("w", CIRCUIT, K, LEASE).unwrap().is_none(),
        "not retried again"
    );
    let failed = q.failed(run).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].chunk, failed[0].attempts), (0, 2));
    assert_eq!(failed[0].error, "bad ciphertext");
    assert_eq!(q.retry_failed(run).unwrap(), 1);
    assert_eq!(q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap().attempt, 1);
}

#[test]
fn a_job_whose_last_lease_expires_is_failed_by_the_reaper() {
    let (_s, url) = database("reap");
    let mut q = Queue::connect(&url).unwrap();
    let run = q.create_or_attach(&spec(1), &jobs(1)).unwrap();
    q.claim("dead", CIRCUIT, K, Duration::from_millis(100))
        .unwrap()
        .unwrap();
    assert_eq!(q.reap(run).unwrap(), 0, "the lease still holds");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        q.claim("w", CIRCUIT, K, LEASE).unwrap().is_none(),
        "no attempt left"
    );
    assert_eq!(q.reap(run).unwrap(), 1);
    let failed = q.failed(run).unwrap();
    assert!(failed[0].error.contains("expired"), "{}", failed[0].error);
}

#[test]
fn a_refused_proof_is_deleted_and_its_job_queued_again() {
    let (_s, url) = database("refuse");
    let mut q = Queue::connect(&url).unwrap();
    let run = q.create_or_attach(&spec(3), &jobs(1)).unwrap();
    let job = q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap();
    q.complete("w", &job, b"garbage").unwrap();
    let stored = q.proofs_after(run, 0).unwrap();
    assert!(q.reject(run, &stored[0], "does not verify").unwrap());
    assert!(
        !q.reject(run, &stored[0], "does not verify").unwrap(),
        "once"
    );
    assert!(proof_rows(&mut q, run).is_empty());
    let again = q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap();
    assert_eq!(again.attempt, 2);
    q.complete("w", &again, b"good").unwrap();
    let stored = q.proofs_after(run, stored[0].seq).unwrap();
    assert_eq!(stored.len(), 1);
}

#[test]
fn coordinators_starting_together_make_one_run() {
    let (_s, url) = database("two_coordinators");
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let url = &url;
                scope.spawn(move || {
                    Queue::connect(url)
                        .unwrap()
                        .create_or_attach(&spec(3), &jobs(8))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let mut q = Queue::connect(&url).unwrap();
    let p = q.progress(ids[0]).unwrap();
    assert_eq!(p.queued, 8, "one job per chunk");
    // Attaching with another shape under the same identity is refused.
    let mut other = spec(3);
    other.chunks = 9;
    assert!(matches!(
        q.create_or_attach(&other, &jobs(1)),
        Err(QueueError::RunMismatch { .. })
    ));
}

/// The queue's own cost per job: one claim and one complete (with a 128-byte proof), each a
/// round trip to a local server over its unix socket. A measurement for benches/README.md:
/// `cargo test -p zkbackup-queue -- --ignored --nocapture queue_overhead`.
#[test]
#[ignore = "a measurement, not a check"]
fn queue_overhead_per_job() {
    let (_s, url) = database("overhead");
    let mut q = Queue::connect(&url).unwrap();
    let n = 400;
    let mut spec = spec(3);
    spec.chunks = n;
    q.create_or_attach(&spec, &jobs(n)).unwrap();
    let proof = [7u8; 128];
    let mut claim_ms = Vec::new();
    let mut complete_ms = Vec::new();
    for _ in 0..n {
        let t = std::time::Instant::now();
        let job = q.claim("w", CIRCUIT, K, LEASE).unwrap().unwrap();
        claim_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = std::time::Instant::now();
        q.complete("w", &job, &proof).unwrap();
        complete_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (c, d) = (median(&mut claim_ms), median(&mut complete_ms));
    println!("queue overhead per job over {n} jobs: claim {c:.3} ms, complete {d:.3} ms (medians), total {:.3} ms", c + d);
    assert!(c + d < 100.0, "a job's queue overhead is {:.1} ms", c + d);
}
