#!/usr/bin/env bash
# The toolchain lock's size for a channel with the four host systems and six targets (goal:
# 64 KiB or less), next to the full channel manifest's. Uses rustup's full manifest of an
# installed toolchain when there is one (MANIFEST=path to choose), else the cut fixture.
# Usage: bench/lock-size.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cf=$(bash "$here/scripts/built-crossflake" --release)
manifest=${MANIFEST:-$(ls ~/.rustup/toolchains/stable-*/lib/rustlib/multirust-channel-manifest.toml 2>/dev/null | head -n1)}
manifest=${manifest:-$here/tests/fixtures/toolchain/channel-rust-1.95.0.toml}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$manifest" "$work/manifest.toml"
"$cf" new "$work/p" --toolchain stable \
  --target x86_64-musl --target aarch64-musl --target armv7-musl --target x86_64-gnu \
  --target x86_64-windows --target wasm32-wasip1 >/dev/null 2>&1
(cd "$work/p" && "$cf" toolchain lock --channel-manifest "$work/manifest.toml" >/dev/null 2>&1)
lock=$(stat -c %s "$work/p/rust-toolchain.lock.toml")
full=$(stat -c %s "$manifest")
date=$(grep -m1 '^date' "$manifest" | cut -d'"' -f2)
printf 'manifest %s (%s): %d bytes\n' "$(basename "$manifest")" "$date" "$full"
printf 'lock for 4 hosts, 6 targets (x86_64/aarch64/armv7 musl, x86_64 gnu, windows-gnu, wasm32-wasip1), clippy rustfmt rust-src (+ rust-analyzer): %d bytes = %.1f KiB (goal <= 64 KiB), %.2f%% of the manifest\n' \
  "$lock" "$(python3 -c "print($lock/1024)")" "$(python3 -c "print(100*$lock/$full)")"
