//! Verifying keys on disk: arkworks' canonical compressed serialization of
//! `VerifyingKey<Bn254>`, nothing else in the file. Reading validates every point (on the
//! curve, in the prime-order subgroup) and refuses trailing bytes, so a key file has exactly
//! one form and its [`circuit_id`](crate::circuit_id) is well defined.

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use std::path::{Path, PathBuf};
use zkbackup_circuits::fs::write_atomic;

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

/// Parses a compressed verifying key, validating every point; `path` names the source in
/// errors.
pub fn verifying_key_from_bytes(
    bytes: &[u8],
    path: &Path,
) -> Result<VerifyingKey<Bn254>, KeyError> {
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
    Ok(vk)
}

/// Reads the verifying key at `path`.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey<Bn254>, KeyError> {
    let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    verifying_key_from_bytes(&bytes, path)
}

/// Writes `vk` to `path` (a temporary file, then a rename).
pub fn write_verifying_key(path: &Path, vk: &VerifyingKey<Bn254>) -> Result<(), KeyError> {
    write_atomic(path, |w| w.write_all(&verifying_key_to_bytes(vk))).map_err(|source| {
        KeyError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}
