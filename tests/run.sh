#!/usr/bin/env bash
# The project's one test command: installs what is missing, then runs every suite.
#
#   tests/run.sh           full run (what CI runs)
#   tests/run.sh --quick   format, lints, no-I/O checks and the Rust tests only
#   tests/run.sh --long    full run plus bounded fuzzing
#
# Heavy build output lives outside the checkout so repeated runs are incremental.
set -euo pipefail

mode=full
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --long) mode=long ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
export CARGO_TERM_COLOR=never
# A CI checkout is built once: incremental state would only fill the disk
# (tens of GB across the suites) and never be reused.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi
mkdir -p "$CARGO_TARGET_DIR"

t0=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

# ---------------------------------------------------------------- installs
step "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
if ! command -v rustup >/dev/null 2>&1; then
  echo "rustup is required (https://rustup.rs); this machine has none" >&2
  exit 1
fi
installed_components=$(rustup component list --installed 2>/dev/null || true)
for c in rustfmt clippy; do
  grep -q "^$c" <<<"$installed_components" || rustup component add "$c"
done
installed_targets=$(rustup target list --installed)
for t in wasm32-unknown-unknown; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done
. tests/apt.sh
need_command cc gcc libc6-dev
need_command python3 python3

# ---------------------------------------------------------------- style
step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# ---------------------------------------------------------------- no I/O in the core
step "the core does no I/O"
tests/check_no_io.sh

# ---------------------------------------------------------------- vectors made independently
step "vectors regenerate identically from their independent generators"
for gen in tests/vectors/*/generate.py docs/generate_contract.py; do
  python3 "$gen" --check
done

# ---------------------------------------------------------------- release workflow
step "the release workflow passes actionlint"
bash tests/lint_workflows.sh

# ---------------------------------------------------------------- Rust tests
step "cargo test (every crate: unit, property, vector, simulation and end-to-end tests)"
# The component is a wasm32-wasip2 guest and the wasmtime host needs it built
# first: both are tested by hosts/wasmtime/run_tests.sh below. The gateway is
# a wasi:http guest (a cdylib that links only for wasm32-wasip2) whose tests
# start it under `wasmtime serve`: hosts/spin/run_tests.sh runs them.
cargo test --workspace --locked --exclude fastio-component --exclude fastio-wasmtime \
  --exclude fastio-gateway --exclude fastio-gateway-e2e

# ---------------------------------------------------------------- other surfaces
# Each surface's script installs its own toolchain when missing and fails,
# never skips, when it cannot.
if [ "$mode" != quick ]; then
  for suite in hosts/wasmtime/run_tests.sh hosts/spin/run_tests.sh bindings/python/run_tests.sh \
               bindings/kotlin/run_tests.sh bindings/swift/run_tests.sh \
               bindings/js/run_tests.sh; do
    if [ -f "$suite" ]; then
      step "$suite"
      # Every suite builds into the one target directory above, so a crate
      # built for one surface (the devserver, the component) is built once.
      bash "$suite"
    fi
  done
fi

# ---------------------------------------------------------------- the README's main job
step "the README's main job: hosts/wasmtime/demo.sh"
env -u FASTIO_API_KEY bash hosts/wasmtime/demo.sh
step "the same flow natively: cargo run -p fastio-native --example demo"
env -u FASTIO_API_KEY cargo run --locked -q -p fastio-native --example demo

# ---------------------------------------------------------------- install like a user
if [ "$mode" != quick ]; then
  # Every artifact in dist/, installed in a clean place (a fresh venv, an
  # empty npm project, the CLI alone in an empty directory) and run against
  # a devserver. The dev profile reuses the CLI the tests built.
  step "install like a user: tests/dist.sh --install"
  env -u FASTIO_API_KEY -u FASTIO_API_BASE FASTIO_DIST_PROFILE=dev bash tests/dist.sh --install
fi

# ---------------------------------------------------------------- long mode: fuzzing
if [ "$mode" = long ]; then
  # Every target from its committed seeds, an hour shared among them: about
  # 10 M executions or more in total on this machine (RELIABILITY.md). The
  # fuzz builds have their own target directory (nightly, instrumented).
  step "bounded fuzzing (nightly, cargo-fuzz): fuzz/run.sh ${FUZZ_SECONDS:-3600}"
  CARGO_TARGET_DIR="$HOME/.cache/fastio-core/fuzz-target" bash fuzz/run.sh "${FUZZ_SECONDS:-3600}"
fi

step "all suites passed ($mode)"
