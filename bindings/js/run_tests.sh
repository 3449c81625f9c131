#!/usr/bin/env bash
# The JS package's tests: builds the component and the devserver when needed,
# installs the npm dependencies when missing or stale, transpiles the
# component with jco, type-checks and compiles the wrapper and the examples,
# then runs every test file with node's built-in runner (conformance vectors,
# bad input, examples, end to end against the devserver). Safe to run again:
# each step does only what changed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
start=$(date +%s)
step() { printf '\n== %s\n' "$*"; }

bash "$here/build.sh"
export FASTIO_DEVSERVER="$CARGO_TARGET_DIR/release/fastio-devserver"
cd "$here"

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
