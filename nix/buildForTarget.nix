# buildForTarget { craneLib, src, spec, profile ? "release", ... } -> { package; deps; env; common; }
# Builds `src` for one target with crane: buildDepsOnly, then buildPackage reusing the
# dependency build (so a source-only change rebuilds only the project's crates), both with
# the target's recipe command and build environment (no runner: see crossEnvFor). `craneLib`
# should carry a toolchain with this target's rust-std (mkFlake gives each target its own).
# `env` is crossEnvFor's result; `common` the arguments both crane calls get. Other arguments
# go to crane.
#   buildForTarget { inherit craneLib; src = ./.; spec = resolveTarget "aarch64-musl"; profile = "crossflake"; }
{ lib, crossEnvFor }:
{ craneLib, src, spec, profile ? "release", ... }@args:
let
  env = crossEnvFor spec { inherit profile; };
  craneArgs = builtins.removeAttrs args [ "craneLib" "spec" "profile" ];
  common = craneArgs // env.vars // {
    inherit src;
    pname = "${craneArgs.pname or (craneLib.crateNameFromCargoToml { inherit src; }).pname}-${spec.alias}";
    strictDeps = true;
    CARGO_PROFILE = profile;
    # cargo check/test/clippy default to the target too
    CARGO_BUILD_TARGET = spec.triple;
    # the recipe's build command, profile included
    cargoBuildCommand = lib.escapeShellArgs env.command;
    nativeBuildInputs = (craneArgs.nativeBuildInputs or [ ]) ++ env.nativeBuildInputs;
    preConfigure = env.preBuild + (craneArgs.preConfigure or "");
  };
  deps = craneLib.buildDepsOnly common;
in
{
  inherit deps env common;
  package = craneLib.buildPackage (common // {
    cargoArtifacts = deps;
    doCheck = false;
    passthru = { inherit deps spec craneLib; crossEnv = env; };
  });
}
