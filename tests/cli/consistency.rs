//! The recipe is written once: for every catalog target, every host and both std modes,
//! the environment, commands, tool scripts and runner that the Nix library derives
//! (nix/crossEnv.nix, evaluated by nix-instantiate) equal what `crossflake env --json`
//! prints, once tool paths are replaced by tool names.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{TempProject, repo, require_tool};

const HOSTS: [&str; 4] = [
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "aarch64-darwin",
];

/// Every (alias, host, build-std) recipe from the Nix side, with symbolic tool values.
fn nix_recipes() -> Value {
    let nix = require_tool("nix-instantiate", "apt-get install nix-bin");
    let expr = format!(
        r#"
        let
          p = import {root}/nix/pure.nix {{ }};
          tools = {{
            cargoZigbuild = "<cargo-zigbuild>";
            scriptPath = s: "<${{s.tool}}>";
            runner = "<runner>";
            sysroot = "<sysroot>";
            sspStubs = "<ssp-stubs>";
          }};
          one = alias: host: buildStd:
            p.crossEnv {{ spec = p.resolveTarget alias; inherit host buildStd tools; profile = "crossflake"; }};
        in
        builtins.concatMap (alias:
          builtins.concatMap (host:
            map (buildStd: {{ inherit alias host buildStd; recipe = one alias host buildStd; }}) [ false true ])
          [ {hosts} ])
        (builtins.attrNames p.catalog.targets)
        "#,
        root = env!("CARGO_MANIFEST_DIR"),
        hosts = HOSTS.map(|h| format!("\"{h}\"")).join(" "),
    );
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "-E", &expr])
        .env("NIX_CONFIG", "build-users-group =")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `crossflake env --json` with every tool path replaced by `<name>`, in the Nix shape.
fn cli_recipe(p: &TempProject, alias: &str, host: &str, build_std: bool) -> Value {
    let mut args = vec![
        "env",
        "--json",
        "--profile",
        "crossflake",
        "--target",
        alias,
        "--host",
        host,
    ];
    if build_std {
        args.push("--build-std");
    }
    let out = p
        .cmd(&args)
        .env("CROSSFLAKE_CACHE_DIR", p.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // longest paths first, so no path is replaced inside a longer one
    let mut tools: Vec<(String, String)> = v["tools"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    tools.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let symbolic = |s: &Value| -> Value {
        let mut s = s.as_str().unwrap().to_string();
        for (name, path) in &tools {
            s = s.replace(path.as_str(), &format!("<{name}>"));
        }
        Value::String(s)
    };
    let env = keyed(
        &v["env"],
        "name",
        |e| json!({ "value": symbolic(&e["value"]), "buildStd": e["build-std"], "run": e["run"] }),
    );
    let scripts = keyed(&v["scripts"], "tool", |s| {
        let content = symbolic(&s["content"]);
        let body = content
            .as_str()
            .unwrap()
            .strip_prefix("#!/bin/sh\n")
            .expect("a #!/bin/sh script");
        json!({ "body": body, "path": symbolic(&s["path"]) })
    });
    json!({
        "alias": v["alias"], "target": v["target"], "host": v["host"],
        "command": v["command"], "testCommand": v["test-command"],
        "env": env, "scripts": scripts, "runner": v["runner"],
    })
}

/// A JSON array of objects as a map from each one's `key` field to `f` of it.
fn keyed(array: &Value, key: &str, f: impl Fn(&Value) -> Value) -> BTreeMap<String, Value> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[key].as_str().unwrap().to_string(), f(e)))
        .collect()
}

fn nix_shape(recipe: &Value) -> Value {
    let scripts = keyed(
        &recipe["scripts"],
        "tool",
        |s| json!({ "body": s["body"], "path": s["path"] }),
    );
    let mut r = recipe.clone();
    r["scripts"] = json!(scripts);
    r
}

#[test]
fn nix_and_cli_derive_the_same_recipe_for_every_target_and_host() {
    let p = TempProject::empty();
    let all = nix_recipes();
    let all = all.as_array().unwrap();
    let targets = all
        .iter()
        .map(|c| c["alias"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(all.len(), targets.len() * HOSTS.len() * 2);
    assert!(targets.len() >= 10, "{targets:?}");
    let mut build_std_tagged = 0;
    for case in all {
        let (alias, host, build_std) = (
            case["alias"].as_str().unwrap(),
            case["host"].as_str().unwrap(),
            case["buildStd"].as_bool().unwrap(),
        );
        let nix = nix_shape(&case["recipe"]);
        let cli = cli_recipe(&p, alias, host, build_std);
        assert_eq!(
            nix, cli,
            "{alias} on {host}, build-std {build_std}:\nnix: {nix:#}\ncli: {cli:#}"
        );
        build_std_tagged += nix["env"]
            .as_object()
            .unwrap()
            .values()
            .filter(|e| e["buildStd"] == true)
            .count();
    }
    assert!(
        build_std_tagged > 0,
        "no build-std-only entries were compared"
    );
}

/// `nix-instantiate --eval --strict --json` of `expr` with `p` bound to the pure library:
/// the value, or Nix's error message.
fn nix_eval(expr: &str) -> Result<Value, String> {
    let nix = require_tool("nix-instantiate", "apt-get install nix-bin");
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "-E"])
        .arg(format!(
            "let p = import {}/nix/pure.nix {{ }}; in {expr}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .env("NIX_CONFIG", "build-users-group =")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// A Nix string literal.
fn nix_str(s: &str) -> String {
    serde_json::to_string(s).unwrap().replace("${", "\\${")
}

/// `crossflake ARGS` in `p`: the JSON it prints, or its error output.
fn cli_json(p: &TempProject, args: &[&str]) -> Result<Value, String> {
    let out = p.cmd(args).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// What a row expects of both sides: these fields with these values, or an error containing
/// this text.
enum Want {
    Fields(Value),
    Error(&'static str),
}

/// `got` has every field `want` has, with the same value (objects compared key by key).
fn has_fields(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| has_fields(gv, wv))),
        _ => got == want,
    }
}

fn check_row(side: &str, row: &str, got: &Result<Value, String>, want: &Want) {
    match (got, want) {
        (Ok(v), Want::Fields(w)) => {
            assert!(has_fields(v, w), "{side}, {row}:\ngot {v:#}\nwant {w:#}")
        }
        (Err(e), Want::Error(m)) => assert!(e.contains(m), "{side}, {row}: `{m}` not in:\n{e}"),
        (Ok(v), Want::Error(m)) => panic!("{side}, {row}: expected an error with `{m}`, got {v:#}"),
        (Err(e), Want::Fields(w)) => panic!("{side}, {row}: expected {w:#}, got the error:\n{e}"),
    }
}

/// Target resolution: Catalog::resolve (`crossflake internal resolve`) and resolveTarget give
/// the values written here for every alias and triple of the catalog, with and without a glibc
/// floor, and refuse the same names with the same messages.
#[test]
fn target_resolution_agrees_with_the_table() {
    let spec = |alias: &str, triple: &str, cargo: &str, zig: Value, glibc: Value| json!({ "alias": alias, "triple": triple, "cargoTarget": cargo, "zigTarget": zig, "glibc": glibc });
    let none = Value::Null;
    let rows: Vec<(&str, Want)> = vec![
        (
            "x86_64-musl",
            Want::Fields(spec(
                "x86_64-musl",
                "x86_64-unknown-linux-musl",
                "x86_64-unknown-linux-musl",
                json!("x86_64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "x86_64-unknown-linux-musl",
            Want::Fields(spec(
                "x86_64-musl",
                "x86_64-unknown-linux-musl",
                "x86_64-unknown-linux-musl",
                json!("x86_64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "aarch64-musl",
            Want::Fields(spec(
                "aarch64-musl",
                "aarch64-unknown-linux-musl",
                "aarch64-unknown-linux-musl",
                json!("aarch64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "aarch64-unknown-linux-musl",
            Want::Fields(spec(
                "aarch64-musl",
                "aarch64-unknown-linux-musl",
                "aarch64-unknown-linux-musl",
                json!("aarch64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "armv7-musl",
            Want::Fields(spec(
                "armv7-musl",
                "armv7-unknown-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
                json!("arm-linux-musleabihf"),
                none.clone(),
            )),
        ),
        (
            "armv7-unknown-linux-musleabihf",
            Want::Fields(spec(
                "armv7-musl",
                "armv7-unknown-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
                json!("arm-linux-musleabihf"),
                none.clone(),
            )),
        ),
        (
            "riscv64-musl",
            Want::Fields(spec(
                "riscv64-musl",
                "riscv64gc-unknown-linux-musl",
                "riscv64gc-unknown-linux-musl",
                json!("riscv64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "riscv64gc-unknown-linux-musl",
            Want::Fields(spec(
                "riscv64-musl",
                "riscv64gc-unknown-linux-musl",
                "riscv64gc-unknown-linux-musl",
                json!("riscv64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "x86_64-gnu",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.17",
                json!("x86_64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-unknown-linux-gnu",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.17",
                json!("x86_64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-gnu.2.28",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.28",
                json!("x86_64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "x86_64-unknown-linux-gnu.2.31",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.31",
                json!("x86_64-linux-gnu.2.31"),
                json!("2.31"),
            )),
        ),
        (
            "aarch64-gnu",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.28",
                json!("aarch64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "aarch64-unknown-linux-gnu",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.28",
                json!("aarch64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "aarch64-unknown-linux-gnu.2.17",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.17",
                json!("aarch64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-windows",
            Want::Fields(spec(
                "x86_64-windows",
                "x86_64-pc-windows-gnu",
                "x86_64-pc-windows-gnu",
                json!("x86_64-windows-gnu"),
                none.clone(),
            )),
        ),
        (
            "x86_64-pc-windows-gnu",
            Want::Fields(spec(
                "x86_64-windows",
                "x86_64-pc-windows-gnu",
                "x86_64-pc-windows-gnu",
                json!("x86_64-windows-gnu"),
                none.clone(),
            )),
        ),
        (
            "wasm32-wasip1",
            Want::Fields(spec(
                "wasm32-wasip1",
                "wasm32-wasip1",
                "wasm32-wasip1",
                json!("wasm32-wasi"),
                none.clone(),
            )),
        ),
        (
            "aarch64-darwin",
            Want::Fields(spec(
                "aarch64-darwin",
                "aarch64-apple-darwin",
                "aarch64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "aarch64-apple-darwin",
            Want::Fields(spec(
                "aarch64-darwin",
                "aarch64-apple-darwin",
                "aarch64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "x86_64-darwin",
            Want::Fields(spec(
                "x86_64-darwin",
                "x86_64-apple-darwin",
                "x86_64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "x86_64-apple-darwin",
            Want::Fields(spec(
                "x86_64-darwin",
                "x86_64-apple-darwin",
                "x86_64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "arm64-musl",
            Want::Error(
                "unknown target `arm64-musl`; valid targets: aarch64-darwin, aarch64-gnu, aarch64-musl, armv7-musl, riscv64-musl, wasm32-wasip1, x86_64-darwin, x86_64-gnu, x86_64-musl, x86_64-windows (or their triples; gnu triples take a glibc floor as in x86_64-unknown-linux-gnu.2.17)",
            ),
        ),
        (
            "aarch64-musl.2.17",
            Want::Error(
                "`aarch64-musl.2.17`: a glibc floor suffix (.2.17) applies only to glibc targets, and aarch64-musl (aarch64-unknown-linux-musl) links musl; drop the suffix",
            ),
        ),
        (
            "x86_64-gnu.two",
            Want::Error("`x86_64-gnu.two`: the glibc floor `two` is not a version like 2.17"),
        ),
        (
            "x86_64-unknown-linux-gnu.2.12",
            Want::Error(
                "`x86_64-unknown-linux-gnu.2.12`: glibc 2.12 is below the oldest floor x86_64-unknown-linux-gnu supports (2.17); use x86_64-unknown-linux-gnu.2.17 or newer",
            ),
        ),
    ];
    // every alias and every triple of the catalog has a row
    let names: Vec<&str> = rows.iter().map(|(n, _)| *n).collect();
    let catalog: toml_edit::DocumentMut =
        std::fs::read_to_string(crate::support::repo().join("targets.toml"))
            .unwrap()
            .parse()
            .unwrap();
    for (alias, t) in catalog["targets"].as_table().unwrap().iter() {
        assert!(names.contains(&alias), "no row for {alias}");
        let triple = t["triple"].as_str().unwrap();
        assert!(names.contains(&triple), "no row for {triple}");
    }
    let p = TempProject::empty();
    for (name, want) in &rows {
        let cli = cli_json(&p, &["internal", "resolve", name]).map(|v| v[0].clone());
        check_row("crossflake internal resolve", name, &cli, want);
        let nix = nix_eval(&format!(
            "let s = p.resolveTarget {}; in {{ inherit (s) alias triple cargoTarget zigTarget glibc; }}",
            nix_str(name)
        ));
        check_row("resolveTarget", name, &nix, want);
    }
}

/// The project's settings and each host's outputs: Project::config with the host rule
/// (`crossflake internal config`) and projectConfig with hostOutputs give the values written
/// here for packages, workspaces and edge cases, and refuse the same manifests with the same
/// messages.
#[test]
fn project_config_and_host_outputs_agree_with_the_table() {
    let rows: Vec<(&str, &str, Want)> = vec![
        (
            "a package with every kind of target, an image and the crossflake profile",
            "[package]\nname = \"server\"\nversion = \"0.1.0\"\n\n[package.metadata.crossflake]\nschema = 1\n\
             targets = [\"aarch64-musl\", \"x86_64-unknown-linux-gnu.2.28\", \"wasm32-wasip1\", \"aarch64-darwin\"]\n\n\
             [package.metadata.crossflake.image]\nname = \"ghcr.io/me/server\"\nca-bundle = true\n\n\
             [profile.crossflake]\ninherits = \"release\"\n",
            Want::Fields(json!({
                "kind": "package",
                "metadataKey": "package.metadata.crossflake",
                "packageName": "server",
                "image": { "name": "ghcr.io/me/server", "entrypoint": "server", "caBundle": true },
                "profile": "crossflake",
                "hosts": {
                    "x86_64-linux": {
                        "build": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1"],
                        "skipped": [{ "alias": "aarch64-darwin", "reason": "aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin" }],
                        "oci": ["aarch64-musl"],
                        "packageNames": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-musl-oci", "oci", "dist"],
                    },
                    "aarch64-darwin": {
                        "build": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-darwin"],
                        "skipped": [],
                        "packageNames": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-darwin", "aarch64-musl-oci", "oci", "dist"],
                    },
                },
            })),
        ),
        (
            "a virtual workspace: image defaults with no package name, release profile",
            "[workspace]\nmembers = [\"crates/app\"]\n\n[workspace.metadata.crossflake]\nschema = 1\n\
             targets = [\"x86_64-musl\"]\n\n[workspace.metadata.crossflake.image]\n",
            Want::Fields(json!({
                "kind": "virtual-workspace",
                "metadataKey": "workspace.metadata.crossflake",
                "packageName": null,
                "image": { "name": "app", "entrypoint": "app", "caBundle": false },
                "profile": "release",
                "hosts": { "x86_64-linux": { "packageNames": ["x86_64-musl", "x86_64-musl-oci", "oci", "dist"] } },
            })),
        ),
        (
            "a package whose first [[bin]] is the entrypoint; no image, no OCI outputs",
            "[package]\nname = \"tools\"\nversion = \"1.0.0\"\n\n[[bin]]\nname = \"tool-a\"\npath = \"src/a.rs\"\n\n\
             [package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-windows\", \"riscv64gc-unknown-linux-musl\"]\n",
            Want::Fields(json!({
                "image": null,
                "hosts": { "aarch64-linux": { "oci": [], "packageNames": ["x86_64-windows", "riscv64-musl", "dist"] } },
            })),
        ),
        (
            "only a darwin target: nothing to build or ship on linux",
            "[package]\nname = \"mac\"\nversion = \"1.0.0\"\n\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-darwin\"]\n",
            Want::Fields(json!({
                "hosts": { "x86_64-linux": { "build": [], "packageNames": [] } },
            })),
        ),
        (
            "an image table names the [[bin]] when it has no entrypoint",
            "[package]\nname = \"tools\"\nversion = \"1.0.0\"\n\n[[bin]]\nname = \"tool-a\"\npath = \"src/a.rs\"\n\n\
             [package.metadata.crossflake]\nschema = 1\ntargets = [\"armv7-musl\"]\n\n[package.metadata.crossflake.image]\nname = \"t\"\n",
            Want::Fields(
                json!({ "image": { "name": "t", "entrypoint": "tool-a", "caBundle": false } }),
            ),
        ),
        (
            "the same triple twice",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\n\
             targets = [\"x86_64-gnu\", \"x86_64-unknown-linux-gnu.2.31\"]\n",
            Want::Error(
                "package.metadata.crossflake.targets[1]: `x86_64-unknown-linux-gnu.2.31` is the same target as targets[0] `x86_64-gnu` (x86_64-unknown-linux-gnu); list each target once",
            ),
        ),
        (
            "an unknown key",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\ntarget = []\n",
            Want::Error(
                "package.metadata.crossflake.target: unknown key; package.metadata.crossflake takes schema, targets and image",
            ),
        ),
        (
            "an unknown image key",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\n[package.metadata.crossflake.image]\ntag = \"x\"\n",
            Want::Error(
                "package.metadata.crossflake.image.tag: unknown key; the image table takes name, entrypoint and ca-bundle",
            ),
        ),
        (
            "a schema this crossflake does not read",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 2\n",
            Want::Error(
                "package.metadata.crossflake.schema: schema 2 is not one this crossflake reads (it reads schema 1)",
            ),
        ),
        (
            "no metadata table",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
            Want::Error(
                "has no [package.metadata.crossflake] table; run `crossflake init` to add one",
            ),
        ),
        (
            "targets that are not an array",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\ntargets = \"aarch64-musl\"\n",
            Want::Error("package.metadata.crossflake.targets: must be an array of target names"),
        ),
    ];
    for (row, manifest, want) in &rows {
        let p = TempProject::with(&[("Cargo.toml", manifest)]);
        let cli = cli_json(&p, &["internal", "config"]);
        check_row("crossflake internal config", row, &cli, want);
        let nix = nix_eval(&format!(
            "let c = p.projectConfig {{ cargoToml = builtins.fromTOML {}; }};
                 spec = s: {{ inherit (s) alias written triple cargoTarget zigTarget glibc glibcGiven; }};
             in {{
               inherit (c) kind metadataKey packageName image profile;
               targets = map spec c.targets;
               hosts = builtins.listToAttrs (map (host: {{
                 name = host;
                 value = let o = p.hostOutputs {{ config = c; inherit host; }}; in {{
                   inherit (o) skipped packageNames;
                   build = map (s: s.alias) o.build;
                   oci = map (s: s.alias) o.oci;
                 }};
               }}) (builtins.attrNames p.catalog.hosts));
             }}",
            nix_str(manifest)
        ));
        check_row("projectConfig/hostOutputs", row, &nix, want);
    }
}

/// Lock staleness: `crossflake toolchain lock --check` (ToolchainSpec::same_as) and lockCheck
/// find the same fields stale for the cases written here (order never matters).
#[test]
fn lock_staleness_agrees_with_the_table() {
    // (case, rust-toolchain.toml's [toolchain], the lock's [crossflake], the fields that differ)
    let rows: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            "the same request",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            vec![],
        ),
        (
            "the same lists in another order",
            "channel = \"1.95.0\"\ncomponents = [\"rustfmt\", \"clippy\"]\ntargets = [\"wasm32-wasip1\", \"aarch64-unknown-linux-musl\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\", \"rustfmt\"]\ntargets = [\"aarch64-unknown-linux-musl\", \"wasm32-wasip1\"]",
            vec![],
        ),
        (
            "a new target",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\", \"aarch64-unknown-linux-musl\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            vec!["targets"],
        ),
        (
            "another channel",
            "channel = \"1.96.0\"\ncomponents = [\"clippy\"]\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = []",
            vec!["channel"],
        ),
        (
            "a profile added",
            "channel = \"1.95.0\"\nprofile = \"default\"\ncomponents = []\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = []\ntargets = []",
            vec!["profile"],
        ),
        (
            "a component and a target removed",
            "channel = \"1.95.0\"\ncomponents = []\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = [\"rust-src\"]\ntargets = [\"x86_64-unknown-linux-musl\"]",
            vec!["components", "targets"],
        ),
    ];
    for (case, toolchain, made, want) in &rows {
        let p = TempProject::with(&[
            (
                "Cargo.toml",
                "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
            ),
            (
                "rust-toolchain.toml",
                &format!("[toolchain]\n{toolchain}\n"),
            ),
            (
                "rust-toolchain.lock.toml",
                &format!("[crossflake]\n{made}\n"),
            ),
        ]);
        // the CLI: its diff's changed lines name the fields
        let out = p.cmd(&["toolchain", "lock", "--check"]).output().unwrap();
        let mut cli: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| {
                (l.starts_with('-') || l.starts_with('+'))
                    && !l.starts_with("---")
                    && !l.starts_with("+++")
            })
            .filter_map(|l| l[1..].split(" = ").next().map(str::to_string))
            .collect();
        cli.sort();
        cli.dedup();
        assert_eq!(
            out.status.success(),
            want.is_empty(),
            "CLI, {case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(cli, *want, "CLI, {case}");
        // Nix: lockCheck's message names the fields
        let nix = nix_eval(&format!(
            "p.lockCheck {{ lock = builtins.fromTOML {}; toolchain = (builtins.fromTOML {}).toolchain; }}",
            nix_str(&format!("[crossflake]\n{made}\n")),
            nix_str(&format!("[toolchain]\n{toolchain}\n"))
        ));
        match nix {
            Ok(v) => assert!(want.is_empty() && v == json!(true), "Nix, {case}: {v}"),
            Err(e) => {
                let mut fields: Vec<&str> = ["channel", "profile", "components", "targets"]
                    .into_iter()
                    .filter(|f| e.contains(&format!("{f}: lock has")))
                    .collect();
                fields.sort();
                assert_eq!(fields, *want, "Nix, {case}: {e}");
            }
        }
    }
}

/// Build tools: cdeps::needed_tools (`crossflake internal build-tools`) and buildTools give the
/// `[build-tools]` keys written here for each Cargo.lock, and the Nix side turns the same keys
/// into what bindgen's build script reads: the BINDGEN_EXTRA_CLANG_ARGS_<triple> that
/// nix/bindgen-args.sh exports is the one `crossflake env` prints, for the same zig.
#[test]
fn build_tools_agree_with_the_table() {
    let package = |name: &str, deps: &[&str]| {
        format!(
            "[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\ndependencies = [{}]\n",
            deps.iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // (case, the lock's packages, the keys both sides must give, in the catalog's order)
    let rows: Vec<(&str, String, Vec<&str>)> = vec![
        ("a lock without packages", String::new(), vec![]),
        (
            "no crate that runs a tool",
            package("app", &["serde"]) + &package("serde", &[]),
            vec![],
        ),
        (
            "bindgen, as a build-dependency further down",
            package("app", &["zstd-sys"])
                + &package("zstd-sys", &["bindgen", "cc"])
                + &package("bindgen", &[])
                + &package("cc", &[]),
            vec!["libclang"],
        ),
        (
            "openssl with `vendored`",
            package("openssl-sys", &["openssl-src"]) + &package("openssl-src", &["cc"]),
            vec!["make", "perl"],
        ),
        (
            "openssl-sys without openssl-src needs no tool (doctor reports it)",
            package("openssl-sys", &["pkg-config"]) + &package("pkg-config", &[]),
            vec![],
        ),
        (
            "every tool, each once",
            package("bindgen", &[])
                + &package("openssl-src", &[])
                + &package("aws-lc-sys", &["bindgen"]),
            vec!["libclang", "make", "perl"],
        ),
        (
            "a name that only starts like a rule's crate",
            package("bindgen-cli", &[]) + &package("openssl-src-extra", &[]),
            vec![],
        ),
    ];
    for (case, packages, want) in &rows {
        let lock = format!("version = 4\n\n{packages}");
        let want = json!(want);
        let p = TempProject::with(&[("Cargo.lock", &lock)]);
        let cli = cli_json(&p, &["internal", "build-tools", "Cargo.lock"]);
        assert_eq!(cli.as_ref(), Ok(&want), "CLI, {case}");
        let nix = nix_eval(&format!(
            "p.buildTools (builtins.fromTOML {})",
            nix_str(&lock)
        ));
        assert_eq!(nix.as_ref(), Ok(&want), "buildTools, {case}");
    }
}

/// bindgen's view of a target's C headers: the BINDGEN_EXTRA_CLANG_ARGS_<triple> that
/// nix/bindgen-args.sh exports (given resolveTarget's triple and zig target) is the one
/// `crossflake env` prints for a project whose Cargo.lock has bindgen, with the same zig.
#[test]
fn bindgen_args_agree_between_the_cli_and_the_nix_shell_code() {
    let python = require_tool("python3", "apt-get install python3");
    let found = Command::new(&python)
        .args(["-c", "import ziglang"])
        .status()
        .unwrap();
    assert!(found.success(), "zig is missing: pip install ziglang");
    let p = TempProject::with(&[
        (
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n\n[package.metadata.crossflake]\nschema = 1\n",
        ),
        (
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"bindgen\"]\n\n[[package]]\nname = \"bindgen\"\nversion = \"0.72.0\"\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    // one zig for both sides, first on PATH
    let bin = p.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    p.write(
        "bin/zig",
        &format!("#!/bin/sh\nexec {} -m ziglang \"$@\"\n", python.display()),
    );
    std::fs::set_permissions(
        bin.join("zig"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for written in ["aarch64-musl", "x86_64-unknown-linux-gnu.2.17"] {
        let spec = nix_eval(&format!("p.resolveTarget {}", nix_str(written))).unwrap();
        let (triple, zig_target) = (
            spec["triple"].as_str().unwrap(),
            spec["zigTarget"].as_str().unwrap(),
        );
        let var = format!("BINDGEN_EXTRA_CLANG_ARGS_{}", triple.replace('-', "_"));
        let out = Command::new("bash")
            .args([
                "-c",
                "source \"$1\" && crossflakeBindgenArgs \"$2\" \"$3\" && printenv \"$4\"",
                "bash",
            ])
            .arg(repo().join("nix/bindgen-args.sh"))
            .args([triple, zig_target, &var])
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{written}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let nix = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            nix.starts_with("-nostdlibinc -isystem ") && nix.contains("/libc/include/"),
            "{written}: {nix}"
        );
        let cli = p
            .cmd(&["env", "--json", "--target", written])
            .env("PATH", &path)
            .env("CROSSFLAKE_CACHE_DIR", p.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let recipe: Value = serde_json::from_slice(&cli.stdout).unwrap();
        let got = recipe["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == var.as_str())
            .unwrap_or_else(|| panic!("{written}: `crossflake env` has no {var}"));
        assert_eq!(got["value"].as_str(), Some(nix.as_str()), "{written}");
    }
}
