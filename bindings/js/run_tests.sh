#!/usr/bin/env bash
# The JS package's tests: builds the component and the devserver when needed,
# installs the npm dependencies when missing or stale, transpiles the
# component with jco, type-checks and compiles the wrapper and the examples,
# then runs every test file with node's built-in runner (conformance vectors,
# bad input, examples, end to end against the devserver). Safe to run again:
# each step does only what changed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
jobs="${CARGO_BUILD_JOBS:-2}"
start=$(date +%s)
step() { printf '\n== %s\n' "$*"; }

# ---------------------------------------------------------------- toolchains
if ! command -v node >/dev/null 2>&1; then
    echo "node (20 or later) is required" >&2
    exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "node 20 or later is required, found $(node --version)" >&2
    exit 1
fi
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
    . "$HOME/.cargo/env"
fi
if ! grep -qx wasm32-wasip2 <<<"$(rustup target list --installed)"; then
    rustup target add wasm32-wasip2
fi

# ---------------------------------------------------------------- Rust builds
cd "$root"
step "building the component and the devserver ($CARGO_TARGET_DIR)"
cargo build -j "$jobs" --locked -p fastio-component --target wasm32-wasip2 --profile component
cargo build -j "$jobs" --locked --release -p fastio-devserver
wasm="$CARGO_TARGET_DIR/wasm32-wasip2/component/fastio_component.wasm"
export FASTIO_DEVSERVER="$CARGO_TARGET_DIR/release/fastio-devserver"

# ---------------------------------------------------------------- npm
cd "$here"
# npm writes node_modules/.package-lock.json on every install: older than the
# committed lock means the lock changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "npm ci"
    npm ci --no-audit --no-fund
fi

# ---------------------------------------------------------------- transpile
if [ ! -f component/core.js ] || [ "$wasm" -nt component/core.js ]; then
    step "jco transpile"
    rm -rf component
    npx --no-install jco transpile "$wasm" --instantiation async --name core -o component --quiet
fi

# ---------------------------------------------------------------- type-check
step "tsc: the wrapper (dist/) and the examples (build/examples/)"
rm -rf dist build
npx --no-install tsc -p tsconfig.json
npx --no-install tsc -p tsconfig.examples.json

# ---------------------------------------------------------------- tests
step "node --test"
tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
set +e
node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    test/*.test.mjs
status=$?
set -e
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$tap" | tail -1; }
passed="$(count pass)"; failed="$(count fail)"; skipped="$(count skipped)"; todo="$(count todo)"
echo
echo "bindings/js: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped, ${todo:-0} todo in $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ] || [ "${failed:-1}" != 0 ]; then
    echo "bindings/js: FAILED" >&2
    exit 1
fi
