//! Encrypting records into a full backup: a new lineage, generation 0.

use super::{Backup, BackupError, Checked, Chunk, CreateProblem, Header, VERSION};
use crate::records::{RecordFormat, Records};
use ark_bn254::Fr;
use rand::{rngs::OsRng, RngCore};
use rayon::prelude::*;
use zkbackup_core::chunk::Nonce;
use zkbackup_core::cipher;
use zkbackup_core::commitment::{backup_commitment, chunk_commitment};
use zkbackup_core::lean_imt;
use zkbackup_core::EscrowKey;

/// A fresh 64-bit lineage, from the operating system's generator.
pub fn random_lineage() -> u64 {
    OsRng.next_u64()
}

/// The shape checks of a new backup: chunk size and chunk count.
pub(super) fn check_shape(records: &Records, chunk_size: usize) -> Result<usize, BackupError> {
    let bad = |problem| Err(BackupError::Create(problem));
    if chunk_size == 0 || !chunk_size.is_power_of_two() {
        return bad(CreateProblem::ChunkSizeNotPowerOfTwo(chunk_size));
    }
    if chunk_size
        .checked_mul(records.arity())
        .is_none_or(|l| l > u32::MAX as usize)
    {
        return bad(CreateProblem::ChunkSizeTooLarge(chunk_size));
    }
    let n = records.len();
    let chunk_count = n.div_ceil(chunk_size);
    if chunk_count > u32::MAX as usize {
        return bad(CreateProblem::TooManyChunks { records: n });
    }
    Ok(chunk_count)
}

/// Encrypts one chunk's plaintext under `nonce`.
pub(super) fn encrypt_chunk(plaintext: &[Fr], key: &EscrowKey, nonce: Nonce) -> Chunk {
    let nonce = nonce.to_u128();
    let ciphertext = cipher::encrypt(plaintext, key, nonce);
    let commitment = chunk_commitment(&ciphertext);
    Chunk {
        index: nonce as u32,
        nonce,
        length: plaintext.len() as u32,
        ciphertext,
        commitment,
    }
}

/// The header of a backup of `chunks`, whose records have these chunk roots. Each chunk's
/// commitment must be that of its ciphertext (computed here, or copied from a checked
/// parent).
pub(super) fn assemble(header: Header, chunks: Vec<Chunk>, chunk_roots: &[Fr]) -> Backup {
    let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
    let header = Header {
        root: lean_imt::root_of_chunk_roots(chunk_roots).expect("at least one chunk"),
        commitment: backup_commitment(&commitments),
        ..header
    };
    Backup {
        header,
        chunks,
        commitments: Checked::yes(),
    }
}

impl Backup {
    /// Encrypts `records` into chunks of `chunk_size` records (a power of two), in
    /// parallel, as a full backup: a fresh random lineage, generation 0, every chunk's nonce
    /// version 0. `format`, the format of the records file, is recorded in the header as
    /// information (`inspect` shows it).
    pub fn create(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
    ) -> Result<Self, BackupError> {
        Self::create_with_lineage(records, format, key, chunk_size, random_lineage())
    }

    /// [`Backup::create`] with a given lineage (tests and benches; a real backup must use a
    /// fresh random lineage, or nonces may repeat).
    pub fn create_with_lineage(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
        lineage: u64,
    ) -> Result<Self, BackupError> {
        check_shape(records, chunk_size)?;
        let arity = records.arity();
        let chunks: Vec<Chunk> = records
            .fields()
            .par_chunks(chunk_size * arity)
            .enumerate()
            .map(|(j, plaintext)| encrypt_chunk(plaintext, key, Nonce::new(lineage, 0, j as u32)))
            .collect();
        let header = Header {
            version: VERSION,
            format,
            arity,
            chunk_size,
            records: records.len() as u64,
            lineage,
            generation: 0,
            root: Fr::from(0u64),
            key_commitment: key.commitment(),
            commitment: Fr::from(0u64),
        };
        Ok(assemble(header, chunks, &records.chunk_roots(chunk_size)))
    }
}
