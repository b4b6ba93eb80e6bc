//! Verifiable k-of-n escrow of the backup key: Shamir shares over BN254 Fr, each encrypted to
//! a trustee's Baby Jubjub key with ECDH and poseidon-cipher (MACI's scheme, nonce = index),
//! and the digest the escrow proof binds.
//!
//! # Specification
//! Inputs: the escrow key `(k0, k1)` ([`EscrowKey`], commitment `K`), a shape `(k, n)`
//! ([`EscrowShape`]: `1 ≤ k ≤ n ≤` [`MAX_TRUSTEES`]) and the trustees' public keys
//! `P_1 .. P_n` (each on Baby Jubjub, in the prime-order subgroup, not the identity, pairwise
//! distinct; list order = index).
//!
//! 1. **Shares.** Two polynomials over Fr of degree `≤ k − 1`, `f_j(x) = Σ_{t<k} c_{j,t}·x^t`,
//!    with `c_{j,0} = k_j` and the other coefficients uniform ([`Polynomials`]). Trustee `i`
//!    (`x_i = i`, `i = 1 ..= n`; never 0, which is the key itself) gets the share
//!    `(f_0(i), f_1(i))` ([`share_values`]). Any `k` shares determine the key (Lagrange at 0,
//!    [`recover`]); any `k − 1` fit every key equally (see the tests).
//! 2. **Ephemeral key.** The dealer draws `e` uniformly in `[1, l − 1]` and publishes
//!    `E = e·Base8`.
//! 3. **Encryption.** `S_i = e·P_i` (ECDH); `ct_i = poseidonEncrypt([f_0(i), f_1(i)],
//!    key = [S_i.x, S_i.y], nonce = i)`, four elements `[c0, c1, c2, tag]`
//!    ([`encrypt_share`], [`crate::cipher::encrypt`]). Trustee `i` recomputes `S_i = s_i·E`
//!    and decrypts with the tag checked ([`open_share`]). The nonce `i` makes every
//!    (key, nonce) pair distinct even if two trustees shared a key.
//! 4. **Digest.** Over the list `L = [k, n, E.x, E.y, ct_1[0..4], …, ct_n[0..4]]`
//!    (`4 + 4n` elements): `h_0 =` [`escrow_domain`] (`zkbackup/escrow/v1` as a big-endian
//!    integer), `h_{g+1} = Poseidon16(h_g, L[15g .. 15g + 15])` with the last group
//!    zero-padded, and the digest is the last `h` ([`escrow_digest`]). The chunk commitment's
//!    chain, with the domain instead of the length as `h_0` (the length is fixed by `n`).
//! 5. **Public inputs** of the escrow proof: `[K, digest, P_1.x, P_1.y, …, P_n.x, P_n.y]`
//!    ([`public_inputs`]).
//!
//! Coordinates are zk-kit's throughout ([`crate::babyjubjub`]). Shares are never reduced
//! mod `l`, nor scalars mod `q`.
//!
//! # `k = 1`
//! Allowed: every trustee alone holds the key (each share is the key itself, encrypted to
//! that trustee). It is the "n copies" escrow; the proof still shows each copy is the key
//! behind `K`.
//!
//! # Why at most 16 trustees
//! The escrow circuit costs ≈3.8k constraints per trustee and the verifier one ecMul per
//! public input (`2 + 2n`): 16 trustees is ≈64k constraints and 34 inputs, the largest
//! circuit and verifier we are willing to ship. [`recover`] tries every `k`-subset of the
//! shares given: at most `C(16, 8) = 12870`, under a second. The digest of 16 trustees is
//! 68 elements, 5 Poseidon16 calls. The design's registry stores `k` and `n` as `uint8`.
//!
//! # What the digest does not hold
//! The trustees' keys: they are public inputs of their own, so the chain sees them without
//! hashing them. `k` and `n` are in both the digest and the verifying key's shape.

use crate::babyjubjub::{base8, checked_point, mul, Point, PointError, Scalar};
use crate::cipher::{self, CipherError};
use crate::escrow_key::EscrowKey;
use crate::trustee_key::{shared_point, TrusteeSecret};
use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The ASCII bytes of the escrow digest's domain tag.
pub const ESCROW_DOMAIN: &[u8] = b"zkbackup/escrow/v1";

/// The most trustees an escrow may have (see the module docs).
pub const MAX_TRUSTEES: usize = 16;

/// Elements of one encrypted share: `[c0, c1, c2, tag]`.
pub const SHARE_CIPHERTEXT_LEN: usize = 4;

/// Elements absorbed per Poseidon16 call of the digest chain.
pub const DIGEST_GROUP: usize = crate::commitment::GROUP;

/// `zkbackup/escrow/v1` as a big-endian integer: `h_0` of the digest chain.
pub fn escrow_domain() -> Fr {
    Fr::from_be_bytes_mod_order(ESCROW_DOMAIN)
}

/// Why an escrow cannot be dealt, or a share not opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EscrowError {
    /// `k = 0`.
    #[error("the threshold must be at least 1")]
    ZeroThreshold,
    /// `k > n`.
    #[error("the threshold {threshold} exceeds the number of trustees {trustees}")]
    ThresholdAboveTrustees {
        /// `k`.
        threshold: usize,
        /// `n`.
        trustees: usize,
    },
    /// `n > MAX_TRUSTEES`.
    #[error("{trustees} trustees, at most {max} are supported")]
    TooManyTrustees {
        /// `n`.
        trustees: usize,
        /// [`MAX_TRUSTEES`].
        max: usize,
    },
    /// The trustee list's length is not the shape's `n`.
    #[error("{got} trustee keys for an escrow of {expected} trustees")]
    TrusteeCount {
        /// `n`.
        expected: usize,
        /// Keys given.
        got: usize,
    },
    /// A trustee's public key is not a valid Baby Jubjub public key.
    #[error("trustee {index}'s public key")]
    BadTrustee {
        /// The trustee's index (1-based).
        index: u64,
        /// What is wrong with the point.
        #[source]
        source: PointError,
    },
    /// Two trustees have the same public key (one person would hold two shares).
    #[error("trustees {first} and {second} have the same public key")]
    DuplicateTrustee {
        /// The first index.
        first: u64,
        /// The second index.
        second: u64,
    },
    /// The ephemeral public key `E` is not a valid Baby Jubjub public key.
    #[error("the ephemeral public key")]
    BadEphemeral(#[source] PointError),
    /// The polynomials do not have `k` coefficients each.
    #[error("polynomials with {got} coefficients for a threshold of {threshold}")]
    PolynomialDegree {
        /// `k`.
        threshold: usize,
        /// Coefficients per polynomial given.
        got: usize,
    },
    /// The two polynomials have different numbers of coefficients, or none.
    #[error(
        "the two polynomials have {0} and {1} coefficients (need the same number, at least 1)"
    )]
    PolynomialShape(usize, usize),
    /// The ephemeral secret `e` is zero (every shared point would be the identity).
    #[error("the ephemeral secret is zero")]
    ZeroEphemeral,
    /// A share index outside `1 ..= n`.
    #[error("share index {index} is not in 1..={trustees}")]
    Index {
        /// The index.
        index: u64,
        /// `n`.
        trustees: usize,
    },
    /// Share index 0 (the polynomials at 0 are the key itself: no trustee has index 0).
    #[error("share index 0 is not a trustee's")]
    ZeroIndex,
    /// The share does not decrypt (wrong trustee key, index or ephemeral key, or an altered
    /// ciphertext).
    #[error("share {index} does not decrypt")]
    Decrypt {
        /// The share's index.
        index: u64,
        /// The cipher's error (the tag, for a wrong key).
        #[source]
        source: CipherError,
    },
}

/// An escrow's shape: `k` of `n` trustees recover the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EscrowShape {
    /// `k`: shares needed to recover the key.
    pub threshold: usize,
    /// `n`: trustees (shares dealt).
    pub trustees: usize,
}

/// `k-of-n`.
impl fmt::Display for EscrowShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-of-{}", self.threshold, self.trustees)
    }
}

impl EscrowShape {
    /// `k`-of-`n`, checked: `1 ≤ k ≤ n ≤` [`MAX_TRUSTEES`].
    pub fn new(threshold: usize, trustees: usize) -> Result<Self, EscrowError> {
        if threshold == 0 {
            return Err(EscrowError::ZeroThreshold);
        }
        if threshold > trustees {
            return Err(EscrowError::ThresholdAboveTrustees {
                threshold,
                trustees,
            });
        }
        if trustees > MAX_TRUSTEES {
            return Err(EscrowError::TooManyTrustees {
                trustees,
                max: MAX_TRUSTEES,
            });
        }
        Ok(Self {
            threshold,
            trustees,
        })
    }

    /// Whether `index` is a trustee's index, `1 ..= n`.
    pub fn has_index(&self, index: u64) -> bool {
        index >= 1 && index <= self.trustees as u64
    }
}

/// The two sharing polynomials `f_0, f_1` (coefficients from degree 0 up; the constant terms
/// are the key). Overwritten with zeros on drop; `Debug` prints only the threshold.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Polynomials {
    coefficients: [Vec<Fr>; 2],
}

impl fmt::Debug for Polynomials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Polynomials")
            .field("threshold", &self.threshold())
            .finish_non_exhaustive()
    }
}

impl Polynomials {
    /// Polynomials of degree `≤ threshold − 1` with the key as constant terms and the other
    /// coefficients uniform from `rng`.
    ///
    /// # Panics
    /// If `threshold` is 0 (an [`EscrowShape`] never has it).
    pub fn random_with<R: RngCore + CryptoRng>(
        rng: &mut R,
        key: &EscrowKey,
        threshold: usize,
    ) -> Self {
        assert!(threshold >= 1, "a threshold of at least 1");
        let coefficients = key.elements().map(|k| {
            let mut c = Vec::with_capacity(threshold);
            c.push(k);
            c.extend((1..threshold).map(|_| Fr::rand(rng)));
            c
        });
        Self { coefficients }
    }

    /// Polynomials from their coefficients (degree 0 first); both need the same number, at
    /// least 1.
    pub fn from_coefficients(coefficients: [Vec<Fr>; 2]) -> Result<Self, EscrowError> {
        let (a, b) = (coefficients[0].len(), coefficients[1].len());
        if a != b || a == 0 {
            return Err(EscrowError::PolynomialShape(a, b));
        }
        Ok(Self { coefficients })
    }

    /// `[f_0, f_1]`, coefficients from degree 0 up.
    pub fn coefficients(&self) -> &[Vec<Fr>; 2] {
        &self.coefficients
    }

    /// `k`: coefficients per polynomial.
    pub fn threshold(&self) -> usize {
        self.coefficients[0].len()
    }

    /// The constant terms, i.e. the key.
    pub fn key(&self) -> EscrowKey {
        EscrowKey::from_elements(self.coefficients.each_ref().map(|c| c[0]))
    }
}

/// `(f_0(index), f_1(index))` by Horner's rule: trustee `index`'s share.
pub fn share_values(p: &Polynomials, index: u64) -> [Fr; 2] {
    let x = Fr::from(index);
    p.coefficients
        .each_ref()
        .map(|c| c.iter().rev().fold(Fr::zero(), |acc, &ct| acc * x + ct))
}

fn cipher_key(shared: &Point) -> EscrowKey {
    EscrowKey::from_elements([shared.x, shared.y])
}

/// poseidon-cipher of a share under the key `[S.x, S.y]` and nonce `index`: `[c0, c1, c2,
/// tag]`.
pub fn encrypt_share(shared: &Point, index: u64, share: &[Fr; 2]) -> [Fr; 4] {
    let ct = cipher::encrypt(share, &cipher_key(shared), u128::from(index));
    let mut out = [Fr::zero(); SHARE_CIPHERTEXT_LEN];
    out.copy_from_slice(&ct);
    out
}

/// Decrypts a share with the shared point and nonce `index`, the tag checked.
pub fn decrypt_share(
    shared: &Point,
    index: u64,
    ciphertext: &[Fr; 4],
) -> Result<[Fr; 2], EscrowError> {
    let mut m = cipher::decrypt(ciphertext, &cipher_key(shared), u128::from(index), 2)
        .map_err(|source| EscrowError::Decrypt { index, source })?;
    let share = [m[0], m[1]];
    m.zeroize();
    Ok(share)
}

/// Trustee `index` opens its share: `S = s·E`, then [`decrypt_share`]. `E` is checked first.
pub fn open_share(
    trustee: &TrusteeSecret,
    ephemeral: &Point,
    index: u64,
    ciphertext: &[Fr; 4],
) -> Result<[Fr; 2], EscrowError> {
    if index == 0 {
        return Err(EscrowError::ZeroIndex);
    }
    let e = checked_point(ephemeral.x, ephemeral.y).map_err(EscrowError::BadEphemeral)?;
    let mut shared = trustee.shared_point(&e);
    let share = decrypt_share(&shared, index, ciphertext);
    shared.zeroize();
    share
}

/// The escrow digest: the Poseidon16 chain from [`escrow_domain`] over `[k, n, E.x, E.y,
/// ct_1[0..4], …]` (see the module docs). Hashes the ciphertexts given, whatever their number.
pub fn escrow_digest(shape: EscrowShape, ephemeral: &Point, ciphertexts: &[[Fr; 4]]) -> Fr {
    let mut list = Vec::with_capacity(4 + SHARE_CIPHERTEXT_LEN * ciphertexts.len());
    list.extend_from_slice(&[
        Fr::from(shape.threshold as u64),
        Fr::from(shape.trustees as u64),
        ephemeral.x,
        ephemeral.y,
    ]);
    list.extend(ciphertexts.iter().flatten());
    crate::commitment::chain(escrow_domain(), &list)
}

/// The escrow proof's public inputs `[K, digest, P_1.x, P_1.y, …, P_n.x, P_n.y]`.
pub fn public_inputs(key_commitment: Fr, digest: Fr, trustees: &[Point]) -> Vec<Fr> {
    let mut v = Vec::with_capacity(2 + 2 * trustees.len());
    v.push(key_commitment);
    v.push(digest);
    for p in trustees {
        v.push(p.x);
        v.push(p.y);
    }
    v
}

/// Checks a trustee list against a shape: `n` keys, each a valid public key, pairwise
/// distinct. Returns the points (re-checked).
pub fn check_trustees(shape: EscrowShape, trustees: &[Point]) -> Result<Vec<Point>, EscrowError> {
    if trustees.len() != shape.trustees {
        return Err(EscrowError::TrusteeCount {
            expected: shape.trustees,
            got: trustees.len(),
        });
    }
    let mut checked = Vec::with_capacity(trustees.len());
    for (i, p) in trustees.iter().enumerate() {
        let index = i as u64 + 1;
        let p =
            checked_point(p.x, p.y).map_err(|source| EscrowError::BadTrustee { index, source })?;
        if let Some(j) = checked.iter().position(|q| *q == p) {
            return Err(EscrowError::DuplicateTrustee {
                first: j as u64 + 1,
                second: index,
            });
        }
        checked.push(p);
    }
    Ok(checked)
}

/// The ephemeral secret `e`, wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct EphemeralSecret(Scalar);

/// A dealt escrow: what the prover needs (polynomials, `e`) and what the escrow file holds
/// (shape, `E`, trustees, ciphertexts, digest). The secrets are wiped on drop; `Debug`
/// prints only public values.
#[derive(Clone)]
pub struct Deal {
    shape: EscrowShape,
    polynomials: Polynomials,
    ephemeral_secret: EphemeralSecret,
    ephemeral_public: Point,
    trustees: Vec<Point>,
    ciphertexts: Vec<[Fr; 4]>,
    digest: Fr,
}

impl fmt::Debug for Deal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deal")
            .field("shape", &self.shape)
            .field("ephemeral_public", &self.ephemeral_public)
            .field("trustees", &self.trustees)
            .field("digest", &crate::field::to_hex(&self.digest))
            .finish_non_exhaustive()
    }
}

impl Deal {
    /// A deal from given polynomials and ephemeral secret (deterministic: test vectors, and
    /// the body of [`deal_with`]). Checks the trustees ([`check_trustees`]), `k`
    /// coefficients per polynomial and `e ≠ 0`.
    pub fn from_parts(
        shape: EscrowShape,
        polynomials: Polynomials,
        ephemeral_secret: Scalar,
        trustees: &[Point],
    ) -> Result<Self, EscrowError> {
        let ephemeral_secret = EphemeralSecret(ephemeral_secret);
        let shape = EscrowShape::new(shape.threshold, shape.trustees)?;
        if polynomials.threshold() != shape.threshold {
            return Err(EscrowError::PolynomialDegree {
                threshold: shape.threshold,
                got: polynomials.threshold(),
            });
        }
        if ephemeral_secret.0.is_zero() {
            return Err(EscrowError::ZeroEphemeral);
        }
        let trustees = check_trustees(shape, trustees)?;
        let ephemeral_public = mul(&base8(), &ephemeral_secret.0);
        let ciphertexts = trustees
            .iter()
            .zip(1u64..)
            .map(|(p, index)| {
                let mut share = share_values(&polynomials, index);
                let mut shared = shared_point(&ephemeral_secret.0, p);
                let ct = encrypt_share(&shared, index, &share);
                share.zeroize();
                shared.zeroize();
                ct
            })
            .collect::<Vec<_>>();
        let digest = escrow_digest(shape, &ephemeral_public, &ciphertexts);
        Ok(Self {
            shape,
            polynomials,
            ephemeral_secret,
            ephemeral_public,
            trustees,
            ciphertexts,
            digest,
        })
    }

    /// The shape `(k, n)`.
    pub fn shape(&self) -> EscrowShape {
        self.shape
    }
    /// The sharing polynomials (secret).
    pub fn polynomials(&self) -> &Polynomials {
        &self.polynomials
    }
    /// The ephemeral secret `e` (secret).
    pub fn ephemeral_secret(&self) -> &Scalar {
        &self.ephemeral_secret.0
    }
    /// `E = e·Base8`.
    pub fn ephemeral_public(&self) -> Point {
        self.ephemeral_public
    }
    /// The trustees' public keys, `P_1 .. P_n` (checked).
    pub fn trustees(&self) -> &[Point] {
        &self.trustees
    }
    /// `ct_1 .. ct_n`.
    pub fn ciphertexts(&self) -> &[[Fr; 4]] {
        &self.ciphertexts
    }
    /// The escrow digest.
    pub fn digest(&self) -> Fr {
        self.digest
    }
    /// `K`, the commitment of the key the polynomials share.
    pub fn key_commitment(&self) -> Fr {
        self.polynomials.key().commitment()
    }
    /// The proof's public inputs ([`public_inputs`]).
    pub fn public_inputs(&self) -> Vec<Fr> {
        public_inputs(self.key_commitment(), self.digest, &self.trustees)
    }
    /// Trustee `index`'s share (secret), `1 ..= n`.
    pub fn share(&self, index: u64) -> Result<[Fr; 2], EscrowError> {
        self.check_index(index)?;
        Ok(share_values(&self.polynomials, index))
    }
    /// `S_index = e·P_index` (secret).
    pub fn shared_point(&self, index: u64) -> Result<Point, EscrowError> {
        self.check_index(index)?;
        Ok(shared_point(
            &self.ephemeral_secret.0,
            &self.trustees[index as usize - 1],
        ))
    }

    fn check_index(&self, index: u64) -> Result<(), EscrowError> {
        if self.shape.has_index(index) {
            Ok(())
        } else {
            Err(EscrowError::Index {
                index,
                trustees: self.shape.trustees,
            })
        }
    }
}

/// Deals `key` to `trustees` with fresh polynomials and `e` from `rng` (see the module
/// docs). Refuses a trustee list of the wrong length, an invalid key, or a repeated key.
pub fn deal_with<R: RngCore + CryptoRng>(
    rng: &mut R,
    key: &EscrowKey,
    shape: EscrowShape,
    trustees: &[Point],
) -> Result<Deal, EscrowError> {
    let shape = EscrowShape::new(shape.threshold, shape.trustees)?;
    check_trustees(shape, trustees)?;
    let polynomials = Polynomials::random_with(rng, key, shape.threshold);
    let mut e = Scalar::zero();
    while e.is_zero() {
        e = Scalar::rand(rng);
    }
    let deal = Deal::from_parts(shape, polynomials, e, trustees);
    e.zeroize();
    deal
}

/// [`deal_with`] the operating system's generator.
#[cfg(feature = "os-rng")]
pub fn deal(key: &EscrowKey, shape: EscrowShape, trustees: &[Point]) -> Result<Deal, EscrowError> {
    deal_with(&mut rand::rngs::OsRng, key, shape, trustees)
}

/// Why shares do not recover the key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecoverError {
    /// The shape is not a valid `k`-of-`n` ([`EscrowShape::new`]).
    #[error("the escrow's shape")]
    Shape(#[source] EscrowError),
    /// Fewer than `k` shares.
    #[error("{got} shares given, the escrow needs {threshold}")]
    TooFewShares {
        /// Shares given.
        got: usize,
        /// `k`.
        threshold: usize,
    },
    /// Two shares have the same index.
    #[error("two shares have index {index}")]
    DuplicateIndex {
        /// The index.
        index: u64,
    },
    /// A share's index is not a trustee's.
    #[error("share index {index} is not in 1..={trustees}")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// `n`.
        trustees: usize,
    },
    /// No `k`-subset interpolates to the key behind `K`.
    #[error(
        "no {threshold} of the given shares recover the key behind the commitment (tried {}){}",
        format_subsets(.tried),
        format_consistent(.consistent, *.threshold)
    )]
    NoMatchingSubset {
        /// `k`.
        threshold: usize,
        /// Every subset tried (share indices, ascending), in the order tried (the message
        /// names the first 20).
        tried: Vec<Vec<u64>>,
        /// The largest groups of more than `k` shares lying on one pair of degree-`(k−1)`
        /// polynomials (shares of one escrow, but not of this `K`); empty if none.
        consistent: Vec<Vec<u64>>,
    },
}

fn format_set(set: &[u64]) -> String {
    let items: Vec<String> = set.iter().map(u64::to_string).collect();
    format!("{{{}}}", items.join(", "))
}

/// Subsets named in [`RecoverError::NoMatchingSubset`]'s message; the error value holds all.
const SUBSETS_SHOWN: usize = 20;

fn format_subsets(subsets: &[Vec<u64>]) -> String {
    let items: Vec<String> = subsets
        .iter()
        .take(SUBSETS_SHOWN)
        .map(|s| format_set(s))
        .collect();
    let more = subsets.len().saturating_sub(SUBSETS_SHOWN);
    if more == 0 {
        items.join(", ")
    } else {
        format!("{} and {more} more", items.join(", "))
    }
}

fn format_consistent(consistent: &[Vec<u64>], threshold: usize) -> String {
    if consistent.is_empty() {
        return String::new();
    }
    let items: Vec<String> = consistent.iter().map(|s| format_set(s)).collect();
    format!(
        "; shares {} agree on one polynomial of degree {} (one escrow, but another key)",
        items.join(" and "),
        threshold.saturating_sub(1)
    )
}

/// Lagrange interpolation through `k` points with distinct abscissae: the barycentric
/// weights `w_i = 1 / Π_{j≠i} (x_i − x_j)`, computed once (one batch inversion), then each
/// evaluation `Σ_i y_i · w_i · Π_{j≠i} (x − x_j)` is inversion-free.
struct Interpolation {
    xs: Vec<Fr>,
    weights: Vec<Fr>,
}

impl Interpolation {
    fn new(indices: impl Iterator<Item = u64>) -> Self {
        let xs: Vec<Fr> = indices.map(Fr::from).collect();
        let mut weights: Vec<Fr> = xs
            .iter()
            .enumerate()
            .map(|(i, xi)| {
                xs.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, xj)| *xi - xj)
                    .product()
            })
            .collect();
        // Distinct indices below the field's size: no weight is zero.
        ark_ff::batch_inversion(&mut weights);
        Self { xs, weights }
    }

    /// The interpolated pair of polynomials at `x`, for the values `ys` at `self.xs`.
    fn at<'a>(&self, x: Fr, ys: impl Iterator<Item = &'a [Fr; 2]>) -> [Fr; 2] {
        let mut acc = [Fr::zero(); 2];
        for (i, y) in ys.enumerate() {
            let l: Fr = self.weights[i]
                * self
                    .xs
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, xj)| x - xj)
                    .product::<Fr>();
            acc[0] += l * y[0];
            acc[1] += l * y[1];
        }
        acc
    }
}

/// The next `k`-combination of `0..n` in lexicographic order, in place.
fn next_combination(c: &mut [usize], n: usize) -> bool {
    let k = c.len();
    for i in (0..k).rev() {
        if c[i] < n - k + i {
            c[i] += 1;
            for j in i + 1..k {
                c[j] = c[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// Recovers the key from at least `k` shares `(index, (f_0(index), f_1(index)))`: refuses
/// fewer than `k`, duplicate indices and indices outside `1 ..= n`; then interpolates at 0
/// over every `k`-subset (shares sorted by index, subsets in lexicographic order) and returns
/// the first key whose commitment is `key_commitment`. If none is, the error lists every
/// subset tried and, with more than `k` shares, the groups of shares that lie on one
/// polynomial pair (shares of another escrow).
pub fn recover(
    shape: EscrowShape,
    key_commitment: Fr,
    shares: &[(u64, [Fr; 2])],
) -> Result<EscrowKey, RecoverError> {
    // The fields are public: a hand-built shape is checked like a parsed one.
    let shape = EscrowShape::new(shape.threshold, shape.trustees).map_err(RecoverError::Shape)?;
    let k = shape.threshold;
    if shares.len() < k {
        return Err(RecoverError::TooFewShares {
            got: shares.len(),
            threshold: k,
        });
    }
    let mut sorted = Zeroizing::new(shares.to_vec());
    sorted.sort_by_key(|(i, _)| *i);
    for (index, _) in sorted.iter() {
        if !shape.has_index(*index) {
            return Err(RecoverError::IndexOutOfRange {
                index: *index,
                trustees: shape.trustees,
            });
        }
    }
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(RecoverError::DuplicateIndex { index: w[0].0 });
    }
    let n = sorted.len();
    let mut combo: Vec<usize> = (0..k).collect();
    let mut subset: Zeroizing<Vec<(u64, [Fr; 2])>> = Zeroizing::new(Vec::with_capacity(k));
    let mut tried = Vec::new();
    let mut consistent: Vec<Vec<u64>> = Vec::new();
    let mut result = None;
    loop {
        subset.clear();
        subset.extend(combo.iter().map(|&c| sorted[c]));
        let lagrange = Interpolation::new(subset.iter().map(|(i, _)| *i));
        let key = EscrowKey::from_elements(lagrange.at(Fr::zero(), subset.iter().map(|(_, y)| y)));
        if key.commitment() == key_commitment {
            result = Some(key);
            break;
        }
        tried.push(subset.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        if n > k {
            // Which other shares lie on this subset's polynomials.
            let on: Vec<u64> = sorted
                .iter()
                .filter(|(i, y)| {
                    combo.iter().any(|&c| sorted[c].0 == *i)
                        || lagrange.at(Fr::from(*i), subset.iter().map(|(_, y)| y)) == *y
                })
                .map(|(i, _)| *i)
                .collect();
            if on.len() > k && !consistent.contains(&on) {
                consistent.push(on);
            }
        }
        if !next_combination(&mut combo, n) {
            break;
        }
    }
    match result {
        Some(key) => Ok(key),
        None => {
            // Keep the maximal groups only.
            let all = consistent.clone();
            consistent.retain(|g| {
                !all.iter()
                    .any(|h| h.len() > g.len() && g.iter().all(|i| h.contains(i)))
            });
            Err(RecoverError::NoMatchingSubset {
                threshold: k,
                tried,
                consistent,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{parse, to_decimal};
    use crate::poseidon::hash;
    use ark_ff::{Field, One};
    use rand::{rngs::StdRng, SeedableRng};

    fn fr(s: &str) -> Fr {
        parse(s).unwrap()
    }

    fn hex_key(hex: &str) -> TrusteeSecret {
        let mut b = [0u8; 32];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        TrusteeSecret::from_bytes(b)
    }

    /// The brief's three trustee keys (vectors 1, 2, 3).
    fn vector_trustees() -> [TrusteeSecret; 3] {
        [
            hex_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            hex_key("0001020304050607080900010203040506070809000102030405060708090001"),
            hex_key("2222222222222222222222222222222222222222222222222222222222222222"),
        ]
    }

    /// The §3 vector: 2-of-3, f0 = k0 + 111x, f1 = k1 + 222x, e = 424242424242424242424242424242.
    fn vector_deal() -> Deal {
        let k0 = fr("1234567890123456789");
        let k1 = fr("9876543210987654321");
        let p = Polynomials::from_coefficients([
            vec![k0, Fr::from(111u64)],
            vec![k1, Fr::from(222u64)],
        ])
        .unwrap();
        let e = Scalar::from(424242424242424242424242424242u128);
        let trustees = vector_trustees().map(|t| t.public_key());
        Deal::from_parts(EscrowShape::new(2, 3).unwrap(), p, e, &trustees).unwrap()
    }

    fn dec(xs: &[Fr]) -> Vec<String> {
        xs.iter().map(to_decimal).collect()
    }

    /// Every value of `vec_escrow.out.json` and `vec_digest.out.json` (printed by
    /// @zk-kit/baby-jubjub, eddsa-poseidon, poseidon-cipher and circomlibjs).
    #[test]
    fn brief_vector_end_to_end() {
        let deal = vector_deal();
        assert_eq!(
            to_decimal(&escrow_domain()),
            "10664239866948145015632726573620508945774129"
        );
        assert_eq!(
            to_decimal(&deal.key_commitment()),
            "20089960712570817670742650737646748914130113325258040505420390728962054104312"
        );
        let e = deal.ephemeral_public();
        assert_eq!(
            dec(&[e.x, e.y]),
            [
                "2423727944026728749168324271799508493341601196688888904391448825568200263977",
                "2504327762688954486123660800211611946128639234034449816647673413157039235394"
            ]
        );
        let expected: [([&str; 2], [&str; 2], [&str; 4]); 3] = [
            (
                [
                    "17094118965724900911635497389082060251305850278102085966057043487674449468071",
                    "14521631497923768536427605158301125046579995343243322565157218572707135498323",
                ],
                ["1234567890123456900", "9876543210987654543"],
                [
                    "1817332149226525032327049120650538429101317643355982592884427857197945092713",
                    "16364874771945803595954517866783258761235553402123465637424880160241433364783",
                    "17672140709704952421453049701476279985042038629745671610248368380846427041854",
                    "5990030235838140340721619693454253862488183936810637491365305644936831472753",
                ],
            ),
            (
                [
                    "9435341780985394695683799828960230998350795165616127584183119180705050329156",
                    "5683385777715414542555931297682829318525949324207017659884856868417538804490",
                ],
                ["1234567890123457011", "9876543210987654765"],
                [
                    "8477607319757378674389663337389019668661342682986696638755553073325010157280",
                    "20369901125976541572477104246724702789151940240436954407978969940062092062208",
                    "11274546661704060400659948775437422327053615891433661953409600351415530395474",
                    "436276482660418346317247918194781592237561829640553942820513705785694666109",
                ],
            ),
            (
                [
                    "11604950882841450668208417547501758102574536145874502689900807329383265590804",
                    "5680318400592964001759242680832470087739259086070128143048508917209063332890",
                ],
                ["1234567890123457122", "9876543210987654987"],
                [
                    "12445793956126315689991157110315557440629026258108190865239738583619906032483",
                    "15911206835340839685595196070145975345343104770520217720289370481201604561004",
                    "12228226695594281855653400990927503223602545401365151727736869475449966663524",
                    "10040476419055245423058609842292844944137404075329987989684466799705786253056",
                ],
            ),
        ];
        let secrets = vector_trustees();
        for (i, (shared, share, ct)) in expected.iter().enumerate() {
            let index = i as u64 + 1;
            let s = deal.shared_point(index).unwrap();
            assert_eq!(dec(&[s.x, s.y]), shared, "S_{index}");
            // The trustee's side of ECDH gives the same point.
            assert_eq!(secrets[i].shared_point(&e), s);
            assert_eq!(dec(&deal.share(index).unwrap()), share, "share {index}");
            assert_eq!(dec(&deal.ciphertexts()[i]), ct, "ct_{index}");
            let opened = open_share(&secrets[i], &e, index, &deal.ciphertexts()[i]).unwrap();
            assert_eq!(dec(&opened), share);
        }
        assert_eq!(
            to_decimal(&deal.digest()),
            "3967887503112595275993832739739469462587703625807703110153387748221800642105"
        );
        assert_eq!(
            dec(&deal.public_inputs()),
            [
                "20089960712570817670742650737646748914130113325258040505420390728962054104312",
                "3967887503112595275993832739739469462587703625807703110153387748221800642105",
                "1120771572304984668855649788542860110303223894298952018121329196339919157573",
                "20197087425205130352574209034729275460185533126585197591053247747830393653846",
                "13277427435165878497778222415993513565335242147425444199013288855685581939618",
                "13622229784656158136036771217484571176836296686641868549125388198837476602820",
                "18826996313085261832300606047229630573852073902095564465500658345078653129469",
                "228823875980220599715476460248466556005377371059108603669369405839280764671",
            ]
        );
        // Shares {1, 3} recover (k0, k1).
        let shares = [(1, deal.share(1).unwrap()), (3, deal.share(3).unwrap())];
        let key = recover(deal.shape(), deal.key_commitment(), &shares).unwrap();
        assert_eq!(key, deal.polynomials().key());
        assert_eq!(
            dec(key.elements()),
            ["1234567890123456789", "9876543210987654321"]
        );
    }

    #[test]
    fn deal_with_draws_a_valid_deal() {
        let mut rng = StdRng::seed_from_u64(1);
        let key = EscrowKey::generate_with(&mut rng);
        let trustees: Vec<Point> = (0..5)
            .map(|_| TrusteeSecret::generate_with(&mut rng).public_key())
            .collect();
        let shape = EscrowShape::new(3, 5).unwrap();
        let deal = deal_with(&mut rng, &key, shape, &trustees).unwrap();
        assert_eq!(deal.polynomials().key(), key);
        assert_eq!(deal.key_commitment(), key.commitment());
        assert_eq!(deal.ciphertexts().len(), 5);
        assert_eq!(deal.public_inputs().len(), 12);
        assert_eq!(
            deal.ephemeral_public(),
            mul(&base8(), deal.ephemeral_secret())
        );
        assert_eq!(
            deal.digest(),
            escrow_digest(shape, &deal.ephemeral_public(), deal.ciphertexts())
        );
    }

    fn random_deal(seed: u64, k: usize, n: usize) -> (Deal, Vec<TrusteeSecret>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let key = EscrowKey::generate_with(&mut rng);
        let secrets: Vec<TrusteeSecret> = (0..n)
            .map(|_| TrusteeSecret::generate_with(&mut rng))
            .collect();
        let trustees: Vec<Point> = secrets.iter().map(|t| t.public_key()).collect();
        let deal = deal_with(&mut rng, &key, EscrowShape::new(k, n).unwrap(), &trustees).unwrap();
        (deal, secrets)
    }

    /// Every share, opened by its trustee.
    fn opened(deal: &Deal, secrets: &[TrusteeSecret]) -> Vec<(u64, [Fr; 2])> {
        secrets
            .iter()
            .zip(1u64..)
            .map(|(t, i)| {
                let ct = &deal.ciphertexts()[i as usize - 1];
                (i, open_share(t, &deal.ephemeral_public(), i, ct).unwrap())
            })
            .collect()
    }

    /// All `k`-subsets of `items`.
    fn subsets<T: Clone>(items: &[T], k: usize) -> Vec<Vec<T>> {
        let mut out = Vec::new();
        let mut c: Vec<usize> = (0..k).collect();
        loop {
            out.push(c.iter().map(|&i| items[i].clone()).collect());
            if !next_combination(&mut c, items.len()) {
                return out;
            }
        }
    }

    #[test]
    fn any_k_of_n_recover_the_key() {
        for (k, n) in [(1, 1), (1, 3), (2, 3), (3, 5), (5, 5)] {
            let (deal, secrets) = random_deal(10 + n as u64, k, n);
            let key = deal.polynomials().key();
            let shares = opened(&deal, &secrets);
            for sub in subsets(&shares, k) {
                let got = recover(deal.shape(), deal.key_commitment(), &sub).unwrap();
                assert_eq!(
                    got,
                    key,
                    "{k}-of-{n} from {:?}",
                    sub.iter().map(|s| s.0).collect::<Vec<_>>()
                );
            }
            // Order of the shares given does not matter; more than k is fine.
            let mut all = shares.clone();
            all.reverse();
            assert_eq!(
                recover(deal.shape(), deal.key_commitment(), &all).unwrap(),
                key
            );
            if k == 1 {
                // Each share is the key itself.
                assert!(shares.iter().all(|(_, y)| y == key.elements()));
            }
        }
    }

    /// The coefficients (degree 0 up) of the polynomial of degree `< points.len()` through
    /// `points` (Lagrange basis, expanded).
    fn interpolate_coefficients(points: &[(Fr, Fr)]) -> Vec<Fr> {
        let m = points.len();
        let mut out = vec![Fr::zero(); m];
        for (i, (xi, yi)) in points.iter().enumerate() {
            // basis = Π_{j≠i} (x − x_j) / (x_i − x_j)
            let mut basis = vec![Fr::one()];
            let mut den = Fr::one();
            for (j, (xj, _)) in points.iter().enumerate() {
                if i == j {
                    continue;
                }
                let mut next = vec![Fr::zero(); basis.len() + 1];
                for (t, b) in basis.iter().enumerate() {
                    next[t + 1] += b;
                    next[t] -= *b * xj;
                }
                basis = next;
                den *= *xi - xj;
            }
            let scale = *yi * den.inverse().unwrap();
            for (o, b) in out.iter_mut().zip(&basis) {
                *o += *b * scale;
            }
        }
        out
    }

    /// k − 1 shares say nothing about the key: for the k − 1 shares of a real deal and ANY
    /// other key, there is a pair of degree-(k − 1) polynomials through the shares with that
    /// key as constant terms, i.e. a deal of that key giving exactly these shares.
    #[test]
    fn k_minus_one_shares_fit_every_key() {
        let mut rng = StdRng::seed_from_u64(99);
        for (k, n) in [(2, 3), (3, 5), (4, 4)] {
            let (deal, secrets) = random_deal(20 + k as u64, k, n);
            let shares = opened(&deal, &secrets);
            for few in subsets(&shares, k - 1) {
                let other = EscrowKey::generate_with(&mut rng);
                assert_ne!(other, deal.polynomials().key());
                let coefficients = [0, 1].map(|j| {
                    let mut points = vec![(Fr::zero(), other.elements()[j])];
                    points.extend(few.iter().map(|(i, y)| (Fr::from(*i), y[j])));
                    interpolate_coefficients(&points)
                });
                let p = Polynomials::from_coefficients(coefficients).unwrap();
                assert_eq!(p.threshold(), k);
                assert_eq!(p.key(), other);
                for (i, y) in &few {
                    assert_eq!(
                        share_values(&p, *i),
                        *y,
                        "share {i} on the other key's polynomial"
                    );
                }
                // And they are too few to recover either key.
                assert_eq!(
                    recover(deal.shape(), deal.key_commitment(), &few),
                    Err(RecoverError::TooFewShares {
                        got: k - 1,
                        threshold: k
                    })
                );
            }
        }
    }

    #[test]
    fn a_corrupt_or_foreign_share_is_detected_and_the_subsets_named() {
        let (deal, secrets) = random_deal(30, 2, 3);
        let k_commit = deal.key_commitment();
        let mut shares = opened(&deal, &secrets);
        // A corrupt share 2 among three: {1,3} still recovers.
        shares[1].1[0] += Fr::one();
        let key = recover(deal.shape(), k_commit, &shares).unwrap();
        assert_eq!(key, deal.polynomials().key());
        // Only {1, 2}: every subset tried fails, and is named.
        let err = recover(deal.shape(), k_commit, &shares[..2]).unwrap_err();
        assert_eq!(
            err,
            RecoverError::NoMatchingSubset {
                threshold: 2,
                tried: vec![vec![1, 2]],
                consistent: vec![]
            }
        );
        assert_eq!(
            err.to_string(),
            "no 2 of the given shares recover the key behind the commitment (tried {1, 2})"
        );

        // Shares of another escrow (same shape, other key): every subset fails and all three
        // are found consistent with each other.
        let (other, other_secrets) = random_deal(31, 2, 3);
        let foreign = opened(&other, &other_secrets);
        let err = recover(deal.shape(), k_commit, &foreign).unwrap_err();
        assert_eq!(
            err,
            RecoverError::NoMatchingSubset {
                threshold: 2,
                tried: vec![vec![1, 2], vec![1, 3], vec![2, 3]],
                consistent: vec![vec![1, 2, 3]],
            }
        );
        assert!(err.to_string().ends_with(
            "(tried {1, 2}, {1, 3}, {2, 3}); shares {1, 2, 3} agree on one polynomial of degree 1 \
             (one escrow, but another key)"
        ));
        // One foreign share mixed in: the subsets without it recover.
        let mixed = [shares[0], foreign[1], opened(&deal, &secrets)[2]];
        assert_eq!(recover(deal.shape(), k_commit, &mixed).unwrap(), key);
        // Two foreign, one ours, k = 2: no subset matches; the two foreign ones alone are only
        // k shares, so no group of more than k is reported.
        let mixed = [shares[0], foreign[1], foreign[2]];
        match recover(deal.shape(), k_commit, &mixed).unwrap_err() {
            RecoverError::NoMatchingSubset {
                tried, consistent, ..
            } => {
                assert_eq!(tried.len(), 3);
                assert!(consistent.is_empty());
            }
            e => panic!("{e}"),
        }
    }

    /// The largest search: 16 foreign shares of an 8-of-16 escrow, all C(16, 8) subsets
    /// tried and the 16 found consistent with each other.
    #[test]
    fn recover_worst_case_16_shares() {
        let (deal, _) = random_deal(70, 8, 16);
        let (other, _) = random_deal(71, 8, 16);
        let foreign: Vec<(u64, [Fr; 2])> = (1..=16).map(|i| (i, other.share(i).unwrap())).collect();
        let start = std::time::Instant::now();
        match recover(deal.shape(), deal.key_commitment(), &foreign).unwrap_err() {
            RecoverError::NoMatchingSubset {
                tried, consistent, ..
            } => {
                assert_eq!(tried.len(), 12870);
                assert_eq!(consistent, vec![(1..=16).collect::<Vec<u64>>()]);
            }
            e => panic!("{e}"),
        }
        eprintln!("recover, 8 of 16, every subset: {:?}", start.elapsed());
        let err = recover(deal.shape(), deal.key_commitment(), &foreign).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("{1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 3, 4, 5, 6, 7, 9}"),
            "{text}"
        );
        assert!(text.contains(" and 12850 more)"), "{text}");
        assert!(text.len() < 1000, "{}", text.len());
    }

    #[test]
    fn recover_refuses_bad_share_lists() {
        let (deal, secrets) = random_deal(40, 2, 3);
        let k_commit = deal.key_commitment();
        let shares = opened(&deal, &secrets);
        assert_eq!(
            recover(deal.shape(), k_commit, &shares[..1]),
            Err(RecoverError::TooFewShares {
                got: 1,
                threshold: 2
            })
        );
        assert_eq!(
            recover(deal.shape(), k_commit, &[shares[0], shares[0]]),
            Err(RecoverError::DuplicateIndex { index: 1 })
        );
        // Same index, different values: still a duplicate.
        let mut twin = shares[0];
        twin.1[1] += Fr::one();
        assert_eq!(
            recover(deal.shape(), k_commit, &[shares[0], shares[1], twin]),
            Err(RecoverError::DuplicateIndex { index: 1 })
        );
        for bad in [0, 4, u64::MAX] {
            assert_eq!(
                recover(deal.shape(), k_commit, &[shares[0], (bad, shares[1].1)]),
                Err(RecoverError::IndexOutOfRange {
                    index: bad,
                    trustees: 3
                })
            );
        }
    }

    #[test]
    fn decrypting_with_the_wrong_key_or_index_fails_on_the_tag() {
        let (deal, secrets) = random_deal(50, 2, 3);
        let e = deal.ephemeral_public();
        let ct1 = &deal.ciphertexts()[0];
        let auth = |index| EscrowError::Decrypt {
            index,
            source: CipherError::Authentication,
        };
        // Trustee 2's key on share 1.
        assert_eq!(open_share(&secrets[1], &e, 1, ct1), Err(auth(1)));
        // The right trustee, the wrong nonce.
        assert_eq!(open_share(&secrets[0], &e, 2, ct1), Err(auth(2)));
        // Another ephemeral key.
        let e2 = mul(&base8(), &Scalar::from(7u64));
        assert_eq!(open_share(&secrets[0], &e2, 1, ct1), Err(auth(1)));
        // An altered ciphertext.
        let mut bad = *ct1;
        bad[2] += Fr::one();
        assert_eq!(open_share(&secrets[0], &e, 1, &bad), Err(auth(1)));
        // A low-order E is refused before any decryption.
        assert_eq!(
            open_share(
                &secrets[0],
                &Point::new_unchecked(Fr::zero(), -Fr::one()),
                1,
                ct1
            ),
            Err(EscrowError::BadEphemeral(PointError::NotInSubgroup))
        );
        assert_eq!(
            open_share(&secrets[0], &e, 0, ct1),
            Err(EscrowError::ZeroIndex)
        );
        assert_eq!(
            open_share(&secrets[0], &e, 1, ct1).unwrap(),
            deal.share(1).unwrap()
        );
        // The message names the share; the cause is the source, not repeated.
        let err = open_share(&secrets[1], &e, 1, ct1).unwrap_err();
        assert_eq!(err.to_string(), "share 1 does not decrypt");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn deal_refuses_bad_trustee_lists() {
        let mut rng = StdRng::seed_from_u64(60);
        let key = EscrowKey::generate_with(&mut rng);
        let good: Vec<Point> = (0..3)
            .map(|_| TrusteeSecret::generate_with(&mut rng).public_key())
            .collect();
        let shape = EscrowShape::new(2, 3).unwrap();
        let with = |i: usize, p: Point| {
            let mut t = good.clone();
            t[i] = p;
            t
        };
        let t2 = Point::new_unchecked(Fr::zero(), -Fr::one());
        let base8_plus_t2 = Point::new_unchecked(
            fr("16588623631197723940611540161738978058265489928225261449611683042093087494064"),
            fr("4938092073378617504287780177435440538246701238791326556475388250393169527414"),
        );
        let identity = Point::new_unchecked(Fr::zero(), Fr::one());
        let off = Point::new_unchecked(good[0].x, good[0].y + Fr::one());
        let cases = [
            (
                with(1, t2),
                EscrowError::BadTrustee {
                    index: 2,
                    source: PointError::NotInSubgroup,
                },
            ),
            (
                with(2, base8_plus_t2),
                EscrowError::BadTrustee {
                    index: 3,
                    source: PointError::NotInSubgroup,
                },
            ),
            (
                with(0, identity),
                EscrowError::BadTrustee {
                    index: 1,
                    source: PointError::Identity,
                },
            ),
            (
                with(1, off),
                EscrowError::BadTrustee {
                    index: 2,
                    source: PointError::NotOnCurve,
                },
            ),
            (
                with(2, good[0]),
                EscrowError::DuplicateTrustee {
                    first: 1,
                    second: 3,
                },
            ),
            (
                good[..2].to_vec(),
                EscrowError::TrusteeCount {
                    expected: 3,
                    got: 2,
                },
            ),
            (
                [good.clone(), vec![base8()]].concat(),
                EscrowError::TrusteeCount {
                    expected: 3,
                    got: 4,
                },
            ),
        ];
        for (trustees, expected) in cases {
            assert_eq!(
                deal_with(&mut rng, &key, shape, &trustees).unwrap_err(),
                expected
            );
        }
        assert!(deal_with(&mut rng, &key, shape, &good).is_ok());
        // from_parts: e = 0 and a polynomial of the wrong degree.
        let p = Polynomials::random_with(&mut rng, &key, 2);
        assert_eq!(
            Deal::from_parts(shape, p.clone(), Scalar::zero(), &good).unwrap_err(),
            EscrowError::ZeroEphemeral
        );
        let p3 = Polynomials::random_with(&mut rng, &key, 3);
        assert_eq!(
            Deal::from_parts(shape, p3, Scalar::from(5u64), &good).unwrap_err(),
            EscrowError::PolynomialDegree {
                threshold: 2,
                got: 3
            }
        );
        assert_eq!(
            Polynomials::from_coefficients([vec![Fr::one()], vec![]]).unwrap_err(),
            EscrowError::PolynomialShape(1, 0)
        );
        assert_eq!(
            Polynomials::from_coefficients([vec![], vec![]]).unwrap_err(),
            EscrowError::PolynomialShape(0, 0)
        );
    }

    #[test]
    fn shapes() {
        assert_eq!(EscrowShape::new(0, 3), Err(EscrowError::ZeroThreshold));
        assert_eq!(EscrowShape::new(0, 0), Err(EscrowError::ZeroThreshold));
        assert_eq!(
            EscrowShape::new(4, 3),
            Err(EscrowError::ThresholdAboveTrustees {
                threshold: 4,
                trustees: 3
            })
        );
        assert_eq!(
            EscrowShape::new(2, MAX_TRUSTEES + 1),
            Err(EscrowError::TooManyTrustees {
                trustees: 17,
                max: 16
            })
        );
        assert!(EscrowShape::new(1, 1).is_ok());
        assert!(EscrowShape::new(16, 16).is_ok());
        // A shape built by hand (public fields) is checked where it is used.
        let zero = EscrowShape {
            threshold: 0,
            trustees: 1,
        };
        assert_eq!(
            recover(zero, Fr::zero(), &[(1, [Fr::zero(); 2])]),
            Err(RecoverError::Shape(EscrowError::ZeroThreshold))
        );
        let mut rng = StdRng::seed_from_u64(7);
        let key = EscrowKey::generate_with(&mut rng);
        let one = [base8()];
        assert_eq!(
            deal_with(&mut rng, &key, zero, &one).unwrap_err(),
            EscrowError::ZeroThreshold
        );
        let big = EscrowShape {
            threshold: 2,
            trustees: 1,
        };
        assert_eq!(
            deal_with(&mut rng, &key, big, &one).unwrap_err(),
            EscrowError::ThresholdAboveTrustees {
                threshold: 2,
                trustees: 1
            }
        );
        let s = EscrowShape::new(2, 3).unwrap();
        assert_eq!(s.to_string(), "2-of-3");
        assert!(!s.has_index(0) && s.has_index(1) && s.has_index(3) && !s.has_index(4));
    }

    #[test]
    fn digest_binds_shape_ephemeral_and_every_ciphertext() {
        let deal = vector_deal();
        let (shape, e, cts) = (deal.shape(), deal.ephemeral_public(), deal.ciphertexts());
        let d = deal.digest();
        assert_ne!(escrow_digest(EscrowShape::new(3, 3).unwrap(), &e, cts), d);
        assert_ne!(escrow_digest(EscrowShape::new(1, 3).unwrap(), &e, cts), d);
        assert_ne!(escrow_digest(shape, &base8(), cts), d);
        for i in 0..3 {
            for j in 0..4 {
                let mut c = cts.to_vec();
                c[i][j] += Fr::one();
                assert_ne!(escrow_digest(shape, &e, &c), d, "ct_{}[{j}]", i + 1);
            }
        }
        // The chain spelt out: 16 elements, two Poseidon16 calls.
        let mut list = vec![Fr::from(2u64), Fr::from(3u64), e.x, e.y];
        list.extend(cts.iter().flatten());
        let h1 = hash(&[&[escrow_domain()][..], &list[..15]].concat());
        let mut second = vec![h1, list[15]];
        second.resize(16, Fr::zero());
        assert_eq!(hash(&second), d);
    }

    #[test]
    fn debug_prints_no_secret() {
        let deal = vector_deal();
        let text = format!("{deal:?} {:?}", deal.polynomials());
        for secret in [
            "1234567890123456789",
            "9876543210987654321",
            "424242424242424242424242424242",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
