#!/usr/bin/env bash
# Builds the fastio-core component, checks that it imports nothing outside
# imports-allowlist.txt, then runs the wasmtime host's tests (conformance
# vectors through the component and natively, end to end against the local
# devserver). Safe to run repeatedly: tools are installed only when missing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
jobs="${CARGO_BUILD_JOBS:-2}"
start=$(date +%s)

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi
if ! command -v wasm-tools >/dev/null 2>&1; then
    cargo install wasm-tools --locked -j "$jobs"
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

echo "== checking the component's imports"
wit="$(wasm-tools component wit "$wasm")"
# Versions are compared as major.minor: a WASI patch release is not a new import.
imports="$(printf '%s\n' "$wit" | sed -n 's/^ *import \([^;]*\);.*/\1/p' \
    | sed 's/@\([0-9]*\.[0-9]*\)\.[0-9]*.*$/@\1/' | sort -u)"
allowed="$(grep -v '^#' "$here/imports-allowlist.txt" | sed '/^$/d' | sort -u)"
unexpected="$(comm -23 <(printf '%s\n' "$imports") <(printf '%s\n' "$allowed"))"
printf '%s\n' "$imports" | sed 's/^/  import /'
if [ -n "$unexpected" ]; then
    echo "FAIL: imports outside hosts/wasmtime/imports-allowlist.txt:" >&2
    printf '  %s\n' $unexpected >&2
    exit 1
fi
for iface in types requests uploads hashing webhooks policy; do
    if ! printf '%s\n' "$wit" | grep -q "export fastio:core/$iface@0.1.0"; then
        echo "FAIL: the component does not export fastio:core/$iface" >&2
        exit 1
    fi
done

echo "== host tests"
cargo test -j "$jobs" -p fastio-wasmtime -- --test-threads=2

echo "run_tests.sh: passed in $(( $(date +%s) - start )) s"
