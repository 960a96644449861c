#!/usr/bin/env bash
# `crossflake dist` on published crates, judged by independent tools, then installed by
# cargo-binstall from an HTTPS server on 127.0.0.1 serving the archives.
#
# For each crate (default: sd 1.0.0 and hexyl 0.16.0) and the targets aarch64-musl,
# x86_64-musl and x86_64-windows (Debian's rustc-web + zig, --build-std, cargo-auditable):
#   - the time of one `crossflake dist`, cold (its own empty target directory and zig cache);
#   - every file written, with its size;
#   - sha256sum -c on SHA256SUMS, rust-audit-info on each binary in the archives,
#     cyclonedx-python-lib's validator on each SBOM;
#   - `cargo binstall CRATE --manifest-path SRC --pkg-url https://127.0.0.1:PORT/...` (no
#     GitHub, no crates.io lookup, no compile fallback) for x86_64-unknown-linux-musl into a
#     temporary root, and the installed binary run.
# Usage: bench/dist-published.sh [CRATE@VERSION...]   Needs scripts/provision's tools,
# crates.io, and cargo-binstall on PATH (`cargo install cargo-binstall`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(sd@1.0.0 hexyl@0.16.0)
targets=(aarch64-musl x86_64-musl x86_64-windows)
binstall=$(command -v cargo-binstall) || {
  echo "bench: cargo-binstall is not on PATH (cargo install cargo-binstall)" >&2
  exit 1
}
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
target_args=()
for t in "${targets[@]}"; do target_args+=(--target "$t"); done

# an HTTPS server on 127.0.0.1 (cargo-binstall refuses plain HTTP) with a certificate from a
# throwaway CA, which cargo-binstall is told to trust (--root-certificates)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/serve" "$work/tls"
(
  cd "$work/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bench-ca -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext -out server.pem 2>/dev/null
)
python3 - "$work/serve" "$port" "$work/tls" >"$work/http.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys
root, port, tls = sys.argv[1], int(sys.argv[2]), sys.argv[3]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{tls}/server.pem", f"{tls}/server.key")
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
PY
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

for spec in "${crates[@]}"; do
  crate=${spec%@*} version=${spec#*@}
  src=$work/$crate
  "$here/scripts/fetch-crate" "$crate" "$version" "$src"
  (cd "$src" && git init -q && git add -A && git -c user.name=b -c user.email=b@example.com commit -qm "$crate $version")
  out=$work/dist-$crate
  export CARGO_TARGET_DIR="$work/target-$crate" XDG_CACHE_HOME="$work/cache-$crate"
  s=$(now)
  (cd "$src" && "$deb" "$cf" dist --build-std --output "$out" "${target_args[@]}" >"$work/dist-$crate.log" 2>&1) || {
    tail -40 "$work/dist-$crate.log" >&2
    exit 1
  }
  e=$(now)
  unset CARGO_TARGET_DIR XDG_CACHE_HOME
  echo "== $crate $version: crossflake dist for ${targets[*]}, cold: $(secs $((e - s))) s"
  (cd "$out" && for f in *; do printf '   %-62s %9d bytes\n' "$f" "$(stat -c %s "$f")"; done)
  (cd "$out" && sha256sum -c --strict --quiet SHA256SUMS) && echo "   sha256sum -c SHA256SUMS: OK"
  python3 - "$out" <<'PY'
import json, os, subprocess, sys, tarfile, zipfile
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
out = sys.argv[1]
manifest = json.load(open(os.path.join(out, "crossflake-dist.json")))
v = JsonStrictValidator(SchemaVersion.V1_5)
for a in manifest["artifacts"]:
    path = os.path.join(out, a["path"])
    if a["kind"] == "sbom":
        err = v.validate_str(open(path).read())
        assert not err, f"{a['path']}: {err}"
        print(f"   {a['path']}: valid CycloneDX 1.5")
    elif a["kind"] == "archive":
        if path.endswith(".zip"):
            z = zipfile.ZipFile(path)
            members = {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
        else:
            t = tarfile.open(path)
            members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
        licences = sum(1 for m in members if "/licenses/" in m)
        for b in a["binaries"]:
            r = subprocess.run(["rust-audit-info", "/dev/stdin"], input=members[b["path"]], capture_output=True)
            assert r.returncode == 0, f"{b['path']}: rust-audit-info: {r.stderr.decode()}"
            n = len(json.loads(r.stdout)["packages"])
            print(f"   {b['path']}: rust-audit-info reads {n} packages; {licences} licence files beside it")
PY
  cp "$out"/*.tar.gz "$out"/*.zip "$work/serve/"
  root=$work/root-$crate
  s=$(now)
  "$binstall" "$crate" --manifest-path "$src" --version "$version" \
    --pkg-url "https://127.0.0.1:$port/{ name }-{ target }-v{ version }{ archive-suffix }" --pkg-fmt tgz \
    --root-certificates "$work/tls/ca.pem" \
    --targets x86_64-unknown-linux-musl --strategies crate-meta-data \
    --install-path "$root" --no-confirm --no-track --disable-telemetry >"$work/binstall-$crate.log" 2>&1 || {
    cat "$work/binstall-$crate.log" >&2
    exit 1
  }
  e=$(now)
  echo "   cargo binstall from https://127.0.0.1:$port: $(secs $((e - s))) s; installed: $(ls "$root")"
  grep -h "GET /$crate-.* 200 " "$work/http.log" | sed 's/^/   served: /' | tail -1
  echo "   $("$root/$(ls "$root" | head -1)" --version)"
done
