// Self-checks for the oracle harness. Run: `npm test` (= node --test test/).
// Every check goes through the real stdin/stdout protocol of oracle.mjs.

import { test } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, dirname } from "node:path"
import { fileURLToPath } from "node:url"

import { C as cipherC, M as cipherM } from "@zk-kit/poseidon-cipher"
import * as poseidonLite from "poseidon-lite"

const HERE = dirname(fileURLToPath(import.meta.url))
const ORACLE = join(HERE, "..", "oracle.mjs")
const GEN = join(HERE, "..", "gen-records.mjs")

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
const TWO128 = 1n << 128n
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]

function call(req) {
    const r = spawnSync(process.execPath, [ORACLE], { input: JSON.stringify(req), encoding: "utf8" })
    if (r.status !== 0) throw new Error(`oracle exited ${r.status}: ${r.stderr}`)
    assert.equal(r.stderr, "")
    return JSON.parse(r.stdout)
}

function callFail(req) {
    const r = spawnSync(process.execPath, [ORACLE], {
        input: typeof req === "string" ? req : JSON.stringify(req),
        encoding: "utf8"
    })
    assert.equal(r.status, 1, `expected exit 1, got ${r.status}; stdout=${r.stdout}`)
    assert.equal(r.stdout, "")
    assert.ok(r.stderr.trim().length > 0)
    return r.stderr
}

// Small deterministic PRNG (xorshift64*), good enough for test vectors.
let seed = 0x9e3779b97f4a7c15n
function rnd64() {
    seed ^= seed >> 12n
    seed ^= (seed << 25n) & 0xffffffffffffffffn
    seed ^= seed >> 27n
    return (seed * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn
}
function rndField() {
    const k = rnd64() % 10n
    if (k === 0n) return rnd64() % 1000n
    if (k === 1n) return R - 1n - (rnd64() % 4n)
    return ((rnd64() << 192n) | (rnd64() << 128n) | (rnd64() << 64n) | rnd64()) % R
}
const s = (x) => x.toString()
// In-process hash for building expectations (the oracle's own "poseidon" op is cross-checked above).
const H = (inputs) => poseidonLite[`poseidon${inputs.length}`](inputs)

// ------------------------------------------------------------------ poseidon

test("poseidon known vectors", () => {
    const out = call({ op: "poseidon", lib: "poseidon-lite", inputs: [["1", "2"], ["1"]] })
    assert.deepEqual(out.hashes, [
        "7853200120776062878684798364095072458815029376092732009249414926327459813530",
        "18586133768512220936620570745912940619677854269274689475585506675881198879027"
    ])
    const out2 = call({ op: "poseidon", lib: "circomlibjs", inputs: [["1", "2"], ["1"]] })
    assert.deepEqual(out2.hashes, out.hashes)
})

test("poseidon-lite, circomlibjs (wasm) and circomlibjs-reference agree for arity 1..16", () => {
    const inputs = []
    for (let n = 1; n <= 16; n++) {
        for (let k = 0; k < 3; k++) inputs.push(Array.from({ length: n }, () => s(rndField())))
    }
    inputs.push(Array.from({ length: 16 }, () => "0"))
    const a = call({ op: "poseidon", lib: "poseidon-lite", inputs }).hashes
    const b = call({ op: "poseidon", lib: "circomlibjs", inputs }).hashes
    const c = call({ op: "poseidon", lib: "circomlibjs-reference", inputs }).hashes
    assert.equal(a.length, inputs.length)
    assert.deepEqual(b, a)
    assert.deepEqual(c, a)
    for (const h of a) assert.ok(/^[0-9]+$/.test(h) && BigInt(h) < R)
})

test("poseidon rejects arity 0 and 17", () => {
    callFail({ op: "poseidon", inputs: [[]] })
    callFail({ op: "poseidon", inputs: [Array.from({ length: 17 }, () => "1")] })
    callFail({ op: "poseidon", lib: "circomlibjs", inputs: [Array.from({ length: 17 }, () => "1")] })
})

// ------------------------------------------------------------------ permutation & constants

test("poseidon_perm: state[0] of perm([0, ...x]) equals poseidon(x)", () => {
    const xs = [1, 2, 4, 7, 14].map((n) => Array.from({ length: n }, () => rndField()))
    const states = xs.map((x) => ["0", ...x.map(s)])
    const out = call({ op: "poseidon_perm", states }).states
    const hashes = call({ op: "poseidon", inputs: xs.map((x) => x.map(s)) }).hashes
    out.forEach((st, i) => {
        assert.equal(st.length, states[i].length)
        assert.equal(st[0], hashes[i])
    })
})

test("poseidon_perm: poseidon-cipher and circomlibjs agree for widths 2..15; wasm vs reference for 16..17", () => {
    const states = []
    for (let t = 2; t <= 15; t++) states.push(Array.from({ length: t }, () => s(rndField())))
    const a = call({ op: "poseidon_perm", lib: "poseidon-cipher", states }).states
    const d = call({ op: "poseidon_perm", states }).states // default lib
    const b = call({ op: "poseidon_perm", lib: "circomlibjs", states }).states
    const c = call({ op: "poseidon_perm", lib: "circomlibjs-reference", states }).states
    assert.deepEqual(d, a)
    assert.deepEqual(b, a)
    assert.deepEqual(c, a)

    const wide = [16, 17].map((t) => Array.from({ length: t }, () => s(rndField())))
    const w1 = call({ op: "poseidon_perm", lib: "circomlibjs", states: wide }).states
    const w2 = call({ op: "poseidon_perm", lib: "circomlibjs-reference", states: wide }).states
    const w3 = call({ op: "poseidon_perm", states: wide }).states // default falls back to circomlibjs
    assert.deepEqual(w2, w1)
    assert.deepEqual(w3, w1)
    // poseidon-cipher's poseidonPerm refuses width >= 16
    callFail({ op: "poseidon_perm", lib: "poseidon-cipher", states: [wide[0]] })
})

test("constants: shapes, agreement with poseidon-cipher's tables, and a from-scratch permutation", () => {
    for (let t = 2; t <= 17; t++) {
        const { C, M, nRoundsF, nRoundsP } = call({ op: "constants", t })
        assert.equal(nRoundsF, 8)
        assert.equal(nRoundsP, N_ROUNDS_P[t - 2])
        assert.equal(C.length, t * (nRoundsF + nRoundsP))
        assert.equal(M.length, t)
        for (const row of M) assert.equal(row.length, t)
        assert.deepEqual(C, cipherC[t - 2].map(s))
        assert.deepEqual(M, cipherM[t - 2].map((row) => row.map(s)))

        if (t === 3 || t === 5 || t === 17) {
            // Reimplement the textbook (unoptimized) permutation from the dumped constants.
            const c = C.map(BigInt)
            const m = M.map((row) => row.map(BigInt))
            const state0 = Array.from({ length: t }, () => rndField())
            let st = [...state0]
            const pow5 = (x) => (x * x * x * x * x) % R
            for (let r = 0; r < 8 + nRoundsP; r++) {
                st = st.map((x, i) => (x + c[r * t + i]) % R)
                if (r < 4 || r >= 4 + nRoundsP) st = st.map(pow5)
                else st[0] = pow5(st[0])
                st = st.map((_, i) => st.reduce((acc, x, j) => (acc + m[i][j] * x) % R, 0n))
            }
            const got = call({ op: "poseidon_perm", lib: "circomlibjs-reference", states: [state0.map(s)] }).states[0]
            assert.deepEqual(got, st.map(s))
        }
    }
    callFail({ op: "constants", t: 1 })
    callFail({ op: "constants", t: 18 })
})

// ------------------------------------------------------------------ LeanIMT

test("lean_imt_root: small trees", () => {
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => rndField())
    let out = call({ op: "lean_imt_root", leaves: [s(a)] })
    assert.deepEqual(out, { root: s(a), size: 1, depth: 0 })

    out = call({ op: "lean_imt_root", leaves: [a, b].map(s) })
    assert.deepEqual(out, { root: s(H([a, b])), size: 2, depth: 1 })

    out = call({ op: "lean_imt_root", leaves: [a, b, c].map(s) })
    assert.deepEqual(out, { root: s(H([H([a, b]), c])), size: 3, depth: 2 })

    out = call({ op: "lean_imt_root", leaves: [a, b, c, d, e].map(s) })
    assert.deepEqual(out, { root: s(H([H([H([a, b]), H([c, d])]), e])), size: 5, depth: 3 })

    const out2 = call({ op: "lean_imt_root", lib: "circomlibjs", leaves: [a, b, c, d, e].map(s) })
    assert.deepEqual(out2, out)

    callFail({ op: "lean_imt_root", leaves: [] })
})

test("lean_imt_proof: every proof recomputes the root", () => {
    const leaves = Array.from({ length: 7 }, () => rndField())
    const { root } = call({ op: "lean_imt_root", leaves: leaves.map(s) })
    for (let i = 0; i < leaves.length; i++) {
        const p = call({ op: "lean_imt_proof", leaves: leaves.map(s), index: i })
        assert.equal(p.root, root)
        assert.equal(p.leaf, s(leaves[i]))
        assert.equal(typeof p.index, "number")
        let node = BigInt(p.leaf)
        p.siblings.forEach((sib, k) => {
            node = (p.index >> k) & 1 ? H([BigInt(sib), node]) : H([node, BigInt(sib)])
        })
        assert.equal(s(node), root)
    }
    // 7 leaves, index 6: no sibling at level 0 (leaf is promoted), then right child twice
    const last = call({ op: "lean_imt_proof", leaves: leaves.map(s), index: 6 })
    assert.equal(last.siblings.length, 2)
    assert.equal(last.index, 3)
    // 5 leaves, index 4: promoted at levels 0 and 1, one sibling at level 2;
    // "index" is the compressed path (bit k = side at the k-th *present* sibling)
    const five = call({ op: "lean_imt_proof", leaves: leaves.slice(0, 5).map(s), index: 4 })
    assert.deepEqual(five.siblings, [s(H([H([leaves[0], leaves[1]]), H([leaves[2], leaves[3]])]))])
    assert.equal(five.index, 1)
    // 1 leaf: empty proof
    const one = call({ op: "lean_imt_proof", leaves: [s(leaves[0])], index: 0 })
    assert.deepEqual(one, { root: s(leaves[0]), leaf: s(leaves[0]), index: 0, siblings: [] })
    callFail({ op: "lean_imt_proof", leaves: leaves.map(s), index: 7 })
})

test("records_root: leaves are Poseidon(record), root is LeanIMT over them", () => {
    const records = [1, 2, 3, 5, 16, 4, 7].map((n) => Array.from({ length: n }, () => s(rndField())))
    const out = call({ op: "records_root", records })
    const hashes = call({ op: "poseidon", inputs: records }).hashes
    assert.deepEqual(out.leaves, hashes)
    assert.equal(out.root, call({ op: "lean_imt_root", leaves: hashes }).root)
    assert.deepEqual(call({ op: "records_root", lib: "circomlibjs", records }), out)
    callFail({ op: "records_root", records: [] })
    callFail({ op: "records_root", records: [[]] })
})

// ------------------------------------------------------------------ Poseidon encryption

test("encrypt/decrypt round-trip for lengths 0..10 and matches a from-scratch sponge", () => {
    const key = [rndField(), rndField()]
    const nonce = rnd64() * rnd64()
    const perm = (st) => call({ op: "poseidon_perm", states: [st.map(s)] }).states[0].map(BigInt)
    for (let len = 0; len <= 10; len++) {
        const msg = Array.from({ length: len }, () => rndField())
        const { ciphertext } = call({ op: "encrypt", message: msg.map(s), key: key.map(s), nonce: s(nonce) })
        assert.equal(ciphertext.length, 3 * Math.ceil(len / 3) + 1)
        const dec = call({
            op: "decrypt",
            ciphertext,
            key: key.map(s),
            nonce: s(nonce),
            length: len
        }).message
        assert.deepEqual(dec, msg.map(s))

        if (len === 0 || len === 4) {
            // Recompute the ciphertext with the documented algorithm.
            const padded = [...msg]
            while (padded.length % 3) padded.push(0n)
            let st = [0n, key[0], key[1], (nonce + BigInt(len) * TWO128) % R]
            const ct = []
            for (let i = 0; i < padded.length; i += 3) {
                st = perm(st)
                for (let j = 0; j < 3; j++) {
                    st[j + 1] = (st[j + 1] + padded[i + j]) % R
                    ct.push(st[j + 1])
                }
            }
            st = perm(st)
            ct.push(st[1])
            assert.deepEqual(ciphertext, ct.map(s))
        }
    }
})

test("decrypt fails on wrong key, wrong nonce, wrong length and tampering; nonce bound 2^128", () => {
    const key = ["5", "6"]
    const msg = ["1", "2", "3", "4"]
    const { ciphertext } = call({ op: "encrypt", message: msg, key, nonce: "7" })
    callFail({ op: "decrypt", ciphertext, key: ["5", "7"], nonce: "7", length: 4 })
    callFail({ op: "decrypt", ciphertext, key, nonce: "8", length: 4 })
    callFail({ op: "decrypt", ciphertext, key, nonce: "7", length: 5 })
    const t = [...ciphertext]
    t[1] = s((BigInt(t[1]) + 1n) % R)
    callFail({ op: "decrypt", ciphertext: t, key, nonce: "7", length: 4 })
    // unchecked variant returns garbage instead of failing
    const u = call({ op: "decrypt", unchecked: true, ciphertext, key: ["5", "7"], nonce: "7", length: 4 })
    assert.equal(u.message.length, 4)

    call({ op: "encrypt", message: msg, key, nonce: s(TWO128 - 1n) })
    const err = callFail({ op: "encrypt", message: msg, key, nonce: s(TWO128) })
    assert.match(err, /2 \^ 128/)
})

// ------------------------------------------------------------------ Baby Jubjub / escrow

const BASE8 = [
    "5299619240641551281634865583518297030282874472190772894086521144482721001553",
    "16950150798460657717958625567821834550301663161624707787222815936182638968203"
]
const KEY1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
const KEY2 = "0001020304050607080900010203040506070809000102030405060708090001"

test("bjj_derive and bjj_mul: the design brief's vectors", () => {
    const d = call({ op: "bjj_derive", privateKeyHex: KEY1 })
    assert.equal(d.scalar, "1081855629598835720041965235621532421933020852818445292603606261079471028382")
    assert.deepEqual(d.publicKey, [
        "1120771572304984668855649788542860110303223894298952018121329196339919157573",
        "20197087425205130352574209034729275460185533126585197591053247747830393653846"
    ])
    assert.deepEqual(call({ op: "bjj_mul", point: BASE8, scalar: d.scalar }).point, d.publicKey)
    assert.deepEqual(call({ op: "bjj_mul", point: BASE8, scalar: "324" }).point, [
        "15229345502220149131685586687941443871001305766614475172402395422497225172142",
        "4911899710315914981416442134857325378932941598283120700062541445449511641519"
    ])
    callFail({ op: "bjj_derive", privateKeyHex: "0g" })
    callFail({ op: "bjj_mul", point: [BASE8[0], "1"], scalar: "2" })
})

test("escrow_open: trustee 1 of the brief's 2-of-3 vector, and a wrong trustee refused", () => {
    const req = {
        op: "escrow_open",
        privateKeyHex: KEY1,
        ephemeral: [
            "2423727944026728749168324271799508493341601196688888904391448825568200263977",
            "2504327762688954486123660800211611946128639234034449816647673413157039235394"
        ],
        index: "1",
        ciphertext: [
            "1817332149226525032327049120650538429101317643355982592884427857197945092713",
            "16364874771945803595954517866783258761235553402123465637424880160241433364783",
            "17672140709704952421453049701476279985042038629745671610248368380846427041854",
            "5990030235838140340721619693454253862488183936810637491365305644936831472753"
        ]
    }
    assert.deepEqual(call(req).share, ["1234567890123456900", "9876543210987654543"])
    callFail({ ...req, privateKeyHex: KEY2 })
    callFail({ ...req, index: "2" })
})

// ------------------------------------------------------------------ protocol errors

test("protocol errors exit 1 with a message on stderr", () => {
    callFail("not json")
    callFail({ op: "nope" })
    callFail({ op: "poseidon", inputs: [["-1"]] })
    callFail({ op: "poseidon", inputs: [["1.5"]] })
    callFail({ op: "encrypt", message: [], key: ["1"], nonce: "0" })
})

// ------------------------------------------------------------------ gen-records

test("gen-records: deterministic, csv/jsonl agree, root matches the oracle", () => {
    const dir = mkdtempSync(join(tmpdir(), "zkb-gen-"))
    try {
        const run = (...args) => {
            const r = spawnSync(process.execPath, [GEN, ...args], { encoding: "utf8" })
            assert.equal(r.status, 0, r.stderr)
            assert.match(r.stdout, /^0x[0-9a-f]{64}\n$/)
            return r.stdout.trim()
        }
        const csv = join(dir, "r.csv")
        const jsonl = join(dir, "r.jsonl")
        const root1 = run("--arity", "3", "--count", "37", "--format", "csv", "--out", csv, "--seed", "42", "--hex")
        const root2 = run("--arity", "3", "--count", "37", "--format", "jsonl", "--out", jsonl, "--seed", "42", "--hex")
        const root3 = run("--arity", "3", "--count", "37", "--format", "csv", "--out", csv + "2", "--seed", "42", "--hex", "--lib", "circomlibjs")
        assert.equal(root1, root2)
        assert.equal(root1, root3)
        assert.equal(readFileSync(csv, "utf8"), readFileSync(csv + "2", "utf8"))

        const csvRecs = readFileSync(csv, "utf8").trimEnd().split("\n").map((l) => l.split(","))
        const jsonRecs = readFileSync(jsonl, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l))
        assert.equal(csvRecs.length, 37)
        assert.deepEqual(jsonRecs, csvRecs)
        assert.ok(csvRecs.flat().some((v) => v.startsWith("0x")), "expected some hex values with --hex")
        for (const v of csvRecs.flat()) assert.ok(BigInt(v) < R)

        const { root } = call({ op: "records_root", records: csvRecs.map((r) => r.map((v) => s(BigInt(v)))) })
        assert.equal(root1, "0x" + BigInt(root).toString(16).padStart(64, "0"))

        const noHex = join(dir, "n.csv")
        run("--arity", "1", "--count", "5", "--format", "csv", "--out", noHex, "--seed", "1")
        assert.ok(!readFileSync(noHex, "utf8").includes("0x"))
    } finally {
        rmSync(dir, { recursive: true, force: true })
    }
})
