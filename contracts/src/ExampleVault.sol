// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title The freshness question a protocol asks the gate.
interface IBackupFreshness {
    /// @notice True iff the last attestation covers the current state root and is at most
    ///         `maxAgeBlocks` blocks old.
    function isFresh(uint256 maxAgeBlocks) external view returns (bool);
}

/// @title An example vault that refuses withdrawals unless a fresh backup was attested.
contract ExampleVault {
    /// @notice The backup gate asked before every withdrawal.
    IBackupFreshness public immutable gate;
    /// @notice The largest attestation age (in blocks) that still counts as fresh.
    uint256 public immutable maxAgeBlocks;
    /// @notice Deposited balances.
    mapping(address => uint256) public balanceOf;

    /// @notice `account` deposited `amount` wei.
    event Deposited(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice No fresh backup attestation: withdrawals are refused.
    error StaleBackup();
    /// @notice The amount exceeds the caller's balance.
    error InsufficientBalance(uint256 balance, uint256 amount);
    /// @notice Sending the ether failed.
    error TransferFailed();

    constructor(IBackupFreshness gate_, uint256 maxAgeBlocks_) {
        gate = gate_;
        maxAgeBlocks = maxAgeBlocks_;
    }

    /// @notice Deposits the sent ether to the caller's balance.
    function deposit() external payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Withdraws `amount` wei; reverts with `StaleBackup` unless the gate is fresh.
    function withdraw(uint256 amount) external {
        if (!gate.isFresh(maxAgeBlocks)) revert StaleBackup();
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        balanceOf[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert TransferFailed();
    }
}
