# buildForTarget { craneLib, src, spec, profile ? "release", buildTools ? from Cargo.lock, ... }
#   -> { package; deps; env; common; zigCache; tools; }
# Builds `src` for one target with crane: buildDepsOnly, then buildPackage reusing the
# dependency build (so a source-only change rebuilds only the project's crates), both with
# the target's recipe command and build environment (no runner: see crossEnvFor), and the
# host's linker (mkLib's hostLinker: build scripts link through nixpkgs' ld-wrapper; for a
# target of the host's own triple, the recipe's CARGO_HOST_LINKER, the same cc). `craneLib`
# should carry a toolchain with this target's rust-std (mkFlake gives each target its own).
# `env` is crossEnvFor's result; `tools` buildToolsFor's, for the build tools the crates of
# `src`'s Cargo.lock (or crane's `cargoLock`) need (perl and make for openssl-src; libclang,
# LIBCLANG_PATH and zig's headers for bindgen), or for `buildTools` (keys of targets.toml's
# [build-tools]) when given; `common` the arguments both crane calls get. Other arguments
# go to crane (`pname` gets `-<alias>` appended; `nativeBuildInputs` and `preConfigure` are
# extended); one the recipe sets (its variables, CARGO_PROFILE, CARGO_BUILD_TARGET,
# cargoBuildCommand) throws, naming it, as does a switch of an unstable cargo or rustc feature
# the catalog does not mark for the target (unstableSwitches.nix).
#   buildForTarget { inherit craneLib; src = ./.; spec = resolveTarget "aarch64-musl"; profile = "crossflake"; }
{ pkgs, pure, crossEnvFor, buildToolsFor, hostLinker }:
{ craneLib, src, spec, profile ? "release", buildTools ? null, ... }@args:
let
  inherit (pkgs) lib;
  env = crossEnvFor spec { inherit profile; };
  lockFile = args.cargoLock or (src + "/Cargo.lock");
  tools = buildToolsFor {
    inherit spec;
    buildTools =
      if buildTools != null then buildTools
      else if builtins.pathExists lockFile then pure.buildTools (builtins.fromTOML (builtins.readFile lockFile))
      else [ ];
  };
  craneArgs = builtins.removeAttrs args [ "craneLib" "spec" "profile" "buildTools" ];
  # what the recipe sets is the recipe's: an argument naming it would silently lose, so it is
  # refused (nativeBuildInputs and preConfigure are extended instead)
  recipeOwned = builtins.attrNames env.vars ++ [ "CARGO_PROFILE" "CARGO_BUILD_TARGET" "cargoBuildCommand" "crossflakeZigCache" ];
  craneArgsChecked = builtins.all
    (name: !(craneArgs ? ${name}) || throw "crossflake: buildForTarget for ${spec.alias}: the crane argument ${name} is set by the target's recipe (targets.toml, crossEnvFor) and would not be used; drop it, or pass `profile` for the cargo profile")
    recipeOwned;
  # zig builds the target's C library, crt objects and libunwind the first time it links for a
  # target (about 40 s), and the sandbox drops zig's cache with every derivation: they are built
  # once here, by linking an empty Rust program with the recipe, and every derivation of the
  # target starts from a copy of that cache
  zigCache = if spec.zigTarget == null then null else
  pkgs.stdenv.mkDerivation (env.vars // {
    name = "crossflake-zig-cache-${spec.zigTarget}";
    # the target it builds for, as every derivation of the target says
    CARGO_BUILD_TARGET = spec.triple;
    dontUnpack = true;
    dontFixup = true;
    nativeBuildInputs = [ craneLib.rustc craneLib.cargo ] ++ env.nativeBuildInputs;
    buildPhase = ''
      runHook preBuild
      ${env.preBuild}
      export CARGO_HOME=$TMPDIR/cargo-home
      mkdir -p seed/src
      printf '[package]\nname = "seed"\nversion = "0.0.0"\nedition = "2021"\n' >seed/Cargo.toml
      ${lib.optionalString (!(builtins.elem profile [ "release" "dev" ])) ''
        printf '[profile.%s]\ninherits = "release"\n' ${lib.escapeShellArg profile} >>seed/Cargo.toml
      ''}
      echo 'fn main() {}' >seed/src/main.rs
      (cd seed && ${lib.escapeShellArgs env.command} --offline)
      runHook postBuild
    '';
    installPhase = ''
      rm -rf "$ZIG_GLOBAL_CACHE_DIR/tmp"
      cp -r "$ZIG_GLOBAL_CACHE_DIR" "$out"
    '';
  });
  # the host's linker and the build tools' variables first: a LIBCLANG_PATH in craneArgs wins
  common = { strictDeps = true; } // hostLinker // tools.vars // builtins.seq craneArgsChecked craneArgs // env.vars // {
    inherit src;
    pname = "${craneArgs.pname or (craneLib.crateNameFromCargoToml { inherit src; }).pname}-${spec.alias}";
    CARGO_PROFILE = profile;
    # cargo check/test/clippy default to the target too
    CARGO_BUILD_TARGET = spec.triple;
    # the recipe's build command, profile included
    cargoBuildCommand = lib.escapeShellArgs env.command;
    nativeBuildInputs = (craneArgs.nativeBuildInputs or [ ]) ++ env.nativeBuildInputs ++ tools.nativeBuildInputs;
    crossflakeZigCache = zigCache;
    preConfigure = env.preBuild + lib.optionalString (zigCache != null) ''
      mkdir -p "$ZIG_GLOBAL_CACHE_DIR"
      cp -r --no-preserve=mode "$crossflakeZigCache/." "$ZIG_GLOBAL_CACHE_DIR/"
    '' + tools.preBuild + (craneArgs.preConfigure or "");
  };
  # no unstable cargo or rustc feature but those the catalog marks for this target
  unstable = pure.unstableSwitches { env = common; allowed = env.unstableAllowed; };
  unstableChecked = unstable == [ ] || throw
    "crossflake: buildForTarget for ${spec.alias}: ${builtins.concatStringsSep ", " unstable} turn(s) on unstable cargo or rustc features, which a project's builds must not need (targets.toml [unstable]); drop them from craneArgs";
  deps = craneLib.buildDepsOnly (builtins.seq unstableChecked common);
in
{
  inherit deps env common zigCache tools;
  package = craneLib.buildPackage (common // {
    cargoArtifacts = deps;
    doCheck = false;
    passthru = { inherit deps spec craneLib; crossEnv = env; };
  });
}
