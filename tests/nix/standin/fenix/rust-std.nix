# rust-std for TRIPLE, built once from rust-src with the stand-in's rustc (cargo -Zbuild-std on an
# empty crate, std's crates vendored from rust-src's Cargo.lock) and laid out as fenix's rust-std:
# lib/rustlib/TRIPLE/lib/*.rlib. For musl targets rustc also expects the self-contained crt
# objects rustup's rust-std ships; here they are empty placeholders (cargo-zigbuild leaves them
# off the link line, and a linker given one would fail on it).
{ pkgs, triple, version }:
let
  inherit (pkgs) lib;
  standin = pkgs.crossflakeStandin;
  c = standin.rust;
  toolchain = standin.combine "rust-${version}-with-src" [ c.rustc c.rust-std c.cargo c.rust-src ];
  vendor = standin.vendorCargoLock { lockFile = ./library-Cargo.lock; };
  isMusl = builtins.match ".*-musl.*" triple != null;
  isWindows = builtins.match ".*-windows-.*" triple != null;
in
pkgs.stdenv.mkDerivation {
  pname = "rust-std-${triple}";
  inherit version;
  dontUnpack = true;
  # zig only for windows-gnu: rustc makes its import libraries with dlltool, and zig has one
  nativeBuildInputs = [ toolchain ] ++ lib.optional isWindows pkgs.zig;
  buildPhase = ''
    runHook preBuild
    export CARGO_HOME=$NIX_BUILD_TOP/cargo-home
    mkdir -p "$CARGO_HOME" sysroot/src
    cat >"$CARGO_HOME/config.toml" <<EOF
    ${standin.vendoredConfig vendor}
    EOF
    printf '[package]\nname = "sysroot"\nversion = "0.0.0"\nedition = "2021"\n' >sysroot/Cargo.toml
    echo '#![no_std]' >sysroot/src/lib.rs
    ${lib.optionalString isWindows ''
      export ZIG_GLOBAL_CACHE_DIR=$NIX_BUILD_TOP/zig-cache ZIG_LOCAL_CACHE_DIR=$NIX_BUILD_TOP/zig-cache
      mkdir -p tools
      printf '#!%s\nexec zig dlltool "$@"\n' "$SHELL" >tools/x86_64-w64-mingw32-dlltool
      chmod +x tools/x86_64-w64-mingw32-dlltool
      export PATH=$PWD/tools:$PATH
    ''}
    (cd sysroot && RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes \
      cargo build --offline --release --target ${triple} -Zbuild-std=std,panic_abort,test)
    runHook postBuild
  '';
  installPhase = ''
    runHook preInstall
    lib=$out/lib/rustlib/${triple}/lib
    mkdir -p "$lib"
    for f in sysroot/target/${triple}/release/deps/lib*.rlib; do
      case $f in */libsysroot-*) ;; *) cp "$f" "$lib/" ;; esac
    done
    ${lib.optionalString isMusl ''
      mkdir -p "$lib/self-contained"
      for o in crt1.o crti.o crtn.o crtbegin.o crtend.o crtbeginS.o crtendS.o rcrt1.o Scrt1.o; do
        : >"$lib/self-contained/$o"
      done
    ''}
    runHook postInstall
  '';
}
