# crossEnvFor spec { profile ? "release", buildStd ? false } -> the recipe of crossEnv.nix for
# `spec` on this host, with Nix's tools filled in, plus what a derivation needs of it:
#   vars               NAME -> value, what a build gets (the recipe's, build-std-only and run-only entries left
#                      out: a runner or qemu's glibc never reaches a package build; for zig
#                      recipes CARGO_ZIGBUILD_ZIG_COMMAND, the zig cargo-zigbuild runs)
#   runVars            vars plus the run-only entries (the runner, QEMU_LD_PREFIX): for the
#                      test check and the dev shells
#   nativeBuildInputs  zig and the pinned cargo-zigbuild for zig recipes
#   runnerPackages     the runner's package, when the host has one for this target
#   preBuild           shell code every zig build runs first: writable zig caches and library
#   unstableAllowed    the names of the recipe's variables the catalog marks `unstable` (on
#                      this host: cargo's target-applies-to-host and host-config when the
#                      target is the host's)
#   (crossEnvFor (resolveTarget "aarch64-musl") { profile = "crossflake"; }).vars.CC_aarch64_unknown_linux_musl
#     == "/nix/store/...-zig-cc-aarch64-linux-musl"
{ pkgs, pure, nixpkgs, zig, zigCommand, cargoZigbuild, hostCc }:
spec: { profile ? "release", buildStd ? false }:
let
  inherit (pkgs) lib;
  host = pkgs.stdenv.hostPlatform.system;
  runner = pure.runnerFor spec.target host;
  runnerInfo = pure.catalog.runners.${runner.kind} or { };
  runnerPackage = if runner.status == "program" then lib.getAttrFromPath (lib.splitString "." runnerInfo.nixpkgs) pkgs else null;
  runnerDir = "${runnerPackage}/${runnerInfo.package-dir or "bin"}";
  runnerProgram = "${runnerDir}/${runner.program or ""}";
  # the catalog's `alternatives`, in the same directory, when the package has no `program`
  # (a wine before 11 has bin/wine64 only)
  runnerCandidates = [ runnerProgram ] ++ map (a: "${runnerDir}/${a}") (runnerInfo.alternatives or [ ]);
  # Runners get a writable HOME (wine needs one; the sandbox's HOME is not writable); a loader
  # runs the executable with its own glibc's libraries
  runnerCommand = pkgs.writeShellScript "crossflake-runner-${runner.kind or "none"}" ''
    if [ ! -w "''${HOME:-/homeless-shelter}" ]; then
      HOME=$(mktemp -d)
      export HOME
    fi
    for program in ${lib.escapeShellArgs runnerCandidates}; do
      if [ -x "$program" ]; then
        exec "$program" ${lib.escapeShellArgs (lib.optionals (runnerInfo ? loader-dirs) [ "--library-path" (dirOf runnerProgram) ]
          ++ runner.args or [ ])} "$@"
      fi
    done
    echo "crossflake: the ${runner.kind or "none"} runner has none of ${lib.concatStringsSep ", " runnerCandidates}" >&2
    exit 127
  '';
  # qemu-user finds the target's dynamic loader in a glibc of the target's own system
  sysroot = "${nixpkgs.legacyPackages."${spec.target.arch}-linux".stdenv.cc.libc}";
  sspStubs = pkgs.runCommand "crossflake-ssp-stubs" { } ''
    mkdir -p $out
    printf '!<arch>\n' > $out/libssp.a
    printf '!<arch>\n' > $out/libssp_nonshared.a
  '';
  recipe = pure.crossEnv {
    inherit spec host profile buildStd;
    tools = {
      cargoZigbuild = lib.getExe cargoZigbuild;
      scriptPath = s: "${pkgs.writeShellScript "${s.tool}-${s.zigTarget}" s.body}";
      runner = if runnerPackage == null then null else "${runnerCommand}";
      inherit sysroot;
      sspStubs = "${sspStubs}";
      # mkLib's host cc (null on darwin): the linker of build scripts and proc-macros when
      # the target is the host's own triple
      hostLinker = hostCc;
    };
  };
  usesZig = spec.zigTarget != null;
  # the zig cargo-zigbuild runs (mkLib.nix's zigCommand), for builds and dev shells alike
  pick = keep: lib.mapAttrs (_: e: e.value) (lib.filterAttrs (_: keep) recipe.env) // lib.optionalAttrs usesZig zigCommand;
in
recipe // {
  vars = pick (e: (buildStd || !e.buildStd) && !e.run);
  runVars = pick (e: buildStd || !e.buildStd);
  nativeBuildInputs = lib.optionals usesZig [ zig cargoZigbuild ];
  runnerPackages = lib.optional (runnerPackage != null) runnerPackage;
  unstableAllowed = builtins.attrNames (lib.filterAttrs (_: e: e.unstable) recipe.env);
  # zig and cargo-zigbuild cache under $HOME or ~/Library by default: not writable in the
  # sandbox, and XDG_CACHE_HOME is not read on darwin
  preBuild = lib.optionalString usesZig ''
    export ZIG_GLOBAL_CACHE_DIR="$TMPDIR/zig-global-cache"
    export ZIG_LOCAL_CACHE_DIR="$TMPDIR/zig-local-cache"
    export CARGO_ZIGBUILD_CACHE_DIR="$TMPDIR/cargo-zigbuild-cache"
    ${builtins.readFile ./writable-zig-lib.sh}
    crossflakeWritableZigLib "$TMPDIR/zig-lib" ${lib.escapeShellArgs pure.catalog.cargo-zigbuild.writes}
  '';
}
