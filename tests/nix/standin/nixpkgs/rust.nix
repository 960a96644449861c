# Rust in the stand-in: Debian's toolchain (host-tools.nix's `rust` components) combined the way
# fenix combines rustup's components, nixpkgs' rustc/cargo/clippy/rustfmt made from it, crate
# vendoring from a Cargo.lock through Nix's fetcher, and rustPlatform.buildRustPackage (enough for
# crane's crane-utils; tests are not run).
{ lib, pkgs, components }:
let
  # combine NAME COMPONENTS: one toolchain tree. As with fenix, the executables and
  # librustc_driver are copied (not linked), so rustc's sysroot is this tree and holds every
  # component's rust-std; the executables' rpath is this tree's lib/ and the store glibc's.
  combine = name: paths: pkgs.symlinkJoin {
    inherit name paths;
    nativeBuildInputs = [ pkgs.patchelf ];
    postBuild = ''
      for f in "$out"/bin/* "$out"/bin/.*-wrapped; do
        [ -L "$f" ] || continue
        cp --remove-destination "$(readlink -f "$f")" "$f"
        chmod u+w "$f"
        if isELF "$f"; then patchelf --set-rpath "$out/lib:${pkgs.glibc}/lib" "$f"; fi
      done
      for f in "$out"/lib/librustc_driver-*.so; do
        [ -L "$f" ] || continue
        cp --remove-destination "$(readlink -f "$f")" "$f"
      done
    '';
  };

  # vendorCargoLock { lockFile | lockContents }: the crates.io packages of a Cargo.lock, each
  # fetched by its checksum and unpacked, as a directory source for cargo
  vendorCargoLock = { lockFile ? null, lockContents ? null }:
    let
      lock = builtins.fromTOML (if lockFile != null then builtins.readFile lockFile else lockContents);
      crates = builtins.filter
        (p: p ? checksum && (p.source or "") == "registry+https://github.com/rust-lang/crates.io-index")
        (lock.package or [ ]);
      fetch = p: pkgs.fetchurl {
        name = "${p.name}-${p.version}.tar.gz";
        url = "https://static.crates.io/crates/${p.name}/${p.name}-${p.version}.crate";
        sha256 = p.checksum;
      };
    in
    pkgs.runCommand "cargo-vendor-dir" { } ''
      mkdir -p "$out"
      ${lib.concatMapStrings (p: ''
        mkdir "$out/${p.name}-${p.version}"
        tar -xzf ${fetch p} -C "$out/${p.name}-${p.version}" --strip-components=1
        printf '{"files":{},"package":"%s"}' ${p.checksum} >"$out/${p.name}-${p.version}/.cargo-checksum.json"
      '') crates}
    '';

  # the cargo configuration that points crates.io at a vendored directory
  vendoredConfig = dir: ''
    [source.crates-io]
    replace-with = "vendored-sources"
    [source.vendored-sources]
    directory = "${dir}"
  '';

  makeRustPlatform = { rustc, cargo, ... }: {
    inherit rustc cargo;
    rustLibSrc = "${components.rust-src}/lib/rustlib/src/rust/library";
    importCargoLock = vendorCargoLock;
    buildRustPackage = { cargoLock, nativeBuildInputs ? [ ], doCheck ? false, ... }@args:
      pkgs.stdenv.mkDerivation (builtins.removeAttrs args [ "cargoLock" ] // {
        inherit doCheck;
        nativeBuildInputs = [ rustc cargo ] ++ nativeBuildInputs;
        cargoVendorDir = vendorCargoLock { inherit (cargoLock) lockFile; };
        configurePhase = ''
          runHook preConfigure
          export CARGO_HOME=$NIX_BUILD_TOP/.cargo-home
          mkdir -p "$CARGO_HOME"
          cat >"$CARGO_HOME/config.toml" <<EOF
          ${vendoredConfig "$cargoVendorDir"}
          EOF
          runHook postConfigure
        '';
        buildPhase = ''
          runHook preBuild
          cargo build --release --frozen -j "$NIX_BUILD_CORES"
          runHook postBuild
        '';
        checkPhase = ''
          runHook preCheck
          cargo test --release --frozen -j "$NIX_BUILD_CORES"
          runHook postCheck
        '';
        installPhase = ''
          runHook preInstall
          mkdir -p "$out/bin"
          find target/release -maxdepth 1 -type f -perm -0100 -exec cp {} "$out/bin/" \;
          runHook postInstall
        '';
      });
  };

  rustc = combine "rustc-${components.rustc.version}" [ components.rustc components.rust-std ];
  cargo = combine "cargo-${components.cargo.version}" [ components.cargo ];
in
{
  inherit combine vendorCargoLock vendoredConfig makeRustPlatform rustc cargo;
  clippy = combine "clippy-${components.clippy.version}" [ components.clippy components.rustc components.rust-std ];
  rustfmt = combine "rustfmt-${components.rustfmt.version}" [ components.rustfmt components.rustc ];
  rustPlatform = makeRustPlatform { inherit rustc cargo; };
}
