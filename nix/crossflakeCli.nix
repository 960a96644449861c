# crossflakeCli { craneLib } -> the crossflake CLI built for the host from crossflakeSource
# (used by the checks, for `crossflake verify`, and by the image builds).
{ crossflakeSource }:
{ craneLib }:
craneLib.buildPackage {
  src = crossflakeSource;
  strictDeps = true;
  doCheck = false;
  meta.mainProgram = "crossflake";
}
