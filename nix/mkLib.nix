# mkLib pkgs -> the per-system functions, for composing your own flake:
#   toolchain          { rustToolchainToml?, lockFile?, targets?, extraComponents? } -> toolchain
#   craneLibFor        toolchain -> crane's lib using it
#   crossEnvFor        spec -> { profile?, buildStd? } -> recipe, vars, nativeBuildInputs, runnerPackages
#   buildForTarget     { craneLib, src, spec, profile?, ... } -> { package, deps, env, common }
#   checksForTarget    { craneLib, build, crossflake } -> verify, test (or skip), clippy checks
#   devShellForTarget  { craneLib, spec, profile?, packages? } -> shell for plain cargo
#   ociImage           { crossflake, name, binaries, tag?, ... } -> OCI image layout
#   runnerPackages     the runner packages this host has
#   crossflake         the crossflake CLI for this host
#   let cf = crossflake.lib.mkLib nixpkgs.legacyPackages.x86_64-linux;
#   in cf.buildForTarget { craneLib = cf.craneLibFor (cf.toolchain { targets = [ "aarch64-unknown-linux-musl" ]; }); src = ./.; spec = crossflake.lib.resolveTarget "aarch64-musl"; }
{ pure, crane, fenix, nixpkgs, crossflakeSource }:
pkgs:
let
  system = pkgs.stdenv.hostPlatform.system;
  toolchain = import ./toolchain.nix {
    fenix = fenix.packages.${system};
    inherit (pure) lockCheck lockedSources strings;
    hostTriple = pure.catalog.hosts.${system}.triple;
  };
  craneLibFor = tc: (crane.mkLib pkgs).overrideToolchain (_: tc);
  crossEnvFor = import ./crossEnvFor.nix { inherit pkgs pure nixpkgs; };
  buildForTarget = import ./buildForTarget.nix { inherit pkgs crossEnvFor; };
  checksForTarget = import ./checksForTarget.nix { inherit pkgs pure; };
  devShellForTarget = import ./devShellForTarget.nix { inherit pkgs crossEnvFor; };
  crossflakeCli = import ./crossflakeCli.nix { inherit crossflakeSource; };
  ociImage = import ./ociImage.nix { inherit pkgs; };
  runnerPackages = map (r: pkgs.${r.nixpkgs})
    (builtins.filter (r: r ? nixpkgs && builtins.elem system r.hosts) (builtins.attrValues pure.catalog.runners));
in
{
  inherit toolchain craneLibFor crossEnvFor buildForTarget checksForTarget devShellForTarget ociImage runnerPackages;
  crossflake = crossflakeCli { craneLib = craneLibFor (toolchain { }); };
}
