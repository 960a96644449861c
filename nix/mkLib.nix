# mkLib pkgs -> the per-system functions, for composing your own flake:
#   toolchain          { rustToolchainToml?, legacyToolchainFile?, lockFile?, targets?, extraComponents? } -> toolchain
#   craneLibFor        toolchain -> crane's lib using it
#   crossEnvFor        spec -> { profile?, buildStd? } -> recipe, vars, runVars, nativeBuildInputs, runnerPackages
#   buildForTarget     { craneLib, src, spec, profile?, ... } -> { package, deps, env, common }
#   checksForTarget    { build, crossflake, craneLib? } -> verify, test (or skip), clippy checks
#   devShellForTarget  { craneLib, spec, profile?, packages? } -> shell for plain cargo
#   ociImage           { crossflake, name, binaries, tag?, ... } -> OCI image layout
#   runnerPackages     the runner packages this host has
#   zig                nixpkgs' zig, checked against targets.toml's [zig] min-version
#   zigCommand         { CARGO_ZIGBUILD_ZIG_COMMAND, _ARGS } naming that zig, for cargo-zigbuild
#   hostLinker         { CARGO_TARGET_<HOST TRIPLE>_LINKER } on linux hosts (else { }): cc without
#                      rustc's self-contained rust-lld, so host programs and build scripts link
#                      through nixpkgs' ld-wrapper (RUNPATH for nixpkgs' shared libraries)
#   cargoZigbuild      the cargo-zigbuild targets.toml pins, built from crates.io
#   libclang           the libclang bindgen loads: the one nixpkgs' zig was built with
#   buildToolsFor      { buildTools, spec? } -> nativeBuildInputs, vars, preBuild for the build
#                      tools a project's crates need (pure.buildTools of its Cargo.lock)
#   crossflake         the crossflake CLI for this host
#   let cf = crossflake.lib.mkLib nixpkgs.legacyPackages.x86_64-linux;
#   in cf.buildForTarget { craneLib = cf.craneLibFor (cf.toolchain { targets = [ "aarch64-unknown-linux-musl" ]; }); src = ./.; spec = crossflake.lib.resolveTarget "aarch64-musl"; }
{ pure, crane, fenix, nixpkgs, crossflakeSource }:
pkgs:
let
  system = pkgs.stdenv.hostPlatform.system;
  toolchain = import ./toolchain.nix {
    fenix = fenix.packages.${system};
    inherit (pure) lockCheck lockedSources toolchainRequest strings;
    hostTriple = pure.catalog.hosts.${system}.triple;
  };
  craneLibFor = tc: (crane.mkLib pkgs).overrideToolchain (_: tc);
  zig =
    let
      min = pure.catalog.zig.min-version;
      found = pkgs.zig.version or "unknown";
    in
    if builtins.compareVersions found min >= 0 then pkgs.zig
    else
      throw ''
        crossflake: nixpkgs' zig is ${found}, and crossflake's recipe needs zig ${min} or newer (targets.toml [zig] min-version).
        Update the flake's nixpkgs input (`nix flake update nixpkgs`), or give crossflake a nixpkgs whose zig is newer (an overlay: zig = final.zig_0_17).'';
  # bindgen's libclang must be at least as new as zig's clang, whose headers it parses:
  # nixpkgs' zig has the libclang of the llvmPackages it was built with among its buildInputs
  # (pname "clang"); a zig without it gets targets.toml's [build-tools.libclang] attribute
  libclang =
    let fromZig = pkgs.lib.findFirst (d: (d.pname or "") == "clang") null (zig.buildInputs or [ ]);
    in if fromZig != null then fromZig
    else pkgs.lib.getAttrFromPath (pkgs.lib.splitString "." pure.catalog.build-tools.libclang.nixpkgs) pkgs;
  buildToolsFor = import ./buildToolsFor.nix { inherit pkgs pure libclang; };
  # built with fenix's pinned stable (its minimal profile: cargo, rustc, the host's rust-std),
  # whatever channel the project pins (fenix's top-level `minimal` is a nightly)
  cargoZigbuild = import ./cargoZigbuild.nix { inherit pure; } (craneLibFor fenix.packages.${system}.stable.minimalToolchain);
  # cargo-zigbuild runs `python3 -m ziglang` before `zig` when a Python on PATH has PyPI's
  # ziglang (cargo-zigbuild 0.24.1, src/zig/locate.rs): the variable it reads first pins it to
  # nixpkgs' zig, whose library ZIG_LIB_DIR mirrors
  zigCommand = { CARGO_ZIGBUILD_ZIG_COMMAND = "${zig}/bin/zig"; CARGO_ZIGBUILD_ZIG_COMMAND_ARGS = ""; };
  # Official rustc links x86_64-unknown-linux-gnu programs with its self-contained rust-lld
  # (`cc -B<toolchain>/lib/rustlib/<triple>/bin/gcc-ld -fuse-ld=lld`, Rust 1.90 and later),
  # which never reaches nixpkgs' ld-wrapper: a program or build script linking a nixpkgs shared
  # library gets no RUNPATH and cannot start (rust-lang/rust#162781, fenix#159). rustflags
  # (-Clinker-features=-lld) do not reach build scripts when cargo is given --target; the
  # host's linker does: ./host-cc.sh, cc with those two arguments dropped. Where rustc passes
  # neither (other linux hosts, -Clinker-features=-lld) it is cc as rustc would run it. A
  # target whose triple is the host's keeps its own linker (the recipe's), and its build
  # scripts get this one as cargo's host linker (the recipe's {host-linker}, targets.toml).
  # null on darwin hosts, where rustc links with the cc it is given.
  hostCc = if pkgs.lib.hasSuffix "-linux" system then "${pkgs.writeShellScript "crossflake-host-cc" (builtins.readFile ./host-cc.sh)}" else null;
  hostLinker = pkgs.lib.optionalAttrs (hostCc != null) {
    "CARGO_TARGET_${pure.strings.cargoTriple pure.catalog.hosts.${system}.triple}_LINKER" = hostCc;
  };
  crossEnvFor = import ./crossEnvFor.nix { inherit pkgs pure nixpkgs zig zigCommand cargoZigbuild hostCc; };
  buildForTarget = import ./buildForTarget.nix { inherit pkgs pure crossEnvFor buildToolsFor hostLinker; };
  checksForTarget = import ./checksForTarget.nix { inherit pkgs pure; };
  devShellForTarget = import ./devShellForTarget.nix { inherit (pkgs) lib; inherit pure crossEnvFor buildToolsFor zig hostLinker; };
  crossflakeCli = import ./crossflakeCli.nix { inherit crossflakeSource; };
  ociImage = import ./ociImage.nix { inherit pkgs; inherit (pure) sourceDate; };
  # the runner programs this host has (a loader runner's glibc is the system's own)
  runnerPackages = map (r: pkgs.lib.getAttrFromPath (pkgs.lib.splitString "." r.nixpkgs) pkgs)
    (builtins.filter (r: r ? nixpkgs && !(r ? loader-dirs) && builtins.elem system r.hosts) (builtins.attrValues pure.catalog.runners));
in
{
  inherit toolchain craneLibFor crossEnvFor buildForTarget checksForTarget devShellForTarget ociImage runnerPackages zig zigCommand hostLinker cargoZigbuild libclang buildToolsFor;
  crossflake = crossflakeCli { craneLib = craneLibFor (toolchain { }); };
}
