# devShellForTarget { craneLib, spec, profile ? "release", packages ? [ ] } -> a shell whose
# environment makes plain `cargo build` and `cargo test` build for `spec` and run its
# tests under the host's runner (CARGO_BUILD_TARGET plus the recipe's variables).
#   devShellForTarget { inherit craneLib; spec = resolveTarget "aarch64-musl"; }
{ pkgs, crossEnvFor }:
{ craneLib, spec, profile ? "release", packages ? [ ] }:
let
  env = crossEnvFor spec { inherit profile; };
in
craneLib.devShell (env.vars // {
  CARGO_BUILD_TARGET = spec.triple;
  packages = env.nativeBuildInputs ++ env.runnerPackages ++ packages;
  shellHook = ''
    echo "crossflake: cargo builds for ${spec.alias} (${spec.cargoTarget}) in this shell; build: ${pkgs.lib.escapeShellArgs env.command}"
  '';
})
