//! The escrow key: two field elements, wiped from memory on drop, and its Poseidon
//! commitment. The key file is `zkbackup_formats::key_file`.
//!
//! # Key commitment
//! `K = Poseidon(KEY_COMMITMENT_DOMAIN, k0, k1)`: circomlib's `Poseidon(3)`, one call, where
//! [`KEY_COMMITMENT_DOMAIN`] is the ASCII string `zkbackup/key/v1` read as a big-endian
//! integer (`0x7a6b6261636b75702f6b65792f7631`). The domain tag keeps `K` distinct from a
//! LeanIMT node `Poseidon(k0, k1)` and from any other zkbackup hash of two elements. The key
//! elements are uniform field elements, so `K` hides them.
//!

use crate::field::to_hex;
use crate::poseidon::hash;
use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand};
use ark_std::rand::{CryptoRng, RngCore};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `zkbackup/key/v1` as a big-endian integer: the first input of the key commitment.
pub fn key_commitment_domain() -> Fr {
    Fr::from_be_bytes_mod_order(KEY_COMMITMENT_DOMAIN)
}

/// The ASCII bytes of the key commitment's domain tag.
pub const KEY_COMMITMENT_DOMAIN: &[u8] = b"zkbackup/key/v1";

/// `K = Poseidon(domain, k0, k1)`, see the module docs.
pub fn key_commitment(k0: Fr, k1: Fr) -> Fr {
    hash(&[key_commitment_domain(), k0, k1])
}

/// The escrow key `(k0, k1)`. Its memory is overwritten with zeros on drop; `Debug` prints
/// only the commitment.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct EscrowKey {
    elements: [Fr; 2],
}

impl fmt::Debug for EscrowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EscrowKey")
            .field("commitment", &to_hex(&self.commitment()))
            .finish_non_exhaustive()
    }
}

impl EscrowKey {
    /// A key from its two elements.
    pub fn from_elements(elements: [Fr; 2]) -> Self {
        Self { elements }
    }

    /// A fresh uniformly random key from the operating system's generator.
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Self {
        Self::generate_with(&mut rand::rngs::OsRng)
    }

    /// A uniformly random key from `rng` (seeded generators only in tests and benches).
    pub fn generate_with<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self {
            elements: [Fr::rand(rng), Fr::rand(rng)],
        }
    }

    /// `[k0, k1]`.
    pub fn elements(&self) -> &[Fr; 2] {
        &self.elements
    }

    /// The key commitment `K` (see the module docs).
    pub fn commitment(&self) -> Fr {
        key_commitment(self.elements[0], self.elements[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_one_domain_separated_poseidon() {
        let k = EscrowKey::from_elements([Fr::from(1u64), Fr::from(2u64)]);
        let domain = Fr::from(u128::from_be_bytes({
            let mut b = [0u8; 16];
            b[1..].copy_from_slice(b"zkbackup/key/v1");
            b
        }));
        assert_eq!(
            k.commitment(),
            hash(&[domain, Fr::from(1u64), Fr::from(2u64)])
        );
        assert_ne!(
            k.commitment(),
            crate::poseidon::hash2(Fr::from(1u64), Fr::from(2u64))
        );
    }
}
