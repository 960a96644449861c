# runnerFor target host -> how `host` runs executables of a catalog `target`:
#   { status = "native"; }                                  same arch and OS
#   { status = "direct"; kind; }                            the host runs them itself (Rosetta 2)
#   { status = "program"; kind; program; args; }            through a runner program
#   { status = "unavailable"; reason; }                     tests are reported as skipped
#   (runnerFor catalog.targets.aarch64-musl "x86_64-linux").program == "qemu-aarch64"
# The same rules as Catalog::runner_for in src/catalog.rs.
{ catalog }:
target: host:
let
  h = catalog.hosts.${host};
  kind = target.runner or null;
  runner = catalog.runners.${kind};
in
if h.arch == target.arch && h.os == target.os then { status = "native"; }
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
  program = builtins.replaceStrings [ "{qemu-arch}" ] [ (target.qemu-arch or "") ] runner.program;
  args = runner.args or [ ];
}
