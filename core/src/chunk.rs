//! The statement proven for one chunk, natively: from a chunk's records, the escrow key and
//! the chunk's nonce, the five public values its proof exposes.
//!
//! Public inputs, in order ([`ChunkPublic::to_inputs`]):
//! 1. `chunk_root` — the LeanIMT root of the chunk's leaves (`leaf = Poseidon(record)`),
//!    i.e. the node at level `k` of the state tree for a chunk size of `2^k`;
//! 2. `chunk_commitment` — [`chunk_commitment`](crate::commitment::chunk_commitment) of the chunk's ciphertext;
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
use crate::commitment::chunk_commitment;
use crate::escrow_key::EscrowKey;
use crate::lean_imt;
use crate::poseidon::{self, MAX_INPUTS};
use ark_bn254::Fr;
use zeroize::Zeroize;

/// A chunk's encryption nonce, below `2^128` as the cipher requires:
/// `lineage · 2^64 + version · 2^32 + index`.
///
/// - `lineage`: 64 random bits drawn from the operating system's generator when a full
///   backup starts a lineage; every incremental backup of the lineage keeps it, and every
///   chunk of a backup carries it (the gate and the verifier refuse a mix of lineages).
/// - `version`: the generation of the lineage in which the chunk was last encrypted (0 for
///   a full backup, the parent's generation + 1 for an incremental one), so a chunk's nonce
///   only moves forward within its lineage.
/// - `index`: the chunk's position `j`.
///
/// Under one key, two encryptions share a nonce only if they share lineage, generation and
/// index: within a lineage each generation encrypts each index at most once, and two
/// lineages collide with probability at most `q² / 2^65` after `q` lineages.
///
/// A format v1 nonce `backup_id · 2^32 + j` is the same number read with lineage
/// `backup_id >> 32` and version `backup_id mod 2^32`; the ordering compares the numbers
/// (lineage, then version, then index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce {
    /// The lineage id (bits 64..128).
    pub lineage: u64,
    /// The generation that last encrypted the chunk (bits 32..64).
    pub version: u32,
    /// The chunk index (bits 0..32).
    pub index: u32,
}

impl Nonce {
    /// The nonce of chunk `index`, encrypted in generation `version` of `lineage`.
    pub fn new(lineage: u64, version: u32, index: u32) -> Self {
        Self {
            lineage,
            version,
            index,
        }
    }

    /// The nonce as the cipher takes it.
    pub fn to_u128(self) -> u128 {
        (u128::from(self.lineage) << 64) | (u128::from(self.version) << 32) | u128::from(self.index)
    }

    /// The parts of a 128-bit nonce.
    pub fn from_u128(n: u128) -> Self {
        Self {
            lineage: (n >> 64) as u64,
            version: (n >> 32) as u32,
            index: n as u32,
        }
    }

    /// The nonce as a public input.
    pub fn to_field(self) -> Fr {
        Fr::from(self.to_u128())
    }

    /// The parts of a public input, or `None` if it is not below `2^128`.
    pub fn from_field(nonce: &Fr) -> Option<Self> {
        use ark_ff::PrimeField;
        let limbs = nonce.into_bigint().0;
        if limbs[2] != 0 || limbs[3] != 0 {
            return None;
        }
        Some(Self::from_u128(
            (u128::from(limbs[1]) << 64) | u128::from(limbs[0]),
        ))
    }
}

/// The most field elements a record may have: the widest circomlib Poseidon.
pub const MAX_ARITY: usize = MAX_INPUTS;

/// The number of public inputs of a chunk proof.
pub const NUM_PUBLIC_INPUTS: usize = 5;

/// Names of the public inputs, in order, as error messages and docs call them.
pub const PUBLIC_INPUT_NAMES: [&str; NUM_PUBLIC_INPUTS] = [
    "chunk_root",
    "chunk_commitment",
    "key_commitment",
    "nonce",
    "count",
];

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
        if !(1..=MAX_ARITY).contains(&arity) {
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

/// The five public values of one chunk proof, as the proof binds them: field elements, in
/// the circuit's order. The prover computes them ([`ChunkWitness::public`]); a bundle, the
/// verifier and the gate read and check them as they are (a value from a file may be out of
/// range, e.g. a nonce `>= 2^128`: the verifier refuses it, see [`Nonce::from_field`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPublic {
    /// The LeanIMT node of the chunk's records at level `k` (chunk size `2^k`).
    pub chunk_root: Fr,
    /// The chunk commitment: [`chunk_commitment`](crate::commitment::chunk_commitment) of the
    /// chunk's ciphertext.
    pub chunk_commitment: Fr,
    /// The escrow key's commitment `K`, the same in every chunk.
    pub key_commitment: Fr,
    /// The chunk's encryption nonce ([`Nonce`]: lineage, version, chunk index; below `2^128`).
    pub nonce: Fr,
    /// The number of records in the chunk.
    pub count: Fr,
}

impl ChunkPublic {
    /// The public inputs in the circuit's order.
    pub fn to_inputs(&self) -> [Fr; NUM_PUBLIC_INPUTS] {
        [
            self.chunk_root,
            self.chunk_commitment,
            self.key_commitment,
            self.nonce,
            self.count,
        ]
    }

    /// The values from the public inputs in the circuit's order.
    pub fn from_inputs(inputs: [Fr; NUM_PUBLIC_INPUTS]) -> Self {
        let [chunk_root, chunk_commitment, key_commitment, nonce, count] = inputs;
        Self {
            chunk_root,
            chunk_commitment,
            key_commitment,
            nonce,
            count,
        }
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
            chunk_commitment: chunk_commitment(&self.ciphertext()),
            key_commitment: self.key.commitment(),
            nonce: Fr::from(self.nonce),
            count: Fr::from(self.count() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_parts_round_trip_and_order_by_lineage_version_index() {
        let n = Nonce::new(0x0123_4567_89ab_cdef, 7, 42);
        assert_eq!(n.to_u128(), 0x0123_4567_89ab_cdef_0000_0007_0000_002a);
        assert_eq!(Nonce::from_u128(n.to_u128()), n);
        assert_eq!(Nonce::from_field(&n.to_field()), Some(n));
        assert_eq!(
            Nonce::from_field(&Fr::from(u128::MAX)),
            Some(Nonce::new(u64::MAX, u32::MAX, u32::MAX))
        );
        // 2^128 is out of the cipher's range.
        let two_128 = Fr::from(u128::MAX) + Fr::from(1u64);
        assert_eq!(Nonce::from_field(&two_128), None);
        // A later version of the same chunk is a larger nonce.
        assert!(Nonce::new(1, 8, 0) > Nonce::new(1, 7, 42));
        // A v1 nonce `id · 2^32 + j` reads as lineage = id >> 32, version = id mod 2^32.
        let id: u128 = 0xaaaa_bbbb_cccc_dddd_eeee_ffff;
        assert_eq!(
            Nonce::from_u128((id << 32) + 5),
            Nonce::new(0xaaaa_bbbb_cccc_dddd, 0xeeee_ffff, 5)
        );
    }
}
