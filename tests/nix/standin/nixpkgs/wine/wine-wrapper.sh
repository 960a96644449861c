#!@bash@/bin/bash
# The stand-in's wine (bin/wine, as nixpkgs' wine 11 has it): Debian's wine 8.0 (its 64-bit loader), plus ProcessPrng, which Rust's std imports and wine
# has only since 8.13. Before running wine this puts the stub bcryptprimitives.dll (built by
# stage.sh) into the prefix's system32 and makes wine load it instead of its own; the zlib1.dll
# Debian's wine loads from outside the store is on WINEDLLPATH (for wineboot) and in system32.
export WINEDLLPATH="@out@/share/crossflake-standin/dlls${WINEDLLPATH:+:$WINEDLLPATH}"
# glibc's pthread_exit loads libgcc_s.so.1 from the loader's default directories, which for
# Debian's loader are outside the store (nixpkgs' glibc finds its own)
export LD_LIBRARY_PATH="@glibc@/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
prefix=${WINEPREFIX:-$HOME/.wine}
system32=$prefix/drive_c/windows/system32
if [ ! -f "$system32/bcryptprimitives.dll" ]; then
  if ! boot=$(WINEDEBUG=-all "@out@/lib/wine/wine64" wineboot --init 2>&1); then
    echo "stand-in wine: wineboot --init failed in $prefix:" >&2
    echo "$boot" >&2
    exit 1
  fi
  for dll in "@out@"/share/crossflake-standin/dlls/*.dll "@out@/share/crossflake-standin/bcryptprimitives.dll"; do
    cat "$dll" >"$system32/${dll##*/}"
  done
fi
export WINEDLLOVERRIDES="bcryptprimitives=n${WINEDLLOVERRIDES:+;$WINEDLLOVERRIDES}"
exec "@out@/lib/wine/wine64" "$@"
