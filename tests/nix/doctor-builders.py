"""Judges `crossflake doctor --json --builders` for tests/nix/real-builds.sh (step builders).

usage: doctor-builders.py REPORT.json OTHER_KEY

The builders, in order: the one on 127.0.0.1 with its key (answers, builds the fixture's two
targets as packages.x86_64-linux.*), the same with a key it refuses, one that is down
(127.0.0.2), and one of riscv64-linux. Each problem is one finding with its fix; no others.
"""

import json
import sys

report, other = json.load(open(sys.argv[1])), sys.argv[2]
b = report["builders"]
assert [r["answers"] for r in b] == [True, False, False, True], [(r["builder"]["uri"], r.get("error")) for r in b]
assert [t["attribute"] for t in b[0]["targets"]] == [
    "packages.x86_64-linux.aarch64-musl",
    "packages.x86_64-linux.x86_64-musl",
], b[0]
assert b[3]["targets"] == [] and b[3]["cannot_build"] == ["aarch64-musl", "x86_64-musl"], b[3]
findings = [f for s in report["sections"] if s["scope"] == "builders" for f in s["findings"]]


def one(*words):
    hits = [f for f in findings if all(w in f["problem"] + " " + f["fix"] for w in words)]
    assert len(hits) == 1, (words, findings)
    print(f"   doctor --builders: {hits[0]['check']}: {hits[0]['problem']}")


one("Permission denied (publickey)", f"add the public half of {other}", "~crossflake-builder/.ssh/authorized_keys on 127.0.0.1")
one("Connection refused", "the builder is down or out of reach: start sshd on 127.0.0.2")
one("it builds riscv64-linux and none of these targets builds there: aarch64-musl, x86_64-musl")
assert len(findings) == 3, findings
