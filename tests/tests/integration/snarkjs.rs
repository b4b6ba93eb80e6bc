//! snarkjs interop: proofs made with arkworks and exported by `zkbackup_verifier::snarkjs`
//! are accepted by `snarkjs groth16 verify` (the npm package pinned in `tests/js`), and a
//! tampered public input is rejected. The circuit is a toy with the chunk proof's five
//! public inputs: snarkjs's check depends on the verifying key and the number of inputs,
//! not on the circuit behind them.

use ark_bn254::{Bn254, Fr};
use ark_ff::{Field, UniformRand};
use ark_groth16::ProvingKey;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use zkbackup_tests::{js_dir, toy};
use zkbackup_verifier::snarkjs::{export_bundle, public_json, verification_key_json};
use zkbackup_verifier::{circuit_id, Bundle, ChunkProof, ChunkPublic, BUNDLE_VERSION};

/// The snarkjs CLI of the pinned package; fails clearly when `npm ci` has not been run.
fn snarkjs_cli() -> PathBuf {
    let cli = js_dir().join("node_modules/snarkjs/build/cli.cjs");
    assert!(
        cli.exists(),
        "{} is missing: run npm ci in tests/js",
        cli.display()
    );
    cli
}

fn node(args: &[&Path]) -> (bool, String) {
    let out = Command::new("node")
        .args(args)
        .output()
        .expect("node is not installed (needed for the snarkjs interop test)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `snarkjs groth16 verify VK PUBLIC PROOF`: (exit 0, output).
fn snarkjs_verify(vk: &Path, public: &Path, proof: &Path) -> (bool, String) {
    let cli = snarkjs_cli();
    let groth16 = Path::new("groth16");
    let verify = Path::new("verify");
    node(&[&cli, groth16, verify, vk, public, proof])
}

/// A two-chunk bundle made with the toy circuit, exported into a temporary directory.
fn exported() -> (tempfile::TempDir, Bundle, ProvingKey<Bn254>) {
    let pk = toy::setup(5, 2024);
    let mut rng = StdRng::seed_from_u64(2025);
    let key_commitment = Fr::rand(&mut rng);
    let chunks = (0..2u64)
        .map(|j| {
            let public_inputs = ChunkPublic {
                chunk_root: Fr::rand(&mut rng),
                chunk_commitment: Fr::rand(&mut rng),
                key_commitment,
                nonce: Fr::from((7u128 << 32) | u128::from(j)),
                count: Fr::from(4 - 2 * j),
            };
            let proof = toy::prove(&pk, &public_inputs.to_inputs(), &mut rng).into();
            ChunkProof {
                index: j as usize,
                public_inputs,
                proof,
            }
        })
        .collect::<Vec<_>>();
    let bundle = Bundle {
        version: BUNDLE_VERSION,
        circuit_id: circuit_id(&(&pk.vk).into()),
        chain_id: None,
        contract: None,
        block: None,
        arity: 4,
        chunk_size: 4,
        records: 6,
        root: Fr::ONE,
        commitment: Fr::ONE,
        key_commitment,
        chunks,
    };
    let dir = tempfile::tempdir().unwrap();
    let written = export_bundle(&bundle, &(&pk.vk).into(), dir.path()).unwrap();
    assert_eq!(written.len(), 5, "{written:?}");
    (dir, bundle, pk)
}

#[test]
fn snarkjs_accepts_exported_proofs() {
    let (dir, _, _) = exported();
    let vk = dir.path().join("verification_key.json");
    for i in 0..2 {
        let public = dir.path().join(format!("public_{i}.json"));
        let proof = dir.path().join(format!("proof_{i}.json"));
        let (ok, out) = snarkjs_verify(&vk, &public, &proof);
        assert!(ok && out.contains("OK"), "chunk {i}: snarkjs said:\n{out}");
    }
}

#[test]
fn snarkjs_rejects_a_tampered_public_input() {
    let (dir, bundle, _) = exported();
    let vk = dir.path().join("verification_key.json");
    let proof = dir.path().join("proof_1.json");
    let mut inputs = bundle.chunks[1].public_inputs.to_inputs();
    inputs[3] += Fr::ONE; // another nonce
    let public = dir.path().join("public_tampered.json");
    std::fs::write(&public, public_json(&inputs).to_string()).unwrap();
    let (ok, out) = snarkjs_verify(&vk, &public, &proof);
    assert!(
        !ok && !out.contains("OK"),
        "snarkjs accepted a tampered input:\n{out}"
    );
    assert!(out.contains("Invalid proof"), "{out}");
    // Another chunk's proof with this chunk's inputs: rejected as well.
    let other_proof = dir.path().join("proof_0.json");
    let public_1 = dir.path().join("public_1.json");
    let (ok, out) = snarkjs_verify(&vk, &public_1, &other_proof);
    assert!(!ok, "snarkjs accepted chunk 0's proof for chunk 1:\n{out}");
}

#[test]
fn exported_json_has_snarkjs_shape() {
    let (dir, bundle, pk) = exported();
    let vk: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("verification_key.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(vk, verification_key_json(&(&pk.vk).into()));
    assert_eq!(vk["protocol"], "groth16");
    assert_eq!(vk["curve"], "bn128");
    assert_eq!(vk["nPublic"], 5);
    assert_eq!(vk["IC"].as_array().unwrap().len(), 6);
    assert_eq!(vk["vk_beta_2"][2], serde_json::json!(["1", "0"]));
    assert_eq!(vk["vk_alpha_1"][2], "1");
    let public: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("public_0.json")).unwrap())
            .unwrap();
    let expected: Vec<String> = bundle.chunks[0]
        .public_inputs
        .to_inputs()
        .iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(public, serde_json::json!(expected));
}

/// `vk_alphabeta_12` equals e(α, β) as snarkjs's own pairing (ffjavascript) computes it, in
/// the same Fq12 tower and nesting (snarkjs's `verify` does not read it, other tools may).
#[test]
fn alphabeta_matches_ffjavascript() {
    let (dir, _, _) = exported();
    snarkjs_cli();
    let ffjs = js_dir().join("node_modules/ffjavascript/build/main.cjs");
    let script = dir.path().join("alphabeta.cjs");
    std::fs::write(
        &script,
        format!(
            r#"const {{ buildBn128, utils }} = require({ffjs:?});
const fs = require("fs");
(async () => {{
  const vk = utils.unstringifyBigInts(JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
  const curve = await buildBn128(true);
  const ab = curve.pairing(curve.G1.fromObject(vk.vk_alpha_1), curve.G2.fromObject(vk.vk_beta_2));
  console.log(JSON.stringify(utils.stringifyBigInts(curve.Gt.toObject(ab))));
  await curve.terminate();
}})().catch((e) => {{ console.error(e); process.exit(1); }});
"#
        ),
    )
    .unwrap();
    let vk_path = dir.path().join("verification_key.json");
    let out = Command::new("node")
        .arg(&script)
        .arg(&vk_path)
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let vk: Value = serde_json::from_str(&std::fs::read_to_string(&vk_path).unwrap()).unwrap();
    assert_eq!(vk["vk_alphabeta_12"], theirs);
}
