// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IStateSource} from "./IStateSource.sol";

/// @title A test-only state source whose root and size the owner sets directly.
/// @notice For benchmarks of large states (e.g. 100,000 records) without inserting every leaf:
///         the benchmark computes the root off chain and seeds it. Not a real state.
contract SeededStateSource is IStateSource {
    /// @notice The account allowed to seed the state.
    address public immutable owner;
    uint256 internal root_;
    uint256 internal size_;

    /// @notice The owner set the state to `root` with `size` leaves.
    event Seeded(uint256 root, uint256 size);

    /// @notice The caller is not the owner.
    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    /// @notice Sets the root and size (owner only).
    function seed(uint256 newRoot, uint256 newSize) external {
        if (msg.sender != owner) revert NotOwner();
        root_ = newRoot;
        size_ = newSize;
        emit Seeded(newRoot, newSize);
    }

    /// @inheritdoc IStateSource
    function root() external view returns (uint256) {
        return root_;
    }

    /// @inheritdoc IStateSource
    function size() external view returns (uint256) {
        return size_;
    }
}
