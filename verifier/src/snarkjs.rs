//! Export to snarkjs's JSON formats, so that `snarkjs groth16 verify` checks our proofs:
//! `verification_key.json`, and per chunk `proof_<i>.json` and `public_<i>.json`.
//!
//! snarkjs writes every number as a decimal string and every point in projective form with
//! `z = 1` (`["0", "1", "0"]` is the point at infinity). A G2 coordinate `c0 + c1·u` is
//! `[c0, c1]` (snarkjs's own order; only the Solidity calldata swaps it). `vk_alphabeta_12`
//! is `e(α, β)` in `Fq12 = Fq6[w]`, `Fq6 = Fq2[v]`, nested as `[[c0.c0, c0.c1, c0.c2],
//! [c1.c0, c1.c1, c1.c2]]` of `[c0, c1]` pairs; `snarkjs groth16 verify` does not read it.

use crate::bundle::{circuit_id, Bundle};
use ark_bn254::{Bn254, Fq12, Fr, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use zkbackup_circuits::fs::write_atomic;

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
            &chunk.public_inputs.to_array(),
            &chunk.proof,
        )?;
        written.extend(paths);
    }
    Ok(written)
}
