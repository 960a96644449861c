# Sourced by setup.sh and tests/nix/real-build: the Nix configuration of the sandboxed builds
# and where ../shared is.
# shellcheck disable=SC2034
crossflake_nix_config=$'experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 2\nbuild-users-group = nixbld\nsandbox = true\nsandbox-fallback = false\nsandbox-paths = /bin/sh=/bin/busybox\nwarn-dirty = false\nmax-jobs = 4\ncores = 2'

# crossflake_shared_dir REPO: the developers' shared directory (pinned inputs, evalpkgs): beside
# the checkout, else /work/shared (a clone made elsewhere, as CI's)
crossflake_shared_dir() {
  local d
  for d in "$1/../shared" /work/shared; do
    if [ -d "$d/inputs" ]; then
      (cd "$d" && pwd)
      return
    fi
  done
  echo "$1/../shared"
}
