#!/usr/bin/env bash
# Real sandboxed Nix builds (tests/nix/real-build, with the nixpkgs and fenix stand-ins) of
# tests/fixtures/cross-hello for aarch64-musl, side by side with `crossflake build` on the same
# toolchain (the toolchain, zig and cargo-zigbuild the Nix build used, from the store):
#   - Nix cold: the project's derivations (dependencies, then the package) built from scratch
#     (the toolchain, std and cargo-zigbuild already in the store);
#   - Nix warm: rebuilt after touching src/main.rs (only the package derivation runs);
#   - crossflake build: the same change, warm, outside Nix.
# Each Nix build is split into evaluation, sandbox setup (from Nix starting a derivation to its
# builder's first line) and build phase (crane's buildPhase). Goal: the warm Nix build phase
# within 1.5x of `crossflake build`'s time; a miss is reported with the breakdown.
# Usage: bench/nix-build.sh   (sets up the stand-ins on first use: tests/nix/standin/setup.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/nix/standin/env.sh
source "$here/tests/nix/standin/env.sh"
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
bash "$here/tests/nix/standin/setup.sh" >/dev/null 2>&1
export CROSSFLAKE_STANDIN_READY=1 NIX_CONFIG=$crossflake_nix_config
cf=$(bash "$here/scripts/built-crossflake" --release)

# the fixture as a flake; a fresh NONCE makes its derivations new (a cold build)
flake=$work/cross-hello
cp -r "$here/tests/fixtures/cross-hello" "$flake"
cat >"$flake/flake.nix" <<NIX
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }: crossflake.lib.mkFlake {
    inherit self; src = ./.; systems = [ "x86_64-linux" ];
    craneArgs.CROSSFLAKE_BENCH_NONCE = "$(date +%s%N)";
  };
}
NIX
git -C "$flake" init -q && git -C "$flake" add -A && git -C "$flake" -c user.name=b -c user.email=b@b commit -qm bench

attr=packages.x86_64-linux.aarch64-musl
now() { date +%s.%N; }

# nix_build LABEL: times evaluation, then builds with -L, stamping every log line, and prints
# the breakdown per derivation built
nix_build() {
  local label=$1 t0 t1
  t0=$(now)
  "$here/tests/nix/real-build" --nix "$flake" eval --raw ".#$attr.drvPath" >/dev/null 2>&1
  t1=$(now)
  "$here/tests/nix/real-build" --nix "$flake" build --no-link -L ".#$attr" 2>&1 |
    python3 -u -c 'import sys, time
while True:
    line = sys.stdin.readline()
    if not line:
        break
    print(f"{time.time():.3f} {line}", end="")' >"$work/$label.log"
  python3 - "$work/$label.log" "$label" "$t0" "$t1" <<'PY'
import re, sys
log, label, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
drvs = {}  # derivation name -> {start, first, build_start, build_end, end}
prefix = {}  # log prefix (the name without its version) -> derivation name
for line in open(log):
    stamp, _, text = line.partition(" ")
    t = float(stamp)
    m = re.match(r"building '/nix/store/[a-z0-9]+-(.*)\.drv'", text)
    if m:
        name = m.group(1)
        drvs[name] = {"start": t}
        prefix[re.sub(r"-[0-9][^-]*$", "", name)] = name
        continue
    m = re.match(r"([^>\s]+)> (.*)", text)
    if not m or m.group(1) not in prefix:
        continue
    d = drvs[prefix[m.group(1)]]
    d.setdefault("first", t)
    d["end"] = t
    if "Running phase: buildPhase" in m.group(2):
        d["build_start"] = t
    elif "Running phase:" in m.group(2) and "build_start" in d and "build_end" not in d:
        d["build_end"] = t
out = open(f"{log}.summary", "w")
print(f"{label}: evaluation {t1 - t0:.1f} s", file=out)
for name, d in drvs.items():
    if "start" not in d:
        continue
    setup = d.get("first", d["start"]) - d["start"]
    build = d.get("build_end", d.get("end", d["start"])) - d.get("build_start", d.get("first", d["start"]))
    total = d.get("end", d["start"]) - d["start"]
    print(f"  {name}: sandbox setup {setup:.1f} s, build phase {build:.1f} s, whole derivation {total:.1f} s", file=out)
    if "aarch64-musl-0" in name and "-deps-" not in name:
        open(f"{log}.package-build", "w").write(f"{build:.3f}")
out.close()
PY
  cat "$work/$label.log.summary"
}

echo "== cross-hello for aarch64-musl"
nix_build "nix cold"
echo '// touched' >>"$flake/src/main.rs"
git -C "$flake" -c user.name=b -c user.email=b@b commit -qam touched
nix_build "nix warm"
nix_warm=$(cat "$work/nix warm.log.package-build")

# crossflake build on the same toolchain, zig and cargo-zigbuild, from the store
drv=$("$here/tests/nix/real-build" --nix "$flake" eval --raw ".#$attr.drvPath" 2>/dev/null)
inputs=$(nix show-derivation "$drv" | python3 -c 'import json, sys
d = next(iter(json.load(sys.stdin).values()))
print(d["env"]["nativeBuildInputs"])')
path=
for p in $inputs; do [ -d "$p/bin" ] && path=$path${path:+:}$p/bin; done
plain=$work/plain
cp -r "$here/tests/fixtures/cross-hello" "$plain"
export XDG_CACHE_HOME=$work/cache CARGO_TARGET_DIR=$work/target
(cd "$plain" && env -u RUSTC -u RUSTUP_TOOLCHAIN PATH="$path:$PATH" "$cf" build --target aarch64-musl >/dev/null 2>&1)
echo '// touched' >>"$plain/src/main.rs"
s=$(now)
(cd "$plain" && env -u RUSTC -u RUSTUP_TOOLCHAIN PATH="$path:$PATH" "$cf" build --target aarch64-musl >/dev/null 2>&1)
e=$(now)
cf_warm=$(python3 -c "print(f'{$e - $s:.3f}')")
python3 - "$nix_warm" "$cf_warm" <<'PY'
import sys
nix, cf = map(float, sys.argv[1:])
ratio = nix / cf
print(f"warm rebuild after touching main.rs: nix build phase {nix:.1f} s, crossflake build {cf:.1f} s: {ratio:.2f}x "
      + ("(goal: within 1.5x: met)" if ratio <= 1.5 else "(goal: within 1.5x: MISSED, see the breakdown above)"))
PY
