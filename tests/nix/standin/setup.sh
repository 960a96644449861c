#!/usr/bin/env bash
# setup.sh: makes this machine (Debian, as root) ready for real, sandboxed Nix builds of
# crossflake flakes with the stand-ins in place of nixpkgs and fenix:
#   - Nix and the tools the stand-ins repackage (apt: nix-bin, busybox-static, gcc, binutils,
#     Debian's Rust toolchain, qemu-user-static, wine64, skopeo, ...; pip: ziglang,
#     cargo-zigbuild, wasmtime; cargo: nixpkgs-fmt);
#   - build users (group nixbld) for the sandbox;
#   - STATE/nixpkgs and STATE/fenix: the stand-in flakes (this directory's nixpkgs/ and fenix/,
#     the real nixpkgs lib from ../shared/inputs, host-tools.json from stage.sh);
#   - the pinned crane and fenix sources in the store, so flake.lock resolves them with no
#     network.
# Idempotent; a rerun restages only what changed. Prints the environment to use
# (NIX_CONFIG, the state directory). STATE defaults to /tmp/crossflake-standin.
#   tests/nix/standin/setup.sh [STATE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
state=${1:-${CROSSFLAKE_STANDIN_DIR:-/tmp/crossflake-standin}}
# shellcheck source=tests/nix/standin/env.sh
source "$here/env.sh"

shared=$(crossflake_shared_dir "$repo")
inputs=$shared/inputs
[ -d "$inputs" ] || { echo "setup: no pinned inputs at $inputs (../shared/inputs)" >&2; exit 1; }

# --- packages ---------------------------------------------------------------------------
apt_packages=(nix-bin busybox-static patchelf gcc-12 binutils libc6-dev gawk rsync jq zstd file patch
  make bzip2 xz-utils rustc-web cargo-web rust-web-src rust-web-clippy rustfmt-web
  qemu-user-static libc6-arm64-cross wine wine64 libz-mingw-w64 skopeo umoci ca-certificates)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
pip_missing=()
python3 -c 'import ziglang' 2>/dev/null || pip_missing+=(ziglang)
python3 -c 'import wasmtime' 2>/dev/null || pip_missing+=(wasmtime)
command -v cargo-zigbuild >/dev/null || pip_missing+=(cargo-zigbuild)
if ((${#pip_missing[@]})); then
  python3 -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
  hash -r
fi
command -v nixpkgs-fmt >/dev/null || cargo install --locked --quiet nixpkgs-fmt

# --- the sandbox's build users ----------------------------------------------------------
getent group nixbld >/dev/null || groupadd -r nixbld
for i in 1 2 3 4; do
  id "nixbld$i" >/dev/null 2>&1 || useradd -r -g nixbld -G nixbld -d /var/empty -s /usr/sbin/nologin "nixbld$i"
done
export NIX_CONFIG=$crossflake_nix_config

# --- the stand-in flakes ----------------------------------------------------------------
mkdir -p "$state"
rsync -a --delete --exclude nixpkgs-lib --exclude host-tools.json "$here/nixpkgs/" "$state/nixpkgs/"
cp "$repo/nix/nixpkgs-facts.toml" "$state/nixpkgs/nixpkgs-facts.toml"
rsync -a --delete "$here/fenix/" "$state/fenix/"
cp "$repo/targets.toml" "$state/fenix/targets.toml"
cp /usr/lib/rustlib/src/rust/library/Cargo.lock "$state/fenix/library-Cargo.lock"
lib_tgz=$(ls "$inputs"/nixpkgs.lib-*.tar.gz)
if [ ! -f "$state/nixpkgs/nixpkgs-lib/.from" ] || [ "$(cat "$state/nixpkgs/nixpkgs-lib/.from")" != "$(basename "$lib_tgz")" ]; then
  rm -rf "$state/nixpkgs/nixpkgs-lib" "$state/lib-unpack"
  mkdir -p "$state/lib-unpack"
  tar -xzf "$lib_tgz" -C "$state/lib-unpack" lib
  rm -rf "$state/lib-unpack/lib/tests"
  mv "$state/lib-unpack/lib" "$state/nixpkgs/nixpkgs-lib"
  rmdir "$state/lib-unpack"
  basename "$lib_tgz" >"$state/nixpkgs/nixpkgs-lib/.from"
fi
bash "$here/stage.sh" "$state"
cp "$state/host-tools.json" "$state/nixpkgs/host-tools.json"
# the sandbox's /etc/ld.so.cache (env.sh): the stand-in glibc's libraries by soname, made by
# ldconfig in a scratch root holding a copy of them at their store path
glibc_path=$(cat "$state/stage/glibc.path")
if [ ! -f "$state/ld.so.cache.from" ] || [ "$(cat "$state/ld.so.cache.from")" != "$glibc_path" ]; then
  rm -rf "$state/ldroot"
  mkdir -p "$state/ldroot$glibc_path/lib" "$state/ldroot/etc"
  cp -a "$glibc_path/lib/." "$state/ldroot$glibc_path/lib/"
  echo "$glibc_path/lib" >"$state/ldroot/etc/ld.so.conf"
  ldconfig -X -r "$state/ldroot" -C /etc/ld.so.cache
  mv "$state/ldroot/etc/ld.so.cache" "$state/ld.so.cache"
  rm -rf "$state/ldroot"
  echo "$glibc_path" >"$state/ld.so.cache.from"
fi

# --- crane and fenix, as flake.lock pins them ------------------------------------------------
# (real fenix builds its toolchains from the dist server's official components; the fenix
# stand-in above is the fallback when that server does not answer)
for input in crane fenix; do
  rev=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][sys.argv[2]]["locked"]["rev"])' "$repo/flake.lock" "$input")
  nar=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][sys.argv[2]]["locked"]["narHash"])' "$repo/flake.lock" "$input")
  dir=$state/$input-source
  if [ ! -d "$dir" ] || [ "$(nix hash path "$dir")" != "$nar" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$inputs/$input-$rev.tar.gz" -C "$dir"
    got=$(nix hash path "$dir")
    [ "$got" = "$nar" ] || { echo "setup: $input's narHash is $got, flake.lock pins $nar" >&2; exit 1; }
  fi
  nix store add-path --name source "$dir" >/dev/null
done
echo "setup: ready in $state (nix $(nix --version | awk '{print $3}'), sandboxed builds as nixbld)" >&2
