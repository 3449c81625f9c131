#!/usr/bin/env bash
# Maven's generate-sources step (pom.xml): builds libfastio_ffi with Cargo,
# generates the Kotlin bindings from that very library, and places the library
# where JNA looks for it on the classpath (<prefix>/libfastio_ffi.so, prefix as
# JNA's Platform.RESOURCE_PREFIX names this machine), so the jar carries it.
# The devserver the tests start is built in the same Cargo run (one feature
# resolution, shared with the Swift and Python suites, so none rebuilds the
# library for another) and its path written to BUILD_DIR/fastio-devserver.path.
#
#   native.sh BUILD_DIR      (BUILD_DIR is Maven's ${project.build.directory})
#
# CARGO_TARGET_DIR defaults to the project's shared cache; FASTIO_FFI_PROFILE
# (default release) is the Cargo profile. FASTIO_NATIVE_PREBUILT names a
# directory of <prefix>/libfastio_ffi.* built on other machines (the release
# workflow's), packed beside this machine's so one jar runs on each.
set -euo pipefail
out="${1:?usage: native.sh BUILD_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
profile="${FASTIO_FFI_PROFILE:-release}"
case "$profile" in dev) dir=debug ;; *) dir="$profile" ;; esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) prefix=linux-x86-64 lib=libfastio_ffi.so ;;
  Linux-aarch64) prefix=linux-aarch64 lib=libfastio_ffi.so ;;
  Darwin-arm64) prefix=darwin-aarch64 lib=libfastio_ffi.dylib ;;
  Darwin-x86_64) prefix=darwin-x86-64 lib=libfastio_ffi.dylib ;;
  *) echo "native.sh: no JNA resource prefix known for $(uname -s)-$(uname -m); supported: Linux x86_64/aarch64, macOS arm64/x86_64" >&2
     exit 1 ;;
esac

cargo build -q --locked --profile "$profile" -p fastio-ffi -p fastio-devserver --bins --lib --manifest-path "$root/Cargo.toml"
so="$CARGO_TARGET_DIR/$dir/$lib"

gen="$out/generated-sources/uniffi"
rm -rf "$gen" "$out/native"
mkdir -p "$gen" "$out/native/$prefix"
"$CARGO_TARGET_DIR/$dir/uniffi-bindgen" generate --library "$so" --language kotlin --no-format --out-dir "$gen"
cp "$so" "$out/native/$prefix/$lib"
# The release profile keeps debug info for backtraces here; a jar carries
# the library without it (28 MB against a few).
if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null; then
  strip --strip-debug "$out/native/$prefix/$lib"
fi
if [ -n "${FASTIO_NATIVE_PREBUILT:-}" ]; then
  cp -R "$FASTIO_NATIVE_PREBUILT"/. "$out/native/"
fi
printf '%s\n' "$CARGO_TARGET_DIR/$dir/fastio-devserver" >"$out/fastio-devserver.path"
