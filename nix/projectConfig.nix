# projectConfig { cargoToml, path ? "Cargo.toml" } -> a project's crossflake settings, read
# from its `[package.metadata.crossflake]` (or, for a virtual workspace,
# `[workspace.metadata.crossflake]`) table. `cargoToml` is the parsed root manifest
# (builtins.fromTOML). Errors name the file and the key, with the fix.
#   (projectConfig { cargoToml = fromTOML ''...''; }).targets  -> [ spec ... ] (see resolveTarget)
# Result: { kind ("package" | "virtual-workspace"); metadataKey; packageName (or null);
#           displayName (packageName, else "app"); defaultBinary (the first [[bin]]'s name,
#           else displayName); targets; image (null or { name; entrypoint; caBundle; }); profile }
# The same rules as Project::config in src/project.rs.
{ resolveTarget }:
{ cargoToml, path ? "Cargo.toml" }:
let
  hasPackage = cargoToml ? package;
  owner =
    if hasPackage then "package"
    else if cargoToml ? workspace then "workspace"
    else throw "crossflake: ${path} has neither a [package] nor a [workspace] table, so it is not a Cargo package";
  key = "${owner}.metadata.crossflake";
  table = cargoToml.${owner}.metadata.crossflake or (throw
    "crossflake: ${path} has no [${key}] table; run `crossflake init` to add one");
  at = k: "${path}: ${key}.${k}";
  schema = table.schema or (throw "crossflake: ${at "schema"}: missing; add `schema = 1`");
  # `ci` and `cache` are read by the CLI alone (the cache reaches Nix as flake.nix's nixConfig)
  known = [ "schema" "targets" "image" "ci" "cache" "sccache" ];
  unknown = builtins.filter (k: !(builtins.elem k known)) (builtins.attrNames table);
  packageName = if hasPackage && builtins.isString (cargoToml.package.name or null) then cargoToml.package.name else null;
  displayName = if packageName != null then packageName else "app";
  # the first [[bin]] target's name, else the package name (as Project::default_binary)
  bins = builtins.filter (b: builtins.isString (b.name or null)) (cargoToml.bin or [ ]);
  defaultBinary = if bins != [ ] then (builtins.head bins).name else displayName;

  rawTargets =
    if builtins.isList (table.targets or [ ]) then table.targets or [ ]
    else throw "crossflake: ${at "targets"}: must be an array of target names";
  specs = builtins.genList
    (i:
      let t = builtins.elemAt rawTargets i;
      in if builtins.isString t then resolveTarget t
      else throw "crossflake: ${at "targets"}[${toString i}]: must be a string")
    (builtins.length rawTargets);
  # flake outputs are named by alias: one target triple, one entry (as Project::config)
  targets = builtins.foldl'
    (acc: i:
      let
        s = builtins.elemAt specs i;
        earlier = builtins.filter (j: (builtins.elemAt acc j).alias == s.alias) (builtins.genList (j: j) (builtins.length acc));
        j = builtins.head earlier;
      in
      if earlier == [ ] then acc ++ [ s ]
      else throw "crossflake: ${at "targets"}[${toString i}]: `${s.written}` is the same target as targets[${toString j}] `${(builtins.elemAt acc j).written}` (${s.triple}); list each target once")
    [ ]
    (builtins.genList (i: i) (builtins.length specs));

  imageTable = table.image;
  imageKnown = [ "name" "entrypoint" "ca-bundle" ];
  imageUnknown = builtins.filter (k: !(builtins.elem k imageKnown)) (builtins.attrNames imageTable);
  image =
    if !(table ? image) then null
    else if imageUnknown != [ ] then
      throw "crossflake: ${at "image"}.${builtins.head imageUnknown}: unknown key; the image table takes name, entrypoint and ca-bundle"
    else {
      name = imageTable.name or displayName;
      entrypoint = imageTable.entrypoint or defaultBinary;
      caBundle = imageTable.ca-bundle or false;
    };
in
if schema != 1 then
  throw "crossflake: ${at "schema"}: schema ${toString schema} is not one this crossflake reads (it reads schema 1); update the crossflake input"
else if unknown != [ ] then
  throw "crossflake: ${at (builtins.head unknown)}: unknown key; ${key} takes schema, targets, image, ci, cache and sccache"
else {
  kind = if hasPackage then "package" else "virtual-workspace";
  metadataKey = key;
  inherit packageName displayName defaultBinary targets image;
  profile = if cargoToml ? profile && cargoToml.profile ? crossflake then "crossflake" else "release";
}
