// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {EscrowRegistry} from "./EscrowRegistry.sol";

/// @title Test only: `EscrowRegistry` storing keccak256(trustee keys) instead of the keys
/// @notice For the gas comparison of the two storage options (contracts/README.md). The keys
///         are still checked, proven and emitted in `EscrowRegistered`; `escrowOf` returns no
///         keys (only their hash is kept, `trusteesHash`).
contract EscrowRegistryHashedTrustees is EscrowRegistry {
    /// @notice keccak256(abi.encode(trusteeKeys)) of each key commitment's escrow.
    mapping(uint256 => bytes32) public trusteesHash;

    constructor(uint8[] memory ks, uint8[] memory ns, address[] memory verifiers) EscrowRegistry(ks, ns, verifiers) {}

    function _storeTrustees(Escrow storage, uint256 keyCommitment, uint256[2][] calldata trusteeKeys)
        internal
        override
    {
        trusteesHash[keyCommitment] = keccak256(abi.encode(trusteeKeys));
    }

    function _trusteeKeys(Escrow storage, uint256) internal pure override returns (uint256[2][] memory keys) {
        return keys;
    }
}
