#!/usr/bin/env bash
# The compiler cache's figure: a real crate (default hexyl 0.16.0 from crates.io) built for
# aarch64-musl by `crossflake build --build-std` with [package.metadata.crossflake.sccache] set
# to a Redis on 127.0.0.1: cold (empty Redis) in one checkout, then warm in a second checkout
# at another path with an empty target directory; prints both wall times, their ratio (goal:
# warm at most 0.3 of cold) and sccache's statistics line of the warm build.
# Usage: bench/sccache.sh [CRATE VERSION]   Needs scripts/provision's tools (redis-server, sccache).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
crate=${1:-hexyl} version=${2:-0.16.0}
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work" \
  --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log"
trap 'kill "$(cat "$work/redis.pid")" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
mkdir -p "$work/cold" "$work/warm/elsewhere"
"$here/scripts/fetch-crate" "$crate" "$version" "$work/cold/$crate"
cp -r "$work/cold/$crate" "$work/warm/elsewhere/$crate"
for dir in "$work/cold/$crate" "$work/warm/elsewhere/$crate"; do
  printf '\n[package.metadata.crossflake.sccache]\nbackend = "redis"\nendpoint = "redis://127.0.0.1:%s"\n' "$port" >>"$dir/Cargo.toml"
done
export XDG_CACHE_HOME="$work/cache"
cold=$(cd "$work/cold/$crate" && timed "$deb" "$cf" build --build-std --target aarch64-musl)
start=$(now)
(cd "$work/warm/elsewhere/$crate" && "$deb" "$cf" build --build-std --target aarch64-musl 2>"$work/warm.log" >/dev/null)
warm=$(($(now) - start))
echo "$crate $version, aarch64-musl, crossflake build --build-std through sccache (Redis on 127.0.0.1)"
echo "cold (empty cache):               $(secs "$cold") s"
echo "warm (another checkout and path): $(secs "$warm") s"
echo "warm / cold:                      $(python3 -c "print(f'{$warm/$cold:.2f}')") (goal: at most 0.30)"
grep '^crossflake: sccache:' "$work/warm.log"
