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
      # the flake-parts module (nix/flakeModule.nix); the consumer brings flake-parts
      flakeModules.default = lib.flakeModule;
      # pkgs.crossflake and pkgs.crossflakeLib (nix/overlay.nix)
      overlays.default = lib.overlay;
      templates =
        let
          # what `nix flake init -t` prints after copying: what was created, the next commands
          welcome = created: ''
            # crossflake: static cross builds for every platform

            Created ${created}, Cargo.lock, rust-toolchain.toml (the pinned toolchain with every
            target's rust-std), .envrc (`use flake`) and .gitignore. The targets are Cargo.toml's
            `[*.metadata.crossflake]` table's: x86_64-musl and aarch64-musl
            (`crossflake target add` changes them).

            Next:

                git add -A                    # a flake builds only the files git tracks
                nix build .#aarch64-musl      # a static aarch64 linux binary in ./result/bin
                nix develop                   # cargo build --target ... and cross tests just work
          '';
        in
        {
          default = {
            path = ./templates/default;
            description = "A Rust binary with static cross builds for every platform (crossflake)";
            welcomeText = welcome "a Rust package `app` (Cargo.toml, src/main.rs), flake.nix (one `crossflake.lib.mkFlake` call)";
          };
          workspace = {
            path = ./templates/workspace;
            description = "A Rust workspace with static cross builds for every platform (crossflake)";
            welcomeText = welcome "a Cargo workspace with one binary package, crates/app, flake.nix (one `crossflake.lib.mkFlake` call)";
          };
          flake-parts = {
            path = ./templates/flake-parts;
            description = "A Rust binary with static cross builds for every platform, as a flake-parts flake (crossflake's module)";
            welcomeText = welcome "a Rust package `app` (Cargo.toml, src/main.rs), flake.nix (flake-parts with `crossflake.flakeModules.default`; a package you define in perSystem wins over crossflake's)";
          };
        };
    };
}
