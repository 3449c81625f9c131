#!/usr/bin/env bash
# Builds the Apple binary of the Swift package: FastioCoreFFI.xcframework
# (static libfastio_ffi for iOS devices, the iOS simulator and macOS, each
# with the committed UniFFI header and module map), placed where the root
# Package.swift picks it up, plus a zip and its SwiftPM checksum for a release.
#
#   bindings/swift/build-xcframework.sh [OUT_DIR]     (macOS with Xcode; OUT_DIR default dist/)
#
# Afterwards `swift build` / Xcode builds the package for iOS and macOS from
# the checkout; a release attaches OUT_DIR/FastioCoreFFI.xcframework.zip and
# an app may pin it with `.binaryTarget(url:checksum:)` and the printed checksum.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/dist}"
if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null; then
  echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo); this is $(uname -s)." >&2
  echo "Linux builds link libfastio_ffi.so instead (see Package.swift)." >&2
  exit 1
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
  # A static library for each: apps link it into their binary (App Store
  # rules forbid loose dylibs outside frameworks).
  cargo rustc --locked --release -p fastio-ffi --lib --target "$t" --crate-type staticlib \
    --manifest-path "$root/Cargo.toml"
done
lib() { echo "$CARGO_TARGET_DIR/$1/release/libfastio_ffi.a"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/headers" "$work/ios-sim" "$work/macos"
cp "$root/bindings/swift/Sources/FastioCoreFFI/FastioCoreFFI.h" \
   "$root/bindings/swift/Sources/FastioCoreFFI/module.modulemap" "$work/headers/"
# One slice per platform: the simulator and macOS slices join both architectures.
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$work/ios-sim/libfastio_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$work/macos/libfastio_ffi.a"

framework="$root/bindings/swift/FastioCoreFFI.xcframework"
rm -rf "$framework"
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$work/headers" \
  -library "$work/ios-sim/libfastio_ffi.a" -headers "$work/headers" \
  -library "$work/macos/libfastio_ffi.a" -headers "$work/headers" \
  -output "$framework"

mkdir -p "$out"
rm -f "$out/FastioCoreFFI.xcframework.zip"
(cd "$(dirname "$framework")" && ditto -c -k --sequesterRsrc --keepParent FastioCoreFFI.xcframework "$out/FastioCoreFFI.xcframework.zip")
checksum="$(swift package compute-checksum "$out/FastioCoreFFI.xcframework.zip")"
echo "$checksum" >"$out/FastioCoreFFI.xcframework.zip.checksum"
echo "built $framework"
echo "release asset $out/FastioCoreFFI.xcframework.zip, SwiftPM checksum $checksum"
