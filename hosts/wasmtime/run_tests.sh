#!/usr/bin/env bash
# Builds the fastio-core component, then runs the wasmtime host's tests: the
# component imports nothing outside imports-allowlist.txt and exports every
# interface (tests/imports.rs, through wasmtime's own view of the component),
# conformance vectors through the component and natively, end to end against
# the local devserver. Safe to run repeatedly: tools are installed only when
# missing.
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

echo "== building the component"
cargo build -j "$jobs" -p fastio-component --target wasm32-wasip2 --profile component
# The target directory may be shared with other checkouts, whose builds land
# on the same path; the tests run a copy of this checkout's component.
built="$CARGO_TARGET_DIR/wasm32-wasip2/component/fastio_component.wasm"
wasm="$CARGO_TARGET_DIR/by-checkout/$(printf '%s' "$root" | sha256sum | cut -c1-16)/fastio_component.wasm"
mkdir -p "$(dirname "$wasm")"
cp "$built" "$wasm"
export FASTIO_COMPONENT="$wasm"
ls -l "$wasm"

echo "== host tests"
cargo test -j "$jobs" -p fastio-wasmtime -- --test-threads=2

echo "run_tests.sh: passed in $(( $(date +%s) - start )) s"
