#!/usr/bin/env bash
# OCI image figures for `crossflake oci build`:
#   - build time (median of RUNS) for a 10 MB and a 100 MB static aarch64 binary
#     (goals: under 0.5 s and under 3 s);
#   - the image's size (compressed layer + config + manifest: what a registry stores and a
#     pull transfers) over the gzip'd binary alone, no CA bundle (goal: 16 KiB or less),
#     for the synthetic binaries and for a real one when given.
# Usage: bench/oci.sh [RUNS [REAL_BINARY]]   (REAL_BINARY: a static aarch64 ELF, e.g. one
#        `crossflake build --target aarch64-musl` made)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
real=${2:-}
cf=$(bash "$here/scripts/built-crossflake" --release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# a static aarch64 ELF header (one PT_LOAD) followed by pseudo-random bytes
make_elf() {
  python3 - "$1" "$2" <<'PY'
import random, struct, sys
size, path = int(sys.argv[1]), sys.argv[2]
hdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
hdr += struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, 0x400000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
hdr += struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, size, size, 0x1000)
rng = random.Random(42)
with open(path, "wb") as f:
    f.write(hdr)
    f.write(rng.randbytes(size - len(hdr)))
PY
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

report() {
  local label=$1 bin=$2 times=() s e
  for i in $(seq "$runs"); do
    rm -rf "$work/img"
    s=$(date +%s%N)
    "$cf" oci build --output "$work/img" --binary "aarch64-musl=$bin" >/dev/null
    e=$(date +%s%N)
    times+=($(((e - s) / 1000000)))
  done
  local image gz
  image=$(find "$work/img/blobs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
  gz=$(gzip -6 -n -c "$bin" | wc -c)
  printf '%-28s build %5d ms (median of %d)   image %d bytes, gzip(binary) %d bytes, overhead %d bytes (%.1f KiB)\n' \
    "$label" "$(median "${times[@]}")" "$runs" "$image" "$gz" $((image - gz)) "$(python3 -c "print(($image - $gz) / 1024)")"
}

make_elf 10000000 "$work/bin10"
make_elf 100000000 "$work/bin100"
report "10 MB binary (goal < 500 ms)" "$work/bin10"
report "100 MB binary (goal < 3 s)" "$work/bin100"
if [ -n "$real" ]; then report "$(basename "$real") ($(stat -c %s "$real") B)" "$real"; fi
