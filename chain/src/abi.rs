//! The contracts' ABI (hand-written `sol!` interfaces matching `contracts/src`) and the
//! conversions between arkworks values and EVM words.
//!
//! Encodings: a field element is its canonical integer as a 256-bit big-endian word; a G1 point
//! is `(x, y)` (the point at infinity is `(0, 0)`); a G2 point is `(x.c1, x.c0, y.c1, y.c0)`,
//! the order of the EIP-197 pairing precompile and of snarkjs's Solidity calldata.
#![allow(missing_docs)] // the sol! items mirror the Solidity NatSpec

use crate::{ChainError, Result};
use alloy_primitives::U256;
use alloy_sol_types::{sol, SolError, SolInterface};
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::VerifyingKey;
use zkbackup_verifier::Proof;

sol! {
    #![sol(all_derives)]
    /// contracts/src/Groth16Verifier.sol
    contract Groth16Verifier {
        constructor(uint256[26] vk);
        function verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[5] input) external view returns (bool);
        function verifyBatch(uint256[8][] proofs, uint256[5][] inputs) external view returns (bool);
    }

    /// contracts/src/StateSource.sol
    contract StateSource {
        event LeafInserted(uint256 indexed index, uint256 leaf, uint256 root);
        error NotOwner();
        error LeafGreaterThanSnarkScalarField();
        error LeafCannotBeZero();
        error LeafAlreadyExists();
        function insert(uint256 leaf) external returns (uint256 newRoot);
        function insertMany(uint256[] leaves) external returns (uint256 newRoot);
        function root() external view returns (uint256);
        function size() external view returns (uint256);
        function depth() external view returns (uint256);
        function owner() external view returns (address);
    }

    /// contracts/src/BackupGate.sol
    contract BackupGate {
        constructor(address verifier, address stateSource, uint256 keyCommitment, uint256 chunkSize);
        event Attested(uint256 indexed root, uint256 indexed commitment, uint256 indexed backupId, uint256 keyCommitment, uint256 records, uint256 blockNumber);
        error BadShape();
        error BadCount(uint256 index, uint256 count);
        error NonceOutOfRange(uint256 index);
        error ChunkIndexMismatch(uint256 index, uint256 nonceIndex);
        error BackupIdMismatch(uint256 index, uint256 backupId, uint256 expected);
        error NotCanonical(uint256 index);
        error SizeMismatch(uint256 records, uint256 size);
        error RootMismatch(uint256 computed, uint256 current);
        error AlreadyAttested(uint256 root, uint256 commitment, uint256 backupId);
        error InvalidProofs();
        error BadConfig();
        function attest(uint256[8][] proofs, uint256[] chunkRoots, uint256[] chunkCommitments, uint256[] nonces, uint256[] counts) external returns (uint256 root, uint256 commitment, uint256 backupId);
        function isFresh(uint256 maxAgeBlocks) external view returns (bool);
        function lastAttestation() external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
        function lastRoot() external view returns (uint256);
        function lastCommitment() external view returns (uint256);
        function lastBlock() external view returns (uint64);
        function lastSize() external view returns (uint96);
        function lastBackupId() external view returns (uint96);
        function attested(bytes32 id) external view returns (bool);
        function keyCommitment() external view returns (uint256);
        function chunkSize() external view returns (uint256);
        function stateSource() external view returns (address);
        function verifier() external view returns (address);
    }

    /// contracts/src/ExampleVault.sol
    contract ExampleVault {
        constructor(address gate, uint256 maxAgeBlocks);
        event Deposited(address indexed account, uint256 amount);
        event Withdrawn(address indexed account, uint256 amount);
        error StaleBackup();
        error InsufficientBalance(uint256 balance, uint256 amount);
        error TransferFailed();
        function deposit() external payable;
        function withdraw(uint256 amount) external;
        function balanceOf(address account) external view returns (uint256);
        function maxAgeBlocks() external view returns (uint256);
    }
}

/// The field element as an EVM word.
pub fn fr_to_u256(x: Fr) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

/// An EVM word as a field element; `None` if it is not canonical (>= r).
pub fn u256_to_fr(x: U256) -> Option<Fr> {
    let bytes = x.to_be_bytes::<32>();
    let f = Fr::from_be_bytes_mod_order(&bytes);
    (fr_to_u256(f) == x).then_some(f)
}

fn fq(x: Fq) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

fn g1_words(p: &G1Affine) -> [U256; 2] {
    match p.xy() {
        Some((x, y)) => [fq(x), fq(y)],
        None => [U256::ZERO; 2],
    }
}

fn fq2_words(x: Fq2) -> [U256; 2] {
    [fq(x.c1), fq(x.c0)]
}

fn g2_words(p: &G2Affine) -> [U256; 4] {
    match p.xy() {
        Some((x, y)) => {
            let [x1, x0] = fq2_words(x);
            let [y1, y0] = fq2_words(y);
            [x1, x0, y1, y0]
        }
        None => [U256::ZERO; 4],
    }
}

/// The proof as the 8 words the contracts take:
/// `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
pub fn proof_words(proof: &Proof<Bn254>) -> [U256; 8] {
    let a = g1_words(&proof.a);
    let b = g2_words(&proof.b);
    let c = g1_words(&proof.c);
    [a[0], a[1], b[0], b[1], b[2], b[3], c[0], c[1]]
}

/// The verifying key as the `Groth16Verifier` constructor's 26 words: alpha (x, y); beta,
/// gamma, delta as `(x.c1, x.c0, y.c1, y.c0)`; IC[0..5] as `(x, y)`.
///
/// # Errors
/// If the key does not have exactly 5 public inputs (6 IC points).
pub fn vk_words(vk: &VerifyingKey<Bn254>) -> Result<[U256; 26]> {
    if vk.gamma_abc_g1.len() != 6 {
        return Err(ChainError::Input(format!(
            "the verifier takes 5 public inputs, the verifying key has {}",
            vk.gamma_abc_g1.len().saturating_sub(1)
        )));
    }
    let mut w = Vec::with_capacity(26);
    w.extend(g1_words(&vk.alpha_g1));
    w.extend(g2_words(&vk.beta_g2));
    w.extend(g2_words(&vk.gamma_g2));
    w.extend(g2_words(&vk.delta_g2));
    for p in &vk.gamma_abc_g1 {
        w.extend(g1_words(p));
    }
    Ok(w.try_into().expect("26 words"))
}

/// Splits the 8 proof words into `verifyProof`'s `(a, b, c)` arguments.
pub fn proof_args(w: &[U256; 8]) -> ([U256; 2], [[U256; 2]; 2], [U256; 2]) {
    ([w[0], w[1]], [[w[2], w[3]], [w[4], w[5]]], [w[6], w[7]])
}

/// Decodes revert data into a readable reason: the contracts' custom errors, `Error(string)`,
/// `Panic(uint256)`, or the raw hex.
pub fn decode_revert(data: &[u8]) -> String {
    if data.is_empty() {
        return "no revert data".into();
    }
    if let Ok(e) = BackupGate::BackupGateErrors::abi_decode(data) {
        return format!("BackupGate.{e:?}");
    }
    if let Ok(e) = ExampleVault::ExampleVaultErrors::abi_decode(data) {
        return format!("ExampleVault.{e:?}");
    }
    if let Ok(e) = StateSource::StateSourceErrors::abi_decode(data) {
        return format!("StateSource.{e:?}");
    }
    if let Ok(e) = alloy_sol_types::Revert::abi_decode(data) {
        return format!("Error({:?})", e.reason);
    }
    if let Ok(e) = alloy_sol_types::Panic::abi_decode(data) {
        return format!("Panic({})", e.code);
    }
    format!("0x{}", alloy_primitives::hex::encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, UniformRand};

    #[test]
    fn field_words_round_trip_and_reject_non_canonical() {
        let mut rng = ark_std_rng();
        for _ in 0..20 {
            let x = Fr::rand(&mut rng);
            assert_eq!(u256_to_fr(fr_to_u256(x)), Some(x));
        }
        let r = fr_to_u256(-Fr::ONE) + U256::from(1u64);
        assert_eq!(u256_to_fr(r), None, "r itself is not canonical");
        assert_eq!(u256_to_fr(U256::MAX), None);
    }

    fn ark_std_rng() -> impl rand::RngCore {
        use rand::SeedableRng;
        rand::rngs::StdRng::seed_from_u64(1)
    }

    #[test]
    fn revert_reasons_decode() {
        let data = BackupGate::RootMismatch {
            computed: U256::from(1u64),
            current: U256::from(2u64),
        }
        .abi_encode();
        assert!(decode_revert(&data).contains("RootMismatch"));
        let data = ExampleVault::StaleBackup {}.abi_encode();
        assert!(decode_revert(&data).contains("StaleBackup"));
        assert_eq!(decode_revert(&[]), "no revert data");
        assert_eq!(decode_revert(&[1, 2]), "0x0102");
    }
}
