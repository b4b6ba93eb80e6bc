#!/usr/bin/env bash
# Runs every test of the project: the Node oracle's self-tests and the whole Rust workspace
# (unit, property, constraint-count, cross-implementation and CLI tests).
#
# Installs the Node harness first (`npm ci` in tests/js) when it is missing or older than
# its lockfile. Extra arguments go to `cargo test`, e.g. `./scripts/test.sh -p zkbackup-cli`.
#
# Debug, not --release: the workspace's test profile already compiles everything with
# opt-level 3, and skipping release's LTO keeps builds shorter.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm writes node_modules/.package-lock.json on every install: older than the lockfile
# means the lockfile changed since.
if [ ! -f tests/js/node_modules/.package-lock.json ] ||
    [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
    npm ci --prefix tests/js
fi

if [ ! -f contracts/node_modules/.package-lock.json ] ||
    [ contracts/package-lock.json -nt contracts/node_modules/.package-lock.json ]; then
    npm ci --prefix contracts
fi

# The Node tests need nothing from the Rust build, so they run beside it: alone they took
# ~100 s of wall time for ~115 s of CPU on two cores (process start-ups, mostly one core),
# beside cargo they only use what it leaves idle. Their output is printed after cargo's;
# either failing fails the script.
npm_log=$(mktemp)
trap 'rm -f "$npm_log"' EXIT
npm test --prefix tests/js >"$npm_log" 2>&1 &
npm_pid=$!
cargo_status=0
cargo test --workspace "$@" || cargo_status=$?
npm_status=0
wait "$npm_pid" || npm_status=$?
cat "$npm_log"
if [ "$npm_status" -ne 0 ]; then
    echo "npm test --prefix tests/js failed (exit $npm_status)" >&2
fi
if [ "$cargo_status" -ne 0 ]; then
    echo "cargo test --workspace failed (exit $cargo_status)" >&2
fi
[ "$npm_status" -eq 0 ] && [ "$cargo_status" -eq 0 ]
