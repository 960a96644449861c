//! `crossflake build`: the flake's recipe, run outside Nix.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::catalog::{TargetSpec, catalog};
use crate::cli::BuildArgs;
use crate::project::{PROFILE, Project};
use crate::recipe::{self, Recipe, RecipeOptions, ToolPaths};
use crate::tools;

/// The profile used when none is given: `crossflake` when the project has
/// `[profile.crossflake]`, else `release`.
pub fn default_profile(manifest_path: Option<&Path>) -> String {
    match Project::load(manifest_path) {
        Ok(p) if p.has_profile(PROFILE) => PROFILE.into(),
        _ => "release".into(),
    }
}

/// The targets to build: those given, else the project's metadata table.
pub fn project_targets(project: &Project, given: &[String]) -> Result<Vec<TargetSpec>> {
    if !given.is_empty() {
        return given.iter().map(|t| catalog().resolve(t)).collect();
    }
    match project.targets()? {
        Some(t) if !t.is_empty() => Ok(t),
        _ => bail!(
            "{} lists no targets in [{}]; pass --target or run `crossflake init`",
            project.manifest_path.display(),
            project.metadata_key()
        ),
    }
}

/// Refuses targets this host cannot build, naming the hosts that can.
pub fn check_buildable(specs: &[TargetSpec], host: &str) -> Result<()> {
    for s in specs {
        let t = s.target();
        if !t.build_hosts.iter().any(|h| h == host) {
            bail!(
                "{} ({}) cannot be built on {host}; it builds on {}{}",
                s.alias,
                t.triple,
                t.build_hosts.join(", "),
                if t.os == "darwin" {
                    " (it needs Apple's SDK)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

/// Runs `crossflake build`.
pub fn run(args: BuildArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let specs = project_targets(&project, &args.targets)?;
    let host = catalog().current_host()?.to_string();
    check_buildable(&specs, &host)?;
    let profile = if args.release {
        "release".to_string()
    } else {
        args.profile
            .clone()
            .unwrap_or_else(|| default_profile(Some(&project.manifest_path)))
    };
    let mut missing = Vec::new();
    for s in &specs {
        for m in tools::missing_for(s, &host, args.build_std, false, &project.root) {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
    }
    tools::require(&missing, "building")?;

    for spec in &specs {
        let paths = tools::tool_paths(spec, &host);
        let recipe = recipe::derive(
            spec,
            &host,
            &RecipeOptions {
                profile: profile.clone(),
                build_std: args.build_std,
            },
            &paths,
        )?;
        tools::materialize(&recipe, &paths)?;
        eprintln!(
            "crossflake: building {} ({}): {}",
            spec.alias,
            spec.cargo_target(),
            recipe.command.join(" ")
        );
        let start = Instant::now();
        let artifacts = run_cargo(&recipe, &paths, false, &project, &args.cargo_args)
            .with_context(|| format!("failed to build {}", spec.alias))?;
        let secs = start.elapsed().as_secs_f64();
        let list: Vec<String> = artifacts.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "crossflake: built {} in {secs:.1} s{}",
            spec.alias,
            if list.is_empty() {
                String::new()
            } else {
                format!(": {}", list.join(" "))
            }
        );
    }
    Ok(())
}

/// Runs the recipe's build command (`test` false: the build environment) or test command
/// (`test` true: the whole environment, runner included) in the project root, streaming cargo's
/// output; returns the executables cargo reports.
pub fn run_cargo(
    recipe: &Recipe,
    tools: &ToolPaths,
    test: bool,
    project: &Project,
    extra: &[String],
) -> Result<Vec<PathBuf>> {
    let command = if test {
        &recipe.test_command
    } else {
        &recipe.command
    };
    let (program, args) = command.split_first().context("empty recipe command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg("--manifest-path")
        .arg(&project.manifest_path)
        .arg("--message-format=json-render-diagnostics")
        .args(extra)
        .current_dir(&project.root)
        .stdout(Stdio::piped());
    if test {
        cmd.envs(recipe.env_pairs());
    } else {
        cmd.envs(recipe.build_env_pairs());
    }
    if let Some(dir) = &tools.zig_lib_dir {
        cmd.env("ZIG_LIB_DIR", dir);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to run {program}"))?;
    let stdout = child.stdout.take().context("no stdout from cargo")?;
    let mut artifacts = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(msg) if msg.get("reason").is_some() => {
                if msg["reason"] == "compiler-artifact"
                    && let Some(exe) = msg["executable"].as_str()
                {
                    artifacts.push(PathBuf::from(exe));
                }
            }
            // not a cargo message: a test binary's or a build script's own output
            _ => println!("{line}"),
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{}` exited with {status}", command.join(" "));
    }
    Ok(artifacts)
}
