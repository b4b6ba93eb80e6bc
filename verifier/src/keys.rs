//! Verifying keys on disk: arkworks' canonical compressed serialization of
//! `VerifyingKey<Bn254>`, nothing else in the file. Reading validates every point (on the
//! curve, in the prime-order subgroup) and refuses trailing bytes, so a key file has exactly
//! one form and its [`circuit_id`](crate::circuit_id) is well defined.

use crate::groth16::VerifyingKey;
use ark_bn254::Bn254;
use ark_ec::AffineRepr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use std::path::{Path, PathBuf};
#[cfg(feature = "files")]
use zkbackup_formats::fs::write_atomic;

/// Why a verifying key cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file cannot be read.
    #[error("cannot read verifying key {}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file cannot be written.
    #[error("cannot write verifying key {}", path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a valid compressed verifying key (truncated, a point off the curve or
    /// outside the subgroup, a non-canonical coordinate).
    #[error(
        "{} is not a valid BN254 Groth16 verifying key (arkworks compressed form)",
        path.display()
    )]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// arkworks' reason.
        source: SerializationError,
    },
    /// The key's count of `gamma_abc_g1` points needs more bytes than the file has: refused
    /// before anything is allocated for them.
    #[error(
        "{} declares {declared} gamma_abc_g1 points, {needed} bytes of key, but has {actual} bytes",
        path.display()
    )]
    Length {
        /// The key file.
        path: PathBuf,
        /// The count in the file.
        declared: u64,
        /// The bytes a key with that many points takes.
        needed: u128,
        /// The file's length.
        actual: usize,
    },
    /// The bytes read as a key but are not that key's one encoding: arkworks reads a point
    /// flagged as infinity whatever its coordinate bytes hold, so without this check one key
    /// would have many files (and many circuit ids).
    #[error("{} is not in canonical form (a point at infinity with coordinate bytes set)", path.display())]
    NonCanonical {
        /// The key file.
        path: PathBuf,
    },
    /// `alpha_g1`, `beta_g2`, `gamma_g2` or `delta_g2` is the point at infinity. No setup makes
    /// such a key, and with `gamma` or `delta` at infinity a proof for any public inputs
    /// verifies.
    #[error("{}: {point} is the point at infinity", path.display())]
    Degenerate {
        /// The key file.
        path: PathBuf,
        /// Which point.
        point: &'static str,
    },
    /// Bytes after a complete key.
    #[error("{} has {extra} bytes after the verifying key", path.display())]
    TrailingBytes {
        /// The key file.
        path: PathBuf,
        /// How many.
        extra: usize,
    },
}

/// The compressed serialization of `vk`.
pub fn verifying_key_to_bytes(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(vk.compressed_size());
    vk.serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    bytes
}

/// Bytes of a compressed G1 point.
const G1_LEN: usize = 32;
/// Bytes of a compressed G2 point.
const G2_LEN: usize = 64;
/// Where the `gamma_abc_g1` count sits: after `alpha_g1`, `beta_g2`, `gamma_g2`, `delta_g2`.
const COUNT_OFFSET: usize = G1_LEN + 3 * G2_LEN;

/// Parses a compressed verifying key, validating every point; `path` names the source in
/// errors. The `gamma_abc_g1` count (a little-endian u64) is checked against the bytes
/// present before the points are read.
pub fn verifying_key_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<VerifyingKey<Bn254>, KeyError> {
    if let Some(count) = bytes.get(COUNT_OFFSET..COUNT_OFFSET + 8) {
        let declared = u64::from_le_bytes(count.try_into().expect("8 bytes"));
        let needed = (COUNT_OFFSET + 8) as u128 + u128::from(declared) * G1_LEN as u128;
        if needed > bytes.len() as u128 {
            return Err(KeyError::Length {
                path: path.to_path_buf(),
                declared,
                needed,
                actual: bytes.len(),
            });
        }
    }
    let mut reader = bytes;
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(&mut reader).map_err(|source| {
        KeyError::Invalid {
            path: path.to_path_buf(),
            source,
        }
    })?;
    if !reader.is_empty() {
        return Err(KeyError::TrailingBytes {
            path: path.to_path_buf(),
            extra: reader.len(),
        });
    }
    if verifying_key_to_bytes(&vk) != bytes {
        return Err(KeyError::NonCanonical {
            path: path.to_path_buf(),
        });
    }
    let fixed = [
        ("alpha_g1", vk.alpha_g1.is_zero()),
        ("beta_g2", vk.beta_g2.is_zero()),
        ("gamma_g2", vk.gamma_g2.is_zero()),
        ("delta_g2", vk.delta_g2.is_zero()),
    ];
    if let Some(&(point, _)) = fixed.iter().find(|(_, zero)| *zero) {
        return Err(KeyError::Degenerate {
            path: path.to_path_buf(),
            point,
        });
    }
    Ok(vk)
}

/// Reads the verifying key at `path`.
#[cfg(feature = "files")]
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey<Bn254>, KeyError> {
    let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    verifying_key_from_bytes(&bytes, path)
}

/// Writes `vk` to `path` (a temporary file, then a rename).
#[cfg(feature = "files")]
pub fn write_verifying_key(path: &Path, vk: &VerifyingKey<Bn254>) -> Result<(), KeyError> {
    write_atomic(path, |w| w.write_all(&verifying_key_to_bytes(vk))).map_err(|source| {
        KeyError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}
