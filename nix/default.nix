# The crossflake library, as the flake's `lib` output:
#   mkFlake   { src, ... } -> flake outputs for a Cargo project (see mkFlake.nix)
#   mkLib     pkgs -> per-system functions (see mkLib.nix)
#   catalog, resolveTarget, runnerFor, crossEnv, projectConfig, hostOutputs, lockCheck,
#   lockedSources, buildTools, fillTemplate, sourceDate, unstableSwitches, hasBinaries: the pure part (see pure.nix), usable without nixpkgs
#   import ./nix { inherit nixpkgs crane fenix; }
{ nixpkgs, crane, fenix }:
let
  pure = import ./pure.nix { };
  crossflakeSource = import ./crossflakeSource.nix { inherit (nixpkgs) lib; };
  mkLib = import ./mkLib.nix { inherit pure crane fenix nixpkgs crossflakeSource; };
  mkFlake = import ./mkFlake.nix { inherit pure mkLib nixpkgs; };
in
{
  inherit mkFlake mkLib crossflakeSource;
  inherit (pure) catalog resolveTarget runnerFor crossEnv projectConfig hostOutputs lockCheck lockedSources buildTools fillTemplate sourceDate unstableSwitches hasBinaries;
}
