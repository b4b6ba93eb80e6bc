// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IEscrowRegistry} from "./IEscrowRegistry.sol";

/// @title The freshness question a protocol asks the gate.
interface IBackupFreshness {
    /// @notice True iff the last attestation covers the current state root and is at most
    ///         `maxAgeBlocks` blocks old.
    function isFresh(uint256 maxAgeBlocks) external view returns (bool);
}

/// @title The gate's key commitment (`BackupGate.keyCommitment`).
interface IKeyCommitment {
    /// @notice The commitment K of the key every backup the gate attests is encrypted under.
    function keyCommitment() external view returns (uint256);
}

/// @title An example vault that refuses withdrawals unless a fresh backup was attested and,
///        if the deployment asks for it, the backup key is escrowed.
contract ExampleVault {
    /// @notice The backup gate asked before every withdrawal.
    IBackupFreshness public immutable gate;
    /// @notice The largest attestation age (in blocks) that still counts as fresh.
    uint256 public immutable maxAgeBlocks;
    /// @notice The escrow registry asked before every withdrawal; 0: escrow is not required.
    IEscrowRegistry public immutable registry;
    /// @notice The least escrow threshold k that counts (with a registry).
    uint256 public immutable minThreshold;
    /// @notice The gate's key commitment K, read once at construction (0 without a registry).
    uint256 public immutable keyCommitment;
    /// @notice Deposited balances.
    mapping(address => uint256) public balanceOf;

    /// @notice `account` deposited `amount` wei.
    event Deposited(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice No fresh backup attestation: withdrawals are refused.
    error StaleBackup();
    /// @notice The backup key is not escrowed with at least `minThreshold` in `registry`.
    error KeyNotEscrowed();
    /// @notice The amount exceeds the caller's balance.
    error InsufficientBalance(uint256 balance, uint256 amount);
    /// @notice Sending the ether failed.
    error TransferFailed();

    /// @param registry_ The escrow registry, or 0 if escrow is not required.
    /// @param minThreshold_ The least escrow threshold that counts (ignored without a registry).
    constructor(IBackupFreshness gate_, uint256 maxAgeBlocks_, IEscrowRegistry registry_, uint256 minThreshold_) {
        gate = gate_;
        maxAgeBlocks = maxAgeBlocks_;
        registry = registry_;
        minThreshold = minThreshold_;
        // The gate's K is immutable: read it once rather than at every withdrawal.
        keyCommitment = address(registry_) == address(0) ? 0 : IKeyCommitment(address(gate_)).keyCommitment();
    }

    /// @notice Deposits the sent ether to the caller's balance.
    function deposit() external payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Withdraws `amount` wei; reverts with `StaleBackup` unless the gate is fresh,
    ///         and with `KeyNotEscrowed` unless (with a registry) the gate's key is escrowed
    ///         with a threshold of at least `minThreshold`.
    function withdraw(uint256 amount) external {
        if (!gate.isFresh(maxAgeBlocks)) revert StaleBackup();
        if (address(registry) != address(0) && !registry.isEscrowed(keyCommitment, minThreshold)) {
            revert KeyNotEscrowed();
        }
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        balanceOf[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        (bool sent,) = msg.sender.call{value: amount}("");
        if (!sent) revert TransferFailed();
    }
}
