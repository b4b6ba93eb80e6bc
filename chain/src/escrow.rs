//! The escrow registry on chain: the verifier of a verifying key with any number of public
//! inputs, `EscrowRegistry` (one verifier per shape (k, n)), registrations and their views.
//!
//! An escrow proof of the shape (k, n) has 2 + 2n public inputs `[K, escrowDigest, P1.x, P1.y,
//! ..., Pn.x, Pn.y]` (the trustees' Baby Jubjub keys, zk-kit's coordinates). The registry
//! takes them as words; [`EscrowRegistration`] holds them as field elements.

use crate::abi::{fr_to_u256, proof_words, vk_words_any, EscrowRegistry};
use crate::artifact::{committed, Artifact};
use crate::evm::{EvmBackend, Receipt};
use crate::gate::{decode, fr_of};
use crate::render::COMMITTED_PUBLIC_INPUTS;
use crate::{ChainError, Result};
use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use ark_bn254::{Bn254, Fr};
use ark_groth16::VerifyingKey;
use zkbackup_verifier::Proof;

/// The most trustees an escrow can have (`EscrowRegistry.MAX_TRUSTEES`).
pub const MAX_TRUSTEES: usize = 16;

/// An escrow shape: `threshold` of `trustees`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EscrowShape {
    /// k: the shares needed to recover the key.
    pub threshold: u8,
    /// n: the trustees.
    pub trustees: u8,
}

impl EscrowShape {
    /// The escrow proof's number of public inputs, 2 + 2n.
    pub fn public_inputs(&self) -> usize {
        2 + 2 * usize::from(self.trustees)
    }
}

/// The committed artifact of the verifier for `n_public` public inputs: `Groth16Verifier`
/// (5), `Groth16Verifier8` or `Groth16Verifier12`.
///
/// # Errors
/// If no verifier for `n_public` inputs is committed (render one with
/// [`crate::render_verifier`] and compile it).
pub fn verifier_artifact(n_public: usize) -> Result<Artifact> {
    match n_public {
        5 => Ok(committed::groth16_verifier()),
        8 => Ok(committed::groth16_verifier_8()),
        12 => Ok(committed::groth16_verifier_12()),
        _ => Err(ChainError::Input(format!(
            "no committed verifier artifact for {n_public} public inputs (there are {:?}): \
             render one with render_verifier and compile it",
            COMMITTED_PUBLIC_INPUTS
        ))),
    }
}

/// Deploys the committed verifier for `vk`'s number N of public inputs (`Groth16Verifier<N>`),
/// with `vk` as constructor argument (its 14 + 2(N + 1) words: the constructor's `uint256[..]`
/// is static, so its ABI encoding is the words in a row).
///
/// # Errors
/// If there is no committed verifier for N (see [`verifier_artifact`]), or the deployment
/// fails.
pub fn deploy_verifier_any<B: EvmBackend>(
    chain: &mut B,
    vk: &VerifyingKey<Bn254>,
) -> Result<Address> {
    let n = vk.gamma_abc_g1.len().saturating_sub(1);
    let artifact = verifier_artifact(n)?;
    let args: Vec<u8> = vk_words_any(vk)
        .iter()
        .flat_map(|w| w.to_be_bytes::<32>())
        .collect();
    chain.deploy(&artifact, &args)
}

/// The selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])` (snarkjs's
/// ABI, every generated verifier's).
pub fn verify_proof_selector(n_public: usize) -> [u8; 4] {
    let sig = format!("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[{n_public}])");
    keccak256(sig.as_bytes())[..4].try_into().expect("4 bytes")
}

/// `verifyProof(proof, inputs)` on a verifier for `inputs.len()` public inputs (ours or
/// snarkjs's), from raw words. Returns the result and the call's execution gas.
pub fn verify_proof_any<B: EvmBackend>(
    chain: &mut B,
    verifier: Address,
    proof: &[U256; 8],
    inputs: &[U256],
) -> Result<(bool, u64)> {
    let mut data = verify_proof_selector(inputs.len()).to_vec();
    for w in proof.iter().chain(inputs) {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    let r = chain.call(verifier, data.into())?;
    let ok = match r.output.len() {
        32 => U256::from_be_slice(&r.output) == U256::from(1u64),
        _ => {
            return Err(ChainError::Decode {
                what: "verifyProof".into(),
                reason: format!("{} bytes returned, not 32", r.output.len()),
            })
        }
    };
    Ok((ok, r.execution_gas))
}

/// Deploys an `EscrowRegistry` with one verifier per shape.
///
/// # Errors
/// If the registry's constructor refuses a shape (`BadConfig`: k = 0, k > n, n > 16, no code
/// at the verifier, a repeated shape).
pub fn deploy_registry<B: EvmBackend>(
    chain: &mut B,
    verifiers: &[(EscrowShape, Address)],
) -> Result<Address> {
    deploy_registry_artifact(chain, &committed::escrow_registry(), verifiers)
}

/// As [`deploy_registry`], for a registry artifact with the same constructor (the test-only
/// `EscrowRegistryHashedTrustees`, [`committed::escrow_registry_hashed_trustees`]).
pub fn deploy_registry_artifact<B: EvmBackend>(
    chain: &mut B,
    artifact: &Artifact,
    verifiers: &[(EscrowShape, Address)],
) -> Result<Address> {
    let args = EscrowRegistry::constructorCall {
        ks: verifiers.iter().map(|(s, _)| s.threshold).collect(),
        ns: verifiers.iter().map(|(s, _)| s.trustees).collect(),
        verifiers: verifiers.iter().map(|(_, v)| *v).collect(),
    }
    .abi_encode();
    chain.deploy(artifact, &args)
}

/// An escrow registration: what `register` takes, as field elements and a proof.
#[derive(Clone, Debug, PartialEq)]
pub struct EscrowRegistration {
    /// K: the escrowed key's commitment.
    pub key_commitment: Fr,
    /// The shape (k, n); n must be the number of trustee keys.
    pub shape: EscrowShape,
    /// The trustee public keys (x, y), in share order (trustee i holds the share at x = i).
    pub trustees: Vec<(Fr, Fr)>,
    /// The escrow digest.
    pub digest: Fr,
    /// The escrow proof.
    pub proof: Proof<Bn254>,
}

impl EscrowRegistration {
    /// The proof's public inputs `[K, digest, P1.x, P1.y, ..., Pn.x, Pn.y]`.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v = vec![self.key_commitment, self.digest];
        for (x, y) in &self.trustees {
            v.extend([*x, *y]);
        }
        v
    }

    /// The registration as words (for `register`, or for tests of what the registry refuses).
    pub fn raw(&self) -> RawRegistration {
        RawRegistration {
            key_commitment: fr_to_u256(self.key_commitment),
            threshold: self.shape.threshold,
            trustees: self.shape.trustees,
            trustee_keys: self
                .trustees
                .iter()
                .map(|(x, y)| [fr_to_u256(*x), fr_to_u256(*y)])
                .collect(),
            digest: fr_to_u256(self.digest),
            proof: proof_words(&self.proof),
        }
    }
}

/// `register`'s arguments as words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRegistration {
    /// K.
    pub key_commitment: U256,
    /// k.
    pub threshold: u8,
    /// n.
    pub trustees: u8,
    /// The trustee keys `[x, y]`.
    pub trustee_keys: Vec<[U256; 2]>,
    /// The escrow digest.
    pub digest: U256,
    /// `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
    pub proof: [U256; 8],
}

/// A registered escrow, as `escrowOf` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscrowRecord {
    /// The shape (k, n).
    pub shape: EscrowShape,
    /// The escrow digest.
    pub digest: Fr,
    /// The block of the registration.
    pub block: u64,
    /// The trustee keys (x, y), in share order (empty for the keccak-only test variant).
    pub trustees: Vec<(Fr, Fr)>,
}

/// Sends `register` to the registry at `registry`. A refusal is [`ChainError::Reverted`] with
/// the registry's custom error (`UnknownShape`, `NotCanonical`, `DuplicateTrustee`, ...).
pub fn register<B: EvmBackend>(
    chain: &mut B,
    registry: Address,
    registration: &EscrowRegistration,
) -> Result<Receipt> {
    register_raw(chain, registry, &registration.raw())
}

/// [`register`] from words.
pub fn register_raw<B: EvmBackend>(
    chain: &mut B,
    registry: Address,
    raw: &RawRegistration,
) -> Result<Receipt> {
    let data = EscrowRegistry::registerCall {
        keyCommitment: raw.key_commitment,
        threshold: raw.threshold,
        trustees: raw.trustees,
        trusteeKeys: raw.trustee_keys.clone(),
        digest: raw.digest,
        proof: raw.proof,
    }
    .abi_encode();
    chain.transact(Some(registry), data.into(), U256::ZERO)
}

/// The `EscrowRegistered` event among `receipt`'s logs, as a record (block: the receipt's).
///
/// # Errors
/// If there is none or a value is out of range.
pub fn registered_event(receipt: &Receipt) -> Result<(Fr, EscrowRecord)> {
    let e = receipt
        .logs
        .iter()
        .find_map(|l| EscrowRegistry::EscrowRegistered::decode_log_data(&l.data).ok())
        .ok_or_else(|| ChainError::Decode {
            what: "the register receipt".into(),
            reason: "no EscrowRegistered event".into(),
        })?;
    Ok((
        fr_of("EscrowRegistered.keyCommitment", e.keyCommitment)?,
        EscrowRecord {
            shape: EscrowShape {
                threshold: e.threshold,
                trustees: e.trustees,
            },
            digest: fr_of("EscrowRegistered.digest", e.digest)?,
            block: receipt.block_number,
            trustees: keys_of(&e.trusteeKeys)?,
        },
    ))
}

fn keys_of(words: &[[U256; 2]]) -> Result<Vec<(Fr, Fr)>> {
    words
        .iter()
        .map(|[x, y]| Ok((fr_of("trustee x", *x)?, fr_of("trustee y", *y)?)))
        .collect()
}

/// `escrowOf(K)`: the registered escrow of the key behind `key_commitment`, `None` if there
/// is none.
pub fn escrow_of<B: EvmBackend>(
    chain: &mut B,
    registry: Address,
    key_commitment: Fr,
) -> Result<Option<EscrowRecord>> {
    let data = EscrowRegistry::escrowOfCall {
        keyCommitment: fr_to_u256(key_commitment),
    }
    .abi_encode();
    let r = chain.call(registry, data.into())?;
    let v = decode::<EscrowRegistry::escrowOfCall>("escrowOf", &r)?;
    if v.trustees == 0 {
        return Ok(None);
    }
    Ok(Some(EscrowRecord {
        shape: EscrowShape {
            threshold: v.threshold,
            trustees: v.trustees,
        },
        digest: fr_of("escrowOf", v.digest)?,
        block: v.blockNumber,
        trustees: keys_of(&v.trusteeKeys)?,
    }))
}

/// `isEscrowed(K, minThreshold)`.
pub fn is_escrowed<B: EvmBackend>(
    chain: &mut B,
    registry: Address,
    key_commitment: Fr,
    min_threshold: u64,
) -> Result<bool> {
    let data = EscrowRegistry::isEscrowedCall {
        keyCommitment: fr_to_u256(key_commitment),
        minThreshold: U256::from(min_threshold),
    }
    .abi_encode();
    let r = chain.call(registry, data.into())?;
    decode::<EscrowRegistry::isEscrowedCall>("isEscrowed", &r)
}
