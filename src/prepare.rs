//! Getting a target ready to build or test on this host ([`crate::pipeline`] and `env`): the
//! recipe derived with this machine's tools, with what it needs written to disk, the path
//! remapping of a checkout, and running the recipe's cargo command there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::catalog::TargetSpec;
use crate::project::Project;
use crate::recipe::{self, Recipe, RecipeOptions, ToolPaths};
use crate::tools;

/// Where a planned run happens: a checkout of the project, and what cargo's environment gets
/// on top of this process's (`dist --check-reproducible` runs the same plan a second time in a
/// clone, with another HOME and CARGO_HOME, umask 077 and one job).
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The project's root Cargo.toml in this checkout.
    pub manifest_path: PathBuf,
    /// Variables to set (`Some`) or remove (`None`) for cargo.
    pub env: Vec<(String, Option<String>)>,
    /// The file mode creation mask cargo runs with, when not this process's.
    pub umask: Option<u32>,
}

impl Checkout {
    /// The project where it is, in this process's environment.
    pub fn here(project: &Project) -> Checkout {
        Checkout {
            manifest_path: project.manifest_path.clone(),
            env: Vec::new(),
            umask: None,
        }
    }

    /// The directory holding the root Cargo.toml.
    pub fn root(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }

    /// cargo's target directory here: CARGO_TARGET_DIR, else CARGO_BUILD_TARGET_DIR, as cargo
    /// will see them (relative to the root when relative), else `ROOT/target`. (cargo's
    /// `build.target-dir` setting in a config file is not read.)
    pub fn target_dir(&self) -> PathBuf {
        let root = self.root();
        self.var("CARGO_TARGET_DIR")
            .or_else(|| self.var("CARGO_BUILD_TARGET_DIR"))
            .map(PathBuf::from)
            .map(|t| if t.is_absolute() { t } else { root.join(t) })
            .unwrap_or_else(|| root.join("target"))
    }

    /// A variable as cargo will see it: this checkout's value, else this process's.
    pub fn var(&self, name: &str) -> Option<String> {
        match self.env.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => std::env::var(name).ok(),
        }
    }
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
#[derive(Debug, Clone)]
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
    let p = derive(spec, host, opts)?;
    p.materialize()?;
    Ok(p)
}

/// [`recipe`] without writing anything: what a plan holds until it runs
/// ([`Prepared::materialize`]).
///
/// Errors: the catalog names an unknown placeholder.
pub fn derive(spec: &TargetSpec, host: &str, opts: &RecipeOptions) -> Result<Prepared> {
    let tools = tools::tool_paths(spec, host);
    let recipe = recipe::derive(spec, host, opts, &tools)?;
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
    /// Writes what the recipe needs on disk ([`tools::materialize`]): its tool scripts, the
    /// libssp stubs, the writable mirror of a read-only zig library.
    ///
    /// Errors: a file cannot be written.
    pub fn materialize(&self) -> Result<()> {
        tools::materialize(&self.recipe, &self.tools)
    }

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
        // the triple cargo builds into: a glibc floor suffix is cargo-zigbuild's, not cargo's
        let bare = |t: &str| crate::catalog::split_glibc_suffix(t).0.to_string();
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
            && !self
                .triples()
                .iter()
                .any(|t| bare(t) == bare(&other.recipe.target))
            && self.tools.machine_env() == other.tools.machine_env()
            && other.recipe.env.iter().filter(|e| !e.run).all(|e| {
                self.recipe
                    .env
                    .iter()
                    .all(|x| x.name != e.name || x.value == e.value)
            })
    }

    /// Adds variables to the build and test environment (a name already there is replaced):
    /// what the project's C dependencies need ([`crate::checks::CDeps`]).
    pub fn add_env(&mut self, vars: Vec<(String, String)>) {
        for (name, value) in vars {
            self.recipe.env.retain(|e| e.name != name);
            let unstable = crate::catalog::catalog().unstable.switches(&name, &value);
            self.recipe.env.push(crate::recipe::EnvVar {
                name,
                value,
                build_std: false,
                run: false,
                unstable,
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
        checkout: &Checkout,
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
            .arg(&checkout.manifest_path)
            .arg("--message-format=json-render-diagnostics")
            .args(extra)
            .current_dir(checkout.root())
            .stdout(Stdio::piped());
        if test {
            cmd.envs(self.recipe.env_pairs());
        } else {
            cmd.envs(self.recipe.build_env_pairs());
        }
        cmd.envs(self.tools.machine_env());
        for (name, value) in &checkout.env {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
        if let Some(mask) = checkout.umask {
            use std::os::unix::process::CommandExt;
            // SAFETY: umask is async-signal-safe and touches only the child's own state.
            unsafe {
                cmd.pre_exec(move || {
                    libc::umask(mask as libc::mode_t);
                    Ok(())
                });
            }
        }
        // its own process group: a signal to crossflake reaches cargo and what cargo runs
        let mut child = crate::interrupt::spawn(&mut cmd)
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

/// The machine-specific path prefixes a build records (in panic messages, `file!()`, debug info)
/// and what they become, so that a binary does not say where it was built: the project root
/// (`.`), the cargo target directory (`target`), CARGO_HOME with the registry and git sources
/// (`/cargo`; also by its real path, and its registry and git directories by theirs, where
/// they are symlinks), and the toolchain's std sources (`/rustc/COMMIT`, where rustup's own std says it
/// was built). Later pairs win where two match (rustc and clang both take the last match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMap {
    /// (prefix on this machine, what it becomes), in order.
    pub pairs: Vec<(String, String)>,
}

impl PathMap {
    /// The map for building in `checkout`: its root, CARGO_TARGET_DIR (default `root/target`),
    /// CARGO_HOME (default `$HOME/.cargo`), as cargo will see them there, and the sysroot and
    /// commit hash of `$RUSTC` (default `rustc`) when it answers. A prefix holding a space is
    /// left out (cargo splits the *_RUSTFLAGS variables on spaces).
    pub fn for_checkout(checkout: &Checkout) -> PathMap {
        let root = checkout.root();
        let mut pairs = vec![(root.display().to_string(), ".".to_string())];
        // cargo hands rustc normalised paths: the root's real path too, where it differs
        if let Ok(real) = root.canonicalize()
            && real != root
        {
            pairs.push((real.display().to_string(), ".".into()));
        }
        pairs.push((checkout.target_dir().display().to_string(), "target".into()));
        let cargo_home = checkout.var("CARGO_HOME").map(PathBuf::from).or_else(|| {
            checkout
                .var("HOME")
                .map(|h| PathBuf::from(h).join(".cargo"))
        });
        if let Some(home) = cargo_home {
            pairs.push((home.display().to_string(), "/cargo".into()));
            // cargo records sources by their real path: a CARGO_HOME, or its registry or git
            // directory, that is a symlink shows up as the place it points to
            for (sub, to) in [
                ("", "/cargo"),
                ("registry", "/cargo/registry"),
                ("git", "/cargo/git"),
            ] {
                let dir = if sub.is_empty() {
                    home.clone()
                } else {
                    home.join(sub)
                };
                if let Ok(real) = dir.canonicalize()
                    && real != dir
                {
                    pairs.push((real.display().to_string(), to.into()));
                }
            }
        }
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let ask = |args: &[&str]| {
            Command::new(&rustc)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        if let (Some(sysroot), Some(version)) = (ask(&["--print", "sysroot"]), ask(&["-vV"]))
            && let Some(commit) = version
                .lines()
                .find_map(|l| l.strip_prefix("commit-hash: "))
                .filter(|c| *c != "unknown")
        {
            pairs.push((
                format!("{sysroot}/lib/rustlib/src/rust"),
                format!("/rustc/{commit}"),
            ));
        }
        pairs.retain(|(from, _)| !from.contains(char::is_whitespace) && from != "/");
        PathMap { pairs }
    }

    /// rustc's flags: `--remap-path-prefix=FROM=TO` each.
    pub fn rustflags(&self) -> Vec<String> {
        self.pairs
            .iter()
            .map(|(from, to)| format!("--remap-path-prefix={from}={to}"))
            .collect()
    }

    /// The C and C++ compilers' flags: `-ffile-prefix-map=FROM=TO` each (clang, hence zig cc:
    /// debug info, `__FILE__` and the like).
    pub fn cflags(&self) -> Vec<String> {
        self.pairs
            .iter()
            .map(|(from, to)| format!("-ffile-prefix-map={from}={to}"))
            .collect()
    }
}

impl Prepared {
    /// Adds `map` to the build of every triple of this recipe: to `CARGO_TARGET_<TRIPLE>_RUSTFLAGS`
    /// (to CARGO_ENCODED_RUSTFLAGS or RUSTFLAGS instead when the caller's environment sets one,
    /// since cargo then reads no target's rustflags)
    /// and to cc-rs' `CFLAGS_<target-triple>` / `CXXFLAGS_<target-triple>` (the spelling cc-rs
    /// reads first), each after what the recipe or the caller's environment already gives
    /// (for C, the first of `CFLAGS_<target-triple>`, `CFLAGS_<target_triple>`, `TARGET_CFLAGS`,
    /// `CFLAGS` that is set: the one cc-rs would have read).
    pub fn remap_paths(&mut self, map: &PathMap) {
        self.remap_rust_paths(map);
        self.remap_c_paths(map);
    }

    /// The Rust half of [`Prepared::remap_paths`]: `--remap-path-prefix` in cargo's rustflags.
    pub fn remap_rust_paths(&mut self, map: &PathMap) {
        // cargo reads CARGO_ENCODED_RUSTFLAGS, else RUSTFLAGS, before any target's rustflags:
        // when the caller set one, the flags go there (or they would not be used at all)
        if let Ok(encoded) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
            let mut all: Vec<String> = encoded
                .split('\x1f')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
            all.extend(map.rustflags());
            self.add_env(vec![("CARGO_ENCODED_RUSTFLAGS".into(), all.join("\x1f"))]);
        } else if std::env::var_os("RUSTFLAGS").is_some() {
            self.append_env("RUSTFLAGS", &[], &map.rustflags());
        }
        let triples: Vec<String> = self.triples().iter().map(|t| t.to_string()).collect();
        for triple in triples {
            let upper = triple.to_uppercase().replace('-', "_");
            self.append_env(
                &format!("CARGO_TARGET_{upper}_RUSTFLAGS"),
                &[],
                &map.rustflags(),
            );
        }
    }

    /// The C half of [`Prepared::remap_paths`]: `-ffile-prefix-map` in cc-rs' flags.
    pub fn remap_c_paths(&mut self, map: &PathMap) {
        let triples: Vec<String> = self.triples().iter().map(|t| t.to_string()).collect();
        for triple in triples {
            let under = triple.replace('-', "_");
            for var in ["CFLAGS", "CXXFLAGS"] {
                // the spelling cc-rs reads first; the value of the one it would have read
                let fallbacks = [
                    format!("{var}_{under}"),
                    format!("TARGET_{var}"),
                    var.to_string(),
                ];
                self.append_env(&format!("{var}_{triple}"), &fallbacks, &map.cflags());
            }
        }
    }

    /// Sets `name` to its current value (the recipe's, else the first of `name` and `fallbacks`
    /// set in this process's environment) followed by `extra`, space-separated.
    fn append_env(&mut self, name: &str, fallbacks: &[String], extra: &[String]) {
        let own = self
            .recipe
            .env
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value.clone());
        let base = own.or_else(|| {
            std::iter::once(name)
                .chain(fallbacks.iter().map(String::as_str))
                .find_map(|n| std::env::var(n).ok())
        });
        let value = base
            .into_iter()
            .filter(|b| !b.trim().is_empty())
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        self.add_env(vec![(name.to_string(), value)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;
    use crate::recipe::RecipeOptions;

    /// The recipe of `written` on x86_64-linux, derived as `crossflake build` derives it (the
    /// tool scripts are not written).
    fn prepared(written: &str) -> Prepared {
        let spec = catalog().resolve(written).unwrap();
        let opts = RecipeOptions {
            profile: "crossflake".into(),
            build_std: false,
        };
        let tools = tools::tool_paths(&spec, "x86_64-linux");
        let recipe = recipe::derive(&spec, "x86_64-linux", &opts, &tools).unwrap();
        Prepared { recipe, tools }
    }

    fn groups(written: &[&str]) -> Vec<(Vec<usize>, Vec<String>)> {
        Prepared::merge(written.iter().map(|w| prepared(w)).collect())
            .into_iter()
            .map(|(members, p)| {
                let targets = p
                    .recipe
                    .command
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i > 0 && p.recipe.command[i - 1] == "--target")
                    .map(|(_, t)| t.clone())
                    .collect();
                (members, targets)
            })
            .collect()
    }

    #[test]
    fn zig_targets_join_one_run_and_what_cannot_share_keeps_its_own() {
        let g = |m: &[usize], t: &[&str]| {
            (
                m.to_vec(),
                t.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        // the zig targets are one command but for --target; wasm is a plain cargo build
        assert_eq!(
            groups(&["aarch64-musl", "wasm32-wasip1", "x86_64-windows"]),
            [
                g(
                    &[0, 2],
                    &["aarch64-unknown-linux-musl", "x86_64-pc-windows-gnu"]
                ),
                g(&[1], &["wasm32-wasip1"]),
            ]
        );
        // two glibc floors of one triple: cargo keeps one directory per triple
        assert_eq!(
            groups(&[
                "x86_64-unknown-linux-gnu.2.17",
                "aarch64-musl",
                "x86_64-unknown-linux-gnu.2.28"
            ]),
            [
                g(
                    &[0, 1],
                    &[
                        "x86_64-unknown-linux-gnu.2.17",
                        "aarch64-unknown-linux-musl"
                    ]
                ),
                g(&[2], &["x86_64-unknown-linux-gnu.2.28"]),
            ]
        );
    }

    #[test]
    fn one_triple_twice_or_with_two_floors_never_shares_a_run() {
        assert_eq!(
            groups(&["aarch64-musl", "aarch64-unknown-linux-musl"]).len(),
            2
        );
        let floor = |f: &str| prepared(&format!("x86_64-unknown-linux-gnu.{f}"));
        let (a, mut b) = (floor("2.17"), floor("2.28"));
        // even were their variables the same
        b.recipe.env = a.recipe.env.clone();
        assert!(!a.joins(&b));
    }

    #[test]
    fn a_build_variable_with_two_values_keeps_the_runs_apart() {
        let a = prepared("aarch64-musl");
        let mut b = prepared("x86_64-musl");
        assert!(a.joins(&b));
        let shared = a.recipe.env.iter().find(|e| !e.run).unwrap().clone();
        b.add_env(vec![(
            shared.name.clone(),
            format!("{}-other", shared.value),
        )]);
        assert!(!a.joins(&b), "{} differs", shared.name);
    }

    #[test]
    fn remap_flags_come_after_the_recipes_own_in_order() {
        let mut p = prepared("aarch64-musl");
        p.add_env(vec![(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS".into(),
            "-C target-cpu=cortex-a72".into(),
        )]);
        let map = PathMap {
            pairs: vec![
                ("/src/app".into(), ".".into()),
                ("/src/app/target".into(), "target".into()),
            ],
        };
        p.remap_paths(&map);
        let value = |name: &str| {
            p.recipe
                .env
                .iter()
                .find(|e| e.name == name)
                .map(|e| e.value.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            value("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS"),
            "-C target-cpu=cortex-a72 --remap-path-prefix=/src/app=. --remap-path-prefix=/src/app/target=target"
        );
        assert!(
            value("CFLAGS_aarch64-unknown-linux-musl")
                .ends_with("-ffile-prefix-map=/src/app=. -ffile-prefix-map=/src/app/target=target"),
            "{}",
            value("CFLAGS_aarch64-unknown-linux-musl")
        );
    }
}
