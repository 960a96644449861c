#!/usr/bin/env bash
# tests/nix/flake-parts.sh [CROSSFLAKE_DIR]: level 2.5 for crossflake's Nix interface beyond
# mkFlake, with the real flake-parts source (../shared/inputs) and evalpkgs. A flake-parts
# consumer (tests/nix/evalpkgs/parts-consumer.nix) on two systems with different targets, an
# image name of its own and one package of its own gives, system by system, the attribute names
# and drvPaths mkFlake gives for the same settings, except that package and the formatter
# another module sets with mkDefault (as treefmt-nix does); the overlay's pkgs.crossflake is the CLI the
# checks use; the module refuses an unknown option and an unknown target with the errors users
# would see; the flake-parts template's aarch64-musl derivation is the default template's.
# CROSSFLAKE_DIR (default: this checkout) is the crossflake flake evaluated; the mutation suite
# passes a copy with a planted divergence. Needs evalpkgs set up (tests/nix/evalpkgs.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cf_dir=${1:-$here}
# shellcheck source=tests/nix/evalpkgs/env.sh
source "$here/tests/nix/evalpkgs/env.sh"
evalpkgs_ready "$here"
src=/tmp/evalpkgs-src
[ -d "$src/flake-parts" ] || { echo "FAILED: no flake-parts source in $src (evalpkgs' setup.sh unpacks it)" >&2; exit 1; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
evalpkgs_overrides "$cf_dir"
overrides+=(--override-input flake-parts "path:$src/flake-parts")
consumer=$work/consumer
mkdir -p "$consumer"
cp -r "$here/tests/fixtures/cross-hello/." "$consumer/"
rm -rf "$consumer/target"
cp "$here/tests/nix/evalpkgs/parts-consumer.nix" "$consumer/flake.nix"
git -C "$consumer" init -q && git -C "$consumer" add -A
# nix's notes on the overridden inputs go to a log, shown when something fails
log=$work/nix.log
ev() { (cd "$consumer" && nix eval "${overrides[@]}" "$@" 2>>"$log") || { tail -20 "$log" >&2; return 1; }; }

echo "== the flake-parts module against mkFlake, system by system"
ev --json .#comparison >"$work/comparison.json" 2>"$work/comparison.err" ||
  { cat "$work/comparison.err" >&2; fail "the flake-parts consumer does not evaluate"; }
if python3 - "$work/comparison.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# the one package the consumer defines itself, and the formatter another module sets
own = {("x86_64-linux", "packages"): ["aarch64-musl"],
       ("x86_64-linux", "formatter"): ["formatter"], ("aarch64-darwin", "formatter"): ["formatter"]}
bad = 0
if sorted(r) != ["aarch64-darwin", "x86_64-linux"]:
    print(f"     FAILED systems {sorted(r)}")
    bad += 1
for system, kinds in sorted(r.items()):
    line = []
    for kind, v in sorted(kinds.items()):
        m, f = v["module"], v["mkFlake"]
        if sorted(m) != sorted(f):
            print(f"     FAILED {system} {kind}: names differ: only the module's {sorted(set(m) - set(f))}, only mkFlake's {sorted(set(f) - set(m))}")
            bad += 1
            continue
        differ = sorted(k for k in m if m[k] != f[k])
        want = own.get((system, kind), [])
        if differ != want:
            print(f"     FAILED {system} {kind}: {differ} differ from mkFlake's, expected {want}")
            for k in differ:
                print(f"       {k}: module {m[k]}, mkFlake {f[k]}")
            bad += 1
        line.append(f"{kind} {len(m)}" + (f" ({', '.join(differ)} not crossflake's)" if differ else ""))
    print(f"   {system}: equal to mkFlake's: {'; '.join(line)}")
sys.exit(1 if bad else 0)
PY
then :; else fail "the module's outputs differ from mkFlake's"; fi
targets=$(ev --json .#comparison --apply 'c: builtins.mapAttrs (_: k: builtins.filter (n: n != "default" && n != "dist" && n != "app" && n != "cross-hello") (builtins.attrNames k.packages.mkFlake)) c')
echo "   packages per system (besides default, dist): $targets"
[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["x86_64-linux"] != d["aarch64-darwin"])' "$targets")" = True ] ||
  fail "the two systems were given different targets, and have the same packages: $targets"

name=$(ev --raw .#imageName) || fail "the image does not evaluate"
[ "$name" = parts-hello-oci ] || fail "crossflake.image.name = \"parts-hello\" gave the image $name"
echo "   crossflake.image.name over the image table's: $name"

echo "== the overlay: pkgs.crossflake is the CLI the checks use, pkgs.crossflakeLib is mkLib bound to that pkgs"
ev --json .#overlay >"$work/overlay.json" || fail "the overlay does not evaluate"
python3 - "$work/overlay.json" <<'PY' || fail "the overlay"
import json, sys
o = json.load(open(sys.argv[1]))
bad = 0
if o["cli"] != o["checksCli"]:
    print(f"     FAILED pkgs.crossflake is {o['cli']}, the checks use {o['checksCli']}"); bad += 1
if o["libNames"] != o["mkLibNames"]:
    print(f"     FAILED pkgs.crossflakeLib has {o['libNames']}, mkLib {o['mkLibNames']}"); bad += 1
if o["zig"][0] != o["zig"][1]:
    print(f"     FAILED pkgs.crossflakeLib.zig is {o['zig'][0]}, the overlaid pkgs' zig {o['zig'][1]}"); bad += 1
print(f"   pkgs.crossflake: {o['cli']}; crossflakeLib: {len(o['libNames'])} functions, zig {o['zig'][0].split('/')[-1]}")
sys.exit(1 if bad else 0)
PY

echo "== refusals: an unknown option, an unknown target"
refused() { # WHAT APPLY EXPECTED
  local err
  if err=$(cd "$consumer" && nix eval --raw "${overrides[@]}" .#withModule --apply "$2" 2>&1); then fail "$1 was accepted"; fi
  grep -qF -- "$3" <<<"$err" || { echo "$err" | tail -20 >&2; fail "$1: the error does not say \`$3\`"; }
  echo "   $1: $3"
}
refused "crossflake.nope = 1" 'f: (f { crossflake.nope = 1; }).packages.x86_64-linux.default.drvPath' \
  "The option \`crossflake.nope' does not exist"
refused "perSystem.crossflake.flavour" 'f: (f { perSystem.crossflake.flavour = "x"; }).packages.x86_64-linux.default.drvPath' \
  "The option \`perSystem.x86_64-linux.crossflake.flavour' does not exist"
if mk_err=$(cd "$consumer" && nix eval --raw "${overrides[@]}" .#mkFlakeTargets --apply 'f: f [ "sparc64-musl" ]' 2>&1); then fail "mkFlake took an unknown target"; fi
want=$(grep -o 'crossflake: unknown target `sparc64-musl`[^(]*' <<<"$mk_err") || fail "mkFlake's error for an unknown target: $mk_err"
refused "perSystem.crossflake.targets = [ \"sparc64-musl\" ]" \
  'f: (f ({ lib, ... }: { perSystem.crossflake.targets = lib.mkForce [ "sparc64-musl" ]; })).packages.x86_64-linux.default.drvPath' "$want"

echo "== the flake-parts template's aarch64-musl derivation against the default template's"
drv_of() { # TEMPLATE
  local d=$work/template-$1
  cp -r "$cf_dir/templates/$1" "$d"
  git -C "$d" init -q && git -C "$d" add -A
  # the default template has no flake-parts input to override: nix says so in the log
  (cd "$d" && nix eval --raw "${overrides[@]}" .#packages.x86_64-linux.aarch64-musl.drvPath 2>>"$log")
}
default_drv=$(drv_of default) || fail "the default template does not evaluate"
parts_drv=$(drv_of flake-parts) || fail "the flake-parts template does not evaluate"
[ "$default_drv" = "$parts_drv" ] ||
  fail "the flake-parts template's aarch64-musl is $parts_drv, the default template's $default_drv: build both in real-builds.sh's templates step"
echo "   the same derivation ($(basename "$parts_drv")): the templates step's build of the default template covers it"
echo "flake-parts: all passed"
