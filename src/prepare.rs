//! Getting a target ready to build or test on this host, shared by `build`, `test`, `env` and
//! `oci build`: the profile, the targets, whether the host can build them, and the recipe
//! derived with this machine's tools, with what it needs written to disk; then running its
//! cargo command.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::catalog::{TargetSpec, catalog};
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
///
/// Errors: a given target is unknown, or none is given and the project lists none.
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

/// A target's recipe for this machine, ready to run.
#[derive(Debug)]
pub struct Prepared {
    /// The recipe, with this machine's tool paths filled in.
    pub recipe: Recipe,
    /// Those tool paths.
    pub tools: ToolPaths,
}

/// Derives the recipe of `spec` on `host` with this machine's tools and writes what it needs
/// (tool scripts, libssp stubs, a writable mirror of a read-only zig library).
///
/// Errors: the catalog names an unknown placeholder, or a file cannot be written.
pub fn recipe(spec: &TargetSpec, host: &str, opts: &RecipeOptions) -> Result<Prepared> {
    let tools = tools::tool_paths(spec, host);
    let recipe = recipe::derive(spec, host, opts, &tools)?;
    tools::materialize(&recipe, &tools)?;
    Ok(Prepared { recipe, tools })
}

impl Prepared {
    /// Adds variables to the build and test environment (a name already there is replaced):
    /// what the project's C dependencies need ([`crate::commands::doctor::CDeps`]).
    pub fn add_env(&mut self, vars: Vec<(String, String)>) {
        for (name, value) in vars {
            self.recipe.env.retain(|e| e.name != name);
            self.recipe.env.push(crate::recipe::EnvVar {
                name,
                value,
                build_std: false,
                run: false,
            });
        }
    }

    /// Runs the build command (`test` false: the build environment) or the test command
    /// (`test` true: the whole environment, runner included) in the project root, streaming
    /// cargo's output; returns the executables cargo reports.
    ///
    /// Errors: cargo cannot be started or fails.
    pub fn run_cargo(
        &self,
        test: bool,
        project: &Project,
        extra: &[String],
    ) -> Result<Vec<PathBuf>> {
        let command = if test {
            &self.recipe.test_command
        } else {
            &self.recipe.command
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
            cmd.envs(self.recipe.env_pairs());
        } else {
            cmd.envs(self.recipe.build_env_pairs());
        }
        if let Some(dir) = &self.tools.zig_lib_dir {
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
}
