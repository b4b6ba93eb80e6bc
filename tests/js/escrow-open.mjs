#!/usr/bin/env node
// An independent opener of zkbackup escrow files, written from docs/ESCROW.md alone with the
// npm reference libraries: @zk-kit/eddsa-poseidon (trustee secret scalar, loaded through
// createRequire as ESCROW.md §3 says), @zk-kit/baby-jubjub (points, ECDH),
// @zk-kit/poseidon-cipher (decryption, permutation) and poseidon-lite (the digest). It
// shares no code with zkbackup or with oracle.mjs.
//
//   node escrow-open.mjs ESCROW.json TRUSTEE_KEY.json [--index i]
//
// Re-checks the file (ESCROW.md §7): structure, the trustee key file (public key derived from
// the private key), every point valid (§2) and the trustee keys distinct, its own public key
// in the list (at --index i if given), nonce = index, the digest recomputed from the file
// equal to escrowDigest, publicInputs (if present) equal to [K, digest, P_1.x, …]; then opens
// share i (S = s·E, tag and pad checked) and prints share.json v1 on one line:
//   {"version":1,"kind":"zkbackup-escrow-share","keyCommitment":"0x…","escrowDigest":"0x…",
//    "index":i,"share":["y0","y1"]}
// It does NOT verify the Groth16 proof (that needs the shape's verifying key): `proof` and
// `circuitId` are only checked for form when present.
// On a refusal: "escrow-open error: FILE: reason" on stderr, nothing on stdout, exit 1
// (usage errors exit 2).

import { readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { inCurve, mulPointEscalar } from "@zk-kit/baby-jubjub"
import { poseidonDecrypt, poseidonPerm } from "@zk-kit/poseidon-cipher"
import { poseidon16 } from "poseidon-lite"

const require = createRequire(import.meta.url)
const { deriveSecretScalar, derivePublicKey } = require("@zk-kit/eddsa-poseidon")

// ESCROW.md conventions and §2.
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const L = 2736030358979909402780800718157159386076813972158567259200215660948447373041n
const TWO128 = 1n << 128n
// §5: "zkbackup/escrow/v1" as a big-endian integer.
const D_ESC = BigInt("0x" + Buffer.from("zkbackup/escrow/v1", "ascii").toString("hex"))
const MAX_ESCROW_BYTES = 1 << 20
const MAX_KEY_BYTES = 4096

class Refusal extends Error {}
let currentFile = ""
const fail = (msg) => {
    throw new Refusal(`${currentFile}: ${msg}`)
}

function readJson(path, maxBytes) {
    currentFile = path
    let size
    try {
        size = statSync(path).size
    } catch (e) {
        fail(`cannot read: ${e.message}`)
    }
    if (size > maxBytes) fail(`${size} bytes, more than the ${maxBytes} allowed`)
    let value
    try {
        value = JSON.parse(readFileSync(path, "utf8"))
    } catch (e) {
        fail(`not JSON: ${e.message}`)
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) fail("not a JSON object")
    return value
}

/** Refuses unknown fields and missing required ones. */
function fields(obj, what, required, optional = []) {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) fail(`${what} is not an object`)
    for (const k of Object.keys(obj)) {
        if (!required.includes(k) && !optional.includes(k)) fail(`${what}: unknown field "${k}"`)
    }
    for (const k of required) if (!(k in obj)) fail(`${what}: missing field "${k}"`)
}

/** A canonical decimal field element (digits only, no leading zeros, < r). */
function dec(x, what) {
    if (typeof x !== "string" || !/^(0|[1-9][0-9]*)$/.test(x)) fail(`${what} is not a canonical decimal string`)
    const v = BigInt(x)
    if (v >= R) fail(`${what} is not below the field modulus r`)
    return v
}

/** `0x` + exactly 64 hex digits, < r. */
function hex32(x, what) {
    if (typeof x !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(x)) fail(`${what} is not 0x followed by 64 hex digits`)
    const v = BigInt(x)
    if (v >= R) fail(`${what} is not below the field modulus r`)
    return v
}

const toHex32 = (v) => "0x" + v.toString(16).padStart(64, "0")

function int(x, what, min, max) {
    if (!Number.isInteger(x) || x < min || x > max) fail(`${what} must be an integer in ${min}..${max}`)
    return x
}

function decList(x, what, len) {
    if (!Array.isArray(x) || x.length !== len) fail(`${what} must be an array of ${len} decimal strings`)
    return x.map((c, m) => dec(c, `${what}[${m}]`))
}

/** §2: on the curve, in the prime-order subgroup, not the identity. */
function validPoint(x, what) {
    const p = decList(x, what, 2)
    if (!inCurve(p)) fail(`${what} is not on Baby Jubjub`)
    const lp = mulPointEscalar(p, L)
    if (lp[0] !== 0n || lp[1] !== 1n) fail(`${what} is not in the prime-order subgroup (l·P ≠ O)`)
    if (p[0] === 0n) fail(`${what} is the identity`)
    return p
}

/** §5: h_0 = D_esc; h_{g+1} = Poseidon(h_g, 15 elements, zero-padded). */
function escrowDigest(k, E, ciphertexts) {
    const list = [BigInt(k), BigInt(ciphertexts.length), E[0], E[1], ...ciphertexts.flat()]
    let h = D_ESC
    for (let g = 0; g < list.length; g += 15) {
        const group = list.slice(g, g + 15)
        while (group.length < 15) group.push(0n)
        h = poseidon16([h, ...group])
    }
    return h
}

function readTrusteeKey(path) {
    const f = readJson(path, MAX_KEY_BYTES)
    fields(f, "trustee key", ["version", "kind", "privateKey", "publicKey"])
    if (f.version !== 1) fail(`unsupported version ${JSON.stringify(f.version)}`)
    if (f.kind !== "zkbackup-trustee-key") fail(`kind is ${JSON.stringify(f.kind)}, not "zkbackup-trustee-key"`)
    if (typeof f.privateKey !== "string" || !/^[0-9a-fA-F]{64}$/.test(f.privateKey)) {
        fail("privateKey is not 64 hex digits")
    }
    const pub = validPoint(f.publicKey, "publicKey")
    // §3: the private key goes to zk-kit as its 32 bytes, never as the hex string.
    const bytes = Buffer.from(f.privateKey, "hex")
    const derived = derivePublicKey(bytes)
    if (derived[0] !== pub[0] || derived[1] !== pub[1]) fail("publicKey is not the key derived from privateKey")
    return { s: deriveSecretScalar(bytes), pub }
}

function readEscrow(path) {
    const f = readJson(path, MAX_ESCROW_BYTES)
    fields(
        f,
        "escrow",
        ["version", "kind", "keyCommitment", "threshold", "trustees", "ephemeralPublicKey", "shares", "escrowDigest"],
        ["circuitId", "proof", "publicInputs"]
    )
    if (f.version !== 1) fail(`unsupported version ${JSON.stringify(f.version)}`)
    if (f.kind !== "zkbackup-escrow") fail(`kind is ${JSON.stringify(f.kind)}, not "zkbackup-escrow"`)
    const K = hex32(f.keyCommitment, "keyCommitment")
    if (!Array.isArray(f.trustees) || f.trustees.length < 1 || f.trustees.length > 255) {
        fail("trustees must be an array of 1..255 entries")
    }
    const n = f.trustees.length
    const k = int(f.threshold, "threshold", 1, n)
    const trustees = f.trustees.map((t, m) => {
        const what = `trustees[${m}]`
        fields(t, what, ["index", "publicKey"], ["label"])
        if (t.index !== m + 1) fail(`${what}.index is ${JSON.stringify(t.index)}, expected ${m + 1} (list order is the index)`)
        if ("label" in t && typeof t.label !== "string") fail(`${what}.label is not a string`)
        return validPoint(t.publicKey, `${what}.publicKey`)
    })
    for (let a = 0; a < n; a++) {
        for (let b = a + 1; b < n; b++) {
            if (trustees[a][0] === trustees[b][0] && trustees[a][1] === trustees[b][1]) {
                fail(`trustees ${a + 1} and ${b + 1} have the same public key`)
            }
        }
    }
    const E = validPoint(f.ephemeralPublicKey, "ephemeralPublicKey")
    if (!Array.isArray(f.shares) || f.shares.length !== n) fail(`shares must be an array of ${n} entries (one per trustee)`)
    const ciphertexts = f.shares.map((s, m) => {
        const what = `shares[${m}]`
        fields(s, what, ["index", "nonce", "ciphertext"])
        if (s.index !== m + 1) fail(`${what}.index is ${JSON.stringify(s.index)}, expected ${m + 1}`)
        if (s.nonce !== String(m + 1)) fail(`${what}.nonce is ${JSON.stringify(s.nonce)}, must equal the index "${m + 1}"`)
        return decList(s.ciphertext, `${what}.ciphertext`, 4)
    })
    const D = hex32(f.escrowDigest, "escrowDigest")
    const recomputed = escrowDigest(k, E, ciphertexts)
    if (recomputed !== D) {
        fail(`escrowDigest ${f.escrowDigest} is not the digest of the file's threshold, ephemeral key and ciphertexts (${toHex32(recomputed)})`)
    }
    if ("circuitId" in f && (typeof f.circuitId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(f.circuitId))) {
        fail("circuitId is not 0x followed by 64 hex digits")
    }
    if ("proof" in f && (f.proof === null || typeof f.proof !== "object" || Array.isArray(f.proof))) {
        fail("proof is not an object")
    }
    if ("publicInputs" in f) {
        const got = decList(f.publicInputs, "publicInputs", 2 + 2 * n)
        const want = [K, D, ...trustees.flat()]
        const m = want.findIndex((v, j) => v !== got[j])
        if (m >= 0) fail(`publicInputs[${m}] is ${got[m]}, but [K, escrowDigest, P_1.x, P_1.y, …] gives ${want[m]}`)
    }
    return { K, D, k, n, trustees, E, ciphertexts }
}

function parseArgs(argv) {
    const pos = []
    let index = null
    for (let a = 0; a < argv.length; a++) {
        if (argv[a] === "--index") {
            const v = argv[++a]
            if (v === undefined || !/^[1-9][0-9]*$/.test(v)) usage("--index takes a trustee index (1, 2, …)")
            index = Number(v)
        } else if (argv[a].startsWith("--")) {
            usage(`unknown option ${argv[a]}`)
        } else {
            pos.push(argv[a])
        }
    }
    if (pos.length !== 2) usage("expected ESCROW.json and TRUSTEE_KEY.json")
    return { escrowPath: pos[0], keyPath: pos[1], index }
}

function usage(msg) {
    process.stderr.write(`escrow-open: ${msg}\nusage: node escrow-open.mjs ESCROW.json TRUSTEE_KEY.json [--index i]\n`)
    process.exit(2)
}

function main() {
    const { escrowPath, keyPath, index } = parseArgs(process.argv.slice(2))
    const me = readTrusteeKey(keyPath)
    const esc = readEscrow(escrowPath)
    currentFile = escrowPath
    const mine = (p) => p[0] === me.pub[0] && p[1] === me.pub[1]
    let i
    if (index !== null) {
        if (index > esc.n) fail(`--index ${index}: the escrow has ${esc.n} trustees`)
        if (!mine(esc.trustees[index - 1])) fail(`trustee ${index}'s public key is not the key in ${keyPath}`)
        i = index
    } else {
        i = esc.trustees.findIndex(mine) + 1
        if (i === 0) fail(`the public key in ${keyPath} is not one of the escrow's ${esc.n} trustees`)
    }
    // §4 "Opening": S_i = s_i·E; poseidonDecrypt checks the tag; the pad must be zero.
    const S = mulPointEscalar(esc.E, me.s)
    const ct = esc.ciphertexts[i - 1]
    let share
    try {
        share = poseidonDecrypt(ct, S, BigInt(i), 2)
    } catch (e) {
        fail(`share ${i} does not decrypt under this trustee's key (${e.message})`)
    }
    const T = poseidonPerm([0n, S[0], S[1], BigInt(i) + 2n * TWO128])
    if ((((ct[2] - T[3]) % R) + R) % R !== 0n) fail(`share ${i}: the pad element is not zero`)
    const out = {
        version: 1,
        kind: "zkbackup-escrow-share",
        keyCommitment: toHex32(esc.K),
        escrowDigest: toHex32(esc.D),
        index: i,
        share: share.map((y) => y.toString())
    }
    process.stdout.write(JSON.stringify(out) + "\n")
}

try {
    main()
} catch (e) {
    if (!(e instanceof Refusal)) throw e
    process.stderr.write(`escrow-open error: ${e.message}\n`)
    process.exit(1)
}

