//! `zkbackup export-verifier`: the rendered standalone verifier compiles with the pinned solc,
//! deploys without arguments and verifies real proofs (needs `npm ci` in contracts/).

use crate::common;

use alloy_primitives::U256;
use common::*;
use zkbackup_chain::abi::{fr_to_u256, proof_words};
use zkbackup_chain::gate::{verify_batch_raw, verify_proof_raw};
use zkbackup_chain::gate_inputs;
use zkbackup_chain::{render_verifier, EmbeddedChain, EvmBackend};

#[test]
fn rendered_verifier_compiles_deploys_and_verifies() {
    require_node();
    let vk = &keys().vk;
    let source = render_verifier(vk).unwrap();
    assert!(
        !source.contains("internal immutable"),
        "the key is embedded as constants"
    );
    assert!(!source.contains("constructor("), "no constructor arguments");
    assert_eq!(source, render_verifier(vk).unwrap(), "deterministic");
    let artifact = compile(&source, "Groth16Verifier");

    let mut chain = EmbeddedChain::new();
    let verifier = chain
        .deploy(&artifact, &[])
        .expect("deploys without arguments");
    let att = backup(&leaves(14, 70), 4, 70);
    let k = key_commitment();
    let proofs: Vec<[U256; 8]> = att.chunks.iter().map(|c| proof_words(&c.proof)).collect();
    let inputs: Vec<[U256; 5]> = att
        .chunks
        .iter()
        .map(|c| gate_inputs(c, k).map(fr_to_u256))
        .collect();
    for (p, i) in proofs.iter().zip(&inputs) {
        assert!(verify_proof_raw(&mut chain, verifier, p, i).unwrap().0);
    }
    assert!(
        verify_batch_raw(&mut chain, verifier, &proofs, &inputs)
            .unwrap()
            .0
    );
    let mut bad = inputs.clone();
    bad[2][0] += U256::from(1u64);
    assert!(
        !verify_proof_raw(&mut chain, verifier, &proofs[2], &bad[2])
            .unwrap()
            .0
    );
    assert!(
        !verify_batch_raw(&mut chain, verifier, &proofs, &bad)
            .unwrap()
            .0
    );

    // A verifier rendered for another key refuses these proofs.
    let other = compile(
        &render_verifier(&other_keys().vk).unwrap(),
        "Groth16Verifier",
    );
    let other = chain.deploy(&other, &[]).unwrap();
    assert!(
        !verify_proof_raw(&mut chain, other, &proofs[0], &inputs[0])
            .unwrap()
            .0
    );
    assert!(
        !verify_batch_raw(&mut chain, other, &proofs, &inputs)
            .unwrap()
            .0
    );
}

#[test]
fn committed_artifacts_match_the_sources() {
    require_node();
    let out = std::process::Command::new("node")
        .arg(contracts_dir().join("build.mjs"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "contracts/out is stale: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 13: the template renders for any number of inputs (1 to 34: an escrow of up to 16
/// trustees has 2 + 2n); the rendered verifiers compile and verify, at the ends of the range
/// too. No key, or more than 34 inputs, is refused.
#[test]
fn rendered_verifiers_for_other_input_counts_compile_and_verify() {
    require_node();
    let mut chain = EmbeddedChain::new();
    for n in [1usize, 4, 8, 34] {
        let pk = zkbackup_tests::toy::setup(n, 200 + n as u64);
        let source = render_verifier(&pk.vk).unwrap();
        let name = zkbackup_chain::render::verifier_name(n);
        assert!(source.contains(&format!("contract {name} {{")));
        let verifier = chain.deploy(&compile(&source, &name), &[]).unwrap();
        let inputs: Vec<ark_bn254::Fr> = (0..n as u64).map(|i| (i * i + 3).into()).collect();
        let proof = proof_words(&zkbackup_tests::toy::prove_seeded(&pk, &inputs, 1).into());
        let words: Vec<U256> = inputs.iter().copied().map(fr_to_u256).collect();
        let verify = zkbackup_chain::escrow::verify_proof_any;
        assert!(
            verify(&mut chain, verifier, &proof, &words).unwrap().0,
            "{n}"
        );
        for i in [0, n - 1] {
            let mut bad = words.clone();
            bad[i] += U256::from(1u64);
            assert!(
                !verify(&mut chain, verifier, &proof, &bad).unwrap().0,
                "{n}: {i}"
            );
        }
    }
    let mut vk = keys().vk.clone();
    vk.gamma_abc_g1.truncate(1);
    let err = render_verifier(&vk).unwrap_err();
    assert!(err.to_string().contains("1 to 34 public inputs"), "{err}");
    let vk = zkbackup_tests::toy::setup(35, 1).vk;
    assert!(render_verifier(&vk).is_err());
}
