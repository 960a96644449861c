#!/usr/bin/env bash
# Median wall time of `crossflake init --dry-run` on a generated 50-member workspace.
# Goal: under 100 ms. Usage: bench/init-dry-run.sh [RUNS]   (default 21)
set -euo pipefail
runs=${1:-21}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(bash "$here/scripts/built-crossflake" --release)
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
{
  echo '[workspace]'
  echo 'members = ["crates/*"]'
  echo 'resolver = "2"'
} >"$ws/Cargo.toml"
for i in $(seq 1 50); do
  mkdir -p "$ws/crates/m$i/src"
  printf '[package]\nname = "m%s"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nserde = "1"\n' "$i" >"$ws/crates/m$i/Cargo.toml"
  echo 'fn main() {}' >"$ws/crates/m$i/src/main.rs"
done
times=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$bin" init --manifest-path "$ws/Cargo.toml" --dry-run >/dev/null 2>&1
  end=$(date +%s%N)
  times+=($(((end - start) / 1000)))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
printf 'crossflake init --dry-run, 50-member workspace: median %d.%03d ms over %d runs (goal < 100 ms)\n' \
  $((median / 1000)) $((median % 1000)) "$runs"
