//! The proof bundle: a versioned JSON file with the backup's header values and, per chunk,
//! its public inputs and Groth16 proof. `docs/BUNDLE.md` specifies the format.
//!
//! Reading is strict and total: every value is checked (canonical field elements, points on
//! the curve and in the prime-order subgroup, array lengths, known version, no unknown
//! fields), and each problem is a [`BundleError`] naming the chunk and the field. Whether the
//! bundle is *consistent* (with itself, the verifying key and the backup) is
//! [`verify_bundle`](crate::verify_bundle)'s job.

use crate::encoding::{parse_hex, parse_hex_bytes, to_hex, FieldKind, HexProblem, HEX_DIGITS};
use crate::groth16::{Proof, VerifyingKey};
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::Zero;
use ark_serialize::CanonicalSerialize;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
#[cfg(feature = "files")]
use std::path::Path;
use std::path::PathBuf;
use zkbackup_core::chunk::{ChunkPublic, NUM_PUBLIC_INPUTS, PUBLIC_INPUT_NAMES};
#[cfg(feature = "files")]
use zkbackup_formats::fs::write_atomic;

/// The bundle format version this crate reads and writes.
pub const BUNDLE_VERSION: u32 = 1;

/// The circuit id of a verifying key: `0x` + the hex SHA-256 of its canonical compressed
/// arkworks serialization. A bundle names the circuit it was proven for by this id.
pub fn circuit_id(vk: &VerifyingKey<Bn254>) -> String {
    let mut bytes = Vec::with_capacity(vk.compressed_size());
    vk.serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    format!("0x{}", hex::encode(Sha256::digest(&bytes)))
}

/// One chunk's entry: its index, public inputs and proof.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkProof {
    /// The chunk index `j` (entries are in index order, `0..n`).
    pub index: usize,
    /// The proof's public inputs.
    pub public_inputs: ChunkPublic,
    /// The Groth16 proof.
    pub proof: Proof<Bn254>,
}

/// A proof bundle in memory. Reading ([`Bundle::from_json`], [`read_bundle`]) has checked
/// every value's encoding; [`verify_bundle`](crate::verify_bundle) checks everything else.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// The format version ([`BUNDLE_VERSION`]).
    pub version: u32,
    /// [`circuit_id`] of the verifying key the proofs are for.
    pub circuit_id: String,
    /// The chain the root was read from, if bound to one.
    pub chain_id: Option<u64>,
    /// The contract holding the root: `0x` + 40 lowercase hex digits, if bound to a chain.
    pub contract: Option<String>,
    /// The block the root was read at, if bound to a chain.
    pub block: Option<u64>,
    /// Fields per record.
    pub arity: usize,
    /// Records per chunk (a power of two).
    pub chunk_size: usize,
    /// Number of records.
    pub records: u64,
    /// The state root `R`.
    pub root: Fr,
    /// The backup commitment `C`.
    pub commitment: Fr,
    /// The key commitment `K`.
    pub key_commitment: Fr,
    /// One entry per chunk, in index order.
    pub chunks: Vec<ChunkProof>,
}

/// Where in a bundle a value sits: the chunk (if any) and the field's JSON path within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    /// The chunk's position in `chunks`, for values inside a chunk entry.
    pub chunk: Option<usize>,
    /// The field, e.g. `root`, `public_inputs[1]`, `proof.b[0][1]`.
    pub field: String,
}

impl FieldPath {
    fn top(field: &str) -> Self {
        Self {
            chunk: None,
            field: field.to_owned(),
        }
    }

    fn chunk(chunk: usize, field: String) -> Self {
        Self {
            chunk: Some(chunk),
            field,
        }
    }

    fn child(&self, suffix: &str) -> Self {
        Self {
            chunk: self.chunk,
            field: format!("{}{suffix}", self.field),
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.chunk {
            Some(chunk) => write!(f, "chunk {chunk}: {}", self.field),
            None => f.write_str(&self.field),
        }
    }
}

/// Why a bundle cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file cannot be read.
    #[error("cannot read bundle {}", path.display())]
    Read {
        /// The bundle file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid bundle; the source says where and why.
    #[error("{} is not a valid proof bundle", path.display())]
    Invalid {
        /// The bundle file.
        path: PathBuf,
        /// What is wrong, as [`Bundle::from_json`] reports it.
        source: Box<BundleError>,
    },
    /// The file cannot be written.
    #[error("cannot write bundle {}", path.display())]
    Write {
        /// The bundle file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON, or not the bundle's shape (missing, unknown or mistyped fields).
    #[error("bundle is not valid JSON of the bundle's shape")]
    Json(#[from] serde_json::Error),
    /// The JSON has no `version` field.
    #[error("bundle has no \"version\" field")]
    MissingVersion,
    /// A version this verifier does not read.
    #[error("unsupported bundle version {found} (this verifier reads version {BUNDLE_VERSION})")]
    UnsupportedVersion {
        /// The `version` value as written in the file.
        found: String,
    },
    /// A hex value without its `0x` prefix.
    #[error("{at}: expected \"0x\" followed by hex digits")]
    MissingHexPrefix {
        /// The value's place.
        at: FieldPath,
    },
    /// A hex value of the wrong length.
    #[error("{at}: {got} hex digits after \"0x\", expected exactly {expected}")]
    HexLength {
        /// The value's place.
        at: FieldPath,
        /// The required number of digits.
        expected: usize,
        /// The number found.
        got: usize,
    },
    /// A character that is not a hex digit.
    #[error("{at}: not a hex number")]
    NotHex {
        /// The value's place.
        at: FieldPath,
    },
    /// An array with the wrong number of elements (public inputs, coordinates).
    #[error("{at}: {got} elements, expected {expected}")]
    ArrayLength {
        /// The array's place.
        at: FieldPath,
        /// The required length.
        expected: usize,
        /// The length found.
        got: usize,
    },
    /// A value at or above its field's modulus: refused, never reduced.
    #[error("{at}: {value} is not a canonical {field} element (must be below {})", field.modulus())]
    NonCanonical {
        /// The value's place.
        at: FieldPath,
        /// The field it must belong to.
        field: FieldKind,
        /// The value as written.
        value: String,
    },
    /// A point that is not on the BN254 curve (G1) or its twist (G2).
    #[error("{at}: point is not on the curve")]
    NotOnCurve {
        /// The point's place.
        at: FieldPath,
    },
    /// A point on the curve but outside the prime-order subgroup.
    #[error("{at}: point is not in the prime-order subgroup")]
    NotInSubgroup {
        /// The point's place.
        at: FieldPath,
    },
}

// ---------------------------------------------------------------------------------------------
// The JSON shape: field elements and coordinates as `0x`-hex strings, counts as numbers;
// `deny_unknown_fields` so that a misspelled field is an error rather than silently ignored.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBundle {
    version: u32,
    circuit_id: String,
    chain_id: Option<u64>,
    contract: Option<String>,
    block: Option<u64>,
    arity: usize,
    chunk_size: usize,
    records: u64,
    root: String,
    commitment: String,
    key_commitment: String,
    chunks: Vec<RawChunk>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChunk {
    index: usize,
    public_inputs: Vec<String>,
    proof: RawProof,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProof {
    a: Vec<String>,
    b: Vec<Vec<String>>,
    c: Vec<String>,
}

/// Maps a hex problem at `at` to its error.
fn hex_error(problem: HexProblem, at: FieldPath, field: FieldKind, text: &str) -> BundleError {
    match problem {
        HexProblem::MissingPrefix => BundleError::MissingHexPrefix { at },
        HexProblem::Length(got) => BundleError::HexLength {
            at,
            expected: HEX_DIGITS,
            got,
        },
        HexProblem::NotHex => BundleError::NotHex { at },
        HexProblem::NonCanonical => BundleError::NonCanonical {
            at,
            field,
            value: text.to_owned(),
        },
    }
}

fn read_fr(text: &str, at: FieldPath) -> Result<Fr, BundleError> {
    parse_hex(text).map_err(|p| hex_error(p, at, FieldKind::Scalar, text))
}

fn read_fq(text: &str, at: FieldPath) -> Result<Fq, BundleError> {
    parse_hex(text).map_err(|p| hex_error(p, at, FieldKind::Base, text))
}

fn check_len<T>(items: &[T], expected: usize, at: &FieldPath) -> Result<(), BundleError> {
    if items.len() == expected {
        Ok(())
    } else {
        Err(BundleError::ArrayLength {
            at: at.clone(),
            expected,
            got: items.len(),
        })
    }
}

/// A G1 point from `[x, y]`; `[0, 0]` is the point at infinity (the EIP-196 convention).
fn read_g1(raw: &[String], at: FieldPath) -> Result<G1Affine, BundleError> {
    check_len(raw, 2, &at)?;
    let x = read_fq(&raw[0], at.child("[0]"))?;
    let y = read_fq(&raw[1], at.child("[1]"))?;
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::identity());
    }
    let point = G1Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(BundleError::NotOnCurve { at });
    }
    // G1 of BN254 has cofactor 1, but the check costs nothing and keeps the rule uniform.
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(BundleError::NotInSubgroup { at });
    }
    Ok(point)
}

/// A G2 point from `[[x_c0, x_c1], [y_c0, y_c1]]` (`x = x_c0 + x_c1·u`); all zeros is the
/// point at infinity (the EIP-197 convention).
fn read_g2(raw: &[Vec<String>], at: FieldPath) -> Result<G2Affine, BundleError> {
    check_len(raw, 2, &at)?;
    let mut coords = [Fq2::zero(); 2];
    for (i, coord) in coords.iter_mut().enumerate() {
        let at_i = at.child(&format!("[{i}]"));
        check_len(&raw[i], 2, &at_i)?;
        let c0 = read_fq(&raw[i][0], at_i.child("[0]"))?;
        let c1 = read_fq(&raw[i][1], at_i.child("[1]"))?;
        *coord = Fq2::new(c0, c1);
    }
    let [x, y] = coords;
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::identity());
    }
    let point = G2Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(BundleError::NotOnCurve { at });
    }
    if !crate::subgroup::g2_in_subgroup(&point) {
        return Err(BundleError::NotInSubgroup { at });
    }
    Ok(point)
}

fn g1_to_raw(p: &G1Affine) -> Vec<String> {
    match p.xy() {
        Some((x, y)) => vec![to_hex(&x), to_hex(&y)],
        None => vec![to_hex(&Fq::zero()), to_hex(&Fq::zero())],
    }
}

fn g2_to_raw(p: &G2Affine) -> Vec<Vec<String>> {
    let (x, y) = p.xy().unwrap_or((Fq2::zero(), Fq2::zero()));
    vec![
        vec![to_hex(&x.c0), to_hex(&x.c1)],
        vec![to_hex(&y.c0), to_hex(&y.c1)],
    ]
}

/// A contract address: `0x` + 40 hex digits of either case, normalized to lowercase.
fn read_contract(text: &str) -> Result<String, BundleError> {
    let at = FieldPath::top("contract");
    match parse_hex_bytes::<20>(text) {
        Ok(bytes) => Ok(format!("0x{}", hex::encode(bytes))),
        Err(HexProblem::MissingPrefix) => Err(BundleError::MissingHexPrefix { at }),
        Err(HexProblem::Length(got)) => Err(BundleError::HexLength {
            at,
            expected: 40,
            got,
        }),
        Err(_) => Err(BundleError::NotHex { at }),
    }
}

/// A circuit id: `0x` + 64 hex digits, normalized to lowercase.
fn read_circuit_id(text: &str) -> Result<String, BundleError> {
    let at = FieldPath::top("circuit_id");
    match parse_hex_bytes::<32>(text) {
        Ok(bytes) => Ok(format!("0x{}", hex::encode(bytes))),
        Err(HexProblem::MissingPrefix) => Err(BundleError::MissingHexPrefix { at }),
        Err(HexProblem::Length(got)) => Err(BundleError::HexLength {
            at,
            expected: HEX_DIGITS,
            got,
        }),
        Err(_) => Err(BundleError::NotHex { at }),
    }
}

impl RawChunk {
    fn decode(&self, position: usize) -> Result<ChunkProof, BundleError> {
        let at = FieldPath::chunk(position, "public_inputs".into());
        check_len(&self.public_inputs, NUM_PUBLIC_INPUTS, &at)?;
        let mut inputs = [Fr::zero(); NUM_PUBLIC_INPUTS];
        for (i, (input, text)) in inputs.iter_mut().zip(&self.public_inputs).enumerate() {
            *input = read_fr(
                text,
                at.child(&format!("[{i}] ({})", PUBLIC_INPUT_NAMES[i])),
            )?;
        }
        let proof = Proof {
            a: read_g1(&self.proof.a, FieldPath::chunk(position, "proof.a".into()))?,
            b: read_g2(&self.proof.b, FieldPath::chunk(position, "proof.b".into()))?,
            c: read_g1(&self.proof.c, FieldPath::chunk(position, "proof.c".into()))?,
        };
        Ok(ChunkProof {
            index: self.index,
            public_inputs: ChunkPublic::from_inputs(inputs),
            proof,
        })
    }

    fn encode(chunk: &ChunkProof) -> Self {
        Self {
            index: chunk.index,
            public_inputs: chunk.public_inputs.to_inputs().iter().map(to_hex).collect(),
            proof: RawProof {
                a: g1_to_raw(&chunk.proof.a),
                b: g2_to_raw(&chunk.proof.b),
                c: g1_to_raw(&chunk.proof.c),
            },
        }
    }
}

impl Bundle {
    /// Parses and validates a bundle from JSON text (see the [module docs](self)).
    pub fn from_json(text: &str) -> Result<Self, BundleError> {
        // The version first, so that a bundle of another version is named as such rather
        // than as a shape error.
        let value: serde_json::Value = serde_json::from_str(text)?;
        match value.get("version") {
            None => return Err(BundleError::MissingVersion),
            Some(v) if v.as_u64() == Some(u64::from(BUNDLE_VERSION)) => {}
            Some(v) => {
                return Err(BundleError::UnsupportedVersion {
                    found: v.to_string(),
                })
            }
        }
        let raw: RawBundle = serde_json::from_value(value)?;
        let chunks = raw
            .chunks
            .iter()
            .enumerate()
            .map(|(position, chunk)| chunk.decode(position))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            version: raw.version,
            circuit_id: read_circuit_id(&raw.circuit_id)?,
            chain_id: raw.chain_id,
            contract: raw.contract.as_deref().map(read_contract).transpose()?,
            block: raw.block,
            arity: raw.arity,
            chunk_size: raw.chunk_size,
            records: raw.records,
            root: read_fr(&raw.root, FieldPath::top("root"))?,
            commitment: read_fr(&raw.commitment, FieldPath::top("commitment"))?,
            key_commitment: read_fr(&raw.key_commitment, FieldPath::top("key_commitment"))?,
            chunks,
        })
    }

    /// The bundle as pretty-printed JSON (the form [`write_bundle`] writes).
    pub fn to_json(&self) -> String {
        let raw = RawBundle {
            version: self.version,
            circuit_id: self.circuit_id.clone(),
            chain_id: self.chain_id,
            contract: self.contract.clone(),
            block: self.block,
            arity: self.arity,
            chunk_size: self.chunk_size,
            records: self.records,
            root: to_hex(&self.root),
            commitment: to_hex(&self.commitment),
            key_commitment: to_hex(&self.key_commitment),
            chunks: self.chunks.iter().map(RawChunk::encode).collect(),
        };
        let mut text = serde_json::to_string_pretty(&raw).expect("a bundle always serializes");
        text.push('\n');
        text
    }
}

/// Reads and validates the bundle at `path`.
#[cfg(feature = "files")]
pub fn read_bundle(path: &Path) -> Result<Bundle, BundleError> {
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Bundle::from_json(&text).map_err(|source| BundleError::Invalid {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

/// Writes `bundle` to `path` (a temporary file, then a rename: never half-written).
#[cfg(feature = "files")]
pub fn write_bundle(path: &Path, bundle: &Bundle) -> Result<(), BundleError> {
    write_atomic(path, |w| w.write_all(bundle.to_json().as_bytes())).map_err(|source| {
        BundleError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}
