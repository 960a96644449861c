# overlays.default: `pkgs.crossflake`, the crossflake CLI (on the nixpkgs crossflake's
# flake.lock pins, the derivation the flake's checks and apps use), and `pkgs.crossflakeLib`, mkLib's per-system functions bound to that pkgs, for
# a NixOS or home-manager configuration or any nixpkgs import.
#   import nixpkgs { system = "x86_64-linux"; overlays = [ crossflake.overlays.default ]; }
{ mkLib }:
# deadnix: skip
final: prev: {
  crossflakeLib = mkLib final;
  inherit (final.crossflakeLib) crossflake;
}
