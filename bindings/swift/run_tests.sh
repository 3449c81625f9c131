#!/usr/bin/env bash
# The Swift suite: builds the Rust library and the devserver, generates the
# Swift bindings from that very library, stages the package in the Debian 13
# chroot that holds the Swift toolchain (Debian 12 has none) and runs XCTest
# there: every conformance vector, then end-to-end against a devserver the
# tests start. Then the FFI call-overhead benchmark (FASTIO_SWIFT_BENCH=0 skips it).
#
# Idempotent: the chroot, cargo's target dir and SwiftPM's build dir are
# reused; only what is missing is installed. Needs root (chroot, mount).
set -euo pipefail
t_start=$(date +%s)
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FASTIO_CACHE:-$HOME/.cache/fastio-core}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR=never
export FASTIO_SWIFT_CHROOT="${FASTIO_SWIFT_CHROOT:-$CACHE/swift-chroot}"
CHROOT="$FASTIO_SWIFT_CHROOT"
# The package's home inside the chroot; its .build stays there between runs.
PKG_IN=/srv/fastio-swift
PKG="$CHROOT$PKG_IN"
GEN="$CACHE/swift-generated"

step() { printf '\n==> [%s] %s\n' "$(elapsed)" "$*"; }
elapsed() { echo $(( $(date +%s) - t_start ))s; }

if [ "$(id -u)" != 0 ]; then
  echo "bindings/swift/run_tests.sh must run as root: the toolchain lives in a chroot" >&2
  exit 1
fi
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
  . "$HOME/.cargo/env"
fi

step "Swift toolchain (Debian 13 chroot at $CHROOT)"
bash "$HERE/setup-chroot.sh"

step "cargo build --release -p fastio-ffi -p fastio-devserver"
# One build for the library, the crate's own uniffi-bindgen and the devserver:
# a separate `cargo run` of the bindgen would resolve features differently
# and rebuild the library every time.
cargo build --release --locked -p fastio-ffi -p fastio-devserver --bins --lib --manifest-path "$ROOT/Cargo.toml"
SO="$CARGO_TARGET_DIR/release/libfastio_ffi.so"
BINDGEN="$CARGO_TARGET_DIR/release/uniffi-bindgen"
DEVSERVER="$CARGO_TARGET_DIR/release/fastio-devserver"

step "generate the Swift bindings from $SO"
rm -rf "$GEN"
mkdir -p "$GEN"
# Run from the workspace: library mode reads each crate's uniffi.toml through cargo metadata.
(cd "$ROOT" && "$BINDGEN" generate --library "$SO" --language swift --out-dir "$GEN" --no-format)
for f in FastioCore.swift FastioCoreFFI.h FastioCoreFFI.modulemap; do
  test -s "$GEN/$f" || { echo "uniffi-bindgen did not write $f" >&2; exit 1; }
done

step "the committed generated sources match what $SO generates"
# SwiftPM builds the package from the repository as it is, so the generated
# bindings are committed; they must be exactly what the tested library makes.
stale=0
for pair in "FastioCore.swift:Sources/FastioCore/Generated/FastioCore.swift" \
            "FastioCoreFFI.h:Sources/FastioCoreFFI/FastioCoreFFI.h" \
            "FastioCoreFFI.modulemap:Sources/FastioCoreFFI/module.modulemap"; do
  if ! cmp -s "$GEN/${pair%%:*}" "$HERE/${pair#*:}"; then
    echo "bindings/swift/${pair#*:} differs from what uniffi-bindgen generates now" >&2
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  if [ "${FASTIO_SWIFT_REGENERATE:-0}" = 1 ]; then
    cp "$GEN/FastioCore.swift" "$HERE/Sources/FastioCore/Generated/FastioCore.swift"
    cp "$GEN/FastioCoreFFI.h" "$HERE/Sources/FastioCoreFFI/FastioCoreFFI.h"
    cp "$GEN/FastioCoreFFI.modulemap" "$HERE/Sources/FastioCoreFFI/module.modulemap"
    echo "regenerated; commit them"
  else
    echo "run FASTIO_SWIFT_REGENERATE=1 bash bindings/swift/run_tests.sh and commit the result" >&2
    exit 1
  fi
fi

step "stage the repository's Swift package in the chroot ($PKG_IN)"
# The root Package.swift with the paths it names, as a user's checkout has them.
mkdir -p "$PKG/lib" "$PKG/bin" "$PKG/bindings/swift"
sync_file() { cmp -s "$1" "$2" || cp "$1" "$2"; }
sync_file "$SO" "$PKG/lib/libfastio_ffi.so"
sync_file "$DEVSERVER" "$PKG/bin/fastio-devserver"
rm -rf "$PKG/Package.swift" "$PKG/bindings/swift/Sources" "$PKG/bindings/swift/Tests" "$PKG/bindings/swift/Examples" "$PKG/vectors"
cp -a "$ROOT/Package.swift" "$PKG/"
cp -a "$HERE/Sources" "$HERE/Tests" "$HERE/Examples" "$PKG/bindings/swift/"
cp -a "$ROOT/tests/vectors" "$PKG/vectors"

PIDFILE="$PKG/devserver.pid"
rm -f "$PIDFILE"
mounted_proc=0
cleanup() {
  stop_devserver 2>/dev/null || true
  # A test run that crashed may have left its devserver running: stop that
  # one process, by the id the tests recorded.
  if [ -s "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if [ -r "/proc/$pid/comm" ] && grep -q '^fastio-devserv' "/proc/$pid/comm"; then
      kill "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
  fi
  if [ "$mounted_proc" = 1 ]; then umount "$CHROOT/proc" || umount -l "$CHROOT/proc" || true; fi
}
trap cleanup EXIT
if ! mountpoint -q "$CHROOT/proc"; then
  mount -t proc proc "$CHROOT/proc"
  mounted_proc=1
fi

in_chroot() {
  chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TMPDIR=/tmp \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
LINK=(-Xlinker "-L$PKG_IN/lib" -Xlinker -rpath -Xlinker "$PKG_IN/lib")

step "swift test --disable-swift-testing (in the chroot)"
LOG="$CACHE/swift-test.log"
t_test=$(date +%s)
set +e
in_chroot FASTIO_VECTORS="$PKG_IN/vectors" FASTIO_DEVSERVER="$PKG_IN/bin/fastio-devserver" \
  FASTIO_DEVSERVER_PIDFILE="$PKG_IN/devserver.pid" \
  swift test --disable-swift-testing --package-path "$PKG_IN" "${LINK[@]}" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
t_test=$(( $(date +%s) - t_test ))

# XCTest's own totals, then one plain line for log readers.
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$LOG" | tail -n 1 || true)
executed=$(sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")
failures=$(sed -nE 's/.*with ([0-9]+) failures?.*/\1/p' <<<"$summary")
echo
if [ "$status" -ne 0 ] || [ -z "$executed" ] || [ "${executed:-0}" -eq 0 ] || [ "${failures:-1}" -ne 0 ]; then
  grep -E "error:|failed" "$LOG" | grep -v "^Test Suite" | head -n 40 || true
  echo "swift: FAILED (exit $status; ${executed:-0} tests run, ${failures:-?} failed) in ${t_test}s; log: $LOG"
  exit 1
fi
echo "swift: $((executed - failures)) passed, $failures failed (XCTest: vectors and end-to-end) in ${t_test}s"

step "an app depending on the root package: Examples/Quickstart against a devserver"
. "$ROOT/tests/devserver.sh"
start_devserver "$DEVSERVER" "$CACHE/swift-quickstart"
QLOG="$CACHE/swift-quickstart/run.log"
in_chroot FASTIO_API_KEY="$FASTIO_API_KEY" FASTIO_API_BASE="$FASTIO_API_BASE" \
  swift run --package-path "$PKG_IN/bindings/swift/Examples/Quickstart" "${LINK[@]}" Quickstart "$workspace" 2>&1 | tee "$QLOG"
stop_devserver
rm -rf "$CACHE/swift-quickstart/server"
for want in "downloaded 9000000 bytes, verified" "webhook verified (fastio)"; do
  grep -qF "$want" "$QLOG" || { echo "the quickstart did not print '$want'" >&2; exit 1; }
done

if [ "${FASTIO_SWIFT_BENCH:-1}" != 0 ]; then
  step "FFI call overhead (swift run -c release FastioCoreBench)"
  in_chroot swift run -c release --package-path "$PKG_IN" "${LINK[@]}" FastioCoreBench
fi

echo
echo "bindings/swift: all passed in $(elapsed)"
