#!/usr/bin/env python3
"""closure-check.py NAME TRIPLE HOST_TRIPLE < store paths (`nix-store -qR --include-outputs DRV`)

What a target's build closure holds, read from what its store paths contain, not from their
names: Rust's std (lib/rustlib/<triple>/lib/libstd-*.rlib) for the host and the target only,
and no runner (qemu-user's bin/qemu-*, wine's bin/wine* and lib/wine, wasmtime's bin/wasmtime*
or the stand-in's libexec/wasmtime-cli.py, crossflake's runner script). Exits 1, naming each
foreign std and each runner, or when the target's own std is missing."""
import glob
import os
import sys

name, triple, host_triple = sys.argv[1:4]
paths = [p for p in sys.stdin.read().split() if os.path.isdir(p)]
stds, runners = set(), []
for p in paths:
    for rlib in glob.glob(f"{p}/lib/rustlib/*/lib/libstd-*.rlib"):
        stds.add(rlib.split("/lib/rustlib/")[1].split("/")[0])
    for pattern in ("bin/qemu-*", "bin/wine*", "bin/wasmtime*", "lib/wine", "libexec/wasmtime-cli.py"):
        runners += glob.glob(f"{p}/{pattern}")
    if "-crossflake-runner-" in os.path.basename(p):
        runners.append(p)
foreign = sorted(stds - {host_triple, triple})
print(f"   {name}: {len(paths)} store paths; std for {', '.join(sorted(stds)) or 'none'}; runners: {', '.join(runners) or 'none'}")
for f in foreign:
    print(f"     FAILED another target's std in the closure: {f}")
for r in runners:
    print(f"     FAILED a runner in the closure: {r}")
if triple not in stds:
    print(f"     FAILED no std for {triple} in the closure")
sys.exit(1 if foreign or runners or triple not in stds else 0)
