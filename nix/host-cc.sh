# crossflake-host-cc ARGS...: cc as the linker of host programs and build scripts (mkLib's
# hostLinker), with rustc's self-contained lld taken off the link line. Official rustc links
# x86_64-unknown-linux-gnu programs through `cc -B<toolchain>/lib/rustlib/<triple>/bin/gcc-ld
# -fuse-ld=lld` (Rust 1.90 and later): cc then runs rust-lld, not nixpkgs' ld-wrapper, and the
# program gets no RUNPATH for the nixpkgs shared libraries it links (rust-lang/rust#162781).
# That gcc-ld directory and the -fuse-ld=lld beside it are dropped; every other argument,
# an -fuse-ld=lld of the project's own included, reaches cc unchanged.
in=("$@")
out=()
i=0
while [ "$i" -lt "${#in[@]}" ]; do
  arg=${in[$i]}
  case $arg in
    -B*/lib/rustlib/*/bin/gcc-ld)
      if [ $((i + 1)) -lt "${#in[@]}" ] && [ "${in[$((i + 1))]}" = -fuse-ld=lld ]; then
        i=$((i + 1))
      elif [ "${#out[@]}" -gt 0 ] && [ "${out[-1]}" = -fuse-ld=lld ]; then
        unset 'out[-1]'
      fi
      ;;
    *) out+=("$arg") ;;
  esac
  i=$((i + 1))
done
exec cc "${out[@]}"
