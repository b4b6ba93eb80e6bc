//! A toy Groth16 circuit with any number of public inputs (the chunk proof has five), for
//! tests of what only sees a verifying key, proofs and public inputs: the bundle verifier,
//! the Solidity verifier and gate, snarkjs export. Their work depends on the key and the
//! number of inputs, not on the circuit behind them, and the toy sets up and proves in
//! milliseconds.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use rand::{rngs::StdRng, CryptoRng, RngCore, SeedableRng};

/// Knows the square of each public input: every input appears in a constraint, so the proof
/// binds all of them (an input in no constraint has `IC_i = 0` and is not bound).
pub struct Toy(pub Vec<Fr>);

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        for x in self.0 {
            let input = cs.new_input_variable(|| Ok(x))?;
            let square = cs.new_witness_variable(|| Ok(x * x))?;
            cs.enforce_r1cs_constraint(|| input.into(), || input.into(), || square.into())?;
        }
        Ok(())
    }
}

/// The toy circuit's keys for `inputs` public inputs, deterministic in `seed`
/// (`pk.vk` is the verifying key).
pub fn setup(inputs: usize, seed: u64) -> ProvingKey<Bn254> {
    let mut rng = StdRng::seed_from_u64(seed);
    Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Toy(vec![Fr::from(0u64); inputs]),
        &mut rng,
    )
    .expect("toy setup")
}

/// A proof of `inputs` under `pk` (any inputs: the toy is satisfiable for all of them).
pub fn prove<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bn254>,
    inputs: &[Fr],
    rng: &mut R,
) -> Proof<Bn254> {
    Groth16::<Bn254>::create_random_proof_with_reduction(Toy(inputs.to_vec()), pk, rng)
        .expect("toy proof")
}

/// [`prove`] with randomness deterministic in `seed`.
pub fn prove_seeded(pk: &ProvingKey<Bn254>, inputs: &[Fr], seed: u64) -> Proof<Bn254> {
    prove(pk, inputs, &mut StdRng::seed_from_u64(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toy_proofs_verify_and_bind_every_input() {
        let pk = setup(5, 1);
        let inputs: Vec<Fr> = (1..=5u64).map(Fr::from).collect();
        let proof = prove_seeded(&pk, &inputs, 2);
        let pvk = ark_groth16::prepare_verifying_key(&pk.vk);
        assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &inputs).unwrap());
        for i in 0..5 {
            let mut other = inputs.clone();
            other[i] += Fr::from(1u64);
            assert!(!Groth16::<Bn254>::verify_proof(&pvk, &proof, &other).unwrap());
        }
    }
}
