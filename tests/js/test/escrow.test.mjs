// Checks of escrow-open.mjs and escrow-recover.mjs on the 2-of-3 worked example of
// docs/ESCROW.md §11 (fixtures/escrow-2of3.json: the escrow file without its proof;
// fixtures/trustee-{1,2,3}.key.json: the test trustee keys). Run: `npm test`.
// Every expected number is copied from ESCROW.md §11, not computed by the scripts.

import { test } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { createRequire } from "node:module"
import { poseidon3, poseidon16 } from "poseidon-lite"

const require = createRequire(import.meta.url)
const { derivePublicKey } = require("@zk-kit/eddsa-poseidon")

const HERE = dirname(fileURLToPath(import.meta.url))
const OPEN = join(HERE, "..", "escrow-open.mjs")
const RECOVER = join(HERE, "..", "escrow-recover.mjs")
const FIX = join(HERE, "fixtures")
const ESCROW = join(FIX, "escrow-2of3.json")
const KEYS = [1, 2, 3].map((i) => join(FIX, `trustee-${i}.key.json`))

// ESCROW.md §11.
const K = "0x2c6a83ca6bde76bcc58c5f57d5312cc8f90d57d4346a1dd7e618b76ebc6124f8"
const K_DEC = "20089960712570817670742650737646748914130113325258040505420390728962054104312"
const DIGEST = "0x08c5bea7515bfde31e515bf2c82e75737a41b77f6c00519d903fadf1793b7639"
const KEY = ["1234567890123456789", "9876543210987654321"]
const SHARES = [
    ["1234567890123456900", "9876543210987654543"],
    ["1234567890123457011", "9876543210987654765"],
    ["1234567890123457122", "9876543210987654987"]
]
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
// ESCROW.md §2: Base8 + (0, r − 1), on the curve but not in the prime-order subgroup.
const MIXED = [
    "16588623631197723940611540161738978058265489928225261449611683042093087494064",
    "4938092073378617504287780177435440538246701238791326556475388250393169527414"
]

const tmp = mkdtempSync(join(tmpdir(), "zkbackup-escrow-js-"))
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }))
let nfile = 0
function writeTmp(value) {
    const p = join(tmp, `f${nfile++}.json`)
    writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value))
    return p
}
const escrow = () => JSON.parse(readFileSync(ESCROW, "utf8"))

function run(script, args) {
    return spawnSync(process.execPath, [script, ...args], { encoding: "utf8" })
}
function ok(script, args) {
    const r = run(script, args)
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`)
    assert.equal(r.stderr, "")
    return JSON.parse(r.stdout)
}
/** Exit 1, nothing on stdout, and a stderr matching `pattern`. */
function refused(script, args, pattern) {
    const r = run(script, args)
    assert.equal(r.status, 1, `expected exit 1, got ${r.status}; stdout=${r.stdout} stderr=${r.stderr}`)
    assert.equal(r.stdout, "")
    assert.match(r.stderr, pattern)
    return r.stderr
}

// The digest of ESCROW.md §5, to re-seal a tampered file so that a later check is reached.
function digestOf(e) {
    const D_ESC = 10664239866948145015632726573620508945774129n
    const list = [e.threshold, e.trustees.length, ...e.ephemeralPublicKey, ...e.shares.flatMap((s) => s.ciphertext)].map(BigInt)
    let h = D_ESC
    for (let g = 0; g < list.length; g += 15) {
        const grp = list.slice(g, g + 15)
        while (grp.length < 15) grp.push(0n)
        h = poseidon16([h, ...grp])
    }
    return h
}
function reseal(e) {
    const d = digestOf(e)
    e.escrowDigest = "0x" + d.toString(16).padStart(64, "0")
    e.publicInputs[1] = d.toString()
    return e
}

const shareFiles = [1, 2, 3].map((i) => {
    const out = ok(OPEN, [ESCROW, KEYS[i - 1]])
    return { out, path: writeTmp(out) }
})

test("the fixture is the worked example: trustee keys derive to the listed public keys, digest as in §11", () => {
    const e = escrow()
    assert.equal(e.keyCommitment, K)
    assert.equal(e.escrowDigest, DIGEST)
    assert.equal(digestOf(e), BigInt(DIGEST))
    for (let i = 0; i < 3; i++) {
        const key = JSON.parse(readFileSync(KEYS[i], "utf8"))
        assert.deepEqual(derivePublicKey(Buffer.from(key.privateKey, "hex")).map(String), key.publicKey)
        assert.deepEqual(e.trustees[i].publicKey, key.publicKey)
    }
    assert.deepEqual(e.publicInputs, [K_DEC, BigInt(DIGEST).toString(), ...e.trustees.flatMap((t) => t.publicKey)])
})

test("each trustee opens its own share (share.json v1)", () => {
    for (let i = 1; i <= 3; i++) {
        assert.deepEqual(shareFiles[i - 1].out, {
            version: 1,
            kind: "zkbackup-escrow-share",
            keyCommitment: K,
            escrowDigest: DIGEST,
            index: i,
            share: SHARES[i - 1]
        })
        assert.deepEqual(ok(OPEN, [ESCROW, KEYS[i - 1], "--index", String(i)]), shareFiles[i - 1].out)
    }
})

test("any 2 of the 3 shares rebuild the key and K; so do all 3", () => {
    const want = { version: 1, key: KEY, commitment: K }
    for (const [a, b] of [[0, 1], [0, 2], [1, 2], [2, 0]]) {
        assert.deepEqual(ok(RECOVER, [shareFiles[a].path, shareFiles[b].path, "--threshold", "2", "--key-commitment", K]), want)
    }
    assert.deepEqual(ok(RECOVER, [...shareFiles.map((s) => s.path), "--threshold", "2", "--key-commitment", K_DEC]), want)
})

test("a tampered ciphertext is refused: by the digest, and by the tag once the digest is re-sealed", () => {
    const e = escrow()
    e.shares[0].ciphertext[1] = ((BigInt(e.shares[0].ciphertext[1]) + 1n) % R).toString()
    refused(OPEN, [writeTmp(e), KEYS[0]], /escrowDigest .* is not the digest/)
    refused(OPEN, [writeTmp(reseal(e)), KEYS[0]], /share 1 does not decrypt under this trustee's key \(The last ciphertext element must match/)
    // Another trustee's share is untouched and still opens.
    assert.deepEqual(ok(OPEN, [writeTmp(e), KEYS[1]]).share, SHARES[1])
})

test("a changed ephemeral key (re-sealed) is refused by the tag; one outside the subgroup by the point check", () => {
    const e = escrow()
    e.ephemeralPublicKey = e.trustees[2].publicKey // a valid point, but not E
    refused(OPEN, [writeTmp(reseal(e)), KEYS[0]], /share 1 does not decrypt/)
    const f = escrow()
    f.ephemeralPublicKey = MIXED
    refused(OPEN, [writeTmp(reseal(f)), KEYS[0]], /ephemeralPublicKey is not in the prime-order subgroup/)
    const g = escrow()
    g.ephemeralPublicKey = ["0", "1"]
    refused(OPEN, [writeTmp(reseal(g)), KEYS[0]], /ephemeralPublicKey is the identity/)
    const h = escrow()
    h.ephemeralPublicKey = ["1", "1"]
    refused(OPEN, [writeTmp(reseal(h)), KEYS[0]], /ephemeralPublicKey is not on Baby Jubjub/)
})

test("a wrong trustee is refused", () => {
    // Not a trustee of this escrow at all.
    const priv = "33".repeat(32)
    const stranger = writeTmp({
        version: 1,
        kind: "zkbackup-trustee-key",
        privateKey: priv,
        publicKey: derivePublicKey(Buffer.from(priv, "hex")).map(String)
    })
    refused(OPEN, [ESCROW, stranger], /is not one of the escrow's 3 trustees/)
    // A trustee claiming another's index.
    refused(OPEN, [ESCROW, KEYS[1], "--index", "1"], /trustee 1's public key is not the key in/)
    refused(OPEN, [ESCROW, KEYS[1], "--index", "4"], /the escrow has 3 trustees/)
    // A key file whose public key is not derived from its private key.
    const k1 = JSON.parse(readFileSync(KEYS[0], "utf8"))
    k1.publicKey = JSON.parse(readFileSync(KEYS[1], "utf8")).publicKey
    refused(OPEN, [ESCROW, writeTmp(k1)], /publicKey is not the key derived from privateKey/)
    // Trustee 2's key listed in slot 1 (public keys swapped, file re-sealed): trustee 2 finds
    // itself at index 1 but share 1 was encrypted to trustee 1 with nonce 1.
    const e = escrow()
    ;[e.trustees[0].publicKey, e.trustees[1].publicKey] = [e.trustees[1].publicKey, e.trustees[0].publicKey]
    e.publicInputs = [e.publicInputs[0], e.publicInputs[1], ...e.trustees.flatMap((t) => t.publicKey)]
    refused(OPEN, [writeTmp(e), KEYS[1]], /share 1 does not decrypt under this trustee's key/)
})

test("a changed digest is refused", () => {
    const e = escrow()
    e.escrowDigest = "0x" + (BigInt(DIGEST) + 1n).toString(16).padStart(64, "0")
    refused(OPEN, [writeTmp(e), KEYS[0]], /escrowDigest 0x08c5.* is not the digest/)
    const f = escrow()
    f.threshold = 3 // the threshold is in the digest
    refused(OPEN, [writeTmp(f), KEYS[0]], /is not the digest/)
    const g = escrow()
    g.publicInputs[1] = "1"
    refused(OPEN, [writeTmp(g), KEYS[0]], /publicInputs\[1\] is 1, but/)
    const h = escrow()
    h.publicInputs[0] = (BigInt(K) + R).toString()
    refused(OPEN, [writeTmp(h), KEYS[0]], /publicInputs\[0\] is not below the field modulus r/)
})

test("structural rules of escrow.json are enforced", () => {
    const cases = [
        [(e) => (e.version = 2), /unsupported version 2/],
        [(e) => (e.kind = "zkbackup-escrow-share"), /kind is/],
        [(e) => (e.extra = 1), /unknown field "extra"/],
        [(e) => delete e.ephemeralPublicKey, /missing field "ephemeralPublicKey"/],
        [(e) => (e.threshold = 4), /threshold must be an integer in 1..3/],
        [(e) => (e.trustees[1].index = 3), /trustees\[1\].index is 3, expected 2/],
        [(e) => (e.shares[2].nonce = "1"), /shares\[2\].nonce is "1", must equal the index "3"/],
        [(e) => (e.shares[0].ciphertext = e.shares[0].ciphertext.slice(0, 3)), /shares\[0\].ciphertext must be an array of 4/],
        [(e) => (e.shares[0].ciphertext[0] = "0" + e.shares[0].ciphertext[0]), /not a canonical decimal string/],
        [(e) => (e.keyCommitment = K.slice(0, 65)), /keyCommitment is not 0x followed by 64 hex digits/],
        [(e) => (e.trustees[2].publicKey = e.trustees[0].publicKey), /trustees 1 and 3 have the same public key/],
        [(e) => (e.trustees[1].publicKey = MIXED), /trustees\[1\].publicKey is not in the prime-order subgroup/],
        [(e) => (e.trustees[1].publicKey = ["0", (R - 1n).toString()]), /trustees\[1\].publicKey is not in the prime-order subgroup/],
        [(e) => e.shares.pop(), /shares must be an array of 3 entries/]
    ]
    for (const [edit, pattern] of cases) {
        const e = escrow()
        edit(e)
        refused(OPEN, [writeTmp(e), KEYS[0]], pattern)
    }
    refused(OPEN, [writeTmp("{not json"), KEYS[0]], /not JSON/)
})

test("recover refuses k−1 shares, a foreign or duplicate share, and names the subsets when a share is wrong", () => {
    const [s1, s2, s3] = shareFiles.map((s) => s.path)
    const args = (...paths) => [...paths, "--threshold", "2", "--key-commitment", K]
    refused(RECOVER, args(s1), /1 share\(s\) given, the threshold is 2/)
    refused(RECOVER, args(s1, s1), /both hold share 1/)
    // A share of another escrow (other digest) or of another key.
    const other = { ...shareFiles[1].out, escrowDigest: "0x" + "00".repeat(31) + "01" }
    refused(RECOVER, args(s1, writeTmp(other)), /a share of another escrow/)
    refused(RECOVER, [s1, s2, "--threshold", "2", "--key-commitment", "0x" + "00".repeat(31) + "07"], /a share of another key/)
    // A wrong but well-formed share: detected by K, and the subsets tried are named.
    const bad = { ...shareFiles[0].out, share: [(BigInt(SHARES[0][0]) + 1n).toString(), SHARES[0][1]] }
    const badPath = writeTmp(bad)
    refused(RECOVER, args(badPath, s3), /no 2 of the 2 shares rebuild a key with commitment 0x2c6a.*: tried \{1,3\}/)
    // With a third, good share the subset without the bad one gives the key.
    assert.deepEqual(ok(RECOVER, args(badPath, s2, s3)).key, KEY)
    // Two bad shares of three: every subset holds one.
    const bad3 = writeTmp({ ...shareFiles[2].out, share: [SHARES[2][0], "5"] })
    refused(RECOVER, args(badPath, s2, bad3), /tried \{1,2\} \{1,3\} \{2,3\}/)
    // k − 1 shares fit every key: for any other key' there is a degree-1 polynomial through
    // (0, key') and share 1, so share 1 with the share 2' it gives recovers key' under K'.
    const D_KEY = 635638229069003165700008645737018929n
    const key2 = [424242n, R - 5n]
    const K2 = "0x" + poseidon3([D_KEY, ...key2]).toString(16).padStart(64, "0")
    const y2 = key2.map((a, j) => (((2n * BigInt(SHARES[0][j]) - a) % R) + R) % R)
    const share1 = writeTmp({ ...shareFiles[0].out, keyCommitment: K2 })
    const share2 = writeTmp({ ...shareFiles[1].out, keyCommitment: K2, share: y2.map(String) })
    assert.deepEqual(ok(RECOVER, [share1, share2, "--threshold", "2", "--key-commitment", K2]).key, key2.map(String))
})
