# crossEnv { spec, host, profile, buildStd ? false, tools } -> the recipe for one target
# on one host, filled in from the catalog: the environment, the build and test commands,
# the tool scripts the environment refers to, and the runner.
#
#   tools = {
#     cargoZigbuild;          the cargo-zigbuild executable
#     scriptPath;             { tool, zigTarget, body } -> where that tool script is
#     runner;                 the runner command (program plus args), or null
#     sysroot;                a glibc sysroot for qemu-user, or null
#     sspStubs;               a directory with empty libssp archives
#     hostLinker;             the linker of host artifacts (build scripts, proc-macros) when the
#                             target is the host's own triple, or null (absent: null)
#   }
#   (crossEnv { spec = resolveTarget "aarch64-musl"; host = "x86_64-linux"; profile = "crossflake"; tools = ...; }).command
#     == [ "cargo" "zigbuild" "--target" "aarch64-unknown-linux-musl" "--profile" "crossflake" ]
#
# Result: { alias; target; host; command; testCommand;
#           env = { NAME = { value; buildStd; run; unstable; }; ... };   (run: only where
#                 executables run; unstable: it switches an unstable feature on, [unstable])
#           scripts = [ { tool; zigTarget; body; path; } ... ];  runner (see runnerFor) }
# The same computation as recipe::derive in src/recipe.rs; tests/cli/consistency/recipe.rs checks
# that both agree for every target and host.
{ catalog, strings, fillTemplate, runnerFor }:
{ spec, host, profile, buildStd ? false, tools }:
let
  target = spec.target;
  recipe = catalog.recipes.${target.recipe};
  runner = runnerFor target host;
  isProgram = runner.status == "program";

  toolNames = builtins.attrNames catalog.tools;
  script = tool: {
    inherit tool;
    zigTarget = spec.zigTarget;
    body = fillTemplate values catalog.tools.${tool}.script;
  };
  withPath = s: s // { path = tools.scriptPath { inherit (s) tool zigTarget body; }; };

  values = {
    target = target.triple;
    cargo-target = spec.cargoTarget;
    TRIPLE = strings.cargoTriple target.triple;
    triple = builtins.replaceStrings [ "-" "." ] [ "_" "_" ] target.triple;
    zig-flags = if target ? zig-cpu then "-mcpu=${target.zig-cpu}" else "";
    inherit profile;
    cargo-zigbuild = tools.cargoZigbuild;
    runner = if isProgram then tools.runner else null;
    sysroot = if isProgram && runner.kind == "qemu-user" && target.libc == "glibc" then tools.sysroot else null;
    ssp-stubs = tools.sspStubs;
    host-linker = tools.hostLinker or null;
  }
  // (if spec.zigTarget == null then { } else { zig-target = spec.zigTarget; })
  // builtins.listToAttrs (map
    (tool: {
      name = tool;
      value = if spec.zigTarget == null then null else (withPath (script tool)).path;
    })
    toolNames);

  templates = (recipe.env or { }) // (target.env or { }) // (if buildStd then catalog.build-std.env else { });
  hostIsTarget = catalog.hosts.${host}.triple == target.triple;
  entries = builtins.filter (e: e != null) (map
    (nameT:
      let
        t = templates.${nameT};
        isBuildStd = t.build-std or false;
        value = fillTemplate values t.value;
      in
      if isBuildStd && !buildStd || (t.host-is-target or false) && !hostIsTarget || value == null then null
      else { name = fillTemplate values nameT; inherit value isBuildStd; run = t.run or false; unstable = t.unstable or false; referenced = referencedTools t.value; })
    (builtins.attrNames templates));

  referencedTools = template:
    builtins.filter (name: builtins.elem name toolNames)
      (map builtins.head (builtins.filter builtins.isList (builtins.split "\\{([A-Za-z][A-Za-z0-9-]*)}" template)));

  usedTools = strings.unique (strings.concatMap (e: e.referenced) entries);

  commandOf = template:
    map (fillTemplate values) template
    ++ [ "--profile" profile ]
    ++ (if buildStd then catalog.build-std.args else [ ]);
in
{
  inherit (spec) alias;
  target = target.triple;
  inherit host runner;
  command = commandOf recipe.build;
  testCommand = commandOf recipe.test;
  env = builtins.listToAttrs (map (e: { inherit (e) name; value = { inherit (e) value run unstable; buildStd = e.isBuildStd; }; }) entries);
  scripts = map (tool: withPath (script tool)) usedTools;
}
