#!@bash@/bin/bash
# The stand-in's rustc: Debian's rustc links windows-gnu programs with -lssp_nonshared -lssp
# (a Debian change; rustup's rustc does not), which zig's mingw lacks, so for that target this
# adds a directory of empty libssp archives. Everything else is Debian's rustc as it is.
extra=()
prev=
for arg in "$@"; do
  if [ "$arg" = --target=x86_64-pc-windows-gnu ] || { [ "$prev" = --target ] && [ "$arg" = x86_64-pc-windows-gnu ]; }; then
    extra=(-L native=@ssp@)
  fi
  prev=$arg
done
exec "${0%/*}/.rustc-wrapped" "$@" "${extra[@]}"
