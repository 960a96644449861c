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
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
all=false
[ "${1:-}" = --all ] && all=true
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
rbnix() { "$repo/tests/nix/real-build" --nix "$@" 2>>"$log"; }
crossflake=$(bash "$repo/scripts/built-crossflake")
wasmtime=$(command -v wasmtime || echo "$repo/tests/support/bin/wasmtime")

# a fixture as a flake for x86_64-linux, committed at a known time (the images' epoch)
# fixture NAME SRC_DIR [CRANE_ARGS_NIX]
fixture() {
  local dir=$work/$1 crane_args=${3:-"{ }"}
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r "$2/." "$dir/"
  cat >"$dir/flake.nix" <<NIX
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }: crossflake.lib.mkFlake {
    inherit self;
    src = ./.;
    systems = [ "x86_64-linux" ];
    craneArgs = $crane_args;
  };
}
NIX
  git -C "$dir" init -q
  git -C "$dir" add -A
  GIT_COMMITTER_DATE=@1700000000 GIT_AUTHOR_DATE=@1700000000 git -C "$dir" -c user.name=t -c user.email=t@t commit -qm fixture
  echo "$dir"
}

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

step "cross-hello: packages"
packages=(aarch64-musl x86_64-gnu armv7-musl wasm32-wasip1)
$all && packages+=(x86_64-musl riscv64-musl aarch64-gnu x86_64-windows default)
mapfile -t outs < <(rb "$hello" "${packages[@]/#/packages.x86_64-linux.}")
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
# what a target's build closure holds: its own rust-std and no runner
for alias in aarch64-musl x86_64-gnu; do
  rbnix "$hello" show-derivation -r ".#packages.x86_64-linux.$alias" >"$work/drvs.json"
  python3 - "$alias" "$work/drvs.json" <<'PY' || fail "$alias: its build closure holds another target's rust-std or a runner"
import json, sys
alias = sys.argv[1]
names = sorted({d["env"].get("name", "") for d in json.load(open(sys.argv[2])).values()})
stds = [n for n in names if n.startswith("rust-std-")]
runners = [n for n in names if n.startswith(("crossflake-runner", "qemu-user", "wine64", "wasmtime", "glibc-2"))]
shown = ", ".join(stds) or "the host's only"
print(f"   {alias}: rust-std in its build closure: {shown}; runners: {', '.join(runners) or 'none'}")
sys.exit(1 if len(stds) > 1 or runners else 0)
PY
done

step "cross-hello: checks"
checks=(aarch64-musl-verify aarch64-musl-test aarch64-musl-clippy x86_64-gnu-test wasm32-wasip1-test fmt)
if $all; then
  mapfile -t checks < <(rbnix "$hello" eval --json .#checks.x86_64-linux --apply builtins.attrNames | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))')
fi
rb "$hello" "${checks[@]/#/checks.x86_64-linux.}" >/dev/null
for c in "${checks[@]}"; do
  buildlog=$(rbnix "$hello" log "$(rbnix "$hello" eval --raw ".#checks.x86_64-linux.$c.drvPath")" || true)
  case $c in
    # (wine's console puts escape sequences inside "test result: ok", so the
    # count is what is matched)
    *-test) echo "$buildlog" | grep -aq '[.] 1 passed; 0 failed' ||
      fail "$c: no test result in its log" ;;
  esac
  echo "   $c: built"
done

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

step "a smaller fixture: the image index (aarch64-musl, x86_64-musl) through skopeo and umoci"
small=$(fixture small "$repo/tests/fixtures/cross-hello")
sed -i 's/^targets = \[/targets = ["aarch64-musl", "x86_64-musl"]\nold-targets = [/' "$small/Cargo.toml"
python3 - "$small/Cargo.toml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(?ms)^old-targets = \[.*?\]\n', '', s)
open(p, "w").write(s)
PY
printf '# cross-hello\n' >"$small/README.md"
printf 'cross-hello licence\n' >"$small/LICENSE"
git -C "$small" add README.md LICENSE
git -C "$small" commit -qam "two targets"
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

step "packages.dist: the Nix builds packed as crossflake dist names and lays them out"
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

step "push-oci: nix run .#push-oci into a registry on 127.0.0.1, pulled back with the same digests"
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

step "dev shells: plain cargo in a clean shell from nix print-dev-env"
rm -rf "$work/home"
rbnix "$hello" print-dev-env .#aarch64-musl >"$work/shell-aarch64-musl.sh"
rbnix "$hello" print-dev-env .#wasm32-wasip1 >"$work/shell-wasm32-wasip1.sh"
rbnix "$hello" print-dev-env .#default >"$work/shell-default.sh"
rbnix "$hello" print-dev-env .#armv7-musl >"$work/shell-armv7-musl.sh"
for t in aarch64-musl armv7-musl wasm32-wasip1; do
  triple=$(grep -o "CARGO_BUILD_TARGET='[^']*'" "$work/shell-$t.sh" | cut -d"'" -f2)
  rm -rf "$work/dev-$t" && cp -r "$repo/tests/fixtures/cross-hello" "$work/dev-$t"
  env -i HOME="$work/home" bash -c "source '$work/shell-$t.sh' >/dev/null && cd '$work/dev-$t' &&
    cargo build --target $triple --profile crossflake && cargo test --target $triple --profile crossflake" >"$work/dev-$t.log" 2>&1 ||
    { tail -30 "$work/dev-$t.log"; fail "cargo build/test in the $t dev shell"; }
  grep -q 'test tests::c_code_runs_on_the_target ... ok' "$work/dev-$t.log" || fail "$t dev shell: no test ran"
  echo "   $t: cargo build and cargo test (under the runner) pass"
done
env -i HOME="$work/home" bash -c "source '$work/shell-default.sh' >/dev/null && command -v zig && command -v cargo-zigbuild && command -v crossflake" >/dev/null ||
  fail "the default dev shell lacks zig, cargo-zigbuild or crossflake"
echo "   default: zig, cargo-zigbuild and crossflake on PATH"

step "templates: nix flake init, then nix build .#aarch64-musl"
for t in default workspace; do
  d=$work/template-$t
  rm -rf "$d" && mkdir -p "$d"
  (cd "$d" && nix flake init -t "git+file://$repo#$t" >/dev/null && git init -q && git add -A)
  bin=$(rb "$d" packages.x86_64-linux.aarch64-musl)
  "$crossflake" verify --target aarch64-musl "$bin"/bin/* >/dev/null || fail "template $t: not a static aarch64 binary"
  echo "   $t: $(qemu-aarch64-static "$bin"/bin/*)"
done

step "a source change rebuilds only the project's crates"
echo "// touched $(date +%s%N)" >>"$hello/src/main.rs"
git -C "$hello" commit -qam touched
"$repo/tests/nix/real-build" "$hello" packages.x86_64-linux.aarch64-musl >/dev/null 2>"$work/rebuild.log" || { cat "$work/rebuild.log"; fail "rebuild"; }
built=$(grep -c "^building '" "$work/rebuild.log" || true)
grep -q "^building '.*-deps-" "$work/rebuild.log" && fail "the dependency build was rebuilt"
expect_eq "derivations rebuilt after touching main.rs" "$built" 1
echo "   1 derivation rebuilt (the package); the dependency build was reused"

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

if $all; then
  step "crossflake's own flake: nix build gives the CLI, which runs"
  cli=$(rb "$repo" packages.x86_64-linux.default)
  grep -q '^aarch64-musl ' <<<"$("$cli/bin/crossflake" targets)" || fail "the flake's crossflake does not list the targets"
  echo "   $cli/bin/crossflake targets lists the catalog"
fi
step "all real builds passed"
