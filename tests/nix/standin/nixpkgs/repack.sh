# repack.sh: the builder (busybox sh) that turns a staged host package ($raw, as stage.sh copied
# it from this machine) into a store package that runs in the sandbox, as nixpkgs' packages do:
# every dynamic ELF file gets the store glibc's loader as its interpreter and an rpath of its own
# library directories plus that glibc, and scripts' /bin/sh and /bin/bash shebangs point at the
# store's bash. Then $fixup (a per-package shell snippet) runs.
#   env: raw, glibc, bootstrap, bash (may be empty), fixup, out
set -eu
mkdir -p "$TMPDIR/applets"
for a in $("$bootstrap/bin/busybox" --list); do ln -s "$bootstrap/bin/busybox" "$TMPDIR/applets/$a"; done
PATH=$TMPDIR/applets
loader=$glibc/lib/ld-linux-x86-64.so.2
patchelf() { "$loader" --library-path "$glibc/lib:$bootstrap/lib" "$bootstrap/bin/patchelf" "$@"; }

cp -dR "$raw/." "$out/"
chmod -R u+w "$out"

libdirs=$(find "$out" -type f \( -name '*.so' -o -name '*.so.*' \) -exec dirname {} \; | sort -u | tr '\n' ':')
rpath=$libdirs$glibc/lib
elf=$(printf '\177ELF')
find "$out" -type f \( -perm -100 -o -name '*.so' -o -name '*.so.*' \) | while read -r f; do
  magic=$(dd if="$f" bs=4 count=1 2>/dev/null || true)
  if [ "$magic" = "$elf" ]; then
    if patchelf --print-interpreter "$f" >/dev/null 2>&1; then
      patchelf --set-interpreter "$loader" "$f"
    fi
    if [ -n "$(patchelf --print-needed "$f" 2>/dev/null)" ]; then
      patchelf --set-rpath "$rpath" "$f"
    fi
  elif [ -n "$bash" ] && [ "$(dd if="$f" bs=2 count=1 2>/dev/null || true)" = '#!' ]; then
    first=$(head -n1 "$f")
    case $first in
      '#!/bin/sh' | '#!/bin/sh '*) sed -i "1s|^#!/bin/sh|#!$bash/bin/bash|" "$f" ;;
      '#!/bin/bash' | '#!/bin/bash '*) sed -i "1s|^#!/bin/bash|#!$bash/bin/bash|" "$f" ;;
      '#!/usr/bin/env sh' | '#!/usr/bin/env bash') sed -i "1s|^.*\$|#!$bash/bin/bash|" "$f" ;;
    esac
  fi
done
eval "$fixup"
