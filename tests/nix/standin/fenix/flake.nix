# A stand-in for fenix (nix-community/fenix) with fenix's attribute names, for real Nix builds
# here: its toolchains are Debian's Rust (from the nixpkgs stand-in), and each target's rust-std
# is built from rust-src once, as its own derivation, laid out as fenix's rust-std is. The
# project's `fenix.inputs.nixpkgs.follows` gives it the nixpkgs stand-in.
{
  description = "crossflake's fenix stand-in (tests only)";

  inputs.nixpkgs.url = "path:./nixpkgs-is-followed";

  outputs = { nixpkgs, ... }: {
    packages.x86_64-linux = import ./. { pkgs = nixpkgs.legacyPackages.x86_64-linux; };
  };
}
