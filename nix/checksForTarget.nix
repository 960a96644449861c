# checksForTarget { build, crossflake, craneLib ? the build's } -> { "<alias>-verify"; "<alias>-test"; "<alias>-clippy"; }
# for a result of buildForTarget (checked with the same toolchain it was built with):
#   verify  `crossflake verify` proves every binary is what the target claims (format and
#           machine; static: no PT_INTERP, no DT_NEEDED; gnu: GLIBC_ versions at or below the floor)
#   test    the target's test command under the host's runner (the only derivation of a
#           target that gets the runner); where the host has none, a check that passes and
#           says the tests were skipped, and why
#   clippy  cargo clippy for the target, warnings denied
{ pkgs, pure }:
{ build, crossflake, craneLib ? build.package.passthru.craneLib }:
let
  inherit (pkgs) lib;
  spec = build.package.passthru.spec;
  env = build.env;
  alias = spec.alias;
  host = pkgs.stdenv.hostPlatform.system;
  runner = pure.runnerFor spec.target host;
in
{
  "${alias}-verify" = pkgs.runCommand "${alias}-verify" { nativeBuildInputs = [ crossflake ]; } ''
    shopt -s nullglob
    bins=(${build.package}/bin/*)
    if [ ''${#bins[@]} -eq 0 ]; then
      echo "no binaries in ${build.package}/bin to verify" | tee $out
    else
      crossflake verify --target ${lib.escapeShellArg spec.written} "''${bins[@]}" | tee $out
    fi
  '';
  "${alias}-test" =
    if runner.status == "unavailable" then
      pkgs.runCommand "${alias}-test-skipped" { } ''
        echo ${lib.escapeShellArg "SKIPPED: tests for ${alias} on ${host}: ${runner.reason}"} | tee $out
      ''
    else
      craneLib.mkCargoDerivation (build.common // env.runVars // {
        pnameSuffix = "-test";
        cargoArtifacts = build.deps;
        buildPhaseCargoCommand = "";
        doCheck = true;
        checkPhaseCargoCommand = "${lib.escapeShellArgs env.testCommand} --locked";
        doInstallCargoArtifacts = false;
        nativeBuildInputs = build.common.nativeBuildInputs ++ env.runnerPackages;
      });
  "${alias}-clippy" = craneLib.cargoClippy (build.common // {
    cargoArtifacts = build.deps;
    cargoClippyExtraArgs = "--all-targets -- --deny warnings";
  });
}
