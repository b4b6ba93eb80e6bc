//! The escrow circuit's keys and proofs: one Groth16 key pair per shape `(k, n)`.
//!
//! Keys live in a subdirectory of a proving keys directory, `escrow-<k>-of-<n>/`, with the
//! same three files as a chunk key directory ([`crate::keys`]): `keys.json` (here with
//! `kind: "escrow"`, `threshold`, `trustees`), `proving_key.bin`, `vk.bin`. The escrow
//! file names its verifying key by [`circuit_id`].

use crate::keys::{
    invalid, io, read_key_file, write_file, write_key_files, ProvingKeysError, Setup, META_FILE,
    PK_FILE,
};
use crate::prove::ProveError;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use ark_snark::{CircuitSpecificSetupSNARK, SNARK};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use zkbackup_circuits::escrow::EscrowCircuit;
use zkbackup_core::escrow::{Deal, EscrowShape};
use zkbackup_verifier::bundle::circuit_id;

/// The escrow keys' `keys.json` version.
pub const ESCROW_KEYS_VERSION: u32 = 1;

/// An escrow key directory's `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowKeysMeta {
    /// [`ESCROW_KEYS_VERSION`].
    pub version: u32,
    /// Always `escrow` (a chunk key directory has no `kind`).
    pub kind: String,
    /// `k`.
    pub threshold: usize,
    /// `n`.
    pub trustees: usize,
    /// Constraints of the escrow circuit.
    pub constraints: usize,
    /// `0x` + SHA-256 of `vk.bin`.
    pub circuit_id: String,
    /// SHA-256 of `proving_key.bin`, hex.
    pub proving_key_sha256: String,
    /// Which setup made the key.
    pub setup: Setup,
}

/// The proving key of one escrow shape.
pub struct EscrowKeys {
    /// What the directory says about them.
    pub meta: EscrowKeysMeta,
    /// The proving key.
    pub pk: ProvingKey<Bn254>,
}

impl EscrowKeys {
    /// The subdirectory of a proving keys directory holding the keys of `shape`.
    pub fn dir(keys_dir: &Path, shape: EscrowShape) -> PathBuf {
        keys_dir.join(format!("escrow-{}-of-{}", shape.threshold, shape.trustees))
    }

    /// Runs a single-party Groth16 setup of the escrow circuit of `shape` with `rng` (the
    /// OS generator in the CLI): whoever ran it could forge escrow proofs.
    pub fn generate<R: RngCore + CryptoRng>(
        shape: EscrowShape,
        rng: &mut R,
    ) -> Result<Self, ProvingKeysError> {
        let cs = ConstraintSystem::new_ref();
        cs.set_mode(SynthesisMode::Setup);
        EscrowCircuit::setup(shape).generate_constraints(cs.clone())?;
        let constraints = cs.num_constraints();
        let (pk, _) = Groth16::<Bn254>::setup(EscrowCircuit::setup(shape), rng)?;
        Ok(Self {
            meta: EscrowKeysMeta {
                version: ESCROW_KEYS_VERSION,
                kind: "escrow".into(),
                threshold: shape.threshold,
                trustees: shape.trustees,
                constraints,
                circuit_id: circuit_id(&(&pk.vk).into()),
                proving_key_sha256: String::new(),
                setup: Setup::SingleParty,
            },
            pk,
        })
    }

    /// The shape the keys are for.
    pub fn shape(&self) -> EscrowShape {
        EscrowShape {
            threshold: self.meta.threshold,
            trustees: self.meta.trustees,
        }
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// `0x` + SHA-256 of the verifying key.
    pub fn circuit_id(&self) -> &str {
        &self.meta.circuit_id
    }

    /// Proves `deal` and checks the proof against the deal's public inputs before
    /// returning it (a proof that does not verify is a bug, never an output).
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        deal: &Deal,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        if deal.shape() != self.shape() {
            return Err(ProveError::Rejected(format!(
                "the deal is {}-of-{}, the keys are for {}-of-{}",
                deal.shape().threshold,
                deal.shape().trustees,
                self.meta.threshold,
                self.meta.trustees
            )));
        }
        let proof = Groth16::<Bn254>::prove(&self.pk, EscrowCircuit::from_deal(deal), rng)?;
        let pvk = Groth16::<Bn254>::process_vk(&self.pk.vk)?;
        if !Groth16::<Bn254>::verify_with_processed_vk(&pvk, &deal.public_inputs(), &proof)? {
            return Err(ProveError::Rejected(
                "the escrow proof does not verify (the deal does not satisfy the circuit)".into(),
            ));
        }
        Ok(proof)
    }

    /// Writes `escrow-<k>-of-<n>/` under `keys_dir` (refused if it holds keys). Each file
    /// is written to a temporary name and renamed.
    pub fn write(&mut self, keys_dir: &Path) -> Result<PathBuf, ProvingKeysError> {
        let dir = Self::dir(keys_dir, self.shape());
        if dir.join(META_FILE).exists() || dir.join(PK_FILE).exists() {
            return Err(ProvingKeysError::Exists(dir));
        }
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        self.meta.proving_key_sha256 = write_key_files(&dir, &self.pk)?;
        let meta = serde_json::to_vec_pretty(&self.meta).expect("serializable");
        write_file(&dir.join(META_FILE), &meta)?;
        Ok(dir)
    }

    /// Reads and checks the keys of `shape` under `keys_dir`: version, kind, shape, the
    /// proving key's hash, and its verifying key against the circuit id.
    pub fn read(keys_dir: &Path, shape: EscrowShape) -> Result<Self, ProvingKeysError> {
        let dir = Self::dir(keys_dir, shape);
        let meta_path = dir.join(META_FILE);
        let meta_text = fs::read(&meta_path).map_err(io(&meta_path))?;
        let meta: EscrowKeysMeta =
            serde_json::from_slice(&meta_text).map_err(|source| ProvingKeysError::Meta {
                path: meta_path.clone(),
                source,
            })?;
        if meta.version != ESCROW_KEYS_VERSION || meta.kind != "escrow" {
            return Err(invalid(
                &meta_path,
                format!(
                    "not escrow keys of version {ESCROW_KEYS_VERSION} (kind {:?}, version {})",
                    meta.kind, meta.version
                ),
            ));
        }
        if (meta.threshold, meta.trustees) != (shape.threshold, shape.trustees) {
            return Err(invalid(
                &meta_path,
                format!(
                    "keys for {}-of-{}, expected {}-of-{}",
                    meta.threshold, meta.trustees, shape.threshold, shape.trustees
                ),
            ));
        }
        let pk = read_key_file(&dir, &meta.proving_key_sha256, &meta.circuit_id)?;
        Ok(Self { meta, pk })
    }
}
