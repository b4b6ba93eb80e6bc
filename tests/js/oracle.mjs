#!/usr/bin/env node
// zkbackup cross-check oracle.
//
// Reads ONE JSON request from stdin, writes ONE JSON response (plus "\n") to
// stdout and exits 0. On any error: message on stderr, nothing on stdout,
// exit code 1. Every field element is a DECIMAL STRING in both directions
// (requests may also use "0x..." hex strings; responses are always decimal).
// See README.md for the list of ops and their exact shapes.

import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import { dirname, join } from "node:path"

import * as poseidonLite from "poseidon-lite"
import { LeanIMT } from "@zk-kit/lean-imt"
import {
    poseidonEncrypt,
    poseidonDecrypt,
    poseidonDecryptWithoutCheck,
    poseidonPerm
} from "@zk-kit/poseidon-cipher"
import { mulPointEscalar, inCurve } from "@zk-kit/baby-jubjub"

// @zk-kit/eddsa-poseidon 1.1.0's ESM entry fails under node 20 (named imports from CommonJS
// blakejs): load its CommonJS build. The default export derives keys with BLAKE-512.
const eddsaPoseidon = createRequire(import.meta.url)("@zk-kit/eddsa-poseidon")

// BN254 scalar field modulus (the field Poseidon/circom work over).
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

// ---------------------------------------------------------------- parsing

class OracleError extends Error {}

function fail(msg) {
    throw new OracleError(msg)
}

/** Parse a field element given as a decimal string (or 0x-hex string, or a safe JSON integer). */
export function parseField(v, what = "value") {
    if (typeof v === "string") {
        if (/^[0-9]+$/.test(v) || /^0[xX][0-9a-fA-F]+$/.test(v)) return BigInt(v)
        fail(`${what}: expected a decimal string, got ${JSON.stringify(v)}`)
    }
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
    if (typeof v === "bigint" && v >= 0n) return v
    fail(`${what}: expected a decimal string, got ${JSON.stringify(v)}`)
}

function parseFieldArray(v, what) {
    if (!Array.isArray(v)) fail(`${what}: expected an array`)
    return v.map((x, i) => parseField(x, `${what}[${i}]`))
}

function parseCount(v, what) {
    if (typeof v === "string" && /^[0-9]+$/.test(v)) v = Number(v)
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(`${what}: expected a non-negative integer`)
    return v
}

const dec = (x) => BigInt(x).toString(10)

/** A private key given as hex (any even number of digits), as the bytes zk-kit hashes. */
function parsePrivateKeyHex(v, what = "privateKeyHex") {
    if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v)) fail(`${what}: expected an even number of hex digits`)
    return Buffer.from(v, "hex")
}

/** A Baby Jubjub point [x, y] (zk-kit coordinates), checked to be on the curve. */
function parsePoint(v, what = "point") {
    const p = parseFieldArray(v, what)
    if (p.length !== 2) fail(`${what}: expected [x, y]`)
    if (!inCurve(p)) fail(`${what}: not on Baby Jubjub`)
    return p
}

// ---------------------------------------------------------------- hash backends

const POSEIDON_LITE = [null]
for (let n = 1; n <= 16; n++) POSEIDON_LITE.push(poseidonLite[`poseidon${n}`])

function poseidonLiteHash(inputs) {
    const f = POSEIDON_LITE[inputs.length]
    if (!f) fail(`poseidon-lite: arity must be 1..16, got ${inputs.length}`)
    return f(inputs)
}

let circomWasm = null // circomlibjs buildPoseidon() (wasm, optimized constants)
let circomRef = null // circomlibjs buildPoseidonReference() (pure JS, reference constants)

async function getCircomWasm() {
    if (!circomWasm) {
        const { buildPoseidon } = await import("circomlibjs")
        circomWasm = await buildPoseidon()
    }
    return circomWasm
}

async function getCircomRef() {
    if (!circomRef) {
        const { buildPoseidonReference } = await import("circomlibjs")
        circomRef = await buildPoseidonReference()
    }
    return circomRef
}

/** Returns a sync hash function (bigint[]) => bigint for the named lib. */
async function hasher(lib = "poseidon-lite") {
    switch (lib) {
        case "poseidon-lite":
            return poseidonLiteHash
        case "circomlibjs": {
            const p = await getCircomWasm()
            return (inputs) => {
                if (inputs.length < 1 || inputs.length > 16) fail(`circomlibjs: arity must be 1..16, got ${inputs.length}`)
                return p.F.toObject(p(inputs))
            }
        }
        case "circomlibjs-reference": {
            const p = await getCircomRef()
            return (inputs) => {
                if (inputs.length < 1 || inputs.length > 16) fail(`circomlibjs: arity must be 1..16, got ${inputs.length}`)
                return p.F.toObject(p(inputs))
            }
        }
        default:
            fail(`unknown lib ${JSON.stringify(lib)} (poseidon-lite | circomlibjs | circomlibjs-reference)`)
    }
}

/** Full Poseidon permutation of a state of width t = state.length. */
async function permuter(lib, t) {
    if (lib === undefined) lib = t <= 15 ? "poseidon-cipher" : "circomlibjs"
    switch (lib) {
        case "poseidon-cipher":
            // @zk-kit/poseidon-cipher's exported poseidonPerm rejects t >= 16.
            if (t < 2 || t > 15) fail(`poseidon-cipher: state width must be 2..15, got ${t}`)
            return (s) => poseidonPerm(s)
        case "circomlibjs":
        case "circomlibjs-reference": {
            if (t < 2 || t > 17) fail(`circomlibjs: state width must be 2..17, got ${t}`)
            const p = lib === "circomlibjs" ? await getCircomWasm() : await getCircomRef()
            // circomlibjs poseidon(inputs, initState, nOut): state = [initState, ...inputs]
            return (s) => p(s.slice(1), s[0], t).map((x) => p.F.toObject(x))
        }
        default:
            fail(`unknown perm lib ${JSON.stringify(lib)} (poseidon-cipher | circomlibjs | circomlibjs-reference)`)
    }
}

function buildTree(leaves, h2) {
    if (leaves.length === 0) fail("LeanIMT: leaves must be non-empty")
    return new LeanIMT((a, b) => h2([a, b]), leaves)
}

// ---------------------------------------------------------------- constants

let circomConstants = null

async function getCircomConstants() {
    if (!circomConstants) {
        // The package "exports" map hides src/, so locate it next to main.js.
        const main = import.meta.resolve("circomlibjs")
        const dir = dirname(new URL(main).pathname)
        const mod = await import(pathToFileURL(join(dir, "src", "poseidon_constants.js")).href)
        circomConstants = mod.default
    }
    return circomConstants
}

const N_ROUNDS_F = 8
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]

// ---------------------------------------------------------------- ops

const ops = {
    async versions() {
        const out = {}
        for (const name of ["poseidon-lite", "circomlibjs", "@zk-kit/lean-imt", "@zk-kit/poseidon-cipher", "@zk-kit/baby-jubjub", "@zk-kit/eddsa-poseidon", "snarkjs", "solc"]) {
            const main = import.meta.resolve(name)
            let dir = dirname(new URL(main).pathname)
            // walk up to the package root
            for (;;) {
                try {
                    const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
                    if (pj.name === name) {
                        out[name] = pj.version
                        break
                    }
                } catch {}
                const up = dirname(dir)
                if (up === dir) break
                dir = up
            }
        }
        return { versions: out, node: process.version }
    },

    async poseidon(req) {
        if (!Array.isArray(req.inputs)) fail("poseidon: 'inputs' must be an array of arrays")
        const h = await hasher(req.lib ?? "poseidon-lite")
        const hashes = req.inputs.map((inp, i) => dec(h(parseFieldArray(inp, `inputs[${i}]`))))
        return { hashes }
    },

    async poseidon_perm(req) {
        if (!Array.isArray(req.states)) fail("poseidon_perm: 'states' must be an array of arrays")
        const cache = new Map()
        const states = []
        for (let i = 0; i < req.states.length; i++) {
            const s = parseFieldArray(req.states[i], `states[${i}]`)
            if (!cache.has(s.length)) cache.set(s.length, await permuter(req.lib, s.length))
            states.push(cache.get(s.length)(s).map(dec))
        }
        return { states }
    },

    async lean_imt_root(req) {
        const leaves = parseFieldArray(req.leaves, "leaves")
        const tree = buildTree(leaves, await hasher(req.lib ?? "poseidon-lite"))
        return { root: dec(tree.root), size: tree.size, depth: tree.depth }
    },

    async lean_imt_proof(req) {
        const leaves = parseFieldArray(req.leaves, "leaves")
        const index = parseCount(req.index, "index")
        const tree = buildTree(leaves, await hasher(req.lib ?? "poseidon-lite"))
        // Optional edits before the proof, in order: [index, leaf] updates, then inserts.
        for (const [i, u] of (req.updates ?? []).entries()) {
            if (!Array.isArray(u) || u.length !== 2) fail(`updates[${i}]: expected [index, leaf]`)
            tree.update(parseCount(u[0], `updates[${i}][0]`), parseField(u[1], `updates[${i}][1]`))
        }
        for (const leaf of parseFieldArray(req.inserts ?? [], "inserts")) tree.insert(leaf)
        if (index >= tree.size) fail(`lean_imt_proof: index ${index} out of range (size ${tree.size})`)
        const p = tree.generateProof(index)
        return { root: dec(p.root), leaf: dec(p.leaf), index: p.index, siblings: p.siblings.map(dec) }
    },

    async records_root(req) {
        if (!Array.isArray(req.records)) fail("records_root: 'records' must be an array of arrays")
        const h = await hasher(req.lib ?? "poseidon-lite")
        const leaves = req.records.map((rec, i) => {
            const f = parseFieldArray(rec, `records[${i}]`)
            if (f.length < 1 || f.length > 16) fail(`records[${i}]: record length must be 1..16, got ${f.length}`)
            return h(f)
        })
        const tree = buildTree(leaves, h)
        return { leaves: leaves.map(dec), root: dec(tree.root) }
    },

    async encrypt(req) {
        const message = parseFieldArray(req.message, "message")
        const key = parseFieldArray(req.key, "key")
        if (key.length !== 2) fail("encrypt: key must have exactly 2 elements")
        const nonce = parseField(req.nonce, "nonce")
        return { ciphertext: poseidonEncrypt(message, key, nonce).map(dec) }
    },

    async decrypt(req) {
        const ciphertext = parseFieldArray(req.ciphertext, "ciphertext")
        const key = parseFieldArray(req.key, "key")
        if (key.length !== 2) fail("decrypt: key must have exactly 2 elements")
        const nonce = parseField(req.nonce, "nonce")
        const length = parseCount(req.length, "length")
        const f = req.unchecked ? poseidonDecryptWithoutCheck : poseidonDecrypt
        return { message: f(ciphertext, key, nonce, length).map(dec) }
    },

    // Baby Jubjub / trustee keys (@zk-kit/baby-jubjub, @zk-kit/eddsa-poseidon default export).
    async bjj_derive(req) {
        const sk = parsePrivateKeyHex(req.privateKeyHex)
        const pub = eddsaPoseidon.derivePublicKey(sk)
        return { scalar: dec(eddsaPoseidon.deriveSecretScalar(sk)), publicKey: pub.map(dec) }
    },

    async bjj_mul(req) {
        const point = parsePoint(req.point)
        const scalar = parseField(req.scalar, "scalar")
        return { point: mulPointEscalar(point, scalar).map(dec) }
    },

    // A trustee opens its escrow share as MACI decrypts: S = deriveSecretScalar(sk)·E,
    // poseidonDecrypt(ct, [S.x, S.y], nonce = index, length 2) (the tag is checked).
    async escrow_open(req) {
        const sk = parsePrivateKeyHex(req.privateKeyHex)
        const ephemeral = parsePoint(req.ephemeral, "ephemeral")
        const index = parseField(req.index, "index")
        const ciphertext = parseFieldArray(req.ciphertext, "ciphertext")
        if (ciphertext.length !== 4) fail("escrow_open: ciphertext must have 4 elements")
        const shared = mulPointEscalar(ephemeral, eddsaPoseidon.deriveSecretScalar(sk))
        const share = poseidonDecrypt(ciphertext, shared, index, 2)
        return { shared: shared.map(dec), share: share.map(dec) }
    },

    async constants(req) {
        const t = parseCount(req.t, "t")
        if (t < 2 || t > 17) fail(`constants: t must be 2..17, got ${t}`)
        const { C, M } = await getCircomConstants()
        return {
            C: C[t - 2].map(dec),
            M: M[t - 2].map((row) => row.map(dec)),
            nRoundsF: N_ROUNDS_F,
            nRoundsP: N_ROUNDS_P[t - 2]
        }
    }
}

export async function handle(req) {
    if (req === null || typeof req !== "object" || Array.isArray(req)) fail("request must be a JSON object")
    const op = ops[req.op]
    if (typeof req.op !== "string" || !Object.hasOwn(ops, req.op)) {
        fail(`unknown op ${JSON.stringify(req.op)}; known: ${Object.keys(ops).join(", ")}`)
    }
    return op(req)
}

async function readStdin() {
    const chunks = []
    for await (const c of process.stdin) chunks.push(c)
    return Buffer.concat(chunks).toString("utf8")
}

async function main() {
    let out
    try {
        const text = await readStdin()
        let req
        try {
            req = JSON.parse(text)
        } catch (e) {
            fail(`invalid JSON request: ${e.message}`)
        }
        out = JSON.stringify(await handle(req)) + "\n"
    } catch (e) {
        process.stderr.write(`oracle error: ${e && e.message ? e.message : String(e)}\n`, () => process.exit(1))
        return
    }
    process.stdout.write(out, () => process.exit(0))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    main()
}
