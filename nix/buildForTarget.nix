# buildForTarget { craneLib, src, spec, profile ? "release", ... } -> { package; deps; env; args; }
# Builds `src` for one target with crane: buildDepsOnly, then buildPackage reusing the
# dependency build (so a source-only change rebuilds only the project's crates), both with
# the target's recipe command and environment. Other arguments go to crane.
#   buildForTarget { inherit craneLib; src = ./.; spec = resolveTarget "aarch64-musl"; profile = "crossflake"; }
{ pkgs, crossEnvFor }:
{ craneLib, src, spec, profile ? "release", ... }@args:
let
  inherit (pkgs) lib;
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
    # zig and cargo-zigbuild cache under $HOME or ~/Library by default: not writable in the
    # sandbox, and XDG_CACHE_HOME is not read on darwin
    preConfigure = ''
      export ZIG_GLOBAL_CACHE_DIR="$TMPDIR/zig-global-cache"
      export ZIG_LOCAL_CACHE_DIR="$TMPDIR/zig-local-cache"
      export CARGO_ZIGBUILD_CACHE_DIR="$TMPDIR/cargo-zigbuild-cache"
    '' + (craneArgs.preConfigure or "");
  };
  deps = craneLib.buildDepsOnly common;
in
{
  inherit deps env common;
  package = craneLib.buildPackage (common // {
    cargoArtifacts = deps;
    doCheck = false;
    passthru = { inherit deps spec; crossEnv = env; };
  });
}
