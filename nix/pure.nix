# The part of the library that needs only builtins: the catalog and the functions that
# derive everything per target from it. Evaluates with plain `nix-instantiate --eval`
# (tests/nix) and is what nix/default.nix builds the rest on.
#   (import ./pure.nix { }).resolveTarget "aarch64-musl"
{ catalog ? builtins.fromTOML (builtins.readFile ../targets.toml) }:
let
  strings = import ./internal/strings.nix;
  fillTemplate = import ./fillTemplate.nix { };
  resolveTarget = import ./resolveTarget.nix { inherit catalog strings; };
  runnerFor = import ./runnerFor.nix { inherit catalog; };
  crossEnv = import ./crossEnv.nix { inherit catalog strings fillTemplate runnerFor; };
  projectConfig = import ./projectConfig.nix { inherit resolveTarget; };
  hostOutputs = import ./hostOutputs.nix { };
  lockCheck = import ./lockCheck.nix { inherit strings; };
  toolchainRequest = import ./toolchainRequest.nix { inherit catalog; };
  lockedSources = import ./lockedSources.nix { };
  buildTools = import ./buildTools.nix { inherit catalog; };
  sourceDate = import ./sourceDate.nix { };
  unstableSwitches = import ./unstableSwitches.nix { inherit catalog strings; };
  hasBinaries = import ./hasBinaries.nix { };
  # the host systems mkFlake builds for unless told otherwise (targets.toml `default-system`)
  defaultSystems = builtins.filter (s: catalog.hosts.${s}.default-system or true) (builtins.attrNames catalog.hosts);
in
{
  inherit catalog defaultSystems strings fillTemplate resolveTarget runnerFor crossEnv projectConfig hostOutputs lockCheck toolchainRequest lockedSources buildTools sourceDate unstableSwitches hasBinaries;
}
