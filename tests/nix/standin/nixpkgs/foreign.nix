# legacyPackages.aarch64-linux of the stand-in: only what an x86_64-linux build takes from another
# system's package set (crossflake: the glibc whose loader qemu-user runs aarch64-gnu binaries
# with, `legacyPackages.aarch64-linux.stdenv.cc.libc`): Debian's libc6-arm64-cross, repackaged on
# x86_64-linux. Any other attribute is missing.
{ lib, x86_64 }:
{
  inherit lib;
  stdenv = {
    hostPlatform = lib.systems.elaborate "aarch64-linux";
    cc.libc = x86_64.crossflakeStandin.hostTool "glibc-aarch64" { pname = "glibc"; };
  };
}
