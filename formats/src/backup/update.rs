//! The incremental backup: a child of a parent backup that keeps the parent's unchanged
//! chunks byte for byte and encrypts the rest under a newly claimed generation.

use super::create::{assemble, check_shape, encrypt_chunk};
use super::{check_nonce, Backup, BackupError, Chunk, Header, UpdateProblem, VERSION};
use crate::claims::ClaimsLedger;
use crate::records::{RecordFormat, Records};
use ark_bn254::Fr;
use rayon::prelude::*;
use std::path::Path;
use zeroize::Zeroize;
use zkbackup_core::chunk::Nonce;
use zkbackup_core::cipher;
use zkbackup_core::field::to_hex;
use zkbackup_core::EscrowKey;

/// What an incremental backup changed, by chunk index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Chunks whose plaintext (records and length) is the parent's: nonce, ciphertext and
    /// commitment copied.
    pub unchanged: Vec<u32>,
    /// Chunks the parent has too, with another plaintext: re-encrypted.
    pub changed: Vec<u32>,
    /// Chunks past the parent's last: encrypted.
    pub added: Vec<u32>,
    /// The parent's chunks past the child's last: dropped.
    pub removed: Vec<u32>,
}

impl Changes {
    /// The chunks encrypted under the child's generation (changed and added), in order.
    pub fn encrypted(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.changed.iter().chain(&self.added).copied().collect();
        v.sort_unstable();
        v
    }
}

impl Backup {
    /// An incremental backup of `records` whose parent is `parent` (in memory: errors name
    /// `<memory>`); see [`Backup::update_named`].
    pub fn update(
        parent: &Backup,
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        claims: &ClaimsLedger,
    ) -> Result<(Backup, Changes), BackupError> {
        Self::update_named(parent, Path::new("<memory>"), records, format, key, claims)
    }

    /// An incremental backup of `records`: the child of `parent` (read from
    /// `parent_path`, named in errors), under the parent's key, arity, chunk size and
    /// lineage, and a new generation claimed in `claims`.
    ///
    /// In order:
    /// 1. the key's commitment is the parent's `K`, the records' arity the parent's, the
    ///    parent's generation below `2^32 − 1`, and the parent's chunks follow the nonce
    ///    rule;
    /// 2. the parent's chunk commitments and `C` are recomputed from its ciphertext (the
    ///    child copies them) and every parent chunk is decrypted and authenticated;
    /// 3. the child's generation `1 + max(parent's, every one claimed for the lineage)` is
    ///    claimed in the ledger (appended and synced) — nothing is encrypted before;
    /// 4. chunk `j` whose plaintext (records and length) is the parent's chunk `j` keeps its
    ///    nonce, ciphertext and commitment byte for byte; every other chunk (changed, added,
    ///    a new or changed partial last chunk) is encrypted with nonce
    ///    `(lineage, generation, j)`; the parent's chunks past the records' end are dropped;
    /// 5. `R` and `C` are recomputed.
    ///
    /// A (key, nonce) pair thus never encrypts two plaintexts: an unchanged chunk's nonce
    /// carries the same plaintext as before, and every new encryption uses a generation no
    /// one else has claimed in this ledger.
    pub fn update_named(
        parent: &Backup,
        parent_path: &Path,
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        claims: &ClaimsLedger,
    ) -> Result<(Backup, Changes), BackupError> {
        Self::child_of(parent, parent_path, records, format, key, claims, false)
    }

    /// [`Backup::update_named`] that also re-encrypts the last chunk under the new
    /// generation even if its records did not change: a **refresh**. A state that does not
    /// change still needs a recent attestation (`isFresh(maxAgeBlocks)`); a refreshed
    /// backup gives the gate one chunk whose nonce moved forward, proven and attested like
    /// any one-chunk delta (same chunk root, new ciphertext and commitment).
    pub fn refresh_named(
        parent: &Backup,
        parent_path: &Path,
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        claims: &ClaimsLedger,
    ) -> Result<(Backup, Changes), BackupError> {
        Self::child_of(parent, parent_path, records, format, key, claims, true)
    }

    fn child_of(
        parent: &Backup,
        parent_path: &Path,
        records: &Records,
        format: RecordFormat,
        key: &EscrowKey,
        claims: &ClaimsLedger,
        refresh_last: bool,
    ) -> Result<(Backup, Changes), BackupError> {
        let refuse = |problem| {
            Err(BackupError::Update {
                path: parent_path.to_path_buf(),
                problem,
            })
        };
        let h = parent.header();
        let found = key.commitment();
        if found != h.key_commitment {
            return refuse(UpdateProblem::WrongKey {
                parent: to_hex(&h.key_commitment),
                key: to_hex(&found),
            });
        }
        let arity = h.arity;
        if records.arity() != arity {
            return refuse(UpdateProblem::Arity {
                parent: arity,
                records: records.arity(),
            });
        }
        if h.generation == u32::MAX {
            return refuse(UpdateProblem::GenerationExhausted {
                lineage: h.lineage,
                generation: h.generation,
            });
        }
        for c in parent.chunks() {
            if let Err(problem) = check_nonce(h.version, h.lineage, h.generation, c.index, c.nonce)
            {
                return refuse(UpdateProblem::ParentNonce(problem));
            }
        }
        let chunk_size = h.chunk_size;
        check_shape(records, chunk_size)?;
        parent.verify_commitments(parent_path)?;
        let mut parent_plaintexts: Vec<Vec<Fr>> = parent
            .chunks()
            .par_iter()
            .map(|c| {
                cipher::decrypt(&c.ciphertext, key, c.nonce, c.length as usize).map_err(|source| {
                    BackupError::Decrypt {
                        path: parent_path.to_path_buf(),
                        index: c.index,
                        source,
                    }
                })
            })
            .collect::<Result<_, _>>()?;

        let generation = claims.claim_next(h.lineage, h.generation)?;

        let lineage = h.lineage;
        let roots = records.chunk_roots(chunk_size);
        let forced = refresh_last.then(|| roots.len() - 1);
        let per_chunk: Vec<(Chunk, bool)> = records
            .fields()
            .par_chunks(chunk_size * arity)
            .enumerate()
            .map(|(j, plaintext)| match parent_plaintexts.get(j) {
                Some(old) if old.as_slice() == plaintext && forced != Some(j) => {
                    (parent.chunks()[j].clone(), false)
                }
                _ => {
                    let nonce = Nonce::new(lineage, generation, j as u32);
                    (encrypt_chunk(plaintext, key, nonce), true)
                }
            })
            .collect();
        for p in &mut parent_plaintexts {
            p.zeroize();
        }
        let parent_count = parent.chunks().len() as u32;
        let mut changes = Changes::default();
        for (j, (_, encrypted)) in per_chunk.iter().enumerate() {
            let j = j as u32;
            match (*encrypted, j < parent_count) {
                (false, _) => changes.unchanged.push(j),
                (true, true) => changes.changed.push(j),
                (true, false) => changes.added.push(j),
            }
        }
        changes.removed = (per_chunk.len() as u32..parent_count).collect();
        let header = Header {
            version: VERSION,
            format,
            arity,
            chunk_size,
            records: records.len() as u64,
            lineage,
            generation,
            root: Fr::from(0u64),
            key_commitment: found,
            commitment: Fr::from(0u64),
        };
        let chunks = per_chunk.into_iter().map(|(c, _)| c).collect();
        let child = assemble(header, chunks, &roots);
        Ok((child, changes))
    }
}
