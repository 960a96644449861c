# import ./. { system = "x86_64-linux"; } -> the stand-in package set (nixpkgs' argument names).
# Cross package sets (crossSystem) are not part of the stand-in: crossflake cross-compiles with
# zig, never with pkgsCross.
{ system ? null
, localSystem ? { inherit system; }
, crossSystem ? null
, config ? { }
, overlays ? [ ]
, crossOverlays ? [ ]
}:
let
  lib = import ./lib.nix;
  platform = lib.systems.elaborate localSystem;
in
if crossSystem != null then throw "nixpkgs stand-in: crossSystem is not supported"
else if crossOverlays != [ ] then throw "nixpkgs stand-in: crossOverlays is not supported"
else if platform.system != "x86_64-linux" then throw "nixpkgs stand-in: only x86_64-linux builds here, not ${platform.system}"
else import ./pkgs.nix { inherit lib platform config overlays; }
