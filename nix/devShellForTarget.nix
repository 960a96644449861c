# devShellForTarget { craneLib, spec, profile ? "release", packages ? [ ], buildTools ? [ ] } -> a shell whose
# environment makes plain `cargo build` and `cargo test` build for `spec` and run its
# tests under the host's runner (CARGO_BUILD_TARGET plus the recipe's variables, runner
# included; mkLib's hostLinker for build scripts, or for a target of the host's own triple the
# recipe's CARGO_HOST_LINKER, the same cc). For zig recipes, zig's library is given to
# cargo-zigbuild as a writable copy under ~/.cache/crossflake (zig's own is read-only in the
# store). `buildTools` (keys of targets.toml's
# [build-tools], from buildTools.nix) adds those tools as buildToolsFor gives them to builds.
#   devShellForTarget { inherit craneLib; spec = resolveTarget "aarch64-musl"; }
{ lib, pure, crossEnvFor, buildToolsFor, zig, hostLinker }:
{ craneLib, spec, profile ? "release", packages ? [ ], buildTools ? [ ] }:
let
  env = crossEnvFor spec { inherit profile; };
  tools = buildToolsFor { inherit buildTools spec; };
  vars = hostLinker // tools.vars // env.runVars;
  unstable = pure.unstableSwitches { env = vars; allowed = env.unstableAllowed; };
in
assert unstable == [ ] || throw "crossflake: the ${spec.alias} dev shell: ${builtins.concatStringsSep ", " unstable} turn(s) on unstable cargo or rustc features (targets.toml [unstable])";
craneLib.devShell (vars // {
  CARGO_BUILD_TARGET = spec.triple;
  packages = env.nativeBuildInputs ++ env.runnerPackages ++ tools.nativeBuildInputs ++ packages;
  shellHook = lib.optionalString (spec.zigTarget != null) ''
    ${builtins.readFile ./writable-zig-lib.sh}
    crossflakeWritableZigLib "''${XDG_CACHE_HOME:-$HOME/.cache}/crossflake/zig-lib-${baseNameOf "${zig}"}" ${lib.escapeShellArgs pure.catalog.cargo-zigbuild.writes}
  '' + tools.preBuild + ''
    echo "crossflake: cargo builds for ${spec.alias} (${spec.cargoTarget}) in this shell; build: ${lib.escapeShellArgs env.command}"
  '';
})
