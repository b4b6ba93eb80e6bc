//! Issue 11's gate: a first attestation split over transactions under a gas cap, deltas that
//! submit only the touched chunks, and the rules a submit must keep (nonces only move forward
//! per chunk, one lineage, no gaps, full middle chunks, retired lineages), and the gate's stored
//! trees equal the LeanIMT of the chunks after any appends and updates.

use crate::common;

use alloy_primitives::U256;
use ark_bn254::Fr;
use common::*;
use zkbackup_chain::abi::{fr_to_u256, proof_words};
use zkbackup_chain::gate::GateFlow;
use zkbackup_chain::{
    Attestation, AttestationRecord, ChainError, EmbeddedChain, GateConfig, PlanError,
    RawSubmission, MAX_GAS_CAP,
};
use zkbackup_core::chunk::Nonce;
use zkbackup_verifier::ChunkProof;

const MAX_AGE: u64 = 100;

fn flow_with(leaves: &[Fr], chunk_size: usize) -> GateFlow {
    let config = GateConfig {
        key_commitment: key_commitment(),
        chunk_size: chunk_size as u64,
        max_age_blocks: MAX_AGE,
    };
    let mut flow = GateFlow::deploy(EmbeddedChain::new(), &keys().vk, config).expect("deploy");
    flow.insert_leaves(leaves).expect("insert");
    flow
}

fn reason(e: ChainError) -> String {
    e.revert_reason()
        .unwrap_or_else(|| panic!("expected a revert, got {e}"))
        .to_string()
}

fn lineage_of(c: &ChunkProof) -> u64 {
    Nonce::from_field(&c.public_inputs.nonce).unwrap().lineage
}

/// A `submit` that replaces chunks by `new`, in order.
fn update_raw(new: &[ChunkProof]) -> RawSubmission {
    let mut raw = RawSubmission {
        lineage: lineage_of(&new[0]),
        updates: new.len(),
        ..Default::default()
    };
    for c in new {
        let p = &c.public_inputs;
        raw.proofs.push(proof_words(&c.proof));
        raw.chunk_roots.push(fr_to_u256(p.chunk_root));
        raw.chunk_commitments.push(fr_to_u256(p.chunk_commitment));
        raw.nonces.push(fr_to_u256(p.nonce));
        raw.counts.push(fr_to_u256(p.count));
    }
    raw
}

#[test]
fn first_attestation_split_over_transactions_completes_only_at_the_last() {
    let state = leaves(41, 1);
    let mut flow = flow_with(&state, 2);
    let att = backup(&state, 2, 0x51);
    assert_eq!(att.chunks.len(), 21);
    let cap = 1_200_000;
    let report = flow.attest(&att, cap).unwrap();
    let txs = &report.transactions;
    assert!(txs.len() >= 3, "{} transactions", txs.len());
    for (i, t) in txs.iter().enumerate() {
        assert!(t.gas_limit <= cap && t.gas_used <= cap, "tx {i}: {t:?}");
        assert_eq!(t.completed, i + 1 == txs.len(), "only the last completes");
    }
    let appended: Vec<usize> = txs.iter().flat_map(|t| t.appends.clone()).collect();
    assert_eq!(appended, (0..21).collect::<Vec<_>>());
    let record = report.attested.expect("complete");
    assert_eq!(record, flow.last_attestation().unwrap());
    assert_eq!((record.records, record.lineage), (41, 0x51));
    assert_eq!(record.root, att.state_root().unwrap());
    assert_eq!(record.commitment, att.commitment().unwrap());
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    // Nothing left to do.
    let again = flow.attest(&att, cap).unwrap();
    assert!(again.plan.is_empty() && again.transactions.is_empty());
    assert_eq!(again.plan.unchanged, 21);
}

#[test]
fn an_incomplete_first_attestation_is_not_fresh_and_resumes() {
    let state = leaves(20, 2);
    let mut flow = flow_with(&state, 2);
    let att = backup(&state, 2, 0x52);
    let half = Attestation {
        chunks: att.chunks[..6].to_vec(),
    };
    let report = flow.attest(&half, MAX_GAS_CAP).unwrap();
    assert_eq!(report.transactions.len(), 1);
    assert!(report.attested.is_none(), "12 of 20 records");
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    assert_eq!(flow.last_attestation().unwrap().root, Fr::from(0u64));
    // The rest only: chunks 6..10.
    let report = flow.attest(&att, MAX_GAS_CAP).unwrap();
    assert_eq!(report.plan.unchanged, 6);
    assert_eq!(report.plan.appends, (6..10).collect::<Vec<_>>());
    assert!(report.attested.is_some());
    assert!(flow.is_fresh(MAX_AGE).unwrap());
}

#[test]
fn a_delta_of_the_touched_chunks_makes_the_gate_fresh_again() {
    let mut state = leaves(22, 3);
    let mut flow = flow_with(&state, 4);
    let v0 = backup(&state, 4, 0x53);
    let first = flow.attest(&v0, MAX_GAS_CAP).unwrap();
    assert!(first.attested.is_some());
    flow.deposit(U256::from(100u64)).unwrap();

    // One leaf updated (chunk 1), one inserted (into the partial last chunk 5).
    flow.update_leaf(&state, 5, Fr::from(777u64)).unwrap();
    state[5] = Fr::from(777u64);
    let extra = leaves(3, 33);
    flow.insert_leaves(&extra[..1]).unwrap();
    state.push(extra[0]);
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("StaleBackup"));
    let v1 = incremental(&v0, &state, 4, 1, &[1, 5]);
    let d = flow.attest(&v1, MAX_GAS_CAP).unwrap();
    assert_eq!(d.plan.updates, vec![1, 5], "only the touched chunks");
    assert!(d.plan.appends.is_empty());
    assert_eq!(d.plan.unchanged, 4);
    assert_eq!(d.transactions.len(), 1);
    let record = d.attested.expect("complete");
    assert_eq!((record.records, record.lineage), (23, 0x53));
    assert_eq!(record.root, flow.state_root().unwrap());
    assert_eq!(record.commitment, v1.commitment().unwrap());
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    flow.withdraw(U256::from(1u64)).unwrap();
    assert!(
        d.gas_used() < first.gas_used(),
        "{} vs {}",
        d.gas_used(),
        first.gas_used()
    );

    // Two more leaves: chunk 5 fills up, chunk 6 is new.
    flow.insert_leaves(&extra[1..]).unwrap();
    state.extend_from_slice(&extra[1..]);
    let v2 = incremental(&v1, &state, 4, 2, &[5]);
    let d = flow.attest(&v2, MAX_GAS_CAP).unwrap();
    assert_eq!(
        (d.plan.updates.clone(), d.plan.appends.clone()),
        (vec![5], vec![6])
    );
    assert!(d.attested.is_some());
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    assert_eq!(
        flow.chunk_nonce(0x53, 5).unwrap(),
        Nonce::new(0x53, 2, 5).to_u128()
    );
    assert_eq!(
        flow.chunk_nonce(0x53, 0).unwrap(),
        Nonce::new(0x53, 0, 0).to_u128()
    );
}

#[test]
fn the_gate_refuses_rollback_replay_mixing_gaps_and_bad_counts() {
    let mut state = leaves(12, 4);
    let mut flow = flow_with(&state, 4);
    let lineage = 0x54;
    let v0 = backup(&state, 4, lineage);
    flow.attest(&v0, MAX_GAS_CAP).unwrap();
    flow.update_leaf(&state, 1, Fr::from(555u64)).unwrap();
    state[1] = Fr::from(555u64);
    let v1 = incremental(&v0, &state, 4, 1, &[0]);
    assert!(flow.attest(&v1, MAX_GAS_CAP).unwrap().attested.is_some());
    let mut submit = |raw: &RawSubmission| reason(flow.attest_raw(raw).unwrap_err());

    // Rollback: chunk 0's older version (a genuine proof of the earlier state).
    let why = submit(&update_raw(&v0.chunks[..1]));
    assert!(why.contains("NonceRollback { index: 0"), "{why}");
    // Replay: chunk 0's current version again.
    let why = submit(&update_raw(&v1.chunks[..1]));
    assert!(why.contains("NonceReplayed { index: 0"), "{why}");
    // Another lineage's chunk in this lineage's submit.
    let other = chunk_with(&keys().pk, &state, 4, key_commitment(), (0x99, 1, 2));
    let mut raw = update_raw(&[v1.chunks[2].clone()]);
    raw.proofs[0] = proof_words(&other.proof);
    raw.nonces[0] = fr_to_u256(other.public_inputs.nonce);
    let why = submit(&raw);
    assert!(
        why.contains("LineageMismatch { entry: 0, nonceLineage: 153, lineage: 84 }"),
        "{why}"
    );
    // A gap: chunk 4 of a 3-chunk lineage.
    let gap = Attestation {
        chunks: vec![chunk_of_root(Fr::from(9u64), 4, (lineage, 0, 4))],
    };
    let why = submit(&gap.raw());
    assert!(why.contains("ChunkGap { index: 4, next: 3 }"), "{why}");
    // An update past the end.
    let past = chunk_of_root(Fr::from(9u64), 4, (lineage, 1, 3));
    let mut raw = update_raw(&[v1.chunks[2].clone()]);
    raw.proofs[0] = proof_words(&past.proof);
    raw.nonces[0] = fr_to_u256(past.public_inputs.nonce);
    raw.chunk_roots[0] = fr_to_u256(past.public_inputs.chunk_root);
    raw.chunk_commitments[0] = fr_to_u256(past.public_inputs.chunk_commitment);
    let why = submit(&raw);
    assert!(why.contains("NoSuchChunk { index: 3, chunks: 3 }"), "{why}");
    // A middle chunk that is not full.
    let short = chunk_of_root(Fr::from(9u64), 3, (lineage, 1, 1));
    let why = submit(&update_raw(&[short]));
    assert!(why.contains("BadCount { index: 1, count: 3 }"), "{why}");
    let next = chunk_of_root(Fr::from(9u64), 4, (lineage, 1, 2));
    let honest = update_raw(&[next]);
    // The honest update of chunk 2 goes in (progress: its root is not the state's).
    let receipt = flow.attest_raw(&honest).unwrap();
    assert!(AttestationRecord::from_receipt(&receipt).is_err());
    // The last completed attestation stands: its root and size are still the source's (and
    // its ciphertexts are the custodian's to keep until a newer attestation completes).
    let last = flow.last_attestation().unwrap();
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    assert_eq!(last.commitment, v1.commitment().unwrap());

    // The planner refuses a bundle older than the chain.
    let err = flow.attest(&v0, MAX_GAS_CAP).unwrap_err();
    assert!(
        matches!(err, ChainError::Plan(PlanError::Older { index: 0 })),
        "{err}"
    );
    let err = flow.attest(&v1, MAX_GAS_CAP + 1).unwrap_err();
    assert!(
        matches!(err, ChainError::Plan(PlanError::GasCap { .. })),
        "{err}"
    );
}

#[test]
fn counts_must_sum_to_size_and_replaced_lineages_retire() {
    let state = leaves(12, 5);
    let mut flow = flow_with(&state, 4);
    // Lineage A: a backup of the first 8 records only: never complete.
    let short = backup(&state[..8], 4, 0xa);
    let report = flow.attest(&short, MAX_GAS_CAP).unwrap();
    assert!(report.attested.is_none());
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    // Lineage B completes; A (started before B) is retired though it was never current.
    let b = backup(&state, 4, 0xb);
    flow.attest(&b, MAX_GAS_CAP).unwrap();
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    assert!(flow.is_retired(0xa).unwrap() && !flow.is_retired(0xb).unwrap());
    let rest = backup(&state, 4, 0xa);
    let err = flow.attest(&rest, MAX_GAS_CAP).unwrap_err();
    assert!(
        matches!(err, ChainError::Plan(PlanError::Retired { lineage: 0xa })),
        "{err}"
    );
    let mut raw = rest.raw();
    raw.proofs.drain(..2);
    raw.chunk_roots.drain(..2);
    raw.chunk_commitments.drain(..2);
    raw.nonces.drain(..2);
    raw.counts.drain(..2);
    let why = reason(flow.attest_raw(&raw).unwrap_err());
    assert!(why.contains("RetiredLineage { lineage: 10 }"), "{why}");
    // Lineage C replaces B; B retires.
    let c = backup(&state, 4, 0xc);
    let report = flow.attest(&c, MAX_GAS_CAP).unwrap();
    assert_eq!(report.attested.unwrap().lineage, 0xc);
    assert!(flow.is_retired(0xb).unwrap());
    let err = flow.attest(&b, MAX_GAS_CAP).unwrap_err();
    assert!(
        matches!(err, ChainError::Plan(PlanError::Retired { lineage: 0xb })),
        "{err}"
    );
}

/// The gate stores every node of its two trees (`StoredLeanIMT`): after appends in batches of
/// any size and updates of any chunks, with repeated leaves, its roots are the LeanIMT roots of
/// the chunks (`read_lineage` compares them with `LeanImt`, itself checked against
/// @zk-kit/lean-imt in tests/tests/integration/cross_js.rs) and `chunkAt` returns each chunk.
#[test]
fn stored_trees_equal_the_lean_imt_after_any_appends_and_updates() {
    let config = GateConfig {
        key_commitment: key_commitment(),
        chunk_size: 1,
        max_age_blocks: MAX_AGE,
    };
    let mut flow = GateFlow::deploy(EmbeddedChain::new(), &keys().vk, config).expect("deploy");
    let lineage = 0x5a;
    let mut version = vec![0u32; 0];
    let mut roots: Vec<Fr> = Vec::new();
    // Appends of 1, 2, 3, 1, 4 chunks (sizes 1, 3, 6, 7, 11), each followed by updates.
    let mut step = 0u64;
    for batch in [1usize, 2, 3, 1, 4] {
        let start = roots.len();
        let appended: Vec<ChunkProof> = (start..start + batch)
            .map(|j| {
                // Chunk roots repeat (j mod 3): the tree does not need distinct leaves.
                let root = Fr::from(1 + (j % 3) as u64);
                chunk_of_root(root, 1, (lineage, 0, j))
            })
            .collect();
        for c in &appended {
            roots.push(c.public_inputs.chunk_root);
            version.push(0);
        }
        let raw = Attestation { chunks: appended }.raw();
        flow.attest_raw(&raw).expect("append");
        check(&mut flow, lineage, &roots);
        // Update the first, the last and a middle chunk, one submit each, then two at once.
        let n = roots.len();
        for set in [vec![0], vec![n - 1], vec![n / 2], vec![n / 3, n - 1]] {
            let mut set = set;
            set.dedup();
            let new: Vec<ChunkProof> = set
                .iter()
                .map(|&j| {
                    step += 1;
                    version[j] += 1;
                    let root = Fr::from(100 + step);
                    roots[j] = root;
                    chunk_of_root(root, 1, (lineage, version[j], j))
                })
                .collect();
            flow.attest_raw(&update_raw(&new)).expect("update");
            check(&mut flow, lineage, &roots);
        }
    }

    fn check(flow: &mut GateFlow, lineage: u64, roots: &[Fr]) {
        let held = flow
            .read_lineage(lineage)
            .expect("the stored trees are the LeanIMTs");
        assert_eq!(held.chunks.len(), roots.len());
        let commitments: Vec<Fr> = held.chunks.iter().map(|c| c.chunk_commitment).collect();
        for (j, root) in roots.iter().enumerate() {
            let (r, m, nonce) = flow.chunk_at(lineage, j).unwrap();
            assert_eq!((r, m, nonce), (*root, commitments[j], held.chunks[j].nonce));
        }
        assert_eq!(flow.chunk_at(lineage, roots.len()).unwrap().2, 0);
    }
}

/// A state that does not change still ages out of `isFresh`; a refresh (the last chunk
/// re-encrypted under a newer nonce: same chunk root, new commitment) is a one-chunk delta
/// that completes a new attestation of the same root and makes the gate fresh again.
#[test]
fn a_refresh_of_an_unchanged_state_makes_an_aged_gate_fresh() {
    let state = leaves(10, 6);
    let mut flow = flow_with(&state, 4);
    let v0 = backup(&state, 4, 0x56);
    let first = flow.attest(&v0, MAX_GAS_CAP).unwrap();
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    flow.chain.mine(MAX_AGE + 1);
    assert!(!flow.is_fresh(MAX_AGE).unwrap(), "aged out");
    // Re-submitting the attested bundle sends nothing: the gate stays stale.
    let again = flow.attest(&v0, MAX_GAS_CAP).unwrap();
    assert!(again.transactions.is_empty() && again.attested.is_none());
    assert!(!flow.is_fresh(MAX_AGE).unwrap());

    let v1 = incremental(&v0, &state, 4, 1, &[2]);
    assert_eq!(
        v1.chunks[2].public_inputs.chunk_root,
        v0.chunks[2].public_inputs.chunk_root
    );
    let d = flow.attest(&v1, MAX_GAS_CAP).unwrap();
    assert_eq!((d.plan.updates.clone(), d.transactions.len()), (vec![2], 1));
    let record = d.attested.expect("a new attestation");
    assert_eq!(record.root, first.attested.unwrap().root);
    assert!(flow.is_fresh(MAX_AGE).unwrap());
}
