#!/usr/bin/env bash
# Build-time and size figures for one real program (default: hexyl 0.16.0 from crates.io)
# built for aarch64-musl with `crossflake build --build-std` (Debian's rustc-web + zig):
#   - cold build;
#   - warm rebuild after a source-only change (touch src/main.rs), median of RUNS:
#       crossflake build            vs  plain cargo-zigbuild with the same environment
#       (goal: within 5%)           vs  a native host build of the same profile (goal: within 1.2x)
#   - binary size with [profile.crossflake] vs cargo's default release profile (cargo's own
#     defaults: the project's [profile.release] overrides are reset through CARGO_PROFILE_RELEASE_*;
#     the panic strategy is the project's in both; goal: at least 15% smaller).
# Usage: bench/build.sh [CRATE VERSION [RUNS]]   Needs scripts/provision's tools.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
crate=${1:-hexyl} version=${2:-0.16.0} runs=${3:-5}
target=aarch64-musl triple=aarch64-unknown-linux-musl
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
"$here/scripts/fetch-crate" "$crate" "$version" "$work/$crate"
cd "$work/$crate"
"$cf" init --target "$target" >/dev/null 2>&1
export CARGO_TARGET_DIR="$work/target" XDG_CACHE_HOME="$work/cache"

cold=$(timed "$deb" "$cf" build --build-std --target "$target")
bin="$CARGO_TARGET_DIR/$triple/crossflake/$crate"
[ -x "$bin" ] || { echo "bench: no binary at $bin" >&2; exit 1; }

cf_times=() plain_times=() native_times=()
# the exact command and environment crossflake uses, run directly
mapfile -t plain_cmd < <("$deb" "$cf" env --target "$target" --build-std --json |
  python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["command"]))')
eval "$("$deb" "$cf" env --target "$target" --build-std --shell)"
for _ in $(seq "$runs"); do
  touch src/main.rs
  cf_times+=("$(timed "$deb" "$cf" build --build-std --target "$target")")
  touch src/main.rs
  plain_times+=("$(timed "$deb" "${plain_cmd[@]}" --message-format=json-render-diagnostics)")
done
"$deb" cargo build --profile crossflake >/dev/null 2>&1   # native host build, cold
for _ in $(seq "$runs"); do
  touch src/main.rs
  native_times+=("$(timed "$deb" cargo build --profile crossflake)")
done
cf_warm=$(median "${cf_times[@]}") plain_warm=$(median "${plain_times[@]}") native_warm=$(median "${native_times[@]}")

cf_size=$(stat -c %s "$bin")
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=3 \
  CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=debuginfo CARGO_PROFILE_RELEASE_INCREMENTAL=false \
  "$deb" "$cf" build --build-std --target "$target" --release >/dev/null 2>&1
rel_size=$(stat -c %s "$CARGO_TARGET_DIR/$triple/release/$crate")
panic=$(python3 -c "import tomllib; d=tomllib.load(open('Cargo.toml','rb')); print(d.get('profile',{}).get('release',{}).get('panic','unwind'))")

echo "$crate $version -> $target (--build-std, Debian rustc $(/usr/bin/rustc --version | cut -d' ' -f2), $runs warm runs, medians)"
echo "  cold crossflake build:                  $(secs "$cold") s"
echo "  warm crossflake build (touch main.rs):  $(secs "$cf_warm") s"
echo "  warm plain cargo-zigbuild, same env:    $(secs "$plain_warm") s  -> crossflake/plain = $(python3 -c "print(f'{$cf_warm/$plain_warm:.3f}')") (goal <= 1.05)"
echo "  warm native host build, same profile:   $(secs "$native_warm") s  -> cross/native = $(python3 -c "print(f'{$cf_warm/$native_warm:.3f}')") (goal <= 1.2)"
echo "  size, profile crossflake: $cf_size bytes; cargo's default release: $rel_size bytes -> $(python3 -c "print(f'{100*(1-$cf_size/$rel_size):.1f}')")% smaller (goal >= 15%); panic = $panic in both"
