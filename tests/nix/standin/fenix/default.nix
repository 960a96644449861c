# import ./. { pkgs } -> fenix's `packages.<system>`: stable (and minimal, default, complete, beta,
# latest: the same toolchain), combine, fromManifestFile, targets.<triple>.{stable,
# fromManifestFile, ...}.rust-std. Every toolchain is the one Debian's rustc (version below);
# fromManifestFile reads the manifest's profiles and date but not its packages.
{ pkgs }:
let
  inherit (pkgs) lib;
  c = pkgs.crossflakeStandin.rust;
  combine = pkgs.crossflakeStandin.combine;
  hostTriple = "x86_64-unknown-linux-gnu";
  version = lib.head (lib.splitString "+" c.rustc.version);

  # every target of crossflake's catalog (setup.sh copies targets.toml here); rust-std is built
  # from rust-src for all but the host's and darwin's (which would need Apple's SDK)
  catalog = builtins.fromTOML (builtins.readFile ./targets.toml);
  triples = lib.unique (map (t: t.triple) (builtins.attrValues catalog.targets));
  stdFor = triple:
    if triple == hostTriple then c.rust-std
    else if lib.hasSuffix "-apple-darwin" triple then throw "fenix stand-in: no rust-std for ${triple} on x86_64-linux"
    else import ./rust-std.nix { inherit pkgs triple version; };

  defaultProfiles = {
    minimal = [ "cargo" "rustc" "rust-std" ];
    default = [ "cargo" "clippy" "rust-docs" "rust-std" "rustc" "rustfmt" ];
    complete = [ "cargo" "clippy" "rust-docs" "rust-std" "rustc" "rustfmt" "rust-src" ];
  };

  # as fenix's: rustc and clippy carry the host's rust-std; rustc-unwrapped is the compiler alone
  components = {
    rustc = pkgs.rustc;
    rustc-unwrapped = c.rustc;
    clippy = pkgs.clippy;
    rustfmt = pkgs.rustfmt;
    inherit (c) cargo rust-std rust-src;
  };
  toolchainFrom = manifest:
    let all = builtins.attrValues (builtins.removeAttrs components [ "rustc-unwrapped" ]);
    in components // {
      inherit manifest;
      toolchain = combine "rust-${version}" all;
      withComponents = names: combine "rust-${version}" (map (n: components.${n}) names);
      completeToolchain = combine "rust-${version}" all;
      minimalToolchain = combine "rust-${version}" [ components.rustc components.cargo ];
      defaultToolchain = combine "rust-${version}" (with components; [ rustc cargo clippy rustfmt ]);
    };
  stableManifest = { date = "stand-in"; pkg.rust.version = version; profiles = defaultProfiles; };
  stable = toolchainFrom stableManifest;
  fromManifestFile = file: toolchainFrom (builtins.fromTOML (builtins.readFile file));

  targetSet = triple:
    let std = { rust-std = stdFor triple; };
    in {
      stable = std;
      beta = std;
      latest = std;
      minimal = std;
      default = std;
      complete = std;
      fromManifestFile = _file: std;
      fromManifest = _manifest: std;
    };
in
{
  inherit stable fromManifestFile;
  minimal = stable;
  default = stable;
  complete = stable;
  beta = stable;
  latest = stable;
  fromManifest = toolchainFrom;
  combine = paths: combine "rust-mixed" paths;
  targets = lib.genAttrs triples targetSet;
}
