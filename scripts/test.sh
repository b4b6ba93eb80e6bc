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

npm test --prefix tests/js
cargo test --workspace "$@"
