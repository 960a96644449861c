#!@bash@/bin/bash
# @name@ as nixpkgs' cc-wrapper runs it: Debian's gcc with the store's C library (headers, crt
# objects, libc linker scripts), binutils found through -B (ld through ./ld-wrapper.sh, as
# nixpkgs' cc finds its ld-wrapper), and, when linking, the store glibc's
# dynamic loader and an rpath to it, so what it links runs inside the sandbox.
linking=1
for arg in "$@"; do
  case $arg in -c | -S | -E | -M | -MM) linking=0 ;; esac
done
flags=(-B@libcDev@/lib/ -B@wrapperBin@/ -idirafter @libcDev@/include)
if [ $linking = 1 ]; then
  flags+=(-L@libcDev@/lib -L@glibc@/lib -Wl,-dynamic-linker=@glibc@/lib/ld-linux-x86-64.so.2 -Wl,-rpath,@glibc@/lib)
fi
exec @gcc@/bin/@driver@ "${flags[@]}" "$@"
