# mkFlake { src, self ? null, systems ? lib.defaultSystems, cleanSrc ? null,
#           sourceFilter ? (path: type: false), craneArgs ? { }, targets ? null, image ? null }
#   -> whole flake outputs for the Cargo project at `src`:
#   packages.<system>.<alias>    the project built for each target its metadata table lists
#                                and the host can build (default: the host build)
#   checks.<system>              per target: the build, verify, test (or a reported skip),
#                                clippy; fmt once
#   devShells.<system>.default   toolchain with every target's rust-std, rust-src,
#                                rust-analyzer, zig, cargo-zigbuild, the runners, crossflake
#                                (each target's builds get a toolchain with its rust-std only)
#   devShells.<system>.<alias>   plain `cargo build`/`cargo test` build for that target
#   packages.<system>.<alias>-oci  with an image table: an OCI image of each static linux target
#   packages.<system>.oci        ... and one multi-platform image index of all of them
#   packages.<system>.dist       release archives of every target built here, as `crossflake
#                                dist` names and lays them out, SHA256SUMS, crossflake-dist.json
#   apps.<system>.default        the image entrypoint or the package's binary
#   apps.<system>.crossflake     the crossflake CLI the project's flake.lock pins
#   apps.<system>.push-oci       `nix run .#push-oci -- REGISTRY/NAME:TAG [OPTIONS]` pushes packages.oci
#                                (skopeo copy --all; OPTIONS such as --dest-creds go to skopeo)
#   formatter.<system>           nixpkgs-fmt
# Targets and image settings come from Cargo.toml's [package.metadata.crossflake]
# (`crossflake init` writes it). `cleanSrc` replaces the source crane builds (default: the
# files crane's filterCargoSources keeps, the C, C++ and assembly sources build scripts compile
# with cc-rs (cSources), and those `sourceFilter` keeps). `craneArgs` go to every crane call
# and win over mkFlake's pname, version and strictDeps; `src` and `CARGO_PROFILE` there are
# refused (they are mkFlake's), as are the target recipe's variables (see buildForTarget).
# `targets` (a list of names) replaces the metadata table's on every system; `image`
# ({ name?, entrypoint?, caBundle? }) is set over its image table (see projectOutputs.nix). Each system's
# outputs come from projectOutputs.nix, which the flake-parts module (flakeModule.nix) shares.
#   outputs = { self, crossflake, ... }: crossflake.lib.mkFlake { inherit self; src = ./.; };
{ projectOutputs, pure, nixpkgs }:
{ src
, self ? null
, systems ? pure.defaultSystems
, cleanSrc ? null
, sourceFilter ? (_path: _type: false)
, craneArgs ? { }
, targets ? null
, image ? null
}:
let
  inherit (nixpkgs) lib;
  outputsOn = projectOutputs { inherit src self cleanSrc sourceFilter image; };
  all = lib.genAttrs systems (system: outputsOn { inherit system targets craneArgs; });
  pick = kind: lib.mapAttrs (_: s: s.${kind}) all;
in
{
  packages = pick "packages";
  checks = pick "checks";
  devShells = pick "devShells";
  apps = pick "apps";
  formatter = pick "formatter";
}
