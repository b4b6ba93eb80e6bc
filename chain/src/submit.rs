//! Incremental attestation: the gate's `submit`, what a lineage holds on chain, and the planner
//! that submits only what changed, in transactions under a gas cap.
//!
//! The gate keeps, per lineage, LeanIMTs of the chunk roots and chunk commitments and each
//! chunk's nonce. [`GateFlow::read_lineage`] rebuilds a lineage's leaves from the gate's
//! `ChunkSet` logs and checks them against `lineageState` (tree roots, chunk and record
//! counts). [`plan`] compares a bundle (every chunk of the new state) with it: chunks whose
//! nonce moved forward are updates, chunks past the lineage's end are appends, the rest are
//! unchanged. [`GateFlow::attest`] submits the updates, then the appends (the gate stores
//! every tree node, so an update needs no sibling path), and splits the work into
//! transactions whose gas limit (measured by the EVM: a simulation on the embedded chain,
//! `eth_estimateGas` over JSON-RPC) stays under the caller's cap.

use crate::abi::{fr_to_u256, proof_words, BackupGate};
use crate::evm::{EvmBackend, Receipt};
use crate::gate::{decode, fr_of, int_of, Attestation, AttestationRecord, GateFlow};
use crate::{ChainError, Result};
use alloy_primitives::{Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use ark_bn254::Fr;
use zkbackup_core::chunk::Nonce;
use zkbackup_core::lean_imt::LeanImt;
use zkbackup_verifier::ChunkProof;

/// The largest gas cap per transaction (and the default): half of a 30M block.
pub const MAX_GAS_CAP: u64 = 15_000_000;

/// Why a bundle cannot be submitted to the gate's lineage as it stands.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// The bundle has no chunks.
    #[error("the bundle has no chunks")]
    Empty,
    /// The bundle's chunk at `position` is not chunk `position` (its index or nonce says
    /// `index`).
    #[error("the bundle's chunk at position {position} is chunk {index}")]
    ChunkOrder {
        /// Its position in the bundle.
        position: usize,
        /// The index it names.
        index: u64,
    },
    /// A nonce is 2^128 or more.
    #[error("chunk {index}: the nonce is not below 2^128")]
    NonceOutOfRange {
        /// The chunk.
        index: usize,
    },
    /// The bundle mixes lineages.
    #[error("chunk {index} is of lineage {lineage:#018x}, chunk 0 of {expected:#018x}")]
    MixedLineage {
        /// The chunk.
        index: usize,
        /// Its lineage.
        lineage: u64,
        /// Chunk 0's lineage.
        expected: u64,
    },
    /// The lineage was replaced by (or started before) the gate's current lineage.
    #[error("lineage {lineage:#018x} is retired on the gate: attest a new full backup")]
    Retired {
        /// The lineage.
        lineage: u64,
    },
    /// The lineage holds more chunks on chain than the bundle (chunks cannot be removed).
    #[error("the gate holds {on_chain} chunks of this lineage, the bundle {bundle}: attest a new full backup")]
    Shrunk {
        /// Chunks on chain.
        on_chain: usize,
        /// Chunks in the bundle.
        bundle: usize,
    },
    /// The gate holds a newer version of a chunk than the bundle.
    #[error("chunk {index}: the gate holds a newer nonce than the bundle (an older bundle?)")]
    Older {
        /// The chunk.
        index: usize,
    },
    /// The gate holds the bundle's nonce for a chunk with other values.
    #[error("chunk {index}: the gate holds this nonce with another root, commitment or count")]
    Conflict {
        /// The chunk.
        index: usize,
    },
    /// The gate's `ChunkSet` logs do not rebuild what `lineageState` reports.
    #[error(
        "the gate's ChunkSet logs of lineage {lineage:#018x} do not rebuild its trees ({reason})"
    )]
    Logs {
        /// The lineage.
        lineage: u64,
        /// What disagrees.
        reason: String,
    },
    /// The gas cap is 0 or above [`MAX_GAS_CAP`].
    #[error("gas cap {cap} is not in 1..={MAX_GAS_CAP}")]
    GasCap {
        /// The cap asked for.
        cap: u64,
    },
    /// One chunk alone needs more gas than the cap.
    #[error("chunk {index} alone needs {gas} gas, over the cap of {cap}")]
    OverCap {
        /// The chunk.
        index: usize,
        /// Its transaction's gas.
        gas: u64,
        /// The cap.
        cap: u64,
    },
}

/// One chunk of a lineage as the gate holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainChunk {
    /// Its chunk root.
    pub chunk_root: Fr,
    /// Its chunk commitment.
    pub chunk_commitment: Fr,
    /// Its current nonce.
    pub nonce: u128,
    /// Its record count.
    pub count: u64,
}

/// A lineage as the gate holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageOnChain {
    /// The lineage id.
    pub lineage: u64,
    /// Its chunks, in order (empty: not started).
    pub chunks: Vec<ChainChunk>,
    /// Whether the gate refuses further submits to it.
    pub retired: bool,
}

impl LineageOnChain {
    fn tree(&self, leaf: impl Fn(&ChainChunk) -> Fr) -> Option<LeanImt> {
        LeanImt::new(self.chunks.iter().map(leaf).collect()).ok()
    }
}

/// What to submit: bundle chunks to update (their nonce moved forward) and to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The lineage.
    pub lineage: u64,
    /// Chunks whose on-chain version is older, in chunk order.
    pub updates: Vec<usize>,
    /// Chunks past the lineage's end, in chunk order.
    pub appends: Vec<usize>,
    /// Chunks the gate already holds as they are.
    pub unchanged: usize,
}

impl Plan {
    /// Whether there is nothing to submit.
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty() && self.appends.is_empty()
    }
}

fn nonce_of(c: &ChunkProof) -> std::result::Result<Nonce, PlanError> {
    Nonce::from_field(&c.public_inputs.nonce).ok_or(PlanError::NonceOutOfRange { index: c.index })
}

fn count_of(c: &ChunkProof) -> Option<u64> {
    u64::try_from(fr_to_u256(c.public_inputs.count)).ok()
}

/// Compares the bundle's chunks with the lineage on chain.
///
/// # Errors
/// See [`PlanError`]: chunks out of order, mixed lineages, a retired lineage, fewer chunks
/// than on chain, a chunk older than on chain or conflicting with it.
pub fn plan(attestation: &Attestation, on_chain: &LineageOnChain) -> Result<Plan, PlanError> {
    let chunks = &attestation.chunks;
    let first = chunks.first().ok_or(PlanError::Empty)?;
    let lineage = nonce_of(first)?.lineage;
    for (position, c) in chunks.iter().enumerate() {
        let nonce = nonce_of(c)?;
        if c.index != position || nonce.index as usize != position {
            let index = if c.index != position {
                c.index as u64
            } else {
                u64::from(nonce.index)
            };
            return Err(PlanError::ChunkOrder { position, index });
        }
        if nonce.lineage != lineage {
            return Err(PlanError::MixedLineage {
                index: position,
                lineage: nonce.lineage,
                expected: lineage,
            });
        }
    }
    if on_chain.retired {
        return Err(PlanError::Retired { lineage });
    }
    if on_chain.chunks.len() > chunks.len() {
        return Err(PlanError::Shrunk {
            on_chain: on_chain.chunks.len(),
            bundle: chunks.len(),
        });
    }
    let mut plan = Plan {
        lineage,
        updates: Vec::new(),
        appends: (on_chain.chunks.len()..chunks.len()).collect(),
        unchanged: 0,
    };
    for (index, held) in on_chain.chunks.iter().enumerate() {
        let c = &chunks[index];
        let nonce = nonce_of(c)?.to_u128();
        match nonce.cmp(&held.nonce) {
            std::cmp::Ordering::Greater => plan.updates.push(index),
            std::cmp::Ordering::Less => return Err(PlanError::Older { index }),
            std::cmp::Ordering::Equal => {
                let p = &c.public_inputs;
                if p.chunk_root != held.chunk_root
                    || p.chunk_commitment != held.chunk_commitment
                    || count_of(c) != Some(held.count)
                {
                    return Err(PlanError::Conflict { index });
                }
                plan.unchanged += 1;
            }
        }
    }
    Ok(plan)
}

/// The gate's `submit` arguments as raw words (any value, canonical or not: for tests of what
/// the contract refuses). Entry `i < updates` replaces a chunk, the rest are appended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawSubmission {
    /// The lineage every nonce must name.
    pub lineage: u64,
    /// Per entry `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]`.
    pub proofs: Vec<[U256; 8]>,
    /// Per entry its chunk root.
    pub chunk_roots: Vec<U256>,
    /// Per entry its chunk commitment.
    pub chunk_commitments: Vec<U256>,
    /// Per entry its nonce.
    pub nonces: Vec<U256>,
    /// Per entry its record count.
    pub counts: Vec<U256>,
    /// How many leading entries replace existing chunks.
    pub updates: usize,
}

impl RawSubmission {
    /// The `submit` calldata.
    pub fn calldata(&self) -> Bytes {
        BackupGate::submitCall {
            lineage: self.lineage,
            s: BackupGate::Submission {
                proofs: self.proofs.clone(),
                chunkRoots: self.chunk_roots.clone(),
                chunkCommitments: self.chunk_commitments.clone(),
                nonces: self.nonces.clone(),
                counts: self.counts.clone(),
                updates: U256::from(self.updates),
            },
        }
        .abi_encode()
        .into()
    }

    fn push(&mut self, c: &ChunkProof) {
        let p = &c.public_inputs;
        self.proofs.push(proof_words(&c.proof));
        self.chunk_roots.push(fr_to_u256(p.chunk_root));
        self.chunk_commitments.push(fr_to_u256(p.chunk_commitment));
        self.nonces.push(fr_to_u256(p.nonce));
        self.counts.push(fr_to_u256(p.count));
    }

    /// The entries of `chunks` (updates first).
    fn build(lineage: u64, chunks: &[ChunkProof], entries: &[Entry]) -> Self {
        let mut raw = RawSubmission {
            lineage,
            updates: entries.iter().filter(|e| e.update).count(),
            ..Default::default()
        };
        for e in entries {
            raw.push(&chunks[e.chunk]);
        }
        raw
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    chunk: usize,
    update: bool,
}

/// One `submit` transaction of an attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitTx {
    /// Chunks replaced.
    pub updates: Vec<usize>,
    /// Chunks appended.
    pub appends: Vec<usize>,
    /// The gas limit it was sent with (the EVM's measure; at most the cap).
    pub gas_limit: u64,
    /// Gas charged (refunds deducted).
    pub gas_used: u64,
    /// Its block.
    pub block: u64,
    /// Whether it completed the attestation.
    pub completed: bool,
}

/// What [`GateFlow::attest`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct AttestReport {
    /// The lineage.
    pub lineage: u64,
    /// The plan it followed.
    pub plan: Plan,
    /// The transactions, in order.
    pub transactions: Vec<SubmitTx>,
    /// The attestation completed by the last transaction, if it completed one.
    pub attested: Option<AttestationRecord>,
}

impl AttestReport {
    /// Gas charged over all transactions.
    pub fn gas_used(&self) -> u64 {
        self.transactions.iter().map(|t| t.gas_used).sum()
    }

    /// Chunks submitted over all transactions.
    pub fn chunks_submitted(&self) -> usize {
        self.plan.updates.len() + self.plan.appends.len()
    }
}

impl<B: EvmBackend> GateFlow<B> {
    /// The lineage as the gate holds it: its `ChunkSet` logs replayed, checked against
    /// `lineageState` (chunk count, last count, both tree roots).
    pub fn read_lineage(&mut self, lineage: u64) -> Result<LineageOnChain> {
        let gate = self.addresses.gate;
        let r = self.view(gate, BackupGate::lineageStateCall { lineage }.abi_encode())?;
        let state = decode::<BackupGate::lineageStateCall>("lineageState", &r)?;
        let logs = self.chain.logs(
            gate,
            BackupGate::ChunkSet::SIGNATURE_HASH,
            Some(B256::from(U256::from(lineage))),
        )?;
        let bad = |reason: String| PlanError::Logs { lineage, reason };
        let mut chunks: Vec<ChainChunk> = Vec::new();
        for log in &logs {
            let e = BackupGate::ChunkSet::decode_log_data(&log.data).map_err(|source| {
                ChainError::DecodeAbi {
                    what: "a ChunkSet log".into(),
                    source,
                }
            })?;
            let c = ChainChunk {
                chunk_root: fr_of("ChunkSet.chunkRoot", e.chunkRoot)?,
                chunk_commitment: fr_of("ChunkSet.chunkCommitment", e.chunkCommitment)?,
                nonce: int_of("ChunkSet.nonce", e.nonce)?,
                count: int_of("ChunkSet.count", e.count)?,
            };
            let index: usize = int_of("ChunkSet.index", e.index)?;
            match index.cmp(&chunks.len()) {
                std::cmp::Ordering::Less => chunks[index] = c,
                std::cmp::Ordering::Equal => chunks.push(c),
                std::cmp::Ordering::Greater => {
                    return Err(
                        bad(format!("chunk {index} set before chunk {}", chunks.len())).into(),
                    )
                }
            }
        }
        let on_chain = LineageOnChain {
            lineage,
            chunks,
            retired: state.retired,
        };
        if U256::from(on_chain.chunks.len()) != state.chunks {
            return Err(bad(format!(
                "{} chunks in the logs, {} on chain",
                on_chain.chunks.len(),
                state.chunks
            ))
            .into());
        }
        if let Some(last) = on_chain.chunks.last() {
            let roots = on_chain.tree(|c| c.chunk_root).map(|t| t.root());
            let commitments = on_chain.tree(|c| c.chunk_commitment).map(|t| t.root());
            if roots.map(fr_to_u256) != Some(state.rootsRoot)
                || commitments.map(fr_to_u256) != Some(state.commitmentsRoot)
                || U256::from(last.count) != state.lastCount
            {
                return Err(bad("tree roots or last count differ".into()).into());
            }
        }
        Ok(on_chain)
    }

    /// Submits what the gate lacks of `attestation` (every chunk of the new state): the chunks
    /// whose on-chain nonce is older, then the missing ones, in as many `submit` transactions
    /// as the gas cap (at most [`MAX_GAS_CAP`]) needs. The attestation completes with the
    /// transaction that makes the lineage match the source's root and size.
    ///
    /// # Errors
    /// [`PlanError`] if the bundle cannot go onto its lineage; the gate's revert otherwise.
    pub fn attest(&mut self, attestation: &Attestation, gas_cap: u64) -> Result<AttestReport> {
        if gas_cap == 0 || gas_cap > MAX_GAS_CAP {
            return Err(PlanError::GasCap { cap: gas_cap }.into());
        }
        let first = attestation.chunks.first().ok_or(PlanError::Empty)?;
        let lineage = nonce_of(first)?.lineage;
        let on_chain = self.read_lineage(lineage)?;
        let plan = plan(attestation, &on_chain)?;
        let entries: Vec<Entry> = plan
            .updates
            .iter()
            .map(|&chunk| Entry {
                chunk,
                update: true,
            })
            .chain(plan.appends.iter().map(|&chunk| Entry {
                chunk,
                update: false,
            }))
            .collect();
        let mut report = AttestReport {
            lineage,
            plan: plan.clone(),
            transactions: Vec::new(),
            attested: None,
        };
        let mut done = 0;
        let mut take = entries.len();
        while done < entries.len() {
            take = take.clamp(1, entries.len() - done);
            loop {
                let batch = &entries[done..done + take];
                let raw = RawSubmission::build(lineage, &attestation.chunks, batch);
                let data = raw.calldata();
                let gas = match self.chain.estimate_gas(self.addresses.gate, data.clone()) {
                    Ok(gas) => gas,
                    // Too large to measure at all (over the node's or the EVM's own limit):
                    // try half. A revert is the gate's answer and stops here.
                    Err(ChainError::Node(_) | ChainError::Halted(_)) if take > 1 => {
                        take /= 2;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if gas <= gas_cap {
                    let limit = gas.saturating_add(gas / 10).min(gas_cap);
                    let receipt = self
                        .chain
                        .transact_limited(self.addresses.gate, data, limit)?;
                    let completed = self.record_tx(&mut report, batch, limit, &receipt)?;
                    report.transactions.last_mut().expect("pushed").completed = completed;
                    done += take;
                    break;
                }
                if take == 1 {
                    return Err(PlanError::OverCap {
                        index: batch[0].chunk,
                        gas,
                        cap: gas_cap,
                    }
                    .into());
                }
                // Gas is about linear in the entries: scale down, with a margin.
                let fit =
                    (take as u128 * u128::from(gas_cap) * 95 / 100 / u128::from(gas)) as usize;
                take = fit.clamp(1, take - 1);
            }
        }
        Ok(report)
    }

    fn record_tx(
        &mut self,
        report: &mut AttestReport,
        batch: &[Entry],
        gas_limit: u64,
        receipt: &Receipt,
    ) -> Result<bool> {
        let attested = AttestationRecord::from_receipt(receipt).ok();
        let completed = attested.is_some();
        if attested.is_some() {
            report.attested = attested;
        }
        report.transactions.push(SubmitTx {
            updates: batch.iter().filter(|e| e.update).map(|e| e.chunk).collect(),
            appends: batch
                .iter()
                .filter(|e| !e.update)
                .map(|e| e.chunk)
                .collect(),
            gas_limit,
            gas_used: receipt.gas_used,
            block: receipt.block_number,
            completed,
        });
        Ok(completed)
    }

    /// Sends raw `submit` arguments (one transaction, the chain's default gas limit).
    pub fn submit_raw(&mut self, raw: &RawSubmission) -> Result<Receipt> {
        self.send(self.addresses.gate, raw.calldata().to_vec(), U256::ZERO)
    }

    /// Shorthand for tests: [`GateFlow::submit_raw`] of [`Attestation::raw`].
    pub fn attest_raw(&mut self, raw: &RawSubmission) -> Result<Receipt> {
        self.submit_raw(raw)
    }

    /// `chunkNonce(lineage, index)`.
    pub fn chunk_nonce(&mut self, lineage: u64, index: usize) -> Result<u128> {
        let data = BackupGate::chunkNonceCall {
            lineage,
            index: U256::from(index),
        }
        .abi_encode();
        let r = self.view(self.addresses.gate, data)?;
        int_of(
            "chunkNonce",
            decode::<BackupGate::chunkNonceCall>("chunkNonce", &r)?,
        )
    }

    /// `chunkAt(lineage, index)`: the chunk root, chunk commitment and nonce the gate holds
    /// (zeros: no such chunk).
    pub fn chunk_at(&mut self, lineage: u64, index: usize) -> Result<(Fr, Fr, u128)> {
        let data = BackupGate::chunkAtCall {
            lineage,
            index: U256::from(index),
        }
        .abi_encode();
        let r = self.view(self.addresses.gate, data)?;
        let c = decode::<BackupGate::chunkAtCall>("chunkAt", &r)?;
        Ok((
            fr_of("chunkAt.chunkRoot", c.chunkRoot)?,
            fr_of("chunkAt.chunkCommitment", c.chunkCommitment)?,
            int_of("chunkAt.nonce", c.nonce)?,
        ))
    }

    /// Whether the gate refuses submits to `lineage` (`isRetired`).
    pub fn is_retired(&mut self, lineage: u64) -> Result<bool> {
        let r = self.view(
            self.addresses.gate,
            BackupGate::isRetiredCall { lineage }.abi_encode(),
        )?;
        decode::<BackupGate::isRetiredCall>("isRetired", &r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkbackup_core::chunk::ChunkPublic;

    fn chunk(lineage: u64, version: u32, index: usize, root: u64) -> ChunkProof {
        ChunkProof {
            index,
            public_inputs: ChunkPublic {
                chunk_root: Fr::from(root),
                chunk_commitment: Fr::from(1_000 + root),
                key_commitment: Fr::from(7u64),
                nonce: Nonce::new(lineage, version, index as u32).to_field(),
                count: Fr::from(4u64),
            },
            proof: Default::default(),
        }
    }

    fn held(c: &ChunkProof) -> ChainChunk {
        ChainChunk {
            chunk_root: c.public_inputs.chunk_root,
            chunk_commitment: c.public_inputs.chunk_commitment,
            nonce: Nonce::from_field(&c.public_inputs.nonce).unwrap().to_u128(),
            count: 4,
        }
    }

    #[test]
    fn plans_updates_appends_and_refuses_what_cannot_go_on() {
        let v0: Vec<ChunkProof> = (0..3).map(|j| chunk(5, 0, j, j as u64 + 1)).collect();
        let on_chain = LineageOnChain {
            lineage: 5,
            chunks: v0[..2].iter().map(held).collect(),
            retired: false,
        };
        let mut bundle = v0.clone();
        bundle[1] = chunk(5, 1, 1, 9);
        let p = plan(
            &Attestation {
                chunks: bundle.clone(),
            },
            &on_chain,
        )
        .unwrap();
        assert_eq!((p.updates, p.appends, p.unchanged), (vec![1], vec![2], 1));

        let mut mixed = bundle.clone();
        mixed[2] = chunk(6, 0, 2, 3);
        let err = plan(&Attestation { chunks: mixed }, &on_chain).unwrap_err();
        assert_eq!(
            err,
            PlanError::MixedLineage {
                index: 2,
                lineage: 6,
                expected: 5
            }
        );
        let mut swapped = bundle.clone();
        swapped.swap(0, 1);
        let err = plan(&Attestation { chunks: swapped }, &on_chain).unwrap_err();
        assert_eq!(
            err,
            PlanError::ChunkOrder {
                position: 0,
                index: 1
            }
        );
        let err = plan(
            &Attestation {
                chunks: v0[..1].to_vec(),
            },
            &on_chain,
        )
        .unwrap_err();
        assert_eq!(
            err,
            PlanError::Shrunk {
                on_chain: 2,
                bundle: 1
            }
        );
        let mut conflict = v0.clone();
        conflict[0].public_inputs.chunk_root = Fr::from(99u64);
        let err = plan(&Attestation { chunks: conflict }, &on_chain).unwrap_err();
        assert_eq!(err, PlanError::Conflict { index: 0 });
        let newer = LineageOnChain {
            chunks: bundle[..2].iter().map(held).collect(),
            ..on_chain.clone()
        };
        let err = plan(&Attestation { chunks: v0.clone() }, &newer).unwrap_err();
        assert_eq!(err, PlanError::Older { index: 1 });
        let retired = LineageOnChain {
            retired: true,
            ..on_chain
        };
        let err = plan(&Attestation { chunks: v0 }, &retired).unwrap_err();
        assert_eq!(err, PlanError::Retired { lineage: 5 });
        assert_eq!(
            plan(&Attestation { chunks: Vec::new() }, &retired).unwrap_err(),
            PlanError::Empty
        );
    }
}
