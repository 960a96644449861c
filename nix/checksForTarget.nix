# checksForTarget { build, crossflake, craneLib ? the build's, hasBinaries ? true }
#   -> { "<alias>-verify"; "<alias>-test"; "<alias>-clippy"; } for a result of buildForTarget
# (checked with the same toolchain it was built with). Each leaves the proof that its tool ran,
# which tests/nix/real-builds.sh reads back:
#   verify  `crossflake verify` proves every binary is what the target claims (format and
#           machine; static: no PT_INTERP, no DT_NEEDED; gnu: GLIBC_ versions at or below the
#           floor); $out/verify.json is its report. It fails when the package has no binary.
#           Not produced when `hasBinaries` is false (a project with no binary target,
#           hasBinaries.nix): there is nothing to verify
#   test    the target's test command under the host's runner (the only derivation of a
#           target that gets the runner; its log has cargo's `test result` lines); where the
#           host has none, `<alias>-test-skipped`, a check that passes and says why
#   clippy  cargo clippy for the target, warnings denied (`--deny warnings`, in its log)
{ pkgs, pure }:
{ build, crossflake, craneLib ? build.package.passthru.craneLib, hasBinaries ? true }:
let
  inherit (pkgs) lib;
  spec = build.package.passthru.spec;
  env = build.env;
  alias = spec.alias;
  host = pkgs.stdenv.hostPlatform.system;
  runner = pure.runnerFor spec.target host;
in
lib.optionalAttrs hasBinaries
  {
    "${alias}-verify" = pkgs.runCommand "${alias}-verify" { nativeBuildInputs = [ crossflake ]; } ''
      shopt -s nullglob
      bins=(${build.package}/bin/*)
      if [ ''${#bins[@]} -eq 0 ]; then
        echo ${lib.escapeShellArg "crossflake: ${alias}-verify: ${build.package}/bin holds no binary, and the project has binary targets"} >&2
        exit 1
      fi
      mkdir -p $out
      crossflake verify --json --target ${lib.escapeShellArg spec.written} "''${bins[@]}" >$out/verify.json
      crossflake verify --target ${lib.escapeShellArg spec.written} "''${bins[@]}" | tee $out/verify.txt
    '';
  } // {
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
