#!@bash@/bin/bash
# ld as nixpkgs' ld-wrapper runs it (pkgs/build-support/bintools-wrapper/ld-wrapper.sh): for each
# -L directory in the store that holds a shared library an -l flag names, -rpath DIR is added,
# so what it links finds that library at run time; NIX_DONT_SET_RPATH=1 turns it off. Only a
# link that reaches this ld gets it: one through another linker (-fuse-ld=lld with rustc's
# gcc-ld directory first, rustc's self-contained rust-lld) does not, as with nixpkgs.
dirs=()
libs=()
prev=
for arg in "$@"; do
  case $prev in
    -L) dirs+=("$arg") ;;
    -l) libs+=("$arg") ;;
  esac
  case $arg in
    -L?*) dirs+=("${arg#-L}") ;;
    -l?*) libs+=("${arg#-l}") ;;
  esac
  prev=$arg
done
rpath=()
if [ "${NIX_DONT_SET_RPATH:-}" != 1 ]; then
  for dir in "${dirs[@]}"; do
    case $dir in /nix/store/*) ;; *) continue ;; esac
    for lib in "${libs[@]}"; do
      if [ -e "$dir/lib$lib.so" ]; then
        rpath+=(-rpath "$dir")
        break
      fi
    done
  done
fi
exec @binutils@/bin/ld "$@" "${rpath[@]}"
