#!/usr/bin/env bash
# Figures for `crossflake dist` (Debian's rustc-web + zig, --build-std) on a published crate
# (default sd 1.0.0) for four targets:
#   - cold: one `crossflake dist` (the four targets share one cargo run) into an empty target
#     directory and zig cache, against four `crossflake build --target T` one after another
#     into another empty target directory and zig cache (which the four then share), std
#     included;
#   - the archive overhead: `crossflake dist --no-audit --force` with everything built, against
#     `crossflake build` with everything built (what dist adds: cargo metadata, verify,
#     licence files, archives, checksums);
#   - cargo-auditable: the binaries' size with and without its data, the SBOMs' size, and
#     `crossflake dist --force` with everything built;
#   - bytes: each binary against its archive.
# Usage: bench/dist.sh [CRATE VERSION]   Needs scripts/provision's tools and crates.io.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
crate=${1:-sd} version=${2:-1.0.0}
targets=(aarch64-musl x86_64-musl x86_64-unknown-linux-gnu.2.17 x86_64-windows)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

"$here/scripts/fetch-crate" "$crate" "$version" "$work/src"
cd "$work/src"
git init -q && git add -A && git -c user.name=b -c user.email=b@example.com commit -qm "$crate $version"
target_args=()
for t in "${targets[@]}"; do target_args+=(--target "$t"); done

export CARGO_TARGET_DIR="$work/target-one" XDG_CACHE_HOME="$work/cache-one"
one=$(timed "$deb" "$cf" dist --no-audit --build-std --output "$work/dist-plain" "${target_args[@]}")
[ -f "$work/dist-plain/SHA256SUMS" ] || { echo "bench: dist wrote nothing" >&2; exit 1; }
dist_warm=$(timed "$deb" "$cf" dist --no-audit --force --build-std --output "$work/dist-plain" "${target_args[@]}")
build_warm=$(timed "$deb" "$cf" build --build-std "${target_args[@]}")
audit=$(timed "$deb" "$cf" dist --build-std --output "$work/dist-audit" "${target_args[@]}")
audit_warm=$(timed "$deb" "$cf" dist --force --build-std --output "$work/dist-audit" "${target_args[@]}")

export CARGO_TARGET_DIR="$work/target-seq" XDG_CACHE_HOME="$work/cache-seq"
seq=0
for t in "${targets[@]}"; do
  ns=$(timed "$deb" "$cf" build --build-std --target "$t")
  seq=$((seq + ns))
done
unset CARGO_TARGET_DIR XDG_CACHE_HOME

echo "crate: $crate $version; targets: ${targets[*]}"
echo "cold, one crossflake dist (one cargo run):  $(secs "$one") s"
echo "cold, four crossflake build in a row:       $(secs "$seq") s"
echo "warm, crossflake build:                     $(secs "$build_warm") s"
echo "warm, crossflake dist --no-audit --force:   $(secs "$dist_warm") s"
echo "crossflake dist with cargo-auditable (members rebuilt): $(secs "$audit") s; warm: $(secs "$audit_warm") s"
python3 - "$work/dist-plain" "$work/dist-audit" <<'EOF'
import io, json, sys, tarfile, zipfile, os
plain, audit = (json.load(open(os.path.join(d, "crossflake-dist.json"))) for d in sys.argv[1:3])
def arts(m, kind):
    return {a["path"]: a for a in m["artifacts"] if a["kind"] == kind}
pa, aa, sb = arts(plain, "archive"), arts(audit, "archive"), arts(audit, "sbom")
print(f"{'archive':<58} {'binary':>9} {'archive':>9} {'+audit':>7} {'sbom':>6}")
for name, a in sorted(pa.items()):
    b = a["binaries"][0]["size"]
    ab = aa[name]["binaries"][0]["size"]
    s = next(x["size"] for x in sb.values() if x["target"] == a["target"])
    print(f"{name:<58} {b:>9} {a['size']:>9} {ab - b:>+7} {s:>6}")
EOF
