# Level-1 cases: which projects have binary targets (hasBinaries.nix), on the Cargo layouts of
# tests/fixtures/binaries and the fixtures the builds use.
{ hasBinaries, ... }:
let
  at = name: ../fixtures/binaries + "/${name}";
in
[
  {
    name = "binaries as cargo finds them: src/main.rs, src/bin, [[bin]]; none in a library or with autobins off";
    expr = {
      cross-hello = hasBinaries ../fixtures/cross-hello;
      bin-dir = hasBinaries (at "bin-dir");
      explicit = hasBinaries (at "explicit");
      lib-only = hasBinaries (at "lib-only");
      no-autobins = hasBinaries (at "no-autobins");
    };
    expected = { cross-hello = true; bin-dir = true; explicit = true; lib-only = false; no-autobins = false; };
  }
  {
    name = "a workspace has binaries when a member has, globbed members read from their directory";
    expr = {
      workspace = hasBinaries (at "workspace");
      lib-workspace = hasBinaries (at "lib-workspace");
      c-deps = hasBinaries ../fixtures/c-deps;
    };
    expected = { workspace = true; lib-workspace = false; c-deps = true; };
  }
]
