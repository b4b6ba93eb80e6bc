//! Encrypting records into a backup.

use super::{leaf, Backup, BackupError, Chunk, CreateProblem, Header, VERSION};
use crate::records::{RecordFormat, Records};
use ark_bn254::Fr;
use rand::{rngs::OsRng, RngCore};
use rayon::prelude::*;
use zkbackup_core::chunk::{chunk_nonce, BACKUP_ID_BITS};
use zkbackup_core::cipher;
use zkbackup_core::commitment::{backup_commitment, chunk_commitment};
use zkbackup_core::lean_imt;
use zkbackup_core::EscrowKey;

/// A fresh 96-bit backup id, from the operating system's generator.
pub fn random_backup_id() -> u128 {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes[4..]);
    u128::from_be_bytes(bytes)
}

impl Backup {
    /// Encrypts `records` into chunks of `chunk_size` records (a power of two), in
    /// parallel, with a fresh random backup id. `format`, the format of the records file, is
    /// recorded in the header as information (`inspect` shows it).
    pub fn create(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
    ) -> Result<Self, BackupError> {
        Self::create_with_id(records, format, key, chunk_size, random_backup_id())
    }

    /// [`Backup::create`] with a given backup id (tests and benches; a real backup must use
    /// a fresh random id, or nonces may repeat).
    pub fn create_with_id(
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        chunk_size: usize,
        backup_id: u128,
    ) -> Result<Self, BackupError> {
        let bad = |problem| Err(BackupError::Create(problem));
        let arity = records.arity();
        let fields = records.fields();
        if chunk_size == 0 || !chunk_size.is_power_of_two() {
            return bad(CreateProblem::ChunkSizeNotPowerOfTwo(chunk_size));
        }
        if chunk_size
            .checked_mul(arity)
            .is_none_or(|l| l > u32::MAX as usize)
        {
            return bad(CreateProblem::ChunkSizeTooLarge(chunk_size));
        }
        if backup_id >> BACKUP_ID_BITS != 0 {
            return bad(CreateProblem::BackupIdTooLarge);
        }
        let records = fields.len() / arity;
        let chunk_count = records.div_ceil(chunk_size);
        if chunk_count > u32::MAX as usize {
            return bad(CreateProblem::TooManyChunks { records });
        }
        let per_chunk: Vec<(Chunk, Fr)> = fields
            .par_chunks(chunk_size * arity)
            .enumerate()
            .map(|(j, plaintext)| {
                let index = j as u32;
                let nonce = chunk_nonce(backup_id, index);
                let length = plaintext.len() as u32;
                let ciphertext = cipher::encrypt(plaintext, key, nonce);
                let commitment = chunk_commitment(&ciphertext);
                let leaves: Vec<Fr> = plaintext.chunks(arity).map(leaf).collect();
                let chunk_root = lean_imt::root(&leaves).expect("a chunk is not empty");
                let chunk = Chunk {
                    index,
                    nonce,
                    length,
                    ciphertext,
                    commitment,
                };
                (chunk, chunk_root)
            })
            .collect();
        let (chunks, chunk_roots): (Vec<Chunk>, Vec<Fr>) = per_chunk.into_iter().unzip();
        let commitments: Vec<Fr> = chunks.iter().map(|c| c.commitment).collect();
        let header = Header {
            version: VERSION,
            format,
            arity,
            chunk_size,
            records: records as u64,
            backup_id,
            root: lean_imt::root_of_chunk_roots(&chunk_roots).expect("at least one chunk"),
            key_commitment: key.commitment(),
            commitment: backup_commitment(&commitments),
        };
        Ok(Self { header, chunks })
    }
}
