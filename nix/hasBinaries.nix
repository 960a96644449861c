# hasBinaries src -> whether the Cargo project at `src` has a binary target, as cargo finds
# them: a package's [[bin]] entries, or (unless `autobins = false`) src/main.rs or src/bin/;
# for a workspace, the root package's and every member's (members as listed, a trailing `/*`
# read as every directory there). mkFlake gives a project with none no verify check: there is
# nothing to verify, and a verify check of a package with binaries fails when it finds none.
#   hasBinaries ./.  -> true
{}:
src:
let
  manifest = dir: builtins.fromTOML (builtins.readFile (dir + "/Cargo.toml"));
  packageHasBins = dir: toml:
    toml ? package && (
      (toml.bin or [ ]) != [ ]
      || ((toml.package.autobins or true) && (builtins.pathExists (dir + "/src/main.rs") || builtins.pathExists (dir + "/src/bin")))
    );
  # "crates/*" -> every directory under crates with a Cargo.toml; "crates/a" -> itself
  expand = dir: member:
    let m = builtins.match "(.*)/\\*" member;
    in
    if m == null then [ (dir + "/${member}") ]
    else
      let
        parent = dir + "/${builtins.head m}";
        entries = if builtins.pathExists parent then builtins.readDir parent else { };
      in
      map (n: parent + "/${n}") (builtins.filter (n: entries.${n} == "directory" && builtins.pathExists (parent + "/${n}/Cargo.toml")) (builtins.attrNames entries));
  root = manifest src;
  members = builtins.concatMap (expand src) (root.workspace.members or [ ]);
in
packageHasBins src root || builtins.any (d: packageHasBins d (manifest d)) members
