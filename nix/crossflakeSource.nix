# crossflakeSource: the source the crossflake CLI builds from: the manifest, the lock,
# targets.toml (embedded by src/catalog.rs), ci-actions.toml (embedded by src/ci/actions.rs) and
# src/ with its .j2 templates (embedded by src/emit). crane's cleanCargoSource alone would drop
# the templates. tests/cli/structure.rs holds this list to every file src/ embeds.
{ lib }:
let
  root = toString ../.;
  keep = path: _type:
    let rel = lib.removePrefix "${root}/" (toString path);
    in builtins.elem rel [ "Cargo.toml" "Cargo.lock" "targets.toml" "ci-actions.toml" ] || rel == "src" || lib.hasPrefix "src/" rel;
in
lib.cleanSourceWith { src = ../.; filter = keep; name = "crossflake-source"; }
