// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title A contract that publishes the Merkle root of a state (a LeanIMT root for zkbackup)
///        and the number of leaves under it.
/// @notice The gate needs both: with records of arity 2 a leaf hash is a node hash, so a root
///         alone does not fix how many records the state holds (two subtree roots, taken as one
///         record, have the same root as the records below them). `root()` and `size()` must
///         describe the same tree.
interface IStateSource {
    /// @notice The current state root.
    function root() external view returns (uint256);
    /// @notice The number of leaves (records) under the current root.
    function size() external view returns (uint256);
}
