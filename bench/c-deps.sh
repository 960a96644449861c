#!/usr/bin/env bash
# Figures for C dependencies (Debian's rustc-web + zig, --build-std):
#   - a cold build of tests/fixtures/c-deps' aws-lc member (aws-lc-sys: aws-lc's C and assembly
#     built by zig) for aarch64-musl, std included: `crossflake build` against plain
#     cargo-zigbuild running the same command in the same environment (`crossflake env`), each
#     into an empty target directory and zig cache;
#   - `crossflake doctor` (every check) and `crossflake doctor --fast` (the checks
#     `crossflake build` runs before it starts) on ripgrep's published Cargo.lock, median of RUNS.
# Usage: bench/c-deps.sh [RUNS]   (default 11)   Needs scripts/provision's tools.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-11}
target=aarch64-musl triple=aarch64-unknown-linux-musl
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

# the aws-lc member alone, with the fixture's locked versions
cp -r "$here/tests/fixtures/c-deps" "$work/aws-lc"
rm -rf "$work/aws-lc/target"
cd "$work/aws-lc"
sed -i 's/^members = .*/members = ["aws-lc-sha256"]/' Cargo.toml
"$deb" cargo update --workspace --offline --quiet
aws_lc=$(python3 -c 'import tomllib; print(next(p["version"] for p in tomllib.load(open("Cargo.lock","rb"))["package"] if p["name"] == "aws-lc-sys"))')

export CARGO_TARGET_DIR="$work/target-crossflake" XDG_CACHE_HOME="$work/cache-crossflake"
cf_cold=$(timed "$deb" "$cf" build --build-std --target "$target")
[ -x "$CARGO_TARGET_DIR/$triple/crossflake/aws-lc-sha256" ] || { echo "bench: crossflake build made no binary" >&2; exit 1; }
export CARGO_TARGET_DIR="$work/target-plain" XDG_CACHE_HOME="$work/cache-plain"
mapfile -t plain_cmd < <("$deb" "$cf" env --target "$target" --build-std --json |
  python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["command"]))')
plain_cold=$(
  eval "$("$deb" "$cf" env --target "$target" --build-std --shell)"
  timed "$deb" "${plain_cmd[@]}"
)
[ -x "$CARGO_TARGET_DIR/$triple/crossflake/aws-lc-sha256" ] || { echo "bench: cargo-zigbuild made no binary" >&2; exit 1; }
unset CARGO_TARGET_DIR XDG_CACHE_HOME

# doctor on ripgrep's Cargo.lock
"$here/scripts/fetch-crate" ripgrep 14.1.1 "$work/ripgrep"
cd "$work/ripgrep"
[ -f Cargo.lock ] || { echo "bench: ripgrep's crate has no Cargo.lock" >&2; exit 1; }
"$cf" init --target "$target" >/dev/null 2>&1
packages=$(grep -c '^\[\[package\]\]' Cargo.lock)
full=() fast=()
for _ in $(seq "$runs"); do
  full+=("$(timed "$deb" "$cf" doctor --build-std)")
  fast+=("$(timed "$deb" "$cf" doctor --build-std --fast)")
done

echo "C dependencies, $target (--build-std, Debian rustc $(/usr/bin/rustc --version | cut -d' ' -f2), zig $(python3 -m ziglang version))"
echo "  cold build, aws-lc member (aws-lc-sys $aws_lc), std included:"
echo "    crossflake build:                     $(secs "$cf_cold") s"
echo "    plain cargo-zigbuild, same env:       $(secs "$plain_cold") s  -> crossflake/plain = $(python3 -c "print(f'{$cf_cold/$plain_cold:.3f}')")"
echo "  ripgrep 14.1.1's Cargo.lock ($packages packages), median of $runs:"
echo "    crossflake doctor:                    $(ms "$(median "${full[@]}")") ms"
echo "    crossflake doctor --fast:             $(ms "$(median "${fast[@]}")") ms"
