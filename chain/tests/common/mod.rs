//! Shared test fixtures: a toy Groth16 circuit with the chunk circuit's 5 public inputs (the
//! contracts are generic over the key, so the real circuit's key drops in), backups whose
//! chunk roots come from a real LeanIMT of leaves, and the node/solc helpers.
#![allow(dead_code, missing_docs)]

use alloy_primitives::U256;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, fields::FieldVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use zkbackup_chain::artifact::Artifact;
use zkbackup_chain::{gate_inputs, Attestation};
use zkbackup_core::chunk::ChunkPublic;
use zkbackup_core::{lean_imt, poseidon};
use zkbackup_verifier::{ChunkProof, Proof};

/// 5 public inputs x, witnesses s = sum x, t = s^2.
#[derive(Clone)]
pub struct Toy {
    pub inputs: [Fr; 5],
}

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let xs = self
            .inputs
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let s_val: Fr = self.inputs.iter().sum();
        let s = FpVar::new_witness(cs.clone(), || Ok(s_val))?;
        let sum = xs.iter().fold(FpVar::zero(), |acc, x| acc + x);
        s.enforce_equal(&sum)?;
        let t = FpVar::new_witness(cs, || Ok(s_val * s_val))?;
        t.enforce_equal(&(&s * &s))?;
        Ok(())
    }
}

pub struct Keys {
    pub pk: ProvingKey<Bn254>,
    pub vk: VerifyingKey<Bn254>,
}

/// The toy circuit's keys (deterministic).
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(7);
        let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
            Toy {
                inputs: [Fr::from(0u64); 5],
            },
            &mut rng,
        )
        .expect("setup");
        Keys { pk, vk }
    })
}

/// Another key for the same circuit (a "wrong verifying key").
pub fn other_keys() -> Keys {
    let mut rng = StdRng::seed_from_u64(8);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
        Toy {
            inputs: [Fr::from(0u64); 5],
        },
        &mut rng,
    )
    .expect("setup");
    Keys { pk, vk }
}

/// A proof of `inputs` under `pk`, as the bundle and the chain code hold it.
pub fn prove_with(pk: &ProvingKey<Bn254>, inputs: [Fr; 5], seed: u64) -> Proof<Bn254> {
    let mut rng = StdRng::seed_from_u64(seed);
    let proof = Groth16::<Bn254>::prove(pk, Toy { inputs }, &mut rng).expect("prove");
    assert!(Groth16::<Bn254>::verify(&pk.vk, &inputs, &proof).expect("verify"));
    proof.into()
}

pub fn prove(inputs: [Fr; 5], seed: u64) -> Proof<Bn254> {
    prove_with(&keys().pk, inputs, seed)
}

pub const KEY_COMMITMENT: u64 = 0x006b_6579;
pub fn key_commitment() -> Fr {
    poseidon::hash(&[Fr::from(KEY_COMMITMENT)])
}

/// `n` distinct non-zero leaves (Poseidon of (salt, i)).
pub fn leaves(n: usize, salt: u64) -> Vec<Fr> {
    (0..n)
        .map(|i| poseidon::hash2(Fr::from(salt), Fr::from(i as u64)))
        .collect()
}

/// Chunk `j`'s nonce in backup `backup_id`: `backup_id · 2^32 + j`, the layout the gate
/// requires.
pub fn nonce(backup_id: u64, j: usize) -> Fr {
    Fr::from((u128::from(backup_id) << 32) + j as u128)
}

/// The backup of `leaves` in chunks of `chunk_size`, each chunk proven under key commitment
/// `k`; `salt` is also the backup id, so chunk `j`'s nonce is `salt · 2^32 + j` (commitments
/// are made up: the toy circuit does not check them).
pub fn backup_with(
    pk: &ProvingKey<Bn254>,
    leaves: &[Fr],
    chunk_size: usize,
    k: Fr,
    salt: u64,
) -> Attestation {
    let roots = lean_imt::chunk_roots(leaves, chunk_size).expect("chunk roots");
    let chunks = roots
        .iter()
        .enumerate()
        .map(|(j, &chunk_root)| {
            let count = Fr::from((leaves.len() - j * chunk_size).min(chunk_size) as u64);
            let chunk_commitment = poseidon::hash2(Fr::from(salt + 1_000), Fr::from(j as u64));
            let nonce = nonce(salt, j);
            let mut c = ChunkProof {
                index: j,
                public_inputs: ChunkPublic {
                    chunk_root,
                    chunk_commitment,
                    key_commitment: k,
                    nonce,
                    count,
                },
                proof: Proof::default(),
            };
            c.proof = prove_with(pk, gate_inputs(&c, k), salt * 1_000 + j as u64);
            c
        })
        .collect();
    Attestation { chunks }
}

pub fn backup(leaves: &[Fr], chunk_size: usize, salt: u64) -> Attestation {
    backup_with(&keys().pk, leaves, chunk_size, key_commitment(), salt)
}

/// BN254's scalar modulus r as a word.
pub fn r_mod() -> U256 {
    U256::from_str_radix(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617",
        10,
    )
    .unwrap()
}

/// BN254's base modulus q as a word.
pub fn q_mod() -> U256 {
    U256::from_str_radix(
        "21888242871839275222246405745257275088696311157297823662689037894645226208583",
        10,
    )
    .unwrap()
}

// ---- node + solc (contracts/node_modules) ----

pub fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts")
}

/// Fails with a clear message unless `node` and contracts/node_modules are there.
pub fn require_node() {
    let nm = contracts_dir().join("node_modules/solc");
    assert!(
        nm.exists(),
        "this test compiles Solidity with the pinned solc from npm: run `npm ci` in contracts/ \
         (missing {})",
        nm.display()
    );
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success());
    assert!(
        matches!(ok, Ok(true)),
        "this test needs `node` on PATH (Node.js 18+)"
    );
}

fn run_build(args: &[&str]) -> String {
    require_node();
    let out = Command::new("node")
        .arg(contracts_dir().join("build.mjs"))
        .args(args)
        .output()
        .expect("run node contracts/build.mjs");
    assert!(
        out.status.success(),
        "node contracts/build.mjs {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Compiles one standalone Solidity source with the pinned solc and the committed settings.
pub fn compile(source: &str, name: &str) -> Artifact {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("{name}.sol"));
    std::fs::write(&path, source).expect("write source");
    let json = run_build(&["--compile", path.to_str().unwrap(), "--name", name]);
    Artifact::from_json(&json).expect("artifact")
}

fn dec<T: ark_ff::PrimeField>(x: T) -> String {
    x.into_bigint().to_string()
}

/// The key in snarkjs's `verification_key.json` format.
pub fn snarkjs_vk_json(vk: &VerifyingKey<Bn254>) -> String {
    use ark_ec::AffineRepr;
    let g1 = |p: &ark_bn254::G1Affine| {
        let (x, y) = p.xy().expect("finite");
        serde_json::json!([dec(x), dec(y), "1"])
    };
    let g2 = |p: &ark_bn254::G2Affine| {
        let (x, y) = p.xy().expect("finite");
        serde_json::json!([[dec(x.c0), dec(x.c1)], [dec(y.c0), dec(y.c1)], ["1", "0"]])
    };
    serde_json::json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
    .to_string()
}

/// snarkjs's exported Groth16 verifier for `vk` (snarkjs's template rendered with ejs).
pub fn snarkjs_verifier_source(vk: &VerifyingKey<Bn254>) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("verification_key.json");
    std::fs::write(&path, snarkjs_vk_json(vk)).expect("write vk");
    run_build(&["--snarkjs-verifier", path.to_str().unwrap()])
}
