#!/usr/bin/env python3
"""unstable-guard.py TARGETS_TOML HOST_TRIPLE < `nix show-derivation -r` JSON

No derivation of a project (package, check, dev shell) may switch an unstable cargo or rustc
feature on: targets.toml's [unstable] list names the switches (variables, variable prefixes,
argument prefixes in any value), and its recipe entries marked `unstable = true` are the only
ones a derivation may carry, and only when it builds for the host's own triple (its
CARGO_BUILD_TARGET is HOST_TRIPLE). The stand-in fenix's own rust-std derivations (named
rust-std-*), which build std from source with -Zbuild-std, are the one exception, by name.
Prints each offending derivation with its switches and exits 1; prints a count and exits 0."""
import json
import sys
import tomllib

catalog = tomllib.load(open(sys.argv[1], "rb"))
host_triple = sys.argv[2]
unstable = catalog["unstable"]
marked = set()
for recipe in catalog["recipes"].values():
    for name, entry in recipe.get("env", {}).items():
        if entry.get("unstable"):
            marked.add(name)


def switches(env):
    found = []
    for name, value in env.items():
        if name in unstable["variables"] or any(name.startswith(p) for p in unstable["variable-prefixes"]):
            found.append(name)
            continue
        flags = [w for w in value.split() if any(w.startswith(p) for p in unstable["argument-prefixes"])]
        if flags:
            found.append(f"{name} ({' '.join(flags)})")
    return found


drvs = json.load(sys.stdin)
bad = []
for path, d in sorted(drvs.items()):
    env = d.get("env", {})
    if env.get("name", "").startswith("rust-std-"):
        continue
    allowed = marked if env.get("CARGO_BUILD_TARGET") == host_triple else set()
    found = [s for s in switches(env) if s.split(" ")[0] not in allowed]
    if found:
        bad.append(f"{path}: {', '.join(found)}")
if bad:
    print("unstable cargo or rustc features switched on (targets.toml [unstable]) in:", file=sys.stderr)
    for b in bad:
        print(f"  {b}", file=sys.stderr)
    sys.exit(1)
print(f"unstable-guard: {len(drvs)} derivations, none switches an unstable feature on but those the catalog marks")
