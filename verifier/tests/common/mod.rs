//! Honest bundles made with the toy Groth16 circuit (`zkbackup_tests::toy`) with the chunk
//! proof's five public inputs. The verifier's cost does not depend on the circuit's size, only on the
//! number of public inputs, so the toy circuit exercises exactly what the real one would.
#![allow(dead_code)]

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::ProvingKey;
use rand::{rngs::StdRng, SeedableRng};
use zkbackup_core::lean_imt;
use zkbackup_tests::toy;
use zkbackup_verifier::{
    circuit_id, verify_bundle_with_rng, BackupChunk, BackupSummary, Bundle, ChunkProof,
    ChunkPublic, ChunkShape, Expected, Nonce, Proof, Summary, VerifyError, VerifyingKey,
    BUNDLE_VERSION,
};

/// The toy circuit's proving key (ark-groth16's) and its verifying key as the verifier
/// holds it.
pub struct ToyKeys {
    pub pk: ProvingKey<Bn254>,
    pub vk: VerifyingKey<Bn254>,
}

/// Keys for the toy circuit with `n` public inputs.
pub fn setup(n: usize, seed: u64) -> ToyKeys {
    let pk = toy::setup(n, seed);
    let vk = pk.vk.clone().into();
    ToyKeys { pk, vk }
}

/// A proof of `inputs` under `keys`, converted to the verifier's type.
pub fn prove(keys: &ToyKeys, inputs: &[Fr], rng: &mut StdRng) -> Proof<Bn254> {
    toy::prove(&keys.pk, inputs, rng).into()
}

/// The lineage of every fixture's nonces.
pub const LINEAGE: u64 = 0x1234_5678_9abc_def0;
/// The version (generation) of every fixture's nonces.
pub const GENERATION: u32 = 0x1122_3344;

/// An honest bundle, the backup summary it matches, the key's shape, and what an auditor
/// trusts (the root it proves, its record count, its key commitment).
pub struct Fixture {
    pub pk: ToyKeys,
    pub vk: VerifyingKey<Bn254>,
    pub shape: ChunkShape,
    pub bundle: Bundle,
    pub backup: BackupSummary,
    pub root: Fr,
    pub expected: Expected,
}

impl Fixture {
    /// Verifies the bundle against everything the fixture holds (a seeded batch RNG).
    pub fn verify(&self) -> Result<Summary, VerifyError> {
        self.verify_with(&self.expected, Some(&self.backup))
    }

    /// Verifies the bundle against `expected` and `backup`.
    pub fn verify_with(
        &self,
        expected: &Expected,
        backup: Option<&BackupSummary>,
    ) -> Result<Summary, VerifyError> {
        let mut rng = StdRng::seed_from_u64(42);
        verify_bundle_with_rng(
            &self.bundle,
            &self.vk,
            self.shape,
            expected,
            backup,
            &mut rng,
        )
    }

    /// Re-proves chunk `j` after `alter` changed its public inputs: a *valid* proof of the
    /// altered inputs, so only the verifier's cross-checks can catch the change.
    pub fn reprove(&mut self, j: usize, alter: impl FnOnce(&mut ChunkPublic), rng: &mut StdRng) {
        let entry = &mut self.bundle.chunks[j];
        alter(&mut entry.public_inputs);
        entry.proof = prove(&self.pk, &entry.public_inputs.to_inputs(), rng);
    }
}

/// `records` records in chunks of `chunk_size`, random chunk values, proofs with the toy
/// circuit.
pub fn fixture(records: u64, chunk_size: usize, seed: u64) -> Fixture {
    let pk = setup(5, seed);
    let vk = pk.vk.clone();
    let mut rng = StdRng::seed_from_u64(seed + 1);
    let n = records.div_ceil(chunk_size as u64) as usize;
    let key_commitment = Fr::rand(&mut rng);
    let mut chunks = Vec::with_capacity(n);
    let mut backup_chunks = Vec::with_capacity(n);
    for j in 0..n {
        let count = if j + 1 < n {
            chunk_size as u64
        } else {
            records - chunk_size as u64 * (n as u64 - 1)
        };
        let nonce = Nonce::new(LINEAGE, GENERATION, j as u32).to_u128();
        let public_inputs = ChunkPublic {
            chunk_root: Fr::rand(&mut rng),
            chunk_commitment: Fr::rand(&mut rng),
            key_commitment,
            nonce: Fr::from(nonce),
            count: Fr::from(count),
        };
        let proof = prove(&pk, &public_inputs.to_inputs(), &mut rng);
        backup_chunks.push(BackupChunk {
            nonce,
            commitment: public_inputs.chunk_commitment,
            count,
        });
        chunks.push(ChunkProof {
            index: j,
            public_inputs,
            proof,
        });
    }
    let roots: Vec<Fr> = chunks.iter().map(|c| c.public_inputs.chunk_root).collect();
    let commitments: Vec<Fr> = backup_chunks.iter().map(|c| c.commitment).collect();
    let root = lean_imt::root_of_chunk_roots(&roots).unwrap();
    let commitment = lean_imt::root(&commitments).unwrap();
    let bundle = Bundle {
        version: BUNDLE_VERSION,
        circuit_id: circuit_id(&vk),
        chain_id: None,
        contract: None,
        block: None,
        arity: 4,
        chunk_size,
        records,
        root,
        commitment,
        key_commitment,
        chunks,
    };
    let backup = BackupSummary {
        root,
        commitment,
        key_commitment,
        arity: 4,
        chunk_size,
        records,
        chunks: backup_chunks,
    };
    Fixture {
        pk,
        vk,
        shape: ChunkShape {
            arity: 4,
            chunk_size,
        },
        bundle,
        backup,
        root,
        expected: Expected {
            root,
            size: records,
            key_commitment,
        },
    }
}
