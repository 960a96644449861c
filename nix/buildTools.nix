# buildTools cargoLock -> [ key ... ]: the keys of targets.toml's [build-tools] that the crates
# of a parsed Cargo.lock (builtins.fromTOML) need: each crate of [crates] the lock holds, by
# name, brings its `needs`. Sorted, each once. The same as
# needed_tools in src/cdeps.rs.
#   buildTools (builtins.fromTOML (builtins.readFile ./Cargo.lock))  -> [ "libclang" ]
{ catalog }:
cargoLock:
let
  names = map (p: p.name) (cargoLock.package or [ ]);
  wanted = builtins.concatMap (name: catalog.crates.${name}.needs or [ ]) names;
in
builtins.filter (key: builtins.elem key wanted) (builtins.attrNames catalog.build-tools)
