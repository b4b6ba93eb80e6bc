//! snarkjs' Groth16 proving key (`.zkey`, version 1) over BN254: read (a ceremony's output
//! becomes an arkworks [`ProvingKey`]) and write (a key made by arkworks' setup, for snarkjs
//! to prove with).
//!
//! Why our own reader rather than the `ark-circom` crate: ark-circom's `read_zkey` panics on
//! hostile input (`Affine::new` asserts that a point is on the curve, a missing section is an
//! `unwrap`), it does not read the contributions section (so an import could not list who
//! contributed), and its wasmer dependency costs minutes of CI compile. The layout follows
//! snarkjs' `zkey_utils.js` (and `zkey_new.js`, which writes the first key of a ceremony):
//!
//! ```text
//! "zkey" | version 1 | sections 1..=10, each once
//!  1 protocol:     u32, 1 = Groth16
//!  2 header:       n8q u32 | q | n8r u32 | r | nVars u32 | nPublic u32 | domainSize u32 |
//!                  alpha1 | beta1 | beta2 | gamma2 | delta1 | delta2
//!  3 IC:           (nPublic + 1) G1            vk.gamma_abc_g1
//!  4 coefficients: n u32, then n × (matrix u32 | constraint u32 | signal u32 | value)
//!  5 A:            nVars G1                    pk.a_query
//!  6 B1:           nVars G1                    pk.b_g1_query
//!  7 B2:           nVars G2                    pk.b_g2_query
//!  8 C:            (nVars − nPublic − 1) G1    pk.l_query
//!  9 H:            domainSize G1               pk.h_query (circom's QAP: odd powers of a
//!                                              2·domainSize root, see the prover's reduction)
//! 10 contributions: csHash (64 bytes) | n u32 | n × contribution
//! ```
//!
//! Points and coefficients are encoded as [`crate::field`] describes. The coefficients are
//! the A and B matrices of the circuit's R1CS as `snarkjs groth16 setup` copied them from the
//! `.r1cs`, plus one row per public input and the constant one (`A[nConstraints + s][s] = 1`,
//! `s = 0..=nPublic`) that makes the public inputs linearly independent.
//!
//! A contribution is `deltaAfter` (G1) | `g1_s` (G1) | `g1_sx` (G1) | `g2_spx` (G2) |
//! transcript (64 bytes) | type u32 (0 contribution, 1 beacon) | parameter length u32 |
//! parameters: `1` name (length u8, UTF-8), `2` beacon iterations exponent (u8), `3`
//! beacon hash (length u8, bytes), in increasing type order. Its hash, the one
//! `snarkjs zkey contribute` prints and `snarkjs zkey verify` lists, is BLAKE2b-512 of the
//! four points uncompressed and the transcript (`hashPubKey`).
//!
//! [`read_zkey`] checks everything a hostile file could lie about (see its doc) but not the
//! ceremony's cryptography beyond the transcript chain: that each contribution's key has
//! the same ratio in G1 and G2, that the beacon's key follows from its hash, and that the
//! proving key's points follow from the `.ptau` and the `.r1cs` is `snarkjs zkey verify`'s
//! job, which `zkbackup ceremony verify` runs.

use crate::binfile::{count_u32, u32_at, write_header, write_section, BinFile, BinFileError};
use crate::field::{
    coefficient_from_zkey, coefficient_to_zkey, g1_from_zkey, g1_to_zkey, g1_uncompressed,
    g2_from_zkey, g2_to_zkey, g2_uncompressed, modulus_le, PointProblem, G1_LEN, G2_LEN, N8,
};
use crate::r1cs::{canonical_row, R1csRef};
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::One;
use ark_groth16::{ProvingKey, VerifyingKey};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// snarkjs' protocol id of Groth16.
pub const GROTH16: u32 = 1;
/// The largest domain over BN254's scalar field (its 2-adicity is 28).
pub const MAX_DOMAIN_LOG2: u32 = 28;
/// Bytes of one coefficient entry: matrix, constraint, signal, value.
const COEFFICIENT_LEN: usize = 12 + N8;
/// Bytes of section 2.
const HEADER_LEN: u64 = (4 + N8 + 4 + N8 + 3 * 4 + 3 * G1_LEN + 3 * G2_LEN) as u64;
/// Bytes of a contribution without its parameters.
const CONTRIBUTION_MIN_LEN: usize = 3 * G1_LEN + G2_LEN + 64 + 4 + 4;

/// The domain size snarkjs chooses for a circuit (`zkey_new.js`): the smallest power of two
/// above `constraints + public` (one row per constraint, plus one per public input and the
/// constant one). arkworks' QAP uses the same domain.
pub fn domain_size(constraints: usize, public: usize) -> usize {
    (constraints + public + 1).next_power_of_two().max(2)
}

/// What kind of phase-2 contribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContributionKind {
    /// A participant's contribution (`snarkjs zkey contribute`): secret randomness.
    Contribution,
    /// The final beacon (`snarkjs zkey beacon`): public randomness, iterated SHA-256.
    Beacon,
}

/// One phase-2 contribution, as the zkey records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// Contribution or beacon.
    pub kind: ContributionKind,
    /// The name its contributor gave (`-n`), if any.
    pub name: Option<String>,
    /// The contribution hash, as `snarkjs zkey contribute` prints it and `snarkjs zkey
    /// verify` lists it: BLAKE2b-512 of the contribution's public key and transcript.
    pub hash: [u8; 64],
    /// The beacon's public randomness (a beacon only).
    pub beacon_hash: Option<Vec<u8>>,
    /// The beacon's SHA-256 iterations, as a power of two (a beacon only).
    pub iterations_exp: Option<u8>,
    /// delta in G1 after this contribution.
    pub delta_after: G1Affine,
}

impl Contribution {
    /// The hash as lowercase hex (128 digits).
    pub fn hash_hex(&self) -> String {
        hex_of(&self.hash)
    }
}

/// Lowercase hex of `bytes`.
pub fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A snarkjs Groth16 zkey over BN254, checked and converted to arkworks' types.
#[derive(Clone, Debug)]
pub struct Zkey {
    /// The proving key (its verifying key inside).
    pub pk: ProvingKey<Bn254>,
    /// Wires, the constant one included (snarkjs' `nVars`).
    pub n_vars: usize,
    /// Public inputs, the constant one excluded (snarkjs' `nPublic`).
    pub n_public: usize,
    /// The QAP domain's size.
    pub domain_size: usize,
    /// The A and B matrices as stored (rows by constraint index, terms in file order), the
    /// extra public-input rows included; both have `1 + ` the largest constraint index rows.
    pub coefficients: [Vec<Vec<(Fr, usize)>>; 2],
    /// snarkjs' circuit hash (of the initial key), printed by `snarkjs zkey verify`.
    pub cs_hash: [u8; 64],
    /// The phase-2 contributions, in order.
    pub contributions: Vec<Contribution>,
}

/// A zkey that cannot be read, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct ZkeyError {
    /// The zkey file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: ZkeyErrorKind,
}

/// What is wrong with a zkey.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZkeyErrorKind {
    /// The container (magic, version, section table, section lengths).
    #[error(transparent)]
    File(#[from] BinFileError),
    /// Not a Groth16 key.
    #[error("protocol {found} is not Groth16 (1); PLONK and FFLONK keys are not supported")]
    Protocol {
        /// The protocol id.
        found: u32,
    },
    /// The header's primes are not BN254's.
    #[error("not a BN254 key: the {which} field is not BN254's")]
    Curve {
        /// `base` (q) or `scalar` (r).
        which: &'static str,
    },
    /// nVars does not leave room for the constant one and the public inputs.
    #[error("{n_vars} wires cannot hold the constant one and {n_public} public inputs")]
    Vars {
        /// nVars.
        n_vars: u32,
        /// nPublic.
        n_public: u32,
    },
    /// The domain size is not a power of two that holds the public-input rows.
    #[error("domain size {domain_size} is not a power of two between {} and 2^{MAX_DOMAIN_LOG2}", n_public + 2)]
    DomainSize {
        /// The domain size.
        domain_size: u32,
        /// nPublic.
        n_public: u32,
    },
    /// A point's bytes are not a valid point.
    #[error("{section} point {index}: {problem}")]
    Point {
        /// The section or header field.
        section: &'static str,
        /// The point's index in its section (0 in the header).
        index: usize,
        /// What is wrong.
        problem: PointProblem,
    },
    /// A key element that must not be the point at infinity is.
    #[error("{which} is the point at infinity")]
    Infinity {
        /// The header field.
        which: &'static str,
    },
    /// A coefficient names a matrix other than A (0) or B (1).
    #[error("coefficient {index} is for matrix {matrix}, not A (0) or B (1)")]
    CoefficientMatrix {
        /// The entry.
        index: usize,
        /// The matrix.
        matrix: u32,
    },
    /// A coefficient's constraint is outside the domain.
    #[error(
        "coefficient {index} is for constraint {constraint}, outside the domain of {domain_size}"
    )]
    CoefficientConstraint {
        /// The entry.
        index: usize,
        /// The constraint.
        constraint: u32,
        /// The domain size.
        domain_size: u32,
    },
    /// A coefficient's signal is not a wire.
    #[error("coefficient {index} is for signal {signal}, there are {n_vars} wires")]
    CoefficientSignal {
        /// The entry.
        index: usize,
        /// The signal.
        signal: u32,
        /// nVars.
        n_vars: u32,
    },
    /// A coefficient's value is not below the scalar field's modulus.
    #[error("coefficient {index}'s value is not below the scalar field's modulus")]
    CoefficientValue {
        /// The entry.
        index: usize,
    },
    /// The contributions section does not parse.
    #[error("contribution {index}: {problem}")]
    Contribution {
        /// The contribution (0-based).
        index: usize,
        /// What is wrong.
        problem: ContributionProblem,
    },
    /// The contributions section claims more contributions than it holds, or holds more
    /// bytes than its contributions.
    #[error("the contributions section's length does not match its {count} contributions")]
    ContributionsLength {
        /// The count in the section.
        count: u32,
    },
    /// The key's delta is not the last contribution's.
    #[error("delta1 is not the last contribution's delta: the key's points were not made by its contributions")]
    DeltaMismatch,
}

/// What is wrong with one contribution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContributionProblem {
    /// The section ends inside it.
    #[error("truncated")]
    Truncated,
    /// Its type is neither contribution (0) nor beacon (1).
    #[error("type {0} is neither a contribution (0) nor a beacon (1)")]
    Type(u32),
    /// A point is invalid.
    #[error("{which}: {problem}")]
    Point {
        /// Which point.
        which: &'static str,
        /// What is wrong.
        problem: PointProblem,
    },
    /// Its parameters are not in increasing type order, of an unknown type, or overrun
    /// their length.
    #[error("malformed parameters")]
    Parameters,
    /// Its name is not UTF-8.
    #[error("its name is not UTF-8")]
    Name,
    /// A beacon without its hash or iteration count.
    #[error("a beacon without its hash and iteration count")]
    Beacon,
    /// Its transcript is not the hash of the circuit, the earlier contributions and its key:
    /// the chain of contributions is broken.
    #[error("its transcript does not follow from the earlier contributions")]
    Transcript,
}

impl ZkeyErrorKind {
    fn at(self, path: &Path) -> ZkeyError {
        ZkeyError {
            path: path.to_path_buf(),
            kind: self,
        }
    }
}

/// Reads and checks a snarkjs Groth16 zkey over BN254. `path` names the file in errors.
///
/// Checks: the container (magic, version 1, sections 1..=10 each exactly once, inside the
/// file, nothing after them); protocol Groth16; q and r are BN254's; the counts fit
/// (`nVars ≥ nPublic + 1`, the domain a power of two in `nPublic + 2 ..= 2^28`) and every
/// section has exactly the length they imply; every coordinate below q and every point on
/// its curve and in the prime-order subgroup (G2 points checked in parallel), the
/// verifying key's elements and delta not at infinity; every coefficient's matrix is A or B,
/// its constraint inside the domain, its signal a wire, its value below r; every
/// contribution parses, its transcript chains from the circuit hash and the earlier
/// contributions, and the last one's delta is the key's. Nothing is allocated before the
/// section lengths are checked against the counts.
pub fn read_zkey(bytes: &[u8], path: &Path) -> Result<Zkey, ZkeyError> {
    parse(bytes).map_err(|kind| kind.at(path))
}

fn parse(bytes: &[u8]) -> Result<Zkey, ZkeyErrorKind> {
    let file = BinFile::parse(bytes, "zkey", 1, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10])?;

    let protocol = file.section_of_len(1, "protocol", 4)?;
    let found = u32_at(protocol, 0);
    if found != GROTH16 {
        return Err(ZkeyErrorKind::Protocol { found });
    }

    let header = file.section(2, "header")?;
    // The base field's width first: a key over another curve gets that message, not a
    // length mismatch.
    if header.len() >= 4 + N8
        && (u32_at(header, 0) != N8 as u32 || header[4..4 + N8] != modulus_le::<Fq>())
    {
        return Err(ZkeyErrorKind::Curve { which: "base" });
    }
    let header = file.section_of_len(2, "header", HEADER_LEN)?;
    let mut at = 4 + N8;
    if u32_at(header, at) != N8 as u32 || header[at + 4..at + 4 + N8] != modulus_le::<Fr>() {
        return Err(ZkeyErrorKind::Curve { which: "scalar" });
    }
    at += 4 + N8;
    let n_vars = u32_at(header, at);
    let n_public = u32_at(header, at + 4);
    let domain = u32_at(header, at + 8);
    at += 12;
    if u64::from(n_vars) < u64::from(n_public) + 1 {
        return Err(ZkeyErrorKind::Vars { n_vars, n_public });
    }
    if !domain.is_power_of_two()
        || domain.trailing_zeros() > MAX_DOMAIN_LOG2
        || u64::from(domain) < u64::from(n_public) + 2
    {
        return Err(ZkeyErrorKind::DomainSize {
            domain_size: domain,
            n_public,
        });
    }
    // The key elements, at fixed offsets; none may be the point at infinity.
    let g1 = |at: usize, which: &'static str| -> Result<G1Affine, ZkeyErrorKind> {
        let p = g1_from_zkey(&header[at..at + G1_LEN]).map_err(|problem| ZkeyErrorKind::Point {
            section: which,
            index: 0,
            problem,
        })?;
        if p.is_zero() {
            return Err(ZkeyErrorKind::Infinity { which });
        }
        Ok(p)
    };
    let g2 = |at: usize, which: &'static str| -> Result<G2Affine, ZkeyErrorKind> {
        let p = g2_from_zkey(&header[at..at + G2_LEN]).map_err(|problem| ZkeyErrorKind::Point {
            section: which,
            index: 0,
            problem,
        })?;
        if p.is_zero() {
            return Err(ZkeyErrorKind::Infinity { which });
        }
        Ok(p)
    };
    let alpha_g1 = g1(at, "alpha1")?;
    let beta_g1 = g1(at + G1_LEN, "beta1")?;
    let beta_g2 = g2(at + 2 * G1_LEN, "beta2")?;
    let gamma_g2 = g2(at + 2 * G1_LEN + G2_LEN, "gamma2")?;
    let delta_g1 = g1(at + 2 * G1_LEN + 2 * G2_LEN, "delta1")?;
    let delta_g2 = g2(at + 3 * G1_LEN + 2 * G2_LEN, "delta2")?;

    let (vars, public, domain_size) = (n_vars as usize, n_public as usize, domain as usize);
    let g1_len = G1_LEN as u64;
    let ic = file.section_of_len(3, "IC", (u64::from(n_public) + 1) * g1_len)?;
    let a = file.section_of_len(5, "A", u64::from(n_vars) * g1_len)?;
    let b1 = file.section_of_len(6, "B1", u64::from(n_vars) * g1_len)?;
    let b2 = file.section_of_len(7, "B2", u64::from(n_vars) * G2_LEN as u64)?;
    let c = file.section_of_len(8, "C", u64::from(n_vars - n_public - 1) * g1_len)?;
    let h = file.section_of_len(9, "H", u64::from(domain) * g1_len)?;
    let coefficients_section = file.section(4, "coefficients")?;
    if coefficients_section.len() < 4 {
        return Err(BinFileError::SectionLength {
            id: 4,
            name: "coefficients",
            expected: 4,
            found: coefficients_section.len() as u64,
        }
        .into());
    }
    let count = u32_at(coefficients_section, 0);
    let coefficients_section = file.section_of_len(
        4,
        "coefficients",
        4 + u64::from(count) * COEFFICIENT_LEN as u64,
    )?;
    let coefficients = parse_coefficients(&coefficients_section[4..], n_vars, domain)?;

    let gamma_abc_g1 = g1_points(ic, "IC")?;
    let a_query = g1_points(a, "A")?;
    let b_g1_query = g1_points(b1, "B1")?;
    let b_g2_query = g2_points(b2, "B2")?;
    let l_query = g1_points(c, "C")?;
    let h_query = g1_points(h, "H")?;

    let (cs_hash, contributions) = parse_contributions(file.section(10, "contributions")?)?;
    if let Some(last) = contributions.last() {
        if last.delta_after != delta_g1 {
            return Err(ZkeyErrorKind::DeltaMismatch);
        }
    }

    let vk = VerifyingKey {
        alpha_g1,
        beta_g2,
        gamma_g2,
        delta_g2,
        gamma_abc_g1,
    };
    Ok(Zkey {
        pk: ProvingKey {
            vk,
            beta_g1,
            delta_g1,
            a_query,
            b_g1_query,
            b_g2_query,
            h_query,
            l_query,
        },
        n_vars: vars,
        n_public: public,
        domain_size,
        coefficients,
        cs_hash,
        contributions,
    })
}

/// The points of `section`, `len` bytes each, read (and checked) by `read` in parallel; an
/// error names the point's index.
fn points<P: Send>(
    bytes: &[u8],
    len: usize,
    section: &'static str,
    read: impl Fn(&[u8]) -> Result<P, PointProblem> + Sync,
) -> Result<Vec<P>, ZkeyErrorKind> {
    bytes
        .par_chunks_exact(len)
        .enumerate()
        .map(|(index, p)| {
            read(p).map_err(|problem| ZkeyErrorKind::Point {
                section,
                index,
                problem,
            })
        })
        .collect()
}

fn g1_points(bytes: &[u8], section: &'static str) -> Result<Vec<G1Affine>, ZkeyErrorKind> {
    points(bytes, G1_LEN, section, g1_from_zkey)
}

fn g2_points(bytes: &[u8], section: &'static str) -> Result<Vec<G2Affine>, ZkeyErrorKind> {
    points(bytes, G2_LEN, section, g2_from_zkey)
}

type Matrices = [Vec<Vec<(Fr, usize)>>; 2];

fn parse_coefficients(bytes: &[u8], n_vars: u32, domain: u32) -> Result<Matrices, ZkeyErrorKind> {
    // Checked entries first (their count is bounded by the section's length), then rows:
    // at most `domain` rows, each constraint inside the domain.
    let entries = bytes
        .chunks_exact(COEFFICIENT_LEN)
        .enumerate()
        .map(|(index, e)| {
            let matrix = u32_at(e, 0);
            let constraint = u32_at(e, 4);
            let signal = u32_at(e, 8);
            if matrix > 1 {
                return Err(ZkeyErrorKind::CoefficientMatrix { index, matrix });
            }
            if constraint >= domain {
                return Err(ZkeyErrorKind::CoefficientConstraint {
                    index,
                    constraint,
                    domain_size: domain,
                });
            }
            if signal >= n_vars {
                return Err(ZkeyErrorKind::CoefficientSignal {
                    index,
                    signal,
                    n_vars,
                });
            }
            let value =
                coefficient_from_zkey(&e[12..]).ok_or(ZkeyErrorKind::CoefficientValue { index })?;
            Ok((matrix as usize, constraint as usize, signal as usize, value))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = entries.iter().map(|e| e.1 + 1).max().unwrap_or(0);
    let mut matrices: Matrices = [vec![Vec::new(); rows], vec![Vec::new(); rows]];
    for (matrix, constraint, signal, value) in entries {
        matrices[matrix][constraint].push((value, signal));
    }
    Ok(matrices)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], ContributionProblem> {
    if bytes.len() < n {
        return Err(ContributionProblem::Truncated);
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

/// The bytes snarkjs hashes for a contribution's public key (`hashPubKey`).
fn public_key_bytes(
    delta_after: &G1Affine,
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
    g2_spx: &G2Affine,
    transcript: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 * G1_LEN + G2_LEN + 64);
    out.extend_from_slice(&g1_uncompressed(delta_after));
    out.extend_from_slice(&g1_uncompressed(g1_s));
    out.extend_from_slice(&g1_uncompressed(g1_sx));
    out.extend_from_slice(&g2_uncompressed(g2_spx));
    out.extend_from_slice(transcript);
    out
}

fn parse_contributions(section: &[u8]) -> Result<([u8; 64], Vec<Contribution>), ZkeyErrorKind> {
    if section.len() < 68 {
        return Err(BinFileError::SectionLength {
            id: 10,
            name: "contributions",
            expected: 68,
            found: section.len() as u64,
        }
        .into());
    }
    let cs_hash: [u8; 64] = section[..64].try_into().expect("64 bytes");
    let count = u32_at(section, 64);
    let mut rest = &section[68..];
    if (count as usize).saturating_mul(CONTRIBUTION_MIN_LEN) > rest.len() {
        return Err(ZkeyErrorKind::ContributionsLength { count });
    }
    let mut accumulated = Blake2b512::new();
    accumulated.update(cs_hash);
    let mut contributions = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        let c = parse_contribution(&mut rest, &accumulated)
            .map_err(|problem| ZkeyErrorKind::Contribution { index, problem })?;
        accumulated.update(&c.1);
        contributions.push(c.0);
    }
    if !rest.is_empty() {
        return Err(ZkeyErrorKind::ContributionsLength { count });
    }
    Ok((cs_hash, contributions))
}

/// One contribution and the bytes of its public key (for the running transcript).
fn parse_contribution(
    bytes: &mut &[u8],
    accumulated: &Blake2b512,
) -> Result<(Contribution, Vec<u8>), ContributionProblem> {
    let g1 = |bytes: &mut &[u8], which: &'static str| -> Result<G1Affine, ContributionProblem> {
        g1_from_zkey(take(bytes, G1_LEN)?)
            .map_err(|problem| ContributionProblem::Point { which, problem })
    };
    let delta_after = g1(bytes, "deltaAfter")?;
    let g1_s = g1(bytes, "g1_s")?;
    let g1_sx = g1(bytes, "g1_sx")?;
    let g2_spx =
        g2_from_zkey(take(bytes, G2_LEN)?).map_err(|problem| ContributionProblem::Point {
            which: "g2_spx",
            problem,
        })?;
    let transcript = take(bytes, 64)?;
    let kind = match u32_at(take(bytes, 4)?, 0) {
        0 => ContributionKind::Contribution,
        1 => ContributionKind::Beacon,
        other => return Err(ContributionProblem::Type(other)),
    };
    let length = u32_at(take(bytes, 4)?, 0) as usize;
    let mut params = take(bytes, length)?;
    let (mut name, mut iterations_exp, mut beacon_hash) = (None, None, None);
    let mut last_type = 0u8;
    let malformed = |_| ContributionProblem::Parameters;
    while !params.is_empty() {
        let t = take(&mut params, 1).map_err(malformed)?[0];
        if t <= last_type {
            return Err(ContributionProblem::Parameters);
        }
        last_type = t;
        match t {
            1 => {
                let len = take(&mut params, 1).map_err(malformed)?[0] as usize;
                let text = take(&mut params, len).map_err(malformed)?;
                name =
                    Some(String::from_utf8(text.to_vec()).map_err(|_| ContributionProblem::Name)?);
            }
            2 => iterations_exp = Some(take(&mut params, 1).map_err(malformed)?[0]),
            3 => {
                let len = take(&mut params, 1).map_err(malformed)?[0] as usize;
                beacon_hash = Some(take(&mut params, len).map_err(malformed)?.to_vec());
            }
            _ => return Err(ContributionProblem::Parameters),
        }
    }
    if kind == ContributionKind::Beacon && (beacon_hash.is_none() || iterations_exp.is_none()) {
        return Err(ContributionProblem::Beacon);
    }
    // snarkjs: transcript = H(csHash, earlier public keys, g1_s, g1_sx).
    let mut ours = accumulated.clone();
    ours.update(g1_uncompressed(&g1_s));
    ours.update(g1_uncompressed(&g1_sx));
    if ours.finalize().as_slice() != transcript {
        return Err(ContributionProblem::Transcript);
    }
    let public_key = public_key_bytes(&delta_after, &g1_s, &g1_sx, &g2_spx, transcript);
    let hash: [u8; 64] = Blake2b512::digest(&public_key).into();
    Ok((
        Contribution {
            kind,
            name,
            hash,
            beacon_hash,
            iterations_exp,
            delta_after,
        },
        public_key,
    ))
}

/// How a zkey differs from the circuit it is checked against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkeyMismatch {
    /// Another number of wires.
    #[error("the zkey has {found} wires, the circuit {expected}")]
    Vars {
        /// The circuit's.
        expected: usize,
        /// The zkey's.
        found: usize,
    },
    /// Another number of public inputs.
    #[error("the zkey has {found} public inputs, the circuit {expected}")]
    Public {
        /// The circuit's.
        expected: usize,
        /// The zkey's.
        found: usize,
    },
    /// Another domain size.
    #[error("the zkey's domain has {found} points, the circuit's {expected}")]
    DomainSize {
        /// The circuit's.
        expected: usize,
        /// The zkey's.
        found: usize,
    },
    /// Another number of rows.
    #[error("the zkey's coefficients have {found} rows, the circuit's {expected}")]
    Rows {
        /// The circuit's.
        expected: usize,
        /// The zkey's.
        found: usize,
    },
    /// A row differs.
    #[error("row {row} of the {matrix} matrix differs from the circuit's ({found} terms in the zkey, {expected} in the circuit)")]
    Row {
        /// `A` or `B`.
        matrix: char,
        /// The row (constraint).
        row: usize,
        /// Terms of the circuit's row.
        expected: usize,
        /// Terms of the zkey's row.
        found: usize,
    },
}

/// The A and B coefficients `snarkjs groth16 setup` writes for `r`'s `.r1cs`: the canonical
/// rows of A and B, then `A[nConstraints + s][s] = 1` for `s = 0..=nPublic` (B empty there).
pub fn expected_coefficients(r: &R1csRef) -> Matrices {
    let constraints = r.num_constraints();
    let extra = r.num_public() + 1;
    let mut a: Vec<_> = r.a.iter().map(|row| canonical_row(row)).collect();
    a.extend((0..extra).map(|s| vec![(Fr::one(), s)]));
    let mut b: Vec<_> = r.b.iter().map(|row| canonical_row(row)).collect();
    b.resize(constraints + extra, Vec::new());
    [a, b]
}

impl Zkey {
    /// Checks that this key was made for `r`: the same wires, public inputs and domain, and
    /// the A and B coefficients `snarkjs groth16 setup` writes for `r`'s `.r1cs`. The
    /// mismatch names the first difference.
    pub fn check_circuit(&self, r: &R1csRef) -> Result<(), ZkeyMismatch> {
        if self.n_vars != r.num_wires() {
            return Err(ZkeyMismatch::Vars {
                expected: r.num_wires(),
                found: self.n_vars,
            });
        }
        if self.n_public != r.num_public() {
            return Err(ZkeyMismatch::Public {
                expected: r.num_public(),
                found: self.n_public,
            });
        }
        let expected_domain = domain_size(r.num_constraints(), r.num_public());
        if self.domain_size != expected_domain {
            return Err(ZkeyMismatch::DomainSize {
                expected: expected_domain,
                found: self.domain_size,
            });
        }
        let expected = expected_coefficients(r);
        if self.coefficients[0].len() != expected[0].len() {
            return Err(ZkeyMismatch::Rows {
                expected: expected[0].len(),
                found: self.coefficients[0].len(),
            });
        }
        let rows = expected[0].iter().zip(&expected[1]);
        let stored = self.coefficients[0].iter().zip(&self.coefficients[1]);
        for (row, ((a, b), (stored_a, stored_b))) in rows.zip(stored).enumerate() {
            for (matrix, ours, theirs) in [('A', a, stored_a), ('B', b, stored_b)] {
                if ours != theirs {
                    return Err(ZkeyMismatch::Row {
                        matrix,
                        row,
                        expected: ours.len(),
                        found: theirs.len(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Writes `pk`, made by arkworks' Groth16 setup for `r` with circom's QAP reduction, as a
/// zkey snarkjs can prove with. It is not a ceremony zkey: its contributions section holds
/// an all-zero circuit hash and no contribution (snarkjs' circuit hash is computed from the
/// `.ptau` a ceremony starts from, which this key never saw), so `snarkjs zkey verify`
/// refuses it. `domain_size` must be [`domain_size`] of `r`, and `pk`'s queries must have
/// `r`'s lengths (`InvalidInput` otherwise). The caller buffers `w`.
pub fn write_zkey(
    w: &mut impl Write,
    pk: &ProvingKey<Bn254>,
    r: &R1csRef,
    domain: usize,
) -> io::Result<()> {
    r.check()?;
    let invalid = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    let expected_domain = domain_size(r.num_constraints(), r.num_public());
    if domain != expected_domain {
        return invalid(format!(
            "domain size {domain}, the circuit's is {expected_domain}"
        ));
    }
    let wires = r.num_wires();
    for (name, len, expected) in [
        ("IC", pk.vk.gamma_abc_g1.len(), r.num_instance),
        ("A", pk.a_query.len(), wires),
        ("B1", pk.b_g1_query.len(), wires),
        ("B2", pk.b_g2_query.len(), wires),
        ("C", pk.l_query.len(), r.num_witness),
        ("H", pk.h_query.len(), domain),
    ] {
        if len != expected {
            return invalid(format!(
                "the proving key's {name} query has {len} points, the circuit needs {expected}"
            ));
        }
    }

    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fq>());
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fr>());
    header.extend_from_slice(&count_u32(wires, "wires")?.to_le_bytes());
    header.extend_from_slice(&count_u32(r.num_public(), "public inputs")?.to_le_bytes());
    header.extend_from_slice(&count_u32(domain, "domain size")?.to_le_bytes());
    header.extend_from_slice(&g1_to_zkey(&pk.vk.alpha_g1));
    header.extend_from_slice(&g1_to_zkey(&pk.beta_g1));
    header.extend_from_slice(&g2_to_zkey(&pk.vk.beta_g2));
    header.extend_from_slice(&g2_to_zkey(&pk.vk.gamma_g2));
    header.extend_from_slice(&g1_to_zkey(&pk.delta_g1));
    header.extend_from_slice(&g2_to_zkey(&pk.vk.delta_g2));

    // snarkjs' order: constraint by constraint, A's terms then B's.
    let [a, b] = expected_coefficients(r);
    let mut coefficients = Vec::new();
    let mut count = 0usize;
    for (row, (a_row, b_row)) in a.iter().zip(&b).enumerate() {
        for (matrix, terms) in [(0u32, a_row), (1u32, b_row)] {
            for (value, signal) in terms {
                coefficients.extend_from_slice(&matrix.to_le_bytes());
                coefficients.extend_from_slice(&(row as u32).to_le_bytes());
                coefficients.extend_from_slice(&(*signal as u32).to_le_bytes());
                coefficients.extend_from_slice(&coefficient_to_zkey(value));
                count += 1;
            }
        }
    }
    let mut section4 = count_u32(count, "coefficients")?.to_le_bytes().to_vec();
    section4.extend_from_slice(&coefficients);

    let g1s =
        |points: &[G1Affine]| -> Vec<u8> { points.par_iter().flat_map_iter(g1_to_zkey).collect() };
    let mut contributions = vec![0u8; 64];
    contributions.extend_from_slice(&0u32.to_le_bytes());

    write_header(w, "zkey", 1, 10)?;
    write_section(w, 1, &GROTH16.to_le_bytes())?;
    write_section(w, 2, &header)?;
    write_section(w, 3, &g1s(&pk.vk.gamma_abc_g1))?;
    write_section(w, 4, &section4)?;
    write_section(w, 5, &g1s(&pk.a_query))?;
    write_section(w, 6, &g1s(&pk.b_g1_query))?;
    write_section(
        w,
        7,
        &pk.b_g2_query
            .par_iter()
            .flat_map_iter(g2_to_zkey)
            .collect::<Vec<u8>>(),
    )?;
    write_section(w, 8, &g1s(&pk.l_query))?;
    write_section(w, 9, &g1s(&pk.h_query))?;
    write_section(w, 10, &contributions)
}
