// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title A contract that publishes the Merkle root of a state (a LeanIMT root for zkbackup).
interface IStateSource {
    /// @notice The current state root.
    function root() external view returns (uint256);
}
