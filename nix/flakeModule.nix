# The flake-parts module (`flakeModules.default`): mkFlake's outputs through flake-parts'
# perSystem, for a flake that already uses flake-parts. Every package, check, dev shell, app and
# the formatter is set at priority 1200 (below mkDefault's 1000), so a definition of one by the
# flake, or a mkDefault of another module (treefmt-nix's formatter), wins. The consumer brings
# flake-parts; crossflake's own flake does not depend on it.
#   outputs = inputs@{ flake-parts, crossflake, ... }: flake-parts.lib.mkFlake { inherit inputs; } {
#     imports = [ crossflake.flakeModules.default ];
#     systems = crossflake.lib.defaultSystems;
#     crossflake.src = ./.;
#     perSystem = { ... }: { crossflake.targets = [ "x86_64-musl" ]; };
#   };
# Per project: crossflake.{src, cleanSrc, sourceFilter, craneArgs, targets, image}, as mkFlake's
# arguments (`self` is flake-parts' own). Per system: perSystem.crossflake.{targets, craneArgs,
# pkgs}, a system's targets defaulting to the project's.
# The outputs come from projectOutputs.nix, mkFlake's own code path: the same settings give
# the same derivations.
{ projectOutputs, nixpkgs }:
{ lib, config, self, flake-parts-lib, ... }:
let
  inherit (lib) mkOption types;
  project = config.crossflake;
  outputsOn = projectOutputs {
    inherit (project) src cleanSrc sourceFilter image;
    inherit self;
    names = {
      craneArgs = "crossflake.craneArgs (with perSystem.crossflake.craneArgs)";
      targets = "perSystem.crossflake.targets";
      image = "crossflake.image";
      src = "`crossflake.src`";
      cleanSrc = "`crossflake.cleanSrc`";
      sourceFilter = "`crossflake.sourceFilter`";
    };
  };
  targetsType = types.nullOr (types.listOf types.str);
  craneArgsOption = what: mkOption {
    type = types.lazyAttrsOf types.raw;
    default = { };
    description = ''
      Arguments for every crane call ${what}, as mkFlake's `craneArgs`: they win over
      crossflake's `pname`, `version` and `strictDeps`; `src`, `CARGO_PROFILE` and the target
      recipe's variables are refused.
    '';
  };
in
{
  _file = ./flakeModule.nix;
  _class = "flake";
  # imported twice (directly and through another module), it is one module
  key = "crossflake#flakeModules.default";
  options.crossflake = {
    src = mkOption {
      type = types.path;
      description = "The Cargo project: the directory holding its root Cargo.toml (usually `./.`).";
      example = lib.literalExpression "./.";
    };
    cleanSrc = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = ''
        The source crane builds, replacing crossflake's filter (the files crane's
        filterCargoSources keeps, and the C, C++ and assembly sources of build scripts).
      '';
    };
    sourceFilter = mkOption {
      # called for every file of the source: a plain function, not merged per call
      type = types.raw;
      default = _path: _type: false;
      defaultText = lib.literalExpression "path: type: false";
      description = "More files for the source crane builds: `path: type: bool`, true to keep.";
    };
    craneArgs = craneArgsOption "on every system";
    targets = mkOption {
      type = targetsType;
      default = null;
      description = ''
        The targets on every system, named as Cargo.toml's crossflake table names them
        (aliases, triples, `.GLIBC` floors); a system's `perSystem.crossflake.targets` wins.
        `null`: the table's `targets`.
      '';
      example = [ "x86_64-musl" "aarch64-musl" ];
    };
    image = mkOption {
      type = types.nullOr (types.submodule {
        options = {
          name = mkOption { type = types.nullOr types.str; default = null; description = "The image name (`null`: the image table's, else the package name)."; };
          entrypoint = mkOption { type = types.nullOr types.str; default = null; description = "The binary the image runs (`null`: the image table's, else the package's first binary)."; };
          caBundle = mkOption { type = types.nullOr types.bool; default = null; description = "Whether the image carries a CA bundle (`null`: the image table's `ca-bundle`, else no)."; };
        };
      });
      default = null;
      description = ''
        OCI image settings over Cargo.toml's `[*.metadata.crossflake.image]` table; set, the
        project's static linux targets get images even without that table. `null`: the table's.
      '';
      example = { name = "server"; };
    };
  };
  options.perSystem = flake-parts-lib.mkPerSystemOption ({ system, ... }: {
    options.crossflake = {
      targets = mkOption {
        type = targetsType;
        default = project.targets;
        defaultText = lib.literalExpression "config.crossflake.targets";
        description = ''
          This system's targets, named as Cargo.toml's crossflake table names them (aliases,
          triples, `.GLIBC` floors). `null`: the table's `targets`.
        '';
        example = [ "x86_64-musl" "aarch64-musl" ];
      };
      craneArgs = craneArgsOption "on this system (merged over crossflake.craneArgs)";
      pkgs = mkOption {
        type = types.raw;
        default = nixpkgs.legacyPackages.${system};
        defaultText = lib.literalExpression "crossflake.inputs.nixpkgs.legacyPackages.\${system}";
        description = "The nixpkgs crossflake's derivations build with (default: the one crossflake's flake.lock pins, as mkFlake).";
      };
    };
  });
  config.perSystem = { system, config, ... }:
    let
      settings = config.crossflake;
      outputs = outputsOn {
        inherit system;
        inherit (settings) targets pkgs;
        craneArgs = project.craneArgs // settings.craneArgs;
      };
      # below mkDefault: the flake's definitions and other modules' defaults win
      defaults = lib.mapAttrs (_: lib.mkOverride 1200);
    in
    {
      packages = defaults outputs.packages;
      checks = defaults outputs.checks;
      devShells = defaults outputs.devShells;
      apps = defaults outputs.apps;
      formatter = lib.mkOverride 1200 outputs.formatter;
    };
}
