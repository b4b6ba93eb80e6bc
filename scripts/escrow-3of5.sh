#!/usr/bin/env bash
# Issue 13's "done when", end to end on a release build, on the embedded EVM:
#   1. `zkbackup demo --escrow 3-of-5` backs up a generated state under a fresh key, escrows
#      the key 3-of-5 (deal + Groth16 proof), verifies the escrow off chain and registers it
#      on chain (EscrowRegistry + the generated 12-input verifier), and drills from 3 shares;
#   2. three trustees then open their shares from the kept files on their own: trustee 2
#      with the npm libraries only (tests/js/escrow-open.mjs, written from docs/ESCROW.md),
#      trustees 4 and 5 with `zkbackup escrow open` (proof checked first);
#   3. `zkbackup escrow recover` rebuilds the key from those three shares (compared with the
#      original key file), and `zkbackup drill` restores the latest backup to the chain's root;
#   4. with RECORDS (default 100000): a backup of RECORDS records of arity 4 under the same
#      key, and the drill's recovery time on it (no proving: the drill needs none).
#
# Usage: scripts/escrow-3of5.sh [WORKDIR]   (needs node and tests/js/node_modules)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-$(mktemp -d)}
records=${RECORDS:-100000}
bin="$root/target/release/zkbackup"
cargo build --release -p zkbackup-cli >&2
[ -d tests/js/node_modules ] || npm ci --prefix tests/js >&2
rm -rf "$work/demo" && mkdir -p "$work"
d="$work/demo"

echo "== demo --escrow 3-of-5"
"$bin" demo --escrow 3-of-5 --records 256 --chunk-size 64 --dir "$d"

echo "== trustees open their shares"
node tests/js/escrow-open.mjs "$d/escrow.json" "$d/trustee-2.key.json" > "$d/share-2.json"
chmod 600 "$d/share-2.json"
for i in 4 5; do
    "$bin" escrow open --escrow "$d/escrow.json" --trustee-key "$d/trustee-$i.key.json" \
        --keys-dir "$d/keys" --out "$d/share-$i.json"
done
shares=(--share "$d/share-2.json" --share "$d/share-4.json" --share "$d/share-5.json")

echo "== recover the key from shares 2 (npm), 4, 5"
"$bin" escrow recover --escrow "$d/escrow.json" "${shares[@]}" --out "$d/recovered.key.json"
node -e '
const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f)))
if (JSON.stringify(a.key) !== JSON.stringify(b.key) || a.commitment !== b.commitment) {
  console.error("the recovered key differs from the original"); process.exit(1)
}
console.log("recovered key = original key, K " + a.commitment)' "$d/key.json" "$d/recovered.key.json"

echo "== drill: latest backup back to the chain's root"
expect=$("$bin" root --records "$d/records.csv")
size=$(($(wc -l < "$d/records.csv")))
"$bin" drill --backup "$d/backup-2.zkb" --escrow "$d/escrow.json" "${shares[@]}" \
    --expect-root "$expect" --size "$size"

if [ "$records" -gt 0 ]; then
    echo "== drill RTO at $records records of arity 4"
    big="$work/big.csv"
    bigroot=$(node tests/js/gen-records.mjs --arity 4 --count "$records" --format csv --out "$big" --lib circomlibjs)
    rm -f "$work/big.zkb"
    "$bin" backup --records "$big" --key "$d/key.json" --out "$work/big.zkb" --chunk-size 256 >&2
    for run in 1 2 3; do
        "$bin" drill --backup "$work/big.zkb" --escrow "$d/escrow.json" "${shares[@]}" \
            --expect-root "$bigroot" --size "$records" --json
    done
fi
