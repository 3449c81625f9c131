#!/usr/bin/env bash
# Builds the gateway component and runs it end to end under
# `wasmtime serve -Scli` against the devserver: uploads of every size,
# grants, 413/415, client disconnect, the chunk relay (corrupted chunk, two
# instances), webhooks and CORS, file names; then, against a devserver of
# their own, chunks failing upstream (injected faults) and webhook
# forwarding. The unit tests include the spin.toml check. Safe to run
# repeatedly: tools are installed only when missing.
#
#   hosts/spin/run_tests.sh          tests
#   hosts/spin/run_tests.sh --bench  tests, then the 1 GiB benchmark
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
jobs="${CARGO_BUILD_JOBS:-2}"
start=$(date +%s)

if ! grep -qx wasm32-wasip2 <<<"$(rustup target list --installed)"; then
    rustup target add wasm32-wasip2
fi
# `wasmtime serve`, 48.0.8 (later releases need a newer rustc than the
# workspace's), built once into the project's cache with only what `serve`
# needs: the whole CLI takes about twice as long to build on a fresh machine.
# $WASMTIME names another wasmtime to test with.
wasmtime_root="${FASTIO_CACHE:-$HOME/.cache/fastio-core}/tools/wasmtime-48.0.8"
wasmtime_bin="${WASMTIME:-$wasmtime_root/bin/wasmtime}"
if [ ! -x "$wasmtime_bin" ]; then
    cargo install wasmtime-cli --version 48.0.8 --locked -j "$jobs" --root "$wasmtime_root" \
        --no-default-features --features serve,run,cranelift,parallel-compilation,pooling-allocator,component-model-async
fi
"$wasmtime_bin" --version

echo "== building the gateway component"
cargo build -j "$jobs" -p fastio-gateway --target wasm32-wasip2 --release --locked
wasm="$CARGO_TARGET_DIR/wasm32-wasip2/release/fastio_gateway.wasm"
ls -l "$wasm"

echo "== gateway unit tests"
cargo test -j "$jobs" -p fastio-gateway --locked

echo "== end to end under wasmtime serve"
# The shared fixtures (devservers and their files) live in statics that are
# never dropped, so the tests cannot clean up after themselves: they get a
# temporary directory of their own, removed when this script ends.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/fastio-gateway-run.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
log="$CARGO_TARGET_DIR/gateway-e2e.log"
: > "$log"
set +e
GATEWAY_WASM="$wasm" WASMTIME="$wasmtime_bin" GATEWAY_LOG="$log" \
    cargo test -j "$jobs" -p fastio-gateway-e2e --features e2e --release --locked --test gateway --test resilience --test hostile -- --test-threads=2
status=$?
set -e
if [ $status -ne 0 ]; then
    echo "gateway stderr (last 40 lines of $log):" >&2
    tail -n 40 "$log" >&2 || true
    exit $status
fi

if [ "${1:-}" = "--bench" ]; then
    echo "== benchmark: 1 GiB through the gateway"
    GATEWAY_WASM="$wasm" WASMTIME="$wasmtime_bin" \
        cargo test -j "$jobs" -p fastio-gateway-e2e --features e2e --release --locked --test bench -- --ignored --nocapture
fi

echo "run_tests.sh: passed in $(( $(date +%s) - start )) s"
