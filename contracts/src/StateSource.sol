// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {InternalLeanIMT, LeanIMTData, LeafCannotBeZero} from "@zk-kit/lean-imt.sol/InternalLeanIMT.sol";
import {IStateSource} from "./IStateSource.sol";

/// @title A state whose records' leaves live in a LeanIMT (@zk-kit/lean-imt.sol, Poseidon(2)
///        nodes of poseidon-solidity), as in Semaphore v4 and Privacy Pools.
/// @notice Only the deployer inserts and updates. Leaves must be non-zero, < r and distinct
///         (LeanIMT rules); an update cannot remove a leaf (set it to 0).
contract StateSource is IStateSource {
    using InternalLeanIMT for LeanIMTData;

    LeanIMTData internal tree;
    /// @notice The account allowed to insert leaves.
    address public immutable owner;

    /// @notice A leaf was appended at `index`; `root` is the new state root.
    event LeafInserted(uint256 indexed index, uint256 leaf, uint256 root);

    /// @notice Leaf `index` changed from `oldLeaf` to `newLeaf`; `root` is the new state root.
    event LeafUpdated(uint256 indexed index, uint256 oldLeaf, uint256 newLeaf, uint256 root);

    /// @notice The caller is not the owner.
    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice Appends one leaf; returns the new root.
    function insert(uint256 leaf) external onlyOwner returns (uint256 newRoot) {
        uint256 index = tree.size;
        newRoot = tree._insert(leaf);
        emit LeafInserted(index, leaf, newRoot);
    }

    /// @notice Appends leaves in order; returns the new root.
    function insertMany(uint256[] calldata leaves) external onlyOwner returns (uint256 newRoot) {
        uint256 index = tree.size;
        newRoot = tree._insertMany(leaves);
        for (uint256 i = 0; i < leaves.length; ++i) {
            emit LeafInserted(index + i, leaves[i], newRoot);
        }
    }

    /// @notice Replaces leaf `oldLeaf` by `newLeaf` (LeanIMT update: `siblingNodes` are the
    ///         leaf's sibling nodes, as generateProof of zk-kit's lean-imt gives them); returns
    ///         the new root.
    function update(uint256 oldLeaf, uint256 newLeaf, uint256[] calldata siblingNodes)
        external
        onlyOwner
        returns (uint256 newRoot)
    {
        if (newLeaf == 0) revert LeafCannotBeZero();
        uint256 index = tree._indexOf(oldLeaf);
        newRoot = tree._update(oldLeaf, newLeaf, siblingNodes);
        emit LeafUpdated(index, oldLeaf, newLeaf, newRoot);
    }

    /// @inheritdoc IStateSource
    function root() external view returns (uint256) {
        return tree._root();
    }

    /// @inheritdoc IStateSource
    function size() external view returns (uint256) {
        return tree.size;
    }

    /// @notice The tree's depth (ceil(log2(size))).
    function depth() external view returns (uint256) {
        return tree.depth;
    }
}
