//! Trustee keys: Baby Jubjub key pairs exactly as @zk-kit/eddsa-poseidon 1.1.0's default
//! export (and circomlib's `eddsa.prv2pub`, and MACI) derive them, and ECDH as MACI's
//! `genEcdhSharedKey`.
//!
//! # Specification
//! - A private key is 32 bytes (from the operating system's generator; stored as 64 hex
//!   characters, and given to zk-kit as `Buffer.from(hex, "hex")`, never as a string, which
//!   zk-kit would hash as its UTF-8 bytes).
//! - `H = BLAKE-512(private key)` ([`blake512`]: the SHA-3 finalist BLAKE, *not* BLAKE2).
//! - Prune the first 32 bytes of `H`: `b[0] &= 0xF8`, `b[31] &= 0x7F`, `b[31] |= 0x40`.
//! - The secret scalar is `s = (LE(b) >> 3) mod l` ([`secret_scalar`]), `l` the prime order
//!   of `Base8`. The reduction matters: `LE(b) >> 3` has 252 bits and may be `≥ l`.
//! - The public key is `s·Base8` in zk-kit's coordinates ([`TrusteeSecret::public_key`]).
//! - The shared point of a secret scalar `a` and a public key `B` is `a·B`
//!   ([`shared_point`]); both of its coordinates key the share cipher (see
//!   [`crate::escrow`]).

use crate::babyjubjub::{base8, mul, Point, Scalar};
use ark_ff::PrimeField;
use ark_std::rand::{CryptoRng, RngCore};
use blake_hash::{Blake512, Digest};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes of a trustee's private key.
pub const PRIVATE_KEY_LEN: usize = 32;

/// BLAKE-512 (the SHA-3 finalist, as @zk-kit/eddsa-poseidon's default export and circomlib
/// use it; not BLAKE2b) of `data`.
pub fn blake512(data: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(&Blake512::digest(data));
    out
}

/// The secret scalar of a private key of any length, as eddsa-poseidon's
/// `deriveSecretScalar`: `(LE(prune(BLAKE-512(key)[0..32])) >> 3) mod l`.
pub fn secret_scalar(private_key: &[u8]) -> Scalar {
    let mut digest = blake512(private_key);
    let mut b = [0u8; 32];
    b.copy_from_slice(&digest[..32]);
    digest.zeroize();
    b[0] &= 0xF8;
    b[31] &= 0x7F;
    b[31] |= 0x40;
    // `LE(b) >> 3`, byte by byte.
    let mut shifted = [0u8; 32];
    for i in 0..32 {
        let high = if i + 1 < 32 { b[i + 1] << 5 } else { 0 };
        shifted[i] = (b[i] >> 3) | high;
    }
    let s = Scalar::from_le_bytes_mod_order(&shifted);
    b.zeroize();
    shifted.zeroize();
    s
}

/// `secret · public` (ECDH, as MACI's `genEcdhSharedKey`). Both points must be checked
/// public keys ([`crate::babyjubjub::checked_point`]) for the result to be secret.
pub fn shared_point(secret: &Scalar, public: &Point) -> Point {
    mul(public, secret)
}

/// A trustee's 32-byte private key. Its memory is overwritten with zeros on drop; `Debug`
/// prints only the public key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct TrusteeSecret {
    bytes: [u8; PRIVATE_KEY_LEN],
}

impl fmt::Debug for TrusteeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.public_key();
        f.debug_struct("TrusteeSecret")
            .field(
                "public_key",
                &[
                    crate::field::to_decimal(&p.x),
                    crate::field::to_decimal(&p.y),
                ],
            )
            .finish_non_exhaustive()
    }
}

impl TrusteeSecret {
    /// A fresh private key from the operating system's generator.
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Self {
        Self::generate_with(&mut rand::rngs::OsRng)
    }

    /// A private key of 32 bytes from `rng` (seeded generators only in tests).
    pub fn generate_with<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; PRIVATE_KEY_LEN];
        rng.fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// The private key from its bytes (every 32-byte string is a key).
    pub fn from_bytes(bytes: [u8; PRIVATE_KEY_LEN]) -> Self {
        Self { bytes }
    }

    /// The private key's bytes.
    pub fn as_bytes(&self) -> &[u8; PRIVATE_KEY_LEN] {
        &self.bytes
    }

    /// The secret scalar `s` ([`secret_scalar`]).
    pub fn scalar(&self) -> Scalar {
        secret_scalar(&self.bytes)
    }

    /// The public key `s·Base8`, zk-kit's `derivePublicKey`.
    pub fn public_key(&self) -> Point {
        let mut s = self.scalar();
        let p = mul(&base8(), &s);
        s.zeroize();
        p
    }

    /// The shared point `s·public` with another party's public key.
    pub fn shared_point(&self, public: &Point) -> Point {
        let mut s = self.scalar();
        let p = shared_point(&s, public);
        s.zeroize();
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::babyjubjub::checked_point;
    use crate::field::{parse, to_decimal};
    use rand::{rngs::StdRng, SeedableRng};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn key(hex: &str) -> TrusteeSecret {
        let mut b = [0u8; 32];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        TrusteeSecret::from_bytes(b)
    }

    /// The published BLAKE-512 vector for the empty message, and vector 1's digest as
    /// circomlibjs's `blake-hash` prints it.
    #[test]
    fn blake512_vectors() {
        assert_eq!(
            hex(&blake512(b"")),
            "a8cfbbd73726062df0c6864dda65defe58ef0cc52a5625090fa17601e1eecd1b\
             628e94f396ae402a00acc9eab77b4d4c2e852aaaa25a636d80af3fc7913ef5b8"
        );
        let bytes: Vec<u8> = (0..32).collect();
        assert_eq!(
            hex(&blake512(&bytes)),
            "7cfc88c1cf9e66edfa8255242687e0c70e18e91b4e3577756bbf17516fc686c3\
             a8d12c99ee669f097ff5f40573e04cf00e76071f59720c03b4dc4bc221f919d1"
        );
    }

    /// The brief's three keys, as @zk-kit/eddsa-poseidon 1.1.0 (default export) derives them.
    #[test]
    fn key_vectors_match_zk_kit() {
        let cases = [
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "1081855629598835720041965235621532421933020852818445292603606261079471028382",
                "1120771572304984668855649788542860110303223894298952018121329196339919157573",
                "20197087425205130352574209034729275460185533126585197591053247747830393653846",
            ),
            (
                "0001020304050607080900010203040506070809000102030405060708090001",
                "994010219703001815340449613425044215384278165578404307786348688961164616823",
                "13277427435165878497778222415993513565335242147425444199013288855685581939618",
                "13622229784656158136036771217484571176836296686641868549125388198837476602820",
            ),
            (
                "2222222222222222222222222222222222222222222222222222222222222222",
                "2442920116437943483184576752904860148031012669506600641181443737452484726100",
                "18826996313085261832300606047229630573852073902095564465500658345078653129469",
                "228823875980220599715476460248466556005377371059108603669369405839280764671",
            ),
        ];
        for (private, s, x, y) in cases {
            let k = key(private);
            assert_eq!(
                k.scalar().into_bigint().to_string(),
                s,
                "scalar of {private}"
            );
            let p = k.public_key();
            assert_eq!((to_decimal(&p.x), to_decimal(&p.y)), (x.into(), y.into()));
            assert_eq!(checked_point(p.x, p.y), Ok(p));
            assert_eq!(k.as_bytes(), &key(private).bytes);
        }
    }

    /// Vector 1's `LE >> 3` is ≥ l: the reduction is what makes the scalar zk-kit's.
    #[test]
    fn reduction_mod_l_is_applied() {
        let unreduced =
            parse("3817885988578745122822765953778691808009834824977012551803821922027918401423")
                .unwrap();
        let bytes: Vec<u8> = (0..32).collect();
        let s = secret_scalar(&bytes);
        // Same integer mod l as the unreduced value, which is itself not a canonical scalar.
        let as_scalar = Scalar::from_le_bytes_mod_order(&ark_ff::BigInteger::to_bytes_le(
            &unreduced.into_bigint(),
        ));
        assert_eq!(s, as_scalar);
        assert!(Scalar::from_bigint(ark_ff::BigInt(unreduced.into_bigint().0)).is_none());
    }

    #[test]
    fn ecdh_agrees_and_debug_hides_the_secret() {
        let mut rng = StdRng::seed_from_u64(13);
        let a = TrusteeSecret::generate_with(&mut rng);
        let b = TrusteeSecret::generate_with(&mut rng);
        assert_ne!(a, b);
        assert_eq!(
            a.shared_point(&b.public_key()),
            shared_point(&b.scalar(), &a.public_key())
        );
        let dbg = format!("{a:?}");
        assert!(dbg.contains(&to_decimal(&a.public_key().x)));
        assert!(!dbg.contains(&hex(a.as_bytes())));
        assert!(!dbg.contains(&a.scalar().into_bigint().to_string()));
    }
}
