//! The gate's answers to issue 9's on-chain holes, with REAL chunk proofs (the chunk circuit
//! of arity 2, chunk size 2, a seeded single-party setup) on the embedded EVM:
//! - the arity-2 forgery (one record made of two subtree roots has the state's root) is
//!   refused because the record count must be the state source's size;
//! - chunk proofs of two backups (lineages) cannot be recombined, a nonce cannot repeat, a
//!   chunk is set once per nonce, and a second genuine backup of the same state is accepted
//!   (and retires the first);
//! - freshness needs the attested size, and the gate refuses a nonsensical configuration.
//!
//! Each refusal here was accepted by the gate before issue 9 (see the comments).

use crate::common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor};
use ark_bn254::Fr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::sync::{Mutex, OnceLock};
use zkbackup_chain::abi::{fr_to_u256, BackupGate};
use zkbackup_chain::artifact::committed;
use zkbackup_chain::gate::{deploy_verifier, GateAddresses};
use zkbackup_chain::{
    Attestation, AttestationRecord, ChainError, EmbeddedChain, EvmBackend, GateConfig, GateFlow,
    Receipt, MAX_GAS_CAP,
};
use zkbackup_core::chunk::{ChunkShape, ChunkWitness, Nonce};
use zkbackup_core::EscrowKey;
use zkbackup_core::{lean_imt, poseidon};
use zkbackup_prover::prove::ChunkProver;
use zkbackup_prover::ProvingKeys;
use zkbackup_verifier::ChunkProof;

const ARITY: usize = 2;
const CHUNK: usize = 2;
const MAX_AGE: u64 = 10;

/// The real chunk circuit's prover for (arity 2, chunk size 2), and the escrow key.
struct Real {
    prover: ChunkProver,
    key: EscrowKey,
    rng: Mutex<StdRng>,
}

fn real() -> &'static Real {
    static REAL: OnceLock<Real> = OnceLock::new();
    REAL.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(9);
        let shape = ChunkShape::new(ARITY, CHUNK).unwrap();
        let keys = ProvingKeys::generate(shape, &mut rng).expect("setup");
        Real {
            prover: keys.prover().expect("prover"),
            key: EscrowKey::generate_with(&mut rng),
            rng: Mutex::new(rng),
        }
    })
}

/// Proves one chunk of `records` under `nonce` with the real circuit.
fn prove_chunk(records: &[[Fr; ARITY]], nonce: u128) -> ChunkProof {
    let r = real();
    let witness =
        ChunkWitness::new(r.prover.shape(), records.concat(), r.key.clone(), nonce).unwrap();
    let (public, proof) = r
        .prover
        .prove(witness, &mut *r.rng.lock().unwrap())
        .expect("prove");
    let index = (nonce as u32) as usize;
    ChunkProof {
        index,
        public_inputs: public,
        proof: proof.into(),
    }
}

/// Chunk `j`'s nonce in a full backup of lineage `lineage`.
fn chunk_nonce(lineage: u64, j: u32) -> u128 {
    Nonce::new(lineage, 0, j).to_u128()
}

/// A genuine full backup of `records` in lineage `lineage`.
fn backup_of(records: &[[Fr; ARITY]], lineage: u64) -> Attestation {
    let chunks = records
        .chunks(CHUNK)
        .enumerate()
        .map(|(j, chunk)| prove_chunk(chunk, chunk_nonce(lineage, j as u32)))
        .collect();
    Attestation { chunks }
}

/// The whole backup in one `submit` (every chunk appended).
fn attest(flow: &mut GateFlow, att: &Attestation) -> Result<Receipt, ChainError> {
    flow.attest_raw(&att.raw())
}

fn records() -> Vec<[Fr; ARITY]> {
    (0..4u64)
        .map(|i| [Fr::from(100 + i), Fr::from(3 * i)])
        .collect()
}

fn leaves(records: &[[Fr; ARITY]]) -> Vec<Fr> {
    records.iter().map(|r| poseidon::hash(r)).collect()
}

fn config() -> GateConfig {
    GateConfig {
        key_commitment: real().key.commitment(),
        chunk_size: CHUNK as u64,
        max_age_blocks: MAX_AGE,
    }
}

/// The gate flow with the real circuit's verifying key and `records`' leaves on chain.
fn flow_with(records: &[[Fr; ARITY]]) -> GateFlow {
    let vk = real().prover.proving_key().vk.clone();
    let mut flow = GateFlow::deploy(EmbeddedChain::new(), &vk, config()).expect("deploy");
    flow.insert_leaves(&leaves(records)).expect("insert");
    flow
}

fn reason(e: zkbackup_chain::ChainError) -> String {
    e.revert_reason()
        .unwrap_or_else(|| panic!("expected a revert, got {e}"))
        .to_string()
}

/// Issue 9, item 1 on chain. With arity 2, `Poseidon(record)` is the node hash, so the one
/// record `(node01, node23)` has leaf `Poseidon(node01, node23)` = the state root of the four
/// real records. Its chunk proof is genuine and its root is the state's: the gate before
/// issue 9 accepted it (every record gone). The record count must now be `size()`: the
/// forged lineage never completes (and cannot grow: its only chunk is partial).
#[test]
fn arity_two_forgery_is_refused_by_the_record_count() {
    let records = records();
    let mut flow = flow_with(&records);
    let l = leaves(&records);
    let forged_record = [poseidon::hash2(l[0], l[1]), poseidon::hash2(l[2], l[3])];
    let forged = backup_of(&[forged_record], 0xf0f0);
    assert_eq!(
        forged.state_root().unwrap(),
        flow.state_root().unwrap(),
        "the forgery has the state's root"
    );
    assert!(flow.verify_batch(&forged).unwrap().0, "its proof is valid");
    assert_eq!(flow.state_size().unwrap(), 4);

    let receipt = attest(&mut flow, &forged).unwrap();
    assert!(
        AttestationRecord::from_receipt(&receipt).is_err(),
        "1 record is not the source's 4: not complete"
    );
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
    let more = Attestation {
        chunks: vec![prove_chunk(&records[2..], chunk_nonce(0xf0f0, 1))],
    };
    let why = reason(attest(&mut flow, &more).unwrap_err());
    assert!(
        why.contains("AppendAfterPartialChunk { index: 0, count: 1 }"),
        "{why}"
    );

    // The honest backup of the same state passes.
    let honest = backup_of(&records, 0xb0);
    attest(&mut flow, &honest).expect("honest backup");
    let last = flow.last_attestation().unwrap();
    assert_eq!((last.records, last.lineage), (4, 0xb0));
    assert!(flow.is_fresh(MAX_AGE).unwrap());
}

/// Issue 9, item 3: one attestation = one backup. Chunk 0 of backup A with chunk 1 of backup
/// B (same state, same key, both genuine) has the state's root, valid proofs and a new C that
/// was never a backup: the gate before issue 9 accepted it (freshness renewed by anyone
/// holding published proofs, without the key).
#[test]
fn proofs_of_two_backups_cannot_be_recombined() {
    let records = records();
    let mut flow = flow_with(&records);
    let a = backup_of(&records, 0xa);
    let b = backup_of(&records, 0xb);
    for (first, second, id, expected) in [(&a, &b, 0xb, 0xa), (&b, &a, 0xa, 0xb)] {
        let mixed = Attestation {
            chunks: vec![first.chunks[0].clone(), second.chunks[1].clone()],
        };
        assert_eq!(mixed.state_root().unwrap(), flow.state_root().unwrap());
        assert!(flow.verify_batch(&mixed).unwrap().0, "every proof is valid");
        let why = reason(attest(&mut flow, &mixed).unwrap_err());
        assert!(
            why.contains(&format!(
                "LineageMismatch {{ entry: 1, nonceLineage: {id}, lineage: {expected} }}"
            )),
            "{why}"
        );
    }
    // Nor across transactions: chunk 0 of A in, then chunk 1 of B onto A's lineage.
    let mut first = a.raw();
    first.proofs.truncate(1);
    first.chunk_roots.truncate(1);
    first.chunk_commitments.truncate(1);
    first.nonces.truncate(1);
    first.counts.truncate(1);
    let receipt = flow.attest_raw(&first).unwrap();
    assert!(AttestationRecord::from_receipt(&receipt).is_err());
    let mut onto_a = b.raw();
    onto_a.lineage = 0xa;
    let why = reason(flow.attest_raw(&onto_a).unwrap_err());
    assert!(
        why.contains("LineageMismatch { entry: 0, nonceLineage: 11, lineage: 10 }"),
        "{why}"
    );

    // A completes with its chunk 1; B, a second genuine backup of the same state, is
    // accepted too and retires A.
    let report = flow.attest(&a, MAX_GAS_CAP).expect("backup A");
    assert_eq!(report.plan.unchanged, 1, "chunk 0 is in already");
    let event = report.attested.expect("complete");
    assert_eq!((event.lineage, event.records), (0xa, 4));
    let why = reason(attest(&mut flow, &a).unwrap_err());
    assert!(why.contains("ChunkExists { index: 0 }"), "{why}");
    attest(&mut flow, &b).expect("backup B: same state, new lineage");
    assert_eq!(flow.last_attestation().unwrap().lineage, 0xb);
    assert!(reason(attest(&mut flow, &b).unwrap_err()).contains("ChunkExists"));
    // A is retired: not even a newer version of its chunks goes in.
    let newer = Attestation {
        chunks: vec![prove_chunk(&records[..2], Nonce::new(0xa, 1, 0).to_u128())],
    };
    let mut raw = newer.raw();
    raw.updates = 1;
    let why = reason(flow.attest_raw(&raw).unwrap_err());
    assert!(why.contains("RetiredLineage { lineage: 10 }"), "{why}");
    // Re-proving B (fresh proof randomness) is still B's chunks.
    let again = backup_of(&records, 0xb);
    assert_ne!(again.chunks[0].proof, b.chunks[0].proof);
    assert!(reason(attest(&mut flow, &again).unwrap_err()).contains("ChunkExists"));
}

/// Issue 9, item 3: a (key, nonce) pair is never used for two chunks. A prover who holds the
/// key can encrypt and prove chunk 1 under chunk 0's nonce (the real circuit proves any
/// nonce); the gate before issue 9 accepted the attestation.
#[test]
fn a_nonce_cannot_repeat() {
    let records = records();
    let mut flow = flow_with(&records);
    let id = 0xd0d0;
    let reused = Attestation {
        chunks: vec![
            prove_chunk(&records[..2], chunk_nonce(id, 0)),
            prove_chunk(&records[2..], chunk_nonce(id, 0)),
        ],
    };
    assert_eq!(reused.state_root().unwrap(), flow.state_root().unwrap());
    assert!(
        flow.verify_batch(&reused).unwrap().0,
        "every proof is valid"
    );
    let why = reason(attest(&mut flow, &reused).unwrap_err());
    assert!(why.contains("ChunkExists { index: 0 }"), "{why}");
    // Chunk 0 under chunk 1's nonce: refused at chunk 0.
    let swapped = Attestation {
        chunks: vec![
            prove_chunk(&records[..2], chunk_nonce(id, 1)),
            prove_chunk(&records[2..], chunk_nonce(id, 1)),
        ],
    };
    assert!(
        reason(attest(&mut flow, &swapped).unwrap_err()).contains("ChunkGap { index: 1, next: 0 }")
    );
    assert!(!flow.is_fresh(MAX_AGE).unwrap());
}

sol! {
    /// A state source whose root and size the test sets (a mutable source, unlike the
    /// append-only `StateSource`).
    contract MockStateSource {
        function set(uint256 root, uint256 size) external;
    }
}

const MOCK_STATE_SOURCE: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract MockStateSource {
    uint256 public root;
    uint256 public size;
    function set(uint256 root_, uint256 size_) external { root = root_; size = size_; }
}
"#;

fn gate_args(verifier: Address, state: Address, k: U256, chunk_size: U256) -> Vec<u8> {
    BackupGate::constructorCall {
        verifier_: verifier,
        stateSource_: state,
        keyCommitment_: k,
        chunkSize_: chunk_size,
    }
    .abi_encode()
}

/// Fresh means the attested root AND size are the source's current ones (docs: "the attested
/// chunk roots combine to the source's current root and size"). A mutable source can show
/// the attested root with another size (e.g. one leaf equal to the old root: the arity-2
/// collision again); the gate before issue 9 still called that fresh.
#[test]
fn freshness_needs_the_attested_size() {
    common::require_node();
    let mock = common::compile(MOCK_STATE_SOURCE, "MockStateSource");
    let mut chain = EmbeddedChain::new();
    let state = chain.deploy(&mock, &[]).unwrap();
    let vk = &common::keys().vk;
    let verifier = deploy_verifier(&mut chain, vk).unwrap();
    let k = common::key_commitment();
    let gate = chain
        .deploy(
            &committed::backup_gate(),
            &gate_args(verifier, state, fr_to_u256(k), U256::from(4u64)),
        )
        .unwrap();
    let config = GateConfig {
        key_commitment: k,
        chunk_size: 4,
        max_age_blocks: MAX_AGE,
    };
    let addresses = GateAddresses {
        state_source: state,
        verifier,
        gate,
        vault: Address::ZERO,
    };
    let mut flow = GateFlow::attach(chain, addresses, config);
    let set = |flow: &mut GateFlow, root: Fr, size: u64| {
        let data = MockStateSource::setCall {
            root: fr_to_u256(root),
            size: U256::from(size),
        }
        .abi_encode();
        flow.chain
            .transact(Some(state), data.into(), U256::ZERO)
            .unwrap();
    };

    let leaves = common::leaves(6, 70);
    let root = lean_imt::root(&leaves).unwrap();
    set(&mut flow, root, 6);
    let report = flow
        .attest(&common::backup(&leaves, 4, 70), MAX_GAS_CAP)
        .unwrap();
    assert!(report.attested.is_some());
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    set(&mut flow, root, 1);
    assert!(
        !flow.is_fresh(MAX_AGE).unwrap(),
        "same root, other size: not fresh"
    );
    set(&mut flow, root, 6);
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    set(&mut flow, Fr::from(5u64), 6);
    assert!(!flow.is_fresh(MAX_AGE).unwrap(), "other root: not fresh");
}

/// The gate's chunk size must be a power of two (chunks are aligned subtrees of the state
/// tree) of at most 2^32 (so record counts fit), and K a field element. Before issue 9 any
/// non-zero chunk size was taken.
#[test]
fn gate_refuses_a_bad_configuration() {
    let mut chain = EmbeddedChain::new();
    let vk = &common::keys().vk;
    let verifier = deploy_verifier(&mut chain, vk).unwrap();
    let state = chain.deploy(&committed::state_source(), &[]).unwrap();
    let k = fr_to_u256(common::key_commitment());
    for (k, size) in [
        (k, U256::ZERO),
        (k, U256::from(3u64)),
        (k, U256::from(12u64)),
        (k, U256::from(1u64) << 33),
        (common::r_mod(), U256::from(4u64)),
    ] {
        let err = chain
            .deploy(
                &committed::backup_gate(),
                &gate_args(verifier, state, k, size),
            )
            .unwrap_err();
        assert!(
            reason(err).contains("BadConfig"),
            "chunk size {size}, K {k}"
        );
    }
    for size in [1u64, 4, 1 << 32] {
        chain
            .deploy(
                &committed::backup_gate(),
                &gate_args(verifier, state, k, U256::from(size)),
            )
            .unwrap_or_else(|e| panic!("chunk size {size}: {e}"));
    }
}
