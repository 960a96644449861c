# lockCheck { lock, toolchain } -> true, or throws when a toolchain lock no longer matches
# rust-toolchain.toml (channel, profile, components, targets; order does not matter). `lock` is the
# parsed rust-toolchain.lock.toml, `toolchain` the project's request (toolchainRequest.nix: channel,
# profile, components, targets).
#   lockCheck { lock = fromTOML (readFile ./rust-toolchain.lock.toml); toolchain = toolchainRequest { toml = readFile ./rust-toolchain.toml; }; }
# The same comparison as `crossflake toolchain lock --check`.
{ strings }:
{ lock, toolchain }:
let
  made = lock.crossflake or (throw "crossflake: rust-toolchain.lock.toml has no [crossflake] table; regenerate it with `crossflake toolchain lock`");
  sorted = l: builtins.sort builtins.lessThan (strings.unique l);
  want = {
    channel = toolchain.channel or "stable";
    profile = toolchain.profile or null;
    components = sorted (toolchain.components or [ ]);
    targets = sorted (toolchain.targets or [ ]);
  };
  have = {
    channel = made.channel or null;
    profile = made.profile or null;
    components = sorted (made.components or [ ]);
    targets = sorted (made.targets or [ ]);
  };
  show = v: if builtins.isList v then "[ ${builtins.concatStringsSep " " v} ]" else if v == null then "none" else toString v;
  diffs = builtins.filter (k: want.${k} != have.${k}) [ "channel" "profile" "components" "targets" ];
in
if diffs == [ ] then true
else
  throw ''
    crossflake: rust-toolchain.lock.toml does not match rust-toolchain.toml (${builtins.concatStringsSep "; " (map (k: "${k}: lock has ${show have.${k}}, rust-toolchain.toml has ${show want.${k}}") diffs)}).${if builtins.elem "components" diffs then "\n    (A rust-toolchain.toml with no `components` key, or none, asks for targets.toml's [toolchain] default-components.)" else ""}
    Run `crossflake toolchain lock` and commit rust-toolchain.lock.toml.''
