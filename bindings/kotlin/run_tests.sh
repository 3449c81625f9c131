#!/usr/bin/env bash
# Builds the FFI library, generates the Kotlin bindings, compiles them with the
# driver and the test harness, and runs the harness (every vector, then end to
# end against a devserver it starts); `--bench` runs the benchmark instead.
# Idempotent: the compiler (npm `kotlin-compiler`), JNA (Debian) and the Rust
# builds are reused when present.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FASTIO_CACHE:-$HOME/.cache/fastio-core}"
TOOLS="$CACHE/tools"
OUT="$CACHE/kotlin-build"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
KOTLIN_VERSION=2.4.20
start=$(date +%s)

apt_install() {
    # apt-get update only when a package is not known yet (fresh images).
    if ! apt-get install -y --no-install-recommends "$@"; then
        apt-get update && apt-get install -y --no-install-recommends "$@"
    fi
}
command -v java >/dev/null || apt_install default-jdk-headless
[ -f /usr/share/java/jna.jar ] || apt_install libjna-java
command -v npm >/dev/null || apt_install npm
KOTLINC="$TOOLS/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$KOTLINC" ] || ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$TOOLS/node_modules/kotlin-compiler/package.json"; then
    mkdir -p "$TOOLS"
    (cd "$TOOLS" && npm install --no-audit --no-fund "kotlin-compiler@$KOTLIN_VERSION")
fi

echo "== building the FFI library and the devserver"
cargo build --release -p fastio-ffi -p fastio-devserver --manifest-path "$ROOT/Cargo.toml"
LIB="$CARGO_TARGET_DIR/release/libfastio_ffi.so"

echo "== generating and compiling the Kotlin sources"
rm -rf "$OUT" && mkdir -p "$OUT/gen" "$OUT/classes"
cargo run --release -q -p fastio-ffi --bin uniffi-bindgen --manifest-path "$ROOT/Cargo.toml" -- \
    generate --library "$LIB" --language kotlin --no-format --out-dir "$OUT/gen"
JNA=/usr/share/java/jna.jar
"$KOTLINC" -nowarn -cp "$JNA" -d "$OUT/classes" \
    $(find "$OUT/gen" "$HERE/src" -name '*.kt')

run_java() {
    java -Djna.library.path="$(dirname "$LIB")" \
        -Dfastio.vectors="$ROOT/tests/vectors" \
        -cp "$OUT/classes:$JNA:$TOOLS/node_modules/kotlin-compiler/lib/kotlin-stdlib.jar" "$@"
}
if [ "${1:-}" = "--bench" ]; then
    echo "== benchmark"
    run_java dev.fastiocore.bench.BenchKt
    exit 0
fi
echo "== running the suite"
run_java dev.fastiocore.tests.TestsKt "$CARGO_TARGET_DIR/release/fastio-devserver"
echo "kotlin run_tests.sh: $(( $(date +%s) - start )) s"
