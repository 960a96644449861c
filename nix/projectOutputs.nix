# projectOutputs { src, self ? null, cleanSrc ? null, sourceFilter ? (path: type: false), image ? null, names ? mkFlake's }
#   -> { system, pkgs ? crossflake's nixpkgs for system, targets ? null, craneArgs ? { } }
#   -> { packages; checks; devShells; apps; formatter; } of the Cargo project at `src` on `system`
# The one code path behind mkFlake (mkFlake.nix, which documents the outputs) and the
# flake-parts module (flakeModule.nix). `targets` (names as the metadata table writes them)
# replaces the table's targets on this system; `image` ({ name?, entrypoint?, caBundle? }; a null
# value is not given) is set over the table's image table (without one: the package's name and
# first binary, no CA bundle); `names` is what errors call the caller's craneArgs, targets,
# image, src, cleanSrc and sourceFilter (default: mkFlake's names for them).
{ pure, mkLib, nixpkgs }:
{ src
, self ? null
, cleanSrc ? null
, sourceFilter ? (_path: _type: false)
, image ? null
, names ? {
    craneArgs = "mkFlake's craneArgs";
    targets = "mkFlake's targets";
    image = "mkFlake's image";
    src = "mkFlake's `src`";
    cleanSrc = "`cleanSrc`";
    sourceFilter = "`sourceFilter`";
  }
}:
let
  inherit (nixpkgs) lib;
  cargoToml = builtins.fromTOML (builtins.readFile (src + "/Cargo.toml"));
  # a flake sees only what git tracks: an untracked Cargo.lock is as absent as a missing one
  lockChecked =
    if builtins.pathExists (src + "/Cargo.lock") then true
    else
      throw ''
        crossflake: the flake's source has no Cargo.lock, which the builds need to vendor the dependencies.
        Run `cargo generate-lockfile` (if there is none) and `git add Cargo.lock`: a flake sees only the files git tracks.'';
  tableConfig = pure.projectConfig { inherit cargoToml; path = "Cargo.toml"; };
  # the image given, over the table's
  metadataConfig =
    if image == null then tableConfig
    else if !(builtins.isAttrs image) then throw "crossflake: ${names.image}: must be an attribute set of name, entrypoint and caBundle"
    else
      let
        unknown = builtins.attrNames (builtins.removeAttrs image [ "name" "entrypoint" "caBundle" ]);
        base =
          if tableConfig.image != null then tableConfig.image
          else { name = tableConfig.displayName; entrypoint = tableConfig.defaultBinary; caBundle = false; };
      in
      if unknown != [ ] then throw "crossflake: ${names.image}.${builtins.head unknown}: unknown; the image takes name, entrypoint and caBundle"
      else tableConfig // { image = base // lib.filterAttrs (_: v: v != null) image; };
  # a project with no binary target gets no verify checks (hasBinaries.nix)
  hasBinaries = pure.hasBinaries src;
  # the build tools the locked crates need (perl, make, libclang: targets.toml's [crates])
  buildTools = pure.buildTools (builtins.fromTOML (builtins.readFile (src + "/Cargo.lock")));
  optionalFile = name: if builtins.pathExists (src + "/${name}") then src + "/${name}" else null;
  rustToolchainToml = optionalFile "rust-toolchain.toml";
  legacyToolchainFile = optionalFile "rust-toolchain";
  lockFile = optionalFile "rust-toolchain.lock.toml";
  stringOr = v: default: if builtins.isString v then v else default;
  # the source revision (for image annotations), when the flake is a clean git checkout
  revision = if self == null then null else self.rev or null;
  # what build scripts hand to cc-rs, which crane's filterCargoSources leaves out
  cSources = path: _type: builtins.any (suffix: lib.hasSuffix suffix path)
    [ ".c" ".h" ".cc" ".cpp" ".cxx" ".hh" ".hpp" ".hxx" ".inc" ".S" ".s" ".asm" ];
in
{ system
, pkgs ? nixpkgs.legacyPackages.${system}
, targets ? null
, craneArgs ? { }
}:
let
  # the targets given for this system, else the metadata table's; each listed once
  config =
    if targets == null then metadataConfig
    else if !(builtins.isList targets && builtins.all builtins.isString targets) then
      throw "crossflake: ${names.targets}: must be a list of target names (aliases or triples, as Cargo.toml's targets)"
    else
      metadataConfig // {
        targets = builtins.foldl'
          (acc: t:
            let s = pure.resolveTarget t; in
            if builtins.any (a: a.alias == s.alias) acc
            then throw "crossflake: ${names.targets}: `${t}` is the same target as one listed before it (${s.triple}); list each target once"
            else acc ++ [ s ])
          [ ]
          targets;
      };
  # craneArgs that would silently lose to mkFlake's own values are refused, with what sets them
  ownedArgs = {
    src = "the source crane builds is ${names.src} with its filter; pass ${names.cleanSrc} to replace it, or ${names.sourceFilter} to keep more files";
    CARGO_PROFILE = "the profile is `crossflake` when Cargo.toml has [profile.crossflake], else `release`; change what [profile.crossflake] sets";
  };
  craneArgsChecked = builtins.all
    (name: !(craneArgs ? ${name}) || throw "crossflake: ${names.craneArgs}.${name} is not used: ${ownedArgs.${name}}")
    (builtins.attrNames ownedArgs)
  # the host build and every target's get craneArgs: none may switch unstable features on
  && (
    let u = pure.unstableSwitches { env = craneArgs; }; in u == [ ] || throw
      "crossflake: ${names.craneArgs}: ${builtins.concatStringsSep ", " u} turn(s) on unstable cargo or rustc features, which a project's builds must not need (targets.toml [unstable]); drop them"
  );
  # craneArgs' pname and version win; the images are tagged with the version too
  pname = craneArgs.pname or (stringOr config.packageName "workspace");
  version = craneArgs.version or (stringOr (cargoToml.package.version or null) (stringOr (cargoToml.workspace.package.version or null) "0.0.0"));
  entrypoint = if config.image != null then config.image.entrypoint else config.packageName;
  cf = mkLib pkgs;
  outs = pure.hostOutputs { inherit config; host = system; };
  triples = map (s: s.triple) outs.build;
  # the host build's toolchain has the host's rust-std only; each target's derivations get
  # one with that target's rust-std added (so no build holds another target's std); the dev
  # shells get every target's, with rust-src and rust-analyzer
  hostToolchain = cf.toolchain { inherit rustToolchainToml legacyToolchainFile lockFile; };
  craneLib = cf.craneLibFor hostToolchain;
  craneLibForTarget = spec: cf.craneLibFor (cf.toolchain { inherit rustToolchainToml legacyToolchainFile lockFile; targets = [ spec.triple ]; });
  devCraneLib = cf.craneLibFor (cf.toolchain {
    inherit rustToolchainToml legacyToolchainFile lockFile;
    targets = triples;
    extraComponents = [ "rust-src" "rust-analyzer" ];
  });
  source =
    if cleanSrc != null then cleanSrc
    else
      lib.cleanSourceWith {
        src = lib.cleanSource src;
        filter = path: type: craneLib.filterCargoSources path type || cSources path type || sourceFilter path type;
        name = "${pname}-source";
      };
  # the user's craneArgs win over strictDeps; the source and the profile are mkFlake's own
  # (refused above)
  craneCommon = { strictDeps = true; } // craneArgs // { src = source; inherit pname version; };
  # the host build links with the host's linker (mkLib's hostLinker) unless craneArgs names
  # another; buildForTarget adds it to the targets' builds
  common = cf.hostLinker // craneCommon // { CARGO_PROFILE = config.profile; };
  native = craneLib.buildPackage (common // {
    cargoArtifacts = craneLib.buildDepsOnly common;
    doCheck = false;
    passthru = { inherit revision; };
  });
  builds = lib.listToAttrs (map
    (spec: lib.nameValuePair spec.alias (cf.buildForTarget (craneCommon // {
      inherit spec buildTools;
      craneLib = craneLibForTarget spec;
      profile = config.profile;
    })))
    outs.build);
  crossflake = cf.crossflake;
  # the default dev shell's: the tools and LIBCLANG_PATH, no target's headers
  tools = cf.buildToolsFor { inherit buildTools; };
  image = config.image;
  ociOf = specs: cf.ociImage {
    inherit crossflake;
    inherit (image) name;
    tag = version;
    caBundle = image.caBundle;
    binaries = map (s: { platform = s.alias; path = "${builds.${s.alias}.package}/bin/${image.entrypoint}"; }) specs;
    inherit revision version;
    source = cargoToml.package.repository or null;
    licenses = cargoToml.package.license or null;
    epoch = pure.sourceDate self;
  };
  images = lib.optionalAttrs (outs.oci != [ ]) (
    lib.listToAttrs (map (s: lib.nameValuePair "${s.alias}-oci" (ociOf [ s ])) outs.oci)
    // { oci = ociOf outs.oci; }
  );
  # the release archives of every target built here, packed by `crossflake dist` from
  # these builds (same names, layout and crossflake-dist.json fields; no SBOMs: the Nix
  # builds carry no cargo-auditable data; unsigned). cargo metadata, which finds each
  # binary's package and the linked crates' licence texts, reads the vendored sources.
  dist = lib.optionalAttrs (outs.build != [ ]) {
    dist = pkgs.runCommand "${pname}-${version}-dist"
      ({
        nativeBuildInputs = [ crossflake hostToolchain ];
        # the builds' vendored sources (craneArgs' cargoVendorDir when given)
        vendored = craneArgs.cargoVendorDir or (craneLib.vendorCargoDeps craneCommon);
        # the whole source (README, licences), less a target directory a path source has
        project = lib.cleanSourceWith {
          src = lib.cleanSource src;
          filter = path: _type: path != toString src + "/target";
        };
        # the source date rule of the flake and the CLI alike (sourceDate.nix)
        SOURCE_DATE_EPOCH = toString (pure.sourceDate self);
      })
      ''
        export CARGO_HOME="$TMPDIR/cargo-home"
        mkdir -p "$CARGO_HOME"
        if [ -n "$vendored" ]; then cp "$vendored/config.toml" "$CARGO_HOME/config.toml"; fi
        cp -r "$project" "$TMPDIR/project"
        chmod -R u+w "$TMPDIR/project"
        cd "$TMPDIR/project"
        # staged outside the store, which only admits $out itself
        crossflake dist --no-audit --output "$TMPDIR/dist" ${lib.escapeShellArgs (map (s: "--prebuilt=${s.alias}=${builds.${s.alias}.package}/bin") outs.build)}
        mv "$TMPDIR/dist" "$out"
      '';
  };
  # a target this host cannot build is a package whose build fails with the reason
  unavailable = lib.listToAttrs (map
    (s: lib.nameValuePair s.alias (pkgs.runCommand "${s.alias}-cannot-be-built-on-${system}" { } ''
      echo ${lib.escapeShellArg "crossflake: ${s.reason}; build it on one of those hosts"} >&2
      exit 1
    ''))
    outs.skipped);
in
builtins.seq lockChecked (builtins.seq craneArgsChecked {
  packages = { default = native; }
    // lib.optionalAttrs (config.packageName != null) { ${config.packageName} = native; }
    // unavailable
    // lib.mapAttrs (_: b: b.package) builds
    // images
    // dist;
  checks = builtins.foldl' (acc: b: acc // cf.checksForTarget { inherit crossflake hasBinaries; build = b; })
    ({ fmt = craneLib.cargoFmt { src = source; inherit pname version; }; } // lib.mapAttrs (_: b: b.package) builds)
    (builtins.attrValues builds);
  devShells = {
    # the runners of the project's targets on this host (wine only for a windows target)
    # mkLib's hostLinker for build scripts and the host build, unless a target's triple is the
    # host's: `cargo zigbuild` keeps a linker already set, and that target would link with cc
    default = devCraneLib.devShell (lib.optionalAttrs (!builtins.elem pure.catalog.hosts.${system}.triple triples) cf.hostLinker
      // tools.vars // cf.zigCommand // {
      packages = [ cf.zig cf.cargoZigbuild crossflake ]
        ++ lib.unique (builtins.concatMap (spec: (cf.crossEnvFor spec { }).runnerPackages) outs.build)
        ++ tools.nativeBuildInputs;
      shellHook = ''
        export RUST_SRC_PATH="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
        ${builtins.readFile ./writable-zig-lib.sh}
        crossflakeWritableZigLib "''${XDG_CACHE_HOME:-$HOME/.cache}/crossflake/zig-lib-${baseNameOf "${cf.zig}"}" ${lib.escapeShellArgs pure.catalog.cargo-zigbuild.writes}
      '';
    });
  } // lib.mapAttrs
    (_: b: cf.devShellForTarget {
      craneLib = devCraneLib;
      spec = b.package.passthru.spec;
      profile = config.profile;
      packages = [ crossflake ];
      inherit buildTools;
    })
    builds;
  # the crossflake CLI at the revision the project's flake.lock pins (`nix run .#crossflake`,
  # which the generated pipeline runs)
  apps = {
    crossflake = {
      type = "app";
      program = "${crossflake}/bin/crossflake";
      meta.description = "the crossflake CLI this project's flake.lock pins";
    };
  } // lib.optionalAttrs (entrypoint != null)
    {
      default = {
        type = "app";
        program = "${native}/bin/${entrypoint}";
        meta.description = "${pname} built for ${system}";
      };
    } // lib.optionalAttrs (images != { }) {
    push-oci = {
      type = "app";
      program = "${pkgs.writeShellScript "push-oci" ''
        if [ $# -lt 1 ]; then
          echo "usage: nix run .#push-oci -- REGISTRY/NAME[:TAG] [SKOPEO-COPY-OPTIONS...]   (pushes ${images.oci.passthru.tag} of ${images.oci})" >&2
          exit 2
        fi
        dest=$1
        shift
        exec ${pkgs.skopeo}/bin/skopeo copy --all "$@" "oci:${images.oci}:${images.oci.passthru.tag}" "docker://$dest"
      ''}";
      meta.description = "push the multi-platform image of ${pname} with skopeo";
    };
  };
  formatter = pkgs.nixpkgs-fmt;
})
