# crossflakeWritableZigLib DIR SUBDIR...: points ZIG_LIB_DIR at DIR, a mirror of zig's library
# directory made once: every entry links to zig's own, except that each SUBDIR (targets.toml's
# [cargo-zigbuild] writes: where cargo-zigbuild writes arm-features.h for arm linux targets,
# zig issue 3287) and the directories above it are real, writable directories. zig's own
# library is read-only in the Nix store.
crossflakeWritableZigLib() {
  local dir=$1 lib sub part cur src entry
  shift
  if [ ! -e "$dir/.crossflake-mirror" ]; then
    lib=$(env -u ZIG_LIB_DIR zig env | sed -n 's/^ *\.lib_dir = "\(.*\)",$/\1/p; s/^ *"lib_dir": "\(.*\)",$/\1/p')
    if [ ! -d "$lib" ]; then
      echo "crossflake: \`zig env\` names no library directory" >&2
      return 1
    fi
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    for entry in "$lib"/* "$lib"/.[!.]*; do
      if [ -e "$entry" ]; then ln -s "$entry" "$dir.tmp/"; fi
    done
    for sub in "$@"; do
      cur=$dir.tmp
      src=$lib
      for part in ${sub//\// }; do
        src=$src/$part
        if [ -L "$cur/$part" ]; then
          rm "$cur/$part"
          mkdir "$cur/$part"
          for entry in "$src"/* "$src"/.[!.]*; do
            if [ -e "$entry" ]; then ln -s "$entry" "$cur/$part/"; fi
          done
        fi
        cur=$cur/$part
      done
    done
    echo "$lib" >"$dir.tmp/.crossflake-mirror"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  export ZIG_LIB_DIR=$dir
}
