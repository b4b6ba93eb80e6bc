//! The gate flow on the embedded EVM: honest attestations pass and make the vault withdrawable;
//! every tamper is refused on chain with a clear reason.

use crate::common;

use alloy_primitives::U256;
use ark_bn254::Fr;
use common::*;
use zkbackup_chain::abi::{fr_to_u256, proof_words};
use zkbackup_chain::gate::{verify_batch_raw, verify_proof_raw, GateFlow};
use zkbackup_chain::gate_inputs;
use zkbackup_chain::{
    Attestation, AttestationRecord, ChainError, EmbeddedChain, EvmBackend, GateConfig, Receipt,
    MAX_GAS_CAP,
};
use zkbackup_core::lean_imt;

const CHUNK: usize = 4;
const MAX_AGE: u64 = 10;

fn config() -> GateConfig {
    GateConfig {
        key_commitment: key_commitment(),
        chunk_size: CHUNK as u64,
        max_age_blocks: MAX_AGE,
    }
}

fn flow_with(leaves: &[Fr]) -> GateFlow {
    let mut flow = GateFlow::deploy(EmbeddedChain::new(), &keys().vk, config()).expect("deploy");
    flow.insert_leaves(leaves).expect("insert");
    flow
}

/// The whole backup in one `submit` (every chunk appended).
fn attest(flow: &mut GateFlow, att: &Attestation) -> Result<Receipt, ChainError> {
    flow.attest_raw(&att.raw())
}

fn reason(e: zkbackup_chain::ChainError) -> String {
    e.revert_reason()
        .unwrap_or_else(|| panic!("expected a revert, got {e}"))
        .to_string()
}

#[test]
fn state_source_root_matches_native_lean_imt() {
    let leaves = leaves(23, 1);
    let mut flow = flow_with(&leaves[..10]);
    assert_eq!(
        flow.state_root().unwrap(),
        lean_imt::root(&leaves[..10]).unwrap()
    );
    flow.insert_leaves(&leaves[10..11]).unwrap();
    flow.insert_leaves(&leaves[11..]).unwrap();
    assert_eq!(flow.state_root().unwrap(), lean_imt::root(&leaves).unwrap());
}

#[test]
fn honest_attestation_passes_and_vault_withdraws() {
    let leaves = leaves(14, 2);
    let att = backup(&leaves, CHUNK, 2);
    let mut flow = flow_with(&leaves);
    flow.deposit(U256::from(1_000u64)).unwrap();
    assert!(!flow.is_fresh(MAX_AGE).unwrap(), "nothing attested yet");
    let err = flow.withdraw(U256::from(1u64)).unwrap_err();
    assert!(reason(err).contains("StaleBackup"));

    let receipt = attest(&mut flow, &att).expect("honest attestation");
    assert_eq!(
        receipt.logs.len(),
        att.chunks.len() + 1,
        "one ChunkSet event per chunk and one Attested event"
    );
    let last = flow.last_attestation().unwrap();
    assert_eq!(last.root, att.state_root().unwrap());
    assert_eq!(last.root, lean_imt::root(&leaves).unwrap());
    assert_eq!(last.commitment, att.commitment().unwrap());
    assert_eq!(last.key_commitment, key_commitment());
    assert_eq!(last.block, receipt.block_number);
    assert_eq!(last.lineage, 2, "the lineage is every nonce's high 64 bits");
    assert_eq!(last.lineage, att.lineage().unwrap());
    assert_eq!(last.records, 14);
    assert_eq!(AttestationRecord::from_receipt(&receipt).unwrap(), last);
    let block = last.block;
    assert!(flow.is_fresh(MAX_AGE).unwrap());

    let sender = flow.chain.sender();
    let before = flow.chain.balance(sender);
    flow.withdraw(U256::from(400u64))
        .expect("fresh: withdraw works");
    assert_eq!(flow.chain.balance(sender) - before, U256::from(400u64));
    assert_eq!(flow.vault_balance(sender).unwrap(), U256::from(600u64));
    let err = flow.withdraw(U256::from(601u64)).unwrap_err();
    assert!(reason(err).contains("InsufficientBalance"));

    // Age: fresh for MAX_AGE blocks after the attestation, then stale.
    let age = flow.chain.block_number() - block;
    flow.chain.mine(MAX_AGE - age);
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    flow.chain.mine(1);
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    assert!(flow.is_fresh(MAX_AGE + 1).unwrap());
    let err = flow.withdraw(U256::from(1u64)).unwrap_err();
    assert!(reason(err).contains("StaleBackup"));
}

#[test]
fn new_leaf_makes_gate_stale_until_reattested() {
    let mut all = leaves(11, 3);
    let extra = all.pop().unwrap();
    let mut flow = flow_with(&all);
    flow.deposit(U256::from(100u64)).unwrap();
    attest(&mut flow, &backup(&all, CHUNK, 3)).unwrap();
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    flow.withdraw(U256::from(10u64)).unwrap();

    flow.insert_leaves(&[extra]).unwrap();
    assert!(!flow.is_fresh(MAX_AGE).unwrap(), "root moved on");
    assert!(reason(flow.withdraw(U256::from(10u64)).unwrap_err()).contains("StaleBackup"));
    // The old backup no longer matches the state: the gate holds it, nothing to submit.
    let report = flow.attest(&backup(&all, CHUNK, 3), MAX_GAS_CAP).unwrap();
    assert!(report.plan.is_empty() && report.attested.is_none());
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    // Submitted again in full it is a replay of existing chunks.
    let err = attest(&mut flow, &backup(&all, CHUNK, 3)).unwrap_err();
    assert!(reason(err).contains("ChunkExists"), "old state refused");

    all.push(extra);
    let report = flow
        .attest(&backup(&all, CHUNK, 4), MAX_GAS_CAP)
        .expect("new backup");
    assert_eq!(report.transactions.len(), 1);
    assert!(report.attested.is_some());
    assert!(
        flow.is_retired(3).unwrap(),
        "the new lineage retires the old"
    );
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    flow.withdraw(U256::from(10u64)).unwrap();
}

#[test]
fn tampered_proofs_and_inputs_fail() {
    let leaves = leaves(16, 5);
    let att = backup(&leaves, CHUNK, 5);
    let mut flow = flow_with(&leaves);
    let honest = att.raw();

    // A flipped proof coordinate, in each of A, B, C and in each chunk position.
    for (chunk, word) in [(0, 0), (1, 3), (2, 7), (3, 4), (0, 5), (3, 1)] {
        let mut raw = honest.clone();
        raw.proofs[chunk][word] ^= U256::from(1u64);
        let err = flow.attest_raw(&raw).unwrap_err();
        assert!(
            reason(err).contains("InvalidProofs"),
            "chunk {chunk} word {word}"
        );
    }
    // A coordinate >= q (y + q encodes the same residue).
    let mut raw = honest.clone();
    raw.proofs[1][1] += q_mod();
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("InvalidProofs"));
    // Proofs swapped between chunks.
    let mut raw = honest.clone();
    raw.proofs.swap(0, 1);
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("InvalidProofs"));
    // Another chunk commitment (C changes, so the proof no longer matches).
    let mut raw = honest.clone();
    raw.chunk_commitments[2] += U256::from(1u64);
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("InvalidProofs"));
    // Another backup id for every chunk: the layout holds, the proofs do not.
    let mut raw = honest.clone();
    for nonce in &mut raw.nonces {
        *nonce += U256::from(1u64) << 32;
    }
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("InvalidProofs"));
    // Another chunk index or another backup id in one nonce.
    let mut raw = honest.clone();
    raw.nonces[3] += U256::from(1u64);
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("ChunkGap { index: 4, next: 3 }"));
    let mut raw = honest.clone();
    raw.nonces[3] += U256::from(1u64) << 32;
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("InvalidProofs"));
    let mut raw = honest.clone();
    raw.nonces[3] += U256::from(1u64) << 64;
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("LineageMismatch"));
    let mut raw = honest.clone();
    raw.chunk_roots[1] = U256::ZERO;
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("NotCanonical"));
    // Non-canonical public input: commitment + r.
    let mut raw = honest.clone();
    raw.chunk_commitments[0] += r_mod();
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("NotCanonical"));
    // Nonce of 128 bits.
    let mut raw = honest.clone();
    raw.nonces[0] = U256::from(1u64) << 128;
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("NonceOutOfRange"));
    // Counts: a short middle chunk, a last chunk of 0 or more than the chunk size.
    for (j, c) in [(1usize, 3u64), (3, 0), (3, 5)] {
        let mut raw = honest.clone();
        raw.counts[j] = U256::from(c);
        assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("BadCount"));
    }
    // Shape.
    let mut raw = honest.clone();
    raw.nonces.pop();
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("BadShape"));
    let mut raw = honest.clone();
    raw.proofs.clear();
    raw.chunk_roots.clear();
    raw.chunk_commitments.clear();
    raw.nonces.clear();
    raw.counts.clear();
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("BadShape"));
    let mut raw = honest.clone();
    raw.updates = 5;
    assert!(reason(flow.attest_raw(&raw).unwrap_err()).contains("BadShape"));

    // Nothing was recorded; the honest one still passes.
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    flow.attest_raw(&honest).expect("honest");
    assert!(flow.is_fresh(MAX_AGE).unwrap());
}

#[test]
fn chunk_roots_must_match_the_state_root() {
    let state = leaves(12, 6);
    let mut flow = flow_with(&state);
    // A backup of other records (valid proofs, wrong state): taken as progress of its lineage,
    // never complete, never fresh.
    let other = backup(&leaves(12, 60), CHUNK, 60);
    let receipt = attest(&mut flow, &other).unwrap();
    assert!(
        AttestationRecord::from_receipt(&receipt).is_err(),
        "not complete"
    );
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    // Chunks reordered: every proof is valid, but each nonce names its chunk's index.
    let mut att = backup(&state, CHUNK, 6);
    att.chunks.swap(0, 1);
    assert!(reason(attest(&mut flow, &att).unwrap_err()).contains("ChunkGap { index: 1, next: 0 }"));
    // A chunk dropped: the counts no longer sum to the state's size; progress only.
    let mut att = backup(&state, CHUNK, 61);
    att.chunks.pop();
    let receipt = attest(&mut flow, &att).unwrap();
    assert!(
        AttestationRecord::from_receipt(&receipt).is_err(),
        "not complete"
    );
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    // A chunk duplicated.
    let mut att = backup(&state, CHUNK, 6);
    let dup = att.chunks[2].clone();
    att.chunks.push(dup);
    assert!(reason(attest(&mut flow, &att).unwrap_err()).contains("ChunkExists { index: 2 }"));
    // Reordered chunks with their nonces rewritten to fit the new order (a prover who knows
    // the key could prove them so): the roots do not combine into R: never complete.
    let mut att = backup(&state, CHUNK, 62);
    att.chunks.swap(0, 1);
    for (j, c) in att.chunks.iter_mut().enumerate() {
        c.public_inputs.nonce = nonce(62, j);
        c.proof = prove(gate_inputs(c, key_commitment()), 600 + j as u64);
    }
    let receipt = attest(&mut flow, &att).unwrap();
    assert!(
        AttestationRecord::from_receipt(&receipt).is_err(),
        "not complete"
    );
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    attest(&mut flow, &backup(&state, CHUNK, 6)).expect("the honest backup completes");
    assert!(flow.is_fresh(MAX_AGE).unwrap());
}

#[test]
fn wrong_key_commitment_fails() {
    let leaves = leaves(8, 7);
    let mut flow = flow_with(&leaves);
    // Valid proofs for the right state, but under another key commitment.
    let att = backup_with(&keys().pk, &leaves, CHUNK, Fr::from(12345u64), 7);
    assert!(reason(attest(&mut flow, &att).unwrap_err()).contains("InvalidProofs"));
    // Proofs from another setup (wrong verifying key).
    let other = other_keys();
    let att = backup_with(&other.pk, &leaves, CHUNK, key_commitment(), 7);
    assert!(reason(attest(&mut flow, &att).unwrap_err()).contains("InvalidProofs"));
    attest(&mut flow, &backup(&leaves, CHUNK, 7)).expect("right key");
}

#[test]
fn replay_is_refused() {
    let leaves = leaves(9, 8);
    let att = backup(&leaves, CHUNK, 8);
    let mut flow = flow_with(&leaves);
    attest(&mut flow, &att).unwrap();
    let err = attest(&mut flow, &att).unwrap_err();
    assert!(reason(err).contains("ChunkExists"));
    // Re-proving the same backup (fresh randomness) is still the same chunks.
    let again = backup(&leaves, CHUNK, 8);
    let mut again_rerandomized = again.clone();
    again_rerandomized.chunks[0].proof =
        prove(gate_inputs(&again.chunks[0], key_commitment()), 999_999);
    let err = attest(&mut flow, &again_rerandomized).unwrap_err();
    assert!(reason(err).contains("ChunkExists"));
}

#[test]
fn single_chunk_and_partial_last_chunk() {
    // One chunk (R is its root), then a state whose last chunk holds one record.
    for n in [1usize, 3, 4, 5, 13] {
        let leaves = leaves(n, 100 + n as u64);
        let att = backup(&leaves, CHUNK, 100 + n as u64);
        let mut flow = flow_with(&leaves);
        attest(&mut flow, &att).unwrap_or_else(|e| panic!("{n} leaves: {e}"));
        assert!(flow.is_fresh(1).unwrap());
        assert!(
            !flow.is_fresh(0).unwrap(),
            "the next block is one block later"
        );
    }
}

#[test]
fn verifier_entry_points_reject_bad_values() {
    let mut flow = flow_with(&leaves(4, 9));
    let verifier = flow.addresses.verifier;
    let att = backup(&leaves(8, 9), CHUNK, 9);
    let k = key_commitment();
    let words: Vec<[U256; 8]> = att.chunks.iter().map(|c| proof_words(&c.proof)).collect();
    let inputs: Vec<[U256; 5]> = att
        .chunks
        .iter()
        .map(|c| gate_inputs(c, k).map(fr_to_u256))
        .collect();
    let chain = &mut flow.chain;
    assert!(
        verify_proof_raw(chain, verifier, &words[0], &inputs[0])
            .unwrap()
            .0
    );
    assert!(
        verify_batch_raw(chain, verifier, &words, &inputs)
            .unwrap()
            .0
    );
    // Each public input + r.
    for i in 0..5 {
        let mut bad = inputs[0];
        bad[i] += r_mod();
        assert!(
            !verify_proof_raw(chain, verifier, &words[0], &bad)
                .unwrap()
                .0,
            "input {i}"
        );
        let mut batch = inputs.clone();
        batch[1][i] += r_mod();
        assert!(
            !verify_batch_raw(chain, verifier, &words, &batch).unwrap().0,
            "input {i}"
        );
    }
    // Each proof coordinate + q, and flipped.
    for w in 0..8 {
        let mut bad = words[0];
        bad[w] += q_mod();
        assert!(
            !verify_proof_raw(chain, verifier, &bad, &inputs[0])
                .unwrap()
                .0,
            "word {w}"
        );
        let mut bad = words.clone();
        bad[1][w] ^= U256::from(1u64);
        assert!(
            !verify_batch_raw(chain, verifier, &bad, &inputs).unwrap().0,
            "word {w}"
        );
    }
    // Points not on the curve / not in G2's subgroup: (1, 3) is not on G1; B = (1, 1, 1, 1)
    // is not on the twist.
    let mut bad = words[0];
    bad[0] = U256::from(1u64);
    bad[1] = U256::from(3u64);
    assert!(
        !verify_proof_raw(chain, verifier, &bad, &inputs[0])
            .unwrap()
            .0
    );
    let mut bad = words[0];
    bad[2..6].copy_from_slice(&[U256::from(1u64); 4]);
    assert!(
        !verify_proof_raw(chain, verifier, &bad, &inputs[0])
            .unwrap()
            .0
    );
    // Mismatched lengths and empty batches.
    assert!(
        !verify_batch_raw(chain, verifier, &words, &inputs[..1])
            .unwrap()
            .0
    );
    assert!(!verify_batch_raw(chain, verifier, &[], &[]).unwrap().0);
    // A proof checked against another chunk's inputs.
    assert!(
        !verify_proof_raw(chain, verifier, &words[0], &inputs[1])
            .unwrap()
            .0
    );
}

#[test]
fn only_the_owner_inserts() {
    let mut flow = flow_with(&leaves(2, 10));
    flow.chain.set_sender(alloy_primitives::address!(
        "1000000000000000000000000000000000000001"
    ));
    let err = flow.insert_leaves(&leaves(1, 11)).unwrap_err();
    assert!(reason(err).contains("NotOwner"));
}
