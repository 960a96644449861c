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

/// An executable cargo built: a `compiler-artifact` message with an `executable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// cargo's package id (`path+file:///src/app#0.1.0`), as `cargo metadata` gives it.
    pub package_id: String,
    /// The executable's path.
    pub path: PathBuf,
}

/// A target's recipe for this machine, ready to run; after [`Prepared::merge`], the recipe of
/// several targets built by one cargo invocation.
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

/// The value after the first `--target` of a command line (empty when there is none).
fn target_arg(command: &[String]) -> String {
    command
        .iter()
        .skip_while(|a| *a != "--target")
        .nth(1)
        .cloned()
        .unwrap_or_default()
}

impl Prepared {
    /// Joins recipes into one cargo invocation with a `--target` for each, so build scripts
    /// and proc-macros are built once and the cores stay busy. Recipes join only when they
    /// are the same command but for the target, name different triples (cargo keeps one
    /// output directory per triple, so two glibc floors of one triple cannot share a run),
    /// and give no variable two values; the others keep their own run. Order is kept: each
    /// group is listed where its first recipe was, with the indices (in `all`) of the
    /// recipes it holds.
    pub fn merge(all: Vec<Prepared>) -> Vec<(Vec<usize>, Prepared)> {
        let mut groups: Vec<(Vec<usize>, Prepared)> = Vec::new();
        'next: for (i, p) in all.into_iter().enumerate() {
            for (members, g) in &mut groups {
                if g.joins(&p) {
                    members.push(i);
                    // beside the group's last --target
                    let at = g.recipe.command.iter().rposition(|a| a == "--target");
                    let at = at.map_or(g.recipe.command.len(), |i| i + 2);
                    let new = ["--target".to_string(), target_arg(&p.recipe.command)];
                    g.recipe.command.splice(at..at, new);
                    g.recipe.target = format!("{} {}", g.recipe.target, p.recipe.target);
                    g.recipe.alias = format!("{} {}", g.recipe.alias, p.recipe.alias);
                    // a run-only variable two targets set differently (QEMU_LD_PREFIX) keeps
                    // the first value: a build never reads it
                    for e in p.recipe.env {
                        if !g.recipe.env.iter().any(|x| x.name == e.name) {
                            g.recipe.env.push(e);
                        }
                    }
                    for s in p.recipe.scripts {
                        if !g.recipe.scripts.contains(&s) {
                            g.recipe.scripts.push(s);
                        }
                    }
                    continue 'next;
                }
            }
            groups.push((vec![i], p));
        }
        groups
    }

    /// The triples this recipe builds (several after [`Prepared::merge`]).
    pub fn triples(&self) -> Vec<&str> {
        self.recipe.target.split(' ').collect()
    }

    fn joins(&self, other: &Prepared) -> bool {
        let without_target = |c: &[String]| -> Vec<String> {
            let mut out = Vec::new();
            let mut it = c.iter();
            while let Some(a) = it.next() {
                if a == "--target" {
                    it.next();
                } else {
                    out.push(a.clone());
                }
            }
            out
        };
        without_target(&self.recipe.command) == without_target(&other.recipe.command)
            && !self.triples().contains(&other.recipe.target.as_str())
            && self.tools.zig_lib_dir == other.tools.zig_lib_dir
            && other.recipe.env.iter().filter(|e| !e.run).all(|e| {
                self.recipe
                    .env
                    .iter()
                    .all(|x| x.name != e.name || x.value == e.value)
            })
    }

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
    ) -> Result<Vec<Artifact>> {
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
                        artifacts.push(Artifact {
                            package_id: msg["package_id"].as_str().unwrap_or_default().into(),
                            path: PathBuf::from(exe),
                        });
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
