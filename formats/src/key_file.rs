//! The escrow key file.
//!
//! One JSON object, written once with owner-only permissions (0600) and never overwritten:
//! ```json
//! {"version":1,"key":["<decimal k0>","<decimal k1>"],"commitment":"0x<64 hex digits of K>"}
//! ```
//! Reading checks the size (at most [`MAX_KEY_FILE_LEN`] bytes, before reading), the
//! version, that each element is a canonical decimal (no sign, no leading zeros, below the
//! field modulus) and that the commitment matches the key (`K`, see
//! [`zkbackup_core::escrow_key`]).

use crate::fs::write_new_file;
use ark_ff::PrimeField;
use num_bigint::BigUint;
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};
use zkbackup_core::field::to_hex;
use zkbackup_core::{EscrowKey, Fr};

/// The key file version this code writes and reads.
pub const KEY_FILE_VERSION: u64 = 1;

/// The largest key file [`KeyFile::read`] reads. A key file is one line of under 200 bytes;
/// the margin allows for whitespace and line ends added by an editor.
pub const MAX_KEY_FILE_LEN: u64 = 4096;

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
    /// The content is not UTF-8 text.
    #[error("{path}: not a valid zkbackup key file: not UTF-8 text")]
    NotUtf8 {
        /// The key file.
        path: PathBuf,
        /// Where the text stops being UTF-8.
        source: std::str::Utf8Error,
    },
    /// The content is not JSON.
    #[error("{path}: not a valid zkbackup key file: not JSON")]
    Json {
        /// The key file.
        path: PathBuf,
        /// The JSON parser's error (a position, never the file's content).
        source: serde_json::Error,
    },
    /// The content is JSON but not a valid key file.
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

/// Reading and writing [`EscrowKey`] files.
pub trait KeyFile: Sized {
    /// The key file's JSON text (one line, with a trailing newline).
    fn to_json(&self) -> Zeroizing<String>;
    /// Parses a key file's JSON text; `path` only names the file in errors.
    fn from_json(text: &str, path: &Path) -> Result<Self, KeyFileError>;
    /// Reads and validates a key file. A file over [`MAX_KEY_FILE_LEN`] bytes is refused
    /// without being read whole (so a wrong path, even `/dev/zero`, costs no memory).
    fn read(path: &Path) -> Result<Self, KeyFileError>;
    /// Writes a new key file with mode 0600. Refuses an existing `path`; never leaves a
    /// partial file (written to a temporary file in the same directory, synced, then moved
    /// into place with no-clobber semantics).
    fn write_new(&self, path: &Path) -> Result<(), KeyFileError>;
}

impl KeyFile for EscrowKey {
    /// The key file's JSON text (one line, with a trailing newline).
    fn to_json(&self) -> Zeroizing<String> {
        let [k0, k1] = self.elements();
        Zeroizing::new(format!(
            "{{\"version\":{KEY_FILE_VERSION},\"key\":[\"{}\",\"{}\"],\"commitment\":\"{}\"}}\n",
            Zeroizing::new(k0.into_bigint().to_string()).as_str(),
            Zeroizing::new(k1.into_bigint().to_string()).as_str(),
            to_hex(&self.commitment()),
        ))
    }

    /// Parses a key file's JSON text; `path` only names the file in errors.
    fn from_json(text: &str, path: &Path) -> Result<Self, KeyFileError> {
        let invalid = |problem: String| KeyFileError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| KeyFileError::Json {
                path: path.to_path_buf(),
                source,
            })?;
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
            let key = EscrowKey::from_elements(key);
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
    fn read(path: &Path) -> Result<Self, KeyFileError> {
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
        let text = std::str::from_utf8(&bytes).map_err(|source| KeyFileError::NotUtf8 {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(text, path)
    }

    /// Writes a new key file with mode 0600. Refuses an existing `path`; never leaves a
    /// partial file (written to a temporary file in the same directory, synced, then moved
    /// into place with no-clobber semantics).
    fn write_new(&self, path: &Path) -> Result<(), KeyFileError> {
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
pub(crate) fn wipe_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(wipe_json),
        serde_json::Value::Object(o) => o.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// A canonical decimal: digits only, no leading zeros, below the modulus. The problem never
/// quotes the text (it is a secret).
pub(crate) fn parse_canonical_decimal(s: &str) -> Result<Fr, &'static str> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a decimal string of digits");
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err("leading zeros are not canonical");
    }
    let n = BigUint::parse_bytes(s.as_bytes(), 10).expect("decimal digits parse");
    if n >= Fr::MODULUS.into() {
        return Err("not below the BN254 scalar field modulus");
    }
    Ok(Fr::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn key(seed: u64) -> EscrowKey {
        EscrowKey::generate_with(&mut StdRng::seed_from_u64(seed))
    }

    #[test]
    fn json_round_trip_and_debug_hides_the_key() {
        let k = key(1);
        let json = k.to_json();
        assert_eq!(EscrowKey::from_json(&json, Path::new("k.json")).unwrap(), k);
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
        assert_eq!(EscrowKey::read(&path).unwrap(), k);
        let err = key(3).write_new(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { .. }), "{err}");
        assert_eq!(EscrowKey::read(&path).unwrap(), k, "the first key survives");
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
            let err = EscrowKey::from_json(&v.to_string(), p)
                .unwrap_err()
                .to_string();
            assert!(err.contains("/some/key.json"), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
        let err = EscrowKey::from_json("{", p).unwrap_err().to_string();
        assert!(err.contains("not JSON"), "{err}");
    }

    /// The parser's errors are kept as the source, named once: the message says what is
    /// wrong with which file, the source says where (the CLI prints both, joined by ": ").
    #[test]
    fn foreign_errors_are_sources_not_repeated() {
        use std::error::Error;
        let p = Path::new("/some/key.json");
        let err = EscrowKey::from_json("{", p).unwrap_err();
        assert!(matches!(err, KeyFileError::Json { .. }), "{err:?}");
        let source = err.source().expect("the JSON error").to_string();
        assert!(source.contains("line 1"), "{source}");
        assert_eq!(
            err.to_string(),
            "/some/key.json: not a valid zkbackup key file: not JSON"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.json");
        std::fs::write(&path, b"{\"version\":1,\"key\":[\"\xe9\"]}").unwrap();
        let err = EscrowKey::read(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::NotUtf8 { .. }), "{err:?}");
        assert!(err.to_string().contains("latin1.json"), "{err}");
        assert!(err.to_string().ends_with("not UTF-8 text"), "{err}");
        let source = err.source().expect("the UTF-8 error").to_string();
        assert!(!err.to_string().contains(&source), "{err}: {source}");

        let err = EscrowKey::read(&dir.path().join("missing.json")).unwrap_err();
        assert!(matches!(err, KeyFileError::Io { .. }), "{err:?}");
        assert!(err.to_string().ends_with("missing.json"), "{err}");
        assert_eq!(
            err.source()
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound)
        );
    }
}
