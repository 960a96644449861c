# Sourced by tests/nix/evalpkgs.sh and tests/nix/flake-parts.sh: level 2.5's setup and the
# flags that evaluate a project against this checkout with evalpkgs (../shared/tools/evalpkgs).
# shellcheck disable=SC2034

# evalpkgs_ready REPO: sets up evalpkgs from ../shared/inputs (unless
# CROSSFLAKE_EVALPKGS_READY=1: done already) and exports the offline NIX_CONFIG
evalpkgs_ready() {
  # shellcheck source=tests/nix/standin/env.sh
  source "$1/tests/nix/standin/env.sh"
  if [ "${CROSSFLAKE_EVALPKGS_READY:-}" != 1 ]; then
    bash "$(crossflake_shared_dir "$1")/tools/evalpkgs/setup.sh" >/dev/null
  fi
  export NIX_CONFIG=$'experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 2\nbuild-users-group =\nwarn-dirty = false'
}

# evalpkgs_overrides CROSSFLAKE_DIR: sets the array `overrides`: no lock file written, and a
# project's `crossflake` input is CROSSFLAKE_DIR with evalpkgs as its nixpkgs and the pinned
# crane and fenix (the sources evalpkgs' setup.sh unpacks into /tmp/evalpkgs-src)
evalpkgs_overrides() {
  overrides=(--no-write-lock-file
    --override-input crossflake "git+file://$1"
    --override-input crossflake/nixpkgs path:/tmp/evalpkgs
    --override-input crossflake/crane path:/tmp/evalpkgs-src/crane
    --override-input crossflake/fenix path:/tmp/evalpkgs-src/fenix
    --override-input crossflake/fenix/rust-analyzer-src path:/tmp/evalpkgs/stubs/rust-analyzer-src)
}
