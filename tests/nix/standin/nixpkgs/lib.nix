# The real nixpkgs lib (unpacked by setup.sh from ../shared/inputs into ./nixpkgs-lib, never
# committed), loaded with every file seeing a `builtins` that adds what Nix 2.8 lacks and the lib
# uses: readFileType (Nix 2.14; lib.fileset, lib.filesystem.pathType) from readDir; the others
# (convertHash, parseFlakeRef, flakeRefToString, addDrvOutputDependencies) fail with a message
# if called. Builtins this Nix has are never replaced.
let
  b = builtins;
  unsupported = name: _: throw "nixpkgs stand-in: builtins.${name} does not exist in Nix ${b.nixVersion}";
  added = {
    readFileType = path:
      let
        name = baseNameOf (toString path);
        entries = b.readDir (dirOf path);
      in
      if toString path == "/" then "directory"
      else entries.${name} or (throw "nixpkgs stand-in: readFileType: ${toString path} does not exist");
    convertHash = unsupported "convertHash";
    parseFlakeRef = unsupported "parseFlakeRef";
    flakeRefToString = unsupported "flakeRefToString";
    addDrvOutputDependencies = unsupported "addDrvOutputDependencies";
  };
  withAdded = added // b // { builtins = withAdded; };
  scope = {
    builtins = withAdded;
    import = path: b.scopedImport scope path;
  };
in
b.scopedImport scope ./nixpkgs-lib/default.nix
