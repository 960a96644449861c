# toolchainRequest { toml ? null, legacy ? null } -> { channel; profile; components; targets }:
# what a project asks of its toolchain, read as `crossflake toolchain lock` reads it
# (src/toolchain.rs, `read`): `toml` is rust-toolchain.toml's text, `legacy` the legacy
# rust-toolchain file's (a bare channel or TOML; only its channel is read), null when absent.
# rust-toolchain.toml wins over the legacy file; the channel is stable when neither names one;
# a file with no `components` key, or no file, gets targets.toml's [toolchain]
# default-components; `profile` is null when not given.
#   toolchainRequest { toml = "[toolchain]\nchannel = \"1.95.0\"\n"; }
#     == { channel = "1.95.0"; profile = null; components = [ "clippy" "rustfmt" "rust-src" ]; targets = [ ]; }
{ catalog }:
{ toml ? null, legacy ? null }:
let
  defaults = catalog.toolchain.default-components;
  trim = s: let m = builtins.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in if m == null then "" else builtins.head m;
  legacyChannel =
    let
      text = trim legacy;
      isToml = builtins.match ".*=.*" text != null || builtins.match ".*\\[.*" text != null;
      firstLine = trim (builtins.head (builtins.filter builtins.isString (builtins.split "\n" text)));
    in
    if isToml then
      let c = (builtins.fromTOML legacy).toolchain.channel or null; in
      if builtins.isString c then c else throw "crossflake: rust-toolchain: no toolchain.channel"
    else if text == "" then throw "crossflake: the rust-toolchain file is empty; it should name a channel such as stable"
    else firstLine;
  t = (builtins.fromTOML toml).toolchain or { };
  # the same refusals as src/toolchain.rs `parse`, with its wording
  string = key: default:
    let v = t.${key} or default; in
    if v == null || builtins.isString v then v
    else throw "crossflake: rust-toolchain.toml: toolchain.${key} must be a string";
  strings = key: default:
    let v = t.${key} or default; in
    if builtins.isList v && builtins.all builtins.isString v then v
    else throw "crossflake: rust-toolchain.toml: toolchain.${key} must be an array of strings";
in
if toml != null then
  if t ? path then
    throw "crossflake: rust-toolchain.toml: toolchain.path pins a local toolchain, which the flake cannot reproduce; replace `path` with a `channel` (stable, 1.x.y, nightly-YYYY-MM-DD)"
  else {
    channel = string "channel" "stable";
    profile = string "profile" null;
    components = strings "components" defaults;
    targets = strings "targets" [ ];
  }
else {
  channel = if legacy != null then legacyChannel else "stable";
  profile = null;
  components = defaults;
  targets = [ ];
}
