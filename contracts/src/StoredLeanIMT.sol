// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";

/// @dev A LeanIMT (the tree of @zk-kit/lean-imt: Poseidon(left, right) of BN254, a node
///      without a right sibling moves up unchanged, depth = ceil(log2(size))) that stores
///      every node. Same roots as zk-kit's `InternalLeanIMT`, which stores only one side node
///      per level (and a leaf → index map): replacing a leaf there takes the sibling path in
///      calldata and hashes it twice (old root check, new root), 2·depth Poseidon calls;
///      here the siblings are read from storage and the path is hashed once. Measured on the
///      gate's one-chunk delta at 391 chunks (two trees of depth 9): see contracts/README.md.
///      The price is one more stored node per leaf on insertion. Leaves need not be distinct.
struct StoredLeanIMTData {
    /// Number of leaves.
    uint256 size;
    /// ceil(log2(size)); the root is node (depth, 0).
    uint256 depth;
    /// Node (level, index) at key level << 64 | index (indices are < 2^32 here).
    mapping(uint256 => uint256) nodes;
}

library StoredLeanIMT {
    /// @dev The key of node (level, index).
    function _key(uint256 level, uint256 index) private pure returns (uint256) {
        return (level << 64) | index;
    }

    /// @notice The root (0 for an empty tree).
    function root(StoredLeanIMTData storage self) internal view returns (uint256) {
        if (self.size == 0) return 0;
        return self.nodes[_key(self.depth, 0)];
    }

    /// @notice Leaf `index` (0 past the end).
    function leaf(StoredLeanIMTData storage self, uint256 index) internal view returns (uint256) {
        if (index >= self.size) return 0;
        return self.nodes[_key(0, index)];
    }

    /// @notice Appends `leaves` after the last leaf; every node above them is recomputed once.
    function insertMany(StoredLeanIMTData storage self, uint256[] calldata leaves) internal {
        uint256 start = self.size;
        uint256 end = start + leaves.length;
        if (leaves.length == 0) return;
        for (uint256 i = 0; i < leaves.length; ++i) {
            self.nodes[_key(0, start + i)] = leaves[i];
        }
        uint256 depth = self.depth;
        while (uint256(1) << depth < end) ++depth;
        // Level by level, the parents of the changed range [start, end): the range's first
        // parent may have an old left child, its last may have no right child (moved up).
        for (uint256 level = 0; level < depth; ++level) {
            uint256 first = start >> 1;
            uint256 last = (end - 1) >> 1;
            for (uint256 p = first; p <= last; ++p) {
                uint256 left = self.nodes[_key(level, 2 * p)];
                uint256 node = 2 * p + 1 < end
                    ? PoseidonT3.hash([left, self.nodes[_key(level, 2 * p + 1)]])
                    : left;
                self.nodes[_key(level + 1, p)] = node;
            }
            start = first;
            end = last + 1;
        }
        self.size += leaves.length;
        self.depth = depth;
    }

    /// @notice Replaces leaf `index` (< size) by `newLeaf`: one hash per level where the path
    ///         node has a sibling.
    function update(StoredLeanIMTData storage self, uint256 index, uint256 newLeaf) internal {
        uint256 key0 = _key(0, index);
        if (self.nodes[key0] == newLeaf) return;
        self.nodes[key0] = newLeaf;
        uint256 node = newLeaf;
        uint256 levelSize = self.size;
        uint256 depth = self.depth;
        for (uint256 level = 0; level < depth; ++level) {
            uint256 sibling = index ^ 1;
            if (sibling < levelSize) {
                uint256 other = self.nodes[_key(level, sibling)];
                node = index & 1 == 0 ? PoseidonT3.hash([node, other]) : PoseidonT3.hash([other, node]);
            }
            index >>= 1;
            levelSize = (levelSize + 1) >> 1;
            self.nodes[_key(level + 1, index)] = node;
        }
    }
}
