#!/usr/bin/env python3
"""skips.py CHECK_NAMES_JSON TARGETS_JSON CARGO_TOML HOST

The skipped test checks of a project on HOST are exactly the catalog's: CHECK_NAMES_JSON maps
the flake's check names to their derivation names (`checks.<host>` through
`builtins.mapAttrs (_: d: d.name)`); TARGETS_JSON is `crossflake targets --host HOST --json`;
CARGO_TOML is the project's manifest (its [*.metadata.crossflake] targets). A `<alias>-test`
check whose derivation is `<alias>-test-skipped` must be a target the host builds and has no
runner for, and every such target must have one. Prints the count; exits 1 on a difference."""
import json
import sys
import tomllib

names, targets = json.loads(sys.argv[1]), json.loads(sys.argv[2])
manifest = tomllib.load(open(sys.argv[3], "rb"))
host = sys.argv[4]
owner = manifest.get("package") or manifest["workspace"]
listed = owner["metadata"]["crossflake"]["targets"]
by_name = {}
for t in targets:
    by_name[t["alias"]] = t
    by_name[t["triple"]] = t
aliases = [by_name[w.split(".")[0] if w.split(".")[0] in by_name and w not in by_name else w]["alias"] for w in listed]
expected = sorted(a for a in aliases if by_name[a]["can-build"] and by_name[a]["runner-on-host"]["status"] == "unavailable")
tests = sorted(n for n in names if n.endswith("-test"))
skipped = sorted(n[: -len("-test")] for n in tests if names[n].endswith("-test-skipped"))
print(f"   {host}: {len(tests)} test checks, {len(skipped)} skipped ({', '.join(skipped) or 'none'}); the catalog expects {len(expected)} ({', '.join(expected) or 'none'})")
if skipped != expected:
    print(f"     FAILED skipped {skipped}, the catalog says {expected}")
    sys.exit(1)
