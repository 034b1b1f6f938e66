#!/usr/bin/env bash
# Installs xenalyze, Xen's own trace analyser, for test/lab/export/xentrace.test.ts, which reads
# pvlab's xentrace output with it. Debian ships xenalyze in `xen-utils-common` (not in
# xen-utils-<version>, which has xentrace itself). No hypervisor is needed: the package is
# downloaded with apt-get and only usr/bin/xenalyze is unpacked, with dpkg-deb, into
# $PVLAB_XEN_TOOLS (default /opt/pvlab/xen-tools). The binary needs nothing but libc.
#
# Idempotent: when the binary is already there and runs, nothing is downloaded. Needs root
# only when the apt package lists are missing (it then runs apt-get update) or when the
# destination is not writable. Prints the path of xenalyze as its last line.
set -euo pipefail

PKG=xen-utils-common
DEST="${PVLAB_XEN_TOOLS:-/opt/pvlab/xen-tools}"
BIN="$DEST/usr/bin/xenalyze"

runs() { "$1" --help >/dev/null 2>&1; }

if [ -x "$BIN" ] && runs "$BIN"; then
  echo "xenalyze already installed"
  echo "$BIN"
  exit 0
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "install-xen-tools: apt-get and dpkg-deb are needed (a Debian machine)" >&2
  exit 1
fi

# A fresh machine has no package lists; `apt-cache show` tells whether they are there.
if ! apt-cache show "$PKG" >/dev/null 2>&1; then
  echo "apt-get update (package lists are missing)"
  # A source other than Debian's failing must not stop us: the download below says if
  # Debian's own lists are missing.
  apt-get update -qq || echo "install-xen-tools: apt-get update reported errors; trying anyway" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when it can; let it write the folder.
if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown _apt "$work"; fi
(cd "$work" && apt-get download -qq "$PKG")
deb="$(ls "$work"/"$PKG"_*.deb)"
echo "downloaded $(basename "$deb")"

mkdir -p "$DEST"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$DEST" ./usr/bin/xenalyze
if ! [ -x "$BIN" ] || ! runs "$BIN"; then
  echo "install-xen-tools: $PKG did not give a working usr/bin/xenalyze" >&2
  exit 1
fi
echo "$BIN"
