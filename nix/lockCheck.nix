# lockCheck { lock, toolchain, targets } -> true, or throws when a toolchain lock no longer
# matches what it was made from: rust-toolchain.toml's channel and components, and the
# project's target triples. `lock` is the parsed rust-toolchain.lock.toml, `toolchain` the
# parsed [toolchain] table of rust-toolchain.toml.
#   lockCheck { lock = fromTOML ...; toolchain = { channel = "1.90.0"; }; targets = [ ... ]; }
# The same comparison as `crossflake toolchain lock --check`.
{ strings }:
{ lock, toolchain, targets }:
let
  made = lock.crossflake or (throw "crossflake: rust-toolchain.lock.toml has no [crossflake] table; regenerate it with `crossflake toolchain lock`");
  sorted = l: builtins.sort builtins.lessThan (strings.unique l);
  want = {
    channel = toolchain.channel or "stable";
    components = sorted (toolchain.components or [ "clippy" "rustfmt" "rust-src" ]);
    targets = sorted targets;
  };
  have = {
    channel = made.channel or null;
    components = sorted (made.components or [ ]);
    targets = sorted (made.targets or [ ]);
  };
  show = v: if builtins.isList v then "[ ${builtins.concatStringsSep " " v} ]" else toString v;
  diffs = builtins.filter (k: want.${k} != have.${k}) [ "channel" "components" "targets" ];
in
if diffs == [ ] then true
else
  throw ''
    crossflake: rust-toolchain.lock.toml does not match rust-toolchain.toml and the project's targets
    (${builtins.concatStringsSep "; " (map (k: "${k}: lock has ${show have.${k}}, project wants ${show want.${k}}") diffs)}).
    Run `crossflake toolchain lock` and commit rust-toolchain.lock.toml.''
