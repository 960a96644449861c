# Sourced by setup.sh and tests/nix/real-build: the Nix configuration of the sandboxed builds
# and where ../shared is.
# The sandbox gets STATE/ld.so.cache (setup.sh writes it) as its /etc/ld.so.cache: it maps the
# C library's sonames to the stand-in glibc's store path, which is where nixpkgs' own loader
# looks by default (the stand-in's loader is Debian's, whose default is /lib/x86_64-linux-gnu).
# Binaries that fenix's real toolchains patch (interpreter the stand-in's loader, RUNPATH zlib
# and their own lib/ only, as in nixpkgs) find libc, libdl and libgcc_s through it.
# shellcheck disable=SC2034
crossflake_nix_config=$'experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 2\nbuild-users-group = nixbld\nsandbox = true\nsandbox-fallback = false\nsandbox-paths = /bin/sh=/bin/busybox /etc/ld.so.cache='"${state:-${CROSSFLAKE_STANDIN_DIR:-/tmp/crossflake-standin}}"$'/ld.so.cache?\nwarn-dirty = false\nmax-jobs = 4\ncores = 2'

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

# dist_server_answers URL: true when the Rust dist server answers for URL; false only when it
# cannot be reached (no DNS, no connection, a timeout, no TLS handshake); anything else (no
# curl, an HTTP error) stops the script, so a broken probe never passes as "unreachable".
# (tests/nix/real-builds.sh's step fenix and tests/nix/mutations.sh)
dist_server_answers() {
  command -v curl >/dev/null || { echo "FAILED: curl is missing (scripts/provision installs it): the dist server cannot be probed" >&2; exit 1; }
  local rc=0 err
  err=$(curl -sSfI --max-time 20 -o /dev/null "$1" 2>&1) || rc=$?
  case $rc in
    0) return 0 ;;
    6 | 7 | 28 | 35) return 1 ;;
    *) echo "FAILED: probing the dist server ($1): curl exit $rc: $err" >&2; exit 1 ;;
  esac
}
