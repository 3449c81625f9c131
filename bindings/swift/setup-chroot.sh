#!/usr/bin/env bash
# /usr/bin/swift is an absolute symlink that resolves only inside the chroot,
# so presence is checked on the real binary.
# Creates the Debian 13 chroot that holds the Swift toolchain (Debian 12 has
# none), once; later runs reuse it. Fails loudly when it cannot be created.
set -euo pipefail
ROOT="${FASTIO_SWIFT_CHROOT:-$HOME/.cache/fastio-core/swift-chroot}"
if [ -x "$ROOT/usr/libexec/swift/bin/swift" ]; then exit 0; fi
if ! command -v debootstrap >/dev/null; then
  # A fresh machine may have no package lists yet.
  apt-get install -y debootstrap || { apt-get update && apt-get install -y debootstrap; }
fi
MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
rm -rf "$ROOT.partial"
mkdir -p "$(dirname "$ROOT")"
debootstrap --variant=minbase trixie "$ROOT.partial" "$MIRROR"
cp /etc/resolv.conf "$ROOT.partial/etc/resolv.conf"
mount -t proc proc "$ROOT.partial/proc"
trap 'umount "$ROOT.partial/proc" 2>/dev/null || true' EXIT
chroot "$ROOT.partial" apt-get update
chroot "$ROOT.partial" apt-get install -y swiftlang
umount "$ROOT.partial/proc"
trap - EXIT
mv "$ROOT.partial" "$ROOT"
test -x "$ROOT/usr/libexec/swift/bin/swift" || { echo "swift chroot: swift missing after install" >&2; exit 1; }
