//! Shared test fixtures: keys and proofs of the toy Groth16 circuit of `zkbackup_tests::toy`
//! with the chunk circuit's 5 public inputs (the contracts are generic over the key, so the
//! real circuit's key drops in), backups whose
//! chunk roots come from a real LeanIMT of leaves, and the node/solc helpers.
#![allow(dead_code, missing_docs)]

use alloy_primitives::U256;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_snark::SNARK;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use zkbackup_chain::artifact::Artifact;
use zkbackup_chain::{gate_inputs, Attestation};
use zkbackup_core::chunk::{ChunkPublic, Nonce, NUM_PUBLIC_INPUTS};
use zkbackup_core::{lean_imt, poseidon};
use zkbackup_tests::toy;
use zkbackup_verifier::{ChunkProof, Proof};

/// The toy circuit's keys (`zkbackup_tests::toy`).
pub struct Keys {
    pub pk: ProvingKey<Bn254>,
    pub vk: VerifyingKey<Bn254>,
}

impl Keys {
    fn of_seed(seed: u64) -> Self {
        let pk = toy::setup(NUM_PUBLIC_INPUTS, seed);
        let vk = pk.vk.clone();
        Keys { pk, vk }
    }
}

/// The toy circuit's keys (deterministic).
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::of_seed(7))
}

/// Another key for the same circuit (a "wrong verifying key").
pub fn other_keys() -> Keys {
    Keys::of_seed(8)
}

/// A proof of `inputs` under `pk`, as the bundle and the chain code hold it.
pub fn prove_with(pk: &ProvingKey<Bn254>, inputs: [Fr; 5], seed: u64) -> Proof<Bn254> {
    let proof = toy::prove_seeded(pk, &inputs, seed);
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

/// Chunk `j`'s nonce in a full backup of lineage `lineage` (version 0).
pub fn nonce(lineage: u64, j: usize) -> Fr {
    Nonce::new(lineage, 0, j as u32).to_field()
}

/// Chunk `j` of the state `leaves` (chunks of `chunk_size`), encrypted in generation `version`
/// of `lineage`, proven under key commitment `k` (the commitment is made up from lineage,
/// version and index: the toy circuit does not check it).
pub fn chunk_with(
    pk: &ProvingKey<Bn254>,
    leaves: &[Fr],
    chunk_size: usize,
    k: Fr,
    (lineage, version, j): (u64, u32, usize),
) -> ChunkProof {
    let start = j * chunk_size;
    let end = leaves.len().min(start + chunk_size);
    let chunk_root = lean_imt::root(&leaves[start..end]).expect("a non-empty chunk");
    let chunk_commitment = poseidon::hash(&[
        Fr::from(lineage),
        Fr::from(u64::from(version) + 1_000),
        Fr::from(j as u64),
    ]);
    let mut c = ChunkProof {
        index: j,
        public_inputs: ChunkPublic {
            chunk_root,
            chunk_commitment,
            key_commitment: k,
            nonce: Nonce::new(lineage, version, j as u32).to_field(),
            count: Fr::from((end - start) as u64),
        },
        proof: Proof::default(),
    };
    let seed = lineage.wrapping_mul(1_000_003) ^ (u64::from(version) << 32) ^ j as u64;
    c.proof = prove_with(pk, gate_inputs(&c, k), seed);
    c
}

/// A chunk with the given root and record count (no leaves behind it: for seeded states),
/// encrypted in generation `version` of `lineage`.
pub fn chunk_of_root(
    chunk_root: Fr,
    count: u64,
    (lineage, version, j): (u64, u32, usize),
) -> ChunkProof {
    let k = key_commitment();
    let mut c = ChunkProof {
        index: j,
        public_inputs: ChunkPublic {
            chunk_root,
            chunk_commitment: poseidon::hash(&[
                Fr::from(lineage),
                Fr::from(u64::from(version) + 1_000),
                Fr::from(j as u64),
            ]),
            key_commitment: k,
            nonce: Nonce::new(lineage, version, j as u32).to_field(),
            count: Fr::from(count),
        },
        proof: Proof::default(),
    };
    let seed = lineage.wrapping_mul(1_000_003) ^ (u64::from(version) << 32) ^ j as u64;
    c.proof = prove_with(&keys().pk, gate_inputs(&c, k), seed);
    c
}

/// The full backup of `leaves` in chunks of `chunk_size`, each chunk proven under key
/// commitment `k`; `salt` is the lineage, every chunk at version 0.
pub fn backup_with(
    pk: &ProvingKey<Bn254>,
    leaves: &[Fr],
    chunk_size: usize,
    k: Fr,
    salt: u64,
) -> Attestation {
    let chunks = (0..leaves.len().div_ceil(chunk_size))
        .map(|j| chunk_with(pk, leaves, chunk_size, k, (salt, 0, j)))
        .collect();
    Attestation { chunks }
}

/// The incremental backup of the state `leaves` on top of `parent` (same lineage): chunks
/// listed in `touched` and chunks past the parent's end are re-encrypted at `version`, the
/// others kept as they are.
pub fn incremental(
    parent: &Attestation,
    leaves: &[Fr],
    chunk_size: usize,
    version: u32,
    touched: &[usize],
) -> Attestation {
    let lineage = Nonce::from_field(&parent.chunks[0].public_inputs.nonce)
        .unwrap()
        .lineage;
    let chunks = (0..leaves.len().div_ceil(chunk_size))
        .map(|j| match parent.chunks.get(j) {
            Some(c) if !touched.contains(&j) => c.clone(),
            _ => chunk_with(
                &keys().pk,
                leaves,
                chunk_size,
                key_commitment(),
                (lineage, version, j),
            ),
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

/// snarkjs's exported Groth16 verifier for `vk` (snarkjs's template rendered with ejs).
pub fn snarkjs_verifier_source(vk: &VerifyingKey<Bn254>) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("verification_key.json");
    std::fs::write(
        &path,
        zkbackup_verifier::snarkjs::verification_key_json(&vk.into()).to_string(),
    )
    .expect("write vk");
    run_build(&["--snarkjs-verifier", path.to_str().unwrap()])
}
