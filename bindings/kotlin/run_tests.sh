#!/usr/bin/env bash
# The Kotlin suite through Maven (pom.xml): native.sh builds the FFI library
# and the devserver and generates the bindings, kotlin-maven-plugin compiles,
# Surefire runs every vector and the end-to-end cases against a devserver the
# suite starts, and the jars are packed. `--bench` runs the benchmark instead.
# Idempotent: Maven's repository (~/.m2) and the Rust builds are reused; the
# build directory lives outside the checkout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FASTIO_CACHE:-$HOME/.cache/fastio-core}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
BUILD="$CACHE/kotlin-build"
start=$(date +%s)

. "$ROOT/tests/apt.sh"
need_command java default-jdk-headless
need_command mvn maven
need_command cc gcc libc6-dev

mvn_run() {
    # -B: no colour or download progress in logs; the build directory is
    # passed so the checkout stays clean.
    mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" -Dfastio.build.dir="$BUILD" "$@"
}

if [ "${1:-}" = "--bench" ]; then
    echo "== benchmark"
    mvn_run package -DskipTests
    java -cp "$BUILD/fastio-core-0.1.0-all.jar:$BUILD/test-classes" dev.fastiocore.bench.BenchKt
    exit 0
fi

echo "== mvn package (native library, bindings, compile, Surefire, jars)"
mvn_run package -Dfastio.vectors="$ROOT/tests/vectors"
report="$BUILD/surefire-reports/TEST-dev.fastiocore.tests.SuiteTest.xml"
# Surefire passes a run with no tests; the suite must have run its cases.
python3 - "$report" <<'EOF'
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
tests, failures, errors, skipped = (int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped"))
print(f"{tests} tests, {failures} failures, {errors} errors, {skipped} skipped")
sys.exit(0 if tests > 0 and failures == errors == skipped == 0 else 1)
EOF
ls "$BUILD"/fastio-core-0.1.0.jar "$BUILD"/fastio-core-0.1.0-all.jar >/dev/null
echo "kotlin run_tests.sh: $(( $(date +%s) - start )) s"
