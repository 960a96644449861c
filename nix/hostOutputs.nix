# hostOutputs { config, host } -> which of a project's targets a host builds, which it
# skips (with the reason), and which become OCI images.
#   (hostOutputs { config = projectConfig ...; host = "x86_64-linux"; }).build -> [ spec ... ]
# Result: { build = [ spec ]; skipped = [ { alias; reason; } ]; oci = [ spec ];
#           packageNames = [ "aarch64-musl" "aarch64-musl-oci" ... "oci" "dist" ] }
{}:
{ config, host }:
let
  canBuild = s: builtins.elem host s.target.build-hosts;
  build = builtins.filter canBuild config.targets;
  oci = if config.image == null then [ ] else builtins.filter (s: s.target ? oci) build;
in
{
  inherit build oci;
  skipped = map
    (s: {
      inherit (s) alias;
      reason = "${s.alias} (${s.triple}) builds only on ${builtins.concatStringsSep ", " s.target.build-hosts}";
    })
    (builtins.filter (s: !(canBuild s)) config.targets);
  packageNames = map (s: s.alias) build ++ map (s: "${s.alias}-oci") oci ++ (if oci == [ ] then [ ] else [ "oci" ])
    ++ (if build == [ ] then [ ] else [ "dist" ]);
}
