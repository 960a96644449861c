#!/usr/bin/env bash
# Published crates with C dependencies, each built by `crossflake build --build-std` for
# aarch64-musl from its crates.io source and Cargo.lock, verified static and run under qemu:
#   rsspls 0.12.0  rustls with aws-lc (aws-lc-sys through reqwest 0.13)
#   ouch 0.6.1     bindgen (libbzip3-sys runs it on every build), bzip2, lzma, zlib, zstd, unrar (C++)
#   mcfly 0.9.4    SQLite (libsqlite3-sys `bundled`)
# Prints per crate: the C crates in its Cargo.lock (every feature's), doctor's verdict, the cold
# build time (std included, one shared target directory, so later crates reuse std), the
# binary's size and what it printed. WORK=DIR keeps the sources and target directory. Usage: bench/published-c-deps.sh [CRATE@VERSION...]   Needs scripts/provision's tools.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target=aarch64-musl triple=aarch64-unknown-linux-musl
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(rsspls@0.12.0 ouch@0.6.1 mcfly@0.9.4)
cf=$(bash "$here/scripts/built-crossflake" --release)
deb="$here/scripts/with-debian-rust"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target" XDG_CACHE_HOME="$work/cache"
status=0

# run_it NAME BIN: what the binary prints under qemu (a round trip through bzip3 for ouch)
run_it() {
  case $1 in
    ouch)
      seq 1 20000 >"$work/numbers.txt"
      rm -f "$work/numbers.txt.bz3" && rm -rf "$work/out"
      qemu-aarch64-static "$2" compress --yes "$work/numbers.txt" "$work/numbers.txt.bz3" >/dev/null 2>&1
      qemu-aarch64-static "$2" decompress --yes --dir "$work/out" "$work/numbers.txt.bz3" >/dev/null 2>&1
      cmp -s "$work/numbers.txt" "$work/out/numbers.txt" &&
        echo "bzip3 round trip of $(stat -c %s "$work/numbers.txt") bytes through $(stat -c %s "$work/numbers.txt.bz3")"
      ;;
    *) qemu-aarch64-static "$2" --version ;;
  esac
}

for c in "${crates[@]}"; do
  name=${c%@*} version=${c#*@}
  dir="$work/$name-$version"
  [ -d "$dir" ] || "$here/scripts/fetch-crate" "$name" "$version" "$dir"
  cd "$dir"
  git init -q . 2>/dev/null && git add -A >/dev/null 2>&1 || true
  echo "== $name $version"
  if ! "$cf" init --target "$target" >"$work/$name.init" 2>&1; then
    echo "   crossflake init FAILED: $(tail -n 3 "$work/$name.init")"
    status=1
    continue
  fi
  git add -A >/dev/null 2>&1 || true
  # the -sys and -src crates that build or find C code (cc, cmake, bindgen or pkg-config)
  echo "   C crates: $(python3 -c '
import tomllib
pk = tomllib.load(open("Cargo.lock", "rb"))["package"]
tools = {"cc", "cmake", "bindgen", "pkg-config"}
print(", ".join(p["name"] + " " + p["version"] for p in pk
                if p["name"].endswith(("-sys", "-src")) and tools & {d.split()[0] for d in p.get("dependencies", [])}))')"
  doctor=$("$deb" "$cf" doctor --build-std 2>&1 | tail -n 1) || true
  echo "   doctor: $doctor"
  s=$(date +%s)
  if ! "$deb" "$cf" build --build-std --target "$target" >"$work/$name.log" 2>&1; then
    echo "   build FAILED after $(($(date +%s) - s)) s; the first errors in $work/$name.log:"
    { grep -m 20 -E '^(error|warning: .*error|  = note)|undefined|not found' "$work/$name.log" || true; } | sed 's/^/     /'
    status=1
    continue
  fi
  e=$(date +%s)
  bin="$CARGO_TARGET_DIR/$triple/crossflake/$name"
  echo "   built in $((e - s)) s; $bin: $(stat -c %s "$bin") bytes"
  "$cf" verify --target "$target" "$bin" >"$work/$name.verify" || status=1
  sed -n '1s/^/   /p' "$work/$name.verify"
  echo "   runs: $(run_it "$name" "$bin" || echo FAILED)"
done
exit $status
