# buildToolsFor { buildTools, spec ? null } -> what a derivation needs to run the build tools
# that a project's crates need (`buildTools`: keys of targets.toml's [build-tools], from
# buildTools.nix), as crossflake's CLI gives them outside Nix:
#   nativeBuildInputs  the packages of the tools run as programs ([build-tools] `nixpkgs`)
#   vars               LIBCLANG_PATH, the lib directory of `libclang`, when bindgen needs it
#   preBuild           shell code that, for a zig target (`spec`) and libclang, exports
#                      BINDGEN_EXTRA_CLANG_ARGS_<triple> with zig's C headers for the target
#                      (bindgen-args.sh; under `cargo zigbuild` bindgen reads the one
#                      cargo-zigbuild sets instead); run after crossEnvFor's preBuild
# `libclang` (from mkLib) is the one nixpkgs' zig was built with, so it is as new as zig's clang.
#   buildToolsFor { buildTools = [ "libclang" ]; spec = resolveTarget "aarch64-musl"; }
{ pkgs, pure, libclang }:
{ buildTools, spec ? null }:
let
  inherit (pkgs) lib;
  tools = pure.catalog.build-tools;
  programs = builtins.filter (key: tools.${key} ? programs) buildTools;
  bindgen = builtins.elem "libclang" buildTools;
in
{
  nativeBuildInputs = map (key: lib.getAttrFromPath (lib.splitString "." tools.${key}.nixpkgs) pkgs) programs;
  vars = lib.optionalAttrs bindgen { LIBCLANG_PATH = "${lib.getLib libclang}/lib"; };
  preBuild = lib.optionalString (bindgen && spec != null && spec.zigTarget != null) ''
    ${builtins.readFile ./bindgen-args.sh}
    crossflakeBindgenArgs ${lib.escapeShellArgs [ spec.triple spec.zigTarget ]}
  '';
}
