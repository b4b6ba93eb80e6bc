#!/usr/bin/env node
// An independent key recovery from zkbackup escrow shares, written from docs/ESCROW.md §8
// alone (poseidon-lite for the key commitment; the field arithmetic is plain BigInt). It
// shares no code with zkbackup or with oracle.mjs.
//
//   node escrow-recover.mjs SHARE.json… --threshold k --key-commitment K
//
// Refuses fewer than k shares, a share of another key (keyCommitment ≠ K) or of another
// escrow (escrowDigest differs between shares), duplicate indices. Interpolates at 0
// (Lagrange over F_r) every k-subset of the shares, in order, until one gives a key whose
// commitment Poseidon(D_key, k0, k1) is K, and prints that key as the key file of
// docs/FORMAT.md §2 on one line:
//   {"version":1,"key":["k0","k1"],"commitment":"0x…"}
// If no subset does, it names the subsets tried. K may be given as 0x + 64 hex or decimal.
// On a refusal: "escrow-recover error: reason" on stderr, nothing on stdout, exit 1
// (usage errors exit 2).

import { readFileSync, statSync } from "node:fs"
import { poseidon3 } from "poseidon-lite"

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
// FORMAT.md §2: "zkbackup/key/v1" as a big-endian integer.
const D_KEY = BigInt("0x" + Buffer.from("zkbackup/key/v1", "ascii").toString("hex"))
const MAX_SHARE_BYTES = 4096
const MAX_SUBSETS = 100000

class Refusal extends Error {}
const fail = (msg) => {
    throw new Refusal(msg)
}

const mod = (a) => ((a % R) + R) % R
function inv(a) {
    // Extended Euclid; a ≠ 0 mod r here (differences of distinct indices 1..255).
    let [t, nt, r0, r1] = [0n, 1n, R, mod(a)]
    while (r1 !== 0n) {
        const q = r0 / r1
        ;[t, nt] = [nt, t - q * nt]
        ;[r0, r1] = [r1, r0 - q * r1]
    }
    return mod(t)
}
const toHex32 = (v) => "0x" + v.toString(16).padStart(64, "0")

function dec(x, what) {
    if (typeof x !== "string" || !/^(0|[1-9][0-9]*)$/.test(x)) fail(`${what} is not a canonical decimal string`)
    const v = BigInt(x)
    if (v >= R) fail(`${what} is not below the field modulus r`)
    return v
}

function hex32(x, what) {
    if (typeof x !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(x)) fail(`${what} is not 0x followed by 64 hex digits`)
    const v = BigInt(x)
    if (v >= R) fail(`${what} is not below the field modulus r`)
    return v
}

function readShare(path) {
    let f
    try {
        if (statSync(path).size > MAX_SHARE_BYTES) fail(`${path}: larger than ${MAX_SHARE_BYTES} bytes`)
        f = JSON.parse(readFileSync(path, "utf8"))
    } catch (e) {
        if (e instanceof Refusal) throw e
        fail(`${path}: cannot read a JSON share file: ${e.message}`)
    }
    const at = (msg) => fail(`${path}: ${msg}`)
    if (f === null || typeof f !== "object" || Array.isArray(f)) at("not a JSON object")
    const known = ["version", "kind", "keyCommitment", "escrowDigest", "index", "share"]
    for (const k of Object.keys(f)) if (!known.includes(k)) at(`unknown field "${k}"`)
    for (const k of known) if (!(k in f)) at(`missing field "${k}"`)
    if (f.version !== 1) at(`unsupported version ${JSON.stringify(f.version)}`)
    if (f.kind !== "zkbackup-escrow-share") at(`kind is ${JSON.stringify(f.kind)}, not "zkbackup-escrow-share"`)
    if (!Number.isInteger(f.index) || f.index < 1 || f.index > 255) at("index must be an integer in 1..255")
    if (!Array.isArray(f.share) || f.share.length !== 2) at("share must be an array of 2 decimal strings")
    try {
        return {
            path,
            K: hex32(f.keyCommitment, "keyCommitment"),
            D: hex32(f.escrowDigest, "escrowDigest"),
            index: f.index,
            y: f.share.map((y, j) => dec(y, `share[${j}]`))
        }
    } catch (e) {
        if (e instanceof Refusal) at(e.message)
        throw e
    }
}

/** Lagrange interpolation at 0 of the points (index, y) over F_r. */
function atZero(shares, j) {
    let acc = 0n
    for (const a of shares) {
        let num = 1n
        let den = 1n
        for (const b of shares) {
            if (b === a) continue
            const xa = BigInt(a.index)
            const xb = BigInt(b.index)
            num = mod(num * xb)
            den = mod(den * (xb - xa))
        }
        acc = mod(acc + a.y[j] * num * inv(den))
    }
    return acc
}

function* subsets(items, k, start = 0, prefix = []) {
    if (prefix.length === k) {
        yield prefix
        return
    }
    for (let m = start; m <= items.length - (k - prefix.length); m++) {
        yield* subsets(items, k, m + 1, [...prefix, items[m]])
    }
}

function usage(msg) {
    process.stderr.write(
        `escrow-recover: ${msg}\nusage: node escrow-recover.mjs SHARE.json… --threshold k --key-commitment K\n`
    )
    process.exit(2)
}

function parseArgs(argv) {
    const paths = []
    let k = null
    let K = null
    for (let a = 0; a < argv.length; a++) {
        if (argv[a] === "--threshold") {
            const v = argv[++a]
            if (v === undefined || !/^[1-9][0-9]*$/.test(v) || Number(v) > 255) usage("--threshold takes 1..255")
            k = Number(v)
        } else if (argv[a] === "--key-commitment") {
            const v = argv[++a]
            if (v === undefined) usage("--key-commitment takes K")
            if (/^0x[0-9a-fA-F]{64}$/.test(v)) K = BigInt(v)
            else if (/^(0|[1-9][0-9]*)$/.test(v)) K = BigInt(v)
            else usage("--key-commitment takes 0x + 64 hex digits or a decimal")
            if (K >= R) usage("--key-commitment is not below the field modulus r")
        } else if (argv[a].startsWith("--")) {
            usage(`unknown option ${argv[a]}`)
        } else {
            paths.push(argv[a])
        }
    }
    if (k === null) usage("--threshold is required")
    if (K === null) usage("--key-commitment is required")
    if (paths.length === 0) usage("no share files")
    return { paths, k, K }
}

function main() {
    const { paths, k, K } = parseArgs(process.argv.slice(2))
    const shares = paths.map(readShare)
    if (shares.length < k) fail(`${shares.length} share(s) given, the threshold is ${k}`)
    for (const s of shares) {
        if (s.K !== K) fail(`${s.path}: a share of another key (keyCommitment ${toHex32(s.K)}, expected ${toHex32(K)})`)
        if (s.D !== shares[0].D) {
            fail(`${s.path}: a share of another escrow (escrowDigest ${toHex32(s.D)}, ${shares[0].path} has ${toHex32(shares[0].D)})`)
        }
    }
    const seen = new Map()
    for (const s of shares) {
        if (seen.has(s.index)) fail(`${s.path} and ${seen.get(s.index)} both hold share ${s.index}`)
        seen.set(s.index, s.path)
    }
    const sorted = [...shares].sort((a, b) => a.index - b.index)
    const tried = []
    for (const subset of subsets(sorted, k)) {
        if (tried.length >= MAX_SUBSETS) fail(`gave up after ${MAX_SUBSETS} subsets of ${k} shares`)
        const key = [atZero(subset, 0), atZero(subset, 1)]
        if (poseidon3([D_KEY, key[0], key[1]]) === K) {
            const out = { version: 1, key: key.map((x) => x.toString()), commitment: toHex32(K) }
            process.stdout.write(JSON.stringify(out) + "\n")
            return
        }
        tried.push(`{${subset.map((s) => s.index).join(",")}}`)
    }
    fail(
        `no ${k} of the ${shares.length} shares rebuild a key with commitment ${toHex32(K)}: ` +
            `tried ${tried.join(" ")} (at least one share in each is wrong)`
    )
}

try {
    main()
} catch (e) {
    if (!(e instanceof Refusal)) throw e
    process.stderr.write(`escrow-recover error: ${e.message}\n`)
    process.exit(1)
}
