#!/usr/bin/env node
// An independent restorer of zkbackup backup files (format v1 and v2), written from
// docs/FORMAT.md alone with the npm reference libraries: @zk-kit/poseidon-cipher
// (decryption), poseidon-lite (Poseidon), @zk-kit/lean-imt (roots), node:crypto (SHA-256).
// It shares no code with zkbackup.
//
//   node restore.mjs BACKUP KEY_FILE
//
// Runs the reading order of FORMAT.md §3 (integrity, version, structure with the nonce rule
// of §4, commitments, restore) and prints ONE JSON line:
//   {"version":2,"lineage":"0x…","generation":N,"arity":A,"chunk_size":S,
//    "nonces":[{"lineage":"0x…","version":V,"index":J},…],"root":"<decimal>",
//    "records":[["<decimal>",…],…]}
// On any refusal: "restore error: <reason>" on stderr, nothing on stdout, exit 1.

import { readFileSync } from "node:fs"
import { createHash } from "node:crypto"
import * as poseidonLite from "poseidon-lite"
import { LeanIMT } from "@zk-kit/lean-imt"
import { poseidonDecrypt } from "@zk-kit/poseidon-cipher"

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const HEADER_LEN = 140
const TRAILER_LEN = 40
const CHUNK_PREFIX_LEN = 24
const MASK32 = (1n << 32n) - 1n
const MASK64 = (1n << 64n) - 1n

class RestoreError extends Error {}
function fail(msg) {
    throw new RestoreError(msg)
}

function poseidon(inputs) {
    const f = poseidonLite[`poseidon${inputs.length}`]
    if (!f) fail(`no Poseidon of ${inputs.length} inputs`)
    return f(inputs)
}

function leanImtRoot(leaves) {
    return new LeanIMT((a, b) => poseidon([a, b]), leaves).root
}

/** A big-endian unsigned integer of `n` bytes at `at`. */
function uint(buf, at, n) {
    let x = 0n
    for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(buf[at + i])
    return x
}

/** A canonical field element (32 bytes, big-endian, below r). */
function element(buf, at, what) {
    const x = uint(buf, at, 32)
    if (x >= R) fail(`${what} at byte offset ${at} is not a canonical field element`)
    return x
}

/** FORMAT.md §5: h_0 = L; h_{g+1} = Poseidon(h_g, 15 elements of group g, zero-padded). */
function chunkCommitment(ciphertext) {
    let h = BigInt(ciphertext.length)
    for (let g = 0; g < ciphertext.length; g += 15) {
        const group = ciphertext.slice(g, g + 15)
        while (group.length < 15) group.push(0n)
        h = poseidon([h, ...group])
    }
    return h
}

function readKey(path) {
    const k = JSON.parse(readFileSync(path, "utf8"))
    if (k.version !== 1 || !Array.isArray(k.key) || k.key.length !== 2) fail(`${path}: not a key file`)
    const key = k.key.map((x) => {
        if (typeof x !== "string" || !/^(0|[1-9][0-9]*)$/.test(x) || BigInt(x) >= R) fail(`${path}: bad key element`)
        return BigInt(x)
    })
    const K = poseidon([0x7a6b6261636b75702f6b65792f7631n, key[0], key[1]])
    if (BigInt(k.commitment) !== K) fail(`${path}: the commitment is not the key's`)
    return { key, K }
}

export function restore(buf, keyFile) {
    // 1. Integrity.
    if (buf.length < 8 || buf.subarray(0, 8).toString("latin1") !== "ZKBACKUP") fail("not a zkbackup backup (magic)")
    if (buf.length < HEADER_LEN + TRAILER_LEN) fail("truncated (shorter than header and trailer)")
    const end = buf.length - 32
    if (uint(buf, end - 8, 8) !== BigInt(buf.length)) fail("trailer length is not the file length")
    const digest = createHash("sha256").update(buf.subarray(0, end)).digest()
    if (!digest.equals(buf.subarray(end))) fail("SHA-256 mismatch")

    // 2. Version.
    const version = Number(uint(buf, 8, 4))
    if (version !== 1 && version !== 2) fail(`unknown version ${version}`)

    // 3. Structure.
    const formatCode = buf[12]
    const arity = buf[13]
    if (formatCode > 1) fail(`records format code ${formatCode}`)
    if (arity < 1 || arity > 16) fail(`arity ${arity}`)
    if (buf[14] !== 0 || buf[15] !== 0) fail("reserved bytes")
    const s = uint(buf, 16, 4)
    if (s === 0n || (s & (s - 1n)) !== 0n) fail(`chunk size ${s} is not a power of two`)
    if (s * BigInt(arity) > MASK32) fail(`chunk size ${s} too large`)
    const c = uint(buf, 20, 4)
    const n = uint(buf, 24, 8)
    if (n === 0n) fail("no records")
    if ((n + s - 1n) / s !== c) fail(`${c} chunks cannot hold ${n} records of ${s} per chunk`)
    // v2: lineage (u64) and generation (u32); v1: the 96-bit backup id b, read the same way
    // (lineage b >> 32, generation b mod 2^32).
    const lineage = uint(buf, 32, 8)
    const generation = uint(buf, 40, 4)
    const root = element(buf, 44, "R")
    const K = element(buf, 76, "K")
    const C = element(buf, 108, "C")
    const lengthOf = (j) => {
        const start = j * s
        return (n - start < s ? n - start : s) * BigInt(arity)
    }
    const ctLen = (l) => ((l + 2n) / 3n) * 3n + 1n
    const full = n / s
    const rest = n % s
    const chunkBytes = (l) => BigInt(CHUNK_PREFIX_LEN) + (ctLen(l) + 1n) * 32n
    const described =
        BigInt(HEADER_LEN) + full * chunkBytes(s * BigInt(arity)) + (rest ? chunkBytes(rest * BigInt(arity)) : 0n) + BigInt(TRAILER_LEN)
    if (described !== BigInt(buf.length)) fail(`the header describes ${described} bytes, the file has ${buf.length}`)

    const chunks = []
    let at = HEADER_LEN
    for (let j = 0n; j < c; j++) {
        if (uint(buf, at, 4) !== j) fail(`chunk ${j}: index`)
        const nonce = uint(buf, at + 4, 16)
        const parts = { lineage: nonce >> 64n, version: (nonce >> 32n) & MASK32, index: nonce & MASK32 }
        if (parts.index !== j) fail(`chunk ${j}: the nonce's index is ${parts.index}`)
        if (parts.lineage !== lineage) fail(`chunk ${j}: the nonce's lineage is not the header's`)
        if (version === 1 && parts.version !== generation) fail(`chunk ${j}: v1 nonce is not backup id · 2^32 + j`)
        if (parts.version > generation) fail(`chunk ${j}: nonce version ${parts.version} above generation ${generation}`)
        const length = uint(buf, at + 20, 4)
        if (length !== lengthOf(j)) fail(`chunk ${j}: length ${length}`)
        at += CHUNK_PREFIX_LEN
        const ciphertext = []
        for (let i = 0n; i < ctLen(length); i++, at += 32) ciphertext.push(element(buf, at, `chunk ${j} ciphertext`))
        const commitment = element(buf, at, `chunk ${j} commitment`)
        at += 32
        chunks.push({ nonce, parts, length: Number(length), ciphertext, commitment })
    }

    // 4. Commitments.
    for (const [j, ch] of chunks.entries()) {
        if (chunkCommitment(ch.ciphertext) !== ch.commitment) fail(`chunk ${j}: commitment does not match the ciphertext`)
    }
    if (leanImtRoot(chunks.map((ch) => ch.commitment)) !== C) fail("C does not match the chunk commitments")

    // 5. Restore.
    const { key, K: keyK } = readKey(keyFile)
    if (keyK !== K) fail("wrong key")
    const fields = []
    for (const [j, ch] of chunks.entries()) {
        let message
        try {
            message = poseidonDecrypt(ch.ciphertext, key, ch.nonce, ch.length)
        } catch (e) {
            fail(`chunk ${j} does not decrypt: ${e.message}`)
        }
        fields.push(...message.slice(0, ch.length))
    }
    const records = []
    for (let i = 0; i < fields.length; i += arity) records.push(fields.slice(i, i + arity))
    if (leanImtRoot(records.map(poseidon)) !== root) fail("the records do not hash to R")
    const hex64 = (x) => "0x" + x.toString(16).padStart(16, "0")
    return {
        version,
        lineage: hex64(lineage),
        generation: Number(generation),
        arity,
        chunk_size: Number(s),
        nonces: chunks.map((ch) => ({ lineage: hex64(ch.parts.lineage), version: Number(ch.parts.version), index: Number(ch.parts.index) })),
        root: root.toString(),
        records: records.map((r) => r.map((x) => x.toString()))
    }
}

const [, , backupPath, keyPath] = process.argv
if (!backupPath || !keyPath) {
    process.stderr.write("usage: node restore.mjs BACKUP KEY_FILE\n")
    process.exit(1)
}
try {
    process.stdout.write(JSON.stringify(restore(readFileSync(backupPath), keyPath)) + "\n")
} catch (e) {
    process.stderr.write(`restore error: ${e instanceof RestoreError ? e.message : e.stack}\n`)
    process.exit(1)
}
