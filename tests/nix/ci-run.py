#!/usr/bin/env python3
"""tests/nix/ci-run.py CROSSFLAKE FIXTURE_REPO WORK

Runs the commands of the workflow `crossflake ci` writes, as GitHub would, here: the `run:`
steps of the gate jobs, of one build matrix entry and of the tag job, in order, read from the
generated YAML (there is no second copy of them here), with their `env:` and `${{ }}` values
substituted, in a fresh clone of the fixture. The `uses:` steps get local equivalents: a fresh
clone for actions/checkout, nothing for installing Nix (the `nix` on PATH is a shim that hands
tests/nix/real-build the exact arguments and refuses any it does not know), a record of what the
attestation would cover. `gh release upload` writes into a folder; the image goes to a registry
on 127.0.0.1 (the fixture's ci table names it). Every command is logged and the log compared
with the YAML. The `required` job's step runs with every dependency passed (it passes), one
failed and one skipped (it fails both times).

FIXTURE_REPO is a git repository of a crossflake project with an image table (real-builds.sh's
`small`, whose packages that step built already). Prints one line per step; exits 1 on the first
difference, naming it."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import yaml

crossflake, fixture, work = sys.argv[1:4]
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
real_build = os.path.join(repo, "tests/nix/real-build")
start = time.time()


def fail(msg):
    print(f"FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)}: {r.stdout}{r.stderr}")
    return r.stdout


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
shims = os.path.join(work, "shims")
os.makedirs(shims)
log_path = os.path.join(work, "commands.log")
release_dir = os.path.join(work, "release")

# --- the registry on 127.0.0.1 ------------------------------------------------------------------
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
reg = os.path.join(work, "registry")
os.makedirs(reg)
with open(os.path.join(reg, "config.yml"), "w") as f:
    f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {reg}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
registry = subprocess.Popen(["docker-registry", "serve", os.path.join(reg, "config.yml")])
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)
registries_conf = os.path.join(work, "registries.conf")
with open(registries_conf, "w") as f:
    f.write(f'[[registry]]\nlocation = "127.0.0.1:{port}"\ninsecure = true\n')

try:
    # --- the fixture, with its generated workflow committed --------------------------------------
    origin = os.path.join(work, "origin")
    sh(["git", "clone", "-q", fixture, origin])
    cargo = os.path.join(origin, "Cargo.toml")
    text = open(cargo).read()
    text += f'\n[package.metadata.crossflake.ci]\nregistry = "127.0.0.1:{port}"\nsigning-secret = "MINISIGN_KEY"\n'
    open(cargo, "w").write(text)
    sh([crossflake, "ci"], cwd=origin)
    env_git = dict(os.environ, GIT_AUTHOR_DATE="@1700000000 +0000", GIT_COMMITTER_DATE="@1700000000 +0000")
    sh(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "ci"], cwd=origin, env=env_git)
    sh(["git", "add", ".github"], cwd=origin)
    sh(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "workflow"], cwd=origin, env=env_git)
    workflow_text = open(os.path.join(origin, ".github/workflows/crossflake.yml")).read()
    wf = yaml.safe_load(workflow_text)

    # --- the shims -------------------------------------------------------------------------------
    with open(os.path.join(shims, "nix"), "w") as f:
        f.write(f"""#!/usr/bin/env python3
# the generated workflow's nix: each command it runs, handed to tests/nix/real-build
import os, subprocess, sys
args = sys.argv[1:]
with open({log_path!r}, "a") as log:
    log.write("nix " + " ".join(args) + "\\n")
system = "x86_64-linux"
# real-build runs the real nix: the shims are not on its PATH
env = dict(os.environ, PATH=os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.abspath(p) != {os.path.abspath(shims)!r}))
def attr(a):
    a = a[2:] if a.startswith(".#") else sys.exit(f"nix shim: not a flake attribute of this flake: {{a}}")
    return a if a.startswith("checks.") else f"packages.{{system}}.{{a}}"
def run(cmd):
    sys.exit(subprocess.call(cmd, env=env))
rest = [a for a in args if a not in ("-L", "--print-build-logs")]
if rest[:1] == ["build"]:
    rest = rest[1:]
    link = "result"
    if "-o" in rest:
        i = rest.index("-o")
        link = rest[i + 1]
        rest = rest[:i] + rest[i + 2:]
    if len(rest) != 1:
        sys.exit(f"nix shim: unknown nix build arguments {{args}}")
    out = subprocess.run([{real_build!r}, os.getcwd(), attr(rest[0])], stdout=subprocess.PIPE, text=True, env=env)
    if out.returncode:
        sys.exit(out.returncode)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(out.stdout.strip().splitlines()[-1], link)
    sys.exit(0)
if rest[:2] == ["flake", "check"] and rest[2:] == []:
    run([{real_build!r}, "--nix", os.getcwd(), "flake", "check", "-L"])
if rest[:2] == ["develop", "--command"]:
    run([{real_build!r}, "--nix", os.getcwd(), "develop", "--command"] + rest[2:])
if rest[:1] == ["run"] and len(rest) >= 3 and rest[2] == "--" and rest[1] in (".#crossflake", ".#push-oci"):
    # the registry on 127.0.0.1 speaks plain HTTP (a runner's registry is TLS); skopeo is told so
    extra = ["--dest-tls-verify=false"] if rest[1] == ".#push-oci" else []
    run([{real_build!r}, "--nix", os.getcwd()] + rest + extra)
sys.exit(f"nix shim: the workflow ran a nix command the test does not know: nix {{' '.join(args)}}")
""")
    with open(os.path.join(shims, "gh"), "w") as f:
        f.write(f"""#!/usr/bin/env bash
# gh release upload TAG FILE... --clobber: the files land in {release_dir}/TAG
echo "gh $*" >>{log_path!r}
[ "$1 $2" = "release upload" ] || {{ echo "gh shim: unknown gh command: $*" >&2; exit 2; }}
tag=$3; shift 3
mkdir -p {release_dir!r}/"$tag"
for f in "$@"; do [ "$f" = --clobber ] || cp "$f" {release_dir!r}/"$tag"/; done
""")
    for name in ("nix", "gh"):
        os.chmod(os.path.join(shims, name), 0o755)
    # a minisign key for the signing secret
    keys = os.path.join(work, "keys")
    os.makedirs(keys)
    key_pub, key_sec = os.path.join(keys, "key.pub"), os.path.join(keys, "key.sec")
    sh(["minisign", "-G", "-f", "-p", key_pub, "-s", key_sec], input="pw\npw\n")
    secrets = {"MINISIGN_KEY": open(key_sec).read().strip(), "MINISIGN_KEY_PASSWORD": "pw"}
    tag = "v0.1.0"

    def value(expr, matrix, needs):
        """The value of one `${{ }}` expression."""
        e = expr.strip()
        if m := re.fullmatch(r"matrix\.([a-z-]+)", e):
            return matrix[m.group(1)]
        if m := re.fullmatch(r"secrets\.([A-Z_]+)", e):
            return secrets[m.group(1)]
        known = {"github.token": "token-of-the-run", "github.ref_name": tag, "github.actor": "actor",
                 "toJSON(needs)": json.dumps(needs)}
        if e in known:
            return known[e]
        fail(f"an expression the test does not know: ${{{{ {e} }}}}")

    def substitute(s, matrix, needs):
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: value(m.group(1), matrix, needs), s)

    ran = []

    def run_job(job_id, matrix=None, needs=None):
        job = wf["jobs"][job_id]
        matrix = matrix or {}
        jobdir = os.path.join(work, "jobs", job_id + ("-" + matrix.get("target", matrix.get("system", "")) if matrix else ""))
        shutil.rmtree(jobdir, ignore_errors=True)
        os.makedirs(jobdir)
        temp = os.path.join(jobdir, "runner-temp")
        os.makedirs(temp)
        summary = os.path.join(jobdir, "step-summary")
        checkout = os.path.join(jobdir, "checkout")
        for step in job["steps"]:
            cond = step.get("if")
            if cond:
                m = re.fullmatch(r"matrix\.([a-z-]+) == '(true|false)'", cond)
                if not m:
                    fail(f"{job_id}: a step condition the test does not know: {cond}")
                if matrix.get(m.group(1)) != m.group(2):
                    print(f"   {job_id}: {step['name']}: skipped ({cond})")
                    continue
            uses = step.get("uses")
            if uses:
                action = uses.split("@")[0]
                if action == "actions/checkout":
                    sh(["git", "clone", "-q", origin, checkout])
                elif action == "cachix/install-nix-action":
                    pass
                elif action == "actions/attest-build-provenance":
                    subjects = sorted(os.listdir(os.path.join(checkout, "out")))
                    with open(log_path, "a") as log:
                        log.write(f"attest {step['with']['subject-path']}: {' '.join(subjects)}\n")
                else:
                    fail(f"{job_id}: an action the test has no local equivalent for: {uses}")
                print(f"   {job_id}: {step['name']}: {action} (local equivalent)")
                continue
            script = step["run"]
            env = dict(os.environ)
            env.update({k: substitute(str(v), matrix, needs) for k, v in step.get("env", {}).items()})
            env.update(PATH=shims + os.pathsep + os.environ["PATH"], RUNNER_TEMP=temp,
                       GITHUB_STEP_SUMMARY=summary, CONTAINERS_REGISTRIES_CONF=registries_conf,
                       GITHUB_PATH=os.path.join(jobdir, "github-path"))
            with open(log_path, "a") as log:
                log.write(f"run {job_id}: {step['name']}\n")
            t = time.time()
            r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                               cwd=checkout if os.path.isdir(checkout) else jobdir, env=env,
                               capture_output=True, text=True)
            ran.append((job_id, step["name"], script, r.returncode))
            if r.returncode != 0:
                return r
            print(f"   {job_id}: {step['name']}: ok ({time.time() - t:.0f} s)")
        return None

    # --- the gates, one build entry, the tag job -------------------------------------------------
    for gate in ("fmt", "clippy", "test", "flake-check"):
        r = run_job(gate)
        if r:
            fail(f"{gate}: {r.stdout[-2000:]}{r.stderr[-2000:]}")
    entry = next(e for e in wf["jobs"]["build"]["strategy"]["matrix"]["include"] if e["target"] == "aarch64-musl")
    r = run_job("build", entry)
    if r:
        fail(f"build aarch64-musl: {r.stdout[-2000:]}{r.stderr[-2000:]}")
    rel = next(e for e in wf["jobs"]["release"]["strategy"]["matrix"]["include"] if e["system"] == "x86_64-linux")
    r = run_job("release", rel)
    if r:
        fail(f"release: {r.stdout[-2000:]}{r.stderr[-2000:]}")

    # what the tag job left: the release assets, signed; the image in the registry, its digest
    # in the summary
    assets = sorted(os.listdir(os.path.join(release_dir, tag)))
    want = ["SHA256SUMS", "crossflake-dist.json"]
    if not all(w in assets for w in want) or not any(a.endswith(".tar.gz") for a in assets):
        fail(f"the release holds {assets}")
    for a in [a for a in assets if not a.endswith(".minisig")]:
        sh(["minisign", "-V", "-p", key_pub, "-m", os.path.join(release_dir, tag, a)])
    print(f"   release assets: {', '.join(assets)}; every file's signature checks with minisign")
    summary = open(os.path.join(work, "jobs", "release-x86_64-linux", "step-summary")).read()
    m = re.search(r"image: (\S+):0\.1\.0@(sha256:[0-9a-f]{64})", summary)
    if not m:
        fail(f"no image digest in the job summary: {summary}")
    pushed = sh(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{m.group(1)}:0.1.0"])
    import hashlib
    if "sha256:" + hashlib.sha256(pushed.encode()).hexdigest() != m.group(2):
        fail(f"the registry serves another index than the summary's {m.group(2)}")
    print(f"   image {m.group(1)}:0.1.0@{m.group(2)} in the registry on 127.0.0.1, as the summary says")

    # --- required: passes with every dependency passed, fails with one failed or skipped ----------
    req_needs = wf["jobs"]["required"]["needs"]
    for outcome, expect in (("success", 0), ("failure", 1), ("skipped", 1)):
        needs = {n: {"result": "success", "outputs": {}} for n in req_needs}
        needs[req_needs[-1]]["result"] = outcome
        r = run_job("required", {}, needs)
        got = 0 if r is None else r.returncode
        if (got == 0) != (expect == 0):
            fail(f"required with a dependency {outcome}: exit status {got}")
        print(f"   required with {req_needs[-1]} {outcome}: {'passes' if got == 0 else 'fails'}")

    # --- the log against the YAML ----------------------------------------------------------------
    log = open(log_path).read().splitlines()
    for job_id, name, script, _ in ran:
        if f"run {job_id}: {name}" not in log:
            fail(f"{job_id}: {name} is not in the log")
        for line in script.splitlines():
            cmd = line.strip()
            if cmd.startswith("nix "):
                # the command as the shim got it, variables expanded
                head = " ".join(cmd.split()[:2])
                if not any(l.startswith(head) for l in log):
                    fail(f"{job_id}: `{cmd}` never reached the nix shim")
    steps = sum(1 for j in ("fmt", "clippy", "test", "flake-check", "build", "release") for s in wf["jobs"][j]["steps"] if "run" in s)
    print(f"   {len(ran)} run steps run ({steps} in the jobs run, required three times), {sum(1 for l in log if l.startswith('nix '))} nix commands; the log: {log_path}")
    print(f"ci-run: the generated workflow's commands ran, in {time.time() - start:.0f} s")
finally:
    registry.terminate()
