#!/usr/bin/env bash
# The main job through the component: installs the wasm32-wasip2 target when
# missing, builds the component and the `fastio` CLI, and runs `fastio demo`.
#
# With no FASTIO_API_KEY it starts the local Fast.io-compatible server
# in-process: creates a workspace, subscribes a webhook receiver, uploads a
# generated multi-chunk file through the component, verifies the signed
# delivery, downloads the file back verified. With FASTIO_API_KEY (and
# optionally FASTIO_WORKSPACE, --api-base URL) it runs against that service:
# it says what it will create there and removes it afterwards (--keep leaves
# it).
# Extra arguments go to `fastio demo` (e.g. --size 64000000, --engine native).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
. tests/apt.sh
# A C compiler for rusqlite's bundled SQLite and ring.
need_command cc gcc libc6-dev
grep -qx wasm32-wasip2 <<<"$(rustup target list --installed)" || rustup target add wasm32-wasip2
echo "building the component and the fastio CLI (a few minutes the first time)"
cargo build --locked -p fastio-component --target wasm32-wasip2 --profile component
# The dev profile: wasmtime and cranelift are optimised there too (Cargo.toml), the
# component's code is compiled by wasmtime either way, and the build is the one the
# host's tests already made, so a first run compiles minutes less. For benchmarks
# use hosts/wasmtime/bench.sh (release).
cargo build --locked -p fastio-wasmtime --bin fastio
exec "$CARGO_TARGET_DIR/debug/fastio" demo "$@"
