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
# platform (the release or the archive answers 404: build from source instead). Exit 1:
# anything else (the network, a checksum mismatch or a missing checksum, a broken archive, a
# missing tool); nothing is installed then. Messages go to stderr.
set -euo pipefail

releases=${ARC_RELEASES:-https://github.com/accessreview-conformance/accessreview-conformance/releases}
version=${ARC_VERSION:?ARC_VERSION is required}
dest=${ARC_DEST:?ARC_DEST is required}
say() { echo "install: $*" >&2; }

for tool in curl awk tar mktemp; do
  command -v "$tool" >/dev/null || { say "needs $tool"; exit 1; }
done
if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | awk '{ print $1 }'; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | awk '{ print $1 }'; }
else
  say "needs sha256sum or shasum to check the download"
  exit 1
fi

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
case $target in
  "" | x86_64-unknown-linux-musl | aarch64-unknown-linux-gnu | \
    aarch64-apple-darwin | x86_64-apple-darwin | x86_64-pc-windows-msvc) ;;
  *) say "not a target the releases are built for: '$target'"; exit 1 ;;
esac
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
# Downloads $1 to $2; "missing" when there is no such file (404, or no file:// file), else
# "ok" or "failed" (the network, a 5xx, a rate limit: not a reason to build from source).
fetch() {
  local code status=0
  code=$(curl -sSL --retry 3 -o "$2" -w '%{http_code}' "$1" 2>/dev/null) || status=$?
  case $1 in
    file://*)
      if [ "$status" -eq 0 ]; then echo ok
      elif [ ! -e "${1#file://}" ]; then echo missing
      else echo failed; fi
      return ;;
  esac
  if [ "$status" -eq 0 ] && [ "$code" = 200 ]; then echo ok
  elif [ "$code" = 404 ]; then echo missing
  else echo failed; fi
}

case $(fetch "$releases/download/v$version/$archive" "$work/$archive") in
  ok) ;;
  missing) say "no release binary $archive for v$version: build from source"; exit 3 ;;
  *) say "could not download $archive from $releases"; exit 1 ;;
esac
if [ "$(fetch "$releases/download/v$version/$archive.sha256" "$work/$archive.sha256")" != ok ]; then
  say "no checksum for $archive: refusing to install it"
  exit 1
fi
expected=$(awk '{ print tolower($1); exit }' "$work/$archive.sha256")
actual=$(sha256 "$work/$archive")
if [ "${#expected}" -ne 64 ] || [ "$expected" != "$actual" ]; then
  say "checksum mismatch for $archive (the .sha256 says '$expected', the archive is $actual): refusing to install it"
  exit 1
fi

mkdir -p "$work/unpacked"
case $archive in
  *.zip)
    command -v unzip >/dev/null || { say "needs unzip"; exit 1; }
    unzip -q "$work/$archive" -d "$work/unpacked" || { say "$archive is not a zip archive"; exit 1; }
    ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" || { say "$archive is not a .tar.gz"; exit 1; } ;;
esac
# Only the binaries, as regular files in a regular directory (no link out of the archive).
if [ -L "$work/unpacked/$name" ] || [ ! -d "$work/unpacked/$name" ]; then
  say "$archive holds no directory $name"
  exit 1
fi
for bin in accessreview-conformance accessreview-mock; do
  if [ -L "$work/unpacked/$name/$bin$exe" ] || [ ! -f "$work/unpacked/$name/$bin$exe" ]; then
    say "$archive holds no $name/$bin$exe"
    exit 1
  fi
done
mkdir -p "$dest"
rm -rf "${dest:?}/$name"
mv "$work/unpacked/$name" "$dest/$name"
echo "$dest/$name"
