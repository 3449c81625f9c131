#!/usr/bin/env bash
# Builds the wheel into a cached venv and runs the Python suite (vectors,
# end-to-end against a local devserver, webhook receiver). Idempotent: the
# venv, pip packages and the devserver binary are reused when present.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FASTIO_CACHE:-$HOME/.cache/fastio-core}"
VENV="$CACHE/venv-python"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get install -y python3-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip --version >/dev/null
# httpx for fastio_core.aio; FastAPI for its example.
if ! "$VENV/bin/python" -c 'import maturin, pytest, httpx, fastapi' 2>/dev/null; then
  "$VENV/bin/python" -m pip install -q 'maturin>=1.7,<2' 'pytest>=7' 'httpx==0.28.1' 'fastapi==0.163.2'
fi

# The devserver binary for the end-to-end tests.
cargo build --release -p fastio-devserver --manifest-path "$ROOT/Cargo.toml"
export FASTIO_DEVSERVER="$CARGO_TARGET_DIR/release/fastio-devserver"

# The wheel: `pip install` of the project directory, as a user would.
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$HERE"

# Run from tests/ with the pytest script (not `python -m`, which would put
# the source tree first on sys.path and shadow the installed wheel).
cd "$HERE/tests"
exec "$VENV/bin/pytest" -q -p no:cacheprovider . "$@"
