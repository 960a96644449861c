# Level-1 cases: a Cargo.toml metadata table -> targets, image, profile, package set.
{ projectConfig, hostOutputs, ... }:
let
  config = text: projectConfig { cargoToml = builtins.fromTOML text; path = "/p/Cargo.toml"; };
  package = ''
    [package]
    name = "server"
    version = "0.1.0"

    [package.metadata.crossflake]
    schema = 1
    targets = ["aarch64-musl", "x86_64-unknown-linux-gnu.2.28", "armv7-musl", "aarch64-darwin"]

    [package.metadata.crossflake.image]
    name = "ghcr.io/me/server"
    ca-bundle = true

    [profile.crossflake]
    inherits = "release"
  '';
  c = config package;
in
[
  {
    name = "targets in order, floors kept";
    expr = map (s: [ s.alias s.cargoTarget ]) c.targets;
    expected = [
      [ "aarch64-musl" "aarch64-unknown-linux-musl" ]
      [ "x86_64-gnu" "x86_64-unknown-linux-gnu.2.28" ]
      [ "armv7-musl" "armv7-unknown-linux-musleabihf" ]
      [ "aarch64-darwin" "aarch64-apple-darwin" ]
    ];
  }
  {
    name = "image defaults: entrypoint is the package name";
    expr = c.image;
    expected = { name = "ghcr.io/me/server"; entrypoint = "server"; caBundle = true; };
  }
  { name = "profile crossflake when present"; expr = c.profile; expected = "crossflake"; }
  {
    name = "image entrypoint defaults to the first [[bin]]";
    expr = (config "[package]\nname = \"ripgrep\"\n[[bin]]\nname = \"rg\"\n[package.metadata.crossflake]\nschema = 1\n[package.metadata.crossflake.image]\n").image.entrypoint;
    expected = "rg";
  }
  {
    name = "profile release when absent; virtual workspace table";
    expr = let w = config "[workspace]\nmembers = []\n[workspace.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-musl\"]\n"; in [ w.profile w.kind w.metadataKey w.image ];
    expected = [ "release" "virtual-workspace" "workspace.metadata.crossflake" null ];
  }
  {
    name = "package set on x86_64-linux: darwin skipped, OCI for static linux";
    expr = let o = hostOutputs { config = c; host = "x86_64-linux"; }; in { inherit (o) packageNames skipped; };
    expected = {
      packageNames = [ "aarch64-musl" "x86_64-gnu" "armv7-musl" "aarch64-musl-oci" "armv7-musl-oci" "oci" "dist" ];
      skipped = [{ alias = "aarch64-darwin"; reason = "aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin"; }];
    };
  }
  {
    name = "package set on aarch64-darwin includes the darwin target";
    expr = (hostOutputs { config = c; host = "aarch64-darwin"; }).packageNames;
    expected = [ "aarch64-musl" "x86_64-gnu" "armv7-musl" "aarch64-darwin" "aarch64-musl-oci" "armv7-musl-oci" "oci" "dist" ];
  }
  {
    name = "no image table: no OCI outputs";
    expr = (hostOutputs { config = config "[package]\nname = \"a\"\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-musl\"]\n"; host = "x86_64-linux"; }).packageNames;
    expected = [ "x86_64-musl" "dist" ];
  }
  {
    name = "no target this host builds: no dist";
    expr = (hostOutputs { config = config "[package]\nname = \"a\"\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-darwin\"]\n"; host = "x86_64-linux"; }).packageNames;
    expected = [ ];
  }
  { name = "unknown schema throws"; expr = config "[package]\n[package.metadata.crossflake]\nschema = 2\n"; expected = { throws = "crossflake: /p/Cargo.toml: package.metadata.crossflake.schema: schema 2 is not one this crossflake reads (it reads schema 1); update the crossflake input"; }; }
  { name = "unknown key throws"; expr = config "[package]\n[package.metadata.crossflake]\nschema = 1\ntarget = []\n"; expected = { throws = "crossflake: /p/Cargo.toml: package.metadata.crossflake.target: unknown key; package.metadata.crossflake takes schema, targets, image, ci, cache and sccache"; }; }
  { name = "missing table throws"; expr = (config "[package]\nname = \"a\"\n").targets; expected = { throws = "crossflake: /p/Cargo.toml has no [package.metadata.crossflake] table; run `crossflake init` to add one"; }; }
  { name = "unknown target throws"; expr = (config "[package]\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"x\"]\n").targets; expected = { throws = "crossflake: unknown target `x`; valid targets: aarch64-darwin, aarch64-gnu, aarch64-musl"; }; }
  { name = "the same triple twice throws, naming both entries"; expr = (config "[package]\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-gnu\", \"aarch64-musl\", \"x86_64-unknown-linux-gnu.2.31\"]\n").targets; expected = { throws = "crossflake: /p/Cargo.toml: package.metadata.crossflake.targets[2]: `x86_64-unknown-linux-gnu.2.31` is the same target as targets[0] `x86_64-gnu` (x86_64-unknown-linux-gnu); list each target once"; }; }
  { name = "targets that are not an array throw"; expr = (config "[package]\n[package.metadata.crossflake]\nschema = 1\ntargets = \"aarch64-musl\"\n").targets; expected = { throws = "crossflake: /p/Cargo.toml: package.metadata.crossflake.targets: must be an array of target names"; }; }
]
