#!/usr/bin/env bash
# Level 4.5: real, sandboxed `nix build`s of crossflake flakes here (tests/nix/real-build: the
# nixpkgs and fenix stand-ins in place of nixpkgs and fenix; Nix 2.8 with its sandbox on), and
# what they built checked as a user would: each binary verified by `crossflake verify` and run
# (natively, through the glibc loader, qemu-user, wine, wasmtime), the image index read by skopeo
# and unpacked by umoci, pushed to a registry on loopback by `nix run .#push-oci`, the dev shells
# used with plain cargo, the templates, and the refusals.
#
#   tests/nix/real-builds.sh         what CI runs (about 25 minutes from an empty store):
#                                    cross-hello for aarch64-musl, x86_64-gnu (floor 2.17),
#                                    armv7-musl and wasm32-wasip1; one check of each kind; the
#                                    image index of a smaller fixture; dev shells; push-oci;
#                                    templates; a rebuild after a source change; bad input
#   tests/nix/real-builds.sh --all   and every other package and check of cross-hello (all
#                                    linux targets, each image, the index) and crossflake's own
#                                    flake
#   tests/nix/real-builds.sh --step NAME...   only those steps (the mutation suite's way in:
#                                    tests/nix/mutations.sh); the steps are listed at the end
set -euo pipefail
# a failure inside $(...) stops the script too (bash does not pass errexit into command
# substitutions by default)
shopt -s inherit_errexit
repo=$(cd "$(dirname "$0")/../.." && pwd)
all=false
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --all) all=true ;;
    --step) only+=("$2"); shift ;;
    *) echo "usage: tests/nix/real-builds.sh [--all] [--step NAME]..." >&2; exit 2 ;;
  esac
  shift
done
state=${CROSSFLAKE_STANDIN_DIR:-/tmp/crossflake-standin}
work=${CROSSFLAKE_REAL_BUILDS_DIR:-/tmp/crossflake-real-builds}
# shellcheck source=tests/nix/standin/env.sh
source "$repo/tests/nix/standin/env.sh"
export NIX_CONFIG=$crossflake_nix_config
start=$(date +%s)

step() { echo "== [$(($(date +%s) - start)) s] $*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

step "setup: Nix, build users, the stand-ins"
bash "$repo/tests/nix/standin/setup.sh" "$state"
export CROSSFLAKE_STANDIN_READY=1
mkdir -p "$work"
log=$work/nix.log
: >"$log"
# rb FLAKE ATTR...: real-build, Nix's output into $log (shown when it fails); rbnix: --nix
rb() {
  "$repo/tests/nix/real-build" "$@" 2>>"$log" || {
    tail -60 "$log" >&2
    fail "real-build $*"
  }
}
rbnix() {
  "$repo/tests/nix/real-build" --nix "$@" 2>>"$log" || {
    local rc=$?
    tail -30 "$log" >&2
    return $rc
  }
}
crossflake=$(bash "$repo/scripts/built-crossflake")
wasmtime=$(command -v wasmtime || echo "$repo/tests/support/bin/wasmtime")

# shellcheck source=tests/nix/fixtures.sh
source "$repo/tests/nix/fixtures.sh"

# verify_run TARGET BIN EXPECTED_OUTPUT RUNNER...: crossflake verify, then run it
verify_run() {
  local target=$1 bin=$2 want=$3
  shift 3
  "$crossflake" verify --target "$target" "$bin" >/dev/null || {
    "$crossflake" verify --target "$target" "$bin"
    fail "$bin is not what $target claims"
  }
  expect_eq "$target: output of $bin" "$("$@" "$bin")" "$want"
  echo "   $target: $(basename "$(dirname "$(dirname "$bin")")") verified, runs: $want"
}

# Rust 1.98 and later pass -Wl,--fix-cortex-a53-843419 on aarch64 linux: the fixture passes it
# too, so the aarch64 builds prove the pinned cargo-zigbuild filters it
hello=$(fixture cross-hello "$repo/tests/fixtures/cross-hello" \
  '{ CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS = "-C link-arg=-Wl,--fix-cortex-a53-843419"; }')

# step harness: the harness itself refuses what it cannot check: real-build with no attribute,
# checks that do not evaluate, a package build that fails (each must stop, saying why)
step_harness() {
step "the harness stops on what it cannot check"
local err
if err=$("$repo/tests/nix/real-build" "$hello" 2>&1); then fail "real-build with no attribute ran"; fi
grep -qF "real-build: name the attributes to build" <<<"$err" || fail "real-build with no attribute did not refuse: $err"
echo "   real-build with no attribute refuses: name the attributes to build"
broken=$(fixture broken "$repo/tests/fixtures/cross-hello")
sed -i 's/^targets = \[/targets = ["no-such-target", /' "$broken/Cargo.toml"
git -C "$broken" commit -qam broken
if err=$( (check_names "$broken") 2>&1); then fail "check_names went on past checks that do not evaluate"; fi
grep -qF "the checks of broken do not evaluate" <<<"$err" || fail "check_names stopped without saying why: $err"
echo "   checks that do not evaluate stop the script: the checks of broken do not evaluate"
if err=$( (build_outputs "$hello" packages.x86_64-linux.aarch64-darwin) 2>&1); then fail "a failed build did not stop build_outputs"; fi
grep -qF "FAILED: real-build $hello packages.x86_64-linux.aarch64-darwin" <<<"$err" || fail "build_outputs stopped without saying why: $err"
echo "   a failed package build stops the script where it fails"
}

# build_outputs FLAKE ATTR...: builds them, one output path per line (a failed build stops the
# script here: a command substitution, not a process substitution)
build_outputs() {
  local text
  text=$(rb "$@") || exit 1
  printf '%s\n' "$text"
}

# step packages: the fixture's packages, verified and run; what a target's build closure holds
step_packages() {
step "cross-hello: packages"
packages=(aarch64-musl x86_64-gnu armv7-musl wasm32-wasip1)
$all && packages+=(x86_64-musl riscv64-musl aarch64-gnu x86_64-windows default)
outs_text=$(build_outputs "$hello" "${packages[@]/#/packages.x86_64-linux.}")
mapfile -t outs <<<"$outs_text"
[ ${#outs[@]} -eq ${#packages[@]} ] || fail "real-build gave ${#outs[@]} output paths for ${#packages[@]} packages"
declare -A out
for i in "${!packages[@]}"; do out[${packages[$i]}]=${outs[$i]}; done
verify_run aarch64-musl "${out[aarch64-musl]}/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static
verify_run x86_64-unknown-linux-gnu.2.17 "${out[x86_64-gnu]}/bin/cross-hello" "cross-hello on x86_64: 2+3=5" env
verify_run armv7-musl "${out[armv7-musl]}/bin/cross-hello" "cross-hello on arm: 2+3=5" qemu-arm-static
verify_run wasm32-wasip1 "${out[wasm32-wasip1]}/bin/cross-hello.wasm" "cross-hello on wasm32: 2+3=5" "$wasmtime" run
if $all; then
  verify_run x86_64-musl "${out[x86_64-musl]}/bin/cross-hello" "cross-hello on x86_64: 2+3=5" env
  verify_run riscv64-musl "${out[riscv64-musl]}/bin/cross-hello" "cross-hello on riscv64: 2+3=5" qemu-riscv64-static
  verify_run aarch64-gnu "${out[aarch64-gnu]}/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static -L /usr/aarch64-linux-gnu
  verify_run x86_64-windows "${out[x86_64-windows]}/bin/cross-hello.exe" "cross-hello on x86_64: 2+3=5" \
    env WINEPREFIX="$work/wine" WINEDEBUG=-all wine
  expect_eq "host build" "$("${out[default]}/bin/cross-hello")" "cross-hello on x86_64: 2+3=5"
fi
}

# step closure: what a target's build closure holds, read from what its store paths contain:
# std for the host and the target only, and no runner (qemu-user, wine, wasmtime, crossflake's
# runner script). CLOSURE_TARGETS picks the targets (default: aarch64-musl x86_64-gnu).
step_closure() {
step "cross-hello: what each target's build closure holds"
for alias in ${CLOSURE_TARGETS:-aarch64-musl x86_64-gnu}; do
  drv=$(rbnix "$hello" eval --raw ".#packages.x86_64-linux.$alias.drvPath") || fail "$alias: its drvPath does not evaluate"
  triple=$(rbnix "$hello" eval --raw ".#packages.x86_64-linux.$alias.passthru.spec.triple") || fail "$alias: no triple"
  closure=$(nix-store -qR --include-outputs "$drv") || fail "$alias: nix-store -qR $drv failed"
  python3 "$repo/tests/nix/closure-check.py" "$alias" "$triple" x86_64-unknown-linux-gnu <<<"$closure" ||
    fail "$alias: its build closure holds another target's std or a runner"
done
}

# check_names FLAKE: the flake's x86_64-linux checks, name -> derivation name (JSON); stops
# the script when they do not evaluate
check_names() {
  rbnix "$1" eval --json .#checks.x86_64-linux --apply 'cs: builtins.mapAttrs (_: d: d.name) cs' ||
    fail "the checks of $(basename "$1") do not evaluate"
}

# step skips: the test checks that are skip derivations are exactly the fixture's targets that
# build here and have no runner here, as `crossflake targets --host x86_64-linux` says
# (evaluation only; tests/nix/evalpkgs.sh does the same on every host)
step_skips() {
step "cross-hello: skipped test checks against the catalog"
names=$(check_names "$hello")
python3 "$repo/tests/nix/skips.py" "$names" "$("$crossflake" targets --host x86_64-linux --json)" "$hello/Cargo.toml" x86_64-linux ||
  fail "skipped test checks differ from the catalog's"
}

# step checks: the fixture's checks, each with the proof its tool ran; skips against the catalog
step_checks() {
step "cross-hello: checks"
checks=(aarch64-musl-verify aarch64-musl-test aarch64-musl-clippy x86_64-gnu-test x86_64-gnu-verify wasm32-wasip1-test fmt)
if $all; then
  names=$(check_names "$hello")
  mapfile -t checks < <(python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))' <<<"$names")
fi
rb "$hello" "${checks[@]/#/checks.x86_64-linux.}" >/dev/null
# each check leaves the proof that its tool ran: its report or its log line
for c in "${checks[@]}"; do
  out=$(rbnix "$hello" eval --raw ".#checks.x86_64-linux.$c.outPath") || fail "$c: no output path"
  drv=$(rbnix "$hello" eval --raw ".#checks.x86_64-linux.$c.drvPath") || fail "$c: no drvPath"
  buildlog=$(rbnix "$hello" log "$drv") || fail "$c: no build log for $drv"
  case $c in
    # (wine's console puts escape sequences inside "test result: ok", so the
    # count is what is matched)
    *-test) grep -aq '[.] 1 passed; 0 failed' <<<"$buildlog" ||
      fail "$c: no test result in its log" ;;
    *-verify)
      python3 - "$out/verify.json" "${c%-verify}" <<'PY' || fail "$c: its report does not prove the target's claims"
import json, sys
reports, alias = json.load(open(sys.argv[1])), sys.argv[2]
claims = {c["claim"] for r in reports for c in r["checks"]}
want = {"format", "machine"} | ({"static"} if alias.endswith("musl") else set()) | ({"glibc-floor"} if alias.endswith("gnu") else set())
ok = reports and all(r["ok"] for r in reports) and want <= claims
print(f"   {alias}: verify.json: {len(reports)} binaries, claims {', '.join(sorted(claims))}")
sys.exit(0 if ok else 1)
PY
      ;;
    *-clippy) grep -aqE 'cargo (--[a-z-]+ )*clippy.* -- --deny warnings' <<<"$buildlog" ||
      fail "$c: its log shows no cargo clippy run with --deny warnings" ;;
    fmt) grep -aqE 'cargo (--[a-z-]+ )*fmt.*--check' <<<"$buildlog" ||
      fail "fmt: its log shows no cargo fmt --check run" ;;
  esac
  echo "   $c: built"
done
}

# step flake_check: `nix flake check` of the two-target fixture builds every check it has on
# x86_64-linux (each target's package, verify, test and clippy checks, and fmt), as a user's CI
# runs it; every check's output must then be in the store
step_flake_check() {
step "nix flake check of a two-target fixture builds every check"
small_fixture
local paths c p missing=0 want got
local -A out=()
# each check's output path, evaluated once: name -> path
paths=$(rbnix "$small" eval --json .#checks.x86_64-linux --apply 'cs: builtins.mapAttrs (_: d: d.outPath) cs') ||
  fail "the checks of $(basename "$small") do not evaluate"
got=$(python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))' <<<"$paths")
want="aarch64-musl aarch64-musl-clippy aarch64-musl-test aarch64-musl-verify fmt x86_64-musl x86_64-musl-clippy x86_64-musl-test x86_64-musl-verify"
expect_eq "the two-target fixture's checks" "$got" "$want"
while read -r c p; do out[$c]=$p; done < <(python3 -c 'import json,sys; [print(k, v) for k, v in json.load(sys.stdin).items()]' <<<"$paths")
for c in $got; do
  [ -e "${out[$c]}" ] || missing=$((missing + 1))
done
rbnix "$small" flake check || fail "nix flake check of $small"
for c in $got; do
  [ -e "${out[$c]}" ] || fail "nix flake check passed without building $c (${out[$c]} is not in the store)"
done
echo "   nix flake check passed, every check built ($missing of them by this run): $got"
}

# step verify_empty: a package with no binary fails its verify check, saying so
step_verify_empty() {
step "a package with no binary: its verify check fails"
nobin=$(fixture no-binary "$repo/tests/fixtures/cross-hello" '{ installPhaseCommand = "mkdir -p $out/bin"; }')
if "$repo/tests/nix/real-build" "$nobin" checks.x86_64-linux.aarch64-musl-verify >"$work/nobin.log" 2>&1; then
  fail "aarch64-musl-verify passed with no binary to verify"
fi
grep -aqF "crossflake: aarch64-musl-verify: " "$work/nobin.log" && grep -aqF "holds no binary, and the project has binary targets" "$work/nobin.log" ||
  { tail -20 "$work/nobin.log"; fail "aarch64-musl-verify of a package with no binary failed without saying why"; }
echo "   a package with no binary: aarch64-musl-verify fails, saying so"
}

# step bait: checks that must fail on planted mistakes
step_bait() {
step "checks that must fail: a clippy warning and a misformatted line planted in a copy of the fixture"
bait=$(fixture bait "$repo/tests/fixtures/cross-hello")
cat >>"$bait/src/main.rs" <<'RS'

#[allow(dead_code)]
fn crossflake_bait() -> i32 {
    return 1;
}
RS
printf '#[allow(dead_code)]\nfn   crossflake_misformatted( ) {}\n' >>"$bait/build.rs"
git -C "$bait" commit -qam bait
# must_fail ATTR MESSAGE: the check's build fails, its log naming MESSAGE
must_fail() {
  if "$repo/tests/nix/real-build" "$bait" "checks.x86_64-linux.$1" >"$work/bait.log" 2>&1; then
    fail "$1 passed with the planted mistake"
  fi
  grep -aqF "$2" "$work/bait.log" || { tail -30 "$work/bait.log"; fail "$1 failed, but not with \`$2\`"; }
  echo "   $1 fails: $2"
}
must_fail aarch64-musl-clippy "clippy::needless_return"
must_fail fmt "crossflake_misformatted"
}

# step cdeps: C dependencies
step_cdeps() {
step "C dependencies: bindgen (libclang, zig's headers for the target), OpenSSL (perl, make), aws-lc, SQLite and zstd for aarch64-musl"
# the fixture's Cargo.lock has openssl-src, whose build runs perl and make, and bindgen: its
# builds get those two, libclang (the one zig was built with), LIBCLANG_PATH and
# BINDGEN_EXTRA_CLANG_ARGS_<triple>; bindgen-answer's header includes <sys/types.h>, which
# only zig's headers for the target provide in the sandbox (under `cargo zigbuild`, through the
# bindgen arguments cargo-zigbuild sets; the dev shell's are crossflake's)
cdeps=$(fixture c-deps "$repo/tests/fixtures/c-deps")
cbin=$(rb "$cdeps" packages.x86_64-linux.aarch64-musl)
# the package derivation reuses the dependencies' build: no C library is built again there. (With
# RANLIB_<triple> set only by cargo-zigbuild, openssl-sys's build script reran, rebuilding
# OpenSSL, at every switch between crane's plain `cargo check`/`cargo test` and `cargo zigbuild`.)
rbnix "$cdeps" log "$(rbnix "$cdeps" eval --raw .#packages.x86_64-linux.aarch64-musl.drvPath)" >"$work/c-deps-package.log" 2>&1 ||
  fail "no build log for the c-deps package"
if grep -aE 'Compiling.* (openssl-sys|aws-lc-sys|libsqlite3-sys|zstd-sys) v' "$work/c-deps-package.log"; then
  fail "the c-deps package derivation built a C dependency again, which its dependencies' derivation had built"
fi
grep -aqE 'Compiling.* openssl-sha256 v' "$work/c-deps-package.log" || fail "the c-deps package's log does not show its own crates: $(tail -n 5 "$work/c-deps-package.log")"
echo "   the package derivation built only the workspace's crates (OpenSSL, aws-lc, SQLite, zstd came from the dependencies' derivation)"
verify_run aarch64-musl "$cbin/bin/bindgen-answer" "bindgen: answer = 42" qemu-aarch64-static
abc="sha256(abc) = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" # FIPS 180-2, appendix B.1
for bin in "aws-lc-sha256:aws-lc: $abc" "openssl-sha256:OpenSSL 3.*: $abc" \
  "sqlite-query:sqlite 3.*: 42 39" "zstd-roundtrip:zstd: 2752 -> * bytes and back"; do
  "$crossflake" verify --target aarch64-musl "$cbin/bin/${bin%%:*}" >/dev/null || fail "${bin%%:*} is not a static aarch64 binary"
  got=$(qemu-aarch64-static "$cbin/bin/${bin%%:*}")
  # shellcheck disable=SC2053
  [[ $got == ${bin#*:}* ]] || fail "${bin%%:*}: got '$got', expected '${bin#*:}'"
  echo "   aarch64-musl: ${bin%%:*} verified, runs: $got"
done
rbnix "$cdeps" print-dev-env .#aarch64-musl >"$work/shell-c-deps.sh"
env -i HOME="$work/home" bash -c "source '$work/shell-c-deps.sh' >/dev/null &&
  [ -e \"\$LIBCLANG_PATH/libclang.so\" ] && command -v perl make >/dev/null && printenv BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_musl" >"$work/c-deps-shell.log" 2>&1 ||
  { cat "$work/c-deps-shell.log"; fail "the c-deps aarch64-musl dev shell lacks LIBCLANG_PATH or bindgen's include arguments"; }
grep -q -- '-nostdlibinc -isystem .*/libc/include/aarch64-linux-musl' "$work/c-deps-shell.log" ||
  fail "the c-deps dev shell's BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_musl: $(cat "$work/c-deps-shell.log")"
echo "   dev shell: LIBCLANG_PATH holds libclang.so, bindgen gets zig's aarch64-linux-musl headers"
}

# step image: the image index of a smaller fixture
step_image() {
step "a smaller fixture: the image index (aarch64-musl, x86_64-musl) through skopeo and umoci"
small_fixture
index=$(rb "$small" packages.x86_64-linux.oci)
skopeo inspect --raw "oci:$index:0.1.0" >"$work/index.json"
python3 - "$work/index.json" <<'PY' || fail "the image index does not hold both platforms"
import json, sys
m = json.load(open(sys.argv[1]))
platforms = sorted(f'{d["platform"]["os"]}/{d["platform"]["architecture"]}' for d in m["manifests"])
assert m["mediaType"] == "application/vnd.oci.image.index.v1+json", m["mediaType"]
assert platforms == ["linux/amd64", "linux/arm64"], platforms
print(f"   image index: {', '.join(platforms)}")
PY
for arch in arm64 amd64; do
  rm -rf "$work/img-$arch" "$work/unpacked-$arch"
  skopeo --override-arch "$arch" copy -q "oci:$index:0.1.0" "oci:$work/img-$arch:0.1.0"
  umoci unpack --image "$work/img-$arch:0.1.0" "$work/unpacked-$arch" >/dev/null
done
expect_eq "arm64 image's binary" "$(qemu-aarch64-static "$work/unpacked-arm64/rootfs/usr/local/bin/cross-hello")" "cross-hello on aarch64: 2+3=5"
expect_eq "amd64 image's binary" "$("$work/unpacked-amd64/rootfs/usr/local/bin/cross-hello")" "cross-hello on x86_64: 2+3=5"
echo "   each platform unpacks with umoci and its binary runs"
}

# step dist: packages.dist
step_dist() {
step "packages.dist: the Nix builds packed as crossflake dist names and lays them out"
small_fixture
dist=$(rb "$small" packages.x86_64-linux.dist)
expect_eq "dist files" "$(cd "$dist" && echo *)" \
  "SHA256SUMS cross-hello-aarch64-unknown-linux-musl-v0.1.0.tar.gz cross-hello-x86_64-unknown-linux-musl-v0.1.0.tar.gz crossflake-dist.json"
(cd "$dist" && sha256sum -c --strict --quiet SHA256SUMS) || fail "sha256sum -c in $dist"
rm -rf "$work/dist-unpacked" && mkdir -p "$work/dist-unpacked"
for triple in aarch64-unknown-linux-musl x86_64-unknown-linux-musl; do
  stem=cross-hello-$triple-v0.1.0
  expect_eq "$stem.tar.gz" "$(tar -tzf "$dist/$stem.tar.gz" | tr '\n' ' ')" "$stem/ $stem/LICENSE $stem/README.md $stem/cross-hello "
  tar -xzf "$dist/$stem.tar.gz" -C "$work/dist-unpacked"
done
expect_eq "aarch64 binary from its archive" "$(qemu-aarch64-static "$work/dist-unpacked/cross-hello-aarch64-unknown-linux-musl-v0.1.0/cross-hello")" "cross-hello on aarch64: 2+3=5"
expect_eq "x86_64 binary from its archive" "$("$work/dist-unpacked/cross-hello-x86_64-unknown-linux-musl-v0.1.0/cross-hello")" "cross-hello on x86_64: 2+3=5"
python3 - "$dist/crossflake-dist.json" "$(cd "$small" && git log -1 --format=%ct)" <<'PY' || fail "crossflake-dist.json of packages.dist"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["source-date-epoch"] == int(sys.argv[2]), (m["source-date-epoch"], sys.argv[2])
archives = [a for a in m["artifacts"] if a["kind"] == "archive"]
got = sorted((a["target"], a["triple"], a["package"], a["version"], a["binaries"][0]["verified"]) for a in archives)
assert got == [("aarch64-musl", "aarch64-unknown-linux-musl", "cross-hello", "0.1.0", True),
               ("x86_64-musl", "x86_64-unknown-linux-musl", "cross-hello", "0.1.0", True)], got
print("   crossflake-dist.json: both archives, verified binaries, the commit's date")
PY
}

# step push: push-oci into a registry on loopback
step_push() {
step "push-oci: nix run .#push-oci into a registry on 127.0.0.1, pulled back with the same digests"
small_fixture
index=$(rb "$small" packages.x86_64-linux.oci)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work/registry/data" "$port" >"$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" &
registry=$!
trap 'kill $registry 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
rbnix "$small" run .#push-oci -- "127.0.0.1:$port/small:0.1.0" --dest-tls-verify=false >/dev/null
expect_eq "pushed index" "$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/small:0.1.0" | sha256sum)" \
  "$(skopeo inspect --raw "oci:$index:0.1.0" | sha256sum)"
echo "   the registry serves the index with the same digest"
kill $registry
trap - EXIT
}

# step cache: a signed round trip through a binary cache on 127.0.0.1. The smaller fixture gets
# the cache from `crossflake cache set` (Cargo.toml's metadata and flake.nix's nixConfig; crane's
# dependency build drops the metadata, so only the package is built again), its aarch64-musl
# package is signed with a key from `nix key generate-secret` and copied into a file cache served
# over HTTP, deleted from the store, and brought back by `nix build --max-jobs 0` through the
# flake's own nixConfig. Then the same with the cache signed by another key, with NAR bytes
# altered after signing, and with the narinfo's NarHash edited to match the altered NAR.
step_cache() {
step "binary cache: signed, served on 127.0.0.1, substituted back through the flake's nixConfig"
small_fixture
local c=$work/cached out port url server try_log
rm -rf "$c" "$work/cache" && mkdir -p "$work/cache"
cp -a "$small" "$c"
nix key generate-secret --key-name crossflake-test-1 >"$work/cache/key.sec"
nix key convert-secret-to-public <"$work/cache/key.sec" >"$work/cache/key.pub"
nix key generate-secret --key-name someone-else-1 >"$work/cache/other.sec"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# the project's setting: the flake.nix is the fixture's own, so --force
"$crossflake" cache set --manifest-path "$c/Cargo.toml" --force --kind http --url "$url" \
  --public-key "$(cat "$work/cache/key.pub")" >/dev/null 2>&1 || fail "crossflake cache set"
grep -qF "extra-substituters = [ \"$url\" ];" "$c/flake.nix" || fail "flake.nix has no nixConfig for $url"
git -C "$c" add -A && git -C "$c" commit -qm "the binary cache"
out=$(rb "$c" packages.x86_64-linux.aarch64-musl)
# input-addressed: built from its derivation, no content address
python3 - "$(nix path-info --json "$out")" <<'PY' || fail "$out is not an input-addressed build output"
import json, sys
info = json.loads(sys.argv[1])[0]
assert info.get("deriver") and "ca" not in info, info
PY
# three caches: signed with the project's key, with another key, and the first one tampered with
nix copy --to "file://$work/cache/good?secret-key=$work/cache/key.sec&compression=none" "$out"
nix copy --to "file://$work/cache/other?secret-key=$work/cache/other.sec&compression=none" "$out"
cp -r "$work/cache/good" "$work/cache/altered"
# the package's own narinfo and NAR there (the cache holds its whole closure)
local narinfo nar
narinfo=$work/cache/altered/$(basename "$out" | cut -d- -f1).narinfo
[ -f "$narinfo" ] || fail "no narinfo for $out in the cache"
nar=$work/cache/altered/$(sed -n 's/^URL: //p' "$narinfo")
[ -f "$nar" ] || fail "no NAR for $out in the cache ($narinfo)"
python3 - "$nar" <<'PY'
import sys
path = sys.argv[1]
nar = bytearray(open(path, "rb").read())
i = nar.index(b"\x7fELF") + 64  # a byte of the binary's first program header
nar[i] ^= 0xFF
open(path, "wb").write(nar)
PY
ln -sfn good "$work/cache/served"
python3 -m http.server --bind 127.0.0.1 --directory "$work/cache/served" "$port" >"$work/cache/server.log" 2>&1 &
server=$!
# (expanded now: the trap runs after this function's locals are gone)
trap "kill $server 2>/dev/null || true" EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
# pull CACHE: $out gone from the store, nix build --max-jobs 0 with CACHE served (a fresh narinfo
# cache each time, so no answer is remembered from the last); its log in $try_log
try_log=$work/cache/pull.log
# valid: $out is in the store as a path Nix holds (a substitute refused part-way can leave an
# invalid one on disk, which Nix replaces or collects)
valid() { nix-store --check-validity "$out" 2>/dev/null; }
pull() {
  if valid; then nix store delete "$out" >/dev/null 2>&1 || fail "could not delete $out from the store"; fi
  if valid; then fail "$out is still in the store"; fi
  ln -sfn "$1" "$work/cache/served"
  rm -rf "$work/cache/xdg"
  XDG_CACHE_HOME=$work/cache/xdg REAL_BUILD_ARGS="--max-jobs 0 --accept-flake-config" \
    "$repo/tests/nix/real-build" "$c" packages.x86_64-linux.aarch64-musl >"$work/cache/pulled" 2>"$try_log"
}
pull good || { cat "$try_log"; fail "nix build --max-jobs 0 did not bring $out back from $url"; }
expect_eq "the substituted output path" "$(cat "$work/cache/pulled")" "$out"
grep -qF "copying path '$out' from '$url'" "$try_log" || fail "$out was not substituted from $url: $(cat "$try_log")"
if grep -q "^building '" "$try_log"; then fail "something was built: $(grep "^building '" "$try_log")"; fi
echo "   substituted from $url through flake.nix's nixConfig: nothing built, the same output path"
verify_run aarch64-musl "$out/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static
# refusals: expect_refused CACHE WHAT MESSAGE
expect_refused() {
  if pull "$1"; then fail "$2: nix build substituted it"; fi
  if valid; then fail "$2: $out is in the store"; fi
  grep -qF "$3" "$try_log" || fail "$2: no \"$3\" in: $(tail -5 "$try_log")"
  echo "   $2: refused with: $3"
}
expect_refused other "signed by another key" \
  "warning: the substitute for '$out' from '$url' is not signed by any of the keys in 'trusted-public-keys'"
# the same with `nix copy --from`, which reports it as the store does
ln -sfn other "$work/cache/served"
rm -rf "$work/cache/xdg"
if XDG_CACHE_HOME=$work/cache/xdg nix copy --from "$url" --option trusted-public-keys "$(cat "$work/cache/key.pub")" "$out" 2>"$try_log"; then
  fail "nix copy --from took a path signed by another key"
fi
grep -qF "error: cannot add path '$out' because it lacks a valid signature" "$try_log" || fail "nix copy --from: $(cat "$try_log")"
echo "   nix copy --from the same cache: cannot add path because it lacks a valid signature"
expect_refused altered "NAR bytes altered after signing" "error: hash mismatch importing path '$out'"
# NarHash edited to match the altered NAR: the signature no longer holds
altered_hash=$(nix hash file --type sha256 --base32 "$nar")
sed -i "s|^NarHash: .*|NarHash: sha256:$altered_hash|" "$narinfo"
expect_refused altered "NarHash edited to match the altered NAR" \
  "warning: the substitute for '$out' from '$url' is not signed by any of the keys in 'trusted-public-keys'"
# leave the output in the store for the steps after this one
pull good || fail "the output did not come back"
kill $server
trap - EXIT
}

# step ci: the commands of the workflow `crossflake ci` writes for the smaller fixture, run as
# GitHub would run them (tests/nix/ci-run.py)
step_ci() {
step "crossflake ci: the generated workflow's gates, one build entry and the tag job, run here"
small_fixture
python3 "$repo/tests/nix/ci-run.py" "$crossflake" "$small" "$work/ci-run" || fail "the generated workflow's commands"
}

# step shells: dev shells with plain cargo
step_shells() {
step "dev shells: plain cargo in a clean shell from nix print-dev-env"
rm -rf "$work/home"
rbnix "$hello" print-dev-env .#aarch64-musl >"$work/shell-aarch64-musl.sh"
rbnix "$hello" print-dev-env .#wasm32-wasip1 >"$work/shell-wasm32-wasip1.sh"
rbnix "$hello" print-dev-env .#default >"$work/shell-default.sh"
rbnix "$hello" print-dev-env .#armv7-musl >"$work/shell-armv7-musl.sh"
# a PyPI ziglang on PATH (cargo-zigbuild tries `python3 -m ziglang` before `zig`) must change
# nothing: this python3 claims one, of another version, and fails when cargo-zigbuild runs it
mkdir -p "$work/pypi-ziglang"
cat >"$work/pypi-ziglang/python3" <<'SH'
#!/bin/sh
if [ "$1 $2 $3" = "-m ziglang version" ]; then echo 0.16.0; exit 0; fi
echo "PyPI ziglang on PATH was run: python3 $*" >&2
exit 1
SH
chmod +x "$work/pypi-ziglang/python3"
for t in aarch64-musl armv7-musl wasm32-wasip1; do
  triple=$(grep -o "CARGO_BUILD_TARGET='[^']*'" "$work/shell-$t.sh" | cut -d"'" -f2)
  rm -rf "$work/dev-$t" && cp -r "$repo/tests/fixtures/cross-hello" "$work/dev-$t"
  env -i HOME="$work/home" bash -c "source '$work/shell-$t.sh' >/dev/null && export PATH='$work/pypi-ziglang':\$PATH && cd '$work/dev-$t' &&
    cargo build --target $triple --profile crossflake && cargo test --target $triple --profile crossflake" >"$work/dev-$t.log" 2>&1 ||
    { tail -30 "$work/dev-$t.log"; fail "cargo build/test in the $t dev shell"; }
  grep -q 'test tests::c_code_runs_on_the_target ... ok' "$work/dev-$t.log" || fail "$t dev shell: no test ran"
  grep -q 'PyPI ziglang on PATH was run' "$work/dev-$t.log" && fail "$t dev shell: cargo-zigbuild ran the PyPI ziglang on PATH"
  echo "   $t: cargo build and cargo test (under the runner) pass, a PyPI ziglang first on PATH unused"
done
env -i HOME="$work/home" bash -c "source '$work/shell-default.sh' >/dev/null && command -v zig && command -v cargo-zigbuild && command -v crossflake &&
  [ \"\$CARGO_ZIGBUILD_ZIG_COMMAND\" = \"\$(command -v zig)\" ] && [[ \$(command -v wine) == /nix/store/* ]]" >/dev/null ||
  fail "the default dev shell lacks zig, cargo-zigbuild, crossflake or wine (cross-hello has a windows target), or cargo-zigbuild is not pinned to its zig"
echo "   default: zig (cargo-zigbuild's, CARGO_ZIGBUILD_ZIG_COMMAND), cargo-zigbuild, crossflake and wine on PATH"
# the runners in the default shell are those of the project's targets: no wine without a
# windows target
small_fixture
rbnix "$small" print-dev-env .#default >"$work/shell-small-default.sh"
# (print-dev-env appends bash's default PATH, where this machine's own wine may be: only the
# store's count)
env -i HOME="$work/home" bash -c "source '$work/shell-small-default.sh' >/dev/null &&
  [[ \$(command -v qemu-aarch64) == /nix/store/* ]] && [[ \$(command -v wine) != /nix/store/* ]] && [[ \$(command -v wasmtime) != /nix/store/* ]]" >/dev/null ||
  fail "the default dev shell of a project with aarch64-musl and x86_64-musl lacks qemu-aarch64 or has wine or wasmtime from the store"
echo "   default shell of a musl-only project: qemu-user, no wine, no wasmtime"
}

# step templates: the templates
step_templates() {
step "templates: nix flake init (which greets), then nix build .#aarch64-musl"
for t in default workspace flake-parts; do
  d=$work/template-$t
  rm -rf "$d" && mkdir -p "$d"
  (cd "$d" && nix flake init -t "git+file://$repo#$t" >"$work/init-$t.log" 2>&1 && git init -q && git add -A) ||
    { cat "$work/init-$t.log"; fail "nix flake init -t #$t"; }
  # the template's welcomeText: what was created and the next commands
  for line in "crossflake: static cross builds for every platform" "nix build .#aarch64-musl" "nix develop"; do
    grep -qF "$line" "$work/init-$t.log" || { cat "$work/init-$t.log"; fail "template $t: nix flake init did not print \`$line\`"; }
  done
  if [ "$t" = flake-parts ]; then
    # the same derivation as the default template's is not built twice
    drv=$("$repo/tests/nix/real-build" --nix "$d" eval --raw .#packages.x86_64-linux.aarch64-musl.drvPath)
    default_drv=$("$repo/tests/nix/real-build" --nix "$work/template-default" eval --raw .#packages.x86_64-linux.aarch64-musl.drvPath)
    if [ "$drv" = "$default_drv" ]; then
      echo "   $t: aarch64-musl is the default template's derivation ($(basename "$drv")), built above"
      continue
    fi
  fi
  bin=$(rb "$d" packages.x86_64-linux.aarch64-musl)
  "$crossflake" verify --target aarch64-musl "$bin"/bin/* >/dev/null || fail "template $t: not a static aarch64 binary"
  echo "   $t: $(qemu-aarch64-static "$bin"/bin/*)"
done
}

# step rebuild: a source change rebuilds only the project's crates
step_rebuild() {
step "a source change rebuilds only the project's crates"
echo "// touched $(date +%s%N)" >>"$hello/src/main.rs"
git -C "$hello" commit -qam touched
"$repo/tests/nix/real-build" "$hello" packages.x86_64-linux.aarch64-musl >/dev/null 2>"$work/rebuild.log" || { cat "$work/rebuild.log"; fail "rebuild"; }
built=$(grep -c "^building '" "$work/rebuild.log" || true)
grep -q "^building '.*-deps-" "$work/rebuild.log" && fail "the dependency build was rebuilt"
expect_eq "derivations rebuilt after touching main.rs" "$built" 1
echo "   1 derivation rebuilt (the package); the dependency build was reused"
}

# step refusals: bad input refused at evaluation
step_refusals() {
step "bad input is refused at evaluation with the fix"
# refuse DIR ATTR MESSAGE
refuse() {
  local err
  if err=$("$repo/tests/nix/real-build" --nix "$1" eval --raw ".#$2.drvPath" 2>&1); then fail "$2 in $(basename "$1") evaluated"; fi
  grep -qF "$3" <<<"$err" || fail "$2 in $(basename "$1"): expected \`$3\` in: $err"
  echo "   $(basename "$1"): $3"
}
nolock=$(fixture no-lock "$repo/tests/fixtures/cross-hello")
git -C "$nolock" rm -q --cached Cargo.lock
refuse "$nolock" packages.x86_64-linux.aarch64-musl "crossflake: the flake's source has no Cargo.lock"
if "$repo/tests/nix/real-build" "$hello" packages.x86_64-linux.aarch64-darwin >/dev/null 2>"$work/darwin.log"; then fail "aarch64-darwin built on x86_64-linux"; fi
grep -qF "crossflake: aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin; build it on one of those hosts" "$work/darwin.log" ||
  fail "aarch64-darwin on x86_64-linux: $(cat "$work/darwin.log")"
echo "   nix build .#aarch64-darwin on x86_64-linux stops with: builds only on x86_64-darwin, aarch64-darwin"
locked=$(fixture locked "$repo/tests/fixtures/cross-hello")
(cd "$locked" && "$crossflake" init --force --toolchain 1.95.0 >/dev/null &&
  "$crossflake" toolchain lock --channel-manifest "$repo/tests/fixtures/toolchain/channel-rust-1.95.0.toml" >/dev/null)
python3 - "$locked/rust-toolchain.lock.toml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(?ms)^\[pkg\.rust-std\.target\.aarch64-unknown-linux-musl\]\n.*?(?=^\[)', '', s)
open(p, "w").write(s)
PY
git -C "$locked" add -A && git -C "$locked" commit -qm lock
refuse "$locked" packages.x86_64-linux.aarch64-musl "rust-toolchain.lock.toml has no rust-std for aarch64-unknown-linux-musl; run \`crossflake toolchain lock\`"
# an unstable feature switched on through craneArgs
unstable=$(fixture unstable "$repo/tests/fixtures/cross-hello" '{ RUSTC_BOOTSTRAP = "1"; }')
refuse "$unstable" packages.x86_64-linux.aarch64-musl "crossflake: mkFlake's craneArgs: RUSTC_BOOTSTRAP turn(s) on unstable cargo or rustc features"
}

# step builders: Nix's own remote builds. A builder on 127.0.0.1 (tests/nix/remote-builder.sh:
# Debian's sshd, a builder user with its own key, Nix configuration and store) builds the smaller
# fixture's two packages, with a per-run nonce in their source, under `--max-jobs 0`: the outputs
# were absent here before, sshd accepted the builder's key, the builder's store holds the outputs
# and their build logs, and this store then holds the same paths, which verify and run. Then
# `crossflake doctor --builders` on that builder, on one that refuses the key, one that is down
# and one of another system; a build whose only builder has another system fails with Nix's
# message and leaves no output here.
step_builders() {
step "remote builders: the smaller fixture built on a builder over ssh on 127.0.0.1"
small_fixture
# shellcheck source=tests/nix/remote-builder.sh
source "$repo/tests/nix/remote-builder.sh"
trap builder_stop EXIT
builder_start "$work/builder"
echo "   builder: sshd on 127.0.0.1:$builder_port, user $builder_user, store $builder_store"
local r=$work/remote nonce attrs triples outs out drv a err
nonce=$(date +%s%N)
rm -rf "$r" && cp -a "$small" "$r"
echo "// remote builder run $nonce" >>"$r/src/main.rs"
git -C "$r" commit -qam "nonce $nonce"
attrs=(aarch64-musl x86_64-musl) triples=(aarch64-unknown-linux-musl x86_64-unknown-linux-musl)
builder_probe || fail "the builder's sandbox probe"
echo "   the builder's sandbox is on (its probe built there)"
outs=()
for a in "${attrs[@]}"; do
  out=$(rbnix "$r" eval --raw ".#packages.x86_64-linux.$a.outPath") || fail "$a: no output path"
  if nix-store --check-validity "$out" 2>/dev/null; then fail "$out is in the local store before the build"; fi
  outs+=("$out")
done
echo "   before: ${#outs[@]} output paths absent here"
# what a builder is chosen by: every derivation of both packages has the host's system (or is
# one of Nix's builtins) and asks for no system feature
rbnix "$r" show-derivation -r "${attrs[@]/#/.#packages.x86_64-linux.}" >"$work/remote-drvs.json" ||
  fail "nix show-derivation of the packages"
python3 - "$work/remote-drvs.json" <<'PY' || fail "a derivation of the packages would not go to an x86_64-linux builder"
import json, sys
drvs = json.load(open(sys.argv[1]))
bad = {p: (d["system"], d["env"].get("requiredSystemFeatures")) for p, d in drvs.items()
       if d["system"] not in ("x86_64-linux", "builtin") or d["env"].get("requiredSystemFeatures")}
assert not bad, bad
print(f"   {len(drvs)} derivations: system x86_64-linux (or builtin), no requiredSystemFeatures")
PY
REAL_BUILD_ARGS="--builders @$builder_machines --max-jobs 0" "$repo/tests/nix/real-build" "$r" \
  "${attrs[@]/#/packages.x86_64-linux.}" >/dev/null 2>"$work/remote-build.log" ||
  { tail -40 "$work/remote-build.log"; fail "the remote build"; }
grep -qF "Accepted publickey for $builder_user from 127.0.0.1" "$builder_log" ||
  fail "sshd's log has no accepted key for $builder_user: $(tail -5 "$builder_log")"
for i in "${!attrs[@]}"; do
  a=${attrs[$i]} out=${outs[$i]}
  drv=$(rbnix "$r" eval --raw ".#packages.x86_64-linux.$a.drvPath") || fail "$a: no drvPath"
  grep -qF "building '$drv' on 'ssh-ng://$builder_user@127.0.0.1'" "$work/remote-build.log" ||
    fail "$a: Nix did not build $drv on the builder: $(grep -F "$drv" "$work/remote-build.log" | head -3)"
  builder_nix path-info "$out" >/dev/null || fail "$a: the builder's store does not hold $out"
  # grep reads the whole log (-q would close the pipe early, and pipefail see nix fail)
  builder_nix log "$out" 2>"$work/remote-log.err" | grep -F "cargo zigbuild --target ${triples[$i]} " >/dev/null ||
    fail "$a: the builder's store has no build log for $out (with its cargo zigbuild run)"
  nix store verify --no-trust "$out" 2>"$work/remote-verify.log" || fail "$a: $out does not verify here: $(cat "$work/remote-verify.log")"
  expect_eq "$a: NAR hash here and on the builder" "$(nar_hash nix "$out")" "$(nar_hash builder_nix "$out")"
  echo "   $a: built on the builder ($drv), its log there, the same NAR here, verified"
done
verify_run aarch64-musl "${outs[0]}/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static
verify_run x86_64-musl "${outs[1]}/bin/cross-hello" "cross-hello on x86_64: 2+3=5" env

# doctor --builders: the builder, one refusing the key, one down, one of another system
ssh-keygen -q -t ed25519 -N '' -f "$work/builder/other_key"
local m="ssh-ng://$builder_user@127.0.0.1"
local good="$m x86_64-linux $builder_key 2 1 - - $builder_host_key"
local refused="$m x86_64-linux $work/builder/other_key 1 1 - - $builder_host_key"
local down="ssh-ng://$builder_user@127.0.0.2 x86_64-linux $builder_key"
local foreign="$m riscv64-linux $builder_key 1 1 - - $builder_host_key"
local rc=0
CROSSFLAKE_BUILDER_TIMEOUT=20 "$crossflake" doctor --manifest-path "$r/Cargo.toml" --json \
  --builders "$good; $refused; $down; $foreign" >"$work/doctor-builders.json" 2>"$work/doctor-builders.log" || rc=$?
expect_eq "doctor --builders' exit status (1: errors found)" "$rc" 1
python3 "$repo/tests/nix/doctor-builders.py" "$work/doctor-builders.json" "$work/builder/other_key" ||
  fail "doctor --builders: $(cat "$work/doctor-builders.log")"
# --max-jobs 0 with only a builder of another system: Nix's error, nothing here
echo "// remote builder refusal $nonce" >>"$r/src/main.rs"
git -C "$r" commit -qam "refusal $nonce"
out=$(rbnix "$r" eval --raw .#packages.x86_64-linux.aarch64-musl.outPath) || fail "no output path"
echo "$foreign" >"$work/builder/foreign-machines"
if REAL_BUILD_ARGS="--builders @$work/builder/foreign-machines --max-jobs 0" "$repo/tests/nix/real-build" "$r" \
  packages.x86_64-linux.aarch64-musl >/dev/null 2>"$work/foreign-build.log"; then
  fail "a build with only a riscv64-linux builder and --max-jobs 0 succeeded"
fi
grep -qF "required (system, features): (x86_64-linux, )" "$work/foreign-build.log" &&
  grep -qF "error: unable to start any build; remote machines may not have all required system features." "$work/foreign-build.log" ||
  fail "the build without a usable builder failed without Nix's message: $(tail -8 "$work/foreign-build.log")"
if nix-store --check-validity "$out" 2>/dev/null; then fail "$out is in the local store after the failed build"; fi
echo "   --max-jobs 0 with only a riscv64-linux builder: Nix's \"Failed to find a machine for remote build!\" (x86_64-linux required), no output here"
builder_stop
trap - EXIT
}

# nar_hash NIX PATH: the NAR hash a store (nix here, builder_nix the builder's) records for PATH
nar_hash() {
  "$1" path-info --json "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["narHash"])'
}

# step fenix: fenix's real toolchains, where the Rust dist server answers. A fixture locked to
# Rust 1.99.1 (rust-toolchain.lock.toml made by `crossflake toolchain lock` from
# tests/fixtures/toolchain's 1.99.1 channel manifest: the URLs and hashes the dist server
# publishes; it covers the linux hosts only) is built with fenix as flake.lock pins it
# (CROSSFLAKE_FENIX=real): Nix fetches the official components, fenix's fromManifestFile and
# combine build the toolchain. Each binary must name rustc 1.99.1 (its .comment, or the path of
# 1.99.1's commit in the windows and wasm binaries), be verified and run under its runner: the
# host package (by cc: mkLib's hostLinker drops rustc's self-contained rust-lld), then x86_64/aarch64 musl, x86_64-gnu
# with a glibc floor of 2.17, aarch64-gnu, x86_64-windows and wasm32-wasip1 (zig as linker,
# official rust-std). Where the dist server does not answer, the step prints which checks it
# skipped and passes; where it answered, a binary built by another rustc fails it
# (CROSSFLAKE_TEST_FENIX=standin plants that: tests/nix/mutations.sh).
step_fenix() {
step "fenix's real toolchains: a project locked to 1.99.1, built with the official components for every linux target, windows-gnu and wasm32-wasip1"
local f url
# lock_1_99 DIR TRIPLE...: a rust-toolchain.toml for 1.99.1 with those targets (no components
# key: the default components, targets.toml [toolchain], on both sides), locked by
# `crossflake toolchain lock` from the fixture channel manifest, and committed
lock_1_99() {
  local dir=$1 log
  shift
  python3 -c 'import json, sys; print("[toolchain]\nchannel = \"1.99.1\"\ntargets = " + json.dumps(sys.argv[1:]))' "$@" >"$dir/rust-toolchain.toml"
  log=$work/lock-$(basename "$dir").log
  "$crossflake" toolchain lock --manifest-path "$dir/Cargo.toml" \
    --channel-manifest "$repo/tests/fixtures/toolchain/channel-rust-1.99.1.toml" >"$log" 2>&1 ||
    fail "crossflake toolchain lock for $dir: $(cat "$log")"
  git -C "$dir" add -A && git -C "$dir" commit -qm "locked to 1.99.1"
}
f=$(fixture fenix-1.99 "$repo/tests/fixtures/cross-hello")
set_targets "$f" '["x86_64-musl", "aarch64-musl", "x86_64-unknown-linux-gnu.2.17", "aarch64-gnu", "x86_64-windows", "wasm32-wasip1"]'
lock_1_99 "$f" x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-gnu wasm32-wasip1
url=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["pkg"]["rustc"]["target"]["x86_64-unknown-linux-gnu"]["url"])' "$f/rust-toolchain.lock.toml")
if ! dist_server_answers "$url"; then
  echo "   ###################################################################################"
  echo "   12 fidelity checks skipped: dist server unreachable (no connection to $url)"
  echo "   not built with fenix's real toolchains: rustc 1.99.1 in the host, x86_64/aarch64 musl,"
  echo "   x86_64/aarch64 gnu, x86_64-windows and wasm32-wasip1 binaries; the host linked by"
  echo "   cc, not rust-lld; each target linked by zig from official rust-std, verified and run; a build"
  echo "   script linking nixpkgs' zlib, in the host build, a cross build and x86_64-gnu's"
  echo "   ###################################################################################"
  return 0
fi
echo "   toolchain: fenix $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"]["fenix"]["locked"]["rev"][:12])' "$repo/flake.lock") as flake.lock pins it, official Rust 1.99.1 components from the dist server"
local want="rustc version 1.99.1 (58cf8f9c3 2026-10-13)" bin i outs_text
# the host package first: a binary of another rustc stops the step before the cross builds
local host_out
host_out=$(CROSSFLAKE_FENIX=${CROSSFLAKE_TEST_FENIX:-real} build_outputs "$f" packages.x86_64-linux.default)
comment_rustc() { readelf -p .comment "$1" | sed -n 's/.*\(rustc version .*\)$/\1/p' | head -1; }
expect_eq "the rustc that built $host_out/bin/cross-hello (its .comment)" "$(comment_rustc "$host_out/bin/cross-hello")" "$want"
local -a pkgs=(x86_64-musl aarch64-musl x86_64-gnu aarch64-gnu x86_64-windows wasm32-wasip1) o
outs_text=$(CROSSFLAKE_FENIX=${CROSSFLAKE_TEST_FENIX:-real} build_outputs "$f" "${pkgs[@]/#/packages.x86_64-linux.}")
mapfile -t o <<<"$outs_text"
[ ${#o[@]} -eq ${#pkgs[@]} ] || fail "real-build gave ${#o[@]} output paths for ${#pkgs[@]} packages"
local -A out=([default]=$host_out)
for i in "${!pkgs[@]}"; do out[${pkgs[$i]}]=${o[$i]}; done
for i in x86_64-musl aarch64-musl x86_64-gnu aarch64-gnu; do
  bin=${out[$i]}/bin/cross-hello
  expect_eq "the rustc that built $bin (its .comment)" "$(comment_rustc "$bin")" "$want"
done
for bin in "${out[x86_64-windows]}/bin/cross-hello.exe" "${out[wasm32-wasip1]}/bin/cross-hello.wasm"; do
  grep -aqF "/rustc/58cf8f9c35b355199727627d07ae34a4e2846d67/" "$bin" ||
    fail "$bin was not built by rustc 1.99.1 (no path of its commit 58cf8f9c3 in the binary)"
done
echo "   every binary names rustc 1.99.1 (58cf8f9c3)"
# official rustc would link host programs with its own rust-lld ("Linker: LLD" in .comment):
# mkLib's hostLinker has cc link them, through nixpkgs' ld-wrapper
! readelf -p .comment "${out[default]}/bin/cross-hello" | grep -qF "Linker: LLD" ||
  fail "the host build was linked by rustc's self-contained rust-lld, not through the host's linker: $(readelf -p .comment "${out[default]}/bin/cross-hello")"
echo "   host: linked by cc (mkLib's hostLinker), not rustc's self-contained rust-lld"
expect_eq "host build" "$("${out[default]}/bin/cross-hello")" "cross-hello on x86_64: 2+3=5"
echo "   host: runs: cross-hello on x86_64: 2+3=5"
verify_run x86_64-musl "${out[x86_64-musl]}/bin/cross-hello" "cross-hello on x86_64: 2+3=5" env
verify_run aarch64-musl "${out[aarch64-musl]}/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static
verify_run x86_64-unknown-linux-gnu.2.17 "${out[x86_64-gnu]}/bin/cross-hello" "cross-hello on x86_64: 2+3=5" env
verify_run aarch64-gnu "${out[aarch64-gnu]}/bin/cross-hello" "cross-hello on aarch64: 2+3=5" qemu-aarch64-static -L /usr/aarch64-linux-gnu
verify_run x86_64-windows "${out[x86_64-windows]}/bin/cross-hello.exe" "cross-hello on x86_64: 2+3=5" \
  env WINEPREFIX="$work/wine" WINEDEBUG=-all wine
verify_run wasm32-wasip1 "${out[wasm32-wasip1]}/bin/cross-hello.wasm" "cross-hello on wasm32: 2+3=5" "$wasmtime" run
# a build script that links nixpkgs' zlib (a shared library) must start in the sandbox, which
# has no zlib but the store's: it needs the RUNPATH nixpkgs' ld-wrapper adds, which a link by
# rustc's self-contained rust-lld does not get (mkLib's hostLinker); in the host build (no
# --target), in a cross build (--target: build scripts get the host's linker, not rustflags)
# and in x86_64-gnu's, the host's own triple (cargo's host-config: the recipe's
# CARGO_HOST_LINKER, since target-applies-to-host = false keeps the zig linker off them)
local z zouts
z=$(fixture zlib-1.99 "$repo/tests/fixtures/build-script-zlib" \
  '{ ZLIB_LIB_DIR = "${crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux.zlib}/lib"; }')
lock_1_99 "$z" x86_64-unknown-linux-musl x86_64-unknown-linux-gnu
# the stand-in's zlib is this machine's libz.so.1, the one Python's zlib module loads
zlib_version() { python3 -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)'; }
zouts=$(CROSSFLAKE_FENIX=${CROSSFLAKE_TEST_FENIX:-real} build_outputs "$z" packages.x86_64-linux.default packages.x86_64-linux.x86_64-musl packages.x86_64-linux.x86_64-gnu)
mapfile -t o <<<"$zouts"
[ ${#o[@]} -eq 3 ] || fail "real-build gave ${#o[@]} output paths for the build-script-zlib fixture's 3 packages"
expect_eq "host build of build-script-zlib" "$("${o[0]}/bin/zlib-probe")" "the build script ran zlib $(zlib_version)"
verify_run x86_64-musl "${o[1]}/bin/zlib-probe" "the build script ran zlib $(zlib_version)" env
verify_run x86_64-gnu "${o[2]}/bin/zlib-probe" "the build script ran zlib $(zlib_version)" env
echo "   a build script linking nixpkgs' zlib ran in the host build, the x86_64-musl build and x86_64-gnu's (the host's own triple)"
}

# step own: crossflake's own flake (with --all)
step_own() {
step "crossflake's own flake: nix build gives the CLI, which runs"
cli=$(rb "$repo" packages.x86_64-linux.default)
grep -q '^aarch64-musl ' <<<"$("$cli/bin/crossflake" targets)" || fail "the flake's crossflake does not list the targets"
echo "   $cli/bin/crossflake targets lists the catalog"
}

steps=(harness fenix packages closure skips checks flake_check verify_empty bait cdeps image dist push cache ci shells templates rebuild refusals builders)
$all && steps+=(own)
if [ ${#only[@]} -gt 0 ]; then
  for s in "${only[@]}"; do
    declare -F "step_$s" >/dev/null || fail "no step $s; the steps: ${steps[*]} own"
  done
  steps=("${only[@]}")
fi
for s in "${steps[@]}"; do "step_$s"; done
step "all real builds passed (${steps[*]})"
