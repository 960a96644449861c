# devShellForTarget { craneLib, spec, profile ? "release", packages ? [ ] } -> a shell whose
# environment makes plain `cargo build` and `cargo test` build for `spec` and run its
# tests under the host's runner (CARGO_BUILD_TARGET plus the recipe's variables, runner
# included). For zig recipes, zig's library is given to cargo-zigbuild as a writable copy under
# ~/.cache/crossflake (zig's own is read-only in the store).
#   devShellForTarget { inherit craneLib; spec = resolveTarget "aarch64-musl"; }
{ lib, pure, crossEnvFor, zig }:
{ craneLib, spec, profile ? "release", packages ? [ ] }:
let
  env = crossEnvFor spec { inherit profile; };
in
craneLib.devShell (env.runVars // {
  CARGO_BUILD_TARGET = spec.triple;
  packages = env.nativeBuildInputs ++ env.runnerPackages ++ packages;
  shellHook = lib.optionalString (spec.zigTarget != null) ''
    ${builtins.readFile ./writable-zig-lib.sh}
    crossflakeWritableZigLib "''${XDG_CACHE_HOME:-$HOME/.cache}/crossflake/zig-lib-${baseNameOf "${zig}"}" ${lib.escapeShellArgs pure.catalog.cargo-zigbuild.writes}
  '' + ''
    echo "crossflake: cargo builds for ${spec.alias} (${spec.cargoTarget}) in this shell; build: ${lib.escapeShellArgs env.command}"
  '';
})
