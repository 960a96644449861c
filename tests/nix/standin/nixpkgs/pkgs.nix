# The stand-in package set for x86_64-linux: nixpkgs' attribute names for what crane, fenix's
# stand-in and crossflake use. Native only: every pkgsXY set is this set itself, as in nixpkgs
# when build, host and target platforms are the same.
{ lib, platform, config, overlays }:
let
  system = platform.system;
  hostTools = builtins.fromJSON (builtins.readFile ./host-tools.json);
  # nix/nixpkgs-facts.toml, copied here by setup.sh
  facts = builtins.fromTOML (builtins.readFile ./nixpkgs-facts.toml);

  base = self:
    let
      tools = import ./host-tools.nix { inherit lib system hostTools facts; };
      stdenvs = import ./stdenv { inherit lib system platform; pkgs = self; };
      rust = import ./rust.nix { inherit lib; pkgs = self; components = tools.rust; };
      # llvmPackages_N (N: the major version of zig's clang) with only libclang, which nixpkgs'
      # zig lists among its buildInputs (it is built with that llvmPackages)
      llvmMajor = lib.versions.major tools.packages.libclang.version;
      llvmPackages = { libclang = tools.packages.libclang; release_version = tools.packages.libclang.version; };
      llvm = {
        "llvmPackages_${llvmMajor}" = llvmPackages;
        llvmPackages_latest = llvmPackages;
        inherit llvmPackages;
        zig = tools.packages.zig // { buildInputs = [ llvmPackages.libclang ]; };
      };
      cc = import ./cc.nix {
        inherit system;
        inherit (self) bash coreutils glibc;
        gcc = self.gcc-unwrapped;
        binutils = self.binutils-unwrapped;
        inherit (tools) libcDev;
      };
    in
    tools.packages
    // llvm
    // import ./builders.nix { inherit lib; pkgs = self; }
    // {
      inherit lib config system;
      inherit (stdenvs) stdenv stdenvNoCC;
      buildPlatform = platform;
      hostPlatform = platform;
      targetPlatform = platform;

      pkgs = self;
      pkgsBuildBuild = self;
      pkgsBuildHost = self;
      pkgsBuildTarget = self;
      pkgsHostHost = self;
      pkgsHostTarget = self;
      pkgsTargetTarget = self;
      buildPackages = self;
      targetPackages = self;
      __splicedPackages = self;

      newScope = extra: lib.callPackageWith (self // extra);
      callPackage = self.newScope { };
      callPackages = lib.callPackagesWith self;
      # no splicing when build, host and target platforms are one (as in nixpkgs)
      splicePackages = { pkgsHostTarget, ... }: pkgsHostTarget;
      makeScopeWithSplicing' = lib.makeScopeWithSplicing' { inherit (self) splicePackages newScope; };

      runtimeShell = "${self.bash}/bin/bash";
      bashInteractive = self.bash;
      binutils = self.binutils-unwrapped;
      gcc = cc;
      qemu = self.qemu-user;
      # fenix's toolchain builder takes these and uses them on darwin only
      curl = throw "nixpkgs stand-in: curl is not staged (fenix uses it on darwin only)";
      makeBinaryWrapper = throw "nixpkgs stand-in: makeBinaryWrapper is not staged (fenix uses it on darwin only)";
      # fenix's flake lists its rust-analyzer VS Code extension among its packages: a derivation
      # here (its `packages` must evaluate), which says it is not staged when built
      vscode-utils.buildVscodeExtension = { name, ... }: derivation {
        inherit name system;
        builder = "/bin/sh";
        args = [ "-c" "echo 'nixpkgs stand-in: vscode-utils is not staged' >&2; exit 1" ];
      };
      wine = self.wine64;

      inherit (rust) rustc cargo clippy rustfmt rustPlatform makeRustPlatform;

      # what the fenix stand-in and the harness take from here
      crossflakeStandin = {
        inherit cc;
        inherit (tools) hostTool libcDev rust;
        inherit (rust) combine vendorCargoLock vendoredConfig;
      };
    };
in
lib.fix (lib.foldl' (f: overlay: lib.extends overlay f) base overlays)
