//! Checking a backup's commitments (no key) and restoring its records (with the key).

use super::{leaf, Backup, BackupError};
use crate::records::Records;
use ark_bn254::Fr;
use rayon::prelude::*;
use std::path::Path;
use zkbackup_core::cipher;
use zkbackup_core::commitment::{backup_commitment, chunk_commitment};
use zkbackup_core::field::to_hex;
use zkbackup_core::lean_imt;
use zkbackup_core::EscrowKey;

/// A path named in errors of in-memory operations.
const NO_PATH: &str = "<memory>";

impl Backup {
    /// Recomputes every chunk commitment and `C` from the ciphertext (in parallel; no key).
    pub fn recompute_commitments(&self) -> (Vec<Fr>, Fr) {
        let chunk_commitments: Vec<Fr> = self
            .chunks
            .par_iter()
            .map(|c| chunk_commitment(&c.ciphertext))
            .collect();
        let c = backup_commitment(&chunk_commitments);
        (chunk_commitments, c)
    }

    /// Checks the stored chunk commitments and `C` against the ciphertext; `path` names the
    /// file in errors. Once passed (or for a backup assembled here), later calls return at
    /// once.
    pub fn verify_commitments(&self, path: &Path) -> Result<(), BackupError> {
        if self.commitments.0.get().is_some() {
            return Ok(());
        }
        let (chunk_commitments, c) = self.recompute_commitments();
        for (chunk, recomputed) in self.chunks.iter().zip(&chunk_commitments) {
            if chunk.commitment != *recomputed {
                return Err(BackupError::CommitmentMismatch {
                    path: path.to_path_buf(),
                    what: format!("the commitment of chunk {}", chunk.index),
                    stored: to_hex(&chunk.commitment),
                    recomputed: to_hex(recomputed),
                });
            }
        }
        if c != self.header.commitment {
            return Err(BackupError::CommitmentMismatch {
                path: path.to_path_buf(),
                what: "the backup commitment".into(),
                stored: to_hex(&self.header.commitment),
                recomputed: to_hex(&c),
            });
        }
        let _ = self.commitments.0.set(());
        Ok(())
    }

    /// Restores the records, in the reading order of `docs/FORMAT.md`: first the commitment
    /// check ([`Backup::verify_commitments`]: every chunk commitment and `C` recomputed from
    /// the ciphertext, so restore refuses exactly the files `inspect` refuses), then the key
    /// (a key whose commitment is not `K` is refused before decrypting), then every chunk is
    /// decrypted and authenticated (in parallel), and the records are re-rooted and compared
    /// with the header's `R`.
    ///
    /// What comes back is fixed by authenticated values only: the ciphertext (its tag, under
    /// the key), the nonces, lengths and `R`. The header's records-format byte plays no part:
    /// the caller chooses the output format.
    pub fn restore(&self, key: &EscrowKey) -> Result<Records, BackupError> {
        self.restore_named(key, Path::new(NO_PATH))
    }

    /// [`Backup::restore`], naming `path` in errors.
    pub fn restore_named(&self, key: &EscrowKey, path: &Path) -> Result<Records, BackupError> {
        self.verify_commitments(path)?;
        let h = &self.header;
        let found = key.commitment();
        if found != h.key_commitment {
            return Err(BackupError::WrongKey {
                path: path.to_path_buf(),
                expected: to_hex(&h.key_commitment),
                found: to_hex(&found),
            });
        }
        let arity = h.arity;
        let per_chunk: Vec<(Vec<Fr>, Fr)> = self
            .chunks
            .par_iter()
            .map(|c| {
                let plaintext = cipher::decrypt(&c.ciphertext, key, c.nonce, c.length as usize)
                    .map_err(|source| BackupError::Decrypt {
                        path: path.to_path_buf(),
                        index: c.index,
                        source,
                    })?;
                let leaves: Vec<Fr> = plaintext.chunks(arity).map(leaf).collect();
                let chunk_root = lean_imt::root(&leaves).expect("a chunk is not empty");
                Ok((plaintext, chunk_root))
            })
            .collect::<Result<_, BackupError>>()?;
        let chunk_roots: Vec<Fr> = per_chunk.iter().map(|(_, r)| *r).collect();
        let root = lean_imt::root_of_chunk_roots(&chunk_roots).expect("at least one chunk");
        if root != h.root {
            return Err(BackupError::StateRootMismatch {
                path: path.to_path_buf(),
                expected: to_hex(&h.root),
                found: to_hex(&root),
            });
        }
        let mut fields = Vec::with_capacity(h.records as usize * arity);
        for (plaintext, _) in per_chunk {
            fields.extend_from_slice(&plaintext);
        }
        Ok(Records::new(arity, fields).expect("the header's arity and counts were validated"))
    }
}
