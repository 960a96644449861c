# The trivial builders crane and crossflake use, with nixpkgs' names and arguments (the nixpkgs
# manual's "Trivial build helpers"), on the stand-in's stdenv; and fetchurl as Nix's built-in
# fixed-output fetcher.
{ lib, pkgs }:
let
  inherit (pkgs) stdenv stdenvNoCC;

  runCommandWith = { name, stdenv ? stdenvNoCC, runLocal ? false, derivationArgs ? { } }: buildCommand:
    stdenv.mkDerivation ({
      inherit name buildCommand;
      passAsFile = [ "buildCommand" ] ++ (derivationArgs.passAsFile or [ ]);
    }
    // lib.optionalAttrs runLocal { preferLocalBuild = true; allowSubstitutes = false; }
    // builtins.removeAttrs derivationArgs [ "passAsFile" ]);

  runCommand = name: env: runCommandWith { inherit name; derivationArgs = env; };

  writeTextFile =
    { name
    , text
    , executable ? false
    , destination ? ""
    , checkPhase ? ""
    , meta ? { }
    , passthru ? { }
    , allowSubstitutes ? false
    , preferLocalBuild ? true
    , derivationArgs ? { }
    }:
    runCommandWith
      {
        inherit name;
        derivationArgs = {
          inherit text executable checkPhase allowSubstitutes preferLocalBuild meta passthru;
          passAsFile = [ "text" ];
        } // derivationArgs;
      }
      ''
        target=$out${destination}
        mkdir -p "$(dirname "$target")"
        if [ -e "$textPath" ]; then mv "$textPath" "$target"; else printf '%s' "$text" >"$target"; fi
        if [ -n "$executable" ]; then chmod +x "$target"; fi
        eval "$checkPhase"
      '';

  shellCheck = "${stdenv.shellDryRun} \"$target\"";
in
{
  inherit runCommand runCommandWith writeTextFile;
  runCommandLocal = name: env: runCommandWith { inherit name; runLocal = true; derivationArgs = env; };
  runCommandNoCC = runCommand;
  runCommandNoCCLocal = name: env: runCommandWith { inherit name; runLocal = true; derivationArgs = env; };
  runCommandCC = name: env: runCommandWith { inherit name stdenv; derivationArgs = env; };

  writeText = name: text: writeTextFile { inherit name text; };
  writeTextDir = path: text: writeTextFile { name = builtins.baseNameOf path; inherit text; destination = "/${path}"; };
  writeScript = name: text: writeTextFile { inherit name text; executable = true; };
  writeScriptBin = name: text: writeTextFile { inherit name text; executable = true; destination = "/bin/${name}"; meta.mainProgram = name; };
  writeShellScript = name: text: writeTextFile {
    inherit name;
    executable = true;
    text = "#!${pkgs.runtimeShell}\n${text}";
    checkPhase = shellCheck;
  };
  writeShellScriptBin = name: text: writeTextFile {
    inherit name;
    executable = true;
    destination = "/bin/${name}";
    text = "#!${pkgs.runtimeShell}\n${text}";
    checkPhase = shellCheck;
    meta.mainProgram = name;
  };
  writeShellApplication = { name, text, runtimeInputs ? [ ], runtimeEnv ? null, meta ? { }, passthru ? { }, ... }:
    writeTextFile {
      inherit name meta passthru;
      executable = true;
      destination = "/bin/${name}";
      text = ''
        #!${pkgs.runtimeShell}
        set -o errexit
        set -o nounset
        set -o pipefail
      ''
      + lib.optionalString (runtimeEnv != null) (lib.concatStrings (lib.mapAttrsToList (n: v: "export ${n}=${lib.escapeShellArg v}\n") runtimeEnv))
      + lib.optionalString (runtimeInputs != [ ]) "export PATH=\"${lib.makeBinPath runtimeInputs}:$PATH\"\n"
      + text;
      checkPhase = shellCheck;
    };

  # symlinkJoin: every file of `paths` linked into one tree; the first path that has a file wins
  symlinkJoin = { name, paths, preferLocalBuild ? true, allowSubstitutes ? false, postBuild ? "", ... }@args:
    runCommandWith
      {
        inherit name;
        derivationArgs = builtins.removeAttrs args [ "name" "postBuild" ] // {
          inherit preferLocalBuild allowSubstitutes;
          paths = map toString paths;
        };
      }
      ''
        mkdir -p "$out"
        for i in $paths; do
          if [ -d "$i" ]; then
            cp -rsn --no-preserve=mode "$i/." "$out/" 2>/dev/null || cp -rsn "$i/." "$out/"
            chmod -R u+w "$out"
          fi
        done
        ${postBuild}
      '';

  linkFarm = name: entries:
    let list = if builtins.isList entries then entries else lib.mapAttrsToList (n: p: { name = n; path = p; }) entries;
    in runCommandWith { inherit name; runLocal = true; } ''
      mkdir -p "$out"
      ${lib.concatMapStrings (e: ''
        mkdir -p "$(dirname "$out/${e.name}")"
        ln -s ${e.path} "$out/${e.name}"
      '') list}
    '';

  # makeSetupHook { name, substitutions?, propagatedBuildInputs?, ... } SCRIPT: a package whose
  # nix-support/setup-hook is SCRIPT with every @key@ of `substitutions` replaced
  makeSetupHook = { name ? "hook", substitutions ? { }, propagatedBuildInputs ? [ ], depsTargetTargetPropagated ? [ ], meta ? { }, passthru ? { } }: script:
    runCommandWith
      {
        inherit name;
        derivationArgs = {
          inherit meta passthru propagatedBuildInputs depsTargetTargetPropagated;
          substNames = builtins.attrNames substitutions;
          script = script;
        } // lib.mapAttrs' (n: v: lib.nameValuePair "subst_${n}" v) substitutions;
      }
      ''
        mkdir -p "$out/nix-support"
        content=$(cat "$script"; printf x)
        content=''${content%x}
        for n in $substNames; do
          v=subst_$n
          content=''${content//@$n@/''${!v}}
        done
        printf '%s' "$content" >"$out/nix-support/setup-hook"
        if [ -n "$propagatedBuildInputs" ]; then printf '%s\n' "$propagatedBuildInputs" >"$out/nix-support/propagated-build-inputs"; fi
      '';

  # mkShell: a derivation for `nix develop` / `nix print-dev-env`; built, it records its
  # environment
  mkShell = { name ? "nix-shell", packages ? [ ], inputsFrom ? [ ], buildInputs ? [ ], nativeBuildInputs ? [ ], propagatedBuildInputs ? [ ], propagatedNativeBuildInputs ? [ ], shellHook ? "", ... }@args:
    let
      fromInputs = attr: lib.subtractLists inputsFrom (lib.concatMap (d: d.drvAttrs.${attr} or [ ]) inputsFrom);
      rest = builtins.removeAttrs args [ "name" "packages" "inputsFrom" "buildInputs" "nativeBuildInputs" "propagatedBuildInputs" "propagatedNativeBuildInputs" "shellHook" ];
    in
    stdenv.mkDerivation ({
      inherit name;
      buildInputs = buildInputs ++ fromInputs "buildInputs";
      nativeBuildInputs = packages ++ nativeBuildInputs ++ fromInputs "nativeBuildInputs";
      propagatedBuildInputs = propagatedBuildInputs ++ fromInputs "propagatedBuildInputs";
      propagatedNativeBuildInputs = propagatedNativeBuildInputs ++ fromInputs "propagatedNativeBuildInputs";
      shellHook = lib.concatStringsSep "\n" (lib.catAttrs "shellHook" (lib.reverseList inputsFrom ++ [{ inherit shellHook; }]));
      phases = [ "buildPhase" ];
      buildPhase = ''
        { echo "------------------------------------------------------------";
          echo " WARNING: the existence of this path is not guaranteed.";
          echo " It is an internal implementation detail for pkgs.mkShell.";
          echo "------------------------------------------------------------";
          echo;
          export;
        } >> "$out"
      '';
      preferLocalBuild = true;
    } // rest);

  writableTmpDirAsHomeHook = pkgs.makeSetupHook { name = "writable-tmpdir-as-home-hook"; } (builtins.toFile "writable-tmpdir-as-home-hook.sh" ''
    writableTmpDirAsHome() {
      if [ -z "''${HOME:-}" ] || [ "$HOME" = /homeless-shelter ]; then
        export HOME=$NIX_BUILD_TOP/.home
        mkdir -p "$HOME"
      fi
    }
    postHooks+=(writableTmpDirAsHome)
  '');

  # fetchurl { url | urls, sha256 | hash, name?, executable? }: Nix's built-in fetcher
  fetchurl = { url ? null, urls ? [ ], sha256 ? null, hash ? null, name ? null, executable ? false, ... }:
    let
      theUrl = if url != null then url else builtins.head urls;
      sriOrHex = if hash != null then hash else sha256;
    in
    derivation ({
      name = if name != null then name else baseNameOf theUrl;
      builder = "builtin:fetchurl";
      system = "builtin";
      url = theUrl;
      urls = [ theUrl ];
      outputHashMode = if executable then "recursive" else "flat";
      outputHash = sriOrHex;
      preferLocalBuild = true;
      impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
    } // lib.optionalAttrs (hash == null) { outputHashAlgo = "sha256"; }
    // lib.optionalAttrs executable { inherit executable; });
}
