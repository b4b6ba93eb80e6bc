//! The escrow file (`escrow.json` v1, docs/ESCROW.md §7) and its verification.
//!
//! Reading is strict and total, like the bundle's: every value canonical (decimal strings
//! without leading zeros, `0x` + 64 hex digits), every point valid (on Baby Jubjub, in the
//! prime-order subgroup, not the identity), trustees pairwise distinct, indices `1..n` in
//! order, `nonce = index`, the digest and the public inputs **recomputed** and equal to the
//! file's, the proof's points valid, no unknown field. So an [`EscrowFile`] in memory is
//! self-consistent; [`verify_escrow`] adds what the file cannot vouch for: the caller's `K`,
//! the verifying key of the shape and the Groth16 proof.

use crate::encoding::{parse_hex, parse_hex_bytes, to_hex};
use crate::error::VerifyError;
use crate::groth16::{prepare_verifying_key, Proof, VerifyingKey};
use crate::snarkjs::{parse_proof, proof_json, VkJsonError};
use ark_bn254::{Bn254, Fr};
use serde::{Deserialize, Serialize};
#[cfg(feature = "files")]
use std::path::Path;
use std::path::PathBuf;
use zkbackup_core::babyjubjub::{checked_point, Point, PointError};
use zkbackup_core::escrow::{escrow_digest, public_inputs, Deal, EscrowError, EscrowShape};
use zkbackup_core::field::{parse, to_decimal, FieldParseError};

/// The escrow file version this crate reads and writes.
pub const ESCROW_FILE_VERSION: u32 = 1;

/// The `kind` of an escrow file.
pub const ESCROW_FILE_KIND: &str = "zkbackup-escrow";

/// The largest escrow file read (16 trustees take under 10 KiB).
pub const MAX_ESCROW_FILE_LEN: u64 = 1 << 20;

/// The longest trustee label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// One trustee: its index `i` (the Shamir x-coordinate), public key, and an optional name
/// for humans that nothing binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscrowTrustee {
    /// `i`, `1..=n`.
    pub index: u64,
    /// `P_i`, checked.
    pub public_key: Point,
    /// A name to show, bound by nothing (not in the digest, not in the proof).
    pub label: Option<String>,
}

/// A parsed, self-consistent escrow file (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct EscrowFile {
    /// `K`.
    pub key_commitment: Fr,
    /// `(k, n)`.
    pub shape: EscrowShape,
    /// The trustees in index order.
    pub trustees: Vec<EscrowTrustee>,
    /// `E = e·Base8`.
    pub ephemeral_public: Point,
    /// `ct_1 .. ct_n`, in index order (the nonce of `ct_i` is `i`).
    pub ciphertexts: Vec<[Fr; 4]>,
    /// The escrow digest (equal to the one recomputed from the file).
    pub digest: Fr,
    /// `0x` + SHA-256 of the verifying key the proof is for ([`crate::circuit_id`]).
    pub circuit_id: String,
    /// The Groth16 proof of the deal.
    pub proof: Proof<Bn254>,
}

/// Why an escrow file cannot be read or written, or is not a valid escrow file.
#[derive(Debug, thiserror::Error)]
pub enum EscrowFileError {
    /// The file cannot be read.
    #[error("cannot read escrow file {}", path.display())]
    Read {
        /// The escrow file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than any escrow file.
    #[error("{} is {len} bytes, more than an escrow file can be ({MAX_ESCROW_FILE_LEN})", path.display())]
    TooLarge {
        /// The escrow file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// The file is not a valid escrow file; the source says where and why.
    #[error("{} is not a valid escrow file", path.display())]
    Invalid {
        /// The escrow file.
        path: PathBuf,
        /// What is wrong.
        source: Box<EscrowFileError>,
    },
    /// The file cannot be written.
    #[error("cannot write escrow file {}", path.display())]
    Write {
        /// The escrow file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON, or not the escrow file's shape (missing, unknown or mistyped fields).
    #[error("not JSON of the escrow file's shape")]
    Json(#[from] serde_json::Error),
    /// A version this code does not read.
    #[error("unsupported escrow file version {found} (this verifier reads version {ESCROW_FILE_VERSION})")]
    Version {
        /// The `version` value as written.
        found: String,
    },
    /// Not an escrow file (another zkbackup file, say).
    #[error("kind is {found:?}, expected {ESCROW_FILE_KIND:?}")]
    Kind {
        /// The `kind` as written.
        found: String,
    },
    /// A field element that does not parse.
    #[error("{at}")]
    Field {
        /// The value's place, e.g. `shares[1].ciphertext[3]`.
        at: String,
        /// Why.
        source: FieldParseError,
    },
    /// A field element in another form than the one the format fixes.
    #[error("{at}: {value:?} is not in canonical form ({form})")]
    NotCanonical {
        /// The value's place.
        at: String,
        /// The value as written (cut to 80 characters).
        value: String,
        /// The required form.
        form: &'static str,
    },
    /// An array of the wrong length.
    #[error("{at}: {got} elements, expected {expected}")]
    Length {
        /// The array's place.
        at: String,
        /// The required length.
        expected: usize,
        /// The length found.
        got: usize,
    },
    /// `threshold` and the number of trustees are not a valid shape.
    #[error("threshold {threshold} of {trustees} trustees")]
    Shape {
        /// `threshold`.
        threshold: usize,
        /// `trustees.len()`.
        trustees: usize,
        /// Why not.
        source: EscrowError,
    },
    /// An index out of order.
    #[error("{at}: index {got}, expected {expected} (entries are in index order from 1)")]
    Index {
        /// The entry.
        at: String,
        /// The index it must have.
        expected: u64,
        /// The index found.
        got: u64,
    },
    /// A share's nonce is not its index.
    #[error(
        "shares[{position}].nonce is {found}, expected {expected} (the nonce of share i is i)"
    )]
    Nonce {
        /// The share's position.
        position: usize,
        /// The nonce it must have.
        expected: u64,
        /// The nonce as written.
        found: String,
    },
    /// A point that is not a valid key.
    #[error("{at}")]
    Point {
        /// The point's place.
        at: String,
        /// Why.
        source: PointError,
    },
    /// Two trustees with one key: one person would hold two shares.
    #[error("trustees {first} and {second} have the same public key")]
    DuplicateTrustee {
        /// The first index.
        first: u64,
        /// The second index.
        second: u64,
    },
    /// A label too long or with control characters.
    #[error(
        "trustees[{position}].label: at most {MAX_LABEL_CHARS} characters, no control characters"
    )]
    Label {
        /// The trustee's position.
        position: usize,
    },
    /// The digest does not match the file's threshold, trustees count, `E` and ciphertexts.
    #[error("escrowDigest is {stated}, but the file's threshold, ephemeral key and ciphertexts hash to {computed}")]
    Digest {
        /// The file's digest.
        stated: String,
        /// The recomputed one.
        computed: String,
    },
    /// `publicInputs` is not `[K, digest, P_1.x, P_1.y, …]` of the file.
    #[error("publicInputs[{position}] is not the file's {what}")]
    PublicInputs {
        /// The first differing position.
        position: usize,
        /// What belongs there.
        what: String,
    },
    /// `proof` is not a valid snarkjs Groth16 proof.
    #[error("proof")]
    Proof(#[source] VkJsonError),
    /// `circuitId` is not `0x` + 64 hex digits.
    #[error("circuitId: expected \"0x\" followed by 64 hex digits")]
    CircuitId,
}

/// Why a (well-formed) escrow file does not verify.
#[derive(Debug, thiserror::Error)]
pub enum EscrowVerifyError {
    /// The file escrows another key.
    #[error("the escrow is for key commitment {found}, not {expected}")]
    KeyCommitment {
        /// The pinned `K`.
        expected: String,
        /// The file's `K`.
        found: String,
    },
    /// The verifying key takes another number of public inputs than the file's shape.
    #[error("the verifying key takes {got} public inputs; a {threshold}-of-{trustees} escrow has {expected}")]
    VerifyingKeyShape {
        /// `k`.
        threshold: usize,
        /// `n`.
        trustees: usize,
        /// `2 + 2n`.
        expected: usize,
        /// The key's.
        got: usize,
    },
    /// The file names another verifying key.
    #[error("the escrow names circuit {found}, the verifying key is {expected}")]
    CircuitId {
        /// The key's id.
        expected: String,
        /// The file's.
        found: String,
    },
    /// The Groth16 proof does not verify (or its points are invalid).
    #[error("the escrow proof")]
    Proof(#[source] VerifyError),
}

// ---------------------------------------------------------------------------------------------
// The JSON shape.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEscrow {
    version: u32,
    kind: String,
    key_commitment: String,
    threshold: usize,
    trustees: Vec<RawTrustee>,
    ephemeral_public_key: Vec<String>,
    shares: Vec<RawShare>,
    escrow_digest: String,
    circuit_id: String,
    proof: serde_json::Value,
    public_inputs: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTrustee {
    index: u64,
    public_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawShare {
    index: u64,
    nonce: String,
    ciphertext: Vec<String>,
}

fn cut(text: &str) -> String {
    text.chars().take(80).collect()
}

/// A canonical decimal field element (no sign, no leading zeros, below `r`).
fn decimal(text: &str, at: impl Fn() -> String) -> Result<Fr, EscrowFileError> {
    let x = parse(text).map_err(|source| EscrowFileError::Field { at: at(), source })?;
    if to_decimal(&x) != text {
        return Err(EscrowFileError::NotCanonical {
            at: at(),
            value: cut(text),
            form: "decimal digits without leading zeros",
        });
    }
    Ok(x)
}

/// `0x` + 64 hex digits, below `r`.
fn hex_fr(text: &str, at: &str) -> Result<Fr, EscrowFileError> {
    parse_hex(text).map_err(|_| EscrowFileError::NotCanonical {
        at: at.to_owned(),
        value: cut(text),
        form: "\"0x\" + 64 hex digits, below the BN254 scalar modulus",
    })
}

fn length<T>(items: &[T], expected: usize, at: &str) -> Result<(), EscrowFileError> {
    if items.len() == expected {
        Ok(())
    } else {
        Err(EscrowFileError::Length {
            at: at.to_owned(),
            expected,
            got: items.len(),
        })
    }
}

fn point(raw: &[String], at: &str) -> Result<Point, EscrowFileError> {
    length(raw, 2, at)?;
    let x = decimal(&raw[0], || format!("{at}[0]"))?;
    let y = decimal(&raw[1], || format!("{at}[1]"))?;
    checked_point(x, y).map_err(|source| EscrowFileError::Point {
        at: at.to_owned(),
        source,
    })
}

fn point_to_raw(p: &Point) -> Vec<String> {
    vec![to_decimal(&p.x), to_decimal(&p.y)]
}

impl EscrowFile {
    /// The escrow file of `deal`, proven by `proof` under the key with `circuit_id`;
    /// `labels[i]` names trustee `i + 1` (missing entries: no label).
    pub fn new(deal: &Deal, circuit_id: String, proof: Proof<Bn254>, labels: &[String]) -> Self {
        Self {
            key_commitment: deal.key_commitment(),
            shape: deal.shape(),
            trustees: deal
                .trustees()
                .iter()
                .zip(1u64..)
                .map(|(p, index)| EscrowTrustee {
                    index,
                    public_key: *p,
                    label: labels.get(index as usize - 1).cloned(),
                })
                .collect(),
            ephemeral_public: deal.ephemeral_public(),
            ciphertexts: deal.ciphertexts().to_vec(),
            digest: deal.digest(),
            circuit_id,
            proof,
        }
    }

    /// The proof's public inputs `[K, digest, P_1.x, P_1.y, …]`.
    pub fn public_inputs(&self) -> Vec<Fr> {
        public_inputs(self.key_commitment, self.digest, &self.trustee_keys())
    }

    /// `P_1 .. P_n`.
    pub fn trustee_keys(&self) -> Vec<Point> {
        self.trustees.iter().map(|t| t.public_key).collect()
    }

    /// The index of the trustee with public key `key`, if it is one.
    pub fn trustee_index(&self, key: &Point) -> Option<u64> {
        self.trustees
            .iter()
            .find(|t| t.public_key == *key)
            .map(|t| t.index)
    }

    /// `ct_index`, for `index` in `1..=n`.
    pub fn share(&self, index: u64) -> Option<&[Fr; 4]> {
        let position = usize::try_from(index).ok()?.checked_sub(1)?;
        self.ciphertexts.get(position)
    }

    /// Parses and checks an escrow file (see the [module docs](self)).
    pub fn from_json(text: &str) -> Result<Self, EscrowFileError> {
        // The version and kind first, so that another file is named as such rather than as
        // a shape error.
        let value: serde_json::Value = serde_json::from_str(text)?;
        match value.get("version") {
            Some(v) if v.as_u64() == Some(u64::from(ESCROW_FILE_VERSION)) => {}
            Some(v) => {
                return Err(EscrowFileError::Version {
                    found: v.to_string(),
                })
            }
            None => {
                return Err(EscrowFileError::Version {
                    found: "(none)".into(),
                })
            }
        }
        match value.get("kind").and_then(|k| k.as_str()) {
            Some(ESCROW_FILE_KIND) => {}
            other => {
                return Err(EscrowFileError::Kind {
                    found: other.unwrap_or("(none)").to_owned(),
                })
            }
        }
        let raw: RawEscrow = serde_json::from_value(value)?;
        let shape = EscrowShape::new(raw.threshold, raw.trustees.len()).map_err(|source| {
            EscrowFileError::Shape {
                threshold: raw.threshold,
                trustees: raw.trustees.len(),
                source,
            }
        })?;
        let n = shape.trustees;
        let key_commitment = hex_fr(&raw.key_commitment, "keyCommitment")?;

        let mut trustees: Vec<EscrowTrustee> = Vec::with_capacity(n);
        for (position, t) in raw.trustees.iter().enumerate() {
            let at = format!("trustees[{position}]");
            let expected = position as u64 + 1;
            if t.index != expected {
                return Err(EscrowFileError::Index {
                    at,
                    expected,
                    got: t.index,
                });
            }
            let public_key = point(&t.public_key, &format!("{at}.publicKey"))?;
            if let Some(first) = trustees.iter().find(|o| o.public_key == public_key) {
                return Err(EscrowFileError::DuplicateTrustee {
                    first: first.index,
                    second: expected,
                });
            }
            if let Some(label) = &t.label {
                if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
                    return Err(EscrowFileError::Label { position });
                }
            }
            trustees.push(EscrowTrustee {
                index: expected,
                public_key,
                label: t.label.clone(),
            });
        }
        let ephemeral_public = point(&raw.ephemeral_public_key, "ephemeralPublicKey")?;

        length(&raw.shares, n, "shares")?;
        let mut ciphertexts = Vec::with_capacity(n);
        for (position, s) in raw.shares.iter().enumerate() {
            let at = format!("shares[{position}]");
            let expected = position as u64 + 1;
            if s.index != expected {
                return Err(EscrowFileError::Index {
                    at,
                    expected,
                    got: s.index,
                });
            }
            if s.nonce != expected.to_string() {
                return Err(EscrowFileError::Nonce {
                    position,
                    expected,
                    found: cut(&s.nonce),
                });
            }
            length(&s.ciphertext, 4, &format!("{at}.ciphertext"))?;
            let mut ct = [Fr::from(0u64); 4];
            for (m, (c, text)) in ct.iter_mut().zip(&s.ciphertext).enumerate() {
                *c = decimal(text, || format!("{at}.ciphertext[{m}]"))?;
            }
            ciphertexts.push(ct);
        }

        let digest = hex_fr(&raw.escrow_digest, "escrowDigest")?;
        let computed = escrow_digest(shape, &ephemeral_public, &ciphertexts);
        if computed != digest {
            return Err(EscrowFileError::Digest {
                stated: to_hex(&digest),
                computed: to_hex(&computed),
            });
        }
        let circuit_id = parse_hex_bytes::<32>(&raw.circuit_id)
            .map(|b| format!("0x{}", hex::encode(b)))
            .map_err(|_| EscrowFileError::CircuitId)?;
        let proof = parse_proof(&raw.proof.to_string()).map_err(EscrowFileError::Proof)?;
        let file = Self {
            key_commitment,
            shape,
            trustees,
            ephemeral_public,
            ciphertexts,
            digest,
            circuit_id,
            proof,
        };

        let inputs = file.public_inputs();
        length(&raw.public_inputs, inputs.len(), "publicInputs")?;
        for (position, (text, want)) in raw.public_inputs.iter().zip(&inputs).enumerate() {
            let got = decimal(text, || format!("publicInputs[{position}]"))?;
            if got != *want {
                let what = match position {
                    0 => "keyCommitment".to_owned(),
                    1 => "escrowDigest".to_owned(),
                    p => format!("trustees[{}].publicKey[{}]", (p - 2) / 2, (p - 2) % 2),
                };
                return Err(EscrowFileError::PublicInputs { position, what });
            }
        }
        Ok(file)
    }

    /// The file as pretty-printed JSON, in the field order of docs/ESCROW.md.
    pub fn to_json(&self) -> String {
        let raw = RawEscrow {
            version: ESCROW_FILE_VERSION,
            kind: ESCROW_FILE_KIND.to_owned(),
            key_commitment: to_hex(&self.key_commitment),
            threshold: self.shape.threshold,
            trustees: self
                .trustees
                .iter()
                .map(|t| RawTrustee {
                    index: t.index,
                    public_key: point_to_raw(&t.public_key),
                    label: t.label.clone(),
                })
                .collect(),
            ephemeral_public_key: point_to_raw(&self.ephemeral_public),
            shares: self
                .ciphertexts
                .iter()
                .zip(1u64..)
                .map(|(ct, index)| RawShare {
                    index,
                    nonce: index.to_string(),
                    ciphertext: ct.iter().map(to_decimal).collect(),
                })
                .collect(),
            escrow_digest: to_hex(&self.digest),
            circuit_id: self.circuit_id.clone(),
            proof: proof_json(&self.proof),
            public_inputs: self.public_inputs().iter().map(to_decimal).collect(),
        };
        let mut text =
            serde_json::to_string_pretty(&raw).expect("an escrow file always serializes");
        text.push('\n');
        text
    }
}

/// Verifies a parsed escrow file: its `K` is `expected_key_commitment` (when given), `vk`
/// takes the shape's `2 + 2n` public inputs and is the key the file names, and the proof
/// verifies against the public inputs recomputed from the file.
pub fn verify_escrow(
    file: &EscrowFile,
    vk: &VerifyingKey<Bn254>,
    expected_key_commitment: Option<Fr>,
) -> Result<(), EscrowVerifyError> {
    if let Some(k) = expected_key_commitment {
        if k != file.key_commitment {
            return Err(EscrowVerifyError::KeyCommitment {
                expected: to_hex(&k),
                found: to_hex(&file.key_commitment),
            });
        }
    }
    let inputs = file.public_inputs();
    let takes = vk.gamma_abc_g1.len().saturating_sub(1);
    if takes != inputs.len() {
        return Err(EscrowVerifyError::VerifyingKeyShape {
            threshold: file.shape.threshold,
            trustees: file.shape.trustees,
            expected: inputs.len(),
            got: takes,
        });
    }
    let id = crate::circuit_id(vk);
    if id != file.circuit_id {
        return Err(EscrowVerifyError::CircuitId {
            expected: id,
            found: file.circuit_id.clone(),
        });
    }
    let pvk = prepare_verifying_key(vk);
    crate::verify_chunk(&pvk, &inputs, &file.proof).map_err(EscrowVerifyError::Proof)
}

/// Reads and checks the escrow file at `path`.
#[cfg(feature = "files")]
pub fn read_escrow_file(path: &Path) -> Result<EscrowFile, EscrowFileError> {
    use std::io::Read;
    let read = |source| EscrowFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let len = file.metadata().map_err(read)?.len();
    if len > MAX_ESCROW_FILE_LEN {
        return Err(EscrowFileError::TooLarge {
            path: path.to_path_buf(),
            len,
        });
    }
    let mut text = String::new();
    file.take(MAX_ESCROW_FILE_LEN + 1)
        .read_to_string(&mut text)
        .map_err(read)?;
    EscrowFile::from_json(&text).map_err(|source| EscrowFileError::Invalid {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

/// Writes `file` to `path`: owner-only, atomically, never over an existing file (an
/// escrow file is not secret today, but see docs/ESCROW.md on harvest-now-decrypt-later).
#[cfg(feature = "files")]
pub fn write_escrow_file(path: &Path, file: &EscrowFile) -> Result<(), EscrowFileError> {
    zkbackup_formats::fs::write_new_file(path, |w| w.write_all(file.to_json().as_bytes())).map_err(
        |source| EscrowFileError::Write {
            path: path.to_path_buf(),
            source,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G2Affine};
    use ark_ec::AffineRepr;
    use rand::{rngs::StdRng, SeedableRng};
    use zkbackup_core::escrow::deal_with;
    use zkbackup_core::trustee_key::TrusteeSecret;
    use zkbackup_core::EscrowKey;

    /// A 2-of-3 file with a stand-in proof (valid points; no proof check here).
    fn file() -> EscrowFile {
        let mut rng = StdRng::seed_from_u64(3);
        let key = EscrowKey::generate_with(&mut rng);
        let trustees: Vec<Point> = (0..3)
            .map(|_| TrusteeSecret::generate_with(&mut rng).public_key())
            .collect();
        let deal = deal_with(&mut rng, &key, EscrowShape::new(2, 3).unwrap(), &trustees).unwrap();
        let proof = Proof {
            a: G1Affine::generator(),
            b: G2Affine::generator(),
            c: G1Affine::generator(),
        };
        EscrowFile::new(
            &deal,
            format!("0x{}", "ab".repeat(32)),
            proof,
            &["alice".into()],
        )
    }

    fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Result<EscrowFile, EscrowFileError> {
        let mut v: serde_json::Value = serde_json::from_str(&file().to_json()).unwrap();
        f(&mut v);
        EscrowFile::from_json(&v.to_string())
    }

    #[test]
    fn round_trip() {
        let f = file();
        let text = f.to_json();
        assert_eq!(EscrowFile::from_json(&text).unwrap(), f);
        assert_eq!(f.trustees[0].label.as_deref(), Some("alice"));
        assert_eq!(f.trustees[1].label, None);
        assert_eq!(f.trustee_index(&f.trustees[2].public_key), Some(3));
        assert_eq!(f.share(0), None);
        assert_eq!(f.share(3), Some(&f.ciphertexts[2]));
        assert_eq!(f.share(4), None);
    }

    #[test]
    fn every_tamper_is_named() {
        use serde_json::json;
        let ct = |v: &mut serde_json::Value| v["shares"][1]["ciphertext"][0].clone();
        type Edit<'a> = Box<dyn FnOnce(&mut serde_json::Value) + 'a>;
        let cases: Vec<(&str, Edit)> = vec![
            ("version", Box::new(|v| v["version"] = json!(2))),
            (
                "kind",
                Box::new(|v| v["kind"] = json!("zkbackup-escrow-share")),
            ),
            ("unknown", Box::new(|v| v["extra"] = json!(1))),
            ("threshold", Box::new(|v| v["threshold"] = json!(4))),
            ("index", Box::new(|v| v["trustees"][1]["index"] = json!(3))),
            ("nonce", Box::new(|v| v["shares"][0]["nonce"] = json!("0"))),
            (
                "leading zero",
                Box::new(|v| {
                    let c = ct(v);
                    v["shares"][1]["ciphertext"][0] = json!(format!("0{}", c.as_str().unwrap()));
                }),
            ),
            (
                "hex in a decimal slot",
                Box::new(|v| v["shares"][1]["ciphertext"][0] = json!("0x01")),
            ),
            (
                "ciphertext changed",
                Box::new(|v| v["shares"][1]["ciphertext"][0] = json!("1")),
            ),
            (
                "duplicate trustee",
                Box::new(|v| v["trustees"][2]["publicKey"] = v["trustees"][0]["publicKey"].clone()),
            ),
            (
                "low-order trustee",
                Box::new(|v| {
                    v["trustees"][2]["publicKey"] = json!(["0", "21888242871839275222246405745257275088548364400416034343698204186575808495616"])
                }),
            ),
            (
                "identity E",
                Box::new(|v| v["ephemeralPublicKey"] = json!(["0", "1"])),
            ),
            (
                "digest",
                Box::new(|v| v["escrowDigest"] = v["keyCommitment"].clone()),
            ),
            (
                "public input",
                Box::new(|v| v["publicInputs"][2] = json!("5")),
            ),
            (
                "label",
                Box::new(|v| v["trustees"][0]["label"] = json!("a\u{1b}[2J")),
            ),
            ("circuit id", Box::new(|v| v["circuitId"] = json!("0x12"))),
            ("proof", Box::new(|v| v["proof"]["pi_a"][0] = json!("2"))),
        ];
        for (what, change) in cases {
            let err = edit(change).expect_err(what);
            let expected = match what {
                "version" => matches!(err, EscrowFileError::Version { .. }),
                "kind" => matches!(err, EscrowFileError::Kind { .. }),
                "unknown" => matches!(err, EscrowFileError::Json(_)),
                "threshold" => matches!(err, EscrowFileError::Shape { .. }),
                "index" => matches!(
                    err,
                    EscrowFileError::Index {
                        expected: 2,
                        got: 3,
                        ..
                    }
                ),
                "nonce" => matches!(err, EscrowFileError::Nonce { position: 0, .. }),
                "leading zero" | "hex in a decimal slot" => {
                    matches!(err, EscrowFileError::NotCanonical { ref at, .. } if at == "shares[1].ciphertext[0]")
                }
                "ciphertext changed" | "digest" => matches!(err, EscrowFileError::Digest { .. }),
                "duplicate trustee" => {
                    matches!(
                        err,
                        EscrowFileError::DuplicateTrustee {
                            first: 1,
                            second: 3
                        }
                    )
                }
                "low-order trustee" => matches!(
                    err,
                    EscrowFileError::Point {
                        source: PointError::NotInSubgroup,
                        ..
                    }
                ),
                "identity E" => matches!(
                    err,
                    EscrowFileError::Point {
                        source: PointError::Identity,
                        ..
                    }
                ),
                "public input" => matches!(err, EscrowFileError::PublicInputs { position: 2, .. }),
                "label" => matches!(err, EscrowFileError::Label { position: 0 }),
                "circuit id" => matches!(err, EscrowFileError::CircuitId),
                "proof" => matches!(err, EscrowFileError::Proof(_)),
                _ => unreachable!(),
            };
            assert!(expected, "{what}: {err:?}");
        }
    }
}
