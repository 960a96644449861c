# Level 2.5 assertions (tests/nix/evalpkgs.sh): what every derivation of a project gets,
# evaluated through real crane and fenix. `flake` is the project's flake outputs (from
# crossflake.lib.mkFlake), `self` the project's flake (a clean git checkout committed at time
# 1700000000), `cf` is crossflake.lib. Returns, per system, the assertions that failed (empty
# when all hold) and how many were checked.
{ flake, self, cf, lib }:
let
  # string context would make builtins.match refuse store paths
  plain = builtins.unsafeDiscardStringContext;
  hasInfix = a: b: lib.hasInfix (plain a) (plain b);
  cargoToml = builtins.fromTOML (builtins.readFile ./Cargo.toml);
  config = cf.projectConfig { inherit cargoToml; };
  catalog = cf.catalog;
  symbolic = {
    cargoZigbuild = "<cargo-zigbuild>";
    scriptPath = s: "<${s.tool}>";
    runner = "<runner>";
    sysroot = "<sysroot>";
    sspStubs = "<ssp-stubs>";
    hostLinker = "<host-linker>";
  };
  # the store paths a derivation's environment refers to (its direct inputs)
  inputsOf = d: lib.concatMap
    (v: builtins.attrNames (builtins.getContext (if builtins.isList v then toString v else if builtins.isString v then v else "")))
    (builtins.attrValues d.drvAttrs);
  # names of the input derivations matching a regular expression
  inputsNamed = re: d: builtins.filter (p: builtins.match re (plain p) != null) (inputsOf d);
  runnerInputs = d: inputsNamed ".*-(crossflake-runner-.*|qemu-user-.*|wine64-.*|wasmtime-.*)\\.drv" d;
  # the toolchain given to crane (fenix.combine's result), and the targets whose rust-std it
  # holds, read off the components' download URLs (rust-std-VERSION-TRIPLE.tar.gz), through
  # nested combines (fenix's rustc is rustc plus the host's rust-std)
  toolchainOf = d: builtins.head (builtins.filter (x: x ? paths) (d.nativeBuildInputs or [ ]));
  stdTriples = tc: lib.unique (lib.concatMap
    (p:
      if p ? paths then stdTriples p
      else
        let m = builtins.match ".*/rust-std-[0-9][^-]*-(.*)\\.tar\\.(gz|xz)" (p.src.url or "");
        in if m == null then [ ] else [ (builtins.head m) ])
    tc.paths);

  forSystem = system:
    let
      outs = cf.hostOutputs { inherit config; host = system; };
      hostTriple = catalog.hosts.${system}.triple;
      isLinux = lib.hasSuffix "-linux" system;
      # cargo's spelling of the host triple in variable names, written here independently of
      # the library's strings.cargoTriple
      hostCargoTriple = lib.toUpper (builtins.replaceStrings [ "-" ] [ "_" ] hostTriple);
      hostLinkerName = "CARGO_TARGET_${hostCargoTriple}_LINKER";
      hostConfigLinkerName = "CARGO_HOST_${hostCargoTriple}_LINKER";
      perTarget = spec:
        let
          pkg = flake.packages.${system}.${spec.alias};
          deps = pkg.passthru.deps;
          shell = flake.devShells.${system}.${spec.alias};
          want = cf.crossEnv { inherit spec; host = system; profile = "crossflake"; tools = symbolic; };
          wantBuildStd = cf.crossEnv { inherit spec; host = system; profile = "crossflake"; buildStd = true; tools = symbolic; };
          names = builtins.attrNames want.env;
          buildNames = builtins.filter (n: !want.env.${n}.run) names;
          runNames = builtins.filter (n: want.env.${n}.run) names;
          buildStdOnly = builtins.filter (n: wantBuildStd.env.${n}.buildStd) (builtins.attrNames wantBuildStd.env);
          runner = cf.runnerFor spec.target system;
          testCheck = flake.checks.${system}."${spec.alias}-test";
          checks = [
            { what = "CARGO_BUILD_TARGET"; ok = pkg.CARGO_BUILD_TARGET == spec.triple; }
            { what = "CARGO_PROFILE"; ok = pkg.CARGO_PROFILE == "crossflake"; }
            { what = "build command is the recipe's"; ok = hasInfix "${lib.escapeShellArgs want.command} --message-format json-render-diagnostics" pkg.buildPhase; }
            { what = "dependencies built once, reused"; ok = pkg.__args.cargoArtifacts == deps && hasInfix (lib.escapeShellArgs want.command) deps.buildPhase; }
            { what = "every build variable is set on the package and its dependencies"; ok = builtins.all (n: pkg ? ${n} && deps ? ${n}) buildNames; }
            { what = "every variable, runner included, is set in the dev shell"; ok = builtins.all (n: shell ? ${n}) names; }
            { what = "build-std-only variables and flags stay out"; ok = builtins.all (n: !(pkg ? ${n}) && !(deps ? ${n})) buildStdOnly && !(hasInfix "-Zbuild-std" pkg.buildPhase) && !(hasInfix "-Zbuild-std" deps.buildPhase); }
            { what = "test check runs or reports a skip"; ok = if runner.status == "unavailable" then lib.hasSuffix "-test-skipped" testCheck.name else hasInfix (lib.escapeShellArgs want.testCommand) testCheck.checkPhase; }
            { what = "dev shell targets it"; ok = shell.CARGO_BUILD_TARGET == spec.triple; }
            { what = "no runner, runner package or qemu sysroot reaches the package or its dependencies"; ok = builtins.all (n: !(pkg ? ${n}) && !(deps ? ${n})) runNames && runnerInputs pkg == [ ] && runnerInputs deps == [ ] && !(pkg ? QEMU_LD_PREFIX); }
            { what = "the toolchain holds the host's and this target's rust-std only"; ok = builtins.sort builtins.lessThan (stdTriples (toolchainOf pkg)) == lib.unique (builtins.sort builtins.lessThan [ spec.triple hostTriple ]); }
          ]
          ++ lib.optionals (spec.zigTarget != null) [
            { what = "zig and the pinned cargo-zigbuild on PATH"; ok = builtins.any (d: (d.pname or "") == "zig") pkg.nativeBuildInputs && builtins.any (d: (d.pname or "") == "cargo-zigbuild" && d.version == catalog.cargo-zigbuild.version && d ? cargoVendorDir) pkg.nativeBuildInputs; }
            { what = "linker and CC are cargo-zigbuild wrappers"; ok = builtins.all (n: let v = pkg.${n}; in lib.hasPrefix "/nix/store/" v && (lib.hasSuffix "-${spec.zigTarget}" v)) (builtins.filter (n: lib.hasSuffix "_LINKER" n && !(lib.hasPrefix "CARGO_HOST_" n) || lib.hasPrefix "CC_" n) names); }
            { what = "writable zig caches and library"; ok = builtins.all (d: hasInfix "ZIG_GLOBAL_CACHE_DIR=\"$TMPDIR" d.preConfigure && hasInfix "crossflakeWritableZigLib \"$TMPDIR/zig-lib\"" d.preConfigure) [ pkg deps ]; }
            { what = "dev shell gives cargo-zigbuild a writable zig library"; ok = hasInfix "crossflakeWritableZigLib" shell.shellHook && hasInfix (lib.escapeShellArgs catalog.cargo-zigbuild.writes) shell.shellHook; }
            { what = "the package, its dependencies and its test start from one prebuilt zig cache"; ok = pkg ? crossflakeZigCache && deps.crossflakeZigCache == pkg.crossflakeZigCache && (runner.status == "unavailable" || testCheck.crossflakeZigCache == pkg.crossflakeZigCache) && hasInfix "$crossflakeZigCache/." pkg.preConfigure; }
          ]
          ++ [
            {
              what = "test check has the runner exactly when the host has one (${runner.status})";
              ok =
                let runnerVars = builtins.filter (n: lib.hasSuffix "_RUNNER" n) (builtins.attrNames testCheck);
                in if runner.status == "program"
                then builtins.length runnerVars == 1 && hasInfix "crossflake-runner-${runner.kind}" testCheck.${builtins.head runnerVars} && runnerInputs testCheck != [ ]
                else runnerVars == [ ];
            }
            {
              what = "glibc sysroot for qemu-user in the test check only";
              ok = (testCheck ? QEMU_LD_PREFIX) == (runner.status == "program" && runner.kind == "qemu-user" && spec.target.libc == "glibc");
            }
            {
              # mkLib's hostLinker, on linux hosts, where the target's recipe does not own the name
              what = "the host's linker: crossflake-host-cc on linux hosts, the recipe's for the host's own triple, none on darwin";
              ok = builtins.all
                (d:
                  if hostTriple == spec.triple && spec.target.recipe == "zigbuild" then lib.hasSuffix "-${spec.zigTarget}" (d.${hostLinkerName} or "")
                  else if isLinux then lib.hasSuffix "-crossflake-host-cc" (d.${hostLinkerName} or "")
                  else !(d ? ${hostLinkerName})) [ pkg deps shell ];
            }
            {
              what = "target-applies-to-host off exactly when the host's triple is the target's";
              ok = (pkg ? CARGO_TARGET_APPLIES_TO_HOST && deps.CARGO_TARGET_APPLIES_TO_HOST == "false" && pkg.__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS == "nightly") == (hostTriple == spec.triple && spec.target.recipe == "zigbuild");
            }
            {
              # cargo's host-config: the build scripts of a target that is the host's own triple
              # link with crossflake-host-cc (linux hosts only have such a zig target)
              what = "host-config gives crossflake-host-cc to host artifacts exactly when the host's triple is the target's";
              ok = builtins.all
                (d:
                  (d ? CARGO_UNSTABLE_HOST_CONFIG && lib.hasSuffix "-crossflake-host-cc" (d.CARGO_HOST_LINKER or "") && d.${hostConfigLinkerName} or "" == d.CARGO_HOST_LINKER)
                    == (hostTriple == spec.triple && spec.target.recipe == "zigbuild" && isLinux)
                    && (d ? CARGO_HOST_LINKER) == (d ? CARGO_UNSTABLE_HOST_CONFIG))
                [ pkg deps shell ];
            }
          ];
        in
        { failures = map (c: "${spec.alias}: ${c.what}") (builtins.filter (c: !c.ok) checks); checked = builtins.length checks; };
      packages = flake.packages.${system};
      native = packages.default;
      pushDrv = builtins.head (builtins.attrNames (builtins.getContext flake.apps.${system}.push-oci.program));
      imageChecks = [
        { what = "an image per static linux target"; ok = builtins.all (s: packages ? "${s.alias}-oci") outs.oci && builtins.length outs.oci == 4; }
        {
          what = "the image index holds every static linux binary";
          ok = builtins.all (s: hasInfix "--binary '${s.alias}=${packages.${s.alias}}/bin/cross-hello'" packages.oci.buildCommand) outs.oci
            && hasInfix "crossflake oci build --output \"$TMPDIR/image\"" packages.oci.buildCommand;
        }
        { what = "images take the commit time as SOURCE_DATE_EPOCH and the commit as revision"; ok = packages.oci.SOURCE_DATE_EPOCH == toString self.lastModified && self.lastModified == 1700000000 && hasInfix "--revision ${self.rev}" packages.oci.buildCommand; }
        { what = "the host build's toolchain has the host's rust-std only"; ok = stdTriples (toolchainOf native) == [ hostTriple ]; }
        # the host build links with mkLib's hostLinker on linux; the default dev shell leaves
        # it out, since this project has a target of the host's own triple on each linux host
        # (`cargo zigbuild` keeps a linker already set: that target would link with cc)
        { what = "host build: crossflake-host-cc on linux, no linker on darwin"; ok = if isLinux then lib.hasSuffix "-crossflake-host-cc" (native.${hostLinkerName} or "") && lib.hasSuffix "-crossflake-host-cc" (native.passthru.cargoArtifacts.${hostLinkerName} or native.__args.cargoArtifacts.${hostLinkerName} or "") else !(native ? ${hostLinkerName}); }
        { what = "default dev shell: no host linker where a target has the host's triple"; ok = builtins.elem hostTriple (map (s: s.triple) outs.build) -> !(flake.devShells.${system}.default ? ${hostLinkerName}); }
      ];
      targets = map perTarget outs.build;
    in
    {
      built = map (s: s.alias) outs.build;
      skipped = map (s: s.alias) outs.skipped;
      failures = lib.concatMap (t: t.failures) targets ++ map (c: "image: ${c.what}") (builtins.filter (c: !c.ok) imageChecks);
      # for evalpkgs.sh to read (a derivation file cannot be read in pure evaluation): the
      # push-oci script's derivation and what its script must run
      epoch = { image = packages.oci.SOURCE_DATE_EPOCH; self = self.lastModified; rev = self.rev or null; };
      pushOci = {
        drv = plain pushDrv;
        runs = plain "skopeo copy --all \"$@\" \"oci:${packages.oci}:0.1.0\" \"docker://$dest\"";
      };
      checked = lib.foldl' (n: t: n + t.checked) (builtins.length imageChecks) targets;
    };
in
lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] forSystem
