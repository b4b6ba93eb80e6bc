// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {IStateSource} from "./IStateSource.sol";
import {IGroth16BatchVerifier} from "./IGroth16BatchVerifier.sol";
import {IBackupFreshness} from "./ExampleVault.sol";

/// @title zkbackup's attestation gate
/// @notice Records that a complete, correct encrypted backup of one state source's current
///         state was proven. `attest` accepts a backup only if:
///         - every chunk but the last holds `chunkSize` records, the last 1..chunkSize, and the
///           counts sum to the source's `size()` (with records of arity 2 a leaf hash is a node
///           hash, so the root alone does not fix the record count: two subtree roots taken as
///           one record have the state's root);
///         - every chunk's nonce is `backupId · 2^32 + j` (j its index) with one backup id for
///           all chunks and below 2^128, so the chunks come from one backup and proofs of
///           different backups cannot be recombined into an (R, C) that was never a backup;
///         - the chunk roots combine (LeanIMT, Poseidon(2)) into the source's current root R,
///           the chunk commitments into the backup commitment C;
///         - (R, C, backupId) was not attested before;
///         - every chunk proof verifies (in one batch) with the configured key commitment K.
///         Protocols ask `isFresh(maxAgeBlocks)`: the last attestation covers the source's
///         current root and size and is at most `maxAgeBlocks` old.
contract BackupGate is IBackupFreshness {
    /// @dev Scalar field modulus r of BN254.
    uint256 internal constant R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev Low bits of a nonce that hold the chunk index: nonce = backupId · 2^32 + index.
    uint256 internal constant INDEX_BITS = 32;
    /// @dev Mask of the chunk index in a nonce.
    uint256 internal constant INDEX_MASK = (1 << INDEX_BITS) - 1;
    /// @dev Nonces are below 2^128 (the cipher's domain), so backup ids are below 2^96.
    uint256 internal constant NONCE_BITS = 128;
    /// @dev The largest chunk size: chunk sizes are powers of two up to 2^32, so a backup's
    ///      record count (at most 2^32 chunks) stays below 2^64 + 1 and fits `lastSize`.
    uint256 internal constant MAX_CHUNK_SIZE = 1 << 32;

    /// @notice The chunk-proof verifier.
    IGroth16BatchVerifier public immutable verifier;
    /// @notice The state whose root and size backups must match.
    IStateSource public immutable stateSource;
    /// @notice The escrowed key's commitment every chunk proof must carry.
    uint256 public immutable keyCommitment;
    /// @notice Records per chunk, a power of two (every chunk but the last is full).
    uint256 public immutable chunkSize;

    /// @notice The last attestation's state root (0: none yet).
    uint256 public lastRoot;
    /// @notice The last attestation's backup commitment.
    uint256 public lastCommitment;
    /// @notice The block of the last attestation (packed with the next two in one slot).
    uint64 public lastBlock;
    /// @notice The last attestation's record count (the source's size when it was attested).
    uint96 public lastSize;
    /// @notice The last attestation's backup id (the high 96 bits of its nonces).
    uint96 public lastBackupId;
    /// @notice Attestations made so far, by keccak256(abi.encode(R, C, backupId)).
    mapping(bytes32 => bool) public attested;

    /// @notice Backup `backupId` of state root `root` (`records` records) with commitment
    ///         `commitment` under key commitment `keyCommitment` was attested at `blockNumber`.
    event Attested(
        uint256 indexed root,
        uint256 indexed commitment,
        uint256 indexed backupId,
        uint256 keyCommitment,
        uint256 records,
        uint256 blockNumber
    );

    /// @dev What `attest` records about one backup.
    struct Summary {
        uint256 root;
        uint256 commitment;
        uint256 backupId;
        uint256 records;
    }

    /// @notice No chunks, or the arrays' lengths differ.
    error BadShape();
    /// @notice Chunk `index` has an invalid record count.
    error BadCount(uint256 index, uint256 count);
    /// @notice Chunk `index` has a nonce of 128 bits or more.
    error NonceOutOfRange(uint256 index);
    /// @notice Chunk `index`'s nonce carries chunk index `nonceIndex` (its low 32 bits).
    error ChunkIndexMismatch(uint256 index, uint256 nonceIndex);
    /// @notice Chunk `index`'s nonce names backup `backupId`, chunk 0's names `expected`.
    error BackupIdMismatch(uint256 index, uint256 backupId, uint256 expected);
    /// @notice A chunk root or commitment at `index` is not a canonical field element (>= r).
    error NotCanonical(uint256 index);
    /// @notice The chunk counts sum to `records`, the state source holds `size` records.
    error SizeMismatch(uint256 records, uint256 size);
    /// @notice The chunk roots combine into `computed`, not the source's current root `current`.
    error RootMismatch(uint256 computed, uint256 current);
    /// @notice Backup `backupId` with this (R, C) was attested before.
    error AlreadyAttested(uint256 root, uint256 commitment, uint256 backupId);
    /// @notice A chunk proof does not verify.
    error InvalidProofs();
    /// @notice A constructor argument is invalid.
    error BadConfig();

    /// @param chunkSize_ A power of two, at most 2^32.
    constructor(IGroth16BatchVerifier verifier_, IStateSource stateSource_, uint256 keyCommitment_, uint256 chunkSize_) {
        if (
            keyCommitment_ >= R_MOD || chunkSize_ == 0 || chunkSize_ & (chunkSize_ - 1) != 0
                || chunkSize_ > MAX_CHUNK_SIZE
        ) revert BadConfig();
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
    /// @return backupId The attested backup's id (every nonce's high 96 bits).
    function attest(
        uint256[8][] calldata proofs,
        uint256[] calldata chunkRoots,
        uint256[] calldata chunkCommitments,
        uint256[] calldata nonces,
        uint256[] calldata counts
    ) external returns (uint256 root, uint256 commitment, uint256 backupId) {
        uint256[5][] memory inputs = _publicInputs(proofs.length, chunkRoots, chunkCommitments, nonces, counts);
        Summary memory a = _summary(nonces, counts);
        a.root = _stateRoot(chunkRoots, a.records);
        a.commitment = _leanImtRoot(chunkCommitments);
        _record(proofs, inputs, a);
        return (a.root, a.commitment, a.backupId);
    }

    /// @dev Checks the shape and that roots and commitments are field elements; returns every
    ///      chunk's public inputs.
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
        inputs = new uint256[5][](n);
        for (uint256 j = 0; j < n; ++j) {
            uint256 chunkRoot = chunkRoots[j];
            uint256 chunkCommitment = chunkCommitments[j];
            if (chunkRoot >= R_MOD || chunkCommitment >= R_MOD) revert NotCanonical(j);
            inputs[j] = [chunkRoot, chunkCommitment, keyCommitment, nonces[j], counts[j]];
        }
    }

    /// @dev Checks the counts (every chunk but the last full, the last 1..chunkSize) and the
    ///      nonces (chunk j's is backupId · 2^32 + j, one backupId, below 2^128); returns the
    ///      record count and the backup id. Runs after `_publicInputs` (non-empty, same lengths).
    function _summary(uint256[] calldata nonces, uint256[] calldata counts)
        internal
        view
        returns (Summary memory a)
    {
        uint256 n = counts.length;
        uint256 backupId = nonces[0] >> INDEX_BITS;
        uint256 records;
        for (uint256 j = 0; j < n; ++j) {
            uint256 count = counts[j];
            if (j + 1 < n ? count != chunkSize : (count == 0 || count > chunkSize)) revert BadCount(j, count);
            // No overflow: count <= chunkSize <= 2^32 and n <= 2^32 (the index check below).
            records += count;
            uint256 nonce = nonces[j];
            if (nonce >> NONCE_BITS != 0) revert NonceOutOfRange(j);
            if (nonce & INDEX_MASK != j) revert ChunkIndexMismatch(j, nonce & INDEX_MASK);
            if (nonce >> INDEX_BITS != backupId) revert BackupIdMismatch(j, nonce >> INDEX_BITS, backupId);
        }
        a.records = records;
        a.backupId = backupId;
    }

    /// @dev R, the LeanIMT root of `chunkRoots`, once the record count is the source's size
    ///      and R its current root.
    function _stateRoot(uint256[] calldata chunkRoots, uint256 records) internal view returns (uint256 root) {
        uint256 size = stateSource.size();
        if (records != size) revert SizeMismatch(records, size);
        root = _leanImtRoot(chunkRoots);
        uint256 current = stateSource.root();
        if (root != current) revert RootMismatch(root, current);
    }

    /// @dev Rejects replays and invalid proofs, then records the attestation.
    function _record(uint256[8][] calldata proofs, uint256[5][] memory inputs, Summary memory a) internal {
        bytes32 id = keccak256(abi.encode(a.root, a.commitment, a.backupId));
        if (attested[id]) revert AlreadyAttested(a.root, a.commitment, a.backupId);
        if (!verifier.verifyBatch(proofs, inputs)) revert InvalidProofs();
        attested[id] = true;
        lastRoot = a.root;
        lastCommitment = a.commitment;
        // Fit by construction: block numbers < 2^64, records <= 2^64, backup ids < 2^96.
        lastBlock = uint64(block.number);
        lastSize = uint96(a.records);
        lastBackupId = uint96(a.backupId);
        emit Attested(a.root, a.commitment, a.backupId, keyCommitment, a.records, block.number);
    }

    /// @inheritdoc IBackupFreshness
    /// @dev Fresh means: the last attestation's R and record count are the source's current
    ///      root and size, and it is at most `maxAgeBlocks` old.
    function isFresh(uint256 maxAgeBlocks) external view returns (bool) {
        uint256 r = lastRoot;
        if (r == 0 || block.number - lastBlock > maxAgeBlocks) return false;
        return r == stateSource.root() && lastSize == stateSource.size();
    }

    /// @notice The last attestation: (R, C, K, block number, backup id, record count); R = 0
    ///         if none.
    function lastAttestation() external view returns (uint256, uint256, uint256, uint256, uint256, uint256) {
        return (lastRoot, lastCommitment, keyCommitment, lastBlock, lastBackupId, lastSize);
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
