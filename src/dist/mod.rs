//! `crossflake dist`: release archives for the project's targets, planned first ([`plan`]:
//! targets, output, source date, signing, what will be built; nothing compiled) and applied
//! second ([`Dist::apply`]: build, assemble, optionally build again and compare, sign, write
//! all at once).
//!
//! One archive per package and target, named and laid out the way cargo-binstall looks for
//! them by default (`{name}-{target}-v{version}.tar.gz`, `.zip` for windows, holding a
//! `{name}-{target}-v{version}/` directory with the binaries: binstall's default `pkg-url` and
//! `bin-dir`), SHA256SUMS in the format `sha256sum -c` reads, and the `crossflake-dist.json`
//! manifest. Archives are written by [`crate::archive`] and dated by its source-date rule.

mod assemble;
mod graph;
mod manifest;
mod reproducible;
mod sign;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use assemble::archive_stem;
pub use graph::Graph;

use crate::archive::{self, Format, SourceDate};
use crate::atomic::{self, Staged};
use crate::catalog::{TargetSpec, catalog};
use crate::pipeline::{self, Artifact, Checkout, Mode, Request};
use crate::project::Project;
use crate::run_lock::RunLock;

/// What `crossflake dist` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Targets as written; empty: the project's targets this host builds.
    pub targets: Vec<String>,
    /// The output directory (`None`: `target/dist` in the project).
    pub out: Option<PathBuf>,
    /// `TARGET=DIR` pairs: pack the executables in DIR instead of building.
    pub prebuilt: Vec<String>,
    /// Replace a non-empty output directory.
    pub force: bool,
    /// Build a second time from a clone and compare.
    pub check_reproducible: bool,
    /// Build without cargo-auditable, and write no SBOMs.
    pub no_audit: bool,
    /// A minisign secret key to sign every file with.
    pub sign: Option<PathBuf>,
    /// The cargo profile given (`--profile`).
    pub profile: Option<String>,
    /// `--release`.
    pub release: bool,
    /// Build std from rust-src.
    pub build_std: bool,
    /// Extra cargo arguments.
    pub cargo_args: Vec<String>,
}

/// Where a dist's binaries come from.
#[derive(Debug)]
enum Binaries {
    /// The pipeline's build.
    Build(Box<pipeline::Plan>),
    /// Executables built elsewhere (`--prebuilt TARGET=DIR`), one directory per target.
    Prebuilt(Vec<PathBuf>),
}

/// A planned dist: checked, nothing built or written.
#[derive(Debug)]
pub struct Dist {
    project: Project,
    /// The output directory, absolute.
    pub out: PathBuf,
    specs: Vec<TargetSpec>,
    /// The project's targets this host does not build, each with the line saying so.
    skipped: Vec<String>,
    binaries: Binaries,
    date: SourceDate,
    key: Option<(PathBuf, minisign::SecretKey)>,
    audit: bool,
    check_reproducible: bool,
    force: bool,
}

/// Plans a dist of `project`: the targets (those given, else the project's that this host
/// builds), the output directory (absolute, writable, empty unless `force`), the source date,
/// the signing key (opened now), the clean work tree `--check-reproducible` needs, and the
/// build ([`pipeline::plan`]: tools and C dependencies checked, nothing compiled).
///
/// Errors: each of those checks, with the fix; nothing is written.
pub fn plan(project: Project, opts: &Options) -> Result<Dist> {
    let host = catalog().current_host()?.to_string();
    let prebuilt = parse_prebuilt(&opts.prebuilt)?;
    let named: Vec<String> = if prebuilt.is_empty() {
        opts.targets.clone()
    } else {
        prebuilt.iter().map(|(t, _)| t.clone()).collect()
    };
    let (specs, skipped) = pipeline::targets_here(&project, &named, &host)?;
    check_triples(&specs, !prebuilt.is_empty())?;
    let out = output_dir(&project, opts)?;
    if opts.check_reproducible {
        reproducible::clean_work_tree(&project.root)?;
    }
    let key = match &opts.sign {
        Some(path) => Some((
            path.clone(),
            sign::signing_key(
                path,
                std::env::var("CROSSFLAKE_MINISIGN_PASSWORD").ok(),
                std::io::stdin().is_terminal(),
            )?,
        )),
        None => None,
    };
    let date = archive::source_date(&project.root)?;
    let binaries = if prebuilt.is_empty() {
        let request = Request {
            specs: specs.clone(),
            left_out: skipped.clone(),
            profile: pipeline::profile(Some(&project), opts.profile.as_deref(), opts.release),
            build_std: opts.build_std,
            auditable: !opts.no_audit,
            cargo_args: opts.cargo_args.clone(),
        };
        Binaries::Build(Box::new(pipeline::plan(&project, request, Mode::Build)?))
    } else {
        Binaries::Prebuilt(prebuilt.into_iter().map(|(_, d)| d).collect())
    };
    Ok(Dist {
        project,
        out,
        specs,
        skipped,
        binaries,
        date,
        key,
        audit: !opts.no_audit,
        check_reproducible: opts.check_reproducible,
        force: opts.force,
    })
}

/// `--prebuilt` arguments as (target, directory).
fn parse_prebuilt(given: &[String]) -> Result<Vec<(String, PathBuf)>> {
    given
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(t, d)| !t.is_empty() && !d.is_empty())
                .map(|(t, d)| (t.to_string(), PathBuf::from(d)))
                .with_context(|| format!("--prebuilt `{p}` is not TARGET=DIR"))
        })
        .collect()
}

/// Refuses two targets of one triple (two glibc floors): cargo builds one of them into one
/// directory and their archives would have one name.
fn check_triples(specs: &[TargetSpec], prebuilt: bool) -> Result<()> {
    let mut triples: Vec<(&str, String)> = Vec::new();
    for s in specs {
        if let Some((_, other)) = triples.iter().find(|t| t.0 == s.target().triple) {
            let fix = if prebuilt {
                "give one of them to --prebuilt, the other to a second dist with another --output"
            } else {
                "dist them one at a time with --target and --output"
            };
            bail!(
                "{other} and {} are one target triple ({}): cargo builds one of them into one directory and their archives would have one name; {fix}",
                s.key(),
                s.target().triple
            );
        }
        triples.push((&s.target().triple, s.key()));
    }
    Ok(())
}

/// The output directory, absolute: not the project or above it, a directory if it exists,
/// empty unless `force`, and writable.
fn output_dir(project: &Project, opts: &Options) -> Result<PathBuf> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| project.root.join("target/dist"));
    let out = std::path::absolute(&out)
        .with_context(|| format!("cannot resolve --output {}", out.display()))?;
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    if real(&project.root).starts_with(real(&out)) {
        bail!(
            "--output {} holds the project itself; give a directory of its own (default: target/dist)",
            out.display()
        );
    }
    check_empty(&out, opts.force)?;
    atomic::check_writable(&out)?;
    Ok(out)
}

/// Refuses a non-empty `out` unless `force`.
fn check_empty(out: &Path, force: bool) -> Result<()> {
    if !force && out.is_dir() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} exists and is not empty; pass --force to replace it, or --output DIR",
            out.display()
        );
    }
    Ok(())
}

impl Dist {
    /// What [`Dist::apply`] would do, one line each: the source date, each target (or why it is
    /// skipped) with its cargo run or its prebuilt directory, the archives and SBOMs per
    /// package (from cargo metadata), the output directory, signing and the second build.
    ///
    /// Errors: cargo metadata fails.
    pub fn describe(&self) -> Result<Vec<String>> {
        let mut lines = vec![format!("crossflake dist: {}", self.date.describe())];
        lines.extend(self.skipped.iter().cloned());
        match &self.binaries {
            Binaries::Build(plan) => {
                for l in plan.describe() {
                    lines.push(format!("build {l}"));
                }
            }
            Binaries::Prebuilt(dirs) => {
                for (s, d) in self.specs.iter().zip(dirs) {
                    lines.push(format!("pack {} from {}", s.key(), d.display()));
                }
            }
        }
        let mut graphs = HashMap::new();
        for s in &self.specs {
            let t = s.target();
            let graph = assemble::graph_of(&mut graphs, &self.project.root, &t.triple)?;
            for p in graph.members_with_bins() {
                let stem = archive_stem(&p.name, &t.triple, &p.version);
                lines.push(format!(
                    "write {}{} ({}){}",
                    stem,
                    Format::for_os(&t.os).suffix(),
                    p.bins.join(", "),
                    if self.audit {
                        format!(" and {stem}.cdx.json")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        lines.push("write SHA256SUMS, crossflake-dist.json".into());
        if let Some((path, _)) = &self.key {
            lines.push(format!(
                "sign every file with {} (FILE.minisig)",
                path.display()
            ));
        }
        if self.check_reproducible {
            lines.push("build again in a clone of HEAD and compare every file".into());
        }
        lines.push(format!("into {}", self.out.display()));
        Ok(lines)
    }

    /// Builds (or reads the prebuilt binaries), assembles every file in memory, builds again and
    /// compares when asked, signs, and writes the output directory all at once: it is staged
    /// beside its destination before anything compiles, and renamed into place at the end
    /// ([`crate::atomic`]). Returns each file written with its size in bytes.
    ///
    /// Errors: the build, a binary that fails verify, a difference between the two builds, a
    /// write; the output directory is then as it was.
    pub fn apply(self) -> Result<Vec<(PathBuf, u64)>> {
        // another dist into the same directory finishes first; then the output is checked again
        let parent = self.out.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
        let _lock = RunLock::acquire(parent)?;
        // what a killed run left there is finished or undone before the output is judged
        atomic::clean_stale(parent);
        check_empty(&self.out, self.force)?;
        eprintln!("crossflake: {}", self.date.describe());
        let staged = Staged::dir(&self.out)?;
        let epoch = self.date.epoch;
        let mut graphs = HashMap::new();
        // the target directory stays locked until the executables are read
        let (built, lock) = match &self.binaries {
            Binaries::Build(plan) => {
                let built = plan.run(&Checkout::here(&self.project))?;
                (built.executables, Some(built.lock))
            }
            Binaries::Prebuilt(dirs) => {
                let mut built = Vec::new();
                for (spec, dir) in self.specs.iter().zip(dirs) {
                    let graph =
                        assemble::graph_of(&mut graphs, &self.project.root, &spec.target().triple)?;
                    built.push((
                        spec.clone(),
                        prebuilt_artifacts(&self.project, spec, graph, dir)?,
                    ));
                }
                (built, None)
            }
        };
        let mut files =
            assemble::assemble(&self.project.root, &built, &mut graphs, epoch, self.audit)?;
        // read: other runs may use the target directory (the second build has its own)
        drop(lock);
        if let (true, Binaries::Build(plan)) = (self.check_reproducible, &self.binaries) {
            let second = reproducible::second_build(plan, &self.project, epoch, self.audit)?;
            reproducible::check_same(&files, &second)?;
            eprintln!(
                "crossflake: reproducible: a second build in another checkout gave the same {} files",
                files.len()
            );
        }
        if let Some((_, key)) = &self.key {
            let mut signatures = Vec::new();
            for (name, bytes) in &files {
                let sig = sign::minisign_signature(key, name, bytes, epoch)?;
                signatures.push((format!("{name}.minisig"), sig.into_bytes()));
            }
            files.extend(signatures);
        }
        for (name, bytes) in &files {
            staged.write(name, bytes)?;
        }
        staged.commit(&self.out)?;
        Ok(files
            .iter()
            .map(|(name, bytes)| (self.out.join(name), bytes.len() as u64))
            .collect())
    }
}

/// The executables in `dir` (`--prebuilt TARGET=DIR`), each matched to the workspace member
/// whose `bin` target has its name (less the target's executable suffix).
///
/// Errors: `dir` cannot be read or holds no file; a file is no member's binary.
fn prebuilt_artifacts(
    project: &Project,
    spec: &TargetSpec,
    graph: &Graph,
    dir: &Path,
) -> Result<Vec<Artifact>> {
    let suffix = &spec.target().exe_suffix;
    let mut found = Vec::new();
    if !dir.is_dir() {
        bail!(
            "--prebuilt {}={}: no such directory (a build of a library-only package has no bin/)",
            spec.key(),
            dir.display()
        );
    }
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "--prebuilt {}={}: cannot read the directory",
            spec.key(),
            dir.display()
        )
    })?;
    for e in entries {
        let path = e?.path();
        if !path.is_file() {
            continue;
        }
        let name = assemble::file_name(&path);
        let bin = name.strip_suffix(suffix.as_str()).unwrap_or(&name);
        let package = graph.member_with_bin(bin).with_context(|| {
            format!(
                "--prebuilt {}={}: {name} is not a binary of any package of {}",
                spec.key(),
                dir.display(),
                project.manifest_path.display()
            )
        })?;
        found.push(Artifact {
            package_id: package.id.clone(),
            path,
        });
    }
    if found.is_empty() {
        bail!(
            "--prebuilt {}={}: no executable in it",
            spec.key(),
            dir.display()
        );
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}
