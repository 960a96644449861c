#!/usr/bin/env bash
# bench/builders.sh [ROUNDS]: the smaller fixture's two packages (aarch64-musl, x86_64-musl,
# each a dependency build and a package build) built here alone, then split between here and a
# Nix remote builder on 127.0.0.1 (tests/nix/remote-builder.sh). Prints each round's seconds
# and the medians. Every round builds all four derivations anew (a nonce in craneArgs), from
# the sandboxed builds' stand-ins (tests/nix/standin; set up on first use). The builder shares
# this machine's cores, so the split shows the cost of remote builds (closure copied over ssh,
# results copied back) more than any gain.
#
#   alone: nix build --max-jobs 2                              (no builders)
#   split: nix build --max-jobs 1 --builders '... x86_64-linux KEY 1 ...'   (one build slot
#          here, one on the builder)
# Needs root (the builder's user and sshd), as tests/nix/real-builds.sh does.
set -euo pipefail
shopt -s inherit_errexit
repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
state=${CROSSFLAKE_STANDIN_DIR:-/tmp/crossflake-standin}
work=${CROSSFLAKE_BENCH_DIR:-/tmp/crossflake-bench-builders}
# shellcheck source=tests/nix/standin/env.sh
source "$repo/tests/nix/standin/env.sh"
# shellcheck source=tests/nix/fixtures.sh
source "$repo/tests/nix/fixtures.sh"
# shellcheck source=tests/nix/remote-builder.sh
source "$repo/tests/nix/remote-builder.sh"
export NIX_CONFIG=$crossflake_nix_config
if [ "${CROSSFLAKE_STANDIN_READY:-}" != 1 ]; then
  bash "$repo/tests/nix/standin/setup.sh" "$state" >&2
fi
export CROSSFLAKE_STANDIN_READY=1
mkdir -p "$work"
builder_start "$work/builder"
trap builder_stop EXIT
sed 's/ 2 1 / 1 1 /' "$builder_machines" >"$work/machines-1"
attrs=(packages.x86_64-linux.aarch64-musl packages.x86_64-linux.x86_64-musl)

# run LABEL REAL_BUILD_ARGS: one build of both packages with a new nonce; prints the seconds
run() {
  local nonce dir t0 t1 remote
  nonce=$(date +%s%N)
  dir=$(fixture "bench-$1" "$repo/tests/fixtures/cross-hello" "{ CROSSFLAKE_BENCH_NONCE = \"$nonce\"; }")
  two_targets "$dir"
  git -C "$dir" commit -qam "two targets"
  t0=$(date +%s.%N)
  REAL_BUILD_ARGS="$2" "$repo/tests/nix/real-build" "$dir" "${attrs[@]}" >/dev/null 2>"$work/$1.log" ||
    { tail -30 "$work/$1.log" >&2; echo "bench/builders.sh: the $1 build failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  remote=$(grep -c "^building '.*' on 'ssh-ng://" "$work/$1.log" || true)
  echo "$1: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s ($remote of 4 derivations on the builder)" >&2
  python3 -c "print(f'{$t1 - $t0:.1f}')"
}

# the first remote build copies the toolchains' closure to the builder: not measured
echo "warm-up: the builder receives the toolchains" >&2
run warmup "--builders @$builder_machines --max-jobs 0" >/dev/null
alone=() split=()
for i in $(seq "$rounds"); do
  alone+=("$(run alone "--max-jobs 2")")
  split+=("$(run split "--builders @$work/machines-1 --max-jobs 1")")
done
python3 - "${alone[*]}" "${split[*]}" <<'PY'
import statistics, sys
alone = [float(x) for x in sys.argv[1].split()]
split = [float(x) for x in sys.argv[2].split()]
a, s = statistics.median(alone), statistics.median(split)
print(f"two packages, {len(alone)} rounds each: here alone median {a:.1f} s; split with a loopback builder median {s:.1f} s ({s / a:.2f}x)")
PY
