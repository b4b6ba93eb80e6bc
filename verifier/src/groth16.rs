//! Groth16's verifier-side types and its single-proof pairing check, without ark-groth16.
//!
//! ark-groth16 always pulls the constraint system (ark-relations), ark-crypto-primitives and
//! ark-snark, which a verifier does not need. These types have the same fields in the same
//! order as `ark_groth16::{Proof, VerifyingKey, PreparedVerifyingKey}`, so their
//! `CanonicalSerialize` bytes are the same: `vk.bin`, the [circuit id](crate::circuit_id)
//! (SHA-256 of the compressed key) and the bundle are unchanged (`tests/ark_compat.rs`
//! compares them with ark-groth16's). With the `ark-groth16` feature, `From` converts both
//! ways, for the prover and the chain code, which make keys and proofs with ark-groth16.

use ark_bn254::{Bn254, Fr};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// A Groth16 proof `(A, B, C)` (ark-groth16's layout).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<E: Pairing> {
    /// `A`, in G1.
    pub a: E::G1Affine,
    /// `B`, in G2.
    pub b: E::G2Affine,
    /// `C`, in G1.
    pub c: E::G1Affine,
}

/// A Groth16 verifying key (ark-groth16's layout).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifyingKey<E: Pairing> {
    /// `α·G1`.
    pub alpha_g1: E::G1Affine,
    /// `β·G2`.
    pub beta_g2: E::G2Affine,
    /// `γ·G2`.
    pub gamma_g2: E::G2Affine,
    /// `δ·G2`.
    pub delta_g2: E::G2Affine,
    /// `IC_0, …, IC_n`: one point for the constant 1 and one per public input.
    pub gamma_abc_g1: Vec<E::G1Affine>,
}

impl<E: Pairing> Default for Proof<E> {
    /// Every point the identity (ark-groth16's default).
    fn default() -> Self {
        Self {
            a: E::G1Affine::default(),
            b: E::G2Affine::default(),
            c: E::G1Affine::default(),
        }
    }
}

impl<E: Pairing> Default for VerifyingKey<E> {
    /// Every point the identity, no `IC` points (ark-groth16's default).
    fn default() -> Self {
        Self {
            alpha_g1: E::G1Affine::default(),
            beta_g2: E::G2Affine::default(),
            gamma_g2: E::G2Affine::default(),
            delta_g2: E::G2Affine::default(),
            gamma_abc_g1: Vec::new(),
        }
    }
}

/// A verifying key with its pairing-side values precomputed (ark-groth16's layout).
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PreparedVerifyingKey<E: Pairing> {
    /// The key.
    pub vk: VerifyingKey<E>,
    /// `e(α, β)`.
    pub alpha_g1_beta_g2: E::TargetField,
    /// `−γ`, prepared for the Miller loop.
    pub gamma_g2_neg_pc: E::G2Prepared,
    /// `−δ`, prepared for the Miller loop.
    pub delta_g2_neg_pc: E::G2Prepared,
}

/// Prepares `vk` for verification: `e(α, β)`, and `−γ`, `−δ` prepared.
pub fn prepare_verifying_key<E: Pairing>(vk: &VerifyingKey<E>) -> PreparedVerifyingKey<E> {
    PreparedVerifyingKey {
        vk: vk.clone(),
        alpha_g1_beta_g2: E::pairing(vk.alpha_g1, vk.beta_g2).0,
        gamma_g2_neg_pc: (-vk.gamma_g2.into_group()).into_affine().into(),
        delta_g2_neg_pc: (-vk.delta_g2.into_group()).into_affine().into(),
    }
}

/// The Groth16 check `e(A, B) · e(IC(x), −γ) · e(C, −δ) = e(α, β)`, with
/// `IC(x) = IC_0 + Σ x_i·IC_i`: one 3-pair Miller loop and one final exponentiation, as
/// ark-groth16's `verify_proof`. The caller has checked that `public_inputs` has one element
/// per `IC_i` (`i ≥ 1`) and that the proof's points are in their groups
/// ([`verify_chunk`](crate::verify_chunk) does both).
pub(crate) fn pairing_check(
    pvk: &PreparedVerifyingKey<Bn254>,
    proof: &Proof<Bn254>,
    public_inputs: &[Fr],
) -> bool {
    let ic = &pvk.vk.gamma_abc_g1;
    let mut prepared = ic[0].into_group();
    for (x, point) in public_inputs.iter().zip(&ic[1..]) {
        prepared += point.mul_bigint(x.into_bigint());
    }
    let miller = Bn254::multi_miller_loop(
        [proof.a, prepared.into_affine(), proof.c],
        [
            proof.b.into(),
            pvk.gamma_g2_neg_pc.clone(),
            pvk.delta_g2_neg_pc.clone(),
        ],
    );
    Bn254::final_exponentiation(miller).is_some_and(|t| t.0 == pvk.alpha_g1_beta_g2)
}

/// Conversions from and to ark-groth16's types (the same fields, moved).
#[cfg(feature = "ark-groth16")]
mod ark {
    use super::{PreparedVerifyingKey, Proof, VerifyingKey};
    use ark_ec::pairing::Pairing;

    impl<E: Pairing> From<ark_groth16::Proof<E>> for Proof<E> {
        fn from(p: ark_groth16::Proof<E>) -> Self {
            Self {
                a: p.a,
                b: p.b,
                c: p.c,
            }
        }
    }

    impl<E: Pairing> From<&ark_groth16::Proof<E>> for Proof<E> {
        fn from(p: &ark_groth16::Proof<E>) -> Self {
            p.clone().into()
        }
    }

    impl<E: Pairing> From<Proof<E>> for ark_groth16::Proof<E> {
        fn from(p: Proof<E>) -> Self {
            Self {
                a: p.a,
                b: p.b,
                c: p.c,
            }
        }
    }

    impl<E: Pairing> From<ark_groth16::VerifyingKey<E>> for VerifyingKey<E> {
        fn from(vk: ark_groth16::VerifyingKey<E>) -> Self {
            Self {
                alpha_g1: vk.alpha_g1,
                beta_g2: vk.beta_g2,
                gamma_g2: vk.gamma_g2,
                delta_g2: vk.delta_g2,
                gamma_abc_g1: vk.gamma_abc_g1,
            }
        }
    }

    impl<E: Pairing> From<&ark_groth16::VerifyingKey<E>> for VerifyingKey<E> {
        fn from(vk: &ark_groth16::VerifyingKey<E>) -> Self {
            vk.clone().into()
        }
    }

    impl<E: Pairing> From<VerifyingKey<E>> for ark_groth16::VerifyingKey<E> {
        fn from(vk: VerifyingKey<E>) -> Self {
            Self {
                alpha_g1: vk.alpha_g1,
                beta_g2: vk.beta_g2,
                gamma_g2: vk.gamma_g2,
                delta_g2: vk.delta_g2,
                gamma_abc_g1: vk.gamma_abc_g1,
            }
        }
    }

    impl<E: Pairing> From<PreparedVerifyingKey<E>> for ark_groth16::PreparedVerifyingKey<E> {
        fn from(pvk: PreparedVerifyingKey<E>) -> Self {
            Self {
                vk: pvk.vk.into(),
                alpha_g1_beta_g2: pvk.alpha_g1_beta_g2,
                gamma_g2_neg_pc: pvk.gamma_g2_neg_pc,
                delta_g2_neg_pc: pvk.delta_g2_neg_pc,
            }
        }
    }
}
