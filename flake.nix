# crossflake's own flake: the library (lib), the templates, and crossflake itself built with
# lib.mkFlake like any project that uses it (`nix build`, `nix build .#aarch64-musl`).
{
  description = "crossflake: reproducible static Rust builds for every platform, with zig as the cross linker";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    crane.url = "github:ipetkov/crane";
    fenix = {
      url = "github:nix-community/fenix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, crane, fenix }:
    let
      lib = import ./nix { inherit nixpkgs crane fenix; };
    in
    lib.mkFlake { inherit self; src = ./.; cleanSrc = lib.crossflakeSource; }
    // {
      inherit lib;
      templates = {
        default = {
          path = ./templates/default;
          description = "A Rust binary with static cross builds for every platform (crossflake)";
        };
        workspace = {
          path = ./templates/workspace;
          description = "A Rust workspace with static cross builds for every platform (crossflake)";
        };
      };
    };
}
