//! The statement proven for one chunk, natively: from a chunk's records, the escrow key and
//! the chunk's nonce, the five public values its proof exposes.
//!
//! Public inputs, in order ([`ChunkPublic::to_inputs`]):
//! 1. `chunk_root` — the LeanIMT root of the chunk's leaves (`leaf = Poseidon(record)`),
//!    i.e. the node at level `k` of the state tree for a chunk size of `2^k`;
//! 2. `commitment` — [`ciphertext_commitment`] of the chunk's ciphertext;
//! 3. `key_commitment` — `K`, the commitment of the escrow key ([`key_commitment`]);
//! 4. `nonce` — the chunk's encryption nonce (`< 2^128`);
//! 5. `count` — the records in the chunk (`1 ..= chunk_size`).
//!
//! The verifier recombines the chunk roots into the state root and the chunk commitments
//! into the backup commitment, both with the LeanIMT; see `docs/PROOFS.md` for why the
//! chunk values are public rather than proven against the root inside each proof.
//!
//! [`key_commitment`]: crate::escrow_key::key_commitment

use crate::cipher;
use crate::commitment::ciphertext_commitment;
use crate::escrow_key::EscrowKey;
use crate::lean_imt;
use crate::poseidon::{self, MAX_INPUTS};
use ark_bn254::Fr;
use zeroize::Zeroize;

/// Backup ids are this many bits.
pub const BACKUP_ID_BITS: u32 = 96;

/// The nonce of chunk `index` of the backup `backup_id`: `backup_id · 2^32 + index`.
pub fn chunk_nonce(backup_id: u128, index: u32) -> u128 {
    debug_assert!(backup_id < 1 << BACKUP_ID_BITS);
    (backup_id << 32) | u128::from(index)
}

/// The number of public inputs of a chunk proof.
pub const PUBLIC_INPUTS: usize = 5;

/// The fixed shape of a chunk circuit: one circuit (and one key pair) per shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkShape {
    /// Field elements per record (1 to 16).
    pub arity: usize,
    /// Record slots per chunk (a power of two).
    pub chunk_size: usize,
}

/// Why a chunk statement cannot be formed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    /// The arity is outside 1..=16.
    #[error("record arity {0} is outside 1..=16")]
    Arity(usize),
    /// The chunk size is not a power of two.
    #[error("chunk size {0} is not a power of two")]
    ChunkSize(usize),
    /// The records do not fit the shape.
    #[error("a chunk holds 1 to {max} records of arity {arity}; got {elements} field elements")]
    Records {
        /// Record slots.
        max: usize,
        /// Field elements per record.
        arity: usize,
        /// Field elements given.
        elements: usize,
    },
}

impl ChunkShape {
    /// A validated shape.
    pub fn new(arity: usize, chunk_size: usize) -> Result<Self, ChunkError> {
        if !(1..=MAX_INPUTS).contains(&arity) {
            return Err(ChunkError::Arity(arity));
        }
        if chunk_size == 0 || !chunk_size.is_power_of_two() {
            return Err(ChunkError::ChunkSize(chunk_size));
        }
        Ok(Self { arity, chunk_size })
    }

    /// Message slots of the cipher: `arity · chunk_size`.
    pub fn slots(&self) -> usize {
        self.arity * self.chunk_size
    }
}

/// The five public values of one chunk proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPublic {
    /// LeanIMT root of the chunk's leaves.
    pub chunk_root: Fr,
    /// Commitment of the chunk's ciphertext.
    pub commitment: Fr,
    /// Commitment of the escrow key.
    pub key_commitment: Fr,
    /// The chunk's nonce.
    pub nonce: u128,
    /// Records in the chunk.
    pub count: usize,
}

impl ChunkPublic {
    /// The public inputs in proof order.
    pub fn to_inputs(&self) -> [Fr; PUBLIC_INPUTS] {
        [
            self.chunk_root,
            self.commitment,
            self.key_commitment,
            Fr::from(self.nonce),
            Fr::from(self.count as u64),
        ]
    }
}

/// Everything the prover knows about one chunk. Its records and key are wiped on drop.
#[derive(Clone)]
pub struct ChunkWitness {
    /// The circuit's shape.
    pub shape: ChunkShape,
    /// The chunk's records, row-major, `count · arity` elements.
    pub records: Vec<Fr>,
    /// The escrow key.
    pub key: EscrowKey,
    /// The chunk's nonce.
    pub nonce: u128,
}

impl Drop for ChunkWitness {
    fn drop(&mut self) {
        self.records.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for ChunkWitness {}

impl ChunkWitness {
    /// A witness for `records` (row-major) under `key` and `nonce`.
    pub fn new(
        shape: ChunkShape,
        records: Vec<Fr>,
        key: EscrowKey,
        nonce: u128,
    ) -> Result<Self, ChunkError> {
        let elements = records.len();
        if elements == 0 || !elements.is_multiple_of(shape.arity) || elements > shape.slots() {
            return Err(ChunkError::Records {
                max: shape.chunk_size,
                arity: shape.arity,
                elements,
            });
        }
        Ok(Self {
            shape,
            records,
            key,
            nonce,
        })
    }

    /// Records in the chunk.
    pub fn count(&self) -> usize {
        self.records.len() / self.shape.arity
    }

    /// `Poseidon(record)` for each record.
    pub fn leaves(&self) -> Vec<Fr> {
        #[cfg(feature = "parallel")]
        use rayon::prelude::*;
        #[cfg(feature = "parallel")]
        let chunks = self.records.par_chunks(self.shape.arity);
        #[cfg(not(feature = "parallel"))]
        let chunks = self.records.chunks(self.shape.arity);
        chunks.map(poseidon::hash).collect()
    }

    /// The chunk's ciphertext (the backup file holds the same).
    pub fn ciphertext(&self) -> Vec<Fr> {
        cipher::encrypt(&self.records, &self.key, self.nonce)
    }

    /// The public values this witness proves.
    pub fn public(&self) -> ChunkPublic {
        let leaves = self.leaves();
        ChunkPublic {
            chunk_root: lean_imt::root(&leaves).expect("at least one record"),
            commitment: ciphertext_commitment(&self.ciphertext()),
            key_commitment: self.key.commitment(),
            nonce: self.nonce,
            count: self.count(),
        }
    }
}
