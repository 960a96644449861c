# Level-1 cases: the one source-date rule (src/archive.rs does the same for the CLI).
{ sourceDate, ... }:
[
  {
    name = "a flake's self dates everything by its lastModified";
    expr = sourceDate { lastModified = 1700000000; rev = "abc"; };
    expected = 1700000000;
  }
  {
    name = "a source with no lastModified is dated 1980-01-01, the earliest a zip holds";
    expr = sourceDate { outPath = "/nix/store/x-source"; };
    expected = 315532800;
  }
  {
    name = "no source at all: 1980-01-01";
    expr = sourceDate null;
    expected = 315532800;
  }
]
