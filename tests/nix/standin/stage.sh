#!/usr/bin/env bash
# stage.sh STATE_DIR: puts this machine's tools into the Nix store for the buildable nixpkgs
# stand-in. Each package is staged as a plain tree (STATE_DIR/stage/NAME: the files with
# /usr stripped, plus every shared library its ELF files load that glibc does not provide, in
# lib/), added with `nix store add-path`, and recorded with its NAR hash and Debian version in
# STATE_DIR/host-tools.json. The stand-in declares each as a fixed-output derivation with that
# hash, so Nix finds it already valid and never builds it; a second derivation per package
# (nixpkgs/host-tools.nix) patches interpreters and rpaths to the store's glibc inside the
# sandbox.
#
# A package is restaged only when its staging function or the version of what it copies
# changed, so reruns take seconds. Needs the Debian packages setup.sh installs.
set -euo pipefail

state=$1
here=$(cd "$(dirname "$0")" && pwd)
stage_root=$state/stage
mkdir -p "$stage_root"
multiarch=x86_64-linux-gnu

# The libraries the stand-in's glibc package provides; every other library an ELF file needs is
# copied into its own package.
glibc_libs='ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libmvec.so.1 libpthread.so.0 libdl.so.2
librt.so.1 libresolv.so.2 libutil.so.1 libanl.so.1 libnss_files.so.2 libnss_dns.so.2
libBrokenLocale.so.1 libc_malloc_debug.so.0 libthread_db.so.1 libgcc_s.so.1'

is_glibc_lib() { [[ " ${glibc_libs//$'\n'/ } " == *" $1 "* ]]; }

is_elf() { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }

# put SRC REL: copy SRC (a file, symlink or tree) to REL in the package being staged
put() {
  mkdir -p "$pkg/$(dirname "$2")"
  cp -a --no-preserve=ownership "$1" "$pkg/$2"
}

# putL SRC REL: like put, following symlinks
putL() {
  mkdir -p "$pkg/$(dirname "$2")"
  cp -aL --no-preserve=ownership "$1" "$pkg/$2"
}

# debs DEB...: every file of these Debian packages, /usr stripped, without docs, man pages,
# translations and lintian data. Absolute symlinks are resolved (they point outside the store).
debs() {
  local f rel listed
  # dpkg's own failure (a package not installed) stops the staging, with its message
  listed=$(dpkg -L "$@") || { echo "stage: dpkg -L $* failed" >&2; return 1; }
  while IFS= read -r f; do
    [ -d "$f" ] && continue
    [ -f "$f" ] || [ -L "$f" ] || continue
    case $f in
      /usr/share/doc/* | /usr/share/man/* | /usr/share/info/* | /usr/share/locale/* | /usr/share/lintian/* | /usr/share/bug/*) continue ;;
    esac
    rel=${f#/usr/}
    rel=${rel#/}
    if [ -L "$f" ] && [[ $(readlink "$f") == /* ]]; then putL "$f" "$rel"; else put "$f" "$rel"; fi
  done <<<"$listed"
}

# closure: copy the shared libraries the package's ELF files load (resolved on this machine)
# into lib/, except glibc's and those the package already has.
closure() {
  local f lib name libs
  while IFS= read -r -d '' f; do
    is_elf "$f" || continue
    # ldd fails for static and foreign-architecture files, which load nothing from here; any
    # other failure stops the staging with ldd's message
    if ! libs=$(ldd "$f" 2>&1); then
      case $libs in
        *"not a dynamic executable"* | *"statically linked"*) continue ;;
        *) echo "stage: ldd $f failed: $libs" >&2; return 1 ;;
      esac
    fi
    while IFS= read -r lib; do
      [ -n "$lib" ] || continue
      name=$(basename "$lib")
      is_glibc_lib "$name" && continue
      [ -n "$(find "$pkg" -name "$name" -print -quit)" ] && continue
      for skip in ${closure_skip:-}; do [[ $name == $skip ]] && continue 2; done
      putL "$lib" "lib/$name"
    done < <(awk '/=> \//{print $3}' <<<"$libs")
  done < <(find "$pkg" -type f -print0)
}

# stamp_of NAME: the staging code of NAME
stamp_of() { declare -f "stage_$1" debs closure put putL | sha256sum | cut -c1-64; }

versions=()
declare -A hashes
# add NAME VERSION [EXTRA]: stage NAME (stage_NAME) unless its stamp (staging code, VERSION,
# EXTRA) is unchanged and its store path is still valid
add() {
  local name=$1 version=$2 extra=${3:-}
  local stamp
  # a version that could not be read (deb_version's error is above) stops the staging
  [ -n "$version" ] || { echo "stage: no version for $name" >&2; exit 1; }
  pkg=$stage_root/$name
  # the sources' identity: the staging function plus the dpkg versions it reads
  stamp=$( (stamp_of "$name"; echo "$version $extra"; echo "${closure_skip:-}") | sha256sum | cut -c1-64)
  if [ -f "$pkg.stamp" ] && [ "$(cat "$pkg.stamp")" = "$stamp" ] && [ -f "$pkg.hash" ] &&
    nix-store --check-validity "$(cat "$pkg.path")" 2>/dev/null; then
    :
  else
    rm -rf "$pkg"
    mkdir -p "$pkg"
    "stage_$name"
    closure
    # the store keeps no write bits; leave no world-writable files behind
    chmod -R u+w,go-w "$pkg"
    nix store add-path --name "standin-$name" "$pkg" >"$pkg.path"
    nix path-info --json "$(cat "$pkg.path")" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["narHash"])' >"$pkg.hash"
    echo "$stamp" >"$pkg.stamp"
    echo "stage: $name $version -> $(cat "$pkg.path")" >&2
  fi
  hashes[$name]=$(cat "$pkg.hash")
  versions+=("$name=$version")
}

# deb_version PACKAGE: its installed Debian version, without epoch and revision; stops the
# staging when the package is not installed
deb_version() {
  local v
  v=$(dpkg-query -W -f='${Version}' "$1") && [ -n "$v" ] || { echo "stage: $1 is not installed (dpkg-query -W $1)" >&2; return 1; }
  sed 's/^[0-9]*://; s/[-+~].*//' <<<"$v"
}

# --- the packages -----------------------------------------------------------------------

# glibc (and libgcc_s): the loader and libraries every other package is linked against,
# laid out as nixpkgs' glibc ($out/lib/ld-linux-x86-64.so.2)
stage_glibc() {
  local l
  for l in $glibc_libs; do
    if [ -e "/lib/$multiarch/$l" ]; then putL "/lib/$multiarch/$l" "lib/$l"; fi
  done
}

# the C library's development files (headers, crt objects, linker scripts), for stdenv.cc
stage_glibc-dev() {
  local f rel
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    case $f in
      /usr/include/*) rel=include/${f#/usr/include/}; rel=${rel/#include\/$multiarch\//include/} ;;
      /usr/lib/$multiarch/*) rel=lib/${f#/usr/lib/$multiarch/} ;;
      *) continue ;;
    esac
    putL "$f" "$rel"
  done < <(dpkg -L libc6-dev linux-libc-dev libcrypt-dev)
}

stage_bootstrap() {
  putL /bin/busybox bin/busybox
  putL /usr/bin/patchelf bin/patchelf
}

stage_bash() { debs bash; ln -s bash "$pkg/bin/sh"; }
stage_coreutils() { debs coreutils; }
stage_findutils() { debs findutils; }
stage_diffutils() { debs diffutils; }
stage_gnused() { debs sed; }
stage_gnugrep() { debs grep; }
stage_gawk() { debs gawk; ln -sf gawk "$pkg/bin/awk"; }
stage_gnutar() { debs tar; }
stage_gzip() { debs gzip; }
stage_bzip2() { debs bzip2; }
stage_xz() { debs xz-utils; }
stage_zstd() { debs zstd; }
stage_jq() { debs jq; }
stage_rsync() { debs rsync; }
stage_patch() { debs patch; }
stage_patchelf() { debs patchelf; }
stage_gnumake() { debs make; }
# zlib as nixpkgs' has it (lib/libz.so.1, and libz.so, which -lz links): fenix's toolchains put
# it on their binaries' rpath
stage_zlib() { putL "/lib/$multiarch/libz.so.1" lib/libz.so.1 && ln -s libz.so.1 "$pkg/lib/libz.so"; }
# perl with its modules (Debian splits them over four packages); Debian's perl looks for them
# under /usr, so the stand-in's package points PERL5LIB at its own copies (host-tools.nix)
stage_perl() {
  local full v
  full=$(perl -e 'printf "%vd", $^V')
  v=$(cut -d. -f1,2 <<<"$full")
  debs perl perl-base "perl-modules-$v" "libperl$v"
  # @INC names share/perl/5.36 and lib/<multiarch>/perl/5.36, links to the 5.36.0 directories
  # that Debian's maintainer scripts make (dpkg does not list them)
  ln -s "$full" "$pkg/share/perl/$v"
  ln -s "$full" "$pkg/lib/$multiarch/perl/$v"
}
stage_which() { putL /usr/bin/which bin/which; }
stage_file() {
  debs file libmagic-mgc
  # libmagic looks for its database under /usr/share; point it at the package's own
  mv "$pkg/bin/file" "$pkg/bin/.file-wrapped"
}
stage_binutils() { debs binutils binutils-x86-64-linux-gnu; }
stage_gcc() { debs gcc-12 cpp-12 libgcc-12-dev; }
stage_cacert() { putL /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/ca-bundle.crt; }
stage_skopeo() {
  debs skopeo
  putL /etc/containers/policy.json etc/containers/policy.json
}
stage_qemu-user() {
  local f
  # the architectures crossflake's catalog runs (nixpkgs' qemu-user has every one)
  for arch in $(sed -n 's/^qemu-arch = "\(.*\)"/\1/p' "$here/../../../targets.toml" | sort -u); do
    putL "/usr/bin/qemu-$arch-static" "bin/qemu-$arch"
  done
}
stage_wine64() {
  debs wine64 libwine
  # Debian's 64-bit loader is /usr/lib/wine/wine64; nixpkgs' wine (11) has only bin/wine, which
  # host-tools.nix's wrapper provides
  mkdir -p "$pkg/bin"
  ln -s ../lib/wine/wineserver64 "$pkg/bin/wineserver"
  # wine 8.0 lacks ProcessPrng (bcryptprimitives.dll, wine 8.13), which Rust's std imports:
  # a stub DLL built with zig provides it (the stand-in's wine is Debian's 8.0, nixpkgs' is newer)
  mkdir -p "$pkg/share/crossflake-standin/dlls"
  # Debian's wine loads zlib1.dll (libz-mingw-w64) from /usr/x86_64-w64-mingw32/lib, which the
  # sandbox does not have: the wrapper puts this copy on WINEDLLPATH
  putL /usr/x86_64-w64-mingw32/lib/zlib1.dll share/crossflake-standin/dlls/zlib1.dll
  (cd "$pkg/share/crossflake-standin" && XDG_CACHE_HOME=$state/cache python3 -m ziglang cc \
    -target x86_64-windows-gnu -shared -O2 -o bcryptprimitives.dll "$here/nixpkgs/wine/bcryptprimitives.c" -lbcrypt &&
    rm -f bcryptprimitives.lib bcryptprimitives.pdb)
}
stage_wasmtime() {
  # wasmtime's Python package (libwasmtime) with the interpreter it needs: the stand-in's
  # `wasmtime run` is tests/support/bin/wasmtime, not the wasmtime CLI nixpkgs builds
  local py site
  py=$(python3 -c 'import sys; print(sys.base_prefix)')
  site=$(python3 -c 'import wasmtime, os; print(os.path.dirname(os.path.dirname(wasmtime.__file__)))')
  putL "$py/bin/python3.11" bin/python3
  putL "$py/lib/libpython3.11.so.1.0" lib/libpython3.11.so.1.0
  mkdir -p "$pkg/lib/python3.11"
  (cd "$py/lib/python3.11" && find . -maxdepth 1 -mindepth 1 \
    ! -name site-packages ! -name test ! -name idlelib ! -name tkinter ! -name turtledemo ! -name ensurepip \
    -exec cp -a {} "$pkg/lib/python3.11/" \;)
  find "$pkg/lib/python3.11" -name __pycache__ -prune -exec rm -rf {} +
  mkdir -p "$pkg/lib/python3.11/site-packages"
  cp -a "$site/wasmtime" "$pkg/lib/python3.11/site-packages/"
  find "$pkg/lib/python3.11/site-packages" -name __pycache__ -prune -exec rm -rf {} +
  putL "$here/../../support/bin/wasmtime" libexec/wasmtime-cli.py
}
stage_zig() {
  local z
  z=$(python3 -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))')
  # nixpkgs' layout: bin/zig, lib/zig (zig finds its library relative to its executable)
  putL "$z/zig" bin/zig
  putL "$z/lib" lib/zig
  # not part of zig: what cargo-zigbuild wrote into this machine's zig when it was writable
  rm -f "$pkg/lib/zig/libc/glibc/sysdeps/arm/arm-features.h"
  find "$pkg/lib/zig" -name __pycache__ -prune -exec rm -rf {} +
}
# libclang as nixpkgs' llvmPackages_N.libclang has it (lib/libclang.so), N being the major
# version of the clang inside zig, as nixpkgs' zig is built with that llvmPackages' libclang
zig_clang=$(python3 -m ziglang cc --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p')
stage_libclang() { putL "/usr/lib/llvm-$zig_clang/lib/libclang.so" lib/libclang.so; }
stage_cargo-zigbuild() { putL "$(python3 -c 'import sys; print(sys.prefix)')/bin/cargo-zigbuild" bin/cargo-zigbuild; }
stage_nixpkgs-fmt() { putL "$(command -v nixpkgs-fmt)" bin/nixpkgs-fmt; }
# the arm64 glibc nixpkgs' legacyPackages.aarch64-linux.stdenv.cc.libc would give
stage_glibc-aarch64() { cp -aL /usr/aarch64-linux-gnu/lib "$pkg/lib"; }

# Rust: Debian's rustc-web toolchain split into rustup's components, laid out as fenix's
stage_rustc() {
  putL /usr/bin/rustc bin/rustc
  putL /usr/bin/rustdoc bin/rustdoc
  putL "$(ls /usr/lib/$multiarch/librustc_driver-*.so)" "lib/$(basename /usr/lib/$multiarch/librustc_driver-*.so)"
  putL /usr/lib/rustlib/etc lib/rustlib/etc
}
stage_rust-std() { putL /usr/lib/rustlib/x86_64-unknown-linux-gnu lib/rustlib/x86_64-unknown-linux-gnu; }
stage_cargo() { putL /usr/bin/cargo bin/cargo; }
stage_clippy() {
  putL /usr/bin/cargo-clippy bin/cargo-clippy
  putL /usr/bin/clippy-driver bin/clippy-driver
}
stage_rustfmt() {
  putL /usr/bin/rustfmt bin/rustfmt
  putL /usr/bin/cargo-fmt bin/cargo-fmt
}
stage_rust-src() { putL /usr/lib/rustlib/src/rust/library lib/rustlib/src/rust/library; }

# ----------------------------------------------------------------------------------------

main() {
add bootstrap "$(deb_version busybox-static)"
add glibc "$(deb_version libc6)"
add glibc-dev "$(deb_version libc6-dev)"
add glibc-aarch64 "$(deb_version libc6-arm64-cross)"
add bash "$(deb_version bash)"
for p in coreutils findutils diffutils gzip bzip2 zstd jq rsync patch patchelf file binutils gawk; do
  add $p "$(deb_version $p)"
done
add gnused "$(deb_version sed)"
add gnugrep "$(deb_version grep)"
add gnutar "$(deb_version tar)"
add xz "$(deb_version xz-utils)"
add gnumake "$(deb_version make)"
add zlib "$(deb_version zlib1g)"
add perl "$(deb_version perl)"
add which "$(deb_version debianutils)"
add gcc "$(deb_version gcc-12)"
add cacert "$(deb_version ca-certificates)"
add skopeo "$(deb_version skopeo)"
add qemu-user "$(deb_version qemu-user-static)"
add wine64 "$(deb_version wine64)" "$(cat "$here"/nixpkgs/wine/* | sha256sum)"
add wasmtime "$(python3 -c 'import importlib.metadata as m; print(m.version("wasmtime"))')" \
  "$(sha256sum "$here/../../support/bin/wasmtime")"
add zig "$(python3 -m ziglang version)"
add libclang "$(deb_version "libclang1-$zig_clang")"
add cargo-zigbuild "$(cargo-zigbuild --version | awk '{print $2}')"
add nixpkgs-fmt "$(nixpkgs-fmt --version | awk '{print $2}')"
add rustc "$(deb_version rustc-web)"
# the other Rust components find librustc_driver and LLVM in the combined toolchain, as fenix's do
closure_skip='librustc_driver-*.so libLLVM*' add rust-std "$(deb_version rustc-web)"
closure_skip='librustc_driver-*.so libLLVM* libstdc++.so.6 libffi.so.8 libedit.so.2 libz3.so.4 libz.so.1 libzstd.so.1 libxml2.so.2 libtinfo.so.6 libbsd.so.0 libicu*.so.72 liblzma.so.5 libmd.so.0' \
  add clippy "$(deb_version rust-web-clippy)"
closure_skip='librustc_driver-*.so libLLVM* libstdc++.so.6 libffi.so.8 libedit.so.2 libz3.so.4 libz.so.1 libzstd.so.1 libxml2.so.2 libtinfo.so.6 libbsd.so.0 libicu*.so.72 liblzma.so.5 libmd.so.0' \
  add rustfmt "$(deb_version rustfmt-web)"
add cargo "$(deb_version cargo-web)"
add rust-src "$(deb_version rust-web-src)"

{
  echo '{'
  first=1
  for v in "${versions[@]}"; do
    name=${v%%=*}
    [ $first = 1 ] || echo ','
    first=0
    printf '  "%s": { "version": "%s", "hash": "%s" }' "$name" "${v#*=}" "${hashes[$name]}"
  done
  echo
  echo '}'
} >"$state/host-tools.json"
echo "stage: ${#versions[@]} packages in $state/host-tools.json" >&2
}

# sourced with STAGE_SOURCE_ONLY=1 (tests/nix/mutations.sh), it defines the functions only
[ "${STAGE_SOURCE_ONLY:-}" = 1 ] || main
