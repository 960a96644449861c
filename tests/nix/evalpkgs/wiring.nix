# Level 2.5 assertions (tests/nix/evalpkgs.sh): what every cross derivation of a project
# gets, evaluated through real crane and fenix. `flake` is the project's flake outputs
# (from crossflake.lib.mkFlake), `cf` is crossflake.lib. Returns, per system, the list of
# failed assertions (empty when all hold) and how many were checked.
{ flake, cf, lib }:
let
  # string context would make builtins.match refuse store paths
  hasInfix = a: b: lib.hasInfix (builtins.unsafeDiscardStringContext a) (builtins.unsafeDiscardStringContext b);
  cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
  config = cf.projectConfig { inherit cargoToml; };
  symbolic = {
    cargoZigbuild = "<cargo-zigbuild>";
    scriptPath = s: "<${s.tool}>";
    runner = "<runner>";
    sysroot = "<sysroot>";
    sspStubs = "<ssp-stubs>";
  };
  forSystem = system:
    let
      outs = cf.hostOutputs { inherit config; host = system; };
      perTarget = spec:
        let
          pkg = flake.packages.${system}.${spec.alias};
          shell = flake.devShells.${system}.${spec.alias};
          want = cf.crossEnv { inherit spec; host = system; profile = "crossflake"; tools = symbolic; };
          names = builtins.attrNames want.env;
          runner = cf.runnerFor spec.target system;
          testCheck = flake.checks.${system}."${spec.alias}-test";
          checks = [
            { what = "CARGO_BUILD_TARGET"; ok = pkg.CARGO_BUILD_TARGET == spec.triple; }
            { what = "CARGO_PROFILE"; ok = pkg.CARGO_PROFILE == "crossflake"; }
            { what = "build command is the recipe's"; ok = hasInfix "${lib.escapeShellArgs want.command} --message-format json-render-diagnostics" pkg.buildPhase; }
            { what = "dependencies built once, reused"; ok = pkg.__args.cargoArtifacts == pkg.passthru.deps && hasInfix (lib.escapeShellArgs want.command) pkg.passthru.deps.buildPhase; }
            { what = "every recipe variable is set"; ok = builtins.all (n: pkg ? ${n} && shell ? ${n}) names; }
            { what = "no build-std flags"; ok = !(pkg ? RUSTC_BOOTSTRAP) && builtins.all (n: !want.env.${n}.buildStd) names; }
            { what = "writable zig caches"; ok = hasInfix "ZIG_GLOBAL_CACHE_DIR=\"$TMPDIR" pkg.preConfigure && hasInfix "CARGO_ZIGBUILD_CACHE_DIR=\"$TMPDIR" pkg.preConfigure; }
            { what = "test check runs or reports a skip"; ok = if runner.status == "unavailable" then lib.hasSuffix "-test-skipped" testCheck.name else hasInfix (lib.escapeShellArgs want.testCommand) testCheck.checkPhase; }
            { what = "dev shell targets it"; ok = shell.CARGO_BUILD_TARGET == spec.triple; }
          ]
          ++ lib.optionals (spec.zigTarget != null) [
            { what = "zig and cargo-zigbuild on PATH"; ok = builtins.elem "zig" (map (d: d.pname or "") pkg.nativeBuildInputs) && builtins.elem "cargo-zigbuild" (map (d: d.pname or "") pkg.nativeBuildInputs); }
            { what = "linker and CC are cargo-zigbuild wrappers"; ok = builtins.all (n: let v = pkg.${n}; in lib.hasPrefix "/nix/store/" v && (lib.hasSuffix "-${spec.zigTarget}" v)) (builtins.filter (n: lib.hasSuffix "_LINKER" n || lib.hasPrefix "CC_" n) names); }
          ]
          ++ [
            {
              what = "runner set exactly when the host has one (${runner.status})";
              ok =
                let runnerVars = builtins.filter (n: lib.hasSuffix "_RUNNER" n) (builtins.attrNames pkg);
                in if runner.status == "program"
                then builtins.length runnerVars == 1 && hasInfix "crossflake-runner-${runner.kind}" pkg.${builtins.head runnerVars}
                else runnerVars == [ ];
            }
            {
              what = "glibc sysroot for qemu-user";
              ok = (pkg ? QEMU_LD_PREFIX) == (runner.status == "program" && runner.kind == "qemu-user" && spec.target.libc == "glibc");
            }
          ];
        in
        map (c: "${spec.alias}: ${c.what}") (builtins.filter (c: !c.ok) checks);
      images = flake.packages.${system};
      imageChecks = [
        { what = "an image per static linux target"; ok = builtins.all (s: images ? "${s.alias}-oci") outs.oci && builtins.length outs.oci == 4; }
        {
          what = "the image index holds every static linux binary";
          ok = builtins.all (s: hasInfix "--binary '${s.alias}=${flake.packages.${system}.${s.alias}}/bin/cross-hello'" images.oci.buildCommand) outs.oci
            && hasInfix "crossflake oci build --output \"$TMPDIR/image\"" images.oci.buildCommand;
        }
        { what = "images have a fixed epoch"; ok = images.oci.SOURCE_DATE_EPOCH == toString (flake.packages.${system}.oci.SOURCE_DATE_EPOCH); }
        { what = "push-oci runs skopeo copy --all"; ok = flake.apps.${system} ? push-oci && builtins.isString flake.apps.${system}.push-oci.program; }
      ];
      failures = lib.concatMap perTarget outs.build ++ map (c: "image: ${c.what}") (builtins.filter (c: !c.ok) imageChecks);
    in
    {
      built = map (s: s.alias) outs.build;
      skipped = map (s: s.alias) outs.skipped;
      inherit failures;
    };
in
lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] forSystem
