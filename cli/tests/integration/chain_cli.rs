//! Against a local node (anvil from npm): `verify --rpc --state [--block]` and `attest`;
//! the vault pays out after the attestation and refuses once the root moves on.

use crate::common;

use common::*;

use alloy_primitives::U256;
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{GateConfig, GateFlow, RpcChain};
use zkbackup_core::Fr;
use zkbackup_formats::backup::Backup;
use zkbackup_formats::records::Records;

#[test]
fn attest_then_withdraw_then_stale_against_a_local_node() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let text: String = (0..5).map(|i| format!("{},{}\n", i + 100, i * 3)).collect();
    std::fs::write(p("records.csv"), text).unwrap();
    ok(&["keygen", "--out", s(&p("key.json"))]);
    ok(&[
        "backup",
        "--records",
        s(&p("records.csv")),
        "--key",
        s(&p("key.json")),
        "--out",
        s(&p("b.zkb")),
        "--chunk-size",
        "2",
    ]);
    ok(&[
        "setup",
        "--arity",
        "2",
        "--chunk-size",
        "2",
        "--out",
        s(&p("keys")),
    ]);
    ok(&[
        "prove",
        "--backup",
        s(&p("b.zkb")),
        "--key",
        s(&p("key.json")),
        "--keys-dir",
        s(&p("keys")),
        "--out",
        s(&p("bundle.json")),
    ]);

    let node = zkbackup_tests::start_local_node();
    std::fs::write(p("sender.key"), zkbackup_tests::LOCAL_NODE_KEY).unwrap();
    let chain = RpcChain::connect(&node.url)
        .unwrap()
        .with_key(parse_private_key(zkbackup_tests::LOCAL_NODE_KEY).unwrap());
    let vk: ark_groth16::VerifyingKey<_> =
        zkbackup_verifier::read_verifying_key(&p("keys").join("vk.bin"))
            .unwrap()
            .into();
    let backup = Backup::read(&p("b.zkb")).unwrap();
    let config = GateConfig {
        key_commitment: backup.key_commitment(),
        chunk_size: 2,
        max_age_blocks: 50,
    };
    let mut flow = GateFlow::deploy(chain, &vk, config).unwrap();
    let records = Records::read(p("records.csv"), None).unwrap();
    let r = flow.insert_leaves(&records.leaves()).unwrap();
    let root_block = r.block_number.to_string();
    let state = flow.addresses.state_source.to_string();
    let gate = flow.addresses.gate.to_string();

    // Verify against the chain's root, read over JSON-RPC.
    let line = ok(&[
        "verify",
        "--bundle",
        s(&p("bundle.json")),
        "--vk",
        s(&p("keys")),
        "--backup",
        s(&p("b.zkb")),
        "--rpc",
        &node.url,
        "--state",
        &state,
        "--gate",
        &gate,
    ]);
    assert!(line.starts_with("OK: 5 records"), "{line}");

    // Before any attestation the vault refuses; after it, it pays.
    flow.deposit(U256::from(1_000u64)).unwrap();
    assert!(flow.withdraw(U256::from(1u64)).is_err());
    let (bundle_path, sender_key) = (p("bundle.json"), p("sender.key"));
    let attest = |json: bool| {
        let mut args = vec![
            "attest",
            "--rpc",
            &node.url,
            "--gate",
            &gate,
            "--bundle",
            s(&bundle_path),
            "--private-key-file",
            s(&sender_key),
            "--gas-cap",
            "700000",
        ];
        if json {
            args.push("--json");
        }
        zkbackup(&args)
    };
    let out = attest(true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let bundle = zkbackup_verifier::bundle::read_bundle(&p("bundle.json")).unwrap();
    let lineage = zkbackup_core::chunk::Nonce::from_field(&bundle.chunks[0].public_inputs.nonce)
        .unwrap()
        .lineage;
    assert_eq!(report["lineage"], format!("{lineage:#018x}"), "{report}");
    assert_eq!(report["completed"], true, "{report}");
    assert_eq!(report["records"], 5);
    assert_eq!(report["chunks_submitted"], 3);
    let txs = report["transactions"].as_array().unwrap();
    assert!(
        txs.len() >= 2,
        "a 700,000 gas cap splits 3 chunks: {report}"
    );
    for t in txs {
        assert!(t["gas_limit"].as_u64().unwrap() <= 700_000, "{report}");
    }
    assert_eq!(
        report["root"],
        zkbackup_core::field::to_hex(&records.root())
    );
    assert_eq!(report["block"], flow.last_attestation().unwrap().block);
    assert_eq!(flow.last_attestation().unwrap().lineage, lineage);
    assert!(flow.is_fresh(50).unwrap());
    // The same bundle again: the gate holds every chunk, nothing to submit.
    let again = attest(false);
    assert!(again.status.success(), "{}", common::text(&again.stderr));
    assert!(common::text(&again.stdout).contains("nothing to submit"));
    flow.withdraw(U256::from(400u64))
        .expect("withdraw after the attestation");

    // The state moves on: stale, withdrawals revert, the bundle no longer matches the latest
    // root but still matches the root at its block.
    flow.insert_leaves(&[Fr::from(7u64)]).unwrap();
    assert!(!flow.is_fresh(50).unwrap());
    assert!(flow.withdraw(U256::from(1u64)).is_err());
    let stale = zkbackup(&[
        "verify",
        "--bundle",
        s(&p("bundle.json")),
        "--vk",
        s(&p("keys")),
        "--backup",
        s(&p("b.zkb")),
        "--rpc",
        &node.url,
        "--state",
        &state,
        "--gate",
        &gate,
    ]);
    assert!(!stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("root"));
    ok(&[
        "verify",
        "--bundle",
        s(&p("bundle.json")),
        "--vk",
        s(&p("keys")),
        "--backup",
        s(&p("b.zkb")),
        "--rpc",
        &node.url,
        "--state",
        &state,
        "--gate",
        &gate,
        "--block",
        &root_block,
    ]);
    // Attesting the old bundle again does not complete (the state has 6 records now).
    let stale = attest(false);
    assert_eq!(stale.status.code(), Some(1));
    let why = common::text(&stale.stderr);
    assert!(why.contains("did not complete"), "{why}");
}
