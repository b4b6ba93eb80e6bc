//! `zkbackup verify` with real keys and proofs (arity 2, chunk size 2): what the verifier
//! trusts comes from the auditor or the chain, never from the prover's files.
//!
//! - the arity-2 forgery: a one-record backup whose record is two subtree roots has the
//!   state's root; only the tree size (`--size`) refuses it;
//! - a backup under a rogue key verifies against its own files; only `--key-commitment`
//!   refuses it;
//! - no `--backup`, snarkjs's `verification_key.json`, `--json`, usage errors naming the
//!   missing flag, and the values read over JSON-RPC (`--rpc --gate`).

use crate::common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use zkbackup_core::field;
use zkbackup_core::poseidon::hash;
use zkbackup_core::Fr;
use zkbackup_formats::records::Records;

/// The shape of every key here.
const ARITY: &str = "2";
const CHUNK_SIZE: &str = "2";

/// The real state: 4 records of arity 2, `(1, 2), (3, 4), (5, 6), (7, 8)`.
fn state() -> Records {
    Records::new(2, (1..=8u64).map(Fr::from).collect()).unwrap()
}

/// `state()`'s records as rows.
fn state_rows() -> Vec<[Fr; 2]> {
    state().iter_rows().map(|row| [row[0], row[1]]).collect()
}

fn write_records(path: &Path, records: &[[Fr; 2]]) {
    let text: String = records
        .iter()
        .map(|[a, b]| format!("{},{}\n", field::to_hex(a), field::to_hex(b)))
        .collect();
    std::fs::write(path, text).unwrap();
}

/// A key file; returns its commitment as `keygen` prints it.
fn keygen(path: &Path) -> String {
    let out = ok(&["keygen", "--out", s(path)]);
    out.split_whitespace()
        .find(|w| w.starts_with("0x"))
        .unwrap_or_else(|| panic!("no commitment in {out:?}"))
        .to_owned()
}

/// Keys for (arity 2, chunk size 2) in `dir/keys`.
fn setup(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    common::setup(ARITY, CHUNK_SIZE, &keys);
    keys
}

/// Backs up `records` under `key` and proves it with `keys`: returns (backup, bundle).
fn backup_and_prove(
    dir: &Path,
    name: &str,
    records: &Path,
    key: &Path,
    keys: &Path,
) -> (PathBuf, PathBuf) {
    let backup = dir.join(format!("{name}.zkb"));
    let bundle = dir.join(format!("{name}.json"));
    common::backup(records, key, &backup, CHUNK_SIZE);
    common::prove(&backup, key, keys, &bundle);
    (backup, bundle)
}

#[test]
fn the_arity_2_forgery_is_refused_by_the_tree_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let state = state();
    let leaves = state.leaves();
    let node01 = hash(&[leaves[0], leaves[1]]);
    let node23 = hash(&[leaves[2], leaves[3]]);
    // The forged record's leaf is Poseidon(node01, node23): the state's root.
    let forged = Records::new(2, vec![node01, node23]).unwrap();
    assert_eq!(forged.root(), state.root());
    let root = field::to_hex(&state.root());
    write_records(&p("forged.csv"), &[[node01, node23]]);

    let k = keygen(&p("key.json"));
    let keys = setup(dir.path());
    let (backup, bundle) = backup_and_prove(
        dir.path(),
        "forged",
        &p("forged.csv"),
        &p("key.json"),
        &keys,
    );

    // A root alone does not fix a state: with the size the forger claims, it verifies
    // (this is what `verify --root R` accepted before the size was required)...
    let line = verify_cmd(&bundle, &keys)
        .path("--backup", &backup)
        .trusted(&root, 1, &k)
        .ok();
    assert!(line.starts_with("OK: 1 records"), "{line}");
    // ...and with the state's true size (4 leaves) it is refused, naming both counts.
    let err = verify_cmd(&bundle, &keys)
        .path("--backup", &backup)
        .trusted(&root, 4, &k)
        .fails(1);
    assert!(
        err.contains(
            "record count mismatch: the state has 4 records (tree size), the bundle covers 1"
        ),
        "{err}"
    );
    // The same without the backup file: the size is never taken from the prover's files.
    let err = verify_cmd(&bundle, &keys).trusted(&root, 4, &k).fails(1);
    assert!(err.contains("record count mismatch"), "{err}");

    // The honest backup of the 4 records verifies with the same root and size 4.
    write_records(&p("state.csv"), &state_rows());
    let (backup, bundle) =
        backup_and_prove(dir.path(), "honest", &p("state.csv"), &p("key.json"), &keys);
    let line = verify_cmd(&bundle, &keys)
        .path("--backup", &backup)
        .trusted(&root, 4, &k)
        .ok();
    assert!(
        line.starts_with("OK: 4 records (2 chunks of 2, arity 2)"),
        "{line}"
    );
}

#[test]
fn a_backup_under_a_rogue_key_is_refused_naming_both_commitments() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let state = state();
    write_records(&p("state.csv"), &state_rows());
    let escrowed = keygen(&p("escrowed.json"));
    let rogue = keygen(&p("rogue.json"));
    let keys = setup(dir.path());
    let (backup, bundle) = backup_and_prove(
        dir.path(),
        "under_rogue",
        &p("state.csv"),
        &p("rogue.json"),
        &keys,
    );
    let root = field::to_hex(&state.root());

    // Bundle, backup header and proofs agree on the rogue key: against its own K it passes.
    verify_cmd(&bundle, &keys)
        .path("--backup", &backup)
        .trusted(&root, 4, &rogue)
        .ok();
    // Against the escrowed key's K it is refused, naming both values.
    for with_backup in [true, false] {
        let mut cmd = verify_cmd(&bundle, &keys).trusted(&root, 4, &escrowed);
        if with_backup {
            cmd = cmd.path("--backup", &backup);
        }
        let err = cmd.fails(1);
        assert!(err.contains("key commitment mismatch"), "{err}");
        assert!(err.contains(&escrowed) && err.contains(&rogue), "{err}");
    }
}

/// One honest backup of `state()` under one key, proven: (dir, keys, backup, bundle, K, R).
struct Honest {
    dir: tempfile::TempDir,
    keys: PathBuf,
    backup: PathBuf,
    bundle: PathBuf,
    k: String,
    root: String,
}

fn honest() -> Honest {
    let dir = tempfile::tempdir().unwrap();
    let state = state();
    let records = dir.path().join("state.csv");
    write_records(&records, &state_rows());
    let key = dir.path().join("key.json");
    let k = keygen(&key);
    let keys = setup(dir.path());
    let (backup, bundle) = backup_and_prove(dir.path(), "b", &records, &key, &keys);
    Honest {
        root: field::to_hex(&state.root()),
        dir,
        keys,
        backup,
        bundle,
        k,
    }
}

#[test]
fn without_the_backup_and_with_a_snarkjs_key_and_json() {
    let h = honest();
    let trusted = |vk: &Path| verify_cmd(&h.bundle, vk).trusted(&h.root, 4, &h.k);

    // No backup file: the proofs are checked, and the report says C was not checked.
    let out = trusted(&h.keys).ok();
    assert!(out.starts_with("OK: 4 records"), "{out}");
    assert!(out.contains("C not checked against a backup file"), "{out}");
    assert!(out.contains("backup file:     NOT checked"), "{out}");
    assert!(
        out.contains("bundle's chain:  the bundle claims no chain"),
        "{out}"
    );
    let out = trusted(&h.keys).path("--backup", &h.backup).ok();
    assert!(out.contains("backup file:     checked"), "{out}");

    // --json: one object on stdout.
    let out = trusted(&h.keys).arg("--json").ok();
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], 4);
    assert_eq!(v["backup_checked"], false);
    assert_eq!(v["root"], h.root.as_str());
    assert_eq!(v["trusted"]["size"]["flag"], "--size");
    assert_eq!(v["vk"]["form"], "arkworks");
    assert_eq!(v["bundle_chain"]["checked"], false);
    // A failure in --json mode: still one object, exit 1.
    let out = verify_cmd(&h.bundle, &h.keys)
        .trusted(&h.root, 3, &h.k)
        .arg("--json")
        .run();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("record count mismatch"));

    // snarkjs's verification_key.json (setup writes one), alone in a directory: its shape
    // must be given.
    let lone = h.dir.path().join("snarkjs");
    std::fs::create_dir(&lone).unwrap();
    let vk_json = lone.join("verification_key.json");
    std::fs::copy(h.keys.join("verification_key.json"), &vk_json).unwrap();
    let err = trusted(&vk_json).fails(2);
    assert!(err.contains("--arity and --chunk-size"), "{err}");
    let shaped = trusted(&vk_json).args(&["--arity", ARITY, "--chunk-size", CHUNK_SIZE, "--json"]);
    let out = shaped.ok();
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["vk"]["form"], "snarkjs");
    // The wrong shape for the key is refused by name.
    let wrong = ["--arity", ARITY, "--chunk-size", "4"];
    let err = trusted(&vk_json).args(&wrong).fails(1);
    assert!(
        err.contains("the bundle's chunk_size is 2, the verifying key is for chunk_size 4"),
        "{err}"
    );
    // Flags contradicting the key directory's keys.json are a usage error.
    let err = trusted(&h.keys).args(&wrong).fails(2);
    assert!(err.contains("contradict"), "{err}");
    // A broken snarkjs file is named with its problem.
    std::fs::write(&vk_json, r#"{"protocol": "plonk"}"#).unwrap();
    let err = shaped.fails(2);
    assert!(
        err.contains(
            "verification_key.json is not a usable snarkjs verification key: protocol is \"plonk\""
        ),
        "{err}"
    );
}

#[test]
fn a_missing_trusted_value_is_a_usage_error_naming_its_flag() {
    let h = honest();
    let cases: [(&[&str], &str); 3] = [
        (&["--size", "4", "--key-commitment", &h.k], "--root"),
        (&["--root", &h.root, "--key-commitment", &h.k], "--size"),
        (&["--root", &h.root, "--size", "4"], "--key-commitment"),
    ];
    for (extra, flag) in cases {
        let err = verify_cmd(&h.bundle, &h.keys).args(extra).fails(2);
        assert!(err.contains(&format!("give {flag}")), "{flag}: {err}");
    }
}

#[test]
fn root_size_and_key_commitment_read_from_the_chain() {
    use zkbackup_chain::rpc::parse_private_key;
    use zkbackup_chain::{GateConfig, GateFlow, RpcChain};

    let h = honest();
    let node = zkbackup_tests::start_local_node();
    let chain = RpcChain::connect(&node.url)
        .unwrap()
        .with_key(parse_private_key(zkbackup_tests::LOCAL_NODE_KEY).unwrap());
    let vk: ark_groth16::VerifyingKey<_> =
        zkbackup_verifier::read_verifying_key(&h.keys.join("vk.bin"))
            .unwrap()
            .into();
    let config = GateConfig {
        key_commitment: field::parse(&h.k).unwrap(),
        chunk_size: 2,
        max_age_blocks: 50,
    };
    let mut flow = GateFlow::deploy(chain, &vk, config).unwrap();
    let r = flow.insert_leaves(&state().leaves()).unwrap();
    let block = r.block_number.to_string();
    let gate = flow.addresses.gate.to_string();
    let state_source = flow.addresses.state_source.to_string();

    // --gate alone: K from the gate, the state source from the gate, root and size from it.
    let out = verify_cmd(&h.bundle, &h.keys)
        .args(&["--rpc", &node.url, "--gate", &gate, "--json"])
        .ok();
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["trusted"]["root"]["call"], "root()");
    assert_eq!(v["trusted"]["size"]["call"], "size()");
    assert_eq!(v["trusted"]["key_commitment"]["call"], "keyCommitment()");
    assert_eq!(v["trusted"]["size"]["block"].to_string(), block);

    // The state grows: the size and the root read at the latest block refuse the bundle;
    // at the bundle's block (--block) it verifies.
    flow.insert_leaves(&[Fr::from(99u64)]).unwrap();
    let on_chain = verify_cmd(&h.bundle, &h.keys).args(&[
        "--rpc",
        &node.url,
        "--state",
        &state_source,
        "--gate",
        &gate,
    ]);
    let err = on_chain.fails(1);
    assert!(err.contains("state root mismatch"), "{err}");
    // A forger's --root cannot help either: the chain's size (5) still refuses it.
    let err = on_chain.clone().flag("--root", &h.root).fails(1);
    assert!(err.contains("the state has 5 records"), "{err}");
    let out = on_chain.flag("--block", &block).ok();
    assert!(out.contains("size() of"), "{out}");
    assert!(out.contains(&format!("at block {block}")), "{out}");
}
