//! The LeanIMT of @zk-kit/lean-imt (Semaphore v4, Privacy Pools): a binary Merkle tree with
//! `Poseidon(2)` nodes where a lone left child is promoted unchanged, and no zero padding.
//! Its depth is `ceil(log2(n))`; the root of one leaf is the leaf.
//!
//! Chunks: for a chunk size `2^k`, the node at level `k`, index `j` is the LeanIMT root of
//! leaves `j·2^k .. min((j+1)·2^k, n)` on their own (promotion is local to a subtree), and
//! the LeanIMT root of those chunk roots is the root of the whole tree. [`chunk_roots`] and
//! [`root_of_chunk_roots`] are that decomposition; the chunk gadget proves one chunk root.

use crate::poseidon::hash2;
use ark_bn254::Fr;
#[cfg(feature = "parallel")]
use rayon::prelude::*;

#[cfg(feature = "parallel")]
/// Below this many nodes a level is hashed on one thread (rayon's overhead dominates).
const PARALLEL_LEVEL: usize = 1 << 10;

/// Errors of the native tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LeanImtError {
    /// A tree needs at least one leaf.
    #[error("a LeanIMT needs at least one leaf")]
    Empty,
    /// The leaf index is past the last leaf.
    #[error("leaf index {index} is out of range for a tree of {size} leaves")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The number of leaves.
        size: usize,
    },
    /// A chunk size must be a power of two, at least 1.
    #[error("chunk size {0} is not a power of two")]
    ChunkSize(usize),
}

/// One level up: pairs hashed, a lone last node promoted.
fn parent_level(level: &[Fr]) -> Vec<Fr> {
    let parent = |pair: &[Fr]| match pair {
        [l, r] => hash2(*l, *r),
        [l] => *l,
        _ => unreachable!("chunks of two"),
    };
    #[cfg(feature = "parallel")]
    if level.len() >= PARALLEL_LEVEL {
        return level.par_chunks(2).map(parent).collect();
    }
    level.chunks(2).map(parent).collect()
}

/// A LeanIMT with every level kept, for roots and inclusion proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeanImt {
    /// `levels[0]` are the leaves, the last level holds the root alone.
    levels: Vec<Vec<Fr>>,
}

/// An inclusion proof in @zk-kit/lean-imt's shape: siblings only where one exists, and
/// `index` holds one bit per sibling (bit `i` set: the path node is a right child there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeanImtProof {
    /// The tree's root.
    pub root: Fr,
    /// The proven leaf.
    pub leaf: Fr,
    /// Compressed path bits, one per sibling.
    pub index: u64,
    /// Siblings from the leaf level up, skipping levels where the node was promoted.
    pub siblings: Vec<Fr>,
}

impl LeanImt {
    /// Builds the tree over `leaves`.
    pub fn new(leaves: Vec<Fr>) -> Result<Self, LeanImtError> {
        if leaves.is_empty() {
            return Err(LeanImtError::Empty);
        }
        let mut levels = vec![leaves];
        while levels.last().map_or(0, Vec::len) > 1 {
            let next = parent_level(levels.last().expect("non-empty"));
            levels.push(next);
        }
        Ok(Self { levels })
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.levels.last().expect("non-empty")[0]
    }

    /// The number of leaves.
    pub fn size(&self) -> usize {
        self.levels[0].len()
    }

    /// The depth, `ceil(log2(size))`.
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The leaves.
    pub fn leaves(&self) -> &[Fr] {
        &self.levels[0]
    }

    /// The nodes of one level (0 = leaves).
    pub fn level(&self, level: usize) -> Option<&[Fr]> {
        self.levels.get(level).map(Vec::as_slice)
    }

    /// Replaces leaf `index` by `leaf` and rehashes its path (`O(depth)` hashes), as
    /// @zk-kit/lean-imt's `update` does.
    pub fn update(&mut self, index: usize, leaf: Fr) -> Result<(), LeanImtError> {
        let size = self.size();
        if index >= size {
            return Err(LeanImtError::IndexOutOfRange { index, size });
        }
        self.levels[0][index] = leaf;
        let mut i = index;
        for l in 0..self.depth() {
            let p = i >> 1;
            let node = self.parent(l, p);
            self.levels[l + 1][p] = node;
            i = p;
        }
        Ok(())
    }

    /// Appends `leaf` and rehashes its path (`O(depth)` hashes), as @zk-kit/lean-imt's
    /// `insert` does.
    pub fn push(&mut self, leaf: Fr) {
        self.levels[0].push(leaf);
        let mut i = self.levels[0].len() - 1;
        let mut l = 0;
        while self.levels[l].len() > 1 {
            let p = i >> 1;
            let node = self.parent(l, p);
            if l + 1 == self.levels.len() {
                self.levels.push(Vec::new());
            }
            let next = &mut self.levels[l + 1];
            if p < next.len() {
                next[p] = node;
            } else {
                next.push(node);
            }
            i = p;
            l += 1;
        }
    }

    /// Node `p` of level `l + 1`: its two children hashed, or a lone left child promoted.
    fn parent(&self, l: usize, p: usize) -> Fr {
        let level = &self.levels[l];
        match level.get(2 * p + 1) {
            Some(right) => hash2(level[2 * p], *right),
            None => level[2 * p],
        }
    }

    /// The sibling nodes of leaf `index`, in the order @zk-kit/lean-imt's `generateProof`
    /// gives them and `InternalLeanIMT._update` (lean-imt.sol) reads them: from the leaf up,
    /// one per level where the path node has a sibling.
    pub fn siblings(&self, index: usize) -> Result<Vec<Fr>, LeanImtError> {
        Ok(self.proof(index)?.siblings)
    }

    /// An inclusion proof for leaf `index`.
    pub fn proof(&self, index: usize) -> Result<LeanImtProof, LeanImtError> {
        let size = self.size();
        if index >= size {
            return Err(LeanImtError::IndexOutOfRange { index, size });
        }
        let mut siblings = Vec::new();
        let mut path = 0u64;
        let mut i = index;
        for level in &self.levels[..self.depth()] {
            let is_right = i & 1 == 1;
            let sibling = if is_right {
                Some(i - 1)
            } else {
                i.checked_add(1)
            };
            if let Some(s) = sibling.and_then(|s| level.get(s)) {
                path |= u64::from(is_right) << siblings.len();
                siblings.push(*s);
            }
            i >>= 1;
        }
        Ok(LeanImtProof {
            root: self.root(),
            leaf: self.levels[0][index],
            index: path,
            siblings,
        })
    }
}

impl LeanImtProof {
    /// Whether the proof leads from its leaf to its root.
    pub fn verify(&self) -> bool {
        let node = self
            .siblings
            .iter()
            .enumerate()
            .fold(self.leaf, |node, (i, s)| {
                if (self.index >> i) & 1 == 1 {
                    hash2(*s, node)
                } else {
                    hash2(node, *s)
                }
            });
        node == self.root
    }
}

/// The LeanIMT root of `leaves`, without keeping the levels.
pub fn root(leaves: &[Fr]) -> Result<Fr, LeanImtError> {
    if leaves.is_empty() {
        return Err(LeanImtError::Empty);
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = parent_level(&level);
    }
    Ok(level[0])
}

/// The root of each aligned chunk of `chunk_size` (a power of two) leaves; the last chunk
/// may be partial. Chunks are hashed in parallel.
pub fn chunk_roots(leaves: &[Fr], chunk_size: usize) -> Result<Vec<Fr>, LeanImtError> {
    if chunk_size == 0 || !chunk_size.is_power_of_two() {
        return Err(LeanImtError::ChunkSize(chunk_size));
    }
    if leaves.is_empty() {
        return Err(LeanImtError::Empty);
    }
    #[cfg(feature = "parallel")]
    let chunks = leaves.par_chunks(chunk_size);
    #[cfg(not(feature = "parallel"))]
    let chunks = leaves.chunks(chunk_size);
    chunks.map(root).collect()
}

/// The LeanIMT root of the whole tree from its chunk roots (chunk size a power of two).
pub fn root_of_chunk_roots(chunk_roots: &[Fr]) -> Result<Fr, LeanImtError> {
    root(chunk_roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    fn leaves(n: usize, seed: u64) -> Vec<Fr> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| Fr::rand(&mut rng)).collect()
    }

    #[test]
    fn small_trees_by_hand() {
        let l = leaves(5, 1);
        assert_eq!(root(&l[..1]).unwrap(), l[0]);
        assert_eq!(root(&l[..2]).unwrap(), hash2(l[0], l[1]));
        assert_eq!(root(&l[..3]).unwrap(), hash2(hash2(l[0], l[1]), l[2]));
        let four = hash2(hash2(l[0], l[1]), hash2(l[2], l[3]));
        assert_eq!(root(&l[..4]).unwrap(), four);
        assert_eq!(root(&l).unwrap(), hash2(four, l[4]));
        assert_eq!(root(&[]), Err(LeanImtError::Empty));
    }

    #[test]
    fn tree_and_root_agree_and_depth_is_ceil_log2() {
        for n in [1, 2, 3, 5, 8, 9, 100, 1025] {
            let l = leaves(n, n as u64);
            let tree = LeanImt::new(l.clone()).unwrap();
            assert_eq!(tree.root(), root(&l).unwrap());
            assert_eq!(
                tree.depth(),
                n.next_power_of_two().trailing_zeros() as usize
            );
        }
    }

    #[test]
    fn every_proof_verifies_and_tampered_ones_do_not() {
        for n in [1, 2, 3, 7, 33] {
            let tree = LeanImt::new(leaves(n, 7)).unwrap();
            for i in 0..n {
                let p = tree.proof(i).unwrap();
                assert!(p.verify(), "n={n} i={i}");
                let mut bad = p.clone();
                bad.leaf += Fr::from(1u64);
                assert!(!bad.verify());
                if !p.siblings.is_empty() {
                    let mut bad = p.clone();
                    bad.index ^= 1;
                    assert!(!bad.verify());
                }
            }
            assert_eq!(
                tree.proof(n),
                Err(LeanImtError::IndexOutOfRange { index: n, size: n })
            );
        }
    }

    #[test]
    fn update_and_push_match_a_rebuilt_tree() {
        let all = leaves(40, 11);
        let mut tree = LeanImt::new(all[..1].to_vec()).unwrap();
        for (n, leaf) in all.iter().enumerate().skip(1) {
            tree.push(*leaf);
            assert_eq!(
                tree,
                LeanImt::new(all[..=n].to_vec()).unwrap(),
                "push to {}",
                n + 1
            );
        }
        let mut want = all.clone();
        for (k, index) in [0usize, 39, 17, 32, 1, 39].into_iter().enumerate() {
            let leaf = Fr::from(1_000 + k as u64);
            want[index] = leaf;
            tree.update(index, leaf).unwrap();
            assert_eq!(tree, LeanImt::new(want.clone()).unwrap(), "update {index}");
            assert_eq!(
                tree.siblings(index).unwrap(),
                tree.proof(index).unwrap().siblings
            );
        }
        assert_eq!(
            tree.update(40, Fr::from(1u64)),
            Err(LeanImtError::IndexOutOfRange {
                index: 40,
                size: 40
            })
        );
    }

    #[test]
    fn chunk_roots_combine_into_the_root() {
        for n in [1, 3, 4, 5, 16, 17, 100, 300] {
            let l = leaves(n, 3);
            for k in 0..6 {
                let roots = chunk_roots(&l, 1 << k).unwrap();
                assert_eq!(roots.len(), n.div_ceil(1 << k));
                assert_eq!(
                    root_of_chunk_roots(&roots).unwrap(),
                    root(&l).unwrap(),
                    "n={n} k={k}"
                );
            }
        }
        assert_eq!(
            chunk_roots(&leaves(3, 1), 3),
            Err(LeanImtError::ChunkSize(3))
        );
    }
}
