//! `zkbackup sync` against a local node (anvil from npm): one cycle makes the gate fresh; a
//! change of one record and one new leaf is brought back to fresh by proving only the
//! touched chunks; an agent killed in the middle of a cycle resumes without redoing its
//! backup.

use crate::common;

use common::*;

use alloy_primitives::U256;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{GateConfig, GateFlow, RpcChain};
use zkbackup_core::Fr;
use zkbackup_formats::records::Records;
use zkbackup_formats::KeyFile;

/// Records per chunk in these tests.
const CHUNK: usize = 4;

struct World {
    dir: tempfile::TempDir,
    node: zkbackup_tests::LocalNode,
    flow: GateFlow<RpcChain>,
    rows: Vec<(u64, u64)>,
}

fn csv(rows: &[(u64, u64)]) -> String {
    rows.iter().map(|(a, b)| format!("{a},{b}\n")).collect()
}

fn leaves(rows: &[(u64, u64)]) -> Vec<Fr> {
    Records::parse(
        csv(rows).as_bytes(),
        zkbackup_formats::records::RecordFormat::Csv,
        Path::new("rows"),
    )
    .unwrap()
    .leaves()
}

impl World {
    /// A state of 10 records of arity 2 on chain and in `records.csv`, an escrow key,
    /// proving keys for chunks of 4, and a gate for them.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        let rows: Vec<(u64, u64)> = (0..10).map(|i| (i + 100, i * 7)).collect();
        std::fs::write(p("records.csv"), csv(&rows)).unwrap();
        ok(&["keygen", "--out", s(&p("key.json"))]);
        setup(2, CHUNK, &p("keys"));
        std::fs::write(p("sender.key"), zkbackup_tests::LOCAL_NODE_KEY).unwrap();
        let node = zkbackup_tests::start_local_node();
        let chain = RpcChain::connect(&node.url)
            .unwrap()
            .with_key(parse_private_key(zkbackup_tests::LOCAL_NODE_KEY).unwrap());
        let vk: ark_groth16::VerifyingKey<_> =
            zkbackup_verifier::read_verifying_key(&p("keys").join("vk.bin"))
                .unwrap()
                .into();
        let key = zkbackup_core::EscrowKey::read(&p("key.json")).unwrap();
        let config = GateConfig {
            key_commitment: key.commitment(),
            chunk_size: CHUNK as u64,
            max_age_blocks: 1000,
        };
        let mut flow = GateFlow::deploy(chain, &vk, config).unwrap();
        flow.insert_leaves(&leaves(&rows)).unwrap();
        Self {
            dir,
            node,
            flow,
            rows,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sync_args(&self) -> Vec<String> {
        let gate = self.flow.addresses.gate.to_string();
        [
            "sync",
            "--rpc",
            &self.node.url,
            "--gate",
            &gate,
            "--private-key-file",
            s(&self.path("sender.key")),
            "--records",
            s(&self.path("records.csv")),
            "--key",
            s(&self.path("key.json")),
            "--keys-dir",
            s(&self.path("keys")),
            "--state-dir",
            s(&self.path("agent")),
            "--poll",
            "0.1",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    }

    /// One `sync --once --json` cycle; its JSON report.
    fn sync_once(&self) -> serde_json::Value {
        self.sync_once_with(&[])
    }

    /// [`World::sync_once`] with more arguments.
    fn sync_once_with(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = self.sync_args();
        args.extend(["--once".to_string(), "--json".to_string()]);
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = zkbackup(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("one JSON object")
    }

    /// Changes record 1 (chunk 0) and appends one record (to the partial chunk 2), on chain
    /// (a LeanIMT update and an insert) and then in the records file.
    fn change_one_record_and_add_one(&mut self) {
        let before = leaves(&self.rows);
        self.rows[1] = (555, 666);
        let after = leaves(&self.rows);
        self.flow.update_leaf(&before, 1, after[1]).unwrap();
        self.rows.push((1_000, 2_000));
        let new = leaves(&self.rows);
        self.flow.insert_leaves(&new[10..]).unwrap();
    }

    fn write_records(&self) {
        std::fs::write(self.path("records.csv"), csv(&self.rows)).unwrap();
    }

    /// Lines of the claims ledger beside the key: one per incremental backup made.
    fn claims(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("key.json.claims"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn sync_once_makes_the_gate_fresh_and_a_delta_proves_only_the_touched_chunks() {
    let mut w = World::new();
    assert!(!w.flow.is_fresh(1000).unwrap());

    let first = w.sync_once();
    assert_eq!(first["outcome"], "ran", "{first}");
    assert_eq!(first["fresh"], true, "{first}");
    assert_eq!(first["backup"]["chunks"], 3, "{first}");
    assert_eq!(first["proved"], 3, "{first}");
    assert_eq!(first["chunks_submitted"], 3, "{first}");
    assert!(w.flow.is_fresh(1000).unwrap());
    assert_eq!(w.sync_once()["outcome"], "up_to_date");

    // The chain moves first: the agent waits for the records file.
    w.change_one_record_and_add_one();
    assert!(!w.flow.is_fresh(1000).unwrap());
    let waiting = w.sync_once();
    assert_eq!(waiting["outcome"], "waiting", "{waiting}");
    assert_eq!(waiting["records"], 11, "{waiting}");
    assert_eq!(waiting["records_file_records"], 10, "{waiting}");

    w.write_records();
    let delta = w.sync_once();
    assert_eq!(delta["outcome"], "ran", "{delta}");
    assert_eq!(delta["fresh"], true, "{delta}");
    let b = &delta["backup"];
    assert_eq!(
        (
            &b["unchanged"],
            &b["changed"],
            &b["added"],
            &b["generation"]
        ),
        (&1.into(), &2.into(), &0.into(), &1.into()),
        "chunk 0 (changed record) and chunk 2 (new record) change, chunk 1 does not: {delta}"
    );
    assert_eq!(delta["proved"], 2, "{delta}");
    assert_eq!(delta["reused"], 1, "{delta}");
    assert_eq!(delta["chunks_submitted"], 2, "{delta}");
    assert!(delta["change_to_fresh_ms"].as_u64().is_some(), "{delta}");
    assert!(w.flow.is_fresh(1000).unwrap());
    let last = w.flow.last_attestation().unwrap();
    assert_eq!(last.records, 11);
    assert_eq!(w.claims().len(), 1);

    // Nothing changes but time: under a bound of 1 block the attestation ages out (two
    // unrelated transactions), and the cycle is a refresh of the last chunk.
    w.flow.deposit(U256::from(1u64)).unwrap();
    w.flow.deposit(U256::from(1u64)).unwrap();
    assert!(!w.flow.is_fresh(1).unwrap());
    let refresh = w.sync_once_with(&["--max-age-blocks", "1"]);
    assert_eq!(refresh["outcome"], "ran", "{refresh}");
    assert_eq!(refresh["refresh"], true, "{refresh}");
    assert_eq!(
        (
            &refresh["proved"],
            &refresh["reused"],
            &refresh["chunks_submitted"]
        ),
        (&1.into(), &2.into(), &1.into()),
        "{refresh}"
    );
    assert_eq!(refresh["fresh"], true, "{refresh}");
    assert!(w.flow.is_fresh(1).unwrap());
    let again = w.flow.last_attestation().unwrap();
    assert_eq!((again.root, again.records), (last.root, 11));
    assert!(again.block > last.block);
}

#[test]
fn a_killed_sync_resumes_without_redoing_its_backup_and_reaches_fresh() {
    let mut w = World::new();
    assert_eq!(w.sync_once()["fresh"], true);
    w.change_one_record_and_add_one();
    w.write_records();

    // The long-running agent, killed (SIGKILL: no cleanup) as soon as its new backup is
    // on disk, i.e. in the middle of its cycle.
    let args = w.sync_args();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zkbackup"))
        .env("XDG_CACHE_HOME", crate::common::cache_home())
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let agent = w.path("agent");
    let second_backup = |agent: &Path| {
        std::fs::read_dir(agent).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("backup.zkb"))
                .find(|b| b.exists() && !b.parent().unwrap().ends_with("cycle-000001"))
        })
    };
    let start = Instant::now();
    while second_backup(&agent).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the agent wrote no backup"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let report = w.sync_once();
    assert!(
        report["outcome"] == "ran" || report["outcome"] == "up_to_date",
        "{report}"
    );
    if report["outcome"] == "ran" {
        assert!(
            report["backup"].is_null(),
            "the backup written before the kill is not made again: {report}"
        );
        assert_eq!(report["fresh"], true, "{report}");
    }
    assert!(w.flow.is_fresh(1000).unwrap());
    assert_eq!(
        w.claims().len(),
        1,
        "one generation claimed, so one incremental backup made: {:?}",
        w.claims()
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(agent.join("sync.json")).unwrap()).unwrap();
    assert!(state.get("pending").is_none(), "{state}");
    assert_eq!(state["current"]["state"]["size"], 11, "{state}");
}
