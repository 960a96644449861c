# The crossflake library, as the flake's `lib` output:
#   mkFlake   { src, ... } -> flake outputs for a Cargo project (see mkFlake.nix)
#   mkLib     pkgs -> per-system functions (see mkLib.nix)
#   flakeModule  the flake-parts module, the flake's flakeModules.default (see flakeModule.nix)
#   overlay   pkgs.crossflake and pkgs.crossflakeLib, the flake's overlays.default (see overlay.nix)
#   catalog, defaultSystems, resolveTarget, runnerFor, crossEnv, projectConfig, hostOutputs,
#   lockCheck, toolchainRequest, lockedSources, buildTools, fillTemplate, sourceDate,
#   unstableSwitches, hasBinaries: the pure part (see pure.nix), usable without nixpkgs
#   import ./nix { inherit nixpkgs crane fenix; }
{ nixpkgs, crane, fenix }:
let
  pure = import ./pure.nix { };
  crossflakeSource = import ./crossflakeSource.nix { inherit (nixpkgs) lib; };
  mkLib = import ./mkLib.nix { inherit pure crane fenix nixpkgs crossflakeSource; };
  projectOutputs = import ./projectOutputs.nix { inherit pure mkLib nixpkgs; };
  mkFlake = import ./mkFlake.nix { inherit projectOutputs pure nixpkgs; };
  flakeModule = import ./flakeModule.nix { inherit projectOutputs nixpkgs; };
  overlay = import ./overlay.nix { inherit mkLib; };
in
{
  inherit mkFlake mkLib crossflakeSource flakeModule overlay;
  inherit (pure) catalog defaultSystems resolveTarget runnerFor crossEnv projectConfig hostOutputs lockCheck toolchainRequest lockedSources buildTools fillTemplate sourceDate unstableSwitches hasBinaries;
}
