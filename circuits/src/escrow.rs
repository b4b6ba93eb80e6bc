//! `EscrowCircuit`: the Groth16 circuit of a k-of-n key escrow (one circuit per shape).
//!
//! Layout (threshold `k`, `n` trustees):
//! - public inputs `K, digest, P_1.x, P_1.y, …, P_n.x, P_n.y` (that order), `2 + 2n`;
//! - witnesses: the polynomials' coefficients `c_{j,t}` (`j ∈ {0, 1}`, `t < k`,
//!   `c_{j,0} = k_j`), the 251 bits of the ephemeral scalar `e`, per trustee a point `Q_i`
//!   with `P_i = 8·Q_i`, and the gadgets' internal values.
//!
//! Constraints:
//! 1. `Poseidon(D_key, c_{0,0}, c_{1,0}) = K`: the constant terms are the key behind `K`;
//! 2. the shares `y_{j,i} = Σ_t c_{j,t}·i^t` are linear combinations (no constraint): one
//!    polynomial of degree `< k` per key element, evaluated at `x_i = i`;
//! 3. `E = e·Base8` and `E.x ≠ 0` (`e ≢ 0 mod l`: a zero `e` makes every shared point `O`);
//! 4. per trustee: `P_i = 8·Q_i` (so `P_i` is in the prime-order subgroup), `P_i.x ≠ 0`
//!    (not the identity), `S_i = e·P_i`, and `ct_i` = poseidon-cipher of
//!    `[y_{0,i}, y_{1,i}]` under `[S_i.x, S_i.y]` with nonce `i` (4 elements);
//! 5. `digest` = the escrow digest of `[k, n, E.x, E.y, ct_1, …, ct_n]`
//!    ([`zkbackup_core::escrow::escrow_digest`]).
//!
//! # Security
//! - A threshold lie needs another circuit: `k` and `n` are constants of this one (and are
//!   hashed into the digest), and there are only `k` coefficients per key element, so no
//!   share can lie off the polynomial.
//! - A ciphertext to someone other than `P_i` does not hash to the digest: `S_i` is computed
//!   from the public `P_i` itself.
//! - `P_i` is allocated as a witness through arkworks' cofactor check (`8·Q_i`); a public
//!   `AffineVar` input would skip it. A low-order `P_i` would leave `S_i` among at most 8
//!   points anyone can try.
//! - The bits of `e` may encode any integer below `2^251` (Diffie–Hellman holds for every
//!   integer), so there is no range check; only `e ≡ 0` is refused, through `E ≠ O`.
//! - Arkworks' twisted Edwards formulas are complete (`d` is not a square), so the scalar
//!   multiplications need no exceptional-case handling.

use crate::cipher::CipherVar;
use crate::poseidon::PoseidonVar;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use ark_r1cs_std::{
    alloc::AllocVar,
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
    groups::{curves::twisted_edwards::AffineVar, CurveVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use zeroize::Zeroize;
use zkbackup_core::babyjubjub::{base8, BabyJubjub, Point, PointProjective, Scalar};
use zkbackup_core::commitment::GROUP;
use zkbackup_core::escrow::{escrow_domain, Deal, EscrowShape};
use zkbackup_core::escrow_key::key_commitment_domain;

/// A Baby Jubjub point in the circuit.
pub type PointVar = AffineVar<BabyJubjub, FpVar<Fr>>;

/// Bits of the ephemeral scalar in the circuit: `l` has 251 bits.
pub const EPHEMERAL_BITS: usize = 251;

/// The escrow's public values: what a verifier (and the registry) knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscrowPublic {
    /// `K`, the key commitment.
    pub key_commitment: Fr,
    /// The escrow digest of the shape, `E` and the ciphertexts.
    pub digest: Fr,
    /// `P_1 … P_n`, trustee `i` at position `i − 1`.
    pub trustees: Vec<Point>,
}

impl EscrowPublic {
    /// The public inputs `[K, digest, P_1.x, P_1.y, …]`.
    pub fn inputs(&self) -> Vec<Fr> {
        let mut out = vec![self.key_commitment, self.digest];
        for p in &self.trustees {
            out.extend([p.x, p.y]);
        }
        out
    }
}

/// The dealer's secrets: the polynomials' coefficients and the ephemeral scalar. Wiped
/// from memory on drop.
#[derive(Clone)]
pub struct EscrowSecret {
    /// `coefficients[j][t]` = `c_{j,t}`; `coefficients[j][0]` is key element `j`.
    pub coefficients: [Vec<Fr>; 2],
    /// `e`, with `E = e·Base8`.
    pub ephemeral: Scalar,
}

impl Drop for EscrowSecret {
    fn drop(&mut self) {
        self.coefficients[0].zeroize();
        self.coefficients[1].zeroize();
        self.ephemeral.zeroize();
    }
}

/// The escrow circuit of one shape. With no assignment it synthesizes the shape alone.
#[derive(Clone)]
pub struct EscrowCircuit {
    shape: EscrowShape,
    assignment: Option<(EscrowSecret, EscrowPublic)>,
}

impl EscrowCircuit {
    /// The circuit for setup: shape only.
    pub fn setup(shape: EscrowShape) -> Self {
        Self {
            shape,
            assignment: None,
        }
    }

    /// The circuit proving that `secret` makes `public`. The public values are not
    /// recomputed here: a wrong claim leaves the system unsatisfied.
    pub fn prove(shape: EscrowShape, secret: EscrowSecret, public: EscrowPublic) -> Self {
        Self {
            shape,
            assignment: Some((secret, public)),
        }
    }

    /// The circuit proving `deal` (its secrets copied into the circuit, wiped on drop).
    pub fn from_deal(deal: &Deal) -> Self {
        Self::prove(
            deal.shape(),
            EscrowSecret {
                coefficients: deal.polynomials().coefficients().clone(),
                ephemeral: *deal.ephemeral_secret(),
            },
            EscrowPublic {
                key_commitment: deal.key_commitment(),
                digest: deal.digest(),
                trustees: deal.trustees().to_vec(),
            },
        )
    }

    /// The public values a proving circuit proves (`None` for setup).
    pub fn public(&self) -> Option<&EscrowPublic> {
        self.assignment.as_ref().map(|(_, p)| p)
    }

    /// The circuit's shape.
    pub fn shape(&self) -> EscrowShape {
        self.shape
    }
}

fn value<T>(v: Option<T>) -> Result<T, SynthesisError> {
    v.ok_or(SynthesisError::AssignmentMissing)
}

/// Enforces `x ≠ 0`: `x · x⁻¹ = 1` with the inverse a witness (0 when `x = 0`, which
/// leaves the system unsatisfied rather than failing witness generation).
fn enforce_nonzero(cs: &ConstraintSystemRef<Fr>, x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let inverse = FpVar::new_witness(cs.clone(), || {
        Ok(x.value()?.inverse().unwrap_or_else(Fr::zero))
    })?;
    x.mul_equals(&inverse, &FpVar::one())
}

/// `[x, y]` of a point variable.
fn coordinates(p: &PointVar) -> [FpVar<Fr>; 2] {
    [p.x.clone(), p.y.clone()]
}

impl ConstraintSynthesizer<Fr> for EscrowCircuit {
    #[tracing::instrument(target = "gr1cs", skip_all, fields(k = self.shape.threshold, n = self.shape.trustees))]
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let EscrowShape {
            threshold: k,
            trustees: n,
        } = self.shape;
        let secret = self.assignment.as_ref().map(|(s, _)| s);
        let public = self.assignment.as_ref().map(|(_, p)| p);
        if let Some((s, p)) = &self.assignment {
            if p.trustees.len() != n || s.coefficients.iter().any(|c| c.len() != k) {
                return Err(SynthesisError::Unsatisfiable);
            }
        }

        // Public inputs, in the documented order.
        let key_commitment =
            FpVar::new_input(cs.clone(), || value(public.map(|p| p.key_commitment)))?;
        let digest = FpVar::new_input(cs.clone(), || value(public.map(|p| p.digest)))?;
        let trustee_inputs = (0..n)
            .map(|i| {
                let point = public.map(|p| p.trustees[i]);
                Ok([
                    FpVar::new_input(cs.clone(), || value(point.map(|p| p.x)))?,
                    FpVar::new_input(cs.clone(), || value(point.map(|p| p.y)))?,
                ])
            })
            .collect::<Result<Vec<_>, SynthesisError>>()?;

        // 1. The coefficients; the constant terms are the key behind K.
        let coefficients = [0, 1].map(|j| {
            (0..k)
                .map(|t| {
                    FpVar::new_witness(cs.clone(), || value(secret.map(|s| s.coefficients[j][t])))
                })
                .collect::<Result<Vec<_>, _>>()
        });
        let [c0, c1] = coefficients;
        let (c0, c1) = (c0?, c1?);
        PoseidonVar::hash(&[
            FpVar::constant(key_commitment_domain()),
            c0[0].clone(),
            c1[0].clone(),
        ])?
        .enforce_equal(&key_commitment)?;

        // 3. E = e·Base8, E ≠ O.
        let e_bits = secret.map(|s| s.ephemeral.into_bigint().to_bits_le());
        let bits = (0..EPHEMERAL_BITS)
            .map(|b| {
                Boolean::new_witness(cs.clone(), || value(e_bits.as_ref().map(|bits| bits[b])))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut powers = Vec::with_capacity(EPHEMERAL_BITS);
        let mut power: PointProjective = base8().into();
        for _ in 0..EPHEMERAL_BITS {
            powers.push(power);
            power.double_in_place();
        }
        let mut ephemeral = PointVar::zero();
        ephemeral.precomputed_base_scalar_mul_le(bits.iter().zip(powers.iter()))?;
        enforce_nonzero(&cs, &ephemeral.x)?;

        // 5. The digest's elements, gathered as they are made.
        let mut elements = vec![
            FpVar::constant(Fr::from(k as u64)),
            FpVar::constant(Fr::from(n as u64)),
            ephemeral.x.clone(),
            ephemeral.y.clone(),
        ];

        // 4. Per trustee.
        for (i, input) in trustee_inputs.iter().enumerate() {
            let index = (i + 1) as u64;
            // P_i through the cofactor check, equal to the public input, not O.
            let point = PointVar::new_witness(cs.clone(), || {
                value(public.map(|p| PointProjective::from(p.trustees[i])))
            })?;
            point.x.enforce_equal(&input[0])?;
            point.y.enforce_equal(&input[1])?;
            enforce_nonzero(&cs, &point.x)?;
            let shared = point.scalar_mul_le(bits.iter())?;
            // 2. The shares, Horner at x = i (constants: linear).
            let x = Fr::from(index);
            let share = [&c0, &c1].map(|c| {
                c.iter()
                    .rev()
                    .fold(FpVar::zero(), |acc: FpVar<Fr>, ct| acc * x + ct)
            });
            let ciphertext = CipherVar::encrypt(
                &coordinates(&shared),
                &FpVar::constant(Fr::from(index)),
                &share,
                &[Boolean::TRUE, Boolean::TRUE],
                &FpVar::constant(Fr::from(2u64)),
            )?;
            elements.extend(ciphertext);
        }

        // 5. The digest: h_0 = D_esc, h_{g+1} = Poseidon(h_g, 15 elements, zero-padded).
        let mut h = FpVar::constant(escrow_domain());
        for group in elements.chunks(GROUP) {
            let mut input = Vec::with_capacity(GROUP + 1);
            input.push(h);
            input.extend_from_slice(group);
            input.resize(GROUP + 1, FpVar::zero());
            h = PoseidonVar::hash(&input)?;
        }
        h.enforce_equal(&digest)?;
        Ok(())
    }
}
