#!/usr/bin/env bash
# Builds the wasm verifier module in a size-optimized release and prints its size in bytes.
# The size settings are given here rather than in the workspace's release profile, which the
# native binaries use (`lto = "thin"`, `debug = 1`, opt-level 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -p zkbackup-verifier-wasm --lib --release --target wasm32-unknown-unknown \
    --config 'profile.release.opt-level="s"' \
    --config 'profile.release.lto=true' \
    --config 'profile.release.codegen-units=1' \
    --config 'profile.release.panic="abort"' \
    --config 'profile.release.debug=0' \
    --config 'profile.release.strip=true'
wasm=target/wasm32-unknown-unknown/release/zkbackup_verifier_wasm.wasm
echo "$wasm: $(wc -c <"$wasm") bytes"
