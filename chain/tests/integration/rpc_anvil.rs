//! The gate flow over JSON-RPC against a local node from npm (anvil of @foundry-rs/anvil,
//! pinned in contracts/package.json), started on 127.0.0.1 and stopped by the test.

use crate::common;

use alloy_primitives::U256;
use common::*;
use zkbackup_chain::gate::GateFlow;
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{read_state_root, EvmBackend, GateConfig, RpcChain, MAX_GAS_CAP};
use zkbackup_core::lean_imt;

/// The first account of anvil's default mnemonic (public test key).
const ANVIL_KEY0: &str = zkbackup_tests::LOCAL_NODE_KEY;

fn start_anvil() -> zkbackup_tests::LocalNode {
    zkbackup_tests::start_local_node()
}

fn reason(e: zkbackup_chain::ChainError) -> String {
    e.revert_reason()
        .unwrap_or_else(|| panic!("expected a revert, got {e}"))
        .to_string()
}

#[test]
fn attest_and_withdraw_against_a_local_node() {
    let node = start_anvil();
    let chain = RpcChain::connect(&node.url)
        .unwrap()
        .with_key(parse_private_key(ANVIL_KEY0).unwrap());
    assert_eq!(chain.chain_id(), 31337);
    let config = GateConfig {
        key_commitment: key_commitment(),
        chunk_size: 4,
        max_age_blocks: 20,
    };
    let mut flow = GateFlow::deploy(chain, &keys().vk, config).expect("deploy over RPC");
    let state = flow.addresses.state_source;

    let mut all = leaves(11, 90);
    let extra = all.pop().unwrap();
    let r = flow.insert_leaves(&all).unwrap();
    let root_block = r.block_number;
    let root = lean_imt::root(&all).unwrap();
    assert_eq!(read_state_root(&node.url, state, None).unwrap(), root);
    assert_eq!(flow.state_root().unwrap(), root);

    flow.deposit(U256::from(1_000u64)).unwrap();
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("StaleBackup"));

    // Split over transactions by a low gas cap: eth_estimateGas sizes them, and the second
    // one rebuilds nothing (the planner keeps its trees), the final check reads eth_getLogs.
    let v0 = backup(&all, 4, 90);
    let report = flow.attest(&v0, 700_000).expect("attest over RPC");
    assert!(report.transactions.len() >= 2, "{:?}", report.transactions);
    assert!(report
        .transactions
        .iter()
        .all(|t| t.gas_limit <= 700_000 && t.gas_used > 0));
    assert!(report.attested.is_some());
    assert!(flow.is_fresh(20).unwrap());
    let on_chain = flow
        .read_lineage(90)
        .expect("ChunkSet logs over eth_getLogs");
    assert_eq!(on_chain.chunks.len(), 3);
    flow.withdraw(U256::from(400u64))
        .expect("withdraw after attestation");
    assert_eq!(
        flow.vault_balance(flow.chain.sender()).unwrap(),
        U256::from(600u64)
    );

    // The state changes: withdrawals stop until a new attestation.
    flow.insert_leaves(&[extra]).unwrap();
    assert!(!flow.is_fresh(20).unwrap());
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("StaleBackup"));
    // The old root is still readable at its block.
    assert_eq!(
        read_state_root(&node.url, state, Some(root_block)).unwrap(),
        root
    );
    assert_ne!(read_state_root(&node.url, state, None).unwrap(), root);

    // A delta: only the partial last chunk (2 → 3 records) is re-encrypted and submitted.
    all.push(extra);
    let v1 = incremental(&v0, &all, 4, 1, &[2]);
    let report = flow.attest(&v1, MAX_GAS_CAP).expect("delta over RPC");
    assert_eq!(
        (report.plan.updates.clone(), report.transactions.len()),
        (vec![2], 1)
    );
    assert!(report.attested.is_some());
    flow.withdraw(U256::from(100u64)).expect("withdraw again");
    // A replay of the first backup's chunk 2 is refused (its nonce is older now).
    let err = flow.attest(&v0, MAX_GAS_CAP).unwrap_err();
    assert!(err.to_string().contains("cannot attest"), "{err}");
    assert!(reason(flow.attest_raw(&v1.raw()).unwrap_err()).contains("ChunkExists"));
    drop(flow);
    drop(node);
}

#[test]
fn bad_keys_are_refused_clearly() {
    assert!(parse_private_key("0x1234").is_err());
    assert!(parse_private_key("zz").is_err());
    assert!(
        parse_private_key(&"00".repeat(32)).is_err(),
        "zero is not a key"
    );
    let k = parse_private_key(&format!(" {ANVIL_KEY0}\n")).unwrap();
    assert_eq!(
        zkbackup_chain::rpc::address_of(&k),
        zkbackup_chain::evm::DEFAULT_SENDER
    );
}
