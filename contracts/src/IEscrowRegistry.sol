// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title The escrow question a protocol asks the registry.
interface IEscrowRegistry {
    /// @notice True iff the key behind `keyCommitment` has a registered escrow whose
    ///         threshold is at least `minThreshold`.
    function isEscrowed(uint256 keyCommitment, uint256 minThreshold) external view returns (bool);
}
