#!/usr/bin/env bash
# Level 1: the pure Nix logic (targets.toml plus a Cargo.toml metadata table -> targets,
# environment, commands, package set), evaluated with builtins only. Prints
# "N passed, N failed" and each failure with what was expected and what came out.
set -euo pipefail
cd "$(dirname "$0")"
export NIX_CONFIG=${NIX_CONFIG:-build-users-group =}
out=$(nix-instantiate --eval --strict --json run.nix)
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
for f in r["failed"]:
    print(f"FAILED {f['file']}: {f['name']}\n  expected: {json.dumps(f['expected'])}\n  got:      {json.dumps(f['got'])}")
print(f"{r['passed']} passed, {len(r['failed'])} failed")
sys.exit(1 if r["failed"] else 0)
PY
