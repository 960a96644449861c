# toolchain { rustToolchainToml ? null, legacyToolchainFile ? null, lockFile ? null, targets ? [ ], extraComponents ? [ ] }
#   -> one toolchain derivation (fenix.combine): cargo, rustc, the components of
#      rust-toolchain.toml and of its rustup `profile` (those the channel has for this host,
#      as rustup installs them), rust-std for every target triple, and `extraComponents`.
#   toolchain { rustToolchainToml = ./rust-toolchain.toml; targets = [ "aarch64-unknown-linux-musl" ]; }
#
# The request comes from rust-toolchain.toml, else the legacy rust-toolchain file's channel, else
# stable (toolchainRequest.nix; components default to targets.toml's). With a toolchain
# lock (rust-toolchain.lock.toml, written by `crossflake toolchain lock`) the components
# come from the lock through fenix.fromManifestFile: any channel, no IFD. With no lock,
# `stable` is fenix's stable, pinned by flake.lock; any other channel needs the lock.
# `extraComponents` (rust-src, rust-analyzer for dev shells) are left out when the channel
# does not have them; the file's own components are required.
{ fenix, lockCheck, lockedSources, toolchainRequest, strings, hostTriple }:
{ rustToolchainToml ? null, legacyToolchainFile ? null, lockFile ? null, targets ? [ ], extraComponents ? [ ] }:
let
  readOrNull = f: if f == null then null else builtins.readFile f;
  # rust-toolchain.toml, else the legacy file's channel, else stable (toolchainRequest.nix)
  t = toolchainRequest { toml = readOrNull rustToolchainToml; legacy = readOrNull legacyToolchainFile; };
  inherit (t) channel components;
  fromLock = lockFile != null;
  lock = builtins.fromTOML (builtins.readFile lockFile);
  # a clear error, naming the command to run, before fenix would silently drop a piece
  checked = fromLock
    && lockCheck { inherit lock; toolchain = t; }
    && builtins.deepSeq (lockedSources { inherit lock targets components; host = hostTriple; }) true;
  base =
    if fromLock then builtins.seq checked (fenix.fromManifestFile lockFile)
    else if channel == "stable" then fenix.stable
    else
      throw ''
        crossflake: rust-toolchain.toml pins channel "${channel}", which the flake can only build from a toolchain lock.
        Run `crossflake toolchain lock` and commit rust-toolchain.lock.toml (or use channel = "stable").'';
  stdFor = triple:
    let byTarget = fenix.targets.${triple} or (throw "crossflake: fenix has no rust-std for ${triple}");
    in if fromLock then (byTarget.fromManifestFile lockFile).rust-std else byTarget.stable.rust-std;
  inherit (t) profile;
  profiles = base.manifest.profiles or { };
  # the profile's packages, like `extraComponents`, are taken where this host has them
  profileComponents =
    if profile == null then [ ]
    else
      profiles.${profile} or (throw
        "crossflake: rust-toolchain.toml: toolchain.profile \"${profile}\" is not a profile of the ${channel} channel; it has ${builtins.concatStringsSep ", " (builtins.attrNames profiles)}");
  component = name: base.${name} or (throw
    "crossflake: rust-toolchain.toml asks for component `${name}`, which the ${channel} toolchain does not have for this host");
in
fenix.combine (strings.unique (
  map component ([ "cargo" "rustc" ] ++ components)
  ++ builtins.filter (c: c != null) (map (name: base.${name} or null) (profileComponents ++ extraComponents))
  ++ map stdFor targets
))
