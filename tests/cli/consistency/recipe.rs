//! The recipe is written once: for every catalog target, every host and both std modes,
//! the environment, commands, tool scripts and runner that the Nix library derives
//! (nix/crossEnv.nix, evaluated by nix-instantiate) equal what `crossflake env --json`
//! prints, once tool paths are replaced by tool names.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{TempProject, require_tool};

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
            # the CLI links host artifacts with rustc's default (ToolPaths::host_linker)
            hostLinker = null;
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
        |e| json!({ "value": symbolic(&e["value"]), "buildStd": e["build-std"], "run": e["run"], "unstable": e["unstable"] }),
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
