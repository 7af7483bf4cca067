#!/usr/bin/env bash
# The crates as they would be published: `cargo publish --dry-run` for both (packaged, verified
# by cargo building each from its package, the upload left out), then the runner built from
# its unpacked package (with the unpacked mock in place of the registry's, and every other
# dependency from the local registry cache, offline) and run against its embedded reference
# mock. A file the package leaves out that the build or the run needs fails here.
set -euo pipefail
cd "$(dirname "$0")/.."

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
if ! cargo publish --dry-run --workspace --locked --allow-dirty >/dev/null 2>"$unpacked/log"; then
  cat "$unpacked/log"
  echo "package: cargo publish --dry-run failed"
  exit 1
fi
# The .crate files themselves (a dry run does not keep them).
rm -f target/package/*.crate
if ! cargo package --workspace --locked --no-verify --allow-dirty >/dev/null 2>"$unpacked/log"; then
  cat "$unpacked/log"
  echo "package: cargo package failed"
  exit 1
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
for crate in accessreview-conformance accessreview-mock; do
  tar -xzf "target/package/$crate-$version.crate" -C "$unpacked"
done
runner="$unpacked/accessreview-conformance-$version"
# Nothing of the tests, their fixtures or the bench is shipped; the cases and schemas are.
for shipped in cases/rules.yaml schemas/report.schema.json LICENSE README.md; do
  test -f "$runner/$shipped" || { echo "package: $shipped is missing"; exit 1; }
done
for left_out in tests benches .ci; do
  test ! -e "$runner/$left_out" || { echo "package: $left_out is shipped"; exit 1; }
done
test -f "$unpacked/accessreview-mock-$version/README.md" || { echo "package: the mock has no README"; exit 1; }
# A target directory of its own: the workspace's binaries stay as they are. Not --locked: the
# patch rewrites the lock file's source of accessreview-mock; the versions stay the packaged ones.
cargo build --offline --manifest-path "$runner/Cargo.toml" \
  --target-dir target/packaged \
  --config "patch.crates-io.accessreview-mock.path=\"$unpacked/accessreview-mock-$version\"" \
  --bin accessreview-conformance
cargo build --offline --manifest-path "$unpacked/accessreview-mock-$version/Cargo.toml" \
  --target-dir target/packaged --bin accessreview-mock
out=$(target/packaged/debug/accessreview-conformance 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 1
target/packaged/debug/accessreview-mock --help >/dev/null
echo "package: both crates pass cargo publish --dry-run; both binaries build from their packages; the runner runs its embedded default"
