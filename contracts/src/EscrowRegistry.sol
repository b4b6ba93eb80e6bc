// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IEscrowRegistry} from "./IEscrowRegistry.sol";

/// @title zkbackup's key-escrow registry
/// @notice Records that the backup key behind a key commitment K is escrowed k-of-n to named
///         trustees: `register` checks a Groth16 proof of the escrow circuit for the shape
///         (k, n), whose public inputs are [K, escrowDigest, P1.x, P1.y, ..., Pn.x, Pn.y]
///         (Pi: trustee i's Baby Jubjub public key, in zk-kit's coordinates). The proof shows
///         that the ciphertexts behind the digest are shares of a degree-(k - 1) polynomial
///         per key element, whose constant terms are the key behind K, each encrypted to its
///         trustee (docs/ESCROW.md). The chain sees only the digest, never the ciphertexts.
///
///         Only a holder of the key can make a valid proof (it opens K). A new registration
///         for the same K replaces the previous one. A (K, digest) pair registers once: a
///         registration seen on chain cannot be replayed by anyone to bring back an older
///         escrow. An escrow that was dealt but never registered can still be registered by
///         whoever holds its file (its trustees), over a newer one: the proof carries no
///         order between deals.
///
///         One verifier per shape, fixed in the constructor (no admin). Verifiers are called
///         with snarkjs's ABI, `verifyProof(uint256[2], uint256[2][2], uint256[2],
///         uint256[2 + 2n])`: zkbackup's generated `Groth16Verifier<N>` or snarkjs's own
///         export both fit.
/// @dev The trustee keys are stored (2n slots), not only their keccak: `escrowOf` then
///      answers who the trustees are from state alone, for contracts and for clients long
///      after the `EscrowRegistered` log may have been pruned from nodes (history expiry,
///      EIP-4444), which matters for an escrow meant to be used years later. Storing only
///      keccak(trustees) and emitting the keys would save 2n - 1 new slots: 111k gas of a
///      478k registration at n = 3, 200k of 598k at n = 5 (measured with the test-only
///      `EscrowRegistryHashedTrustees`, contracts/README.md), once per key and deal.
contract EscrowRegistry is IEscrowRegistry {
    /// @dev Scalar field modulus of BN254 (every public input is below it).
    uint256 internal constant R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice The most trustees an escrow can have.
    uint256 public constant MAX_TRUSTEES = 16;

    /// @dev The verifier of one shape and its `verifyProof` selector (one slot).
    struct Shape {
        address verifier;
        bytes4 selector;
    }

    /// @dev One registered escrow: threshold, trustee count and block in one slot, the digest,
    ///      and the trustee keys (only the first `trustees` entries are current).
    struct Escrow {
        uint8 threshold;
        uint8 trustees;
        uint64 blockNumber;
        uint256 digest;
        uint256[2][16] keys;
    }

    /// @dev Shapes by `threshold << 8 | trustees`.
    mapping(uint256 => Shape) internal shapes;
    /// @dev Escrows by key commitment.
    mapping(uint256 => Escrow) internal escrows;
    /// @notice True iff (keyCommitment, digest) was registered once.
    mapping(uint256 => mapping(uint256 => bool)) public registered;

    /// @notice The key behind `keyCommitment` is escrowed `threshold`-of-`trustees` to
    ///         `trusteeKeys` (in share order: trustee i holds the share at x = i), with escrow
    ///         digest `digest`. Replaces any earlier escrow of the same key.
    event EscrowRegistered(
        uint256 indexed keyCommitment, uint256 digest, uint8 threshold, uint8 trustees, uint256[2][] trusteeKeys
    );

    /// @notice No verifier for the shape `threshold`-of-`trustees`.
    error UnknownShape(uint8 threshold, uint8 trustees);
    /// @notice The shape has `trustees` trustees, `given` keys were given.
    error TrusteeCountMismatch(uint8 trustees, uint256 given);
    /// @notice Public input `index` (0: K, 1: the digest, 2 + 2(i - 1) and 3 + 2(i - 1):
    ///         trustee i's x and y) is not a field element (>= r).
    error NotCanonical(uint256 index);
    /// @notice Trustee `index` (1-based) has x = 0: the identity or the point of order 2.
    error ZeroTrustee(uint256 index);
    /// @notice Trustees `first` and `second` (1-based) have the same key: one person would hold
    ///         two shares.
    error DuplicateTrustee(uint256 first, uint256 second);
    /// @notice This escrow of this key was registered before (a replay).
    error AlreadyRegistered(uint256 keyCommitment, uint256 digest);
    /// @notice The proof does not verify for these public inputs.
    error InvalidProof();
    /// @notice A constructor argument is invalid: array lengths differ, or shape `index` has
    ///         k = 0, k > n, n > 16, no code at its verifier, or repeats an earlier shape.
    error BadConfig(uint256 index);

    /// @param ks Per shape its threshold k (1 <= k <= n).
    /// @param ns Per shape its trustee count n (at most 16).
    /// @param verifiers Per shape the Groth16 verifier of its escrow circuit (2 + 2n inputs).
    constructor(uint8[] memory ks, uint8[] memory ns, address[] memory verifiers) {
        if (ks.length != ns.length || ks.length != verifiers.length) revert BadConfig(type(uint256).max);
        for (uint256 i = 0; i < ks.length; ++i) {
            uint256 key = _shapeKey(ks[i], ns[i]);
            if (
                ks[i] == 0 || ks[i] > ns[i] || ns[i] > MAX_TRUSTEES || verifiers[i].code.length == 0
                    || shapes[key].verifier != address(0)
            ) revert BadConfig(i);
            shapes[key] = Shape(verifiers[i], _selector(2 + 2 * uint256(ns[i])));
        }
    }

    /// @notice Registers the escrow of the key behind `keyCommitment`, replacing any earlier
    ///         one. Only a holder of the key can prove one.
    /// @param keyCommitment K.
    /// @param threshold k.
    /// @param trustees n.
    /// @param trusteeKeys The n trustee public keys (x, y), in share order.
    /// @param digest The escrow digest (it binds k, n, the ephemeral key and the ciphertexts).
    /// @param proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    function register(
        uint256 keyCommitment,
        uint8 threshold,
        uint8 trustees,
        uint256[2][] calldata trusteeKeys,
        uint256 digest,
        uint256[8] calldata proof
    ) external {
        Shape memory shape = shapes[_shapeKey(threshold, trustees)];
        if (shape.verifier == address(0)) revert UnknownShape(threshold, trustees);
        if (trusteeKeys.length != trustees) revert TrusteeCountMismatch(trustees, trusteeKeys.length);
        if (keyCommitment >= R_MOD) revert NotCanonical(0);
        if (digest >= R_MOD) revert NotCanonical(1);
        for (uint256 i = 0; i < trusteeKeys.length; ++i) {
            uint256 x = trusteeKeys[i][0];
            uint256 y = trusteeKeys[i][1];
            if (x >= R_MOD) revert NotCanonical(2 + 2 * i);
            if (y >= R_MOD) revert NotCanonical(3 + 2 * i);
            if (x == 0) revert ZeroTrustee(i + 1);
            for (uint256 j = 0; j < i; ++j) {
                if (trusteeKeys[j][0] == x && trusteeKeys[j][1] == y) revert DuplicateTrustee(j + 1, i + 1);
            }
        }
        if (registered[keyCommitment][digest]) revert AlreadyRegistered(keyCommitment, digest);
        if (!_verify(shape, proof, keyCommitment, digest, trusteeKeys)) revert InvalidProof();

        registered[keyCommitment][digest] = true;
        Escrow storage e = escrows[keyCommitment];
        e.threshold = threshold;
        e.trustees = trustees;
        e.blockNumber = uint64(block.number);
        e.digest = digest;
        _storeTrustees(e, keyCommitment, trusteeKeys);
        emit EscrowRegistered(keyCommitment, digest, threshold, trustees, trusteeKeys);
    }

    /// @notice The registered escrow of the key behind `keyCommitment` (all zero and no keys
    ///         if there is none).
    /// @return threshold k.
    /// @return trustees n.
    /// @return digest The escrow digest.
    /// @return blockNumber The block of the registration.
    /// @return trusteeKeys The n trustee public keys (x, y), in share order.
    function escrowOf(uint256 keyCommitment)
        external
        view
        returns (uint8 threshold, uint8 trustees, uint256 digest, uint64 blockNumber, uint256[2][] memory trusteeKeys)
    {
        Escrow storage e = escrows[keyCommitment];
        return (e.threshold, e.trustees, e.digest, e.blockNumber, _trusteeKeys(e, keyCommitment));
    }

    /// @inheritdoc IEscrowRegistry
    function isEscrowed(uint256 keyCommitment, uint256 minThreshold) external view returns (bool) {
        Escrow storage e = escrows[keyCommitment];
        return e.trustees != 0 && e.threshold >= minThreshold;
    }

    /// @notice The verifier of the shape `threshold`-of-`trustees` (0 if unknown).
    function verifierOf(uint8 threshold, uint8 trustees) external view returns (address) {
        return shapes[_shapeKey(threshold, trustees)].verifier;
    }

    /// @dev Stores the trustee keys of `e` (the escrow of `keyCommitment`).
    function _storeTrustees(Escrow storage e, uint256 keyCommitment, uint256[2][] calldata trusteeKeys)
        internal
        virtual
    {
        keyCommitment; // used by the keccak-only variant
        for (uint256 i = 0; i < trusteeKeys.length; ++i) {
            e.keys[i] = trusteeKeys[i];
        }
    }

    /// @dev The trustee keys of `e` (the escrow of `keyCommitment`).
    function _trusteeKeys(Escrow storage e, uint256 keyCommitment) internal view virtual returns (uint256[2][] memory keys) {
        keyCommitment;
        keys = new uint256[2][](e.trustees);
        for (uint256 i = 0; i < keys.length; ++i) {
            keys[i] = e.keys[i];
        }
    }

    /// @dev `verifyProof(proof, [keyCommitment, digest, trusteeKeys...])` on the shape's
    ///      verifier, with snarkjs's ABI (static arrays: the words in a row after the selector).
    function _verify(
        Shape memory shape,
        uint256[8] calldata proof,
        uint256 keyCommitment,
        uint256 digest,
        uint256[2][] calldata trusteeKeys
    ) private view returns (bool) {
        bytes memory data = new bytes(4 + 0x20 * (10 + 2 * trusteeKeys.length));
        bytes4 selector = shape.selector;
        assembly {
            let p := add(data, 0x20)
            mstore(p, selector)
            calldatacopy(add(p, 0x04), proof, 0x100)
            mstore(add(p, 0x104), keyCommitment)
            mstore(add(p, 0x124), digest)
            calldatacopy(add(p, 0x144), trusteeKeys.offset, mul(trusteeKeys.length, 0x40))
        }
        (bool ok, bytes memory ret) = shape.verifier.staticcall(data);
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    function _shapeKey(uint8 threshold, uint8 trustees) private pure returns (uint256) {
        return uint256(threshold) << 8 | trustees;
    }

    /// @dev The selector of `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])`,
    ///      n < 100.
    function _selector(uint256 n) private pure returns (bytes4) {
        bytes memory digits = n < 10
            ? abi.encodePacked(bytes1(uint8(48 + n)))
            : abi.encodePacked(bytes1(uint8(48 + n / 10)), bytes1(uint8(48 + n % 10)));
        return bytes4(keccak256(abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", digits, "])")));
    }
}
