# Sourced by bench scripts (after `here` is set to the repository): builds crossflake
# (release) and sets
#   cf    the crossflake binary          deb   scripts/with-debian-rust (Debian's rustc-web)
#   work  a temporary directory, removed on exit
# and the timing helpers: now (ns), timed CMD... (ns, output dropped), median NS...,
# secs NS and ms NS (formatted).
cf=$(bash "$here/scripts/built-crossflake" --release)
deb="$here/scripts/with-debian-rust"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
secs() { python3 -c "print(f'{$1/1e9:.2f}')"; }
ms() { python3 -c "print(f'{$1/1e6:.1f}')"; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
timed() { local s e; s=$(now); "$@" >/dev/null 2>&1; e=$(now); echo $((e - s)); }
