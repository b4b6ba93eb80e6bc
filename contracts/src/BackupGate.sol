// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {IStateSource} from "./IStateSource.sol";
import {IGroth16BatchVerifier} from "./IGroth16BatchVerifier.sol";
import {IBackupFreshness} from "./ExampleVault.sol";

/// @title zkbackup's attestation gate
/// @notice Records that a complete, correct encrypted backup of one state source's current
///         root was proven: every chunk proof verifies (in one batch), the chunk roots combine
///         (LeanIMT, Poseidon(2)) into the source's current root R, the chunk commitments into
///         the backup commitment C, and every chunk used the configured key commitment K.
///         Protocols ask `isFresh(maxAgeBlocks)`.
contract BackupGate is IBackupFreshness {
    /// @dev Scalar field modulus r of BN254.
    uint256 internal constant R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice The chunk-proof verifier.
    IGroth16BatchVerifier public immutable verifier;
    /// @notice The state whose root backups must match.
    IStateSource public immutable stateSource;
    /// @notice The escrowed key's commitment every chunk proof must carry.
    uint256 public immutable keyCommitment;
    /// @notice Records per chunk (every chunk but the last is full).
    uint256 public immutable chunkSize;

    /// @notice The last attestation's state root (0: none yet).
    uint256 public lastRoot;
    /// @notice The last attestation's backup commitment.
    uint256 public lastCommitment;
    /// @notice The block of the last attestation.
    uint256 public lastBlock;
    /// @notice Attestations made so far, by keccak256(abi.encode(R, C)).
    mapping(bytes32 => bool) public attested;

    /// @notice A backup of state root `root` with commitment `commitment` under key commitment
    ///         `keyCommitment` was attested at `blockNumber`.
    event Attested(uint256 indexed root, uint256 indexed commitment, uint256 keyCommitment, uint256 blockNumber);

    /// @notice No chunks, or the arrays' lengths differ.
    error BadShape();
    /// @notice Chunk `index` has an invalid record count.
    error BadCount(uint256 index, uint256 count);
    /// @notice Chunk `index` has a nonce of 128 bits or more.
    error NonceOutOfRange(uint256 index);
    /// @notice A chunk root or commitment at `index` is not a canonical field element (>= r).
    error NotCanonical(uint256 index);
    /// @notice The chunk roots combine into `computed`, not the source's current root `current`.
    error RootMismatch(uint256 computed, uint256 current);
    /// @notice This (R, C) was attested before.
    error AlreadyAttested(uint256 root, uint256 commitment);
    /// @notice A chunk proof does not verify.
    error InvalidProofs();
    /// @notice A constructor argument is invalid.
    error BadConfig();

    constructor(IGroth16BatchVerifier verifier_, IStateSource stateSource_, uint256 keyCommitment_, uint256 chunkSize_) {
        if (keyCommitment_ >= R_MOD || chunkSize_ == 0) revert BadConfig();
        verifier = verifier_;
        stateSource = stateSource_;
        keyCommitment = keyCommitment_;
        chunkSize = chunkSize_;
    }

    /// @notice Attests a backup: chunk j has proof `proofs[j]` for the public inputs
    ///         [chunkRoots[j], chunkCommitments[j], keyCommitment, nonces[j], counts[j]].
    /// @param proofs Per chunk [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @return root The attested state root R.
    /// @return commitment The attested backup commitment C.
    function attest(
        uint256[8][] calldata proofs,
        uint256[] calldata chunkRoots,
        uint256[] calldata chunkCommitments,
        uint256[] calldata nonces,
        uint256[] calldata counts
    ) external returns (uint256 root, uint256 commitment) {
        uint256[5][] memory inputs = _publicInputs(proofs.length, chunkRoots, chunkCommitments, nonces, counts);
        root = _leanImtRoot(chunkRoots);
        uint256 current = stateSource.root();
        if (root != current) revert RootMismatch(root, current);
        commitment = _leanImtRoot(chunkCommitments);
        _record(proofs, inputs, root, commitment);
    }

    /// @dev Rejects replays and invalid proofs, then records the attestation.
    function _record(uint256[8][] calldata proofs, uint256[5][] memory inputs, uint256 root, uint256 commitment)
        internal
    {
        bytes32 id = keccak256(abi.encode(root, commitment));
        if (attested[id]) revert AlreadyAttested(root, commitment);
        if (!verifier.verifyBatch(proofs, inputs)) revert InvalidProofs();
        attested[id] = true;
        lastRoot = root;
        lastCommitment = commitment;
        lastBlock = block.number;
        emit Attested(root, commitment, keyCommitment, block.number);
    }

    /// @dev Checks the chunks' shape, counts, nonces and field elements; returns every chunk's
    ///      public inputs.
    function _publicInputs(
        uint256 n,
        uint256[] calldata chunkRoots,
        uint256[] calldata chunkCommitments,
        uint256[] calldata nonces,
        uint256[] calldata counts
    ) internal view returns (uint256[5][] memory inputs) {
        if (
            n == 0 || chunkRoots.length != n || chunkCommitments.length != n || nonces.length != n
                || counts.length != n
        ) revert BadShape();
        uint256 size = chunkSize;
        uint256 k = keyCommitment;
        inputs = new uint256[5][](n);
        for (uint256 j = 0; j < n; ++j) {
            uint256 count = counts[j];
            if (j + 1 < n ? count != size : (count == 0 || count > size)) revert BadCount(j, count);
            uint256 nonce = nonces[j];
            if (nonce >> 128 != 0) revert NonceOutOfRange(j);
            uint256 chunkRoot = chunkRoots[j];
            uint256 chunkCommitment = chunkCommitments[j];
            if (chunkRoot >= R_MOD || chunkCommitment >= R_MOD) revert NotCanonical(j);
            inputs[j] = [chunkRoot, chunkCommitment, k, nonce, count];
        }
    }

    /// @inheritdoc IBackupFreshness
    function isFresh(uint256 maxAgeBlocks) external view returns (bool) {
        uint256 r = lastRoot;
        return r != 0 && r == stateSource.root() && block.number - lastBlock <= maxAgeBlocks;
    }

    /// @notice The last attestation: (R, C, K, block number); R = 0 if none.
    function lastAttestation() external view returns (uint256, uint256, uint256, uint256) {
        return (lastRoot, lastCommitment, keyCommitment, lastBlock);
    }

    /// @dev The LeanIMT root (@zk-kit/lean-imt) of `leaves`: Poseidon(2) parents, a lone left
    ///      child promoted, the root of one leaf is the leaf.
    function _leanImtRoot(uint256[] calldata leaves) internal pure returns (uint256) {
        uint256[] memory level = leaves;
        uint256 len = level.length;
        while (len > 1) {
            uint256 half = len >> 1;
            for (uint256 i = 0; i < half; ++i) {
                level[i] = PoseidonT3.hash([level[2 * i], level[2 * i + 1]]);
            }
            if (len & 1 == 1) {
                level[half] = level[len - 1];
                len = half + 1;
            } else {
                len = half;
            }
        }
        return level[0];
    }
}
