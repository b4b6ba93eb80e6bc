//! The constraint matrices file of a proving keys directory (`matrices.bin`), so that a
//! proving run reads the chunk circuit's matrices instead of deriving them again.
//!
//! Deriving them (synthesis in setup mode, inlining, `to_matrices`) costs ~1 s at chunk 64
//! and ~3.4 s at 256 on the project's machine, on every run; reading this file costs a
//! fraction of that (measured in `benches/README.md`). `zkbackup setup` and
//! `zkbackup ceremony import` write it beside the keys (a keys directory may be mounted
//! read-only where proofs are made); `keys.json` records its SHA-256, and a directory without
//! it (made by an older build) still works: its runs derive the matrices as before.
//!
//! # Format, version 1 (all integers little-endian)
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `ZKBR1CS\0` |
//! | 4 | version, `1` |
//! | 4, 4 | arity, chunk size (the shape the matrices are of) |
//! | 8 × 4 | instance variables (the constant one included), witness variables, constraints, private inputs |
//! | 8 | `K`, the number of distinct coefficients |
//! | 32 × K | the coefficients, each a canonical BN254 scalar (`< r`), 32 bytes little-endian |
//! | … | the rows of `A`, then `B`, then `C`, one per constraint: a 4-byte term count `n`, then `n` terms of a 4-byte variable index (into `[1, public…, witness…]`) and a 4-byte coefficient index (into the `K` coefficients) |
//!
//! Nothing follows the last row. A row's terms are in the order `to_matrices` gives them.
//! Coefficients are stored once and referred to by index: the Poseidon gadgets repeat the
//! same few thousand values, so the file is ~8 bytes per term instead of ~36.
//!
//! A hostile or damaged file cannot make a false proof: every proof a run makes is verified
//! under the key's verifying key before it is written ([`crate::ProveError::SelfCheck`]), and
//! the hash in `keys.json` catches damage before parsing. The parser still checks every
//! length, index and coefficient, and refuses trailing bytes, so it never panics or
//! allocates more than the file's size suggests.

use crate::keys::{invalid, io, ProvingKeysError};
use crate::prove::ChunkMatrices;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use zkbackup_core::chunk::ChunkShape;

/// The matrices file of a keys directory.
pub const MATRICES_FILE: &str = "matrices.bin";
/// The file's magic bytes.
pub const MATRICES_MAGIC: [u8; 8] = *b"ZKBR1CS\0";
/// The format version this build writes and reads.
pub const MATRICES_VERSION: u32 = 1;

impl ChunkMatrices {
    /// The matrices file's bytes (format above) for `shape`'s matrices.
    pub fn to_file_bytes(&self, shape: ChunkShape) -> Vec<u8> {
        let mut index: HashMap<Fr, u32> = HashMap::new();
        let mut coefficients: Vec<Fr> = Vec::new();
        let terms: usize = self.matrices.iter().flatten().map(Vec::len).sum();
        let mut rows = Vec::with_capacity(3 * self.num_constraints * 4 + terms * 8);
        for matrix in &self.matrices {
            for row in matrix {
                rows.extend_from_slice(&u32_of(row.len()).to_le_bytes());
                for (coefficient, variable) in row {
                    let next = u32_of(coefficients.len());
                    let at = *index.entry(*coefficient).or_insert_with(|| {
                        coefficients.push(*coefficient);
                        next
                    });
                    rows.extend_from_slice(&u32_of(*variable).to_le_bytes());
                    rows.extend_from_slice(&at.to_le_bytes());
                }
            }
        }
        let mut out = Vec::with_capacity(64 + 32 * coefficients.len() + rows.len());
        out.extend_from_slice(&MATRICES_MAGIC);
        out.extend_from_slice(&MATRICES_VERSION.to_le_bytes());
        out.extend_from_slice(&u32_of(shape.arity).to_le_bytes());
        out.extend_from_slice(&u32_of(shape.chunk_size).to_le_bytes());
        for n in [
            self.num_instance_variables,
            self.num_witness_variables,
            self.num_constraints,
            self.num_private_inputs,
            coefficients.len(),
        ] {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        for c in &coefficients {
            out.extend_from_slice(&c.into_bigint().to_bytes_le());
        }
        out.extend_from_slice(&rows);
        out
    }

    /// Parses a matrices file's bytes, checking that they are `shape`'s: every length, index
    /// and coefficient is checked; the error says what is wrong (the caller names the file).
    pub fn from_file_bytes(bytes: &[u8], shape: ChunkShape) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8, "the magic bytes")? != MATRICES_MAGIC {
            return Err("not a zkbackup constraint matrices file (wrong magic bytes)".into());
        }
        let version = r.u32("the version")?;
        if version != MATRICES_VERSION {
            return Err(format!(
                "unknown version {version} (this build reads {MATRICES_VERSION})"
            ));
        }
        let (arity, chunk_size) = (r.u32("the arity")?, r.u32("the chunk size")?);
        if (arity as usize, chunk_size as usize) != (shape.arity, shape.chunk_size) {
            return Err(format!(
                "matrices of arity {arity} and chunk size {chunk_size}, but the keys are for \
                 arity {} and chunk size {}",
                shape.arity, shape.chunk_size
            ));
        }
        let num_instance_variables = r.count("the instance variable count")?;
        let num_witness_variables = r.count("the witness variable count")?;
        let num_constraints = r.count("the constraint count")?;
        let num_private_inputs = r.count("the private input count")?;
        let variables = num_instance_variables
            .checked_add(num_witness_variables)
            .filter(|&v| v <= u32::MAX as usize && num_instance_variables >= 1)
            .ok_or("impossible variable counts")?;
        if num_private_inputs > num_witness_variables {
            return Err("more private inputs than witness variables".into());
        }
        let k = r.count("the coefficient count")?;
        // Bounded by what is left, so a hostile count cannot make us allocate beyond the
        // file's size.
        if k > r.left() / 32 {
            return Err(format!("{k} coefficients do not fit in the file"));
        }
        let coefficients = (0..k)
            .map(|i| {
                let b = r.take(32, "a coefficient")?;
                let limbs = std::array::from_fn(|l| {
                    u64::from_le_bytes(b[8 * l..8 * l + 8].try_into().expect("8 bytes"))
                });
                Fr::from_bigint(ark_ff::BigInt::new(limbs))
                    .ok_or_else(|| format!("coefficient {i} is not a canonical scalar (≥ r)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if num_constraints > r.left() / 12 {
            return Err(format!(
                "{num_constraints} constraints do not fit in the file"
            ));
        }
        let names = ["A", "B", "C"];
        let mut matrices = Vec::with_capacity(3);
        for name in names {
            let mut matrix = Vec::with_capacity(num_constraints);
            for row_index in 0..num_constraints {
                let n = r.u32("a row's term count")? as usize;
                if n > r.left() / 8 {
                    return Err(format!(
                        "row {row_index} of {name}: {n} terms do not fit in the file"
                    ));
                }
                let mut row = Vec::with_capacity(n);
                for _ in 0..n {
                    let variable = r.u32("a variable index")? as usize;
                    let c = r.u32("a coefficient index")? as usize;
                    if variable >= variables {
                        return Err(format!(
                            "row {row_index} of {name}: variable {variable} is out of range \
                             ({variables} variables)"
                        ));
                    }
                    let coefficient = *coefficients.get(c).ok_or_else(|| {
                        format!(
                            "row {row_index} of {name}: coefficient {c} is out of range ({k} \
                             coefficients)"
                        )
                    })?;
                    row.push((coefficient, variable));
                }
                matrix.push(row);
            }
            matrices.push(matrix);
        }
        if r.left() != 0 {
            return Err(format!(
                "{} bytes after the last row of C (a damaged or foreign file)",
                r.left()
            ));
        }
        Ok(Self {
            matrices,
            num_instance_variables,
            num_witness_variables,
            num_constraints,
            num_private_inputs,
        })
    }
}

/// Reads the matrices file at `path`, checks its SHA-256 (hex) against `sha256` (what
/// `keys.json` recorded), then parses it as `shape`'s matrices. Errors name the file.
pub fn read_checked(
    path: &Path,
    sha256: &str,
    shape: ChunkShape,
) -> Result<ChunkMatrices, ProvingKeysError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    if hex::encode(Sha256::digest(&bytes)) != sha256 {
        return Err(invalid(path, "damaged: its SHA-256 differs from keys.json"));
    }
    ChunkMatrices::from_file_bytes(&bytes, shape).map_err(|problem| invalid(path, problem))
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).expect("the chunk circuit has fewer than 2^32 variables and terms")
}

/// A cursor over the file's bytes whose every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.left() {
            return Err(format!(
                "truncated: ends at byte {} in {what}",
                self.bytes.len()
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        let n = u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes"));
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= u32::MAX as usize)
            .ok_or_else(|| format!("{what} {n} is out of range"))
    }
}
