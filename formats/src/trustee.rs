//! The escrow's small files (docs/ESCROW.md §3 and §7): a trustee's key file, the public key
//! file a trustee hands to the dealer, and the share file a trustee's `open` writes.
//!
//! ```json
//! {"version":1,"kind":"zkbackup-trustee-key","privateKey":"<64 hex>","publicKey":["x","y"]}
//! {"version":1,"kind":"zkbackup-trustee-public-key","publicKey":["x","y"]}
//! {"version":1,"kind":"zkbackup-escrow-share","keyCommitment":"0x…","escrowDigest":"0x…","index":1,"share":["y0","y1"]}
//! ```
//!
//! The trustee key file and the share file are secrets: written once, owner-only (0600), never
//! overwritten ([`write_new_file`]). Readers refuse a file over [`MAX_TRUSTEE_FILE_LEN`] bytes
//! before reading it, unknown fields, a wrong `version` or `kind`, non-canonical values
//! (decimals: digits only, no leading zeros, `< r`; `keyCommitment`/`escrowDigest`: `0x` + 64
//! hex digits, `< r`), a public key that is not a valid Baby Jubjub public key (on the curve,
//! in the prime-order subgroup, not the identity), and, for the trustee key file, a
//! `publicKey` that is not the one derived from `privateKey`. Every error names the file.

use crate::fs::write_new_file;
use crate::key_file::{parse_canonical_decimal, wipe_json};
use ark_bn254::Fr;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};
use zkbackup_core::babyjubjub::{checked_point, Point, PointError};
use zkbackup_core::field::{to_decimal, to_hex};
use zkbackup_core::trustee_key::{TrusteeSecret, PRIVATE_KEY_LEN};

/// The version of the three files this code writes and reads.
pub const TRUSTEE_FILE_VERSION: u64 = 1;

/// The largest trustee key, public key or share file read (each is one line of under 400
/// bytes; the margin allows for an editor's whitespace).
pub const MAX_TRUSTEE_FILE_LEN: u64 = 4096;

/// The highest share index a share file may carry (the registry stores `n` in a byte).
pub const MAX_SHARE_INDEX: u64 = 255;

/// Which of the three files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrusteeFileKind {
    /// A trustee's key pair (secret).
    TrusteeKey,
    /// A trustee's public key.
    TrusteePublicKey,
    /// A trustee's opened share (secret).
    Share,
}

impl TrusteeFileKind {
    /// The file's `kind` field.
    pub fn kind(self) -> &'static str {
        match self {
            Self::TrusteeKey => "zkbackup-trustee-key",
            Self::TrusteePublicKey => "zkbackup-trustee-public-key",
            Self::Share => "zkbackup-escrow-share",
        }
    }

    /// What the file is called in errors.
    pub fn noun(self) -> &'static str {
        match self {
            Self::TrusteeKey => "trustee key file",
            Self::TrusteePublicKey => "trustee public key file",
            Self::Share => "escrow share file",
        }
    }

    fn from_kind(kind: &str) -> Option<Self> {
        [Self::TrusteeKey, Self::TrusteePublicKey, Self::Share]
            .into_iter()
            .find(|k| k.kind() == kind)
    }
}

impl fmt::Display for TrusteeFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// Errors of the trustee and share files, each naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TrusteeFileError {
    /// Reading or writing failed.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output exists; these files are never overwritten.
    #[error("{path}: already exists; refusing to overwrite it")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Larger than any such file: refused before it is read into memory.
    #[error(
        "{path}: {len} bytes, too large for a {expected} (at most {MAX_TRUSTEE_FILE_LEN} bytes)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: String,
        /// Its length, or the bytes read before giving up.
        len: u64,
    },
    /// The content is not UTF-8 text.
    #[error("{path}: not a valid zkbackup {expected}: not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: String,
        /// Where the text stops being UTF-8.
        source: std::str::Utf8Error,
    },
    /// The content is not JSON.
    #[error("{path}: not a valid zkbackup {expected}: not JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: String,
        /// The parser's error (a position, never the content).
        source: serde_json::Error,
    },
    /// The `kind` is not the one expected (another zkbackup file, or none).
    #[error("{path}: not {}: {found}", with_article(.expected))]
    Kind {
        /// The file.
        path: PathBuf,
        /// What was expected.
        expected: String,
        /// What the file says it is.
        found: String,
    },
    /// The version is not one this build reads.
    #[error("{path}: unsupported {kind} version {found} (this build reads version {TRUSTEE_FILE_VERSION})")]
    Version {
        /// The file.
        path: PathBuf,
        /// The file's kind.
        kind: TrusteeFileKind,
        /// The version found.
        found: u64,
    },
    /// The content is JSON but a field is missing, unknown or malformed.
    #[error("{path}: not a valid zkbackup {kind}: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The file's kind.
        kind: TrusteeFileKind,
        /// What is wrong (never quotes a secret).
        problem: String,
    },
    /// `publicKey` is not a valid Baby Jubjub public key.
    #[error("{path}: publicKey is not a valid trustee public key")]
    BadPublicKey {
        /// The file.
        path: PathBuf,
        /// What is wrong with the point.
        source: PointError,
    },
    /// `publicKey` is not the public key of `privateKey`.
    #[error(
        "{path}: publicKey is not the public key derived from privateKey; the file is damaged"
    )]
    PublicKeyMismatch {
        /// The file.
        path: PathBuf,
    },
}

impl TrusteeFileError {
    fn exists_or_io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Self::Exists {
                path: path.to_path_buf(),
            }
        } else {
            Self::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// "a trustee key file", "an escrow share file".
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// Reads at most [`MAX_TRUSTEE_FILE_LEN`] bytes of `path` into a buffer wiped on drop (never
/// reallocated, so no unwiped copy is left), refusing a larger file without reading it whole.
fn read_small(path: &Path, expected: &str) -> Result<Zeroizing<Vec<u8>>, TrusteeFileError> {
    let io = |source| TrusteeFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |len| TrusteeFileError::TooLarge {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        len,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_TRUSTEE_FILE_LEN {
        return Err(too_large(len));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_TRUSTEE_FILE_LEN as usize + 1));
    file.take(MAX_TRUSTEE_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_TRUSTEE_FILE_LEN {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Parses `bytes` as a JSON value wiped on drop.
fn parse_json(bytes: &[u8], path: &Path, expected: &str) -> Result<WipedJson, TrusteeFileError> {
    let text = std::str::from_utf8(bytes).map_err(|source| TrusteeFileError::NotUtf8 {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        source,
    })?;
    serde_json::from_str(text)
        .map(WipedJson)
        .map_err(|source| TrusteeFileError::Json {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            source,
        })
}

/// A parsed JSON value whose strings are overwritten on drop (best effort, as the key file).
struct WipedJson(serde_json::Value);

impl Drop for WipedJson {
    fn drop(&mut self) {
        wipe_json(&mut self.0);
    }
}

/// The `kind` of a parsed file, as one of the three, or the error naming what it is instead.
fn kind_of(
    value: &serde_json::Value,
    path: &Path,
    expected: &str,
) -> Result<TrusteeFileKind, TrusteeFileError> {
    let wrong = |found: String| TrusteeFileError::Kind {
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found,
    };
    let Some(obj) = value.as_object() else {
        return Err(wrong("not a JSON object".into()));
    };
    match obj.get("kind") {
        None if obj.contains_key("key") && obj.contains_key("commitment") => Err(wrong(
            "it looks like a backup key file (from `zkbackup keygen`), which has no \"kind\""
                .into(),
        )),
        None => Err(wrong("no \"kind\" field".into())),
        Some(serde_json::Value::String(s)) => match TrusteeFileKind::from_kind(s) {
            Some(k) => Ok(k),
            None if s.len() <= 40 && s.bytes().all(|b| b.is_ascii_graphic()) => {
                Err(wrong(format!("its kind is {s:?}")))
            }
            None => Err(wrong("its kind is not one zkbackup knows".into())),
        },
        Some(_) => Err(wrong("\"kind\" is not a string".into())),
    }
}

/// Field-by-field checks of one parsed file, with errors naming the file.
struct Fields<'a> {
    obj: &'a serde_json::Map<String, serde_json::Value>,
    path: &'a Path,
    kind: TrusteeFileKind,
}

impl<'a> Fields<'a> {
    /// Checks the object's fields are exactly `allowed` and its version is ours (its kind
    /// was checked by [`kind_of`]).
    fn new(
        value: &'a serde_json::Value,
        path: &'a Path,
        kind: TrusteeFileKind,
        allowed: &[&str],
    ) -> Result<Self, TrusteeFileError> {
        let obj = value.as_object().expect("kind_of checked it is an object");
        let fields = Self { obj, path, kind };
        for name in obj.keys() {
            if !allowed.contains(&name.as_str()) {
                // Field names are short and never secret; quote at most 40 characters.
                let shown: String = name.chars().take(40).collect();
                return Err(fields.invalid(format!("unknown field {shown:?}")));
            }
        }
        let version = fields
            .get("version")?
            .as_u64()
            .ok_or_else(|| fields.invalid("\"version\" must be a non-negative integer"))?;
        if version != TRUSTEE_FILE_VERSION {
            return Err(TrusteeFileError::Version {
                path: path.to_path_buf(),
                kind,
                found: version,
            });
        }
        for name in allowed {
            fields.get(name)?;
        }
        Ok(fields)
    }

    fn invalid(&self, problem: impl Into<String>) -> TrusteeFileError {
        TrusteeFileError::Invalid {
            path: self.path.to_path_buf(),
            kind: self.kind,
            problem: problem.into(),
        }
    }

    fn get(&self, name: &str) -> Result<&'a serde_json::Value, TrusteeFileError> {
        self.obj
            .get(name)
            .ok_or_else(|| self.invalid(format!("missing field {name:?}")))
    }

    /// A field that is an array of `N` canonical decimal strings.
    fn decimals<const N: usize>(&self, name: &str) -> Result<[Fr; N], TrusteeFileError> {
        let items = self
            .get(name)?
            .as_array()
            .filter(|a| a.len() == N)
            .ok_or_else(|| {
                self.invalid(format!("{name:?} must be an array of {N} decimal strings"))
            })?;
        let mut out = [Fr::from(0u64); N];
        for (i, (slot, item)) in out.iter_mut().zip(items).enumerate() {
            let s = item
                .as_str()
                .ok_or_else(|| self.invalid(format!("{name}[{i}] must be a decimal string")))?;
            *slot = parse_canonical_decimal(s)
                .map_err(|problem| self.invalid(format!("{name}[{i}]: {problem}")))?;
        }
        Ok(out)
    }

    /// `publicKey`: two canonical decimals forming a valid public key.
    fn public_key(&self) -> Result<Point, TrusteeFileError> {
        let [x, y] = self.decimals::<2>("publicKey")?;
        checked_point(x, y).map_err(|source| TrusteeFileError::BadPublicKey {
            path: self.path.to_path_buf(),
            source,
        })
    }

    /// A `0x` + 64 hex digits field element (either case), `< r`.
    fn hex_element(&self, name: &str) -> Result<Fr, TrusteeFileError> {
        let s = self
            .get(name)?
            .as_str()
            .ok_or_else(|| self.invalid(format!("{name:?} must be a 0x-hex string")))?;
        parse_hex64(s).map_err(|problem| self.invalid(format!("{name}: {problem}")))
    }
}

/// `0x` followed by exactly 64 hex digits (either case), below the field modulus.
pub fn parse_hex64(s: &str) -> Result<Fr, &'static str> {
    let Some(digits) = s.strip_prefix("0x") else {
        return Err("expected 0x followed by 64 hex digits");
    };
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected 0x followed by 64 hex digits");
    }
    zkbackup_core::field::parse(s).map_err(|_| "not below the BN254 scalar field modulus")
}

/// 64 hex digits (either case, no prefix) as 32 bytes.
fn parse_private_key(s: &str) -> Result<[u8; PRIVATE_KEY_LEN], &'static str> {
    let bytes = s.as_bytes();
    if bytes.len() != 2 * PRIVATE_KEY_LEN || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return Err("must be exactly 64 hex digits (no 0x)");
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    let mut out = [0u8; PRIVATE_KEY_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
    }
    Ok(out)
}

fn point_json(p: &Point) -> String {
    format!("[\"{}\",\"{}\"]", to_decimal(&p.x), to_decimal(&p.y))
}

// --- the trustee key file ----------------------------------------------------------------

/// The trustee key file's JSON text (one line, with a trailing newline; a secret).
pub fn trustee_key_json(secret: &TrusteeSecret) -> Zeroizing<String> {
    let mut hex = Zeroizing::new(String::with_capacity(2 * PRIVATE_KEY_LEN));
    for b in secret.as_bytes() {
        hex.push_str(&format!("{b:02x}"));
    }
    Zeroizing::new(format!(
        "{{\"version\":{TRUSTEE_FILE_VERSION},\"kind\":\"{}\",\"privateKey\":\"{}\",\"publicKey\":{}}}\n",
        TrusteeFileKind::TrusteeKey.kind(),
        hex.as_str(),
        point_json(&secret.public_key()),
    ))
}

/// Parses a trustee key file's text; `path` only names the file in errors.
pub fn parse_trustee_key(text: &str, path: &Path) -> Result<TrusteeSecret, TrusteeFileError> {
    let expected = TrusteeFileKind::TrusteeKey.noun();
    let value = parse_json(text.as_bytes(), path, expected)?;
    match kind_of(&value.0, path, expected)? {
        TrusteeFileKind::TrusteeKey => trustee_key_from_value(&value.0, path),
        TrusteeFileKind::TrusteePublicKey => Err(TrusteeFileError::Kind {
            path: path.to_path_buf(),
            expected: expected.into(),
            found: "it is a trustee public key file (it has no private key)".into(),
        }),
        other => Err(TrusteeFileError::Kind {
            path: path.to_path_buf(),
            expected: expected.into(),
            found: format!("it is an {other}"),
        }),
    }
}

fn trustee_key_from_value(
    value: &serde_json::Value,
    path: &Path,
) -> Result<TrusteeSecret, TrusteeFileError> {
    let f = Fields::new(
        value,
        path,
        TrusteeFileKind::TrusteeKey,
        &["version", "kind", "privateKey", "publicKey"],
    )?;
    let private = f
        .get("privateKey")?
        .as_str()
        .ok_or_else(|| f.invalid("\"privateKey\" must be a string of 64 hex digits"))?;
    let mut bytes = parse_private_key(private).map_err(|p| f.invalid(format!("privateKey {p}")))?;
    let secret = TrusteeSecret::from_bytes(bytes);
    bytes.zeroize();
    let public = f.public_key()?;
    if secret.public_key() != public {
        return Err(TrusteeFileError::PublicKeyMismatch {
            path: path.to_path_buf(),
        });
    }
    Ok(secret)
}

/// Reads and checks a trustee key file.
pub fn read_trustee_key(path: &Path) -> Result<TrusteeSecret, TrusteeFileError> {
    let bytes = read_small(path, TrusteeFileKind::TrusteeKey.noun())?;
    let text = std::str::from_utf8(&bytes).map_err(|source| TrusteeFileError::NotUtf8 {
        path: path.to_path_buf(),
        expected: TrusteeFileKind::TrusteeKey.noun().into(),
        source,
    })?;
    parse_trustee_key(text, path)
}

/// Writes a new trustee key file (mode 0600, atomic); refuses an existing `path`.
pub fn write_trustee_key(path: &Path, secret: &TrusteeSecret) -> Result<(), TrusteeFileError> {
    let json = trustee_key_json(secret);
    write_new_file(path, |w| w.write_all(json.as_bytes()))
        .map_err(|e| TrusteeFileError::exists_or_io(path, e))
}

// --- the public key file -----------------------------------------------------------------

/// The trustee public key file's JSON text (one line, with a trailing newline).
pub fn public_key_json(public: &Point) -> String {
    format!(
        "{{\"version\":{TRUSTEE_FILE_VERSION},\"kind\":\"{}\",\"publicKey\":{}}}\n",
        TrusteeFileKind::TrusteePublicKey.kind(),
        point_json(public),
    )
}

/// Parses a trustee public key file's text; `path` only names the file in errors.
pub fn parse_public_key(text: &str, path: &Path) -> Result<Point, TrusteeFileError> {
    let expected = TrusteeFileKind::TrusteePublicKey.noun();
    let value = parse_json(text.as_bytes(), path, expected)?;
    match kind_of(&value.0, path, expected)? {
        TrusteeFileKind::TrusteePublicKey => public_key_from_value(&value.0, path),
        other => Err(TrusteeFileError::Kind {
            path: path.to_path_buf(),
            expected: expected.into(),
            found: format!("it is a {other}"),
        }),
    }
}

fn public_key_from_value(
    value: &serde_json::Value,
    path: &Path,
) -> Result<Point, TrusteeFileError> {
    Fields::new(
        value,
        path,
        TrusteeFileKind::TrusteePublicKey,
        &["version", "kind", "publicKey"],
    )?
    .public_key()
}

/// Reads a trustee's public key from a public key file or, if `path` is a trustee key file,
/// from that (fully checked, the public key derived from the private one; the secret is
/// dropped at once). Returns the key and which kind of file it came from.
pub fn read_any_public_key(path: &Path) -> Result<(Point, TrusteeFileKind), TrusteeFileError> {
    let expected = "trustee public key file or trustee key file";
    let bytes = read_small(path, expected)?;
    let value = parse_json(&bytes, path, expected)?;
    match kind_of(&value.0, path, expected)? {
        TrusteeFileKind::TrusteePublicKey => Ok((
            public_key_from_value(&value.0, path)?,
            TrusteeFileKind::TrusteePublicKey,
        )),
        TrusteeFileKind::TrusteeKey => Ok((
            trustee_key_from_value(&value.0, path)?.public_key(),
            TrusteeFileKind::TrusteeKey,
        )),
        TrusteeFileKind::Share => Err(TrusteeFileError::Kind {
            path: path.to_path_buf(),
            expected: expected.into(),
            found: "it is an escrow share file".into(),
        }),
    }
}

/// Reads a trustee public key file (only that kind).
pub fn read_public_key(path: &Path) -> Result<Point, TrusteeFileError> {
    let expected = TrusteeFileKind::TrusteePublicKey.noun();
    let bytes = read_small(path, expected)?;
    let text = std::str::from_utf8(&bytes).map_err(|source| TrusteeFileError::NotUtf8 {
        path: path.to_path_buf(),
        expected: expected.into(),
        source,
    })?;
    parse_public_key(text, path)
}

/// Writes a new trustee public key file (atomic, plain permissions); refuses an existing
/// `path`.
pub fn write_public_key(path: &Path, public: &Point) -> Result<(), TrusteeFileError> {
    if path.symlink_metadata().is_ok() {
        return Err(TrusteeFileError::Exists {
            path: path.to_path_buf(),
        });
    }
    let json = public_key_json(public);
    crate::fs::write_atomic(path, |w| w.write_all(json.as_bytes())).map_err(|source| {
        TrusteeFileError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

// --- the share file ----------------------------------------------------------------------

/// A trustee's opened share (share.json v1): the share `[f_0(i), f_1(i)]` and the escrow it
/// belongs to. The share is overwritten with zeros on drop; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareFile {
    /// `K` of the escrow the share was opened from.
    pub key_commitment: Fr,
    /// The escrow's digest.
    pub escrow_digest: Fr,
    /// The trustee's index `i` (its x-coordinate), `1 ..=` [`MAX_SHARE_INDEX`].
    pub index: u64,
    /// `[f_0(i), f_1(i)]` (secret).
    pub share: [Fr; 2],
}

impl Drop for ShareFile {
    fn drop(&mut self) {
        self.share.zeroize();
    }
}

impl fmt::Debug for ShareFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareFile")
            .field("key_commitment", &to_hex(&self.key_commitment))
            .field("escrow_digest", &to_hex(&self.escrow_digest))
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ShareFile {
    /// The share file's JSON text (one line, with a trailing newline; a secret).
    pub fn to_json(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{{\"version\":{TRUSTEE_FILE_VERSION},\"kind\":\"{}\",\"keyCommitment\":\"{}\",\"escrowDigest\":\"{}\",\"index\":{},\"share\":[\"{}\",\"{}\"]}}\n",
            TrusteeFileKind::Share.kind(),
            to_hex(&self.key_commitment),
            to_hex(&self.escrow_digest),
            self.index,
            Zeroizing::new(to_decimal(&self.share[0])).as_str(),
            Zeroizing::new(to_decimal(&self.share[1])).as_str(),
        ))
    }

    /// Parses a share file's text; `path` only names the file in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, TrusteeFileError> {
        let expected = TrusteeFileKind::Share.noun();
        let value = parse_json(text.as_bytes(), path, expected)?;
        let kind = kind_of(&value.0, path, expected)?;
        if kind != TrusteeFileKind::Share {
            return Err(TrusteeFileError::Kind {
                path: path.to_path_buf(),
                expected: expected.into(),
                found: format!("it is a {kind}"),
            });
        }
        let f = Fields::new(
            &value.0,
            path,
            kind,
            &[
                "version",
                "kind",
                "keyCommitment",
                "escrowDigest",
                "index",
                "share",
            ],
        )?;
        let key_commitment = f.hex_element("keyCommitment")?;
        let escrow_digest = f.hex_element("escrowDigest")?;
        let index = f
            .get("index")?
            .as_u64()
            .filter(|i| (1..=MAX_SHARE_INDEX).contains(i))
            .ok_or_else(|| {
                f.invalid(format!(
                    "\"index\" must be an integer in 1..={MAX_SHARE_INDEX}"
                ))
            })?;
        let share = f.decimals::<2>("share")?;
        Ok(Self {
            key_commitment,
            escrow_digest,
            index,
            share,
        })
    }

    /// Reads and checks a share file.
    pub fn read(path: &Path) -> Result<Self, TrusteeFileError> {
        let expected = TrusteeFileKind::Share.noun();
        let bytes = read_small(path, expected)?;
        let text = std::str::from_utf8(&bytes).map_err(|source| TrusteeFileError::NotUtf8 {
            path: path.to_path_buf(),
            expected: expected.into(),
            source,
        })?;
        Self::from_json(text, path)
    }

    /// Writes a new share file (mode 0600, atomic); refuses an existing `path`.
    pub fn write_new(&self, path: &Path) -> Result<(), TrusteeFileError> {
        let json = self.to_json();
        write_new_file(path, |w| w.write_all(json.as_bytes()))
            .map_err(|e| TrusteeFileError::exists_or_io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use rand::{rngs::StdRng, SeedableRng};
    use zkbackup_core::babyjubjub::base8;

    fn secret(seed: u64) -> TrusteeSecret {
        TrusteeSecret::generate_with(&mut StdRng::seed_from_u64(seed))
    }

    fn share() -> ShareFile {
        ShareFile {
            key_commitment: Fr::from(7u64),
            escrow_digest: Fr::from(8u64),
            index: 2,
            share: [Fr::from(11u64), Fr::from(12u64)],
        }
    }

    fn modulus() -> String {
        BigUint::from(<Fr as ark_ff::PrimeField>::MODULUS).to_string()
    }

    /// The worked example's trustee 1 (docs/ESCROW.md §11, tests/js fixtures) reads back.
    #[test]
    fn the_fixture_trustee_key_reads() {
        let text = include_str!("../../tests/js/test/fixtures/trustee-1.key.json");
        let s = parse_trustee_key(text, Path::new("t1.json")).unwrap();
        assert_eq!(
            to_decimal(&s.public_key().x),
            "1120771572304984668855649788542860110303223894298952018121329196339919157573"
        );
        assert_eq!(
            trustee_key_json(&s).as_str(),
            text.trim_end().to_string() + "\n"
        );
    }

    #[test]
    fn round_trips_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = secret(1);
        let key_path = dir.path().join("t.json");
        write_trustee_key(&key_path, &s).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(read_trustee_key(&key_path).unwrap(), s);
        let err = write_trustee_key(&key_path, &secret(2)).unwrap_err();
        assert!(matches!(err, TrusteeFileError::Exists { .. }), "{err}");
        assert_eq!(read_trustee_key(&key_path).unwrap(), s, "not overwritten");

        let pub_path = dir.path().join("t.pub.json");
        write_public_key(&pub_path, &s.public_key()).unwrap();
        assert_eq!(read_public_key(&pub_path).unwrap(), s.public_key());
        assert!(matches!(
            write_public_key(&pub_path, &secret(3).public_key()),
            Err(TrusteeFileError::Exists { .. })
        ));
        assert_eq!(
            read_any_public_key(&pub_path).unwrap(),
            (s.public_key(), TrusteeFileKind::TrusteePublicKey)
        );
        assert_eq!(
            read_any_public_key(&key_path).unwrap(),
            (s.public_key(), TrusteeFileKind::TrusteeKey)
        );

        let sh = share();
        let share_path = dir.path().join("share.json");
        sh.write_new(&share_path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&share_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(ShareFile::read(&share_path).unwrap(), sh);
        let other = ShareFile {
            index: 3,
            ..share()
        };
        assert!(matches!(
            other.write_new(&share_path),
            Err(TrusteeFileError::Exists { .. })
        ));
        assert_eq!(ShareFile::read(&share_path).unwrap(), sh);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no temporary files left"
        );
        assert!(!format!("{sh:?}").contains("11"), "{sh:?}");
    }

    /// Each field broken in turn: refused, naming the file and the problem.
    #[test]
    fn malformed_trustee_key_files_are_refused() {
        let s = secret(4);
        let good: serde_json::Value = serde_json::from_str(&trustee_key_json(&s)).unwrap();
        let p = Path::new("/some/t.json");
        let other = secret(5).public_key();
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            f(&mut v);
            v
        };
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                serde_json::json!([1]),
                "not a trustee key file: not a JSON object",
            ),
            (
                edit(&|v| v["version"] = 2.into()),
                "unsupported trustee key file version 2",
            ),
            (
                edit(&|v| v["version"] = "1".into()),
                "\"version\" must be a non-negative integer",
            ),
            (
                edit(&|v| v["kind"] = "zkbackup-other".into()),
                "its kind is \"zkbackup-other\"",
            ),
            (
                edit(&|v| v["kind"] = "zkbackup-trustee-public-key".into()),
                "it is a trustee public key file",
            ),
            (
                edit(&|v| v["kind"] = "zkbackup-escrow-share".into()),
                "it is an escrow share file",
            ),
            (
                edit(&|v| {
                    v.as_object_mut().unwrap().remove("kind");
                }),
                "no \"kind\" field",
            ),
            (edit(&|v| v["extra"] = 1.into()), "unknown field \"extra\""),
            (
                edit(&|v| {
                    v.as_object_mut().unwrap().remove("privateKey");
                }),
                "missing field \"privateKey\"",
            ),
            (
                edit(&|v| v["privateKey"] = "00ff".into()),
                "privateKey must be exactly 64 hex digits",
            ),
            (
                edit(&|v| v["privateKey"] = format!("0x{}", "0".repeat(62)).into()),
                "privateKey must be exactly 64 hex digits",
            ),
            (
                edit(&|v| v["privateKey"] = "g".repeat(64).into()),
                "privateKey must be exactly 64",
            ),
            (
                edit(&|v| v["privateKey"] = 5.into()),
                "\"privateKey\" must be a string",
            ),
            (
                edit(&|v| v["publicKey"] = serde_json::json!(["1"])),
                "array of 2 decimal strings",
            ),
            (
                edit(&|v| v["publicKey"][0] = modulus().into()),
                "publicKey[0]: not below",
            ),
            (
                edit(&|v| v["publicKey"][1] = "01".into()),
                "publicKey[1]: leading zeros",
            ),
            (
                edit(&|v| v["publicKey"][1] = 1.into()),
                "publicKey[1] must be a decimal string",
            ),
            (
                edit(&|v| v["publicKey"] = serde_json::json!(["1", "2"])),
                "publicKey is not a valid trustee public key",
            ),
            (
                edit(&|v| {
                    v["publicKey"] = serde_json::json!([to_decimal(&other.x), to_decimal(&other.y)])
                }),
                "not the public key derived from privateKey",
            ),
        ];
        for (v, want) in cases {
            let err = parse_trustee_key(&v.to_string(), p)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("/some/t.json: "), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
        let err = parse_trustee_key("{", p).unwrap_err();
        assert!(matches!(err, TrusteeFileError::Json { .. }), "{err:?}");
        let backup_key = r#"{"version":1,"key":["1","2"],"commitment":"0x00"}"#;
        let err = parse_trustee_key(backup_key, p).unwrap_err().to_string();
        assert!(err.contains("looks like a backup key file"), "{err}");
    }

    /// Low-order and non-subgroup public keys, and the identity, are refused by every reader.
    #[test]
    fn invalid_points_are_refused() {
        use zkbackup_core::babyjubjub::PointError;
        let r_minus_1 = (BigUint::from(<Fr as ark_ff::PrimeField>::MODULUS) - 1u32).to_string();
        let b8 = base8();
        // Base8 + (0, r − 1): on the curve, not in the subgroup.
        let mixed: Point = (b8 + Point::new_unchecked(Fr::from(0u64), -Fr::from(1u64))).into();
        let cases: Vec<([String; 2], PointError)> = vec![
            (["0".into(), "1".into()], PointError::Identity),
            (["0".into(), r_minus_1], PointError::NotInSubgroup),
            (
                [to_decimal(&mixed.x), to_decimal(&mixed.y)],
                PointError::NotInSubgroup,
            ),
            (["5".into(), "7".into()], PointError::NotOnCurve),
        ];
        let p = Path::new("pub.json");
        for ([x, y], want) in cases {
            let text = format!(
                "{{\"version\":1,\"kind\":\"zkbackup-trustee-public-key\",\"publicKey\":[\"{x}\",\"{y}\"]}}"
            );
            match parse_public_key(&text, p) {
                Err(TrusteeFileError::BadPublicKey { source, .. }) => assert_eq!(source, want),
                other => panic!("{x},{y}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_public_key_files_are_refused() {
        let good: serde_json::Value =
            serde_json::from_str(&public_key_json(&secret(6).public_key())).unwrap();
        let p = Path::new("/x/pub.json");
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            f(&mut v);
            v
        };
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                edit(&|v| v["privateKey"] = "00".into()),
                "unknown field \"privateKey\"",
            ),
            (
                edit(&|v| v["kind"] = "zkbackup-trustee-key".into()),
                "it is a trustee key file",
            ),
            (
                edit(&|v| v["version"] = 0.into()),
                "unsupported trustee public key file version 0",
            ),
            (
                edit(&|v| {
                    v.as_object_mut().unwrap().remove("publicKey");
                }),
                "missing field \"publicKey\"",
            ),
        ];
        for (v, want) in cases {
            let err = parse_public_key(&v.to_string(), p).unwrap_err().to_string();
            assert!(err.starts_with("/x/pub.json: "), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }

    #[test]
    fn malformed_share_files_are_refused() {
        let good: serde_json::Value = serde_json::from_str(&share().to_json()).unwrap();
        let p = Path::new("/s/share.json");
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            f(&mut v);
            v
        };
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                edit(&|v| v["version"] = 9.into()),
                "unsupported escrow share file version 9",
            ),
            (
                edit(&|v| v["kind"] = "zkbackup-trustee-key".into()),
                "it is a trustee key file",
            ),
            (edit(&|v| v["x"] = 1.into()), "unknown field \"x\""),
            (
                edit(&|v| v["keyCommitment"] = "0x07".into()),
                "keyCommitment: expected 0x followed by 64",
            ),
            (
                edit(&|v| v["keyCommitment"] = format!("0x{}", "f".repeat(64)).into()),
                "keyCommitment: not below",
            ),
            (
                edit(&|v| v["escrowDigest"] = "8".into()),
                "escrowDigest: expected 0x",
            ),
            (
                edit(&|v| v["escrowDigest"] = 8.into()),
                "\"escrowDigest\" must be a 0x-hex string",
            ),
            (
                edit(&|v| v["index"] = 0.into()),
                "\"index\" must be an integer in 1..=255",
            ),
            (
                edit(&|v| v["index"] = 256.into()),
                "\"index\" must be an integer in 1..=255",
            ),
            (
                edit(&|v| v["index"] = "1".into()),
                "\"index\" must be an integer",
            ),
            (
                edit(&|v| v["share"][0] = modulus().into()),
                "share[0]: not below",
            ),
            (
                edit(&|v| v["share"][1] = "-1".into()),
                "share[1]: expected a decimal",
            ),
            (
                edit(&|v| v["share"] = serde_json::json!(["1", "2", "3"])),
                "array of 2 decimal",
            ),
        ];
        for (v, want) in cases {
            let err = ShareFile::from_json(&v.to_string(), p)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("/s/share.json: "), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
        // Upper-case hex is accepted, as the key file's commitment.
        let upper = edit(&|v| {
            v["keyCommitment"] =
                format!("0x{}", to_hex(&Fr::from(255u64))[2..].to_uppercase()).into()
        });
        assert_eq!(
            ShareFile::from_json(&upper.to_string(), p)
                .unwrap()
                .key_commitment,
            Fr::from(255u64)
        );
    }

    #[test]
    fn oversized_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; MAX_TRUSTEE_FILE_LEN as usize + 1]).unwrap();
        assert!(matches!(
            read_trustee_key(&big),
            Err(TrusteeFileError::TooLarge { .. })
        ));
        assert!(matches!(
            ShareFile::read(&big),
            Err(TrusteeFileError::TooLarge { .. })
        ));
        assert!(matches!(
            read_any_public_key(&big),
            Err(TrusteeFileError::TooLarge { .. })
        ));
        let missing = dir.path().join("missing.json");
        let err = read_public_key(&missing).unwrap_err();
        assert!(matches!(err, TrusteeFileError::Io { .. }), "{err:?}");
        assert!(err.to_string().ends_with("missing.json"), "{err}");
    }
}
