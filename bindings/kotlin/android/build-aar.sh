#!/usr/bin/env bash
# Builds the Android library: dist/fastio-core-<v>.aar with libfastio_ffi.so
# for each ABI in Android's layout (jni/<abi>/), the Kotlin classes of the JVM
# build without its desktop libraries, and a pom naming what it needs (JNA's
# Android AAR, kotlin-stdlib).
#
#   bindings/kotlin/android/build-aar.sh [OUT_DIR]     (default dist/)
#
# Needs the Android NDK (ANDROID_NDK_HOME; GitHub's Ubuntu runners have one)
# and installs cargo-ndk and the Rust Android targets when missing.
# FASTIO_ANDROID_ABIS overrides the ABIs (default: arm64-v8a armeabi-v7a x86_64).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kotlin="$(cd "$here/.." && pwd)"
root="$(cd "$kotlin/../.." && pwd)"
out="${1:-$root/dist}"
version=0.1.0
jna_version=5.15.0
kotlin_version=2.4.21
abis=(${FASTIO_ANDROID_ABIS:-arm64-v8a armeabi-v7a x86_64})
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"

if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -d "$ANDROID_NDK_HOME" ]; then
  echo "build-aar.sh needs the Android NDK: set ANDROID_NDK_HOME to it (r26 or newer)" >&2
  exit 1
fi
command -v cargo-ndk >/dev/null || cargo install --locked cargo-ndk
installed="$(rustup target list --installed)"
for abi in "${abis[@]}"; do
  case "$abi" in
    arm64-v8a) t=aarch64-linux-android ;;
    armeabi-v7a) t=armv7-linux-androideabi ;;
    x86_64) t=x86_64-linux-android ;;
    x86) t=i686-linux-android ;;
    *) echo "unknown ABI $abi; supported: arm64-v8a armeabi-v7a x86_64 x86" >&2; exit 1 ;;
  esac
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/aar/jni"
ndk_args=()
for abi in "${abis[@]}"; do ndk_args+=(-t "$abi"); done
# API 24 (Android 7): the oldest JNA's AAR supports with 64-bit file offsets.
(cd "$root" && cargo ndk --platform 24 "${ndk_args[@]}" -o "$work/aar/jni" \
  build --locked --release -p fastio-ffi --lib)

# The classes of the JVM build (generated bindings and driver), without the
# desktop libraries it carries as resources.
build="$work/maven"
mvn -B -q -Dstyle.color=never -f "$kotlin/pom.xml" -Dfastio.build.dir="$build" package -DskipTests
jar --create --file "$work/aar/classes.jar" -C "$build/classes" dev -C "$build/classes" META-INF

cat >"$work/aar/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="dev.fastiocore">
    <uses-sdk android:minSdkVersion="24" />
</manifest>
XML
: >"$work/aar/R.txt"

mkdir -p "$out"
rm -f "$out/fastio-core-$version.aar"
(cd "$work/aar" && jar --create --file "$out/fastio-core-$version.aar" AndroidManifest.xml R.txt classes.jar jni)
cat >"$out/fastio-core-$version-android.pom" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.fastiocore</groupId>
  <artifactId>fastio-core-android</artifactId>
  <version>$version</version>
  <packaging>aar</packaging>
  <dependencies>
    <dependency>
      <groupId>net.java.dev.jna</groupId>
      <artifactId>jna</artifactId>
      <version>$jna_version</version>
      <type>aar</type>
    </dependency>
    <dependency>
      <groupId>org.jetbrains.kotlin</groupId>
      <artifactId>kotlin-stdlib</artifactId>
      <version>$kotlin_version</version>
    </dependency>
  </dependencies>
</project>
XML
echo "built $out/fastio-core-$version.aar (${abis[*]})"
