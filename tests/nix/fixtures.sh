# Sourced by tests/nix/real-builds.sh and bench/builders.sh: crossflake's test fixtures as
# flakes for x86_64-linux under $work, for tests/nix/real-build. Needs $repo and $work.
#   fixture NAME SRC_DIR [CRANE_ARGS_NIX]   a copy of SRC_DIR with a flake.nix, committed; prints
#                                           its directory
#   set_targets DIR TARGETS                 its crossflake targets replaced (a TOML array)
#   small_fixture                           sets $small: cross-hello with two targets
#                                           (aarch64-musl, x86_64-musl), a README and a licence
# shellcheck shell=bash

# a fixture as a flake for x86_64-linux, committed at a known time (the images' epoch)
# fixture NAME SRC_DIR [CRANE_ARGS_NIX]
fixture() {
  local dir=$work/$1 crane_args=${3:-"{ }"}
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -r "$2/." "$dir/"
  cat >"$dir/flake.nix" <<NIX
{
  inputs.crossflake.url = "github:crossflake/crossflake";
  outputs = { self, crossflake, ... }: crossflake.lib.mkFlake {
    inherit self;
    src = ./.;
    systems = [ "x86_64-linux" ];
    craneArgs = $crane_args;
  };
}
NIX
  git -C "$dir" init -q
  git -C "$dir" add -A
  GIT_COMMITTER_DATE=@1700000000 GIT_AUTHOR_DATE=@1700000000 git -C "$dir" -c user.name=t -c user.email=t@t commit -qm fixture
  echo "$dir"
}

# small_fixture: $small, the fixture with two targets, a README and a licence (made once)
small=
small_fixture() {
[ -z "$small" ] || return 0
small=$(fixture small "$repo/tests/fixtures/cross-hello")
two_targets "$small"
printf '# cross-hello\n' >"$small/README.md"
printf 'cross-hello licence\n' >"$small/LICENSE"
git -C "$small" add README.md LICENSE
git -C "$small" commit -qam "two targets"
}

# set_targets DIR TARGETS: the fixture's crossflake targets replaced by TARGETS (a TOML array,
# e.g. '["aarch64-musl"]'; uncommitted)
set_targets() {
python3 - "$1/Cargo.toml" "$2" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s, n = re.subn(r'(?ms)^targets = \[.*?\]\n', lambda _: f"targets = {sys.argv[2]}\n", s, count=1)
assert n == 1, f"{p} has no targets list"
open(p, "w").write(s)
PY
}

# two_targets DIR: the fixture's crossflake targets cut to aarch64-musl and x86_64-musl
# (uncommitted)
two_targets() { set_targets "$1" '["aarch64-musl", "x86_64-musl"]'; }
