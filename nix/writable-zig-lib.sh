# crossflakeWritableZigLib DIR: points ZIG_LIB_DIR at DIR, a copy of zig's library directory
# whose directories are writable and whose files are links to zig's, made once. cargo-zigbuild
# writes arm-features.h into zig's library for every arm linux target (zig issue 3287), and
# zig's own library is read-only in the Nix store.
crossflakeWritableZigLib() {
  local dir=$1 lib
  if [ ! -e "$dir/.crossflake-mirror" ]; then
    lib=$(env -u ZIG_LIB_DIR zig env | sed -n 's/^ *\.lib_dir = "\(.*\)",$/\1/p; s/^ *"lib_dir": "\(.*\)",$/\1/p')
    if [ ! -d "$lib" ]; then
      echo "crossflake: \`zig env\` names no library directory" >&2
      return 1
    fi
    rm -rf "$dir.tmp"
    mkdir -p "$(dirname "$dir")"
    cp -rs "$lib" "$dir.tmp"
    chmod -R u+w "$dir.tmp"
    echo "$lib" >"$dir.tmp/.crossflake-mirror"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  export ZIG_LIB_DIR=$dir
}
