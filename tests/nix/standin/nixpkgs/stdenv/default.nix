# The stand-in's stdenv and stdenvNoCC: `stdenv.mkDerivation` as the nixpkgs manual describes it
# (name or pname + version, outputs, env, passthru, meta, finalAttrs, overrideAttrs, null
# attributes left out), building with bash and ./setup.sh. The stdenv itself is a derivation
# whose output holds `setup`, with the initial path (coreutils, findutils, diffutils, sed, grep,
# awk, tar, gzip, bzip2, xz, bash, patch, patchelf) and, for stdenv, the C compiler as a default
# native input.
{ lib, system, platform, pkgs }:
let
  initialPath = with pkgs; [ coreutils findutils diffutils gnused gnugrep gawk gnutar gzip bzip2 xz bash patch patchelf ];

  mkStdenv = { name, cc }:
    let
      setup = derivation {
        inherit name system;
        builder = "${pkgs.bash}/bin/bash";
        args = [ "-e" ./make-setup.sh ];
        PATH = "${pkgs.coreutils}/bin";
        template = ./setup.sh;
        shell = "${pkgs.bash}/bin/bash";
        initialPath = map toString initialPath;
        defaultNativeBuildInputs = lib.optional (cc != null) cc;
      };
      self = setup // {
        inherit cc system initialPath;
        hostPlatform = platform;
        buildPlatform = platform;
        targetPlatform = platform;
        isLinux = true;
        isDarwin = false;
        shell = "${pkgs.bash}/bin/bash";
        shellDryRun = "${pkgs.bash}/bin/bash -n -O extglob";
        mkDerivation = import ./make-derivation.nix { inherit lib system; stdenv = self; };
      };
    in
    self;
in
{
  stdenv = mkStdenv { name = "stdenv-linux"; cc = pkgs.crossflakeStandin.cc; };
  stdenvNoCC = mkStdenv { name = "stdenv-linux-nocc"; cc = null; };
}
