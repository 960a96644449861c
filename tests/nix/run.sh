#!/usr/bin/env bash
# Level 1: the pure Nix logic (targets.toml plus a Cargo.toml metadata table -> targets,
# environment, commands, package set), evaluated with builtins only. Cases with a value are
# compared in one evaluation; each case that must fail is evaluated on its own and its error
# must contain the message the case names. Prints "N passed, N failed" and each failure with
# what was expected and what came out.
set -euo pipefail
cd "$(dirname "$0")"
export NIX_CONFIG=${NIX_CONFIG:-build-users-group =}
out=$(nix-instantiate --eval --strict --json -E '(import ./run.nix) // { case = null; }')
python3 - "$out" <<'PY'
import json, subprocess, sys
r = json.loads(sys.argv[1])
failed = [f"FAILED {f['file']}: {f['name']}\n  expected: {json.dumps(f['expected'])}\n  got:      {json.dumps(f['got'])}"
          for f in r["failed"]]
passed = r["passed"]
for t in r["throwing"]:
    p = subprocess.run(["nix-instantiate", "--eval", "--strict", "-E",
                        f'(import ./run.nix).case "{t["file"]}" {t["index"]}'],
                       capture_output=True, text=True)
    if p.returncode == 0:
        failed.append(f"FAILED {t['file']}: {t['name']}\n  expected an error containing: {t['message']}\n  got the value: {p.stdout.strip()}")
    elif t["message"] not in p.stderr:
        failed.append(f"FAILED {t['file']}: {t['name']}\n  expected an error containing: {t['message']}\n  got: {p.stderr.strip()}")
    else:
        passed += 1
print("\n".join(failed))
print(f"{passed} passed, {len(failed)} failed ({len(r['throwing'])} of them errors with their messages)")
if passed + len(failed) == 0:
    sys.exit("run.sh: no case was evaluated: tests/nix has no case file")
sys.exit(1 if failed else 0)
PY
