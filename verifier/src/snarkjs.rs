//! snarkjs's JSON formats: export, so that `snarkjs groth16 verify` checks our proofs
//! (`verification_key.json`, and per chunk `proof_<i>.json` and `public_<i>.json`); and
//! reading `verification_key.json` ([`parse_verification_key`]), so that a key from a snarkjs
//! ceremony (or our own export) verifies bundles, and `proof.json` ([`parse_proof`]), so that
//! a proof snarkjs made is checked by our verifier.
//!
//! snarkjs writes every number as a decimal string and every point in projective form with
//! `z = 1` (`["0", "1", "0"]` is the point at infinity). A G2 coordinate `c0 + c1·u` is
//! `[c0, c1]` (snarkjs's own order; only the Solidity calldata swaps it). `vk_alphabeta_12`
//! is `e(α, β)` in `Fq12 = Fq6[w]`, `Fq6 = Fq2[v]`, nested as `[[c0.c0, c0.c1, c0.c2],
//! [c1.c0, c1.c1, c1.c2]]` of `[c0, c1]` pairs; `snarkjs groth16 verify` does not read it.

use crate::groth16::{Proof, VerifyingKey};
use ark_bn254::{Bn254, Fq, Fq12, Fq2, Fq6, Fr, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use serde_json::{json, Value};
use std::path::PathBuf;
use zkbackup_core::chunk::NUM_PUBLIC_INPUTS;
#[cfg(feature = "files")]
use {
    crate::bundle::{circuit_id, Bundle},
    std::path::Path,
    zkbackup_formats::fs::write_atomic,
};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum SnarkjsError {
    /// A file cannot be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output directory cannot be created.
    #[error("cannot create directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `verification_key.json` that is not a usable key.
    #[error("{} is not a usable snarkjs verification key", path.display())]
    InvalidVerificationKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: VkJsonError,
    },
    /// The bundle was not proven for this verifying key: snarkjs would reject every proof.
    #[error("the bundle's circuit id is {found}, the verifying key's is {expected}")]
    CircuitIdMismatch {
        /// The verifying key's circuit id.
        expected: String,
        /// The bundle's.
        found: String,
    },
}

fn g1(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([x.to_string(), y.to_string(), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn g2(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([
            [x.c0.to_string(), x.c1.to_string()],
            [y.c0.to_string(), y.c1.to_string()],
            ["1", "0"]
        ]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

fn fq12(f: &Fq12) -> Value {
    let fq6 = |c: &ark_bn254::Fq6| {
        json!([
            [c.c0.c0.to_string(), c.c0.c1.to_string()],
            [c.c1.c0.to_string(), c.c1.c1.to_string()],
            [c.c2.c0.to_string(), c.c2.c1.to_string()]
        ])
    };
    json!([fq6(&f.c0), fq6(&f.c1)])
}

/// `verification_key.json` for `vk`.
pub fn verification_key_json(vk: &VerifyingKey<Bn254>) -> Value {
    let alphabeta = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "vk_alphabeta_12": fq12(&alphabeta),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// `proof.json` for `proof`.
pub fn proof_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json` for `inputs`: decimal strings.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(
        inputs
            .iter()
            .map(|x| Value::String(x.to_string()))
            .collect(),
    )
}

#[cfg(feature = "files")]
fn write_json(path: PathBuf, value: &Value) -> Result<PathBuf, SnarkjsError> {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    text.push('\n');
    write_atomic(&path, |w| w.write_all(text.as_bytes())).map_err(|source| {
        SnarkjsError::Write {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

/// Writes `verification_key.json` for `vk` into `dir`.
#[cfg(feature = "files")]
pub fn write_verification_key(
    dir: &Path,
    vk: &VerifyingKey<Bn254>,
) -> Result<PathBuf, SnarkjsError> {
    write_json(
        dir.join("verification_key.json"),
        &verification_key_json(vk),
    )
}

/// Writes `proof_<i>.json` and `public_<i>.json` for chunk `i` into `dir`.
#[cfg(feature = "files")]
pub fn write_proof(
    dir: &Path,
    i: usize,
    inputs: &[Fr],
    proof: &Proof<Bn254>,
) -> Result<[PathBuf; 2], SnarkjsError> {
    Ok([
        write_json(dir.join(format!("proof_{i}.json")), &proof_json(proof))?,
        write_json(dir.join(format!("public_{i}.json")), &public_json(inputs))?,
    ])
}

/// Exports a bundle for snarkjs into `dir` (created if missing): `verification_key.json`, and
/// `proof_<i>.json` / `public_<i>.json` for each chunk `i`. Returns the files written.
///
/// # Errors
/// [`SnarkjsError::CircuitIdMismatch`] if the bundle was not proven for `vk`; I/O errors
/// naming the file.
#[cfg(feature = "files")]
pub fn export_bundle(
    bundle: &Bundle,
    vk: &VerifyingKey<Bn254>,
    dir: &Path,
) -> Result<Vec<PathBuf>, SnarkjsError> {
    let id = circuit_id(vk);
    if bundle.circuit_id != id {
        return Err(SnarkjsError::CircuitIdMismatch {
            expected: id,
            found: bundle.circuit_id.clone(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| SnarkjsError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = vec![write_verification_key(dir, vk)?];
    for chunk in &bundle.chunks {
        let paths = write_proof(
            dir,
            chunk.index,
            &chunk.public_inputs.to_inputs(),
            &chunk.proof,
        )?;
        written.extend(paths);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Reading `verification_key.json`.

/// What is wrong with a `verification_key.json`.
#[derive(Debug, thiserror::Error)]
pub enum VkJsonError {
    /// Not JSON.
    #[error("not valid JSON")]
    Json(#[source] serde_json::Error),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A required member is missing.
    #[error("no \"{0}\" member")]
    Missing(&'static str),
    /// `protocol` is not `groth16`.
    #[error("protocol is {0}, expected \"groth16\"")]
    Protocol(String),
    /// `curve` is not `bn128` (snarkjs's name for BN254).
    #[error("curve is {0}, expected \"bn128\" (BN254)")]
    Curve(String),
    /// `nPublic` is not the chunk circuit's number of public inputs.
    #[error("nPublic is {0}, zkbackup's chunk circuit has {NUM_PUBLIC_INPUTS} public inputs")]
    NumPublic(String),
    /// `IC` does not have `nPublic + 1` points.
    #[error("IC has {got} points, nPublic {n_public} needs {}", n_public + 1)]
    IcLength {
        /// `nPublic`.
        n_public: usize,
        /// Points in `IC`.
        got: usize,
    },
    /// An array of the wrong shape (a point, a coordinate pair).
    #[error("{at}: expected an array of {expected} elements")]
    Shape {
        /// The value's place, e.g. `vk_beta_2[1]`.
        at: String,
        /// The length required.
        expected: usize,
    },
    /// A value that is not a decimal string (digits only, no sign, no leading zeros).
    #[error("{at}: {value} is not a decimal string")]
    NotDecimal {
        /// The value's place.
        at: String,
        /// The value as written.
        value: String,
    },
    /// A coordinate at or above the base-field modulus: refused, never reduced.
    #[error("{at}: {value} is not below the base-field modulus")]
    NonCanonical {
        /// The value's place.
        at: String,
        /// The value as written.
        value: String,
    },
    /// A point whose projective `z` is neither 1 nor the point at infinity's form.
    #[error("{at}: z must be 1 (or the point at infinity, x = z = 0 and y = 1)")]
    NotAffine {
        /// The point's place.
        at: String,
    },
    /// A point off the curve (G1) or its twist (G2).
    #[error("{at}: point is not on the curve")]
    NotOnCurve {
        /// The point's place.
        at: String,
    },
    /// A point on the curve but outside the prime-order subgroup.
    #[error("{at}: point is not in the prime-order subgroup")]
    NotInSubgroup {
        /// The point's place.
        at: String,
    },
    /// `vk_alphabeta_12` is present and not `e(vk_alpha_1, vk_beta_2)`.
    #[error("vk_alphabeta_12 is not e(vk_alpha_1, vk_beta_2)")]
    AlphaBeta,
}

fn shaped<'a>(v: &'a Value, at: &str, expected: usize) -> Result<&'a [Value], VkJsonError> {
    match v.as_array() {
        Some(items) if items.len() == expected => Ok(items),
        _ => Err(VkJsonError::Shape {
            at: at.to_owned(),
            expected,
        }),
    }
}

/// A canonical base-field element from a decimal string.
fn decimal_fq(v: &Value, at: &str) -> Result<Fq, VkJsonError> {
    let text = v.as_str().unwrap_or_default();
    let not_decimal = || VkJsonError::NotDecimal {
        at: at.to_owned(),
        value: v.to_string(),
    };
    let well_formed = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !v.is_string() || !well_formed {
        return Err(not_decimal());
    }
    let non_canonical = || VkJsonError::NonCanonical {
        at: at.to_owned(),
        value: text.to_owned(),
    };
    let mut limbs = [0u64; 4];
    for digit in text.bytes().map(|b| u128::from(b - b'0')) {
        let mut carry = digit;
        for limb in &mut limbs {
            let x = u128::from(*limb) * 10 + carry;
            *limb = x as u64;
            carry = x >> 64;
        }
        if carry != 0 {
            return Err(non_canonical());
        }
    }
    Fq::from_bigint(BigInt(limbs)).ok_or_else(non_canonical)
}

fn decimal_fq2(v: &Value, at: &str) -> Result<Fq2, VkJsonError> {
    let c = shaped(v, at, 2)?;
    Ok(Fq2::new(
        decimal_fq(&c[0], &format!("{at}[0]"))?,
        decimal_fq(&c[1], &format!("{at}[1]"))?,
    ))
}

/// A G1 point `[x, y, z]`: `z = 1`, or `[0, 1, 0]` for the point at infinity.
fn parse_g1(v: &Value, at: &str) -> Result<G1Affine, VkJsonError> {
    let c = shaped(v, at, 3)?;
    let [x, y, z] = [0, 1, 2].map(|i| decimal_fq(&c[i], &format!("{at}[{i}]")));
    let (x, y, z) = (x?, y?, z?);
    if z.is_zero() {
        if x.is_zero() && y == Fq::ONE {
            return Ok(G1Affine::identity());
        }
        return Err(VkJsonError::NotAffine { at: at.to_owned() });
    }
    if z != Fq::ONE {
        return Err(VkJsonError::NotAffine { at: at.to_owned() });
    }
    let point = G1Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(VkJsonError::NotOnCurve { at: at.to_owned() });
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(VkJsonError::NotInSubgroup { at: at.to_owned() });
    }
    Ok(point)
}

/// A G2 point `[[x_c0, x_c1], [y_c0, y_c1], [z_c0, z_c1]]`: `z = 1`, or `x = z = 0, y = 1`
/// for the point at infinity.
fn parse_g2(v: &Value, at: &str) -> Result<G2Affine, VkJsonError> {
    let c = shaped(v, at, 3)?;
    let [x, y, z] = [0, 1, 2].map(|i| decimal_fq2(&c[i], &format!("{at}[{i}]")));
    let (x, y, z) = (x?, y?, z?);
    if z.is_zero() {
        if x.is_zero() && y == Fq2::ONE {
            return Ok(G2Affine::identity());
        }
        return Err(VkJsonError::NotAffine { at: at.to_owned() });
    }
    if z != Fq2::ONE {
        return Err(VkJsonError::NotAffine { at: at.to_owned() });
    }
    let point = G2Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(VkJsonError::NotOnCurve { at: at.to_owned() });
    }
    if !crate::subgroup::g2_in_subgroup(&point) {
        return Err(VkJsonError::NotInSubgroup { at: at.to_owned() });
    }
    Ok(point)
}

fn parse_fq12(v: &Value, at: &str) -> Result<Fq12, VkJsonError> {
    let halves = shaped(v, at, 2)?;
    let mut fq6 = [Fq6::zero(); 2];
    for (i, half) in halves.iter().enumerate() {
        let at_i = format!("{at}[{i}]");
        let c = shaped(half, &at_i, 3)?;
        fq6[i] = Fq6::new(
            decimal_fq2(&c[0], &format!("{at_i}[0]"))?,
            decimal_fq2(&c[1], &format!("{at_i}[1]"))?,
            decimal_fq2(&c[2], &format!("{at_i}[2]"))?,
        );
    }
    Ok(Fq12::new(fq6[0], fq6[1]))
}

/// Parses snarkjs's `verification_key.json` (Groth16, BN254) into a verifying key, strictly:
/// `protocol` `groth16`, `curve` `bn128`, `nPublic` 5 with 6 `IC` points, every number a
/// canonical decimal string, every point affine (`z = 1`, or snarkjs's form of the point at
/// infinity), on the curve and in the prime-order subgroup; `vk_alphabeta_12`, if present,
/// must be `e(α, β)`. Other members are ignored, as snarkjs ignores them.
pub fn parse_verification_key(text: &str) -> Result<VerifyingKey<Bn254>, VkJsonError> {
    let v: Value = serde_json::from_str(text).map_err(VkJsonError::Json)?;
    let obj = v.as_object().ok_or(VkJsonError::NotAnObject)?;
    let get = |name: &'static str| obj.get(name).ok_or(VkJsonError::Missing(name));
    let protocol = get("protocol")?;
    if protocol.as_str() != Some("groth16") {
        return Err(VkJsonError::Protocol(protocol.to_string()));
    }
    let curve = get("curve")?;
    if curve.as_str() != Some("bn128") {
        return Err(VkJsonError::Curve(curve.to_string()));
    }
    let n_public = get("nPublic")?;
    if n_public.as_u64() != Some(NUM_PUBLIC_INPUTS as u64) {
        return Err(VkJsonError::NumPublic(n_public.to_string()));
    }
    let ic = get("IC")?.as_array().ok_or_else(|| VkJsonError::Shape {
        at: "IC".into(),
        expected: NUM_PUBLIC_INPUTS + 1,
    })?;
    if ic.len() != NUM_PUBLIC_INPUTS + 1 {
        return Err(VkJsonError::IcLength {
            n_public: NUM_PUBLIC_INPUTS,
            got: ic.len(),
        });
    }
    let vk = VerifyingKey {
        alpha_g1: parse_g1(get("vk_alpha_1")?, "vk_alpha_1")?,
        beta_g2: parse_g2(get("vk_beta_2")?, "vk_beta_2")?,
        gamma_g2: parse_g2(get("vk_gamma_2")?, "vk_gamma_2")?,
        delta_g2: parse_g2(get("vk_delta_2")?, "vk_delta_2")?,
        gamma_abc_g1: ic
            .iter()
            .enumerate()
            .map(|(i, p)| parse_g1(p, &format!("IC[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    if let Some(alphabeta) = obj.get("vk_alphabeta_12") {
        let theirs = parse_fq12(alphabeta, "vk_alphabeta_12")?;
        if theirs != Bn254::pairing(vk.alpha_g1, vk.beta_g2).0 {
            return Err(VkJsonError::AlphaBeta);
        }
    }
    Ok(vk)
}

/// Parses snarkjs's `proof.json` (Groth16, BN254): `protocol` `groth16` and `curve` `bn128`
/// when present (snarkjs writes both), `pi_a`, `pi_b`, `pi_c` affine, on the curve and in
/// the prime-order subgroup, with the checks of [`parse_verification_key`]; so a proof made
/// by snarkjs (e.g. from `export-wtns`' witness) is checked by this crate's verifier.
pub fn parse_proof(text: &str) -> Result<Proof<Bn254>, VkJsonError> {
    let v: Value = serde_json::from_str(text).map_err(VkJsonError::Json)?;
    let obj = v.as_object().ok_or(VkJsonError::NotAnObject)?;
    let get = |name: &'static str| obj.get(name).ok_or(VkJsonError::Missing(name));
    if let Some(protocol) = obj.get("protocol") {
        if protocol.as_str() != Some("groth16") {
            return Err(VkJsonError::Protocol(protocol.to_string()));
        }
    }
    if let Some(curve) = obj.get("curve") {
        if curve.as_str() != Some("bn128") {
            return Err(VkJsonError::Curve(curve.to_string()));
        }
    }
    Ok(Proof {
        a: parse_g1(get("pi_a")?, "pi_a")?,
        b: parse_g2(get("pi_b")?, "pi_b")?,
        c: parse_g1(get("pi_c")?, "pi_c")?,
    })
}

/// Reads snarkjs's `verification_key.json` at `path` (see [`parse_verification_key`]).
#[cfg(feature = "files")]
pub fn read_verification_key(path: &Path) -> Result<VerifyingKey<Bn254>, SnarkjsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnarkjsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_verification_key(&text).map_err(|source| SnarkjsError::InvalidVerificationKey {
        path: path.to_path_buf(),
        source,
    })
}
