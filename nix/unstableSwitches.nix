# unstableSwitches { env, allowed ? [ ] } -> the entries of `env` (NAME -> value, as a
# derivation gets them; values that are not strings are skipped) that switch an unstable cargo
# or rustc feature on, by targets.toml's [unstable] list: a variable it names or whose name has
# one of its prefixes ("RUSTC_BOOTSTRAP"), or an argument with one of its prefixes in a value
# ("RUSTFLAGS (-Zshare-generics)"). Names in `allowed` (the recipe entries the catalog marks
# `unstable`) are left out. [ ] when there is none.
#   unstableSwitches { env = { RUSTC_BOOTSTRAP = "1"; RUSTFLAGS = "-C opt-level=3"; }; }  -> [ "RUSTC_BOOTSTRAP" ]
{ catalog, strings }:
{ env, allowed ? [ ] }:
let
  u = catalog.unstable;
  inherit (strings) hasPrefix;
  words = v: builtins.filter (w: builtins.isString w && w != "") (builtins.split "[[:space:]]+" v);
  switchOf = name:
    let
      v = env.${name};
      flags = builtins.filter (w: builtins.any (p: hasPrefix p w) u.argument-prefixes) (words v);
    in
    if builtins.elem name allowed || !(builtins.isString v) then null
    else if builtins.elem name u.variables || builtins.any (p: hasPrefix p name) u.variable-prefixes then name
    else if flags != [ ] then "${name} (${builtins.concatStringsSep " " flags})"
    else null;
in
builtins.filter (x: x != null) (map switchOf (builtins.attrNames env))
