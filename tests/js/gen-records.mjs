#!/usr/bin/env node
// Generate a random records file and print its LeanIMT root.
//
//   node gen-records.mjs --arity A --count N --format csv|jsonl --out FILE [--seed S] [--hex]
//                        [--lib poseidon-lite|circomlibjs]
//
// Values are uniform below the BN254 scalar modulus r, mixed with some small
// values and edge values (0, 1, r-1); with --hex about a third of the values
// are written as lowercase "0x..." hex. With --seed the output is fully
// deterministic (SHA-256 counter-mode stream), otherwise it uses crypto RNG.
// Prints to stdout the LeanIMT root over leaves Poseidon(record) (poseidon-lite,
// @zk-kit/lean-imt, node = poseidon2([left, right])) as "0x" + 64 lowercase hex.
// --lib circomlibjs computes the same hashes with circomlibjs's wasm Poseidon
// (~6x faster for wide records; the test suite checks both libs agree).

import { createHash, randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { parseArgs } from "node:util"

import * as poseidonLite from "poseidon-lite"
import { LeanIMT } from "@zk-kit/lean-imt"

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

function usage(msg) {
    if (msg) process.stderr.write(`gen-records: ${msg}\n`)
    process.stderr.write(
        "usage: node gen-records.mjs --arity A --count N --format csv|jsonl --out FILE [--seed S] [--hex] [--lib poseidon-lite|circomlibjs]\n"
    )
    process.exit(2)
}

let args
try {
    args = parseArgs({
        options: {
            arity: { type: "string" },
            count: { type: "string" },
            format: { type: "string" },
            out: { type: "string" },
            seed: { type: "string" },
            hex: { type: "boolean", default: false },
            lib: { type: "string", default: "poseidon-lite" },
            help: { type: "boolean", short: "h", default: false }
        },
        strict: true,
        allowPositionals: false
    }).values
} catch (e) {
    usage(e.message)
}
if (args.help) usage()

const arity = Number(args.arity)
const count = Number(args.count)
if (!Number.isInteger(arity) || arity < 1 || arity > 16) usage("--arity must be an integer in 1..16")
if (!Number.isInteger(count) || count < 1) usage("--count must be a positive integer")
if (args.format !== "csv" && args.format !== "jsonl") usage("--format must be csv or jsonl")
if (!args.out) usage("--out is required")
if (args.lib !== "poseidon-lite" && args.lib !== "circomlibjs") usage("--lib must be poseidon-lite or circomlibjs")

// ------------------------------------------------------------------ RNG

let nextBytes
if (args.seed !== undefined) {
    let counter = 0n
    let pool = Buffer.alloc(0)
    nextBytes = (n) => {
        while (pool.length < n) {
            const h = createHash("sha256").update(`zkbackup-gen-records:${args.seed}:${counter++}`).digest()
            pool = Buffer.concat([pool, h])
        }
        const out = pool.subarray(0, n)
        pool = pool.subarray(n)
        return out
    }
} else {
    nextBytes = (n) => randomBytes(n)
}

const randU32 = () => nextBytes(4).readUInt32BE(0)

/** Uniform in [0, r): 254-bit rejection sampling. */
function randField() {
    for (;;) {
        const b = Buffer.from(nextBytes(32))
        b[0] &= 0x3f // keep 254 bits
        const v = BigInt("0x" + b.toString("hex"))
        if (v < R) return v
    }
}

function randValue() {
    const k = randU32() % 100
    if (k < 2) return 0n
    if (k < 3) return 1n
    if (k < 4) return R - 1n
    if (k < 15) return BigInt(randU32() % 1000) // small values
    if (k < 20) return BigInt(randU32()) * BigInt(randU32()) // ~64-bit values
    return randField()
}

function fmt(v) {
    if (args.hex && randU32() % 3 === 0) return "0x" + v.toString(16)
    return v.toString(10)
}

// ------------------------------------------------------------------ generate

let hashN = poseidonLite[`poseidon${arity}`]
let hash2 = (a, b) => poseidonLite.poseidon2([a, b])
if (args.lib === "circomlibjs") {
    const { buildPoseidon } = await import("circomlibjs")
    const p = await buildPoseidon()
    hashN = (rec) => p.F.toObject(p(rec))
    hash2 = (a, b) => p.F.toObject(p([a, b]))
}
const leaves = new Array(count)
const lines = new Array(count)
for (let i = 0; i < count; i++) {
    const rec = []
    const text = []
    for (let j = 0; j < arity; j++) {
        const v = randValue()
        rec.push(v)
        text.push(fmt(v))
    }
    leaves[i] = hashN(rec)
    lines[i] = args.format === "csv" ? text.join(",") : JSON.stringify(text)
}
writeFileSync(args.out, lines.join("\n") + "\n")

const tree = new LeanIMT(hash2, leaves)
process.stdout.write("0x" + tree.root.toString(16).padStart(64, "0") + "\n", () => process.exit(0))
