# lockedSources { lock, host, components ? [ ], targets ? [ ] } -> the artifact each piece of a
# toolchain comes from, picked from a toolchain lock the way fenix.fromManifestFile picks it
# (a "*" entry wins over the triple's own; only available entries count):
#   { "<package>" = { url; hash; }; "rust-std-<triple>" = { url; hash; }; }
# for cargo, rustc and `components` (names as rust-toolchain.toml writes them, through the
# lock's renames) on the `host` triple, and rust-std for each target triple. Throws, naming
# the command to run, when the lock lacks one; a host the lock leaves out (its channel built no
# rustc or cargo there: `[crossflake] hosts` does not list it) throws saying so.
#   (lockedSources { lock = fromTOML ...; host = "aarch64-apple-darwin"; targets = [ "wasm32-wasip1" ]; })."rust-std-wasm32-wasip1".url
{}:
{ lock, host, components ? [ ], targets ? [ ] }:
let
  made = lock.crossflake or { };
  covered = made.hosts or [ host ];
  hostCovered = builtins.elem host covered || throw ''
    crossflake: rust-toolchain.lock.toml has no toolchain for host ${host}: it covers ${builtins.concatStringsSep ", " covered}.
    Either its channel (${made.channel or "?"}, ${lock.date or "?"}) has no rustc or no cargo for ${host}, which `crossflake toolchain lock` then leaves out: build on a covered host, or choose a channel in rust-toolchain.toml that has one; or the lock was made without ${host}: run `crossflake toolchain lock`.'';
  renames = lock.renames or { };
  pkgName = c:
    if lock.pkg ? ${c} then c
    else if renames ? ${c} && lock.pkg ? ${renames.${c}.to} then renames.${c}.to
    else if lock.pkg ? "${c}-preview" then "${c}-preview"
    else throw "crossflake: rust-toolchain.lock.toml has no component `${c}`; run `crossflake toolchain lock`";
  pick = pkg: triple:
    let
      t = lock.pkg.${pkg}.target or { };
      e = t."*" or t.${triple} or null;
    in
    if e == null || !(e.available or false) then
      throw "crossflake: rust-toolchain.lock.toml has no ${pkg} for ${triple}; run `crossflake toolchain lock`"
    else { inherit (e) url hash; };
in
assert hostCovered;
builtins.listToAttrs (map (c: { name = pkgName c; value = pick (pkgName c) host; }) ([ "cargo" "rustc" ] ++ components))
  // builtins.listToAttrs (map (t: { name = "rust-std-${t}"; value = pick "rust-std" t; }) targets)
