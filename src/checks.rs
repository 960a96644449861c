//! The checks `crossflake doctor` reports and the build's preflight runs: what will go wrong
//! building the project's targets on this machine or with the flake, and how to fix each
//! problem, before any compiling.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde::Serialize;

use crate::cache::{self, Cache, NixTrust, NixUser};
use crate::catalog::{Severity, TargetSpec};
use crate::cdeps::{self, Finding, LockedCrates};
use crate::project::Project;
use crate::{lock, toolchain, tools};

/// Findings under one heading: the project, or one target.
#[derive(Debug, Serialize)]
pub struct Section {
    /// `project`, or the target's alias.
    pub scope: String,
    /// The target triple, for a target's section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What was found, errors first.
    pub findings: Vec<Finding>,
}

/// How the crate rules of [`fast_checks`] use cargo's resolved graph
/// ([`LockedCrates::resolved`]) on top of Cargo.lock, which also lists the crates of features
/// nobody turns on. Cargo.lock's answer stands wherever cargo metadata fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// Cargo.lock only (the build's own feature flags make cargo's default answer wrong).
    Never,
    /// Only to check a target's errors before they stop a build.
    Errors,
    /// For every finding (`crossflake doctor`).
    Always,
}

/// The checks that need no git: Cargo.lock, the C dependencies' crates and build tools, and
/// (with `recipe_tools`) the recipe's own tools and runner for each target. The crate rules
/// read Cargo.lock, then cargo's resolved graph as `resolve` says; the build tools come from
/// all of Cargo.lock, as the flake adds them. Returns the sections (the project's first, then
/// one per target), the lock's crates, and the libclang to use when the lock has bindgen.
///
/// Errors: Cargo.lock cannot be read or parsed.
pub fn fast_checks(
    project: &Project,
    specs: &[TargetSpec],
    host: &str,
    build_std: bool,
    recipe_tools: bool,
    resolve: Resolve,
) -> Result<(Vec<Section>, LockedCrates, Option<cdeps::Libclang>)> {
    let mut project_findings = Vec::new();
    let locked = LockedCrates::read(&project.root)?;
    // cargo's resolved graph per target triple, computed once
    let mut resolved: std::collections::BTreeMap<String, Option<LockedCrates>> =
        std::collections::BTreeMap::new();
    let has_lock = locked.is_some();
    let lock = match locked {
        Some(l) => l,
        None => {
            project_findings.push(Finding {
                severity: Severity::Warning,
                check: "Cargo.lock".into(),
                problem: format!(
                    "{} has no Cargo.lock: the flake's builds need it (crane reads it) and its C \
                     dependencies cannot be checked",
                    project.root.display()
                ),
                fix: "cargo generate-lockfile, then commit Cargo.lock".into(),
            });
            LockedCrates::default()
        }
    };
    let (tool_findings, libclang) = cdeps::tool_findings(&cdeps::needed_tools(&lock));
    project_findings.extend(tool_findings);
    let mut sections = vec![Section {
        scope: "project".into(),
        target: None,
        findings: project_findings,
    }];
    for spec in specs {
        let t = spec.target();
        let mut findings = Vec::new();
        if !t.build_hosts.iter().any(|h| h == host) {
            findings.push(Finding {
                severity: Severity::Error,
                check: "host".into(),
                problem: format!("{} cannot be built on {host}", spec.alias),
                fix: format!("build it on {}", t.build_hosts.join(" or ")),
            });
        } else if recipe_tools {
            let building = tools::missing_for(spec, host, build_std, false, &project.root);
            for m in tools::missing_for(spec, host, build_std, true, &project.root) {
                let for_tests = !building.contains(&m);
                findings.push(Finding {
                    severity: if for_tests {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    check: "tool".into(),
                    problem: if for_tests {
                        format!("{} is missing: `crossflake test` skips the tests", m.what)
                    } else {
                        format!("{} is missing", m.what)
                    },
                    fix: m.install,
                });
            }
        }
        let mut crates = cdeps::crate_findings(&lock, t);
        let check = match resolve {
            Resolve::Never => false,
            Resolve::Errors => crates.iter().any(|f| f.severity == Severity::Error),
            // also a finding Cargo.lock hides: `vendored` behind a feature that is off
            Resolve::Always => true,
        };
        // the crate rules apply to the targets zig builds only
        if has_lock && check && t.zig_target.is_some() {
            let built = resolved
                .entry(t.triple.clone())
                .or_insert_with(|| LockedCrates::resolved(&project.root, &t.triple).ok());
            if let Some(built) = built {
                crates = cdeps::crate_findings(built, t);
            }
        }
        findings.extend(crates);
        sections.push(Section {
            scope: spec.alias.clone(),
            target: Some(spec.cargo_target()),
            findings,
        });
    }
    Ok((sections, lock, libclang))
}

/// Checks that need git and the project's files: Cargo.lock and other files git does not
/// track (the flake sees only tracked files), and rust-toolchain.toml against the metadata
/// table and against rust-toolchain.lock.toml.
fn project_checks(project: &Project, specs: &[TargetSpec]) -> Result<Vec<Finding>> {
    let root = &project.root;
    let mut out = Vec::new();
    if let Some(untracked) = git_untracked(root) {
        // untracked, or ignored (libraries often ignore it): the flake sees neither
        if root.join("Cargo.lock").is_file() && !git_tracks(root, "Cargo.lock") {
            out.push(Finding {
                severity: Severity::Error,
                check: "Cargo.lock".into(),
                problem: "Cargo.lock is not tracked by git (or is ignored), so the flake does \
                          not see it and crane stops"
                    .into(),
                fix: "git add Cargo.lock (git add -f when .gitignore lists it)".into(),
            });
        }
        let others: Vec<&String> = untracked.iter().filter(|f| *f != "Cargo.lock").collect();
        if !others.is_empty() {
            let shown: Vec<&str> = others.iter().take(5).map(|s| s.as_str()).collect();
            out.push(Finding {
                severity: Severity::Warning,
                check: "git".into(),
                problem: format!(
                    "{} file(s) are not tracked by git, so the flake does not see them: {}{}",
                    others.len(),
                    shown.join(", "),
                    if others.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ),
                fix: "git add them (the flake builds what git tracks), or list them in .gitignore"
                    .into(),
            });
        }
    }
    let plan = crate::plan::Plan::new();
    let tc = toolchain::read(&plan, root)?;
    let has_file = root.join(toolchain::FILE).is_file();
    let absent: Vec<&TargetSpec> = specs
        .iter()
        .filter(|s| !tc.targets.contains(&s.target().triple))
        .collect();
    if has_file && !absent.is_empty() {
        let aliases: Vec<&str> = absent.iter().map(|s| s.written.as_str()).collect();
        out.push(Finding {
            severity: Severity::Warning,
            check: toolchain::FILE.into(),
            problem: format!(
                "{}'s targets lack {}, which the project's metadata lists: rustup installs no \
                 rust-std for them",
                toolchain::FILE,
                absent
                    .iter()
                    .map(|s| s.target().triple.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix: format!(
                "crossflake target add {} (it lists them in both)",
                aliases.join(" ")
            ),
        });
    }
    let lock_path = root.join(lock::LOCK_FILE);
    if let Ok(text) = std::fs::read_to_string(&lock_path) {
        let (recorded, _, _) = lock::recorded(&text, &lock_path)?;
        if !recorded.same_as(&tc) {
            out.push(Finding {
                severity: Severity::Error,
                check: lock::LOCK_FILE.into(),
                problem: format!(
                    "{} no longer matches {}: the flake refuses to evaluate",
                    lock::LOCK_FILE,
                    toolchain::FILE
                ),
                fix: "crossflake toolchain lock, then commit it".into(),
            });
        }
    }
    Ok(out)
}

/// Files under `root` git does not track and does not ignore, relative to `root`; `None`
/// when `root` is not in a git work tree or git is missing.
fn git_untracked(root: &Path) -> Option<Vec<String>> {
    let out = Command::new("git")
        .args(["ls-files", "--others", "--exclude-standard", "--", "."])
        .current_dir(root)
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

/// Whether git tracks `file` (relative to `root`).
fn git_tracks(root: &Path, file: &str) -> bool {
    Command::new("git")
        .args(["ls-files", "--error-unmatch", "--", file])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What `crossflake doctor` reports: the fast checks with the recipe's tools, and unless
/// `fast` the project checks (git, toolchain files, the binary cache) and every crate rule checked against
/// cargo's resolved graph; each section's findings errors first. With `fast`, only the checks
/// `crossflake build` runs before it starts.
///
/// Errors: see [`fast_checks`] and [`project_checks`].
pub fn doctor(
    project: &Project,
    specs: &[TargetSpec],
    host: &str,
    build_std: bool,
    fast: bool,
) -> Result<Vec<Section>> {
    let resolve = if fast {
        Resolve::Errors
    } else {
        Resolve::Always
    };
    let (mut sections, _, _) = fast_checks(project, specs, host, build_std, !fast, resolve)?;
    if !fast {
        sections[0].findings.extend(project_checks(project, specs)?);
        if let Some(c) = Cache::of(project)? {
            sections[0].findings.extend(cache::findings(
                &c,
                c.probe(&crate::download::Policy::probe()?),
                NixTrust::read(),
                &NixUser::current(),
            ));
        }
        sections[0].findings.extend(crate::sccache::findings(
            project,
            std::time::Duration::from_secs(10),
        )?);
    }
    for s in &mut sections {
        s.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    Ok(sections)
}

/// Prints sections as text, errors and warnings with their fixes.
pub fn print_sections(sections: &[Section]) {
    for s in sections.iter().filter(|s| !s.findings.is_empty()) {
        match &s.target {
            Some(t) => eprintln!("{} ({t}):", s.scope),
            None => eprintln!("{}:", s.scope),
        }
        for f in &s.findings {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            eprintln!("  {level}: [{}] {}", f.check, f.problem);
            eprintln!("    fix: {}", f.fix);
        }
    }
}

/// Counts errors and warnings.
pub fn counts(sections: &[Section]) -> (usize, usize) {
    let all = sections.iter().flat_map(|s| &s.findings);
    let errors = all
        .clone()
        .filter(|f| f.severity == Severity::Error)
        .count();
    (errors, all.count() - errors)
}

/// What the project's C dependencies need from a build: the lock's crates and the libclang
/// bindgen loads.
#[derive(Debug)]
pub struct CDeps {
    lock: LockedCrates,
    libclang: Option<cdeps::Libclang>,
}

impl CDeps {
    /// What the C dependencies of `project`'s Cargo.lock need; `None` without a Cargo.lock.
    ///
    /// Errors: Cargo.lock cannot be read or parsed.
    pub fn of(project: &Project) -> Result<Option<CDeps>> {
        let Some(lock) = LockedCrates::read(&project.root)? else {
            return Ok(None);
        };
        let (_, libclang) = cdeps::tool_findings(&cdeps::needed_tools(&lock));
        Ok(Some(CDeps { lock, libclang }))
    }

    /// The environment a target's build gets for them ([`cdeps::bindgen_env`]).
    pub fn env_for(&self, spec: &TargetSpec) -> Vec<(String, String)> {
        cdeps::bindgen_env(
            &self.lock,
            spec.target(),
            spec.zig_target().as_deref(),
            self.libclang.as_ref(),
        )
    }
}

/// `crossflake build`'s and `crossflake test`'s check before they start (the fast checks,
/// without the recipe's tools, which they check themselves): prints warnings and stops on
/// an error, before any compiling.
///
/// `cargo_args` are the build's own cargo arguments: with feature flags among them, cargo's
/// default answer does not apply and Cargo.lock's stands.
///
/// Errors: a finding is an error (warnings are printed and the build goes on); the message
/// lists every error with its fix.
pub fn preflight(
    project: &Project,
    specs: &[TargetSpec],
    host: &str,
    cargo_args: &[String],
) -> Result<CDeps> {
    let features = cargo_args.iter().any(|a| {
        a == "--all-features"
            || a == "--no-default-features"
            || a.starts_with("--features")
            || a.starts_with("-F")
    });
    let resolve = if features {
        Resolve::Never
    } else {
        Resolve::Errors
    };
    let (sections, lock, libclang) = fast_checks(project, specs, host, false, false, resolve)?;
    let (errors, _) = counts(&sections);
    if errors == 0 {
        print_sections(&sections);
        return Ok(CDeps { lock, libclang });
    }
    let mut lines = Vec::new();
    for s in &sections {
        for f in s.findings.iter().filter(|f| f.severity == Severity::Error) {
            let scope = match &s.target {
                Some(t) => format!("{} ({t}): ", s.scope),
                None => String::new(),
            };
            lines.push(format!(
                "  - {scope}[{}] {}\n    fix: {}",
                f.check, f.problem, f.fix
            ));
        }
    }
    anyhow::bail!(
        "{} cannot be built as it is ({errors} error(s); `crossflake doctor` reports all):\n{}",
        project.manifest_path.display(),
        lines.join("\n")
    )
}
