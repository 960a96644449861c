# crossEnvFor spec { profile ? "release", buildStd ? false } -> the recipe of crossEnv.nix for
# `spec` on this host, with Nix's tools filled in, plus what a derivation needs of it:
#   vars               NAME -> value, the environment (build-std-only entries left out)
#   nativeBuildInputs  zig and cargo-zigbuild for zig recipes
#   runnerPackages     the runner's package, when the host has one for this target
#   (crossEnvFor (resolveTarget "aarch64-musl") { profile = "crossflake"; }).vars.CC_aarch64_unknown_linux_musl
#     == "/nix/store/...-zig-cc-aarch64-linux-musl"
{ pkgs, pure, nixpkgs }:
spec: { profile ? "release", buildStd ? false }:
let
  inherit (pkgs) lib;
  host = pkgs.stdenv.hostPlatform.system;
  runner = pure.runnerFor spec.target host;
  runnerPackage = if runner.status == "program" then pkgs.${pure.catalog.runners.${runner.kind}.nixpkgs} else null;
  # Runners get a writable HOME (wine needs one; the sandbox's HOME is not writable).
  runnerCommand = pkgs.writeShellScript "crossflake-runner-${runner.kind or "none"}" ''
    if [ ! -w "''${HOME:-/homeless-shelter}" ]; then
      HOME=$(mktemp -d)
      export HOME
    fi
    exec ${lib.escapeShellArgs ([ "${runnerPackage}/bin/${runner.program or ""}" ] ++ runner.args or [ ])} "$@"
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
      cargoZigbuild = "${pkgs.cargo-zigbuild}/bin/cargo-zigbuild";
      scriptPath = s: "${pkgs.writeShellScript "${s.tool}-${s.zigTarget}" s.body}";
      runner = if runnerPackage == null then null else "${runnerCommand}";
      inherit sysroot;
      sspStubs = "${sspStubs}";
    };
  };
in
recipe // {
  vars = lib.mapAttrs (_: e: e.value) (lib.filterAttrs (_: e: buildStd || !e.buildStd) recipe.env);
  nativeBuildInputs = lib.optionals (spec.zigTarget != null) [ pkgs.zig pkgs.cargo-zigbuild ];
  runnerPackages = lib.optional (runnerPackage != null) runnerPackage;
}
