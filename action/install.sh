#!/usr/bin/env bash
# Installs the accessreview-conformance release binaries (the runner and accessreview-mock)
# for this machine: downloads the archive of a version for this platform and its .sha256,
# verifies the checksum, unpacks it and prints the directory that holds the binaries.
#
# Environment:
#   ARC_VERSION   the version (0.1.0, v0.1.0) or "latest"             (required)
#   ARC_DEST      the directory to unpack into                         (required)
#   ARC_RELEASES  where releases are (default: this project's GitHub releases; a file:// URL works)
#   ARC_TARGET    the target triple (default: this machine's)
#
# Exit 0: installed, the directory printed. Exit 3: no release binary for this version and
# platform (build from source instead). Exit 1: anything else, a checksum mismatch or a missing
# checksum included; nothing is installed then. Messages go to stderr.
set -euo pipefail

releases=${ARC_RELEASES:-https://github.com/accessreview-conformance/accessreview-conformance/releases}
version=${ARC_VERSION:?ARC_VERSION is required}
dest=${ARC_DEST:?ARC_DEST is required}
say() { echo "install: $*" >&2; }

version=${version#v}
if [ "$version" = latest ]; then
  # GitHub answers /releases/latest with a redirect to /releases/tag/vX.Y.Z.
  if ! url=$(curl -fsSLI --retry 3 -o /dev/null -w '%{url_effective}' "$releases/latest"); then
    say "no latest release at $releases"
    exit 3
  fi
  version=${url##*/}
  version=${version#v}
fi
case $version in
  *[!0-9A-Za-z.+-]* | "" | latest) say "not a version: '$version'"; exit 1 ;;
esac

target=${ARC_TARGET:-}
if [ -z "$target" ]; then
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) target=x86_64-unknown-linux-musl ;; # static: any Linux
    Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
    Darwin/arm64) target=aarch64-apple-darwin ;;
    Darwin/x86_64) target=x86_64-apple-darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows*) target=x86_64-pc-windows-msvc ;;
    *) say "no release binary for $(uname -s)/$(uname -m)"; exit 3 ;;
  esac
fi

name=accessreview-conformance-v$version-$target
case $target in
  *windows*) archive=$name.zip exe=.exe ;;
  *) archive=$name.tar.gz exe= ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }

if ! fetch "$releases/download/v$version/$archive" "$work/$archive"; then
  say "no release binary $archive for v$version: build from source"
  exit 3
fi
if ! fetch "$releases/download/v$version/$archive.sha256" "$work/$archive.sha256"; then
  say "no checksum for $archive: refusing to install it"
  exit 1
fi
expected=$(awk '{ print tolower($1); exit }' "$work/$archive.sha256")
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$archive" | awk '{ print $1 }')
else
  actual=$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')
fi
if [ "${#expected}" -ne 64 ] || [ "$expected" != "$actual" ]; then
  say "checksum mismatch for $archive (the .sha256 says '$expected', the archive is $actual): refusing to install it"
  exit 1
fi

mkdir -p "$work/unpacked"
case $archive in
  *.zip) unzip -q "$work/$archive" -d "$work/unpacked" ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" ;;
esac
for bin in accessreview-conformance accessreview-mock; do
  if [ ! -f "$work/unpacked/$name/$bin$exe" ]; then
    say "$archive holds no $name/$bin$exe"
    exit 1
  fi
done
mkdir -p "$dest"
rm -rf "${dest:?}/$name"
mv "$work/unpacked/$name" "$dest/$name"
echo "$dest/$name"
