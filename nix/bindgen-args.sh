# crossflakeBindgenArgs TRIPLE ZIG_TARGET: exports BINDGEN_EXTRA_CLANG_ARGS_<TRIPLE, _ for ->,
# which bindgen reads for that target only: `-nostdlibinc` and an `-isystem DIR` for each
# directory zig's C compiler searches for ZIG_TARGET (`zig cc -target ZIG_TARGET -E -v`), so
# libclang parses the target's libc headers, never the build machine's. bindgen adds
# `--target=` itself. The same value as bindgen_env in src/cdeps.rs. Under `cargo zigbuild`
# bindgen reads cargo-zigbuild's own BINDGEN_EXTRA_CLANG_ARGS_<TRIPLE> (`-` kept) first, so this
# one serves plain `cargo build` in the dev shells.
crossflakeBindgenArgs() {
  local dirs dir args=-nostdlibinc
  dirs=$(zig cc -target "$2" -E -v -x c /dev/null 2>&1 >/dev/null |
    sed -n '/^#include <\.\.\.> search starts here:$/,/^[^ ]/{/^ /s/^ *//p}')
  if [ -z "$dirs" ]; then
    echo "crossflake: \`zig cc -target $2 -E -v\` names no include directories" >&2
    return 1
  fi
  while IFS= read -r dir; do args="$args -isystem $dir"; done <<<"$dirs"
  export "BINDGEN_EXTRA_CLANG_ARGS_${1//-/_}=$args"
}
