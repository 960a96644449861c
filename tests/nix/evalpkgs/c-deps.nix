# Level 2.5 (tests/nix/evalpkgs.sh): what the build tools of tests/fixtures/c-deps (bindgen,
# openssl-src, aws-lc-sys, libsqlite3-sys, zstd-sys) bring to every derivation of that project,
# evaluated through real crane and fenix. `flake` is the project's flake outputs, `nixpkgs` the
# nixpkgs input (one package set per system). Per system: the targets checked, the assertions
# that failed (empty when all hold) and how many were checked.
{ flake, nixpkgs, lib }:
let
  perSystem = system: packages:
    let
      pkgs = nixpkgs.legacyPackages.${system};
      # nixpkgs' zig is built with an llvmPackages' libclang: that one, by its store path
      libclang = lib.findFirst (p: lib.getName p == "clang") (throw "zig lists no libclang") pkgs.zig.buildInputs;
      libclangPath = "${lib.getLib libclang}/lib";
      names = drv: map lib.getName (drv.nativeBuildInputs or [ ]);
      wants = [ "perl" "gnumake" ];
      targets = builtins.filter (a: !(lib.hasSuffix "-oci" a) && !(builtins.elem a [ "default" "oci" "dist" ])) (builtins.attrNames packages);
      checksOf = alias:
        let
          pkg = packages.${alias};
          deps = pkg.cargoArtifacts;
          shell = flake.devShells.${system}.${alias};
          triple = pkg.CARGO_BUILD_TARGET;
          has = what: drv: map (w: { ok = builtins.elem w (names drv); what = "${alias}: ${what} lacks ${w}"; }) wants;
        in
        has "the package" pkg ++ has "its dependencies' build" deps
        ++ [
          { ok = (pkg.LIBCLANG_PATH or null) == libclangPath; what = "${alias}: the package's LIBCLANG_PATH is ${pkg.LIBCLANG_PATH or "unset"}, not ${libclangPath}"; }
          { ok = (deps.LIBCLANG_PATH or null) == libclangPath; what = "${alias}: the dependencies' LIBCLANG_PATH is ${deps.LIBCLANG_PATH or "unset"}"; }
          { ok = (shell.LIBCLANG_PATH or null) == libclangPath; what = "${alias}: the dev shell's LIBCLANG_PATH is ${shell.LIBCLANG_PATH or "unset"}"; }
          { ok = lib.hasInfix "crossflakeBindgenArgs ${triple} " (deps.preConfigure or ""); what = "${alias}: the dependencies' build does not export bindgen's arguments for ${triple}"; }
          { ok = lib.hasInfix "crossflakeBindgenArgs ${triple} " (shell.shellHook or ""); what = "${alias}: the dev shell does not export bindgen's arguments for ${triple}"; }
        ]
        ++ has "the dev shell" shell;
      checks = lib.concatMap checksOf targets;
    in
    {
      inherit targets;
      checked = builtins.length checks;
      failures = map (c: c.what) (builtins.filter (c: !c.ok) checks);
    };
in
builtins.mapAttrs perSystem flake.packages
