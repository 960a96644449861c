# resolveTarget "x86_64-unknown-linux-gnu.2.31" -> the target spec a project or a user
# names: an alias or a triple, with an optional glibc floor (`.GLIBC`, gnu targets only).
#   (resolveTarget "x86_64-gnu").cargoTarget == "x86_64-unknown-linux-gnu.2.17"
# Result: { alias; target (the catalog entry); glibc (floor or null); glibcGiven; written;
#           triple; cargoTarget; zigTarget (null for native builds) }
# The same rules as Catalog::resolve in src/catalog.rs.
{ catalog, strings }:
written:
let
  parts = strings.splitOnceDot written;
  name = parts.name;
  suffix = parts.rest;
  aliases = builtins.attrNames catalog.targets;
  alias = strings.findFirst (a: a == name || catalog.targets.${a}.triple == name) null aliases;
  target = catalog.targets.${alias};
  isGnu = target.libc == "glibc";
  glibc =
    if suffix == null then target.glibc or null
    else if !isGnu then
      throw "crossflake: `${written}`: a glibc floor suffix (.${suffix}) applies only to glibc targets, and ${alias} (${target.triple}) links ${target.libc}; drop the suffix"
    else if !(strings.isVersion suffix) then
      throw "crossflake: `${written}`: the glibc floor `${suffix}` is not a version like 2.17"
    else if builtins.compareVersions suffix target.glibc-min < 0 then
      throw "crossflake: `${written}`: glibc ${suffix} is below the oldest floor ${target.triple} supports (${target.glibc-min}); use ${target.triple}.${target.glibc-min} or newer"
    else suffix;
  withGlibc = base: if glibc == null then base else "${base}.${glibc}";
in
if alias == null then
  throw "crossflake: unknown target `${written}`; valid targets: ${builtins.concatStringsSep ", " aliases} (or their triples; gnu triples take a glibc floor as in x86_64-unknown-linux-gnu.2.17)"
else {
  inherit alias target glibc written;
  glibcGiven = suffix != null;
  triple = target.triple;
  cargoTarget = withGlibc target.triple;
  zigTarget = if target ? zig-target then withGlibc target.zig-target else null;
}
