# stdenv.cc: a C compiler whose outputs run in the sandbox, as nixpkgs' cc-wrapper makes them:
# bin/cc, gcc, cpp (Debian's gcc 12 through ./cc-wrapper.sh), bin/ld (binutils' through
# ./ld-wrapper.sh, which adds nixpkgs' store rpaths) and binutils' other tools; its setup hook
# exports CC, AR, STRIP and the rest, as nixpkgs' cc and bintools wrappers do.
#   attributes: cc (gcc, with cc.lib), bintools (with bintools.dynamicLinker), libc (glibc),
#   targetPrefix (""), isGNU
{ system, bash, coreutils, gcc, binutils, glibc, libcDev }:
let
  drv = derivation {
    name = "gcc-wrapper-${gcc.version}";
    inherit system;
    builder = "${bash}/bin/bash";
    PATH = "${coreutils}/bin";
    template = ./cc-wrapper.sh;
    ldTemplate = ./ld-wrapper.sh;
    inherit bash gcc binutils glibc libcDev;
    args = [
      "-ec"
      ''
        mkdir -p "$out/bin" "$out/nix-support"
        wrap() {
          local content
          content=$(cat "$template")
          content=''${content//@bash@/$bash}
          content=''${content//@gcc@/$gcc}
          content=''${content//@binutils@/$binutils}
          content=''${content//@wrapperBin@/$out/bin}
          content=''${content//@glibc@/$glibc}
          content=''${content//@libcDev@/$libcDev}
          content=''${content//@driver@/$2}
          content=''${content//@name@/$1}
          printf '%s\n' "$content" >"$out/bin/$1"
          chmod +x "$out/bin/$1"
        }
        wrap cc gcc-12
        wrap gcc gcc-12
        wrap cpp cpp-12
        for tool in ar as nm objcopy objdump ranlib readelf size strings strip; do
          ln -s "$binutils/bin/$tool" "$out/bin/$tool"
        done
        content=$(cat "$ldTemplate")
        content=''${content//@bash@/$bash}
        content=''${content//@binutils@/$binutils}
        printf '%s\n' "$content" >"$out/bin/ld"
        chmod +x "$out/bin/ld"
        cat >"$out/nix-support/setup-hook" <<HOOK
        export CC=cc CPP=cpp AR=ar AS=as LD=ld NM=nm OBJCOPY=objcopy OBJDUMP=objdump RANLIB=ranlib READELF=readelf SIZE=size STRINGS=strings STRIP=strip
        HOOK
      ''
    ];
  };
in
drv // {
  # nixpkgs' gcc.lib holds libgcc_s; the stand-in's glibc package does
  cc = gcc // { lib = glibc; };
  bintools = binutils // { dynamicLinker = "${glibc}/lib/ld-linux-x86-64.so.2"; };
  libc = glibc;
  targetPrefix = "";
  isGNU = true;
  isClang = false;
  version = gcc.version;
  meta.mainProgram = "cc";
}
