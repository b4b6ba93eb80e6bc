// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title The batch entry point of zkbackup's Groth16 verifier.
interface IGroth16BatchVerifier {
    /// @notice True iff every proof verifies against its 5 public inputs.
    /// @param proofs Per proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param inputs Per proof [chunkRoot, chunkCommitment, keyCommitment, nonce, count].
    function verifyBatch(uint256[8][] calldata proofs, uint256[5][] calldata inputs) external view returns (bool);
}
