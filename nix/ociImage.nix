# ociImage { crossflake, name, tag ? "latest", binaries, caBundle ? false, revision ? null,
#            version ? null, source ? null, licenses ? null, epoch ? sourceDate null, labels ? { } }
#   -> a derivation whose output is an OCI image layout, written by `crossflake oci build`
#      (no container engine; builds on darwin hosts too). `binaries` is a list of
#      { platform; path; } (platform: an OCI platform such as linux/arm64 or a catalog
#      alias); with several, the layout holds an image index over one image per platform.
#      `epoch` dates every time stamp (default: 1980-01-01, see sourceDate.nix).
#   ociImage { inherit crossflake; name = "app"; binaries = [ { platform = "aarch64-musl"; path = "${pkg}/bin/app"; } ]; }
{ pkgs, sourceDate }:
{ crossflake
, name
, tag ? "latest"
, binaries
, caBundle ? false
, revision ? null
, version ? null
, source ? null
, licenses ? null
, epoch ? sourceDate null
, labels ? { }
}:
let
  inherit (pkgs) lib;
  optional = flag: value: lib.optionals (value != null) [ flag value ];
  args = [ "--image-name" name "--tag" tag ]
    ++ lib.concatMap (b: [ "--binary" "${b.platform}=${b.path}" ]) binaries
    ++ lib.optionals caBundle [ "--ca-bundle" "${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt" ]
    ++ optional "--revision" revision
    ++ optional "--image-version" version
    ++ optional "--source" source
    ++ optional "--licenses" licenses
    ++ lib.concatLists (lib.mapAttrsToList (k: v: [ "--label" "${k}=${v}" ]) labels);
in
pkgs.runCommand "${lib.strings.sanitizeDerivationName name}-oci"
{
  nativeBuildInputs = [ crossflake ];
  SOURCE_DATE_EPOCH = toString epoch;
  passthru = { inherit tag; };
}
  ''
    # staged outside the store, which only admits $out itself
    crossflake oci build --output "$TMPDIR/image" ${lib.escapeShellArgs args}
    mv "$TMPDIR/image" "$out"
  ''
