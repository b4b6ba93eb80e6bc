//! One Groth16 proof against its public inputs: [`verify_chunk`], and the checks it shares
//! with [`batch_verify`](crate::batch_verify) (the key's input count, the proof's points).

use crate::error::{PointProblem, VerifyError};
use crate::groth16::{pairing_check, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_bn254::{Bn254, Fr};

/// The public inputs `vk` takes (`gamma_abc_g1` has one more entry, for the constant 1).
pub(crate) fn expected_inputs(vk: &VerifyingKey<Bn254>) -> Result<usize, VerifyError> {
    vk.gamma_abc_g1
        .len()
        .checked_sub(1)
        .ok_or(VerifyError::MalformedVerifyingKey {
            reason: "gamma_abc_g1 is empty",
        })
}

/// Checks that the proof's points are valid group elements. Points read from a bundle or
/// deserialized with validation already are; this guards proofs built by hand.
pub(crate) fn check_points(proof: &Proof<Bn254>, chunk: Option<usize>) -> Result<(), VerifyError> {
    let invalid = |point, problem| VerifyError::InvalidPoint {
        chunk,
        point,
        problem,
    };
    for (name, p) in [("a", &proof.a), ("c", &proof.c)] {
        if !p.is_on_curve() {
            return Err(invalid(name, PointProblem::NotOnCurve));
        }
        if !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(invalid(name, PointProblem::NotInSubgroup));
        }
    }
    if !proof.b.is_on_curve() {
        return Err(invalid("b", PointProblem::NotOnCurve));
    }
    if !crate::subgroup::g2_in_subgroup(&proof.b) {
        return Err(invalid("b", PointProblem::NotInSubgroup));
    }
    Ok(())
}

/// Verifies one Groth16 proof against its public inputs.
///
/// # Errors
/// [`VerifyError::PublicInputLength`] if `public_inputs` has not as many elements as the key
/// takes, [`VerifyError::InvalidPoint`] for a proof point outside the group,
/// [`VerifyError::InvalidProof`] (with `chunk: None`) if the proof does not verify.
pub fn verify_chunk(
    pvk: &PreparedVerifyingKey<Bn254>,
    public_inputs: &[Fr],
    proof: &Proof<Bn254>,
) -> Result<(), VerifyError> {
    verify_one(pvk, public_inputs, proof, None)
}

/// [`verify_chunk`], naming `chunk` in its errors.
pub(crate) fn verify_one(
    pvk: &PreparedVerifyingKey<Bn254>,
    public_inputs: &[Fr],
    proof: &Proof<Bn254>,
    chunk: Option<usize>,
) -> Result<(), VerifyError> {
    let expected = expected_inputs(&pvk.vk)?;
    if public_inputs.len() != expected {
        return Err(VerifyError::PublicInputLength {
            expected,
            got: public_inputs.len(),
        });
    }
    check_points(proof, chunk)?;
    if pairing_check(pvk, proof, public_inputs) {
        Ok(())
    } else {
        Err(VerifyError::InvalidProof { chunk })
    }
}
