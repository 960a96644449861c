#!/usr/bin/env bash
# tests/nix/mutations.sh [CASE...]: every check of the harness can fail. Each case breaks what
# one check guards (plants the mistake the check exists for: no file to parse, a runner in a
# build closure, an unstable switch in a derivation, a stand-in setup step that fails, ...),
# runs that check at the cheapest level that exercises it, and requires the check's own failure
# message, not just a non-zero exit. Prints one line per case: what was broken, which check
# caught it, its message. The checks that run in every harness run (a planted clippy warning and
# misformatting, a package with no binary, real-build with no attribute, checks that do not
# evaluate, a failed build, unstable craneArgs) are tests/nix/real-builds.sh's steps bait,
# verify_empty, harness and refusals; this suite covers the rest. Needs the stand-ins set up
# (tests/nix/real-builds.sh runs first in scripts/test).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${CROSSFLAKE_STANDIN_DIR:-/tmp/crossflake-standin}
scratch=${CROSSFLAKE_MUTATIONS_DIR:-/tmp/crossflake-mutations}
# shellcheck source=tests/nix/standin/env.sh
source "$repo/tests/nix/standin/env.sh"
export NIX_CONFIG=$crossflake_nix_config CROSSFLAKE_STANDIN_READY=1
rm -rf "$scratch"
mkdir -p "$scratch"
start=$(date +%s)
results=()

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# caught CASE BROKEN CHECK MESSAGE OUTPUT: the case passes when OUTPUT (of a command that
# failed) holds MESSAGE
caught() {
  local case=$1 broken=$2 check=$3 message=$4 output=$5
  grep -qF -- "$message" <<<"$output" || {
    echo "$output" | tail -20 >&2
    fail "$case: $broken: $check failed without its message \`$message\`"
  }
  results+=("$case|$broken|$check|$message")
  echo "   $case: caught by $check: $message"
}

# must_fail CASE BROKEN CHECK MESSAGE COMMAND...: runs COMMAND, which must fail with MESSAGE
must_fail() {
  local case=$1 broken=$2 check=$3 message=$4 out
  shift 4
  if out=$("$@" 2>&1); then
    echo "$out" | tail -20 >&2
    fail "$case: $broken: $check passed"
  fi
  caught "$case" "$broken" "$check" "$message" "$out"
}

# an empty git repository holding only FILES (copied from this checkout, same paths)
empty_repo() {
  local dir=$scratch/$1 f
  shift
  mkdir -p "$dir"
  git -C "$dir" init -q
  for f in "$@"; do
    mkdir -p "$dir/$(dirname "$f")"
    cp -a "$repo/$f" "$dir/$f"
  done
  echo "$dir"
}

# a fixture flake (cross-hello) with extra outputs: OUTPUTS is Nix code evaluated with
# `pkgs` (x86_64-linux), `crossflake` (its lib) and `flake` (mkFlake's outputs) in scope
planted_flake() {
  local dir=$scratch/$1
  mkdir -p "$dir"
  cp -r "$repo/tests/fixtures/cross-hello/." "$dir/"
  cat >"$dir/flake.nix" <<NIX
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }:
    let
      pkgs = crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux;
      fenix = crossflake.inputs.fenix.packages.x86_64-linux;
      flake = crossflake.lib.mkFlake { inherit self; src = ./.; systems = [ "x86_64-linux" ]; };
    in
    $2;
}
NIX
  git -C "$dir" init -q
  git -C "$dir" add -A
  echo "$dir"
}

echo "== level 0 and level 1, and the Nix lint, with nothing to check"
d=$(empty_repo level0 tests/nix/parse.sh)
must_fail level0-no-files "no .nix file in the repository" "tests/nix/parse.sh" \
  "parse.sh: no .nix file found to parse" bash "$d/tests/nix/parse.sh"
d=$(empty_repo level1 tests/nix/run.sh tests/nix/run.nix nix targets.toml)
git -C "$d" add -A
must_fail level1-no-cases "no case file in tests/nix" "tests/nix/run.sh" \
  "run.sh: no case was evaluated" bash "$d/tests/nix/run.sh"
d=$(empty_repo lint scripts/lint-nix)
must_fail lint-no-files "no .nix file tracked" "scripts/lint-nix" \
  "lint-nix: git ls-files found no .nix file to lint" bash -c "cd '$d' && bash scripts/lint-nix"
mkdir -p "$scratch/not-git" && cp "$repo/scripts/lint-nix" "$scratch/not-git/"
must_fail lint-no-git "not a git checkout" "scripts/lint-nix" \
  "lint-nix: git ls-files failed" bash -c "cd '$scratch/not-git' && GIT_CEILING_DIRECTORIES='$scratch' bash lint-nix"

echo "== the sandboxed-build harness: skips, the unstable guard, the leak detector, errors with their text"
names_of() { "$repo/tests/nix/real-build" --nix "$1" eval --json .#checks.x86_64-linux --apply 'cs: builtins.mapAttrs (_: d: d.name) cs'; }
f=$(planted_flake skips 'flake // { checks.x86_64-linux = flake.checks.x86_64-linux // {
  aarch64-musl-test = pkgs.runCommand "aarch64-musl-test-skipped" { } "touch $out"; }; }')
names=$(names_of "$f") || fail "skips: the planted flake's checks do not evaluate"
must_fail skip-unexpected "aarch64-musl's test check a skip, though x86_64-linux runs it under qemu-user" \
  "tests/nix/skips.py" "FAILED skipped ['aarch64-musl'], the catalog says []" \
  python3 "$repo/tests/nix/skips.py" "$names" "$(cd "$repo" && cargo run --quiet -- targets --host x86_64-linux --json)" "$f/Cargo.toml" x86_64-linux

f=$(planted_flake unstable 'flake // { planted = {
  bootstrap = pkgs.runCommand "planted-bootstrap" { RUSTC_BOOTSTRAP = "1"; } "touch $out";
  zflag = pkgs.runCommand "planted-zflag" { RUSTFLAGS = "-C opt-level=3 -Zshare-generics=y"; } "touch $out";
  override = pkgs.runCommand "planted-override" { CARGO_BUILD_TARGET = "aarch64-unknown-linux-musl"; __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS = "nightly"; } "touch $out";
  hostOwn = pkgs.runCommand "planted-host-own" { CARGO_BUILD_TARGET = "x86_64-unknown-linux-gnu"; CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST = "true"; } "touch $out";
  shell = pkgs.mkShell { CARGO_UNSTABLE_BUILD_STD = "std"; };
}; checks.x86_64-linux = flake.checks.x86_64-linux // {
  planted = pkgs.runCommand "planted-check" { CARGO_UNSTABLE_SPARSE_REGISTRY = "true"; } "touch $out"; }; }')
for p in bootstrap:RUSTC_BOOTSTRAP "zflag:RUSTFLAGS (-Zshare-generics=y)" override:__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS; do
  must_fail "unstable-${p%%:*}" "${p#*:} in a derivation" "tests/nix/real-build's guard (unstable-guard.py)" \
    "${p#*:}" "$repo/tests/nix/real-build" "$f" "planted.${p%%:*}"
done
"$repo/tests/nix/real-build" "$f" planted.hostOwn >/dev/null 2>"$scratch/host-own.log" ||
  { cat "$scratch/host-own.log"; fail "unstable-host-own: the switch the catalog marks for the host's own triple was refused"; }
echo "   unstable-host-own: what the catalog marks for the host's own triple passes the guard"
must_fail unstable-dev-shell "CARGO_UNSTABLE_BUILD_STD in a dev shell" "the guard of real-build --nix print-dev-env" \
  "CARGO_UNSTABLE_BUILD_STD" "$repo/tests/nix/real-build" --nix "$f" print-dev-env .#planted.shell
must_fail unstable-flake-check "CARGO_UNSTABLE_SPARSE_REGISTRY in a check" "the guard of real-build --nix flake check" \
  "CARGO_UNSTABLE_SPARSE_REGISTRY" "$repo/tests/nix/real-build" --nix "$f" flake check

f=$(planted_flake leak 'flake // { planted = pkgs.runCommand "planted-closure" {
  nativeBuildInputs = [ pkgs.qemu-user fenix.targets.aarch64-unknown-linux-musl.stable.rust-std fenix.targets.wasm32-wasip1.stable.rust-std ];
} "touch $out"; }')
out=$("$repo/tests/nix/real-build" "$f" planted 2>&1) || { echo "$out" | tail -20; fail "leak: the planted derivation did not build"; }
drv=$("$repo/tests/nix/real-build" --nix "$f" eval --raw .#planted.drvPath)
closure=$(nix-store -qR --include-outputs "$drv")
out=$(python3 "$repo/tests/nix/closure-check.py" planted aarch64-unknown-linux-musl x86_64-unknown-linux-gnu <<<"$closure" 2>&1) &&
  { echo "$out"; fail "leak: closure-check.py passed a closure holding qemu-user and wasm32's std"; }
caught leak-runner "qemu-user in a build closure" "tests/nix/closure-check.py" "FAILED a runner in the closure: " "$out"
caught leak-foreign-std "wasm32-wasip1's std in aarch64-musl's build closure" "tests/nix/closure-check.py" \
  "FAILED another target's std in the closure: wasm32-wasip1" "$out"

must_fail errors-keep-text "an attribute the flake does not have" "tests/nix/real-build" \
  "does not provide attribute" "$repo/tests/nix/real-build" "$f" packages.x86_64-linux.no-such-package

echo "== the flake-parts module's comparison with mkFlake (level 2.5)"
mapfile -t tracked < <(git -C "$repo" ls-files)
d=$(empty_repo parts "${tracked[@]}")
sed -i 's/inherit (settings) targets pkgs;/inherit (settings) pkgs; targets = null;/' "$d/nix/flakeModule.nix"
grep -q 'targets = null;' "$d/nix/flakeModule.nix" || fail "parts: the divergence was not planted"
git -C "$d" add -A
must_fail parts-divergence "the module ignores perSystem.crossflake.targets" "tests/nix/flake-parts.sh" \
  "FAILED x86_64-linux packages: names differ" env CROSSFLAKE_EVALPKGS_READY=1 bash "$repo/tests/nix/flake-parts.sh" "$d"

echo "== the real-fenix step refuses a binary of another rustc"
# the fenix stand-in (Debian's rustc) in place of real fenix while the dist server answers
# (the same probe and URL as the step's: the lock's rustc for x86_64-linux)
rustc_url=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["pkg"]["rustc"]["target"]["x86_64-unknown-linux-gnu"]["url"])' "$repo/tests/fixtures/toolchain/rust-toolchain.lock.toml")
if dist_server_answers "$rustc_url"; then
  must_fail fenix-standin "the stand-in's rustc used where real fenix was asked for" "real-builds.sh's step fenix" \
    "got 'rustc version 1.96" env CROSSFLAKE_TEST_FENIX=standin CROSSFLAKE_REAL_BUILDS_DIR="$scratch/real-builds" \
    bash "$repo/tests/nix/real-builds.sh" --step fenix
else
  echo "   ## 1 fidelity check skipped: dist server unreachable (the fenix step's refusal of another rustc)"
fi

echo "== the stand-in provides only what nix/nixpkgs-facts.toml names"
# the stand-in's packages evaluated with the facts table less zig's row: zig is refused, jq is not
facts_expr() {
  echo "(import $state/nixpkgs/host-tools.nix { lib = import $state/nixpkgs/lib.nix; system = \"x86_64-linux\";
    hostTools = builtins.fromJSON (builtins.readFile $state/host-tools.json);
    facts = let f = builtins.fromTOML (builtins.readFile $repo/nix/nixpkgs-facts.toml); in f // { attrs = builtins.removeAttrs f.attrs [ \"zig\" ]; }; }).packages.$1.name"
}
nix-instantiate --eval -E "$(facts_expr jq)" >/dev/null || fail "facts: the stand-in's jq does not evaluate with its row present"
must_fail facts-row-missing "a staged package with no row in nix/nixpkgs-facts.toml" "the stand-in's host-tools.nix" \
  "nixpkgs stand-in: \`zig\` has no row in nix/nixpkgs-facts.toml" nix-instantiate --eval -E "$(facts_expr zig)"

echo "== the stand-in's setup steps fail loudly"
stage_with() { echo "STAGE_SOURCE_ONLY=1 source '$repo/tests/nix/standin/stage.sh' '$scratch/stage-state' && $1"; }
must_fail stage-missing-package "a package dpkg does not have" "stage.sh's deb_version" \
  "stage: no-such-package is not installed" bash -c "$(stage_with 'add bootstrap "$(deb_version no-such-package)"')"
must_fail stage-no-version "no version for a package" "stage.sh's add" \
  "stage: no version for bootstrap" bash -c "$(stage_with 'add bootstrap "$(deb_version no-such-package)"')"
must_fail stage-dpkg-fails "dpkg -L of a package not installed" "stage.sh's debs" \
  "stage: dpkg -L no-such-package failed" bash -c "$(stage_with "pkg='$scratch/pkg' && debs no-such-package")"
# a shell function of the stand-in stdenv's setup.sh, defined on its own
fn_of() { awk -v f="$2() {" '$0 == f {on = 1} on {print} on && $0 == "}" {exit}' "$1"; }
setup_sh=$repo/tests/nix/standin/nixpkgs/stdenv/setup.sh
mkdir -p "$scratch/prefix/bin" && cp /bin/true "$scratch/prefix/bin/tool"
must_fail strip-fails "a strip command that cannot run" "the stand-in stdenv's stripDirs" \
  "stripDirs: $scratch/no-strip could not run on $scratch/prefix/bin/tool (status 127)" \
  bash -c "$(fn_of "$setup_sh" stripDirs); prefix='$scratch/prefix'; stripDirs '$scratch/no-strip' bin -S"
# a file strip cannot handle is left as it is (nixpkgs' hook ignores it too)
out=$(bash -c "$(fn_of "$setup_sh" stripDirs); prefix='$scratch/prefix'; stripDirs false bin -S") \
  || { echo "FAIL: stripDirs stopped on a file strip cannot handle: $out" >&2; exit 1; }
case $out in *"left 1 of 1 files unstripped"*) ;; *) echo "FAIL: stripDirs did not say it left a file: $out" >&2; exit 1 ;; esac
printf '\177ELF-not-really' >"$scratch/prefix/bin/bad-elf"
out=$(bash -c "isELF() { true; }; $(fn_of "$setup_sh" patchELF); patchELF '$scratch/prefix/bin'" 2>&1)
caught patchelf-shows-why "a file patchelf cannot read" "the stand-in stdenv's patchELF" "patchELF: $scratch/prefix/bin/bad-elf left as it is" "$out"
mkdir -p "$scratch/wine/lib/wine" "$scratch/wine/share/crossflake-standin/dlls"
printf '#!/bin/sh\necho "wine: cannot create the prefix" >&2; exit 3\n' >"$scratch/wine/lib/wine/wine64"
chmod +x "$scratch/wine/lib/wine/wine64"
sed -e "s|@bash@|/usr|; s|@out@|$scratch/wine|g; s|@glibc@|/nonexistent|g" \
  "$repo/tests/nix/standin/nixpkgs/wine/wine-wrapper.sh" >"$scratch/wine/wine"
must_fail wineboot-fails "a wineboot that cannot make the prefix" "the stand-in's wine wrapper" \
  "stand-in wine: wineboot --init failed in $scratch/wine-prefix" \
  env WINEPREFIX="$scratch/wine-prefix" bash "$scratch/wine/wine" app.exe

echo "== $((${#results[@]})) cases caught, in $(($(date +%s) - start)) s"
printf '%s\n' "${results[@]}" >"$scratch/results.txt"
