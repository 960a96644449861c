# The builder of every stand-in derivation (`bash -e default-builder.sh`), as nixpkgs' is.
# shellcheck disable=SC1091
source "$stdenv/setup"
genericBuild
