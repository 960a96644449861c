# runnerFor target host -> how `host` runs executables of a catalog `target`:
#   { status = "native"; }                                  same arch and OS
#   { status = "direct"; kind; }                            the host runs them itself (Rosetta 2)
#   { status = "program"; kind; program; args; }            through a runner program
#   { status = "unavailable"; reason; }                     tests are reported as skipped
# Where arch and OS match, a target's `native-runner` (gnu: the host glibc's loader) is used
# when the host has it.
#   (runnerFor catalog.targets.aarch64-musl "x86_64-linux").program == "qemu-aarch64"
#   (runnerFor catalog.targets.x86_64-gnu "x86_64-linux").program == "ld-linux-x86-64.so.2"
# The same rules as Catalog::runner_for in src/catalog.rs.
{ catalog }:
target: host:
let
  h = catalog.hosts.${host};
  native = h.arch == target.arch && h.os == target.os;
  nativeRunner = target.native-runner or null;
  kind =
    if native then
      (if nativeRunner != null && builtins.elem host catalog.runners.${nativeRunner}.hosts then nativeRunner else null)
    else target.runner or null;
  runner = catalog.runners.${kind};
in
if native && kind == null then { status = "native"; }
else if kind == null then {
  status = "unavailable";
  reason = "no runner can execute ${target.triple} binaries on ${host}";
}
else if !(builtins.elem host runner.hosts) then {
  status = "unavailable";
  reason = "${kind} is needed to run ${target.triple} binaries and exists only on ${builtins.concatStringsSep ", " runner.hosts}";
}
else if !(runner ? program) then { status = "direct"; inherit kind; }
else {
  status = "program";
  inherit kind;
  program = builtins.replaceStrings [ "{qemu-arch}" "{glibc-loader}" ] [ (target.qemu-arch or "") (target.glibc-loader or "") ] runner.program;
  args = runner.args or [ ];
}
