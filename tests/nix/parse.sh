#!/usr/bin/env bash
# Level 0: every .nix file of the repository (templates included) parses, and every file of
# the library (nix/*.nix) has the one argument style: its named dependencies as its first
# line of code, `{ dep, ... }:` (or `{}:` with none), below the comment giving its signature.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NIX_CONFIG=${NIX_CONFIG:-build-users-group =}
# git's own failure (not a checkout) stops here, with its message; no file at all is a failure
files=$(git ls-files -z --cached --others --exclude-standard -- '*.nix' | tr '\0' '\n') ||
  { echo "parse.sh: git ls-files failed" >&2; exit 1; }
n=0
while IFS= read -r f; do
  [ -n "$f" ] || continue
  nix-instantiate --parse "$f" >/dev/null
  n=$((n + 1))
done <<<"$files"
[ "$n" -gt 0 ] || { echo "parse.sh: no .nix file found to parse (is this the repository?)" >&2; exit 1; }
echo "$n .nix files parse"

lib_files=(nix/*.nix)
[ -e "${lib_files[0]}" ] || { echo "parse.sh: no nix/*.nix file to check" >&2; exit 1; }
for f in "${lib_files[@]}"; do
  # (awk stops at the line itself: `grep | head` would end grep with SIGPIPE, which pipefail
  # turns into a failure whenever head exits before grep has written everything)
  first=$(awk '!/^#/ && !/^[[:space:]]*$/ { print; exit }' "$f")
  [[ $first =~ ^\{.*\}:$ ]] || {
    echo "$f: the first line of code is \`$first\`; the library's files start with their named dependencies, \`{ dep, ... }:\` or \`{}:\`" >&2
    exit 1
  }
  [[ $(head -n 1 "$f") == '# '* ]] || { echo "$f: no comment on top giving its signature" >&2; exit 1; }
done
echo "nix/*.nix: one argument style"
