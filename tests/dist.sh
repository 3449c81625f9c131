#!/usr/bin/env bash
# Builds what a user installs into dist/ and, with --install, installs each
# artifact where a user would — never from the source tree — and runs its
# first example against a devserver started here (upload, verified
# download, webhook verification).
#
#   tests/dist.sh              build dist/
#   tests/dist.sh --install    build dist/, then install and run each artifact
#
# dist/ holds:
#   fastio                     the CLI with the component embedded (runs from anywhere)
#   fastio_component.wasm      the component, and wit/ its WIT package
#   fastio_core-*.whl          the Python wheel (maturin, manylinux2014 through zig)
#   fastio_core-*.tar.gz       the Python sdist
#   fastio-core-*.jar, .pom    the Kotlin/JVM library (Maven), and -all.jar with
#                              JNA and kotlin-stdlib inside
#   fastio-core-*.tgz          the npm package (npm pack)
#   fastio-core-*.crate        the Rust crate (cargo package, built alone from
#                              the package; its docs build without warnings)
#
# FASTIO_DIST_PROFILE (default release) is the Cargo profile of the CLI;
# tests/run.sh uses dev, whose wasmtime and cranelift are optimised too
# (Cargo.toml), to reuse the test build instead of compiling wasmtime again.
set -euo pipefail

install=no
for arg in "$@"; do
  case "$arg" in
    --install) install=yes ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
jobs="${CARGO_BUILD_JOBS:-2}"
cache="$HOME/.cache/fastio-core"
profile="${FASTIO_DIST_PROFILE:-release}"
zig_version=0.13.0.post1
dist="$root/dist"
step() { printf '\n== %s\n' "$*"; }

. tests/apt.sh
need_command cc gcc libc6-dev
need_command strip binutils
grep -qx wasm32-wasip2 <<<"$(rustup target list --installed)" || rustup target add wasm32-wasip2

rm -rf "$dist"
mkdir -p "$dist"

step "the component and its WIT package"
cargo build -j "$jobs" --locked -p fastio-component --target wasm32-wasip2 --profile component
wasm="$CARGO_TARGET_DIR/wasm32-wasip2/component/fastio_component.wasm"
cp "$wasm" "$dist/fastio_component.wasm"
cp -r wit "$dist/wit"

step "the fastio CLI, the component embedded ($profile profile)"
FASTIO_EMBED_COMPONENT="$wasm" cargo build -j "$jobs" --locked --profile "$profile" -p fastio-wasmtime --bin fastio
case "$profile" in dev) out=debug ;; *) out="$profile" ;; esac
cp "$CARGO_TARGET_DIR/$out/fastio" "$dist/fastio"
strip "$dist/fastio"

step "the Python wheel (maturin)"
venv="$cache/venv-dist"
python3 -c 'import venv, ensurepip' 2>/dev/null || need_package python3-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import maturin, ziglang' 2>/dev/null ||
  "$venv/bin/python" -m pip install -q 'maturin>=1.7,<2' "ziglang==$zig_version"
# manylinux2014 (glibc 2.17): zig links against that glibc, so the wheel
# installs on any Linux of the last decade, not only on one as new as this.
# maturin runs `python3 -m ziglang`: the venv's python first on PATH.
(cd bindings/python && PATH="$venv/bin:$PATH" "$venv/bin/maturin" build --release --locked --zig --compatibility manylinux2014 \
  --target x86_64-unknown-linux-gnu --out "$dist" -j "$jobs" 2>&1 | tail -3)
(cd bindings/python && "$venv/bin/maturin" sdist --out "$dist" 2>&1 | tail -1)

step "the Kotlin/JVM jars (Maven: the library inside, in JNA's layout)"
need_command mvn maven
kotlin_build="$cache/kotlin-build"
mvn -B -q -Dstyle.color=never -f bindings/kotlin/pom.xml -Dfastio.build.dir="$kotlin_build" package -DskipTests
cp "$kotlin_build/fastio-core-0.1.0.jar" "$kotlin_build/fastio-core-0.1.0-all.jar" "$dist/"
cp bindings/kotlin/pom.xml "$dist/fastio-core-0.1.0.pom"

step "the npm package (npm pack)"
bash bindings/js/build.sh
(cd bindings/js && npm pack --silent --pack-destination "$dist" >/dev/null)

step "the Rust crate (cargo package; cargo doc)"
cargo package -j "$jobs" --locked --allow-dirty -p fastio-core
cp "$CARGO_TARGET_DIR"/package/fastio-core-*.crate "$dist/"
RUSTDOCFLAGS="-D warnings" cargo doc -j "$jobs" --locked --no-deps -p fastio-core

step "dist/"
ls -l "$dist"

[ "$install" = yes ] || exit 0

# ---------------------------------------------------------------- installs
work="$(mktemp -d)"
. tests/devserver.sh
cleanup() {
  stop_devserver
  rm -rf "$work"
}
trap cleanup EXIT

step "a devserver for the examples"
cargo build -j "$jobs" --locked --release -p fastio-devserver
start_devserver "$CARGO_TARGET_DIR/release/fastio-devserver" "$work"
api_key="$FASTIO_API_KEY"

expect() { # file, text
  grep -qF "$2" "$1" || { echo "expected '$2' in:" >&2; cat "$1" >&2; exit 1; }
}

step "the CLI copied alone into an empty directory, run with a fresh home"
mkdir -p "$work/cli" "$work/home"
cp "$dist/fastio" "$work/cli/"
run_cli() {
  (cd "$work/cli" && env -i PATH=/usr/bin:/bin HOME="$work/home" FASTIO_API_KEY="$api_key" \
    ./fastio --api-base "$base" "$@")
}
head -c 9000000 /dev/urandom >"$work/cli/file.bin"
run_cli upload file.bin --workspace "$workspace" --name cli.bin | tee "$work/cli.out"
expect "$work/cli.out" "stored node"
# The compile cache is created on first run, owned by the user, private.
cachedir="$work/home/.cache/fastio"
[ "$(stat -c %a "$cachedir")" = 700 ] || { echo "cache directory mode $(stat -c %a "$cachedir")" >&2; exit 1; }
# A corrupted cache entry is compiled again, never executed.
entries=("$cachedir"/*)
[ -f "${entries[0]}" ] || { echo "no compile cache entry in $cachedir" >&2; exit 1; }
for e in "${entries[@]}"; do head -c 4096 /dev/urandom >"$e"; done
env -i PATH=/usr/bin:/bin HOME="$work/home" "$work/cli/fastio" demo --size 5000000 | tee "$work/demo.out"
expect "$work/demo.out" "crc32c matches"
expect "$work/demo.out" "verified"
[ "$(stat -c %s "${entries[0]}")" -gt 4096 ] || { echo "the corrupted entry was not rebuilt" >&2; exit 1; }

step "the wheel in a fresh venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$dist"/fastio_core-*.whl
(cd "$work" && "$work/venv/bin/python" "$root/bindings/python/examples/quickstart.py" "$workspace") | tee "$work/py.out"
expect "$work/py.out" "downloaded 9000000 bytes, verified"
expect "$work/py.out" "webhook verified"

step "the npm tarball in an empty project"
mkdir -p "$work/npm"
(cd "$work/npm" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$dist"/fastio-core-*.tgz)
cp bindings/js/examples/quickstart.mjs "$work/npm/"
(cd "$work/npm" && node quickstart.mjs "$workspace") | tee "$work/js.out"
expect "$work/js.out" "downloaded 9000000 bytes, verified"
expect "$work/js.out" "webhook verified"

step "the same tarball under Deno, and in workerd as a Worker (the \"workerd\" export)"
# Both runtimes come from the npm registry, pinned; the worker is bundled the
# way wrangler bundles it and served by Miniflare.
(cd "$work/npm" && npm install --silent --no-audit --no-fund deno@2.9.6 esbuild@0.28.2 miniflare@4.20260426.0)
(cd "$work/npm" && DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno run --allow-read --allow-write --allow-env --allow-net \
  quickstart.mjs "$workspace") | tee "$work/deno.out"
expect "$work/deno.out" "downloaded 9000000 bytes, verified"
expect "$work/deno.out" "webhook verified"
cp bindings/js/examples/fetch-handler/worker.ts bindings/js/examples/fetch-handler/run-in-workerd.mjs "$work/npm/"
(cd "$work/npm" && node run-in-workerd.mjs "$workspace") | tee "$work/workerd.out"
expect "$work/workerd.out" "workerd upload downloaded back, identical"
expect "$work/workerd.out" "workerd webhook verified, tampered one refused"

step "the jar from a Maven repository into a new project, run on a bare classpath"
# dist/'s jar and pom published to a file repository, as a registry holds
# them; the example (a copy, as a user's own project) resolves it from there.
repo="$work/maven-repo"
mvn -B -q -Dstyle.color=never deploy:deploy-file -Dfile="$dist/fastio-core-0.1.0.jar" -DpomFile="$dist/fastio-core-0.1.0.pom" \
  -Durl="file://$repo" -DrepositoryId=dist
# A release version resolved once stays in ~/.m2: drop the last run's copy.
rm -rf "$HOME/.m2/repository/dev/fastiocore/fastio-core"
cp -r bindings/kotlin/examples/quickstart "$work/kotlin"
mvn -B -q -Dstyle.color=never -f "$work/kotlin/pom.xml" -Dfastio.repository="file://$repo" package
mkdir -p "$work/kotlin-run"
cp "$dist/fastio-core-0.1.0-all.jar" "$work/kotlin/target/quickstart-0.1.0.jar" "$work/kotlin-run/"
(cd "$work/kotlin-run" && env -i PATH=/usr/bin:/bin HOME="$work/home" FASTIO_API_KEY="$api_key" FASTIO_API_BASE="$base" \
  java -cp fastio-core-0.1.0-all.jar:quickstart-0.1.0.jar QuickstartKt "$workspace") | tee "$work/kt.out"
expect "$work/kt.out" "downloaded 9000000 bytes, verified"
expect "$work/kt.out" "webhook verified"

step "every artifact installed and ran its example"
