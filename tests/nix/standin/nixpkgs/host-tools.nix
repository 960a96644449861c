# This machine's tools as store packages, by nixpkgs attribute name. stage.sh put each staged
# tree in the store and recorded its NAR hash in host-tools.json; here each is a fixed-output
# derivation with that hash (already valid, so never built: its builder only says to run
# setup.sh), and a second derivation (repack.sh) makes it runnable in the sandbox.
#   (import ./host-tools.nix { ... }).packages.jq  -> jq with meta.mainProgram = "jq"
# Each package needs a row in `facts` (nix/nixpkgs-facts.toml: what the flake relies on of that
# nixpkgs attribute, and where it was read); one without a row is refused when evaluated.
{ lib, system, hostTools, facts }:
let
  staged = name:
    let entry = hostTools.${name} or (throw "nixpkgs stand-in: host-tools.json has no ${name}; rerun tests/nix/standin/setup.sh");
    in derivation {
      name = "standin-${name}";
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" "echo 'standin-${name} is staged by tests/nix/standin/setup.sh, which has not run on this machine (or the store lost it)' >&2; exit 1" ];
      outputHashMode = "recursive";
      outputHashAlgo = "sha256";
      outputHash = entry.hash;
    };
  versionOf = name: hostTools.${name}.version;

  bootstrap = staged "bootstrap";
  glibc = staged "glibc" // { pname = "glibc"; version = versionOf "glibc"; };

  # hostTool NAME { pname?, mainProgram?, fixup?, patch? } -> the package
  hostTool = name: { pname ? name, mainProgram ? null, fixup ? "", patch ? true, bash ? packages.bash }:
    let
      version = versionOf name;
      drv =
        if !patch then staged name
        else
          derivation {
            name = "${pname}-${version}";
            inherit system fixup glibc bootstrap;
            raw = staged name;
            bash = if bash == null then "" else bash;
            builder = "${bootstrap}/bin/busybox";
            args = [ "sh" ./repack.sh ];
          };
    in
    drv // {
      inherit pname version;
      meta = lib.optionalAttrs (mainProgram != null) { inherit mainProgram; };
    };

  simple = name: mainProgram: hostTool name { inherit mainProgram; };

  packages = {
    inherit glibc;
    bash = hostTool "bash" { mainProgram = "bash"; bash = null; };
    coreutils = simple "coreutils" null;
    findutils = simple "findutils" "find";
    diffutils = simple "diffutils" "diff";
    gnused = simple "gnused" "sed";
    gnugrep = simple "gnugrep" "grep";
    gawk = simple "gawk" "awk";
    gnutar = simple "gnutar" "tar";
    gzip = simple "gzip" "gzip";
    bzip2 = simple "bzip2" "bzip2";
    xz = simple "xz" "xz";
    zstd = simple "zstd" "zstd";
    jq = simple "jq" "jq";
    rsync = simple "rsync" "rsync";
    patch = simple "patch" "patch";
    patchelf = simple "patchelf" "patchelf";
    gnumake = simple "gnumake" "make";
    zlib = simple "zlib" null;
    # Debian's perl has its module directories (@INC) compiled in under /usr; a setup hook points
    # PERL5LIB at the package's copies, so that perl, and the perl that OpenSSL's Configure
    # records for its makefiles ($^X), find them in builds and dev shells
    perl = hostTool "perl" {
      mainProgram = "perl";
      fixup = ''
        inc=$("$out/bin/perl" -e 'print join(":", map { s{^/usr}{'"$out"'}r } grep { m{^/usr/(lib|share)/} } @INC)')
        mkdir -p "$out/nix-support"
        echo "export PERL5LIB=$inc\''${PERL5LIB:+:\$PERL5LIB}" >"$out/nix-support/setup-hook"
      '';
    };
    which = simple "which" "which";
    binutils-unwrapped = hostTool "binutils" { pname = "binutils"; };
    gcc-unwrapped = hostTool "gcc" { pname = "gcc"; };
    # libmagic finds its database through MAGIC, as nixpkgs' file finds its own
    file = hostTool "file" {
      mainProgram = "file";
      fixup = ''
        printf '#!%s\nMAGIC=%s exec %s "$@"\n' "$bash/bin/bash" "$out/share/misc/magic.mgc" "$out/bin/.file-wrapped" >"$out/bin/file"
        chmod +x "$out/bin/file"
      '';
    };
    cacert = hostTool "cacert" { patch = false; };
    skopeo = simple "skopeo" "skopeo";
    qemu-user = hostTool "qemu-user" { patch = false; };
    # nixpkgs' wine64 is wine 11 or later, whose one loader is bin/wine (no bin/wine64)
    wine64 = hostTool "wine64" {
      mainProgram = "wine";
      # Debian's wine 8.0 has no bcryptprimitives.dll (wine 8.13): the wrapper puts the stub DLL
      # stage.sh built into the prefix before running wine
      fixup = ''
        # Debian's lib/wine/wineserver is a script that looks in /usr/lib/wine
        ln -sf wineserver64 "$out/lib/wine/wineserver"
        # wine re-executes itself by the name it was started as, from its own directory: the
        # wrapper runs lib/wine/wine64 under that name
        sed -e "s|@bash@|$bash|g; s|@out@|$out|g; s|@glibc@|$glibc|g" ${./wine/wine-wrapper.sh} >"$out/bin/wine"
        chmod +x "$out/bin/wine"
      '';
    };
    wasmtime = hostTool "wasmtime" {
      mainProgram = "wasmtime";
      fixup = ''
        mkdir -p "$out/bin"
        printf '#!%s\nPYTHONHOME=%s exec %s %s "$@"\n' "$bash/bin/bash" "$out" "$out/bin/python3" "$out/libexec/wasmtime-cli.py" >"$out/bin/wasmtime"
        chmod +x "$out/bin/wasmtime"
      '';
    };
    zig = hostTool "zig" { patch = false; mainProgram = "zig"; };
    # nixpkgs' llvmPackages_N.libclang: pname "clang", LIBCLANG_PATH is its lib output's lib/
    libclang = hostTool "libclang" { pname = "clang"; };
    cargo-zigbuild = hostTool "cargo-zigbuild" { patch = false; mainProgram = "cargo-zigbuild"; };
    nixpkgs-fmt = hostTool "nixpkgs-fmt" { patch = false; mainProgram = "nixpkgs-fmt"; };
  };
  # a package the facts table does not name is refused: the stand-in provides only attributes
  # whose nixpkgs counterpart is written down
  withRow = name: p: if facts.attrs ? ${name} then p else
  throw "nixpkgs stand-in: `${name}` has no row in nix/nixpkgs-facts.toml (what the flake relies on of nixpkgs' ${name}, read where); add one before the stand-in provides it";
in
{
  packages = lib.mapAttrs withRow packages;
  inherit hostTool staged;
  # the C library's headers, crt objects and linker scripts (pointed at the store's glibc)
  libcDev = hostTool "glibc-dev" {
    pname = "glibc-dev";
    fixup = ''
      for f in "$out"/lib/*.so; do
        if [ "$(dd if="$f" bs=2 count=1 2>/dev/null)" = '/*' ] || grep -q 'GNU ld script' "$f"; then
          sed -i -e "s|/usr/lib/x86_64-linux-gnu/|$out/lib/|g" -e "s|/lib/x86_64-linux-gnu/|$glibc/lib/|g" -e "s|/lib64/|$glibc/lib/|g" "$f"
        fi
      done
    '';
  };
  # Debian's Rust toolchain split into rustup's components (the fenix stand-in combines them)
  rust = {
    rustc = hostTool "rustc" {
      fixup = ''
        ssp=$out/lib/crossflake-standin/ssp
        mkdir -p "$ssp"
        printf '!<arch>\n' >"$ssp/libssp.a"
        printf '!<arch>\n' >"$ssp/libssp_nonshared.a"
        mv "$out/bin/rustc" "$out/bin/.rustc-wrapped"
        sed -e "s|@bash@|$bash|g; s|@ssp@|$ssp|g" ${./rustc-wrapper.sh} >"$out/bin/rustc"
        chmod +x "$out/bin/rustc"
      '';
    };
    rust-std = hostTool "rust-std" { patch = false; pname = "rust-std-x86_64-unknown-linux-gnu"; };
    cargo = hostTool "cargo" { };
    clippy = hostTool "clippy" { };
    rustfmt = hostTool "rustfmt" { };
    rust-src = hostTool "rust-src" { patch = false; };
  };
}
