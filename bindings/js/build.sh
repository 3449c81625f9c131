#!/usr/bin/env bash
# Builds the JS package in place: the component (and the devserver its tests
# use), the npm tools when missing or stale, the component transpiled with
# jco, the wrapper and the examples type-checked and compiled. Each step does
# only what changed. run_tests.sh and tests/dist.sh (npm pack) start here.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
jobs="${CARGO_BUILD_JOBS:-2}"
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

# src/workerd.ts imports each core module by name: the set must be jco's.
modules="$(cd component && ls *.wasm | tr '\n' ' ')"
if [ "$modules" != "core.core.wasm core.core2.wasm core.core3.wasm " ]; then
    echo "jco wrote the core modules $modules; src/workerd.ts imports core.core.wasm core.core2.wasm core.core3.wasm" >&2
    exit 1
fi

# ---------------------------------------------------------------- type-check
step "tsc: the wrapper (dist/) and the examples (build/examples/)"
rm -rf dist build
npx --no-install tsc -p tsconfig.json
npx --no-install tsc -p tsconfig.examples.json

