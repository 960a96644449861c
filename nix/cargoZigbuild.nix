# cargoZigbuild craneLib -> the cargo-zigbuild targets.toml's [cargo-zigbuild] pins, built from
# crates.io with crane, the same on every host whatever nixpkgs has: the published crate
# (fetched by its checksum) and its published Cargo.lock (./cargo-zigbuild/Cargo.lock), so
# nothing is read from a derivation at evaluation time.
#   lib.getExe (cargoZigbuild craneLib) == "/nix/store/...-cargo-zigbuild-0.24.1/bin/cargo-zigbuild"
{ pure }:
craneLib:
let
  pin = pure.catalog.cargo-zigbuild;
  cargoLock = ./cargo-zigbuild/Cargo.lock;
  locked = builtins.filter (p: p.name == "cargo-zigbuild") (builtins.fromTOML (builtins.readFile cargoLock)).package;
  lockedVersion = if locked == [ ] then "none" else (builtins.head locked).version;
in
if lockedVersion != pin.version then
  throw "crossflake: nix/cargo-zigbuild/Cargo.lock is cargo-zigbuild ${lockedVersion}'s, but targets.toml pins ${pin.version}; run scripts/pin-cargo-zigbuild ${pin.version}"
else
  craneLib.buildPackage {
    pname = "cargo-zigbuild";
    inherit (pin) version;
    src = craneLib.downloadCargoPackage {
      name = "cargo-zigbuild";
      inherit (pin) version checksum;
      source = "registry+https://github.com/rust-lang/crates.io-index";
    };
    inherit cargoLock;
    cargoVendorDir = craneLib.vendorCargoDeps { inherit cargoLock; };
    # one derivation: a dependency layer would need the crate's Cargo.toml at evaluation time
    cargoArtifacts = null;
    doCheck = false;
    strictDeps = true;
    meta.mainProgram = "cargo-zigbuild";
  }
