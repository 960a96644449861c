#!/usr/bin/env bash
# Level 2.5: evaluates crossflake.lib.mkFlake on tests/fixtures/cross-hello (every catalog
# target) with real crane and fenix through an evaluation-only nixpkgs stand-in, on all four host
# systems, and asserts on the env each cross derivation gets (tests/nix/evalpkgs/wiring.nix).
# Also runs `nix flake show` and `nix flake check --no-build` on crossflake's own flake.
# Needs the evaluation-only nixpkgs stand-in at /tmp/evalpkgs with crane and fenix checkouts
# at the pinned revisions under /tmp/evalpkgs-src; CI has neither.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ -x /tmp/evalpkgs/nix-offline-eval ] || { echo "no evaluation stand-in at /tmp/evalpkgs" >&2; exit 1; }
export NIX_CONFIG=$'experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 2\nbuild-users-group ='
crane='git+file:///tmp/evalpkgs-src/crane?rev=2c71e194474d13de031d729b729c968ddbe3507f'
fenix='git+file:///tmp/evalpkgs-src/fenix?rev=64f11a7a106236336239646bbffccc0b80563b5c'

echo "== crossflake's own flake: show, check --no-build, every output's drvPath on every system"
/tmp/evalpkgs/nix-offline-eval "$here" flake show >/dev/null 2>&1 || /tmp/evalpkgs/nix-offline-eval "$here" flake show
/tmp/evalpkgs/nix-offline-eval "$here" flake check --no-build 2>&1 | grep -E '^error' && exit 1
for kind in packages checks devShells; do
  /tmp/evalpkgs/nix-offline-eval "$here" eval --json \
    --apply 'o: builtins.mapAttrs (_: sys: builtins.mapAttrs (_: d: d.drvPath) sys) o' ".#$kind" 2>/dev/null |
    python3 -c "import json,sys; d=json.load(sys.stdin); print('    $kind:', ', '.join(f'{s} {len(p)}' for s, p in sorted(d.items())), 'drvPaths')"
done

echo "== a project with every target: wiring assertions"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/tests/fixtures/cross-hello/." "$work/"
cp "$here/tests/nix/evalpkgs/wiring.nix" "$work/"
cat >"$work/flake.nix" <<NIX
{
  inputs.crossflake.url = "git+file://$here";
  outputs = { self, crossflake, ... }:
    let flake = crossflake.lib.mkFlake { inherit self; src = ./.; };
    in flake // { wiring = import ./wiring.nix { inherit flake; cf = crossflake.lib; lib = crossflake.inputs.nixpkgs.lib; }; };
}
NIX
git -C "$work" init -q && git -C "$work" add -A
cd "$work"
nix eval --json --no-write-lock-file \
  --override-input crossflake/nixpkgs path:/tmp/evalpkgs \
  --override-input crossflake/crane "$crane" \
  --override-input crossflake/fenix "$fenix" \
  --override-input crossflake/fenix/rust-analyzer-src path:/tmp/evalpkgs/stubs/rust-analyzer-src \
  .#wiring 2>/dev/null >"$work/result.json" || {
  nix eval --json --no-write-lock-file --show-trace \
    --override-input crossflake/nixpkgs path:/tmp/evalpkgs --override-input crossflake/crane "$crane" \
    --override-input crossflake/fenix "$fenix" \
    --override-input crossflake/fenix/rust-analyzer-src path:/tmp/evalpkgs/stubs/rust-analyzer-src .#wiring
  exit 1
}
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = 0
for system, v in r.items():
    print(f"   {system}: built {', '.join(v['built'])}; skipped {', '.join(v['skipped']) or '-'}; {len(v['failures'])} failed")
    for f in v["failures"]:
        print(f"     FAILED {f}")
    bad += len(v["failures"])
sys.exit(1 if bad else 0)
PY

echo "== a pinned channel through a toolchain lock (fenix.fromManifestFile), every host"
pinned=$(mktemp -d)
trap 'rm -rf "$work" "$pinned"' EXIT
cp -r "$work/." "$pinned/"
rm -rf "$pinned/.git"
cargo build --quiet --manifest-path "$here/Cargo.toml"
cf="$here/target/debug/crossflake"
(cd "$pinned" && "$cf" init --force --flake-url "git+file://$here" --toolchain 1.95.0 >/dev/null 2>&1 &&
  "$cf" toolchain lock --channel-manifest "$here/tests/fixtures/toolchain/channel-rust-1.95.0.toml" >/dev/null 2>&1)
git -C "$pinned" init -q && git -C "$pinned" add -A
eval_in() {
  (cd "$1" && nix eval --raw --no-write-lock-file \
    --override-input crossflake/nixpkgs path:/tmp/evalpkgs \
    --override-input crossflake/crane "$crane" \
    --override-input crossflake/fenix "$fenix" \
    --override-input crossflake/fenix/rust-analyzer-src path:/tmp/evalpkgs/stubs/rust-analyzer-src \
    "$2" "${@:3}")
}
for system in x86_64-linux aarch64-linux x86_64-darwin aarch64-darwin; do
  locked=$(eval_in "$pinned" ".#packages.$system.x86_64-musl.drvPath" 2>/dev/null)
  shell=$(eval_in "$pinned" ".#devShells.$system.default.drvPath" 2>/dev/null)
  stable=$(eval_in "$work" ".#packages.$system.x86_64-musl.drvPath" 2>/dev/null)
  [ -n "$locked" ] && [ -n "$shell" ] && [ "$locked" != "$stable" ] || { echo "   $system: FAILED (locked '$locked', stable '$stable')"; exit 1; }
  echo "   $system: toolchain from the lock evaluates (x86_64-musl $(basename "$locked"), dev shell too), differs from stable's"
done
# rust-toolchain.toml's profile: its components join the toolchain where the lock has them
docs() {
  eval_in "$pinned" ".#devShells.$1.default" --apply \
    'd: builtins.toJSON (builtins.any (p: builtins.any (q: builtins.match "rust-docs-.*" q.name != null) (p.paths or [ ])) d.nativeBuildInputs)' 2>/dev/null
}
[ "$(docs x86_64-linux)" = false ] || { echo "   rust-docs with the minimal profile init writes: FAILED"; exit 1; }
sed -i '/^profile = /d; s/^channel = .*/&\nprofile = "default"/' "$pinned/rust-toolchain.toml"
"$cf" toolchain lock --manifest-path "$pinned/Cargo.toml" \
  --channel-manifest "$here/tests/fixtures/toolchain/channel-rust-1.95.0.toml" >/dev/null 2>&1
git -C "$pinned" add -A
for system in x86_64-linux aarch64-linux x86_64-darwin aarch64-darwin; do
  [ "$(docs $system)" = true ] || { echo "   $system: profile = \"default\" brought no rust-docs: FAILED"; exit 1; }
done
echo "   profile = \"default\" adds the profile's rust-docs to the toolchain on every host; \"minimal\" (what init writes) has none"
sed -i 's/^targets = \[/targets = ["i686-unknown-linux-gnu", /' "$pinned/rust-toolchain.toml"
git -C "$pinned" add -A
if err=$(eval_in "$pinned" ".#packages.x86_64-linux.x86_64-musl.drvPath" 2>&1); then
  echo "   a stale lock evaluated: FAILED"; exit 1
fi
echo "$err" | grep -q 'does not match rust-toolchain.toml' && echo "$err" | grep -q 'crossflake toolchain lock' &&
  echo "   a stale lock stops evaluation with: $(echo "$err" | grep -o 'rust-toolchain.lock.toml does not match[^(]*')"
git -C "$pinned" rm -q --cached rust-toolchain.lock.toml && rm "$pinned/rust-toolchain.lock.toml"
if err=$(eval_in "$pinned" ".#packages.x86_64-linux.x86_64-musl.drvPath" 2>&1); then
  echo "   a pinned channel without a lock evaluated: FAILED"; exit 1
fi
echo "$err" | grep -q 'Run `crossflake toolchain lock`' &&
  echo "   a pinned channel without a lock stops evaluation with: $(echo "$err" | grep -o 'rust-toolchain.toml pins channel[^,]*')"
