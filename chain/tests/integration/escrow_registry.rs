//! Issue 13, on chain: the N-input verifiers, `EscrowRegistry` and the vault that requires an
//! escrowed key, on the embedded EVM. The escrow circuit's key drops in later: these tests use
//! the toy circuit (`zkbackup_tests::toy`) with the escrow shapes' 2 + 2n public inputs (8 for
//! 2-of-3, 12 for 3-of-5). The toy proves any inputs, so the registry's own checks (canonical
//! words, x != 0, distinct trustees) are tested with proofs that verify.

use crate::common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolInterface};
use ark_bn254::{Bn254, Fr};
use ark_groth16::{ProvingKey, VerifyingKey};
use common::*;
use std::sync::OnceLock;
use zkbackup_chain::abi::{
    fr_to_u256, proof_words, EscrowRegistry::EscrowRegistryErrors as E, Groth16Verifier12,
    Groth16Verifier8,
};
use zkbackup_chain::escrow::{
    self, deploy_registry, deploy_verifier_any, escrow_of, is_escrowed, register, register_raw,
    registered_event, verify_proof_any, EscrowRecord, EscrowRegistration, EscrowShape,
    RawRegistration,
};
use zkbackup_chain::gate::GateFlow;
use zkbackup_chain::{render_verifier, ChainError, EmbeddedChain, EvmBackend, GateConfig};
use zkbackup_core::poseidon;
use zkbackup_tests::toy;

pub const S23: EscrowShape = EscrowShape {
    threshold: 2,
    trustees: 3,
};
pub const S35: EscrowShape = EscrowShape {
    threshold: 3,
    trustees: 5,
};

/// The toy circuit's proving key for `shape`'s 2 + 2n inputs (deterministic per shape).
pub fn escrow_pk(shape: EscrowShape) -> &'static ProvingKey<Bn254> {
    static PK8: OnceLock<ProvingKey<Bn254>> = OnceLock::new();
    static PK12: OnceLock<ProvingKey<Bn254>> = OnceLock::new();
    match shape.public_inputs() {
        8 => PK8.get_or_init(|| toy::setup(8, 130)),
        12 => PK12.get_or_init(|| toy::setup(12, 131)),
        n => panic!("no toy key for {n} inputs"),
    }
}

/// `n` distinct made-up trustee keys (the toy circuit does not check the curve).
pub fn trustees(n: usize, salt: u64) -> Vec<(Fr, Fr)> {
    (0..n as u64)
        .map(|i| {
            (
                poseidon::hash2(Fr::from(salt), Fr::from(2 * i + 1)),
                poseidon::hash2(Fr::from(salt), Fr::from(2 * i + 2)),
            )
        })
        .collect()
}

/// A registration of `k` with a valid toy proof under `pk`.
pub fn registration_with(
    pk: &ProvingKey<Bn254>,
    shape: EscrowShape,
    k: Fr,
    trustees: Vec<(Fr, Fr)>,
    salt: u64,
) -> EscrowRegistration {
    let mut reg = EscrowRegistration {
        key_commitment: k,
        shape,
        trustees,
        digest: poseidon::hash2(Fr::from(0xd16e57u64), Fr::from(salt)),
        proof: Default::default(),
    };
    reg.proof = toy::prove_seeded(pk, &reg.public_inputs(), salt).into();
    reg
}

pub fn registration(shape: EscrowShape, k: Fr, salt: u64) -> EscrowRegistration {
    let n = usize::from(shape.trustees);
    registration_with(escrow_pk(shape), shape, k, trustees(n, salt), salt)
}

/// A chain with the verifiers for 2-of-3 and 3-of-5 and a registry over them.
pub fn chain_with_registry() -> (EmbeddedChain, Address) {
    let mut chain = EmbeddedChain::new();
    let v8 = deploy_verifier_any(&mut chain, &escrow_pk(S23).vk).unwrap();
    let v12 = deploy_verifier_any(&mut chain, &escrow_pk(S35).vk).unwrap();
    let registry = deploy_registry(&mut chain, &[(S23, v8), (S35, v12)]).unwrap();
    (chain, registry)
}

/// The registry's custom error in a revert.
fn error(e: ChainError) -> E {
    match e {
        ChainError::Reverted { data, .. } => E::abi_decode(&data)
            .unwrap_or_else(|_| panic!("not an EscrowRegistry error: {}", e_reason(&data))),
        other => panic!("expected a revert, got {other}"),
    }
}

fn e_reason(data: &[u8]) -> String {
    zkbackup_chain::abi::decode_revert(data)
}

fn record_of(reg: &EscrowRegistration, block: u64) -> EscrowRecord {
    EscrowRecord {
        shape: reg.shape,
        digest: reg.digest,
        block,
        trustees: reg.trustees.clone(),
    }
}

#[test]
fn n_input_verifiers_accept_valid_proofs_and_refuse_tampers() {
    let mut chain = EmbeddedChain::new();
    for shape in [S23, S35] {
        let pk = escrow_pk(shape);
        let verifier = deploy_verifier_any(&mut chain, &pk.vk).unwrap();
        let reg = registration(shape, Fr::from(77u64), 5);
        let proof = proof_words(&reg.proof);
        let inputs: Vec<U256> = reg.public_inputs().into_iter().map(fr_to_u256).collect();
        assert_eq!(inputs.len(), shape.public_inputs());
        assert!(
            verify_proof_any(&mut chain, verifier, &proof, &inputs)
                .unwrap()
                .0
        );
        for i in 0..inputs.len() {
            let mut bad = inputs.clone();
            bad[i] += U256::from(1u64);
            assert!(
                !verify_proof_any(&mut chain, verifier, &proof, &bad)
                    .unwrap()
                    .0,
                "{i}"
            );
            let mut bad = inputs.clone();
            bad[i] += r_mod();
            assert!(
                !verify_proof_any(&mut chain, verifier, &proof, &bad)
                    .unwrap()
                    .0,
                "{i} + r"
            );
        }
        let mut bad = proof;
        bad[0] += q_mod();
        assert!(
            !verify_proof_any(&mut chain, verifier, &bad, &inputs)
                .unwrap()
                .0
        );

        // verifyBatch through the generated bindings: 3 proofs, then one input changed.
        let regs: Vec<_> = (0..3u64)
            .map(|i| registration(shape, Fr::from(80 + i), 6 + i))
            .collect();
        let proofs: Vec<[U256; 8]> = regs.iter().map(|r| proof_words(&r.proof)).collect();
        let batch = |chain: &mut EmbeddedChain, bump: bool| -> bool {
            let mut ins: Vec<Vec<U256>> = regs
                .iter()
                .map(|r| r.public_inputs().into_iter().map(fr_to_u256).collect())
                .collect();
            if bump {
                ins[1][3] += U256::from(1u64);
            }
            let data = match shape.public_inputs() {
                8 => Groth16Verifier8::verifyBatchCall {
                    proofs: proofs.clone(),
                    inputs: ins.iter().map(|i| i.clone().try_into().unwrap()).collect(),
                }
                .abi_encode(),
                _ => Groth16Verifier12::verifyBatchCall {
                    proofs: proofs.clone(),
                    inputs: ins.iter().map(|i| i.clone().try_into().unwrap()).collect(),
                }
                .abi_encode(),
            };
            let r = chain.call(verifier, data.into()).unwrap();
            U256::from_be_slice(&r.output) == U256::from(1u64)
        };
        assert!(batch(&mut chain, false), "{shape:?}");
        assert!(!batch(&mut chain, true), "{shape:?}");
    }
    // No committed artifact for other input counts: a clear error.
    let pk = toy::setup(6, 1);
    let err = deploy_verifier_any(&mut chain, &pk.vk).unwrap_err();
    assert!(err.to_string().contains("6 public inputs"), "{err}");
}

#[test]
fn register_then_escrow_of_and_is_escrowed_report_it() {
    let (mut chain, registry) = chain_with_registry();
    let k = Fr::from(4242u64);
    assert_eq!(escrow_of(&mut chain, registry, k).unwrap(), None);
    assert!(!is_escrowed(&mut chain, registry, k, 0).unwrap());

    let reg = registration(S23, k, 1);
    let receipt = register(&mut chain, registry, &reg).expect("a valid escrow registers");
    let record = record_of(&reg, receipt.block_number);
    assert_eq!(registered_event(&receipt).unwrap(), (k, record.clone()));
    assert_eq!(escrow_of(&mut chain, registry, k).unwrap(), Some(record));
    for (min, want) in [(0, true), (1, true), (2, true), (3, false), (200, false)] {
        assert_eq!(
            is_escrowed(&mut chain, registry, k, min).unwrap(),
            want,
            "{min}"
        );
    }
    assert!(!is_escrowed(&mut chain, registry, k + Fr::from(1u64), 0).unwrap());

    // Another key, 3-of-5.
    let k2 = Fr::from(4343u64);
    let reg2 = registration(S35, k2, 2);
    let r2 = register(&mut chain, registry, &reg2).unwrap();
    assert_eq!(
        escrow_of(&mut chain, registry, k2).unwrap(),
        Some(record_of(&reg2, r2.block_number))
    );
    assert!(is_escrowed(&mut chain, registry, k2, 3).unwrap());

    // Re-registration of K (a new deal, here 3-of-5) replaces the old one, fewer trustees
    // after more included.
    let reg3 = registration(S35, k, 3);
    let r3 = register(&mut chain, registry, &reg3).unwrap();
    assert_eq!(
        escrow_of(&mut chain, registry, k).unwrap(),
        Some(record_of(&reg3, r3.block_number))
    );
    assert!(is_escrowed(&mut chain, registry, k, 3).unwrap());
    let reg4 = registration(S23, k, 4);
    let r4 = register(&mut chain, registry, &reg4).unwrap();
    assert_eq!(
        escrow_of(&mut chain, registry, k).unwrap(),
        Some(record_of(&reg4, r4.block_number))
    );
    assert!(!is_escrowed(&mut chain, registry, k, 3).unwrap());

    // Anyone replaying an escrow registered before (from the chain's history) is refused: an
    // older escrow cannot be brought back.
    for old in [&reg, &reg3, &reg4] {
        let err = register(&mut chain, registry, old).unwrap_err();
        assert_eq!(
            error(err),
            E::AlreadyRegistered(EscrowRegistry_AlreadyRegistered(old))
        );
    }
    assert_eq!(
        escrow_of(&mut chain, registry, k).unwrap().unwrap().digest,
        reg4.digest
    );
}

#[allow(non_snake_case)]
fn EscrowRegistry_AlreadyRegistered(
    r: &EscrowRegistration,
) -> zkbackup_chain::abi::EscrowRegistry::AlreadyRegistered {
    zkbackup_chain::abi::EscrowRegistry::AlreadyRegistered {
        keyCommitment: fr_to_u256(r.key_commitment),
        digest: fr_to_u256(r.digest),
    }
}

#[test]
fn register_refuses_tampers_with_specific_errors() {
    use zkbackup_chain::abi::EscrowRegistry as R;
    let (mut chain, registry) = chain_with_registry();
    let k = Fr::from(99u64);
    let good = registration(S23, k, 10);
    let mut refuse =
        |raw: &RawRegistration| error(register_raw(&mut chain, registry, raw).unwrap_err());

    // A changed proof: another valid proof's words, a flipped coordinate, a coordinate + q.
    let other = registration(S23, k, 11);
    let mut raw = good.raw();
    raw.proof = other.raw().proof;
    assert_eq!(refuse(&raw), E::InvalidProof(R::InvalidProof {}));
    for i in [0, 2, 7] {
        let mut raw = good.raw();
        raw.proof[i] ^= U256::from(1u64);
        assert_eq!(
            refuse(&raw),
            E::InvalidProof(R::InvalidProof {}),
            "word {i}"
        );
    }
    let mut raw = good.raw();
    raw.proof[1] += q_mod();
    assert_eq!(refuse(&raw), E::InvalidProof(R::InvalidProof {}));
    // Another digest or K than proven.
    let mut raw = good.raw();
    raw.digest += U256::from(1u64);
    assert_eq!(refuse(&raw), E::InvalidProof(R::InvalidProof {}));

    // Every public input + r (the same field element, not canonical).
    let n_inputs = S23.public_inputs();
    for i in 0..n_inputs {
        let mut raw = good.raw();
        match i {
            0 => raw.key_commitment += r_mod(),
            1 => raw.digest += r_mod(),
            _ => raw.trustee_keys[(i - 2) / 2][i % 2] += r_mod(),
        }
        assert_eq!(
            refuse(&raw),
            E::NotCanonical(R::NotCanonical {
                index: U256::from(i)
            }),
            "input {i}"
        );
    }

    // A duplicate trustee and an x = 0 trustee, each with a proof that verifies (the toy
    // proves anything): the registry's own checks refuse them.
    let mut dup = trustees(3, 12);
    dup[2] = dup[0];
    let reg = registration_with(escrow_pk(S23), S23, k, dup, 12);
    assert_eq!(
        refuse(&reg.raw()),
        E::DuplicateTrustee(R::DuplicateTrustee {
            first: U256::from(1u64),
            second: U256::from(3u64)
        })
    );
    let mut zero = trustees(3, 13);
    zero[1].0 = Fr::from(0u64);
    let reg = registration_with(escrow_pk(S23), S23, k, zero, 13);
    assert_eq!(
        refuse(&reg.raw()),
        E::ZeroTrustee(R::ZeroTrustee {
            index: U256::from(2u64)
        })
    );

    // An unknown shape.
    let mut raw = good.raw();
    raw.threshold = 3;
    assert_eq!(
        refuse(&raw),
        E::UnknownShape(R::UnknownShape {
            threshold: 3,
            trustees: 3
        })
    );
    let mut raw = good.raw();
    raw.trustees = 4;
    assert_eq!(
        refuse(&raw),
        E::UnknownShape(R::UnknownShape {
            threshold: 2,
            trustees: 4
        })
    );
    // A key list that does not fit the shape.
    let mut raw = good.raw();
    raw.trustee_keys.pop();
    assert_eq!(
        refuse(&raw),
        E::TrusteeCountMismatch(R::TrusteeCountMismatch {
            trustees: 3,
            given: U256::from(2u64)
        })
    );

    // The honest registration still goes through, once.
    register(&mut chain, registry, &good).unwrap();
    assert!(is_escrowed(&mut chain, registry, k, 2).unwrap());
}

#[test]
fn a_threshold_lie_needs_another_shapes_key() {
    use zkbackup_chain::abi::EscrowRegistry as R;
    // 2-of-3 and 3-of-3 have the same number of inputs but different circuits (keys): a
    // 2-of-3 proof claimed as 3-of-3 is refused by the 3-of-3 verifier.
    let s33 = EscrowShape {
        threshold: 3,
        trustees: 3,
    };
    let mut chain = EmbeddedChain::new();
    let v23 = deploy_verifier_any(&mut chain, &escrow_pk(S23).vk).unwrap();
    let pk33 = toy::setup(8, 133);
    let v33 = deploy_verifier_any(&mut chain, &pk33.vk).unwrap();
    let registry = deploy_registry(&mut chain, &[(S23, v23), (s33, v33)]).unwrap();
    let k = Fr::from(5u64);
    let reg = registration(S23, k, 20);
    let mut lie = reg.raw();
    lie.threshold = 3;
    let err = register_raw(&mut chain, registry, &lie).unwrap_err();
    assert_eq!(error(err), E::InvalidProof(R::InvalidProof {}));
    assert!(!is_escrowed(&mut chain, registry, k, 0).unwrap());
    // A real 3-of-3 proof registers, and then counts for minThreshold 3.
    let reg33 = registration_with(&pk33, s33, k, trustees(3, 21), 21);
    register(&mut chain, registry, &reg33).unwrap();
    assert!(is_escrowed(&mut chain, registry, k, 3).unwrap());
}

#[test]
fn registry_constructor_refuses_bad_shapes() {
    use zkbackup_chain::abi::EscrowRegistry as R;
    let mut chain = EmbeddedChain::new();
    let v = deploy_verifier_any(&mut chain, &escrow_pk(S23).vk).unwrap();
    let s = |threshold, trustees| EscrowShape {
        threshold,
        trustees,
    };
    let bad = |i: u64| {
        E::BadConfig(R::BadConfig {
            index: U256::from(i),
        })
    };
    for (shapes, at) in [
        (vec![(s(0, 3), v)], 0),
        (vec![(S23, v), (s(4, 3), v)], 1),
        (vec![(s(2, 17), v)], 0),
        (vec![(S23, Address::repeat_byte(7))], 0),
        (vec![(S23, v), (S35, v), (S23, v)], 2),
    ] {
        let err = deploy_registry(&mut chain, &shapes).unwrap_err();
        assert_eq!(error(err), bad(at), "{shapes:?}");
    }
    let registry = deploy_registry(&mut chain, &[(s(16, 16), v), (s(1, 1), v)]).unwrap();
    let r = chain
        .call(registry, R::MAX_TRUSTEESCall {}.abi_encode().into())
        .unwrap();
    assert_eq!(
        U256::from_be_slice(&r.output),
        U256::from(escrow::MAX_TRUSTEES)
    );
    let r = chain
        .call(
            registry,
            R::verifierOfCall {
                threshold: 16,
                trustees: 16,
            }
            .abi_encode()
            .into(),
        )
        .unwrap();
    assert_eq!(Address::from_slice(&r.output[12..]), v);
}

const MAX_AGE: u64 = 10;

fn vault_config() -> GateConfig {
    GateConfig {
        key_commitment: key_commitment(),
        chunk_size: 4,
        max_age_blocks: MAX_AGE,
    }
}

#[test]
fn vault_with_registry_refuses_until_the_key_is_escrowed() {
    let (chain, registry) = chain_with_registry();
    let mut flow =
        GateFlow::deploy_escrowed(chain, &keys().vk, vault_config(), registry, 2).unwrap();
    let leaves = leaves(9, 30);
    flow.insert_leaves(&leaves).unwrap();
    flow.deposit(U256::from(1_000u64)).unwrap();
    let reason = |e: ChainError| e.revert_reason().expect("a revert").to_string();
    // Not fresh: StaleBackup first, as before.
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("StaleBackup"));
    flow.attest_raw(&backup(&leaves, 4, 30).raw()).unwrap();
    assert!(flow.is_fresh(MAX_AGE).unwrap());
    // Fresh, but the key is not escrowed.
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("KeyNotEscrowed"));
    // Escrowed for another key: still refused.
    register(
        &mut flow.chain,
        registry,
        &registration(S23, Fr::from(1u64), 31),
    )
    .unwrap();
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("KeyNotEscrowed"));
    // The gate's key, 2-of-3: withdrawals go through.
    register(
        &mut flow.chain,
        registry,
        &registration(S23, key_commitment(), 32),
    )
    .unwrap();
    flow.withdraw(U256::from(400u64))
        .expect("fresh and escrowed");
    assert_eq!(
        flow.vault_balance(flow.chain.sender()).unwrap(),
        U256::from(600u64)
    );
    // Stale again: StaleBackup, escrow or not.
    flow.chain.mine(MAX_AGE + 1);
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("StaleBackup"));
}

#[test]
fn vault_min_threshold_counts() {
    let (chain, registry) = chain_with_registry();
    let mut flow =
        GateFlow::deploy_escrowed(chain, &keys().vk, vault_config(), registry, 3).unwrap();
    let leaves = leaves(5, 33);
    flow.insert_leaves(&leaves).unwrap();
    flow.deposit(U256::from(10u64)).unwrap();
    flow.attest_raw(&backup(&leaves, 4, 33).raw()).unwrap();
    let reason = |e: ChainError| e.revert_reason().expect("a revert").to_string();
    // 2-of-3 is below the vault's minimum threshold 3.
    register(
        &mut flow.chain,
        registry,
        &registration(S23, key_commitment(), 34),
    )
    .unwrap();
    assert!(!is_escrowed(&mut flow.chain, registry, key_commitment(), 3).unwrap());
    assert!(reason(flow.withdraw(U256::from(1u64)).unwrap_err()).contains("KeyNotEscrowed"));
    // Re-escrowed 3-of-5: enough.
    register(
        &mut flow.chain,
        registry,
        &registration(S35, key_commitment(), 35),
    )
    .unwrap();
    flow.withdraw(U256::from(1u64)).expect("3-of-5 is enough");
}

/// The registry calls verifiers with snarkjs's ABI: snarkjs's own exported verifier for the
/// same key works as a shape's verifier, and so does the `export-verifier` rendering.
#[test]
fn registry_works_with_snarkjs_and_rendered_verifiers() {
    require_node();
    let vk: &VerifyingKey<Bn254> = &escrow_pk(S23).vk;
    let mut chain = EmbeddedChain::new();
    let snarkjs = compile(&snarkjs_verifier_source(vk), "Groth16Verifier");
    let snarkjs = chain.deploy(&snarkjs, &[]).unwrap();
    let rendered = compile(&render_verifier(vk).unwrap(), "Groth16Verifier8");
    let rendered = chain.deploy(&rendered, &[]).unwrap();
    for (i, v) in [snarkjs, rendered].into_iter().enumerate() {
        let registry = deploy_registry(&mut chain, &[(S23, v)]).unwrap();
        let reg = registration(S23, Fr::from(600u64 + i as u64), 40);
        register(&mut chain, registry, &reg).unwrap();
        assert!(is_escrowed(&mut chain, registry, reg.key_commitment, 2).unwrap());
        let mut bad = reg.raw();
        bad.digest += U256::from(1u64);
        assert!(register_raw(&mut chain, registry, &bad).is_err());
    }
}
