//! The gate flow: a state source (LeanIMT of leaves), the verifier for one verifying key, the
//! backup gate and an example vault, deployed together; attestations, freshness and
//! withdrawals as typed calls.

use crate::abi::{
    fr_to_u256, proof_args, proof_words, u256_to_fr, vk_words, BackupGate, ExampleVault,
    Groth16Verifier, SeededStateSource, StateSource,
};
use crate::artifact::committed;
use crate::evm::{EmbeddedChain, EvmBackend, Receipt};
pub use crate::submit::RawSubmission;
use crate::{ChainError, Result};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use ark_bn254::{Bn254, Fr};
use ark_groth16::VerifyingKey;
use zkbackup_core::chunk::{ChunkPublic, Nonce, NUM_PUBLIC_INPUTS};
use zkbackup_core::lean_imt;
use zkbackup_verifier::ChunkProof;

/// The gate's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateConfig {
    /// The escrowed key's commitment K every chunk proof must carry.
    pub key_commitment: Fr,
    /// Records per chunk (a power of two; every chunk but the last is full).
    pub chunk_size: u64,
    /// The vault's freshness bound: withdrawals need an attestation at most this many blocks
    /// old that covers the current root.
    pub max_age_blocks: u64,
}

/// The public inputs the gate checks chunk `c`'s proof against: the chunk's values with the
/// gate's own key commitment `K` (the gate never takes `K` from the caller).
pub fn gate_inputs(c: &ChunkProof, key_commitment: Fr) -> [Fr; NUM_PUBLIC_INPUTS] {
    ChunkPublic {
        key_commitment,
        ..c.public_inputs
    }
    .to_inputs()
}

/// Every chunk proof of one backup, in chunk order.
#[derive(Clone, Debug, PartialEq)]
pub struct Attestation {
    /// The chunks.
    pub chunks: Vec<ChunkProof>,
}

impl Attestation {
    /// R: the LeanIMT root of the chunk roots.
    pub fn state_root(&self) -> Result<Fr> {
        let roots: Vec<Fr> = self
            .chunks
            .iter()
            .map(|c| c.public_inputs.chunk_root)
            .collect();
        Ok(lean_imt::root(&roots)?)
    }

    /// C: the LeanIMT root of the chunk commitments.
    pub fn commitment(&self) -> Result<Fr> {
        let c: Vec<Fr> = self
            .chunks
            .iter()
            .map(|c| c.public_inputs.chunk_commitment)
            .collect();
        Ok(lean_imt::root(&c)?)
    }

    /// The records the chunks hold (the gate requires the state source's `size()`).
    ///
    /// # Errors
    /// If a chunk's count does not fit in 64 bits.
    pub fn records(&self) -> Result<u64> {
        self.chunks.iter().try_fold(0u64, |sum, c| {
            let count = u64::try_from(fr_to_u256(c.public_inputs.count)).map_err(|_| {
                ChainError::Input(format!("chunk {}: record count out of range", c.index))
            })?;
            Ok(sum.saturating_add(count))
        })
    }

    /// The lineage: the high 64 bits of chunk 0's nonce (the gate requires one lineage in
    /// every submit; the planner checks every chunk).
    ///
    /// # Errors
    /// If there are no chunks or chunk 0's nonce is not below 2^128.
    pub fn lineage(&self) -> Result<u64> {
        let first = self
            .chunks
            .first()
            .ok_or_else(|| ChainError::Input("an attestation needs at least one chunk".into()))?;
        let nonce = Nonce::from_field(&first.public_inputs.nonce)
            .ok_or_else(|| ChainError::Input("chunk 0: the nonce is not below 2^128".into()))?;
        Ok(nonce.lineage)
    }

    /// A `submit` that appends every chunk (a first attestation in one transaction), as
    /// words. The lineage is chunk 0's (0 if its nonce is out of range: for tests of what the
    /// contract refuses).
    pub fn raw(&self) -> RawSubmission {
        RawSubmission {
            lineage: self.lineage().unwrap_or(0),
            updates: 0,
            proofs: self.chunks.iter().map(|c| proof_words(&c.proof)).collect(),
            chunk_roots: self
                .chunks
                .iter()
                .map(|c| fr_to_u256(c.public_inputs.chunk_root))
                .collect(),
            chunk_commitments: self
                .chunks
                .iter()
                .map(|c| fr_to_u256(c.public_inputs.chunk_commitment))
                .collect(),
            nonces: self
                .chunks
                .iter()
                .map(|c| fr_to_u256(c.public_inputs.nonce))
                .collect(),
            counts: self
                .chunks
                .iter()
                .map(|c| fr_to_u256(c.public_inputs.count))
                .collect(),
        }
    }
}

/// What the gate recorded for one attestation: its `Attested` event, or `lastAttestation()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestationRecord {
    /// The state root R (zero in `lastAttestation()` before any attestation).
    pub root: Fr,
    /// The backup commitment C.
    pub commitment: Fr,
    /// The key commitment K.
    pub key_commitment: Fr,
    /// The lineage (the high 64 bits of every chunk nonce).
    pub lineage: u64,
    /// The records attested (the state source's size at the time).
    pub records: u64,
    /// The block of the attestation.
    pub block: u64,
}

impl AttestationRecord {
    /// The `Attested` event among `receipt`'s logs (the last one if several).
    ///
    /// # Errors
    /// If there is none, or its fields are out of range.
    pub fn from_receipt(receipt: &Receipt) -> Result<Self> {
        let event = receipt
            .logs
            .iter()
            .rev()
            .find_map(|log| BackupGate::Attested::decode_log_data(&log.data).ok())
            .ok_or_else(|| ChainError::Decode {
                what: "the submit receipt".into(),
                reason: "no Attested event".into(),
            })?;
        Ok(Self {
            root: fr_of("Attested.root", event.root)?,
            commitment: fr_of("Attested.commitment", event.commitment)?,
            key_commitment: fr_of("Attested.keyCommitment", event.keyCommitment)?,
            lineage: event.lineage,
            records: int_of("Attested.records", event.records)?,
            block: int_of("Attested.blockNumber", event.blockNumber)?,
        })
    }
}

/// The deployed contracts of one gate flow. To attest to an existing gate over JSON-RPC only
/// `gate` is needed: `GateAddresses { gate, ..Default::default() }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GateAddresses {
    /// `StateSource`.
    pub state_source: Address,
    /// `Groth16Verifier` with the chunk circuit's key.
    pub verifier: Address,
    /// `BackupGate`.
    pub gate: Address,
    /// `ExampleVault`.
    pub vault: Address,
}

pub(crate) fn decode<C: SolCall>(what: &str, r: &Receipt) -> Result<C::Return> {
    C::abi_decode_returns(&r.output).map_err(|source| ChainError::DecodeAbi {
        what: what.into(),
        source,
    })
}

pub(crate) fn fr_of(what: &str, x: U256) -> Result<Fr> {
    u256_to_fr(x).ok_or_else(|| ChainError::Decode {
        what: what.into(),
        reason: format!("{x} is not a field element"),
    })
}

pub(crate) fn int_of<T: TryFrom<U256>>(what: &str, x: U256) -> Result<T> {
    T::try_from(x).map_err(|_| ChainError::Decode {
        what: what.into(),
        reason: format!("{x} is out of range"),
    })
}

/// Deploys the committed `Groth16Verifier` artifact for `vk`.
pub fn deploy_verifier<B: EvmBackend>(chain: &mut B, vk: &VerifyingKey<Bn254>) -> Result<Address> {
    let args = Groth16Verifier::constructorCall { vk: vk_words(vk)? }.abi_encode();
    chain.deploy(&committed::groth16_verifier(), &args)
}

/// `verifyProof` on the verifier at `verifier` (ours or snarkjs's: same ABI), from raw words.
/// Returns the result and the call's execution gas.
pub fn verify_proof_raw<B: EvmBackend>(
    chain: &mut B,
    verifier: Address,
    proof: &[U256; 8],
    inputs: &[U256; 5],
) -> Result<(bool, u64)> {
    let (a, b, c) = proof_args(proof);
    let data = Groth16Verifier::verifyProofCall {
        a,
        b,
        c,
        input: *inputs,
    }
    .abi_encode();
    let r = chain.call(verifier, data.into())?;
    Ok((
        decode::<Groth16Verifier::verifyProofCall>("verifyProof", &r)?,
        r.execution_gas,
    ))
}

/// `verifyBatch` on the verifier at `verifier`, from raw words. Returns the result and the
/// call's execution gas.
pub fn verify_batch_raw<B: EvmBackend>(
    chain: &mut B,
    verifier: Address,
    proofs: &[[U256; 8]],
    inputs: &[[U256; 5]],
) -> Result<(bool, u64)> {
    let data = Groth16Verifier::verifyBatchCall {
        proofs: proofs.to_vec(),
        inputs: inputs.to_vec(),
    }
    .abi_encode();
    let r = chain.call(verifier, data.into())?;
    Ok((
        decode::<Groth16Verifier::verifyBatchCall>("verifyBatch", &r)?,
        r.execution_gas,
    ))
}

/// The gate flow on one chain: state source, verifier, gate and vault.
#[derive(Debug)]
pub struct GateFlow<B: EvmBackend = EmbeddedChain> {
    /// The chain.
    pub chain: B,
    /// The deployed contracts.
    pub addresses: GateAddresses,
    /// The configuration they were deployed with.
    pub config: GateConfig,
}

impl<B: EvmBackend> GateFlow<B> {
    /// Deploys a `StateSource`, the verifier for `vk`, a `BackupGate` and an `ExampleVault`
    /// that does not require an escrowed key.
    pub fn deploy(chain: B, vk: &VerifyingKey<Bn254>, config: GateConfig) -> Result<Self> {
        Self::deploy_with(chain, vk, config, &committed::state_source(), None)
    }

    /// As [`GateFlow::deploy`], with a vault that also requires the gate's key to be escrowed
    /// in the `EscrowRegistry` at `registry` (deployed before on `chain`, see
    /// [`crate::escrow::deploy_registry`]) with a threshold of at least `min_threshold`.
    pub fn deploy_escrowed(
        chain: B,
        vk: &VerifyingKey<Bn254>,
        config: GateConfig,
        registry: Address,
        min_threshold: u64,
    ) -> Result<Self> {
        if registry == Address::ZERO {
            return Err(ChainError::Input(
                "an escrowed vault needs a registry address".into(),
            ));
        }
        Self::deploy_with(
            chain,
            vk,
            config,
            &committed::state_source(),
            Some((registry, min_threshold)),
        )
    }

    /// As [`GateFlow::deploy`], with a test-only `SeededStateSource` whose root and size are
    /// set by [`GateFlow::seed_state`] (benchmarks of large states).
    pub fn deploy_seeded(chain: B, vk: &VerifyingKey<Bn254>, config: GateConfig) -> Result<Self> {
        Self::deploy_with(chain, vk, config, &committed::seeded_state_source(), None)
    }

    fn deploy_with(
        mut chain: B,
        vk: &VerifyingKey<Bn254>,
        config: GateConfig,
        source: &crate::Artifact,
        escrow: Option<(Address, u64)>,
    ) -> Result<Self> {
        if config.chunk_size == 0 || !config.chunk_size.is_power_of_two() {
            return Err(ChainError::Input(format!(
                "chunk size {} is not a power of two",
                config.chunk_size
            )));
        }
        let state_source = chain.deploy(source, &[])?;
        let verifier = deploy_verifier(&mut chain, vk)?;
        let gate_args = BackupGate::constructorCall {
            verifier_: verifier,
            stateSource_: state_source,
            keyCommitment_: fr_to_u256(config.key_commitment),
            chunkSize_: U256::from(config.chunk_size),
        }
        .abi_encode();
        let gate = chain.deploy(&committed::backup_gate(), &gate_args)?;
        let (registry, min_threshold) = escrow.unwrap_or((Address::ZERO, 0));
        let vault_args = ExampleVault::constructorCall {
            gate_: gate,
            maxAgeBlocks_: U256::from(config.max_age_blocks),
            registry_: registry,
            minThreshold_: U256::from(min_threshold),
        }
        .abi_encode();
        let vault = chain.deploy(&committed::example_vault(), &vault_args)?;
        Ok(Self {
            chain,
            addresses: GateAddresses {
                state_source,
                verifier,
                gate,
                vault,
            },
            config,
        })
    }

    /// Uses contracts deployed before.
    pub fn attach(chain: B, addresses: GateAddresses, config: GateConfig) -> Self {
        Self {
            chain,
            addresses,
            config,
        }
    }

    pub(crate) fn send(&mut self, to: Address, data: Vec<u8>, value: U256) -> Result<Receipt> {
        self.chain.transact(Some(to), data.into(), value)
    }

    pub(crate) fn view(&mut self, to: Address, data: Vec<u8>) -> Result<Receipt> {
        self.chain.call(to, data.into())
    }

    /// Appends leaves to the state source (one `insertMany` transaction).
    pub fn insert_leaves(&mut self, leaves: &[Fr]) -> Result<Receipt> {
        let data = StateSource::insertManyCall {
            leaves: leaves.iter().copied().map(fr_to_u256).collect(),
        }
        .abi_encode();
        self.send(self.addresses.state_source, data, U256::ZERO)
    }

    /// The state source's current root.
    pub fn state_root(&mut self) -> Result<Fr> {
        let r = self.view(
            self.addresses.state_source,
            StateSource::rootCall {}.abi_encode(),
        )?;
        fr_of("root", decode::<StateSource::rootCall>("root", &r)?)
    }

    /// The state source's current size (its number of leaves).
    pub fn state_size(&mut self) -> Result<u64> {
        let r = self.view(
            self.addresses.state_source,
            StateSource::sizeCall {}.abi_encode(),
        )?;
        int_of("size", decode::<StateSource::sizeCall>("size", &r)?)
    }

    /// Replaces leaf `old` of the state source by `new` (`StateSource.update`, with the
    /// sibling nodes computed from `leaves`, the source's current leaves).
    pub fn update_leaf(&mut self, leaves: &[Fr], index: usize, new: Fr) -> Result<Receipt> {
        let tree = lean_imt::LeanImt::new(leaves.to_vec())?;
        let siblings = tree.siblings(index)?;
        let data = StateSource::updateCall {
            oldLeaf: fr_to_u256(leaves[index]),
            newLeaf: fr_to_u256(new),
            siblingNodes: siblings.into_iter().map(fr_to_u256).collect(),
        }
        .abi_encode();
        self.send(self.addresses.state_source, data, U256::ZERO)
    }

    /// Sets a `SeededStateSource`'s root and size (see [`GateFlow::deploy_seeded`]).
    pub fn seed_state(&mut self, root: Fr, size: u64) -> Result<Receipt> {
        let data = SeededStateSource::seedCall {
            newRoot: fr_to_u256(root),
            newSize: U256::from(size),
        }
        .abi_encode();
        self.send(self.addresses.state_source, data, U256::ZERO)
    }

    /// `gate.isFresh(maxAgeBlocks)`.
    pub fn is_fresh(&mut self, max_age_blocks: u64) -> Result<bool> {
        let data = BackupGate::isFreshCall {
            maxAgeBlocks: U256::from(max_age_blocks),
        }
        .abi_encode();
        let r = self.view(self.addresses.gate, data)?;
        decode::<BackupGate::isFreshCall>("isFresh", &r)
    }

    /// The gate's last attestation; its root is zero if there is none.
    pub fn last_attestation(&mut self) -> Result<AttestationRecord> {
        let r = self.view(
            self.addresses.gate,
            BackupGate::lastAttestationCall {}.abi_encode(),
        )?;
        let v = decode::<BackupGate::lastAttestationCall>("lastAttestation", &r)?;
        Ok(AttestationRecord {
            root: fr_of("lastAttestation", v._0)?,
            commitment: fr_of("lastAttestation", v._1)?,
            key_commitment: fr_of("lastAttestation", v._2)?,
            block: int_of("lastAttestation", v._3)?,
            lineage: int_of("lastAttestation", v._4)?,
            records: int_of("lastAttestation", v._5)?,
        })
    }

    /// Deposits `wei` into the vault from the sender.
    pub fn deposit(&mut self, wei: U256) -> Result<Receipt> {
        self.send(
            self.addresses.vault,
            ExampleVault::depositCall {}.abi_encode(),
            wei,
        )
    }

    /// Withdraws `wei` from the vault (reverts with `StaleBackup` unless the gate is fresh,
    /// and, for a vault of [`GateFlow::deploy_escrowed`], `KeyNotEscrowed` unless the key is
    /// escrowed).
    pub fn withdraw(&mut self, wei: U256) -> Result<Receipt> {
        let data = ExampleVault::withdrawCall { amount: wei }.abi_encode();
        self.send(self.addresses.vault, data, U256::ZERO)
    }

    /// The sender's balance in the vault.
    pub fn vault_balance(&mut self, account: Address) -> Result<U256> {
        let data = ExampleVault::balanceOfCall(account).abi_encode();
        let r = self.view(self.addresses.vault, data)?;
        decode::<ExampleVault::balanceOfCall>("balanceOf", &r)
    }

    /// `verifyProof` of one chunk proof on the deployed verifier: result and execution gas.
    pub fn verify_proof(&mut self, chunk: &ChunkProof) -> Result<(bool, u64)> {
        let inputs = gate_inputs(chunk, self.config.key_commitment).map(fr_to_u256);
        verify_proof_raw(
            &mut self.chain,
            self.addresses.verifier,
            &proof_words(&chunk.proof),
            &inputs,
        )
    }

    /// `verifyBatch` of every chunk proof: result and execution gas.
    pub fn verify_batch(&mut self, attestation: &Attestation) -> Result<(bool, u64)> {
        let k = self.config.key_commitment;
        let proofs: Vec<[U256; 8]> = attestation
            .chunks
            .iter()
            .map(|c| proof_words(&c.proof))
            .collect();
        let inputs: Vec<[U256; 5]> = attestation
            .chunks
            .iter()
            .map(|c| gate_inputs(c, k).map(fr_to_u256))
            .collect();
        verify_batch_raw(&mut self.chain, self.addresses.verifier, &proofs, &inputs)
    }
}
