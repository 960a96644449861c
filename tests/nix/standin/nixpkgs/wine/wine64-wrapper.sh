#!@bash@/bin/bash
# The stand-in's wine64: Debian's wine 8.0, plus ProcessPrng, which Rust's std imports and wine
# has only since 8.13. Before running wine this puts the stub bcryptprimitives.dll (built by
# stage.sh) into the prefix's system32 and makes wine load it instead of its own.
prefix=${WINEPREFIX:-$HOME/.wine}
dll=$prefix/drive_c/windows/system32/bcryptprimitives.dll
if [ ! -f "$dll" ]; then
  WINEDEBUG=-all "@out@/bin/.wine64-wrapped" wineboot --init >/dev/null 2>&1 || true
  cat "@out@/share/crossflake-standin/bcryptprimitives.dll" >"$dll"
fi
export WINEDLLOVERRIDES="bcryptprimitives=n${WINEDLLOVERRIDES:+;$WINEDLLOVERRIDES}"
exec "@out@/bin/.wine64-wrapped" "$@"
