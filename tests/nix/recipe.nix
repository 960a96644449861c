# Level-1 cases: targets.toml -> the recipe (full commands and every variable).
{ resolveTarget, crossEnv, runnerFor, fillTemplate, catalog, ... }:
let
  tools = {
    cargoZigbuild = "/cz";
    scriptPath = s: "/tools/${s.tool}-${s.zigTarget}";
    runner = "/qemu";
    sysroot = "/sysroot";
    sspStubs = "/ssp";
    hostLinker = "/host-cc";
  };
  env = alias: host: buildStd: crossEnv { spec = resolveTarget alias; inherit host buildStd tools; profile = "crossflake"; };
  values = r: builtins.mapAttrs (_: e: e.value) r.env;
in
[
  {
    name = "aarch64-musl on x86_64-linux: command";
    expr = (env "aarch64-musl" "x86_64-linux" false).command;
    expected = [ "cargo" "zigbuild" "--target" "aarch64-unknown-linux-musl" "--profile" "crossflake" ];
  }
  {
    name = "aarch64-musl on x86_64-linux: every variable";
    expr = values (env "aarch64-musl" "x86_64-linux" false);
    expected = {
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER = "/tools/zig-cc-aarch64-linux-musl";
      CC_aarch64_unknown_linux_musl = "/tools/zig-cc-aarch64-linux-musl";
      CXX_aarch64_unknown_linux_musl = "/tools/zig-cxx-aarch64-linux-musl";
      AR_aarch64_unknown_linux_musl = "/tools/zig-ar-aarch64-linux-musl";
      RANLIB_aarch64_unknown_linux_musl = "/tools/zig-ranlib-aarch64-linux-musl";
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER = "/qemu";
    };
  }
  {
    name = "aarch64-musl on aarch64-darwin: no runner variable";
    expr = (env "aarch64-musl" "aarch64-darwin" false).env ? CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER;
    expected = false;
  }
  {
    name = "aarch64-musl build-std: tagged flags and -Zbuild-std";
    expr = let r = env "aarch64-musl" "x86_64-linux" true; in {
      inherit (r) command;
      flags = r.env.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS;
      bootstrap = r.env.RUSTC_BOOTSTRAP;
    };
    expected = {
      command = [ "cargo" "zigbuild" "--target" "aarch64-unknown-linux-musl" "--profile" "crossflake" "-Zbuild-std=std,panic_abort" ];
      flags = { value = "-C link-self-contained=no"; buildStd = true; run = false; unstable = false; };
      bootstrap = { value = "1"; buildStd = true; run = false; unstable = true; };
    };
  }
  {
    name = "zig-cc script for armv7 carries the cpu";
    expr = (builtins.head (builtins.filter (s: s.tool == "zig-cc") (env "armv7-musl" "aarch64-darwin" false).scripts)).body;
    expected = "exec \"/cz\" zig cc -- -target arm-linux-musleabihf -g -fno-sanitize=all -mcpu=generic+v7a+vfp3-d32+thumb2-neon \"$@\"\n";
  }
  {
    name = "x86_64-gnu.2.31 on aarch64-linux: floor in command and zig target, sysroot for qemu";
    expr = let r = env "x86_64-unknown-linux-gnu.2.31" "aarch64-linux" false; in {
      inherit (r) command testCommand;
      linker = r.env.CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER.value;
      sysroot = r.env.QEMU_LD_PREFIX.value;
    };
    expected = {
      command = [ "cargo" "zigbuild" "--target" "x86_64-unknown-linux-gnu.2.31" "--profile" "crossflake" ];
      testCommand = [ "cargo" "test" "--target" "x86_64-unknown-linux-gnu" "--profile" "crossflake" ];
      linker = "/tools/zig-cc-x86_64-linux-gnu.2.31";
      sysroot = "/sysroot";
    };
  }
  {
    name = "x86_64-gnu on x86_64-linux: host artifacts get the host linker (cargo's host-config), not zig; tests run through the glibc loader, no sysroot";
    expr = let r = env "x86_64-gnu" "x86_64-linux" false; in { inherit (r) env runner; };
    expected = {
      env = {
        AR_x86_64_unknown_linux_gnu = { value = "/tools/zig-ar-x86_64-linux-gnu.2.17"; buildStd = false; run = false; unstable = false; };
        RANLIB_x86_64_unknown_linux_gnu = { value = "/tools/zig-ranlib-x86_64-linux-gnu.2.17"; buildStd = false; run = false; unstable = false; };
        CC_x86_64_unknown_linux_gnu = { value = "/tools/zig-cc-x86_64-linux-gnu.2.17"; buildStd = false; run = false; unstable = false; };
        CXX_x86_64_unknown_linux_gnu = { value = "/tools/zig-cxx-x86_64-linux-gnu.2.17"; buildStd = false; run = false; unstable = false; };
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER = { value = "/tools/zig-cc-x86_64-linux-gnu.2.17"; buildStd = false; run = false; unstable = false; };
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER = { value = "/qemu"; buildStd = false; run = true; unstable = false; };
        CARGO_TARGET_APPLIES_TO_HOST = { value = "false"; buildStd = false; run = false; unstable = false; };
        CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST = { value = "true"; buildStd = false; run = false; unstable = true; };
        CARGO_UNSTABLE_HOST_CONFIG = { value = "true"; buildStd = false; run = false; unstable = true; };
        CARGO_HOST_LINKER = { value = "/host-cc"; buildStd = false; run = false; unstable = false; };
        CARGO_HOST_X86_64_UNKNOWN_LINUX_GNU_LINKER = { value = "/host-cc"; buildStd = false; run = false; unstable = false; };
        __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS = { value = "nightly"; buildStd = false; run = false; unstable = true; };
      };
      runner = { status = "program"; kind = "glibc-loader"; program = "ld-linux-x86-64.so.2"; args = [ ]; };
    };
  }
  {
    name = "x86_64-gnu on x86_64-linux with no host linker (the CLI's case): host-config on, rustc's default linker";
    expr = builtins.filter (n: builtins.match "CARGO_HOST_.*|.*HOST_CONFIG" n != null)
      (builtins.attrNames (crossEnv { spec = resolveTarget "x86_64-gnu"; host = "x86_64-linux"; profile = "crossflake"; tools = tools // { hostLinker = null; }; }).env);
    expected = [ "CARGO_UNSTABLE_HOST_CONFIG" ];
  }
  {
    name = "aarch64-gnu on x86_64-linux: the target's linker for target artifacts only is cargo's default there";
    expr = builtins.filter (n: builtins.match ".*APPLIES_TO_HOST|__CARGO.*|CARGO_HOST_.*|.*HOST_CONFIG" n != null) (builtins.attrNames (env "aarch64-gnu" "x86_64-linux" false).env);
    expected = [ ];
  }
  {
    name = "runner and qemu's sysroot are run-only; nothing else is";
    expr = let r = env "aarch64-gnu" "x86_64-linux" false; in builtins.attrNames (builtins.removeAttrs r.env (builtins.filter (n: !r.env.${n}.run) (builtins.attrNames r.env)));
    expected = [ "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER" "QEMU_LD_PREFIX" ];
  }
  {
    name = "wasm32-wasip1: cargo with the filtering linker";
    expr = let r = env "wasm32-wasip1" "x86_64-darwin" false; in {
      inherit (r) command;
      env = values r;
    };
    expected = {
      command = [ "cargo" "build" "--target" "wasm32-wasip1" "--profile" "crossflake" ];
      env = {
        CARGO_TARGET_WASM32_WASIP1_LINKER = "/tools/zig-wasm-ld-wasm32-wasi";
        CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS = "-C linker-flavor=gcc -C link-self-contained=no";
        CC_wasm32_wasip1 = "/tools/zig-cc-wasm32-wasi";
        CXX_wasm32_wasip1 = "/tools/zig-cxx-wasm32-wasi";
        AR_wasm32_wasip1 = "/tools/zig-ar-wasm32-wasi";
        CARGO_TARGET_WASM32_WASIP1_RUNNER = "/qemu";
      };
    };
  }
  {
    name = "x86_64-windows build-std adds the libssp stubs";
    expr = (env "x86_64-windows" "x86_64-linux" true).env.CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS;
    expected = { value = "-L native=/ssp"; buildStd = true; run = false; unstable = false; };
  }
  {
    name = "aarch64-darwin on aarch64-darwin: plain cargo, nothing else";
    expr = let r = env "aarch64-darwin" "aarch64-darwin" false; in { inherit (r) command env scripts; };
    expected = { command = [ "cargo" "build" "--target" "aarch64-apple-darwin" "--profile" "crossflake" ]; env = { }; scripts = [ ]; };
  }
  {
    name = "runners: qemu-user, wine, none, rosetta";
    expr = map (x: runnerFor catalog.targets.${builtins.elemAt x 0} (builtins.elemAt x 1)) [
      [ "riscv64-musl" "aarch64-linux" ]
      [ "x86_64-windows" "x86_64-linux" ]
      [ "x86_64-windows" "aarch64-darwin" ]
      [ "x86_64-darwin" "aarch64-darwin" ]
      [ "aarch64-gnu" "aarch64-linux" ]
      [ "aarch64-musl" "aarch64-linux" ]
      [ "x86_64-gnu" "x86_64-darwin" ]
    ];
    expected = [
      { status = "program"; kind = "qemu-user"; program = "qemu-riscv64"; args = [ ]; }
      { status = "program"; kind = "wine"; program = "wine"; args = [ ]; }
      { status = "unavailable"; reason = "wine is needed to run x86_64-pc-windows-gnu binaries and exists only on x86_64-linux, x86_64-darwin"; }
      { status = "direct"; kind = "rosetta"; }
      { status = "program"; kind = "glibc-loader"; program = "ld-linux-aarch64.so.1"; args = [ ]; }
      { status = "native"; }
      { status = "unavailable"; reason = "qemu-user is needed to run x86_64-unknown-linux-gnu binaries and exists only on x86_64-linux, aarch64-linux"; }
    ];
  }
  {
    name = "resolveTarget maps a triple to its alias";
    expr = let s = resolveTarget "armv7-unknown-linux-musleabihf"; in [ s.alias s.cargoTarget s.zigTarget ];
    expected = [ "armv7-musl" "armv7-unknown-linux-musleabihf" "arm-linux-musleabihf" ];
  }
  { name = "unknown target throws"; expr = resolveTarget "arm64-musl"; expected = { throws = "crossflake: unknown target `arm64-musl`; valid targets:"; }; }
  { name = "glibc suffix on musl throws"; expr = resolveTarget "aarch64-musl.2.17"; expected = { throws = "crossflake: `aarch64-musl.2.17`: a glibc floor suffix (.2.17) applies only to glibc targets, and aarch64-musl (aarch64-unknown-linux-musl) links musl; drop the suffix"; }; }
  { name = "glibc floor below 2.17 throws"; expr = resolveTarget "x86_64-gnu.2.12"; expected = { throws = "crossflake: `x86_64-gnu.2.12`: glibc 2.12 is below the oldest floor x86_64-unknown-linux-gnu supports (2.17); use x86_64-unknown-linux-gnu.2.17 or newer"; }; }
  { name = "fillTemplate fills"; expr = fillTemplate { a = "1"; } "x{a}y"; expected = "x1y"; }
  { name = "fillTemplate drops on null"; expr = fillTemplate { a = null; } "x{a}"; expected = null; }
  { name = "fillTemplate throws on unknown"; expr = fillTemplate { } "x{nope}"; expected = { throws = "crossflake: unknown placeholder {nope} in catalog template `x{nope}`"; }; }
]
