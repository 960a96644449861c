#!/usr/bin/env bash
# tests/nix/host-cc.sh: nix/host-cc.sh (mkLib's hostLinker) run against a cc that prints its
# arguments, one per line: rustc's self-contained lld (its gcc-ld directory and the
# -fuse-ld=lld beside it, in either order) is dropped, and nothing else is.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\nfor a in "$@"; do printf "%%s\\n" "$a"; done\n' >"$fake/cc"
chmod +x "$fake/cc"
failed=0
gccld=-B/nix/store/abc-rust-mixed/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld
# case NAME EXPECTED (lines, joined by |) ARGS...
case_() {
  local name=$1 want=$2 got
  shift 2
  got=$(PATH="$fake:$PATH" bash "$repo/nix/host-cc.sh" "$@" | paste -sd'|')
  if [ "$got" = "$want" ]; then
    echo "ok: $name"
  else
    echo "FAILED host-cc: $name: got '$got', expected '$want'" >&2
    failed=1
  fi
}
case_ "rustc's gcc-ld directory and -fuse-ld=lld after it are dropped" "-m64|main.o|-lz|-o|out" \
  -m64 "$gccld" -fuse-ld=lld main.o -lz -o out
case_ "and -fuse-ld=lld before it" "-m64|main.o|-o|out" -m64 -fuse-ld=lld "$gccld" main.o -o out
case_ "a project's own -fuse-ld=lld with no gcc-ld directory is kept" "-fuse-ld=lld|main.o" -fuse-ld=lld main.o
case_ "a project's -fuse-ld=lld apart from rustc's pair is kept" "-fuse-ld=lld|main.o|-o|out" \
  -fuse-ld=lld main.o "$gccld" -fuse-ld=lld -o out
case_ "another -B directory is kept" "-B/nix/store/x-gcc/bin|-fuse-ld=lld|a.o" -B/nix/store/x-gcc/bin -fuse-ld=lld a.o
case_ "arguments with spaces pass whole" "-Wl,-rpath,/a b|a.o" "-Wl,-rpath,/a b" a.o
[ "$failed" = 0 ] || exit 1
echo "host-cc: all passed"
