//! Poseidon encryption: the scheme of @zk-kit/poseidon-cipher 0.3 (as MACI uses it),
//! bit for bit, so a backup decrypts with that library alone.
//!
//! # Specification
//! All values are BN254 scalar field elements ([`Fr`]); `P` is circomlib's Poseidon
//! permutation of width 4 ([`poseidon::permute`] on 4 lanes, the permutation inside
//! circomlib's `Poseidon(3)`), applied to the whole state, all four lanes out.
//!
//! Inputs: a key `(k0, k1)` ([`EscrowKey`]), a nonce `N < 2^128`, a message `m_0 .. m_{n-1}`.
//!
//! 1. Pad the message with zeros to `L = ceil(n / 3) · 3` elements.
//! 2. Initial state `S = [0, k0, k1, N + n · 2^128]` (lanes 0..3; the last lane is computed in
//!    the field, `n` is the *unpadded* length).
//! 3. For each block `b = 0 .. L/3 - 1`:
//!    `S = P(S)`; then for `j = 0, 1, 2`: `S[1 + j] = S[1 + j] + m_{3b + j}` and emit
//!    `c_{3b + j} = S[1 + j]`. Lane 0 is never emitted and never overwritten: it carries over.
//! 4. `S = P(S)` once more and emit the authentication tag `c_L = S[1]`.
//!
//! The ciphertext has `ceil(n / 3) · 3 + 1` elements ([`ciphertext_len`]); encryption makes
//! `ceil(n / 3) + 1` permutation calls. For `n = 0` the ciphertext is the tag alone.
//!
//! Decryption with the same key, nonce and length replays the duplex: per block
//! `S = P(S)`, `m_{3b + j} = c_{3b + j} - S[1 + j]`, then `S[1 + j] = c_{3b + j}` (the state
//! absorbs the *ciphertext*, exactly as encryption left it); finally `S = P(S)` and the tag
//! must equal `S[1]`.
//!
//! # For the gadget
//! Each block is one width-4 permutation whose lanes 1, 2, 3 are the keystream: the
//! ciphertext block is `keystream + message block`, and the state going into the next
//! permutation is `[lane 0 of the permutation output, c_{3b}, c_{3b+1}, c_{3b+2}]`. [`Duplex`]
//! is this structure step by step ([`Duplex::encrypt_block`], [`Duplex::tag`]); a gadget
//! that mirrors it allocates, per block, one permutation and three linear constraints
//! (`c = keystream + m`), plus one last permutation whose lane 1 is the tag. Padding lanes
//! are the constant zero, so the last block's padded lanes emit the keystream itself.
//!
//! # Differences from @zk-kit/poseidon-cipher's `poseidonDecrypt`
//! Same plaintext for every ciphertext both accept. We are stricter in two places:
//! - the ciphertext length must be exactly `ceil(length / 3) · 3 + 1` (theirs ignores extra
//!   elements before the tag, and reads the tag from the last element);
//! - the padding is checked to be zero for *every* length, after the tag (theirs checks it
//!   only for `length > 3`, and before the tag, so a wrong key there may report bad
//!   padding); checking the tag first means a wrong key always reports
//!   [`CipherError::Authentication`].
//!
//! # Security
//! The scheme is a keyed duplex sponge: a (key, nonce) pair must never encrypt two messages,
//! or the first keystream block of both is equal and their difference leaks. The backup
//! format derives a fresh nonce per chunk and per backup (see `backup`).

use crate::escrow_key::EscrowKey;
use crate::poseidon::permute;
use ark_bn254::Fr;
use ark_ff::{Field, Zero};

/// Message elements absorbed per permutation (the rate).
pub const RATE: usize = 3;
/// Lanes of the permutation (rate 3 plus one capacity lane).
pub const WIDTH: usize = 4;

/// Errors of decryption; a wrong key, nonce or length gives [`CipherError::Authentication`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    /// The ciphertext does not have `ceil(length / 3) · 3 + 1` elements.
    #[error("ciphertext has {got} elements, expected {expected} for a {length}-element message")]
    CiphertextLength {
        /// The plaintext length asked for.
        length: usize,
        /// `ceil(length / 3) · 3 + 1`.
        expected: usize,
        /// The ciphertext's length.
        got: usize,
    },
    /// The authentication tag does not match: wrong key, nonce or length, or altered
    /// ciphertext.
    #[error("authentication failed: wrong key, nonce or length, or the ciphertext was altered")]
    Authentication,
    /// The tag matched but a padding element decrypted to non-zero (only a key holder can
    /// produce this).
    #[error("padding element {index} of the decrypted message is not zero")]
    Padding {
        /// Position of the offending element in the padded message.
        index: usize,
    },
}

/// `ceil(n / 3) · 3 + 1`: the ciphertext length of an `n`-element message.
pub const fn ciphertext_len(n: usize) -> usize {
    n.div_ceil(RATE) * RATE + 1
}

/// `2^128`, the factor of the length in the initial state.
pub fn two_pow_128() -> Fr {
    Fr::from(2u64).pow([128u64])
}

/// The initial duplex state `[0, k0, k1, nonce + length · 2^128]`.
pub fn initial_state(k0: Fr, k1: Fr, nonce: u128, length: usize) -> [Fr; WIDTH] {
    [
        Fr::zero(),
        k0,
        k1,
        Fr::from(nonce) + Fr::from(length as u64) * two_pow_128(),
    ]
}

/// The cipher's duplex state, one permutation per step: what a gadget mirrors.
///
/// Encryption is `new`, one [`Duplex::encrypt_block`] per 3-element block, then
/// [`Duplex::tag`]; decryption replaces `encrypt_block` with [`Duplex::decrypt_block`].
#[derive(Clone, Debug)]
pub struct Duplex {
    state: [Fr; WIDTH],
}

impl Duplex {
    /// The state before the first permutation (see [`initial_state`]).
    pub fn new(key: &EscrowKey, nonce: u128, length: usize) -> Self {
        let [k0, k1] = *key.elements();
        Self {
            state: initial_state(k0, k1, nonce, length),
        }
    }

    /// The current four lanes.
    pub fn state(&self) -> &[Fr; WIDTH] {
        &self.state
    }

    /// Permutes, then returns lanes 1..=3 of the permuted state: this block's keystream.
    /// The state is left permuted; the caller must [`Duplex::absorb`] the ciphertext block.
    pub fn keystream(&mut self) -> [Fr; RATE] {
        permute(&mut self.state);
        [self.state[1], self.state[2], self.state[3]]
    }

    /// Overwrites lanes 1..=3 with a ciphertext block.
    pub fn absorb(&mut self, ciphertext: [Fr; RATE]) {
        self.state[1..].copy_from_slice(&ciphertext);
    }

    /// One encryption step: `c = keystream + m`, lanes 1..=3 become `c`.
    pub fn encrypt_block(&mut self, message: [Fr; RATE]) -> [Fr; RATE] {
        let ks = self.keystream();
        let c = [ks[0] + message[0], ks[1] + message[1], ks[2] + message[2]];
        self.absorb(c);
        c
    }

    /// One decryption step: `m = c - keystream`, lanes 1..=3 become `c`.
    pub fn decrypt_block(&mut self, ciphertext: [Fr; RATE]) -> [Fr; RATE] {
        let ks = self.keystream();
        self.absorb(ciphertext);
        [
            ciphertext[0] - ks[0],
            ciphertext[1] - ks[1],
            ciphertext[2] - ks[2],
        ]
    }

    /// The last step: permute and return lane 1, the authentication tag.
    pub fn tag(mut self) -> Fr {
        permute(&mut self.state);
        self.state[1]
    }
}

/// Encrypts `message` under `key` and `nonce`: `ceil(n / 3) · 3 + 1` elements, the last one
/// the authentication tag. Equal to @zk-kit/poseidon-cipher's `poseidonEncrypt`.
///
/// The caller must never reuse a `(key, nonce)` pair.
pub fn encrypt(message: &[Fr], key: &EscrowKey, nonce: u128) -> Vec<Fr> {
    let mut duplex = Duplex::new(key, nonce, message.len());
    let mut out = Vec::with_capacity(ciphertext_len(message.len()));
    for block in message.chunks(RATE) {
        let mut m = [Fr::zero(); RATE];
        m[..block.len()].copy_from_slice(block);
        out.extend_from_slice(&duplex.encrypt_block(m));
    }
    out.push(duplex.tag());
    out
}

/// Decrypts a ciphertext of a `length`-element message, checking the tag first and then the
/// zero padding. Equal to @zk-kit/poseidon-cipher's `poseidonDecrypt` on every ciphertext
/// [`encrypt`] produces (see the module docs for where we are stricter).
pub fn decrypt(
    ciphertext: &[Fr],
    key: &EscrowKey,
    nonce: u128,
    length: usize,
) -> Result<Vec<Fr>, CipherError> {
    let expected = ciphertext_len(length);
    if ciphertext.len() != expected {
        return Err(CipherError::CiphertextLength {
            length,
            expected,
            got: ciphertext.len(),
        });
    }
    let (body, tag) = ciphertext.split_at(expected - 1);
    let mut duplex = Duplex::new(key, nonce, length);
    let mut message = Vec::with_capacity(body.len());
    for block in body.chunks_exact(RATE) {
        let m = duplex.decrypt_block([block[0], block[1], block[2]]);
        message.extend_from_slice(&m);
    }
    if duplex.tag() != tag[0] {
        return Err(CipherError::Authentication);
    }
    if let Some(index) = (length..message.len()).find(|&i| !message[i].is_zero()) {
        return Err(CipherError::Padding { index });
    }
    message.truncate(length);
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    fn key(seed: u64) -> EscrowKey {
        let mut rng = StdRng::seed_from_u64(seed);
        EscrowKey::from_elements([Fr::rand(&mut rng), Fr::rand(&mut rng)])
    }

    fn message(n: usize, seed: u64) -> Vec<Fr> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| Fr::rand(&mut rng)).collect()
    }

    #[test]
    fn round_trips_every_length_mod_3() {
        let k = key(1);
        for n in 0..20 {
            let m = message(n, n as u64);
            let nonce = (n as u128) << 100 | 7;
            let c = encrypt(&m, &k, nonce);
            assert_eq!(c.len(), ciphertext_len(n));
            assert_eq!(decrypt(&c, &k, nonce, n).unwrap(), m, "n = {n}");
        }
    }

    #[test]
    fn ciphertext_len_formula() {
        let lens: Vec<usize> = (0..8).map(ciphertext_len).collect();
        assert_eq!(lens, [1, 4, 4, 4, 7, 7, 7, 10]);
    }

    /// Pinned against @zk-kit/poseidon-cipher 0.3.2 (`poseidonEncrypt([1,2,3,4], [5,6], 7)`);
    /// the cross-implementation test in tests/ checks many more.
    #[test]
    fn known_answer() {
        let k = EscrowKey::from_elements([Fr::from(5u64), Fr::from(6u64)]);
        let m: Vec<Fr> = (1..=4u64).map(Fr::from).collect();
        let c = encrypt(&m, &k, 7);
        let expected = KNOWN_CIPHERTEXT.map(|s| s.parse::<Fr>().unwrap());
        assert_eq!(c, expected);
    }

    const KNOWN_CIPHERTEXT: [&str; 7] = [
        "19134267321102874893394685302897067285922406415545935479431881730213750075881",
        "8052218116168590935251748955401619919394332912613302237201870041836731841388",
        "19470749017514687395782811229533211201237204295002154075338578203749232436522",
        "16260134166669796114056814353079130849411882455049779976345690423507959491540",
        "20532314829511312146647749128834105539721352325625802821539504168841770179766",
        "13594393860497613367307364820877643011981933202142976333777449720353947466425",
        "13780932919624575244370235360356385232863963915127879252918180612347227666999",
    ];

    #[test]
    fn wrong_key_nonce_length_or_tampering_fail_authentication() {
        let k = key(2);
        let m = message(7, 3);
        let c = encrypt(&m, &k, 11);
        assert_eq!(
            decrypt(&c, &key(3), 11, 7),
            Err(CipherError::Authentication)
        );
        assert_eq!(decrypt(&c, &k, 12, 7), Err(CipherError::Authentication));
        assert_eq!(decrypt(&c, &k, 11, 8), Err(CipherError::Authentication));
        for i in 0..c.len() {
            let mut t = c.clone();
            t[i] += Fr::from(1u64);
            assert_eq!(
                decrypt(&t, &k, 11, 7),
                Err(CipherError::Authentication),
                "i = {i}"
            );
        }
    }

    #[test]
    fn wrong_ciphertext_length_is_its_own_error() {
        let k = key(4);
        let c = encrypt(&message(4, 5), &k, 1);
        assert_eq!(
            decrypt(&c[..6], &k, 1, 4),
            Err(CipherError::CiphertextLength {
                length: 4,
                expected: 7,
                got: 6
            })
        );
    }

    #[test]
    fn non_zero_padding_with_valid_tag_is_detected() {
        // A key holder encrypts 6 elements with the header of a 4-element message: the tag
        // is valid for length 4 but elements 4 and 5 are not zero.
        let k = key(5);
        let m = message(6, 6);
        let mut duplex = Duplex::new(&k, 9, 4);
        let mut c = Vec::new();
        for b in m.chunks(3) {
            c.extend_from_slice(&duplex.encrypt_block([b[0], b[1], b[2]]));
        }
        c.push(duplex.tag());
        assert_eq!(
            decrypt(&c, &k, 9, 4),
            Err(CipherError::Padding { index: 4 })
        );
    }
}
