// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {StoredLeanIMT, StoredLeanIMTData} from "./StoredLeanIMT.sol";
import {IStateSource} from "./IStateSource.sol";
import {IGroth16BatchVerifier} from "./IGroth16BatchVerifier.sol";
import {IBackupFreshness} from "./ExampleVault.sol";

/// @title zkbackup's attestation gate (v2: incremental)
/// @notice Records that a complete, correct encrypted backup of one state source's current
///         state was proven, chunk by chunk, across as many transactions as it takes.
///
///         A backup **lineage** (the high 64 bits of every chunk nonce: nonce = lineage · 2^64 +
///         version · 2^32 + index) keeps two LeanIMTs on chain (`StoredLeanIMT`: zk-kit's
///         tree, every node stored): its chunk roots and its chunk commitments, in chunk
///         order, with each chunk's current nonce and the last chunk's record count. `submit`
///         appends chunks (index = the lineage's chunk count) or replaces existing ones, each
///         with a valid chunk proof (all of a submit verified in one batch):
///         - a chunk's nonce only moves forward (no rollback to an older ciphertext, no
///           replay), and every nonce of a submit names the submit's lineage;
///         - no gaps: a chunk is appended only at the end;
///         - every chunk but the last holds `chunkSize` records, the last 1..chunkSize;
///         - a lineage started before the current one, or replaced by it, is retired.
///         When a submit leaves the lineage with as many records as the source's `size()`
///         and a chunk-root tree whose root is the source's `root()`, the attestation is
///         complete: (R, C) are recorded and `Attested` emitted. Until then (e.g. a first
///         attestation split over several transactions) a submit only records progress.
///         Protocols ask `isFresh(maxAgeBlocks)`: the last completed attestation covers the
///         source's current root and size and is at most `maxAgeBlocks` old.
contract BackupGate is IBackupFreshness {
    using StoredLeanIMT for StoredLeanIMTData;

    /// @dev Scalar field modulus r of BN254.
    uint256 internal constant R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev Mask of the chunk index in a nonce (its low 32 bits).
    uint256 internal constant INDEX_MASK = (1 << 32) - 1;
    /// @dev A nonce's lineage is its bits 64..128.
    uint256 internal constant LINEAGE_SHIFT = 64;
    /// @dev Nonces are below 2^128 (the cipher's domain).
    uint256 internal constant NONCE_BITS = 128;
    /// @dev The largest chunk size: chunk sizes are powers of two up to 2^32, so a lineage's
    ///      record count (at most 2^32 chunks) stays below 2^64 + 1 and fits `lastSize`.
    uint256 internal constant MAX_CHUNK_SIZE = 1 << 32;

    /// @dev One backup lineage on chain.
    struct Lineage {
        /// The chunk roots, in chunk order (their root is the state root R once complete).
        StoredLeanIMTData roots;
        /// The chunk commitments, in chunk order (their root is the backup commitment C).
        StoredLeanIMTData commitments;
        /// Each chunk's current nonce, by chunk index.
        mapping(uint256 => uint256) nonces;
        /// The last chunk's record count.
        uint64 lastCount;
        /// When the lineage's first chunk came in, as 1, 2, ... over all lineages (0: never).
        uint64 started;
    }

    /// @notice One submit: entry i has proof `proofs[i]` for the public inputs
    ///         [chunkRoots[i], chunkCommitments[i], keyCommitment, nonces[i], counts[i]]; the
    ///         first `updates` entries replace existing chunks, the rest are appended, in
    ///         chunk order.
    struct Submission {
        uint256[8][] proofs;
        uint256[] chunkRoots;
        uint256[] chunkCommitments;
        uint256[] nonces;
        uint256[] counts;
        uint256 updates;
    }

    /// @notice The chunk-proof verifier.
    IGroth16BatchVerifier public immutable verifier;
    /// @notice The state whose root and size backups must match.
    IStateSource public immutable stateSource;
    /// @notice The escrowed key's commitment every chunk proof must carry.
    uint256 public immutable keyCommitment;
    /// @notice Records per chunk, a power of two (every chunk but the last is full).
    uint256 public immutable chunkSize;

    /// @notice The last completed attestation's state root (0: none yet).
    uint256 public lastRoot;
    /// @notice The last completed attestation's backup commitment.
    uint256 public lastCommitment;
    /// @notice The block of the last completed attestation (packed with the next three).
    uint64 public lastBlock;
    /// @notice The last completed attestation's record count.
    uint96 public lastSize;
    /// @notice The lineage of the last completed attestation (the current lineage).
    uint64 public currentLineage;
    /// @notice Lineages started so far.
    uint64 public lineagesStarted;
    /// @dev The lineages, by id.
    mapping(uint64 => Lineage) internal lineages;

    /// @notice Chunk `index` of `lineage` is now (chunkRoot, chunkCommitment) under `nonce`
    ///         with `count` records: replaying these events in order rebuilds both trees.
    event ChunkSet(
        uint64 indexed lineage,
        uint256 indexed index,
        uint256 chunkRoot,
        uint256 chunkCommitment,
        uint256 nonce,
        uint256 count
    );
    /// @notice Lineage `lineage` completed an attestation of state root `root` (`records`
    ///         records) with backup commitment `commitment` under `keyCommitment` at
    ///         `blockNumber`.
    event Attested(
        uint256 indexed root,
        uint256 indexed commitment,
        uint64 indexed lineage,
        uint256 keyCommitment,
        uint256 records,
        uint256 blockNumber
    );
    /// @notice `lineage` was the current lineage and `by` replaced it: `lineage` is retired.
    event LineageRetired(uint64 indexed lineage, uint64 indexed by);

    /// @notice No entries, the arrays' lengths differ, or more updates than entries.
    error BadShape();
    /// @notice Entry `entry`'s chunk root or commitment is 0 or not a field element (>= r).
    error NotCanonical(uint256 entry);
    /// @notice Entry `entry`'s nonce is 2^128 or more.
    error NonceOutOfRange(uint256 entry);
    /// @notice Entry `entry`'s nonce names lineage `nonceLineage`, the submit is for `lineage`.
    error LineageMismatch(uint256 entry, uint256 nonceLineage, uint64 lineage);
    /// @notice `lineage` was replaced by (or started before) the current lineage.
    error RetiredLineage(uint64 lineage);
    /// @notice An update names chunk `index`, the lineage has `chunks` chunks.
    error NoSuchChunk(uint256 index, uint256 chunks);
    /// @notice An append names chunk `index`, the next chunk is `next` (index > next: a gap).
    error ChunkGap(uint256 index, uint256 next);
    /// @notice An append names chunk `index`, which exists (replacing it needs an update).
    error ChunkExists(uint256 index);
    /// @notice Chunk `index`'s new nonce equals its current one (a replay).
    error NonceReplayed(uint256 index, uint256 nonce);
    /// @notice Chunk `index`'s new nonce is older than its current one `current` (a rollback).
    error NonceRollback(uint256 index, uint256 nonce, uint256 current);
    /// @notice Chunk `index` has an invalid record count (not `chunkSize` in a middle chunk,
    ///         not 1..chunkSize in the last).
    error BadCount(uint256 index, uint256 count);
    /// @notice A chunk is appended after the last chunk `index`, which holds only `count`
    ///         records.
    error AppendAfterPartialChunk(uint256 index, uint256 count);
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

    /// @notice Appends and replaces chunks of `lineage` (see `Submission`); completes the
    ///         attestation if the lineage now matches the source's root and size.
    /// @return complete Whether this submit completed an attestation.
    function submit(uint64 lineage, Submission calldata s) external returns (bool complete) {
        uint256 n = s.proofs.length;
        if (
            n == 0 || s.chunkRoots.length != n || s.chunkCommitments.length != n || s.nonces.length != n
                || s.counts.length != n || s.updates > n
        ) revert BadShape();
        if (isRetired(lineage)) revert RetiredLineage(lineage);
        uint256[5][] memory inputs = _publicInputs(lineage, s);
        Lineage storage l = lineages[lineage];
        uint256 lastCount = _applyUpdates(l, lineage, s);
        if (s.updates < n) lastCount = _applyAppends(l, lineage, s, lastCount);
        l.lastCount = uint64(lastCount);
        if (!verifier.verifyBatch(s.proofs, inputs)) revert InvalidProofs();
        return _complete(l, lineage, lastCount);
    }

    /// @dev Checks every entry's values (canonical, non-zero, nonce < 2^128 of `lineage`);
    ///      returns every entry's public inputs.
    function _publicInputs(uint64 lineage, Submission calldata s) internal view returns (uint256[5][] memory inputs) {
        uint256 n = s.proofs.length;
        inputs = new uint256[5][](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 chunkRoot = s.chunkRoots[i];
            uint256 chunkCommitment = s.chunkCommitments[i];
            if (chunkRoot == 0 || chunkRoot >= R_MOD || chunkCommitment == 0 || chunkCommitment >= R_MOD) {
                revert NotCanonical(i);
            }
            uint256 nonce = s.nonces[i];
            if (nonce >> NONCE_BITS != 0) revert NonceOutOfRange(i);
            if (nonce >> LINEAGE_SHIFT != lineage) revert LineageMismatch(i, nonce >> LINEAGE_SHIFT, lineage);
            inputs[i] = [chunkRoot, chunkCommitment, keyCommitment, nonce, s.counts[i]];
        }
    }

    /// @dev Replaces the chunks of the leading `updates.length` entries, in order; returns the
    ///      last chunk's record count afterwards.
    function _applyUpdates(Lineage storage l, uint64 lineage, Submission calldata s)
        internal
        returns (uint256 lastCount)
    {
        lastCount = l.lastCount;
        uint256 chunks = l.roots.size;
        for (uint256 i = 0; i < s.updates; ++i) {
            uint256 nonce = s.nonces[i];
            uint256 index = nonce & INDEX_MASK;
            if (index >= chunks) revert NoSuchChunk(index, chunks);
            uint256 count = s.counts[i];
            bool last = index + 1 == chunks;
            _checkCount(index, count, last);
            if (last) lastCount = count;
            uint256 current = l.nonces[index];
            if (nonce == current) revert NonceReplayed(index, nonce);
            if (nonce < current) revert NonceRollback(index, nonce, current);
            l.nonces[index] = nonce;
            l.roots.update(index, s.chunkRoots[i]);
            l.commitments.update(index, s.chunkCommitments[i]);
            emit ChunkSet(lineage, index, s.chunkRoots[i], s.chunkCommitments[i], nonce, count);
        }
    }

    /// @dev Appends the chunks of the entries after the updates (in chunk order, no gap, the
    ///      previous last chunk full); returns the new last chunk's record count.
    function _applyAppends(Lineage storage l, uint64 lineage, Submission calldata s, uint256 lastCount)
        internal
        returns (uint256)
    {
        uint256 first = s.updates;
        uint256 n = s.proofs.length;
        uint256 next = l.roots.size;
        if (next == 0) l.started = ++lineagesStarted;
        for (uint256 i = first; i < n; ++i) {
            uint256 nonce = s.nonces[i];
            uint256 index = nonce & INDEX_MASK;
            if (index > next) revert ChunkGap(index, next);
            if (index < next) revert ChunkExists(index);
            if (i == first && next > 0 && lastCount != chunkSize) {
                revert AppendAfterPartialChunk(next - 1, lastCount);
            }
            uint256 count = s.counts[i];
            _checkCount(index, count, i + 1 == n);
            l.nonces[index] = nonce;
            emit ChunkSet(lineage, index, s.chunkRoots[i], s.chunkCommitments[i], nonce, count);
            ++next;
        }
        l.roots.insertMany(s.chunkRoots[first:]);
        l.commitments.insertMany(s.chunkCommitments[first:]);
        return s.counts[n - 1];
    }

    /// @dev A middle chunk holds `chunkSize` records, the last 1..chunkSize.
    function _checkCount(uint256 index, uint256 count, bool last) internal view {
        if (last ? (count == 0 || count > chunkSize) : count != chunkSize) revert BadCount(index, count);
    }

    /// @dev Completes the attestation if `lineage` now holds the source's size and root.
    function _complete(Lineage storage l, uint64 lineage, uint256 lastCount) internal returns (bool) {
        // No overflow: chunks <= 2^32 (32-bit indices), chunkSize <= 2^32.
        uint256 records = (l.roots.size - 1) * chunkSize + lastCount;
        if (records != stateSource.size()) return false;
        uint256 root = l.roots.root();
        if (root != stateSource.root()) return false;
        uint256 commitment = l.commitments.root();
        uint64 previous = currentLineage;
        if (lastRoot != 0 && previous != lineage) emit LineageRetired(previous, lineage);
        lastRoot = root;
        lastCommitment = commitment;
        // Fit by construction: block numbers < 2^64, records <= 2^64.
        lastBlock = uint64(block.number);
        lastSize = uint96(records);
        currentLineage = lineage;
        emit Attested(root, commitment, lineage, keyCommitment, records, block.number);
        return true;
    }

    /// @notice Whether `lineage` is retired: some attestation completed, `lineage` is not its
    ///         lineage, and `lineage` started before it (so a lineage the current one replaced,
    ///         and any older lineage still in progress, can never complete).
    function isRetired(uint64 lineage) public view returns (bool) {
        if (lastRoot == 0 || lineage == currentLineage) return false;
        uint64 started = lineages[lineage].started;
        return started != 0 && started < lineages[currentLineage].started;
    }

    /// @notice `lineage` on chain: its chunk count, the last chunk's record count, the roots
    ///         of its chunk-root and chunk-commitment trees (0 if empty), its start order
    ///         (0: not started) and whether it is retired.
    function lineageState(uint64 lineage)
        external
        view
        returns (
            uint256 chunks,
            uint256 lastCount,
            uint256 rootsRoot,
            uint256 commitmentsRoot,
            uint256 started,
            bool retired
        )
    {
        Lineage storage l = lineages[lineage];
        return (
            l.roots.size, l.lastCount, l.roots.root(), l.commitments.root(), l.started, isRetired(lineage)
        );
    }

    /// @notice Chunk `index`'s current nonce in `lineage` (0: no such chunk).
    function chunkNonce(uint64 lineage, uint256 index) external view returns (uint256) {
        return lineages[lineage].nonces[index];
    }

    /// @notice Chunk `index` of `lineage`: its chunk root, chunk commitment and nonce (zeros:
    ///         no such chunk).
    function chunkAt(uint64 lineage, uint256 index)
        external
        view
        returns (uint256 chunkRoot, uint256 chunkCommitment, uint256 nonce)
    {
        Lineage storage l = lineages[lineage];
        return (l.roots.leaf(index), l.commitments.leaf(index), l.nonces[index]);
    }

    /// @inheritdoc IBackupFreshness
    /// @dev Fresh means: an attestation completed, its R and record count are the source's
    ///      current root and size, and it is at most `maxAgeBlocks` old.
    function isFresh(uint256 maxAgeBlocks) external view returns (bool) {
        uint256 r = lastRoot;
        if (r == 0 || block.number - lastBlock > maxAgeBlocks) return false;
        return r == stateSource.root() && lastSize == stateSource.size();
    }

    /// @notice The last completed attestation: (R, C, K, block number, lineage, record count);
    ///         R = 0 if none.
    function lastAttestation() external view returns (uint256, uint256, uint256, uint256, uint256, uint256) {
        return (lastRoot, lastCommitment, keyCommitment, lastBlock, currentLineage, lastSize);
    }
}
