// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title zkbackup's Groth16 verifier over BN254 (EIP-196/197 precompiles)
/// @notice Verifies Groth16 proofs with 8 public inputs, e.g. zkbackup escrow proofs
///         of 3 trustees: [keyCommitment, escrowDigest, P1.x, P1.y, ...].
///         `verifyProof` checks one proof (ABI-compatible with snarkjs's exported verifier);
///         `verifyBatch` checks n proofs with one pairing call of n + 3 pairs, using a random
///         linear combination whose 128-bit coefficients are derived on chain from keccak256
///         of every proof and public input.
/// @dev Every public input must be < r (scalar field) and every proof coordinate < q (base
///      field), otherwise the proof is rejected (false). Points off the curve, or G2 points
///      outside the order-r subgroup, make the precompiles fail, which also yields false.
///      G2 coordinates use the precompile's order: (x.c1, x.c0), (y.c1, y.c0), as snarkjs's
///      `exportSolidityCallData` prints them.
///
///      This file is the template of `zkbackup export-verifier` too: the block between
///      `BEGIN VK` and `END VK` is replaced by `constant` declarations of one verifying key.
///      Compiled as is (the committed artifact), the key is given to the constructor and kept
///      in immutables, so one artifact serves every key without a compiler at run time.
contract Groth16Verifier8 {
    /// @dev Scalar field modulus r of BN254.
    uint256 internal constant R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev Base field modulus q of BN254.
    uint256 internal constant Q_MOD = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev Number of public inputs per proof.
    uint256 internal constant N_PUBLIC = 8;

    // BEGIN VK
    uint256 internal immutable ALPHA_X;
    uint256 internal immutable ALPHA_Y;
    uint256 internal immutable BETA_X1;
    uint256 internal immutable BETA_X2;
    uint256 internal immutable BETA_Y1;
    uint256 internal immutable BETA_Y2;
    uint256 internal immutable GAMMA_X1;
    uint256 internal immutable GAMMA_X2;
    uint256 internal immutable GAMMA_Y1;
    uint256 internal immutable GAMMA_Y2;
    uint256 internal immutable DELTA_X1;
    uint256 internal immutable DELTA_X2;
    uint256 internal immutable DELTA_Y1;
    uint256 internal immutable DELTA_Y2;
    uint256 internal immutable IC0_X;
    uint256 internal immutable IC0_Y;
    uint256 internal immutable IC1_X;
    uint256 internal immutable IC1_Y;
    uint256 internal immutable IC2_X;
    uint256 internal immutable IC2_Y;
    uint256 internal immutable IC3_X;
    uint256 internal immutable IC3_Y;
    uint256 internal immutable IC4_X;
    uint256 internal immutable IC4_Y;
    uint256 internal immutable IC5_X;
    uint256 internal immutable IC5_Y;
    uint256 internal immutable IC6_X;
    uint256 internal immutable IC6_Y;
    uint256 internal immutable IC7_X;
    uint256 internal immutable IC7_Y;
    uint256 internal immutable IC8_X;
    uint256 internal immutable IC8_Y;

    /// @notice The verifying key in this order: alpha (x, y); beta, gamma, delta as
    ///         (x.c1, x.c0, y.c1, y.c0); IC[0..8] as (x, y).
    constructor(uint256[32] memory vk) {
        ALPHA_X = vk[0];
        ALPHA_Y = vk[1];
        BETA_X1 = vk[2];
        BETA_X2 = vk[3];
        BETA_Y1 = vk[4];
        BETA_Y2 = vk[5];
        GAMMA_X1 = vk[6];
        GAMMA_X2 = vk[7];
        GAMMA_Y1 = vk[8];
        GAMMA_Y2 = vk[9];
        DELTA_X1 = vk[10];
        DELTA_X2 = vk[11];
        DELTA_Y1 = vk[12];
        DELTA_Y2 = vk[13];
        IC0_X = vk[14];
        IC0_Y = vk[15];
        IC1_X = vk[16];
        IC1_Y = vk[17];
        IC2_X = vk[18];
        IC2_Y = vk[19];
        IC3_X = vk[20];
        IC3_Y = vk[21];
        IC4_X = vk[22];
        IC4_Y = vk[23];
        IC5_X = vk[24];
        IC5_Y = vk[25];
        IC6_X = vk[26];
        IC6_Y = vk[27];
        IC7_X = vk[28];
        IC7_Y = vk[29];
        IC8_X = vk[30];
        IC8_Y = vk[31];
    }
    // END VK

    /// @dev Writes the key into memory: alpha at `pAlpha`, the G2 points at `pBeta`, `pGamma`,
    ///      `pDelta`, and IC[k] at `pIc + 0x60 * k` (x, y, then a free word for a scalar).
    function _storeVk(uint256 pAlpha, uint256 pBeta, uint256 pGamma, uint256 pDelta, uint256 pIc) private view {
        {
            uint256 ax = ALPHA_X;
            uint256 ay = ALPHA_Y;
            assembly {
                mstore(pAlpha, ax)
                mstore(add(pAlpha, 0x20), ay)
            }
        }
        {
            uint256 x1 = BETA_X1;
            uint256 x2 = BETA_X2;
            uint256 y1 = BETA_Y1;
            uint256 y2 = BETA_Y2;
            assembly {
                mstore(pBeta, x1)
                mstore(add(pBeta, 0x20), x2)
                mstore(add(pBeta, 0x40), y1)
                mstore(add(pBeta, 0x60), y2)
            }
        }
        {
            uint256 x1 = GAMMA_X1;
            uint256 x2 = GAMMA_X2;
            uint256 y1 = GAMMA_Y1;
            uint256 y2 = GAMMA_Y2;
            assembly {
                mstore(pGamma, x1)
                mstore(add(pGamma, 0x20), x2)
                mstore(add(pGamma, 0x40), y1)
                mstore(add(pGamma, 0x60), y2)
            }
        }
        {
            uint256 x1 = DELTA_X1;
            uint256 x2 = DELTA_X2;
            uint256 y1 = DELTA_Y1;
            uint256 y2 = DELTA_Y2;
            assembly {
                mstore(pDelta, x1)
                mstore(add(pDelta, 0x20), x2)
                mstore(add(pDelta, 0x40), y1)
                mstore(add(pDelta, 0x60), y2)
            }
        }
        {
            uint256 x0 = IC0_X;
            uint256 y0 = IC0_Y;
            uint256 x1 = IC1_X;
            uint256 y1 = IC1_Y;
            uint256 x2 = IC2_X;
            uint256 y2 = IC2_Y;
            assembly {
                mstore(pIc, x0)
                mstore(add(pIc, 0x20), y0)
                mstore(add(pIc, 0x60), x1)
                mstore(add(pIc, 0x80), y1)
                mstore(add(pIc, 0xc0), x2)
                mstore(add(pIc, 0xe0), y2)
            }
        }
        {
            uint256 x3 = IC3_X;
            uint256 y3 = IC3_Y;
            uint256 x4 = IC4_X;
            uint256 y4 = IC4_Y;
            uint256 x5 = IC5_X;
            uint256 y5 = IC5_Y;
            assembly {
                mstore(add(pIc, 0x120), x3)
                mstore(add(pIc, 0x140), y3)
                mstore(add(pIc, 0x180), x4)
                mstore(add(pIc, 0x1a0), y4)
                mstore(add(pIc, 0x1e0), x5)
                mstore(add(pIc, 0x200), y5)
            }
        }
        {
            uint256 x6 = IC6_X;
            uint256 y6 = IC6_Y;
            uint256 x7 = IC7_X;
            uint256 y7 = IC7_Y;
            uint256 x8 = IC8_X;
            uint256 y8 = IC8_Y;
            assembly {
                mstore(add(pIc, 0x240), x6)
                mstore(add(pIc, 0x260), y6)
                mstore(add(pIc, 0x2a0), x7)
                mstore(add(pIc, 0x2c0), y7)
                mstore(add(pIc, 0x300), x8)
                mstore(add(pIc, 0x320), y8)
            }
        }
    }

    /// @notice Verifies one Groth16 proof: e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta).
    /// @param a The proof's A (G1).
    /// @param b The proof's B (G2), coordinates as [[x.c1, x.c0], [y.c1, y.c0]].
    /// @param c The proof's C (G1).
    /// @param input The public inputs, each < r.
    /// @return True iff the proof verifies.
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[8] calldata input
    ) external view returns (bool) {
        uint256 offA;
        uint256 offB;
        uint256 offC;
        uint256 offInput;
        assembly {
            offA := a
            offB := b
            offC := c
            offInput := input
        }
        _verifyOne(offA, offB, offC, offInput);
    }

    /// @dev Verifies the proof whose A, B, C and 8 inputs are at the given calldata offsets,
    ///      and returns (from the call) its result as a bool.
    function _verifyOne(uint256 a, uint256 b, uint256 c, uint256 input) private view {
        // Range checks first: a precompile that fails burns all the gas it is given.
        assembly {
            let q := Q_MOD
            let r := R_MOD
            let ok := and(lt(calldataload(a), q), lt(calldataload(add(a, 0x20)), q))
            ok := and(ok, and(lt(calldataload(b), q), lt(calldataload(add(b, 0x20)), q)))
            ok := and(ok, and(lt(calldataload(add(b, 0x40)), q), lt(calldataload(add(b, 0x60)), q)))
            ok := and(ok, and(lt(calldataload(c), q), lt(calldataload(add(c, 0x20)), q)))
            ok := and(ok, and(lt(calldataload(input), r), lt(calldataload(add(input, 0x20)), r)))
            ok := and(ok, and(lt(calldataload(add(input, 0x40)), r), lt(calldataload(add(input, 0x60)), r)))
            ok := and(ok, and(lt(calldataload(add(input, 0x80)), r), lt(calldataload(add(input, 0xa0)), r)))
            ok := and(ok, and(lt(calldataload(add(input, 0xc0)), r), lt(calldataload(add(input, 0xe0)), r)))
            if iszero(ok) {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
        }
        // Scratch memory from 0x80 (nothing is allocated; the call returns from assembly):
        // the pairing input at 0x80 (4 pairs of 0xc0 bytes), the IC area at 0x380 (9 x 0x60).
        _storeVk(0x140, 0x180, 0x240, 0x300, 0x380);
        assembly {
            // IC[k] * s into 0x3c0, then 0x380 (the sum so far) + 0x3c0 into `out`.
            function mulAdd(pk, s, out) {
                mstore(add(pk, 0x40), s)
                if iszero(staticcall(sub(gas(), 2000), 0x07, pk, 0x60, 0x3c0, 0x40)) {
                    mstore(0x00, 0)
                    return(0x00, 0x20)
                }
                if iszero(staticcall(sub(gas(), 2000), 0x06, 0x380, 0x80, out, 0x40)) {
                    mstore(0x00, 0)
                    return(0x00, 0x20)
                }
            }
            // vk_x = IC0 + sum input[k] IC[k+1]; the last sum lands in the third pair's G1 slot.
            mulAdd(0x3e0, calldataload(input), 0x380)
            mulAdd(0x440, calldataload(add(input, 0x20)), 0x380)
            mulAdd(0x4a0, calldataload(add(input, 0x40)), 0x380)
            mulAdd(0x500, calldataload(add(input, 0x60)), 0x380)
            mulAdd(0x560, calldataload(add(input, 0x80)), 0x380)
            mulAdd(0x5c0, calldataload(add(input, 0xa0)), 0x380)
            mulAdd(0x620, calldataload(add(input, 0xc0)), 0x380)
            mulAdd(0x680, calldataload(add(input, 0xe0)), 0x200)
            // -A, B, C
            mstore(0x80, calldataload(a))
            mstore(0xa0, mod(sub(Q_MOD, calldataload(add(a, 0x20))), Q_MOD))
            calldatacopy(0xc0, b, 0x80)
            calldatacopy(0x2c0, c, 0x40)
            let success := staticcall(sub(gas(), 2000), 0x08, 0x80, 0x300, 0x00, 0x20)
            mstore(0x00, and(success, eq(mload(0x00), 1)))
            return(0x00, 0x20)
        }
    }

    /// @notice Verifies n Groth16 proofs at once:
    ///         sum_i e(r_i A_i, B_i) = e(sum_i r_i alpha, beta) + e(sum_i r_i vk_x_i, gamma)
    ///         + e(sum_i r_i C_i, delta), with r_0 = 1 and r_i (i >= 1) the low 128 bits of
    ///         keccak256(keccak256(proofs, inputs), i).
    /// @param proofs Per proof [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
    /// @param inputs Per proof its 8 public inputs, each < r.
    /// @return True iff every proof verifies (up to a 2^-128 chance), false for no proofs or
    ///         mismatched lengths.
    function verifyBatch(uint256[8][] calldata proofs, uint256[8][] calldata inputs) external view returns (bool) {
        uint256 n = proofs.length;
        if (n == 0 || inputs.length != n) return false;
        if (n == 1) {
            uint256 p0;
            uint256 in0;
            assembly {
                p0 := proofs.offset
                in0 := inputs.offset
            }
            _verifyOne(p0, p0 + 0x40, p0 + 0xc0, in0);
        }
        // Scratch memory from 0x80 (nothing is allocated; the call returns from assembly):
        // the transcript (n * 16 words), then, over it, the pairing input ((n + 3) pairs of
        // 0xc0 bytes); the IC area (9 x 0x60) and alpha's scratch (0x60) follow the larger of
        // the two. Pairs n .. n+2 are (sum r_i alpha, beta), (sum r_i vk_x_i, gamma),
        // (sum r_i C_i, delta).
        uint256 pIc = 0x80 + (n * 0x200 > (n + 3) * 0xc0 ? n * 0x200 : (n + 3) * 0xc0);
        uint256 pN = 0x80 + n * 0xc0;
        assembly {
            function fail() {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
            // Pair i <- (-(r_i A_i), B_i); the C accumulator (pair n+2's G1 slot) += r_i C_i.
            function proofStep(pp, slot, pCacc, i) -> ri {
                let q := Q_MOD
                let ax := calldataload(pp)
                let ay := calldataload(add(pp, 0x20))
                let cx := calldataload(add(pp, 0xc0))
                let cy := calldataload(add(pp, 0xe0))
                calldatacopy(add(slot, 0x40), add(pp, 0x40), 0x80)
                let ok := and(and(lt(ax, q), lt(ay, q)), and(lt(cx, q), lt(cy, q)))
                ok := and(ok, and(lt(mload(add(slot, 0x40)), q), lt(mload(add(slot, 0x60)), q)))
                ok := and(ok, and(lt(mload(add(slot, 0x80)), q), lt(mload(add(slot, 0xa0)), q)))
                if iszero(ok) { fail() }
                switch i
                case 0 {
                    ri := 1
                    mstore(slot, ax)
                    mstore(add(slot, 0x20), mod(sub(q, ay), q))
                    mstore(pCacc, cx)
                    mstore(add(pCacc, 0x20), cy)
                }
                default {
                    mstore(0x20, i)
                    ri := and(keccak256(0x00, 0x40), 0xffffffffffffffffffffffffffffffff)
                    mstore(slot, ax)
                    mstore(add(slot, 0x20), ay)
                    mstore(add(slot, 0x40), ri)
                    if iszero(staticcall(sub(gas(), 2000), 0x07, slot, 0x60, slot, 0x40)) { fail() }
                    mstore(add(slot, 0x20), mod(sub(q, mload(add(slot, 0x20))), q))
                    // B's first word again (the scalar overwrote it)
                    mstore(add(slot, 0x40), calldataload(add(pp, 0x40)))
                    let t := add(pCacc, 0x40)
                    mstore(t, cx)
                    mstore(add(t, 0x20), cy)
                    mstore(add(t, 0x40), ri)
                    if iszero(staticcall(sub(gas(), 2000), 0x07, t, 0x60, t, 0x40)) { fail() }
                    if iszero(staticcall(sub(gas(), 2000), 0x06, pCacc, 0x80, pCacc, 0x40)) { fail() }
                }
            }
            // The IC scalars s_k (at pIc + 0xa0 + 0x60 k) += r_i * input_k; inputs must be < r.
            function inputStep(pin, pIc_, ri, i) {
                let r := R_MOD
                for { let k := 0 } lt(k, 8) { k := add(k, 1) } {
                    let x := calldataload(add(pin, shl(5, k)))
                    if iszero(lt(x, r)) { fail() }
                    let ps := add(pIc_, add(0xa0, mul(k, 0x60)))
                    switch i
                    case 0 { mstore(ps, x) }
                    default { mstore(ps, addmod(mload(ps), mulmod(ri, x, r), r)) }
                }
            }

            // Transcript: every proof word, then every input word.
            calldatacopy(0x80, proofs.offset, shl(8, n))
            calldatacopy(add(0x80, shl(8, n)), inputs.offset, mul(n, 0x100))
            mstore(0x00, keccak256(0x80, mul(n, 0x200)))

            let sumR := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let ri := proofStep(add(proofs.offset, shl(8, i)), add(0x80, mul(i, 0xc0)), add(pN, 0x180), i)
                sumR := add(sumR, ri)
                inputStep(add(inputs.offset, mul(i, 0x100)), pIc, ri, i)
            }
            // The scalar of IC[0] and of alpha: sum r_i (< n * 2^128 < r).
            mstore(add(pIc, 0x40), sumR)
            mstore(add(pIc, 0x3a0), sumR)
        }
        _storeVk(pIc + 0x360, pN + 0x40, pN + 0x100, pN + 0x1c0, pIc);
        assembly {
            function fail() {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
            // (sum r_i) alpha
            if iszero(staticcall(sub(gas(), 2000), 0x07, add(pIc, 0x360), 0x60, pN, 0x40)) { fail() }
            // sum_k s_k IC[k]: IC[0] scaled in place, then each term added; the last sum goes
            // into pair n+1's G1 slot.
            if iszero(staticcall(sub(gas(), 2000), 0x07, pIc, 0x60, pIc, 0x40)) { fail() }
            for { let k := 1 } lt(k, 9) { k := add(k, 1) } {
                if iszero(staticcall(sub(gas(), 2000), 0x07, add(pIc, mul(k, 0x60)), 0x60, add(pIc, 0x40), 0x40)) {
                    fail()
                }
                let out := pIc
                if eq(k, 8) { out := add(pN, 0xc0) }
                if iszero(staticcall(sub(gas(), 2000), 0x06, pIc, 0x80, out, 0x40)) { fail() }
            }
            let success := staticcall(sub(gas(), 2000), 0x08, 0x80, mul(add(n, 3), 0xc0), 0x00, 0x20)
            mstore(0x00, and(success, eq(mload(0x00), 1)))
            return(0x00, 0x20)
        }
    }
}
