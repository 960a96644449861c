# Level-1 cases: which variables switch unstable cargo and rustc features on (targets.toml's
# [unstable]), as the flake refuses them in a project's derivations.
{ unstableSwitches, crossEnv, resolveTarget, ... }:
let
  tools = { cargoZigbuild = "/czb"; scriptPath = s: "/tools/${s.tool}"; runner = "/run"; sysroot = "/sys"; sspStubs = "/ssp"; };
  allowedOn = host: alias:
    let env = (crossEnv { spec = resolveTarget alias; inherit host tools; profile = "release"; }).env;
    in builtins.filter (n: env.${n}.unstable) (builtins.attrNames env);
in
[
  {
    name = "RUSTC_BOOTSTRAP, a CARGO_UNSTABLE_ variable, the channel override and -Z flags are switches; stable flags are not";
    expr = unstableSwitches {
      env = {
        RUSTC_BOOTSTRAP = "1";
        CARGO_UNSTABLE_BUILD_STD = "std";
        __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS = "nightly";
        RUSTFLAGS = "-C opt-level=3 -Zshare-generics=y";
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS = "-C link-self-contained=no";
        cargoExtraArgs = "--locked -Zbuild-std";
        nativeBuildInputs = [ "-Znot-a-string" ];
        doCheck = false;
      };
    };
    expected = [ "CARGO_UNSTABLE_BUILD_STD" "RUSTC_BOOTSTRAP" "RUSTFLAGS (-Zshare-generics=y)" "__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS" "cargoExtraArgs (-Zbuild-std)" ];
  }
  {
    name = "the catalog marks target-applies-to-host and host-config for a target that is the host's own triple, and nothing else";
    expr = {
      hostOwn = allowedOn "x86_64-linux" "x86_64-gnu";
      cross = allowedOn "x86_64-linux" "aarch64-gnu";
      musl = allowedOn "aarch64-linux" "aarch64-musl";
      armHostOwn = allowedOn "aarch64-linux" "aarch64-gnu";
    };
    expected = {
      hostOwn = [ "CARGO_UNSTABLE_HOST_CONFIG" "CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST" "__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS" ];
      cross = [ ];
      musl = [ ];
      armHostOwn = [ "CARGO_UNSTABLE_HOST_CONFIG" "CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST" "__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS" ];
    };
  }
  {
    name = "what the catalog marks is allowed, the rest still counts";
    expr = unstableSwitches {
      env = { CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST = "true"; RUSTC_BOOTSTRAP = "1"; };
      allowed = [ "CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST" ];
    };
    expected = [ "RUSTC_BOOTSTRAP" ];
  }
]
