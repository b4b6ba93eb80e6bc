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

/// `escrow register` against a local node: the registry (with the escrow circuit's
/// verifier for 2-of-3) verifies the proof on chain and names the trustees; a re-run changes
/// nothing; a newer escrow of the key replaces it; the older one cannot be replayed.
#[test]
fn escrow_register_against_a_local_node() {
    use zkbackup_chain::escrow::{deploy_registry, deploy_verifier_any, escrow_of, is_escrowed};
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    ok(&["keygen", "--out", s(&p("key.json"))]);
    for t in ["t1", "t2", "t3"] {
        ok(&[
            "escrow",
            "trustee-keygen",
            "--out",
            s(&p(&format!("{t}.key.json"))),
        ]);
    }
    ok(&[
        "escrow",
        "setup",
        "--threshold",
        "2",
        "--trustees",
        "3",
        "--keys-dir",
        s(&p("keys")),
    ]);
    let deal = |out: &str| {
        ok(&[
            "escrow",
            "deal",
            "--key",
            s(&p("key.json")),
            "--threshold",
            "2",
            "--trustee",
            s(&p("t1.key.json")),
            "--trustee",
            s(&p("t2.key.json")),
            "--trustee",
            s(&p("t3.key.json")),
            "--keys-dir",
            s(&p("keys")),
            "--out",
            s(&p(out)),
        ])
    };
    deal("first.json");
    deal("second.json");

    let node = zkbackup_tests::start_local_node();
    std::fs::write(p("sender.key"), zkbackup_tests::LOCAL_NODE_KEY).unwrap();
    let mut chain = RpcChain::connect(&node.url)
        .unwrap()
        .with_key(parse_private_key(zkbackup_tests::LOCAL_NODE_KEY).unwrap());
    let vk: ark_groth16::VerifyingKey<_> =
        zkbackup_verifier::read_verifying_key(&p("keys").join("escrow-2-of-3").join("vk.bin"))
            .unwrap()
            .into();
    let verifier = deploy_verifier_any(&mut chain, &vk).unwrap();
    let shape = zkbackup_chain::EscrowShape {
        threshold: 2,
        trustees: 3,
    };
    let registry = deploy_registry(&mut chain, &[(shape, verifier)]).unwrap();
    let register = |escrow: &str| {
        zkbackup(&[
            "escrow",
            "register",
            "--rpc",
            &node.url,
            "--registry",
            &registry.to_string(),
            "--escrow",
            s(&p(escrow)),
            "--private-key-file",
            s(&p("sender.key")),
            "--json",
        ])
    };
    let parse = |out: &std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        serde_json::from_str(text(&out.stdout).trim()).unwrap()
    };
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("first.json")).unwrap()).unwrap();
    let k = zkbackup_core::field::parse(first["keyCommitment"].as_str().unwrap()).unwrap();
    assert!(!is_escrowed(&mut chain, registry, k, 2).unwrap());

    let r = parse(&register("first.json"));
    assert_eq!(r["already_registered"], false, "{r}");
    assert_eq!(
        (r["threshold"].as_u64(), r["trustees"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(r["digest"], first["escrowDigest"], "{r}");
    assert!(r["gas_used"].as_u64().unwrap() > 200_000, "{r}");
    assert!(is_escrowed(&mut chain, registry, k, 2).unwrap());
    assert!(!is_escrowed(&mut chain, registry, k, 3).unwrap());
    let record = escrow_of(&mut chain, registry, k).unwrap().unwrap();
    let keys: Vec<(String, String)> = first["trustees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["publicKey"][0].as_str().unwrap().to_owned(),
                t["publicKey"][1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let on_chain: Vec<(String, String)> = record
        .trustees
        .iter()
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect();
    assert_eq!(
        on_chain, keys,
        "escrowOf(K) names the file's trustees in order"
    );

    // A re-run: nothing sent.
    let again = parse(&register("first.json"));
    assert_eq!(again["already_registered"], true, "{again}");
    assert_eq!(again["gas_used"], serde_json::Value::Null);

    // The newer escrow replaces it; the older cannot be replayed over it.
    let r = parse(&register("second.json"));
    assert_eq!(r["already_registered"], false, "{r}");
    let replay = register("first.json");
    assert_eq!(replay.status.code(), Some(1), "{}", text(&replay.stderr));
    assert!(
        text(&replay.stderr).contains("AlreadyRegistered"),
        "{}",
        text(&replay.stderr)
    );
}
