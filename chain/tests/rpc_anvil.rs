//! The gate flow over JSON-RPC against a local node from npm (anvil of @foundry-rs/anvil,
//! pinned in contracts/package.json), started on 127.0.0.1 and stopped by the test.

mod common;

use alloy_primitives::U256;
use common::*;
use zkbackup_chain::gate::GateFlow;
use zkbackup_chain::rpc::parse_private_key;
use zkbackup_chain::{read_state_root, EvmBackend, GateConfig, RpcChain};
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

    let receipt = flow.attest(&backup(&all, 4, 90)).expect("attest over RPC");
    assert_eq!(receipt.logs.len(), 1, "Attested event");
    assert!(receipt.gas_used > 0);
    assert!(flow.is_fresh(20).unwrap());
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

    all.push(extra);
    flow.attest(&backup(&all, 4, 91)).expect("re-attest");
    flow.withdraw(U256::from(100u64)).expect("withdraw again");
    assert!(reason(flow.attest(&backup(&all, 4, 91)).unwrap_err()).contains("AlreadyAttested"));
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
