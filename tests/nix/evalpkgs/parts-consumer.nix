# The flake-parts consumer of tests/nix/flake-parts.sh (copied in as flake.nix beside a copy of
# tests/fixtures/cross-hello): crossflake's module on two systems given different targets (the
# project's on x86_64-linux, the system's own on aarch64-darwin) and craneArgs, an image name
# over the image table's, one package defined by the flake itself on x86_64-linux, a formatter
# another module sets with mkDefault (as treefmt-nix's does), and, for comparison, mkFlake's
# outputs for the same settings, system by system.
{
  inputs = {
    crossflake.url = "github:crossflake/crossflake";
    flake-parts.url = "github:hercules-ci/flake-parts";
    flake-parts.inputs.nixpkgs-lib.follows = "crossflake/nixpkgs";
  };

  outputs = inputs@{ self, flake-parts, crossflake, ... }:
    let
      inherit (crossflake.inputs.nixpkgs) lib;
      targets = {
        x86_64-linux = [ "x86_64-musl" "aarch64-musl" "x86_64-windows" ];
        aarch64-darwin = [ "aarch64-musl" "wasm32-wasip1" "aarch64-darwin" ];
      };
      shared = { CROSSFLAKE_PARTS_SHARED = "1"; };
      image = { name = "parts-hello"; };
      perSystemArgs = {
        x86_64-linux = { };
        aarch64-darwin = { CROSSFLAKE_PARTS_DARWIN = "1"; };
      };
      # the consumer, with one more module (EXTRA) for the refusals
      withModule = extra: flake-parts.lib.mkFlake { inherit inputs; } {
        imports = [ crossflake.flakeModules.default extra ];
        systems = builtins.attrNames targets;
        crossflake.src = ./.;
        crossflake.craneArgs = shared;
        crossflake.targets = targets.x86_64-linux;
        crossflake.image = image;
        perSystem = { system, config, ... }: {
          # x86_64-linux takes the project's targets
          crossflake.targets = lib.mkIf (system == "aarch64-darwin") targets.${system};
          crossflake.craneArgs = perSystemArgs.${system};
          # defined by the flake: wins over crossflake's default on x86_64-linux
          packages.aarch64-musl = lib.mkIf (system == "x86_64-linux")
            (config.crossflake.pkgs.writeText "aarch64-musl-by-the-flake" "the flake's own package");
        };
      };
      # another module's default formatter (treefmt-nix sets its wrapper with mkDefault)
      parts = withModule {
        perSystem = { config, ... }: {
          formatter = lib.mkDefault (config.crossflake.pkgs.writeText "formatter-by-another-module" "");
        };
      };
      mkFlakeOn = system: crossflake.lib.mkFlake {
        inherit self;
        src = ./.;
        systems = [ system ];
        targets = targets.${system};
        craneArgs = shared // perSystemArgs.${system};
        inherit image;
      };
      # what an output is, to compare: a drvPath, or an app's program
      describe = kind: v:
        if kind == "apps" then builtins.mapAttrs (_: a: a.program) v
        else if kind == "formatter" then { formatter = v.drvPath; }
        else builtins.mapAttrs (_: d: d.drvPath) v;
      overlaid = import crossflake.inputs.nixpkgs { system = "x86_64-linux"; overlays = [ crossflake.overlays.default ]; };
    in
    parts // {
      inherit withModule;
      # the image name given (the fixture's image table names it cross-hello)
      imageName = parts.packages.x86_64-linux.oci.name;
      comparison = lib.genAttrs (builtins.attrNames targets) (system:
        lib.genAttrs [ "packages" "checks" "devShells" "apps" "formatter" ] (kind: {
          module = describe kind parts.${kind}.${system};
          mkFlake = describe kind (mkFlakeOn system).${kind}.${system};
        }));
      # mkFlake's error for the same target list, to compare with the module's
      mkFlakeTargets = t: (crossflake.lib.mkFlake { inherit self; src = ./.; systems = [ "x86_64-linux" ]; targets = t; }).packages.x86_64-linux.default.drvPath;
      overlay = {
        cli = "${overlaid.crossflake}/bin/crossflake";
        # the CLI the checks run (and `nix run .#crossflake`)
        checksCli = parts.apps.x86_64-linux.crossflake.program;
        libNames = builtins.attrNames overlaid.crossflakeLib;
        mkLibNames = builtins.attrNames (crossflake.lib.mkLib crossflake.inputs.nixpkgs.legacyPackages.x86_64-linux);
        # bound to the overlaid pkgs: its zig is that pkgs' zig
        zig = [ overlaid.crossflakeLib.zig.drvPath overlaid.zig.drvPath ];
      };
    };
}
