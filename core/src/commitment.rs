//! The chunk ciphertext commitment: a public, keyless Poseidon hash of one chunk's
//! ciphertext, recomputable by anyone from the backup file, and cheap to prove.
//!
//! # Specification
//! For a ciphertext `c_0 .. c_{L-1}` (`L ≥ 1`, tag included):
//! 1. `h_0 = L` (the length as a field element: zero-extension cannot collide);
//! 2. split the ciphertext into groups of 15, zero-padding the last group;
//! 3. `h_{g+1} = Poseidon(h_g, group_g[0], …, group_g[14])` — circomlib's 16-input Poseidon;
//! 4. the commitment is `h_G`, `G = ceil(L / 15)`.
//!
//! Node hashes of the trees use `Poseidon(2)`, this chain `Poseidon(16)`: a different
//! permutation width, so the two never collide by construction.
//!
//! In R1CS a group costs one 16-input Poseidon (609 constraints), about 41 per element.

use crate::poseidon::hash;
use ark_bn254::Fr;
use ark_ff::Zero;

/// Ciphertext elements absorbed per hash call.
pub const GROUP: usize = 15;

/// The commitment to one chunk's ciphertext (see the module docs).
pub fn chunk_commitment(ciphertext: &[Fr]) -> Fr {
    chain(Fr::from(ciphertext.len() as u64), ciphertext)
}

/// The Poseidon16 chain from `h_0`: `h_{g+1} = Poseidon(h_g, next GROUP elements)`, the
/// last group zero-padded; `h_0` if `elements` is empty. The chunk commitment starts from
/// the length, the escrow digest from its domain tag.
pub fn chain(h0: Fr, elements: &[Fr]) -> Fr {
    let mut h = h0;
    let mut input = [Fr::zero(); GROUP + 1];
    for group in elements.chunks(GROUP) {
        input[0] = h;
        input[1..=group.len()].copy_from_slice(group);
        input[group.len() + 1..]
            .iter_mut()
            .for_each(|x| *x = Fr::zero());
        h = hash(&input);
    }
    h
}

/// The backup commitment `C`: the LeanIMT root of the chunk commitments.
pub fn backup_commitment(chunk_commitments: &[Fr]) -> Fr {
    crate::lean_imt::root(chunk_commitments).expect("a backup has at least one chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefix_separates_zero_extensions() {
        let a = [Fr::from(3u64)];
        let b = [Fr::from(3u64), Fr::zero()];
        assert_ne!(chunk_commitment(&a), chunk_commitment(&b));
    }

    #[test]
    fn matches_the_written_chain() {
        let ct: Vec<Fr> = (1..=16u64).map(Fr::from).collect();
        let mut first = vec![Fr::from(16u64)];
        first.extend_from_slice(&ct[..15]);
        let h1 = hash(&first);
        let mut second = vec![h1, ct[15]];
        second.resize(16, Fr::zero());
        assert_eq!(chunk_commitment(&ct), hash(&second));
    }
}
