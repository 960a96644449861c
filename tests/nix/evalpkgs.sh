#!/usr/bin/env bash
# Levels 2 and 2.5: crossflake's flake.lock resolves the pinned crane and fenix offline, and the
# flake evaluates with real crane and fenix through the evaluation-only nixpkgs stand-in of
# ../shared/tools/evalpkgs (set up here from ../shared/inputs): `nix flake show` and
# `nix flake check --no-build` on crossflake's own flake, every output's drvPath on all four
# host systems, the assertions of tests/nix/evalpkgs/wiring.nix on a project with every target,
# a toolchain lock on every host, and the refusals (stale lock, pinned channel without a lock,
# an old zig) with their messages. Any failing step fails the script.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/nix/evalpkgs/env.sh
source "$here/tests/nix/evalpkgs/env.sh"
evalpkgs_ready "$here"
offline_eval=/tmp/evalpkgs/nix-offline-eval
src=/tmp/evalpkgs-src
cd "$here"

# fail NAME: report and exit
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
# quiet WHAT COMMAND...: runs COMMAND, showing its output only when it fails (then stops)
quiet() {
  local what=$1 out
  shift
  out=$("$@" 2>&1) || { echo "$out" >&2; fail "$what"; }
}

echo "== level 2: flake.lock resolves the pinned crane and fenix with no network and no override"
for input in crane fenix; do
  got=$(nix eval --impure --raw --expr "(builtins.getFlake \"git+file://$here\").inputs.$input.outPath")
  want=$(nix eval --impure --raw --expr "builtins.path { path = $src/$input; name = \"source\"; }")
  [ "$got" = "$want" ] || fail "$input resolves to $got, the pinned source is $want"
  echo "   $input: $got"
done

echo "== crossflake's own flake: show, check --no-build, every output's drvPath on every system"
$offline_eval "$here" flake show >/dev/null
$offline_eval "$here" flake check --no-build
for kind in packages checks devShells; do
  $offline_eval "$here" eval --json \
    --apply 'o: builtins.mapAttrs (_: sys: builtins.mapAttrs (_: d: d.drvPath) sys) o' ".#$kind" |
    python3 -c "import json,sys; d=json.load(sys.stdin); print('    $kind:', ', '.join(f'{s} {len(p)}' for s, p in sorted(d.items())), 'drvPaths')"
done

work=$(mktemp -d)
pinned=$(mktemp -d)
results=$(mktemp -d)
trap 'rm -rf "$work" "$pinned" "$results"' EXIT
evalpkgs_overrides "$here"
# eval_in DIR ATTR [ARGS...]: nix eval --raw in the project DIR with the overrides
eval_in() {
  (cd "$1" && nix eval --raw "${overrides[@]}" "$2" "${@:3}")
}

echo "== default systems: nixpkgs 26.11 dropped x86_64-darwin; mkFlake leaves it out unless listed"
# evalpkgs, with x86_64-darwin's package set throwing as nixpkgs 26.11's does (lib/trivial.nix,
# as reported by flakes evaluated against nixos-unstable since August 2026)
dropped=$results/nixpkgs-2611
rm -rf "$dropped" && mkdir -p "$dropped"
cat >"$dropped/flake.nix" <<'NIX'
{
  inputs.base.url = "path:/tmp/evalpkgs";
  outputs = { self, base }: base // {
    legacyPackages = base.legacyPackages // {
      x86_64-darwin = throw "Nixpkgs 26.11 has dropped support for x86_64-darwin.\nThe 26.05 stable branch still supports x86_64-darwin, and will receive security fixes until the end of 2026.";
    };
  };
}
NIX
systems_dir=$results/default-systems
rm -rf "$systems_dir" && mkdir -p "$systems_dir"
cp -r "$here/tests/fixtures/cross-hello/." "$systems_dir/"
cat >"$systems_dir/flake.nix" <<'NIX'
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }: crossflake.lib.mkFlake { inherit self; src = ./.; }
    // { listed = crossflake.lib.mkFlake { inherit self; src = ./.; systems = [ "x86_64-darwin" ]; }; };
}
NIX
git -C "$systems_dir" init -q && git -C "$systems_dir" add -A
got=$(cd "$systems_dir" && nix eval --json "${overrides[@]}" --override-input crossflake/nixpkgs "path:$dropped" .#packages --apply builtins.attrNames) ||
  fail "the default systems do not evaluate against a nixpkgs without x86_64-darwin"
expect='["aarch64-darwin","aarch64-linux","x86_64-linux"]'
[ "$got" = "$expect" ] || fail "default systems: got $got, expected $expect"
(cd "$systems_dir" && nix flake show "${overrides[@]}" --override-input crossflake/nixpkgs "path:$dropped" >/dev/null 2>"$results/show.err") ||
  { cat "$results/show.err"; fail "nix flake show of a project with the default systems fails against a nixpkgs without x86_64-darwin"; }
if err=$(cd "$systems_dir" && nix eval --raw "${overrides[@]}" --override-input crossflake/nixpkgs "path:$dropped" .#listed.packages.x86_64-darwin.default.drvPath 2>&1); then
  fail "x86_64-darwin evaluated against a nixpkgs that dropped it"
fi
grep -qF "Nixpkgs 26.11 has dropped support for x86_64-darwin" <<<"$err" || fail "x86_64-darwin listed: not nixpkgs' message: $err"
echo "   default systems: $got; nix flake show passes; x86_64-darwin, when listed, stops with nixpkgs' own message"

echo "== a project with every target: wiring assertions"
cp -r "$here/tests/fixtures/cross-hello/." "$work/"
cp "$here/tests/nix/evalpkgs/wiring.nix" "$work/"
cat >"$work/flake.nix" <<'NIX'
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }:
    # x86_64-darwin is not among the default systems: listed, as a project that builds it would
    let flake = crossflake.lib.mkFlake { inherit self; src = ./.; systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ]; };
    in flake // {
      wiring = import ./wiring.nix { inherit flake self; cf = crossflake.lib; lib = crossflake.inputs.nixpkgs.lib; };
      # the same project, with a nixpkgs whose zig is older than targets.toml's [zig] min-version
      # the project's x86_64-linux packages with the craneArgs given
      withCraneArgs = craneArgs: (crossflake.lib.mkFlake { inherit self craneArgs; src = ./.; systems = [ "x86_64-linux" ]; }).packages.x86_64-linux;
      # what the library exports, for the README check
      libNames = {
        lib = builtins.attrNames crossflake.lib;
        mkLib = builtins.attrNames (crossflake.lib.mkLib crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux);
      };
      # the cargo-zigbuild the flake builds, for the toolchain it is built with
      cargoZigbuild = (crossflake.lib.mkLib crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux).cargoZigbuild;
      oldZig = (crossflake.lib.mkLib (crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux // {
        zig = crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux.zig // { version = "0.11.0"; };
      })).zig;
    };
}
NIX
# locked to the overrides and committed at a known time: a clean checkout, whose commit time the
# images take as SOURCE_DATE_EPOCH and whose commit as revision (overrides on the command line
# would leave `self` without a revision)
git -C "$work" init -q && git -C "$work" add -A
quiet "nix flake lock of the wiring project" bash -c 'cd "$1" && shift && nix flake lock "$@"' _ "$work" "${overrides[@]:1}"
git -C "$work" add -A
GIT_COMMITTER_DATE=@1700000000 GIT_AUTHOR_DATE=@1700000000 git -C "$work" -c user.name=t -c user.email=t@t commit -qm fixture
(cd "$work" && nix eval --json .#wiring) >"$results/wiring.json"
python3 - "$results/wiring.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = 0
for system, v in r.items():
    print(f"   {system}: built {', '.join(v['built'])}; skipped {', '.join(v['skipped']) or '-'}; "
          f"{v['checked']} assertions, {len(v['failures'])} failed")
    for f in v["failures"]:
        print(f"     FAILED {f}")
    bad += len(v["failures"])
    if v["checked"] < 50:
        print(f"     FAILED only {v['checked']} assertions were checked")
        bad += 1
    # the push-oci script (in its derivation's environment) runs skopeo copy --all with the
    # options given, from the image index
    script = json.loads(json.dumps(open(v["pushOci"]["drv"]).read()))
    if json.dumps(v["pushOci"]["runs"])[1:-1] not in script:
        print(f"     FAILED push-oci does not run `{v['pushOci']['runs']}`")
        bad += 1
sys.exit(1 if bad else 0)
PY
echo "== skipped test checks on every host are the catalog's (tests/nix/skips.py)"
cf=$(bash "$here/scripts/built-crossflake")
for system in x86_64-linux aarch64-linux x86_64-darwin aarch64-darwin; do
  names=$(cd "$work" && nix eval --json ".#checks.$system" --apply 'cs: builtins.mapAttrs (_: d: d.name) cs') ||
    fail "$system: the checks do not evaluate"
  python3 "$here/tests/nix/skips.py" "$names" "$("$cf" targets --host "$system" --json)" "$work/Cargo.toml" "$system" ||
    fail "$system: skipped test checks differ from the catalog's"
done
if err=$(cd "$work" && nix eval --raw .#oldZig.drvPath 2>&1); then fail "a zig older than the catalog's minimum evaluated"; fi
grep -q "nixpkgs' zig is 0.11.0, and crossflake's recipe needs zig" <<<"$err" || fail "old zig: unexpected error: $err"
echo "   a zig older than [zig] min-version stops evaluation: $(echo "$err" | grep -o "nixpkgs' zig is[^(]*")"

echo "== C dependencies (tests/fixtures/c-deps) on every linux target and host: each build, its dependencies' build and dev shell get perl, make, zig's libclang and bindgen's arguments"
# evalpkgs has no perl, and its zig names no libclang; real nixpkgs has perl, and its zig lists
# the libclang of the llvmPackages it is built with among buildInputs (pname "clang", with a
# lib output): an overlay adds both
# (outside $work, which later steps copy as a project)
cdeps=$results/c-deps
mkdir -p "$cdeps/nixpkgs"
cat >"$cdeps/nixpkgs/flake.nix" <<'NIX'
{
  inputs.evalpkgs.url = "path:/tmp/evalpkgs";
  outputs = { evalpkgs, ... }: {
    inherit (evalpkgs) lib;
    legacyPackages = builtins.mapAttrs
      (system: _: import evalpkgs {
        inherit system;
        overlays = [
          (final: prev: {
            perl = final.stdenv.mkDerivation { pname = "perl"; version = "5.40.2"; meta.mainProgram = "perl"; };
            llvmPackages = prev.llvmPackages // {
              libclang = final.stdenv.mkDerivation { pname = "clang"; version = "19.1.7"; outputs = [ "out" "lib" "dev" ]; };
            };
            zig = prev.zig // { buildInputs = [ final.llvmPackages.libclang ]; };
          })
        ];
      })
      evalpkgs.legacyPackages;
  };
}
NIX
cp -r "$here/tests/fixtures/c-deps" "$cdeps/project"
rm -rf "$cdeps/project/target"
cp "$here/tests/nix/evalpkgs/c-deps.nix" "$cdeps/project/"
linux=$(cargo run --quiet --manifest-path "$here/Cargo.toml" -- targets --json |
  python3 -c 'import json,sys; print(", ".join(json.dumps(t["alias"]) for t in json.load(sys.stdin) if t["os"] == "linux"))')
sed -i "s/^targets = .*/targets = [$linux]/" "$cdeps/project/Cargo.toml"
cat >"$cdeps/project/flake.nix" <<'NIX'
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }:
    let flake = crossflake.lib.mkFlake { inherit self; src = ./.; };
    in flake // {
      buildTools = import ./c-deps.nix { inherit flake; inherit (crossflake.inputs) nixpkgs; lib = crossflake.inputs.nixpkgs.lib; };
    };
}
NIX
git -C "$cdeps/project" init -q && git -C "$cdeps/project" add -A
(cd "$cdeps/project" && nix eval --json "${overrides[@]}" --override-input crossflake/nixpkgs "path:$cdeps/nixpkgs" .#buildTools) \
  >"$results/c-deps.json" 2>"$results/c-deps.err" || { cat "$results/c-deps.err"; fail "the c-deps project did not evaluate"; }
python3 - "$results/c-deps.json" "$(tr -cd ',' <<<"$linux" | wc -c)" <<'PY' || fail "the c-deps project's derivations lack build tools"
import json, sys
r = json.load(open(sys.argv[1]))
want = int(sys.argv[2]) + 1
bad = 0
for system, v in sorted(r.items()):
    print(f"   {system}: {', '.join(v['targets'])}: {v['checked']} assertions, {len(v['failures'])} failed")
    for f in v["failures"]:
        print(f"     FAILED {f}")
    bad += len(v["failures"])
    if len(v["targets"]) != want:
        print(f"     FAILED {len(v['targets'])} targets were checked, the catalog has {want} linux targets")
        bad += 1
sys.exit(1 if bad else 0)
PY

echo "== craneArgs: the user's pname and version win; what mkFlake or the recipe sets is refused, naming it"
got=$(cd "$work" && nix eval --json .#withCraneArgs \
  --apply 'f: let p = f { pname = "renamed"; version = "9.9.9"; }; in [ p.default.name p.aarch64-musl.name p.oci.passthru.tag ]')
[ "$got" = '["renamed-9.9.9","renamed-aarch64-musl-9.9.9","9.9.9"]' ] ||
  fail "craneArgs' pname and version: the packages are named $got"
echo "   pname and version from craneArgs: $got"
refused() { # ARGS_NIX EXPECTED_MESSAGE
  local err
  if err=$(cd "$work" && nix eval --raw .#withCraneArgs --apply "f: (f $1).aarch64-musl.drvPath" 2>&1); then
    fail "craneArgs $1 was accepted"
  fi
  grep -qF "$2" <<<"$err" || fail "craneArgs $1: unexpected error: $err"
  echo "   craneArgs $1 refused: $(echo "$err" | grep -oF "$2")"
}
refused '{ src = ./.; }' "mkFlake's craneArgs.src is not used: the source crane builds is mkFlake's \`src\` with its filter; pass \`cleanSrc\`"
refused '{ CARGO_PROFILE = "dev"; }' "mkFlake's craneArgs.CARGO_PROFILE is not used"
refused '{ CC_aarch64_unknown_linux_musl = "gcc"; }' "buildForTarget for aarch64-musl: the crane argument CC_aarch64_unknown_linux_musl is set by the target's recipe"
refused '{ cargoBuildCommand = "cargo build"; }' "the crane argument cargoBuildCommand is set by the target's recipe"

echo "== README's Library section names everything crossflake.lib and mkLib export"
(cd "$work" && nix eval --json .#libNames) >"$results/lib-names.json"
python3 - "$results/lib-names.json" "$here/README.md" <<'PY' || fail "README's Library section is out of date"
import json, re, sys
names = json.load(open(sys.argv[1]))
readme = open(sys.argv[2]).read()
section = readme.split("### Library", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
documented = set(re.findall(r"`([A-Za-z][A-Za-z0-9]*)", section))
missing = [f"{where}.{n}" for where, ns in names.items() for n in ns if n not in documented]
for m in missing:
    print(f"     FAILED README's Library section does not name {m}")
print(f"   {sum(len(v) for v in names.values())} exports, {len(missing)} undocumented")
sys.exit(1 if missing else 0)
PY

echo "== cargo-zigbuild is built with fenix's stable toolchain (its minimal profile), not a nightly"
zb=$(eval_in "$work" .#cargoZigbuild.drvPath) || fail "the flake's cargo-zigbuild does not evaluate"
zb_inputs=$(nix-store -qR "$zb" | sed 's|^/nix/store/[a-z0-9]*-||' | sort -u)
grep -q '^rust-stable-with-components-' <<<"$zb_inputs" || fail "cargo-zigbuild's build has no fenix stable toolchain: $(grep '^rust' <<<"$zb_inputs" | tr '\n' ' ')"
if grep -q 'nightly' <<<"$zb_inputs"; then fail "cargo-zigbuild's build uses a nightly toolchain: $(grep nightly <<<"$zb_inputs" | tr '\n' ' ')"; fi
echo "   $(grep '^rust-stable-with-components-' <<<"$zb_inputs" | head -1), no nightly"

echo "== a pinned channel through a toolchain lock (fenix.fromManifestFile), every host"
cp -r "$work/." "$pinned/"
rm -rf "$pinned/.git"
quiet "crossflake init --toolchain 1.95.0" "$cf" init --manifest-path "$pinned/Cargo.toml" --force --toolchain 1.95.0
quiet "crossflake toolchain lock" "$cf" toolchain lock --manifest-path "$pinned/Cargo.toml" \
  --channel-manifest "$here/tests/fixtures/toolchain/channel-rust-1.95.0.toml"
git -C "$pinned" init -q && git -C "$pinned" add -A
# (the flake.nix init writes builds lib.defaultSystems: x86_64-darwin is not among them)
for system in x86_64-linux aarch64-linux aarch64-darwin; do
  locked=$(eval_in "$pinned" ".#packages.$system.x86_64-musl.drvPath")
  shell=$(eval_in "$pinned" ".#devShells.$system.default.drvPath")
  stable=$(eval_in "$work" ".#packages.$system.x86_64-musl.drvPath")
  [ -n "$locked" ] && [ -n "$shell" ] && [ "$locked" != "$stable" ] || fail "$system: locked '$locked', stable '$stable'"
  echo "   $system: toolchain from the lock evaluates (x86_64-musl $(basename "$locked"), dev shell too), differs from stable's"
done
# rust-toolchain.toml's profile: its components join the toolchain where the lock has them
docs() {
  eval_in "$pinned" ".#devShells.$1.default" --apply \
    'd: builtins.toJSON (builtins.any (p: builtins.any (q: builtins.match "rust-docs-.*" q.name != null) (p.paths or [ ])) d.nativeBuildInputs)'
}
[ "$(docs x86_64-linux)" = false ] || fail "rust-docs with the minimal profile init writes"
sed -i '/^profile = /d; s/^channel = .*/&\nprofile = "default"/' "$pinned/rust-toolchain.toml"
quiet "crossflake toolchain lock (profile default)" "$cf" toolchain lock --manifest-path "$pinned/Cargo.toml" \
  --channel-manifest "$here/tests/fixtures/toolchain/channel-rust-1.95.0.toml"
git -C "$pinned" add -A
for system in x86_64-linux aarch64-linux aarch64-darwin; do
  [ "$(docs $system)" = true ] || fail "$system: profile = \"default\" brought no rust-docs"
done
echo "   profile = \"default\" adds the profile's rust-docs to the toolchain on every host; \"minimal\" (what init writes) has none"
sed -i 's/^targets = \[/targets = ["i686-unknown-linux-gnu", /' "$pinned/rust-toolchain.toml"
git -C "$pinned" add -A
if err=$(eval_in "$pinned" ".#packages.x86_64-linux.x86_64-musl.drvPath" 2>&1); then fail "a stale lock evaluated"; fi
grep -q 'rust-toolchain.lock.toml does not match rust-toolchain.toml' <<<"$err" || fail "stale lock: unexpected error: $err"
grep -q 'Run `crossflake toolchain lock`' <<<"$err" || fail "stale lock: the error names no fix: $err"
echo "   a stale lock stops evaluation with: $(echo "$err" | grep -o 'rust-toolchain.lock.toml does not match[^(]*')"
git -C "$pinned" rm -q --cached rust-toolchain.lock.toml && rm "$pinned/rust-toolchain.lock.toml"
if err=$(eval_in "$pinned" ".#packages.x86_64-linux.x86_64-musl.drvPath" 2>&1); then fail "a pinned channel without a lock evaluated"; fi
grep -q 'rust-toolchain.toml pins channel "1.95.0"' <<<"$err" || fail "no lock: unexpected error: $err"
grep -q 'Run `crossflake toolchain lock`' <<<"$err" || fail "no lock: the error names no fix: $err"
echo "   a pinned channel without a lock stops evaluation with: $(echo "$err" | grep -o 'rust-toolchain.toml pins channel[^,]*')"
echo "evalpkgs: all passed"
