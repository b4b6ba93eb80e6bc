//! The escrow key: two field elements, wiped from memory on drop, its Poseidon commitment,
//! and the key file.
//!
//! # Key commitment
//! `K = Poseidon(KEY_COMMITMENT_DOMAIN, k0, k1)`: circomlib's `Poseidon(3)`, one call, where
//! [`KEY_COMMITMENT_DOMAIN`] is the ASCII string `zkbackup/key/v1` read as a big-endian
//! integer (`0x7a6b6261636b75702f6b65792f7631`). The domain tag keeps `K` distinct from a
//! LeanIMT node `Poseidon(k0, k1)` and from any other zkbackup hash of two elements. The key
//! elements are uniform field elements, so `K` hides them.
//!
//! # Key file
//! One JSON object, written once with owner-only permissions (0600) and never overwritten:
//! ```json
//! {"version":1,"key":["<decimal k0>","<decimal k1>"],"commitment":"0x<64 hex digits of K>"}
//! ```
//! Reading checks the size (at most [`MAX_KEY_FILE_LEN`] bytes, before reading), the
//! version, that each element is a canonical decimal (no sign, no leading zeros, below the
//! field modulus) and that the commitment matches the key.

use crate::backup::write_new_file;
use crate::field::to_hex;
use crate::poseidon::hash;
use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand};
use num_bigint::BigUint;
use rand::{rngs::OsRng, CryptoRng, RngCore};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The key file version this code writes and reads.
pub const KEY_FILE_VERSION: u64 = 1;

/// The largest key file [`Key::read`] reads. A key file is one line of under 200 bytes; the
/// margin allows for whitespace and line ends added by an editor.
pub const MAX_KEY_FILE_LEN: u64 = 4096;

/// `zkbackup/key/v1` as a big-endian integer: the first input of the key commitment.
pub fn key_commitment_domain() -> Fr {
    Fr::from_be_bytes_mod_order(KEY_COMMITMENT_DOMAIN)
}

/// The ASCII bytes of the key commitment's domain tag.
pub const KEY_COMMITMENT_DOMAIN: &[u8] = b"zkbackup/key/v1";

/// `K = Poseidon(domain, k0, k1)`, see the module docs.
pub fn key_commitment(k0: Fr, k1: Fr) -> Fr {
    hash(&[key_commitment_domain(), k0, k1])
}

/// The escrow key `(k0, k1)`. Its memory is overwritten with zeros on drop; `Debug` prints
/// only the commitment.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    elements: [Fr; 2],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("commitment", &to_hex(&self.commitment()))
            .finish_non_exhaustive()
    }
}

/// Errors of the key file, each naming the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("{path}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output exists; key files are never overwritten.
    #[error("{path}: already exists; refusing to overwrite a key file")]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// The content is not a valid key file.
    #[error("{path}: not a valid zkbackup key file: {problem}")]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The version is not one this build reads.
    #[error("{path}: unsupported key file version {found} (this build reads version {KEY_FILE_VERSION})")]
    Version {
        /// The key file.
        path: PathBuf,
        /// The version found.
        found: u64,
    },
    /// The file is larger than any key file (a key file is under 200 bytes): refused before
    /// it is read into memory.
    #[error(
        "{path}: {len} bytes, too large for a zkbackup key file (at most {MAX_KEY_FILE_LEN} bytes)"
    )]
    TooLarge {
        /// The key file.
        path: PathBuf,
        /// Its length, or the bytes read before giving up.
        len: u64,
    },
    /// The stored commitment is not the commitment of the stored key.
    #[error("{path}: the commitment {found} does not match the key (its commitment is {expected}); the file is damaged")]
    CommitmentMismatch {
        /// The key file.
        path: PathBuf,
        /// The commitment of the key in the file.
        expected: String,
        /// The commitment written in the file.
        found: String,
    },
}

impl Key {
    /// A key from its two elements.
    pub fn from_elements(elements: [Fr; 2]) -> Self {
        Self { elements }
    }

    /// A fresh uniformly random key from the operating system's generator.
    pub fn generate() -> Self {
        Self::generate_with(&mut OsRng)
    }

    /// A uniformly random key from `rng` (seeded generators only in tests and benches).
    pub fn generate_with<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            elements: [Fr::rand(rng), Fr::rand(rng)],
        }
    }

    /// `[k0, k1]`.
    pub fn elements(&self) -> &[Fr; 2] {
        &self.elements
    }

    /// The key commitment `K` (see the module docs).
    pub fn commitment(&self) -> Fr {
        key_commitment(self.elements[0], self.elements[1])
    }

    /// The key file's JSON text (one line, with a trailing newline).
    pub fn to_json(&self) -> Zeroizing<String> {
        let [k0, k1] = &self.elements;
        Zeroizing::new(format!(
            "{{\"version\":{KEY_FILE_VERSION},\"key\":[\"{}\",\"{}\"],\"commitment\":\"{}\"}}\n",
            Zeroizing::new(k0.into_bigint().to_string()).as_str(),
            Zeroizing::new(k1.into_bigint().to_string()).as_str(),
            to_hex(&self.commitment()),
        ))
    }

    /// Parses a key file's JSON text; `path` only names the file in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, KeyFileError> {
        let invalid = |problem: String| KeyFileError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let result = (|| {
            let obj = value
                .as_object()
                .ok_or_else(|| invalid("expected a JSON object".into()))?;
            for field in obj.keys() {
                if !["version", "key", "commitment"].contains(&field.as_str()) {
                    return Err(invalid(format!("unknown field {field:?}")));
                }
            }
            let version = obj
                .get("version")
                .ok_or_else(|| invalid("missing field \"version\"".into()))?
                .as_u64()
                .ok_or_else(|| invalid("\"version\" must be a non-negative integer".into()))?;
            if version != KEY_FILE_VERSION {
                return Err(KeyFileError::Version {
                    path: path.to_path_buf(),
                    found: version,
                });
            }
            let elements = obj
                .get("key")
                .ok_or_else(|| invalid("missing field \"key\"".into()))?
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or_else(|| invalid("\"key\" must be an array of two decimal strings".into()))?;
            let mut key = [Fr::from(0u64); 2];
            for (i, (slot, v)) in key.iter_mut().zip(elements).enumerate() {
                let s = v
                    .as_str()
                    .ok_or_else(|| invalid(format!("key[{i}] must be a decimal string")))?;
                *slot = parse_canonical_decimal(s)
                    .map_err(|problem| invalid(format!("key[{i}]: {problem}")))?;
            }
            let key = Key::from_elements(key);
            let found = obj
                .get("commitment")
                .ok_or_else(|| invalid("missing field \"commitment\"".into()))?
                .as_str()
                .ok_or_else(|| invalid("\"commitment\" must be a 0x-hex string".into()))?;
            let expected = to_hex(&key.commitment());
            if !found.eq_ignore_ascii_case(&expected) {
                return Err(KeyFileError::CommitmentMismatch {
                    path: path.to_path_buf(),
                    expected,
                    found: found.to_string(),
                });
            }
            Ok(key)
        })();
        wipe_json(&mut value);
        result
    }

    /// Reads and validates a key file. A file over [`MAX_KEY_FILE_LEN`] bytes is refused
    /// without being read whole (so a wrong path, even `/dev/zero`, costs no memory).
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        let io = |source| KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let too_large = |len| KeyFileError::TooLarge {
            path: path.to_path_buf(),
            len,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_KEY_FILE_LEN {
            return Err(too_large(len));
        }
        // The length may be 0 for a device or a pipe, or change while reading: read at most
        // one byte past the limit to tell, into a buffer that never reallocates (so no copy
        // of the key is left unwiped).
        let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_LEN as usize + 1));
        file.take(MAX_KEY_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_KEY_FILE_LEN {
            return Err(too_large(bytes.len() as u64));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| KeyFileError::Invalid {
            path: path.to_path_buf(),
            problem: "not UTF-8 text".into(),
        })?;
        Self::from_json(text, path)
    }

    /// Writes a new key file with mode 0600. Refuses an existing `path`; never leaves a
    /// partial file (written to a temporary file in the same directory, synced, then moved
    /// into place with no-clobber semantics).
    pub fn write_new(&self, path: &Path) -> Result<(), KeyFileError> {
        let json = self.to_json();
        write_new_file(path, |w| w.write_all(json.as_bytes())).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                KeyFileError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
    }
}

/// Overwrites every string in a parsed JSON value (best effort: the parser's own buffers are
/// out of reach).
fn wipe_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(wipe_json),
        serde_json::Value::Object(o) => o.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// A canonical decimal: digits only, no leading zeros, below the modulus.
fn parse_canonical_decimal(s: &str) -> Result<Fr, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a decimal string of digits".into());
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err("leading zeros are not canonical".into());
    }
    let n = BigUint::from_str(s).map_err(|e| e.to_string())?;
    if n >= Fr::MODULUS.into() {
        return Err("not below the BN254 scalar field modulus".into());
    }
    Ok(Fr::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn key(seed: u64) -> Key {
        Key::generate_with(&mut StdRng::seed_from_u64(seed))
    }

    #[test]
    fn commitment_is_one_domain_separated_poseidon() {
        let k = Key::from_elements([Fr::from(1u64), Fr::from(2u64)]);
        let domain = Fr::from(u128::from_be_bytes({
            let mut b = [0u8; 16];
            b[1..].copy_from_slice(b"zkbackup/key/v1");
            b
        }));
        assert_eq!(
            k.commitment(),
            hash(&[domain, Fr::from(1u64), Fr::from(2u64)])
        );
        assert_ne!(
            k.commitment(),
            crate::poseidon::hash2(Fr::from(1u64), Fr::from(2u64))
        );
    }

    #[test]
    fn json_round_trip_and_debug_hides_the_key() {
        let k = key(1);
        let json = k.to_json();
        assert_eq!(Key::from_json(&json, Path::new("k.json")).unwrap(), k);
        let debug = format!("{k:?}");
        assert!(!debug.contains(&k.elements()[0].into_bigint().to_string()));
        assert!(debug.contains(&to_hex(&k.commitment())));
    }

    #[test]
    fn file_is_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let k = key(2);
        k.write_new(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(Key::read(&path).unwrap(), k);
        let err = key(3).write_new(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { .. }), "{err}");
        assert_eq!(Key::read(&path).unwrap(), k, "the first key survives");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }

    #[test]
    fn invalid_files_are_refused_with_the_file_named() {
        let k = key(4);
        let good: serde_json::Value = serde_json::from_str(&k.to_json()).unwrap();
        let p = Path::new("/some/key.json");
        let modulus = BigUint::from(Fr::MODULUS).to_string();
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (serde_json::json!([1]), "expected a JSON object"),
            (
                {
                    let mut v = good.clone();
                    v["version"] = 2.into();
                    v
                },
                "unsupported key file version 2",
            ),
            (
                {
                    let mut v = good.clone();
                    v["key"][0] = modulus.clone().into();
                    v
                },
                "key[0]: not below",
            ),
            (
                {
                    let mut v = good.clone();
                    v["key"][1] = "012".into();
                    v
                },
                "key[1]: leading zeros",
            ),
            (
                {
                    let mut v = good.clone();
                    v["key"] = serde_json::json!(["1"]);
                    v
                },
                "two decimal strings",
            ),
            (
                {
                    let mut v = good.clone();
                    v["commitment"] = to_hex(&Fr::from(1u64)).into();
                    v
                },
                "does not match the key",
            ),
        ];
        for (v, want) in cases {
            let err = Key::from_json(&v.to_string(), p).unwrap_err().to_string();
            assert!(err.contains("/some/key.json"), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
        let err = Key::from_json("{", p).unwrap_err().to_string();
        assert!(err.contains("not JSON"), "{err}");
    }
}
