//! `crossflake env`: the recipe's environment and cargo command for a target on a host.

use anyhow::Result;
use serde::Serialize;

use crate::catalog::{RunnerChoice, catalog};
use crate::cli::EnvArgs;
use crate::pipeline;
use crate::project::Project;
use crate::recipe::{Recipe, ToolPaths};
use crate::tools;

/// `crossflake env --json`: the recipe plus where its tools are on this machine.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct EnvJson<'a> {
    #[serde(flatten)]
    recipe: &'a Recipe,
    /// Placeholder name -> the value filled in (tool paths on this machine).
    tools: std::collections::BTreeMap<String, String>,
    /// Tools the recipe needs that this machine lacks.
    missing: Vec<String>,
}

/// Runs `crossflake env`.
pub fn run(args: EnvArgs) -> Result<()> {
    let cat = catalog();
    let spec = cat.resolve(&args.target.target)?;
    let host = match &args.host.host {
        Some(h) => {
            cat.host(h)?;
            h.clone()
        }
        None => cat.current_host()?.to_string(),
    };
    let cwd = std::env::current_dir()?;
    let project = Project::load(args.manifest.manifest_path.as_deref()).ok();
    let profile = pipeline::profile(
        project.as_ref(),
        args.profile.profile.as_deref(),
        args.profile.release,
    );
    let prepared = pipeline::environment(
        project.as_ref(),
        &spec,
        &host,
        &profile,
        args.build_std.build_std,
    )?;
    let (recipe, paths) = (&prepared.recipe, &prepared.tools);
    let missing = tools::missing_for(&spec, &host, args.build_std.build_std, true, &cwd);
    if args.json.json {
        let out = EnvJson {
            recipe,
            tools: tool_map(paths, recipe),
            missing: missing.iter().map(|m| m.what.clone()).collect(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if args.shell {
        for e in &recipe.env {
            println!("export {}={}", e.name, shell_quote(&e.value));
        }
        for (name, value) in paths.machine_env() {
            println!("export {name}={}", shell_quote(&value));
        }
        return Ok(());
    }
    println!("# {} ({}) built on {host}", recipe.alias, recipe.target);
    for e in &recipe.env {
        let tag = if e.build_std {
            "    # build-std only"
        } else if e.run {
            "    # tests and shells only"
        } else {
            ""
        };
        println!("{}={}{tag}", e.name, e.value);
    }
    println!("# build: {}", recipe.command.join(" "));
    println!("# test:  {}", recipe.test_command.join(" "));
    match &recipe.runner {
        RunnerChoice::Native => println!("# runner: native"),
        RunnerChoice::Direct { kind } => {
            println!("# runner: {kind} (the host runs the binaries itself)")
        }
        RunnerChoice::Program { kind, .. } => {
            println!(
                "# runner: {kind} ({})",
                paths.runner.as_deref().unwrap_or("?")
            )
        }
        RunnerChoice::Unavailable { reason } => {
            println!("# runner: none; tests are skipped: {reason}")
        }
    }
    for m in &missing {
        eprintln!("warning: missing {}: {}", m.what, m.install);
    }
    Ok(())
}

/// The placeholder values that are paths on this machine, for the JSON `tools` map.
fn tool_map(paths: &ToolPaths, recipe: &Recipe) -> std::collections::BTreeMap<String, String> {
    let mut m = std::collections::BTreeMap::new();
    m.insert("cargo-zigbuild".into(), paths.cargo_zigbuild.clone());
    m.insert("ssp-stubs".into(), paths.ssp_stubs.clone());
    if let Some(r) = &paths.runner {
        m.insert("runner".into(), r.clone());
    }
    if let Some(s) = &paths.sysroot {
        m.insert("sysroot".into(), s.clone());
    }
    if let Some(h) = &paths.host_linker {
        m.insert("host-linker".into(), h.clone());
    }
    if let Some(z) = &paths.zig_lib_dir {
        m.insert("zig-lib-dir".into(), z.clone());
    }
    for s in &recipe.scripts {
        m.insert(s.tool.clone(), s.path.clone());
    }
    m
}

/// Quotes a value for a POSIX shell.
pub fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}
