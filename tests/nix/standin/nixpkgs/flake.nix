# A buildable nixpkgs stand-in for Nix 2.8 with no binary cache: the real nixpkgs lib, a
# stdenv of our own that follows nixpkgs' documented phases and hooks, and this machine's tools
# repackaged into the store (see README.md's verification section for how it differs from
# nixpkgs). Used as `--override-input nixpkgs` by tests/nix/real-build; made ready by setup.sh.
# Only x86_64-linux builds; aarch64-linux has just what another system's packages give an
# x86_64-linux build (the arm64 glibc qemu-user runs aarch64 gnu binaries with).
{
  description = "crossflake's buildable nixpkgs stand-in (tests only)";

  outputs = { self }:
    let
      lib = import ./lib.nix;
    in
    {
      inherit lib;
      legacyPackages = {
        x86_64-linux = import ./. { system = "x86_64-linux"; };
        aarch64-linux = import ./foreign.nix { inherit lib; x86_64 = self.legacyPackages.x86_64-linux; };
      };
    };
}
