//! `crossflake dist`: build the project's targets and write release archives, SHA256SUMS and
//! crossflake-dist.json, all at once ([`crate::atomic`]).

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::atomic::Staged;
use crate::catalog::{TargetSpec, catalog};
use crate::cli::DistArgs;
use crate::dist::{
    self, Entry, Format, Graph, Manifest, ManifestArtifact, ManifestBinary, archive_stem,
    sha256_hex,
};
use crate::prepare::{Artifact, default_profile, project_targets};
use crate::project::Project;
use crate::verify;

/// Runs `crossflake dist`.
pub fn run(args: DistArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let host = catalog().current_host()?.to_string();
    let prebuilt = args
        .prebuilt
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(t, d)| !t.is_empty() && !d.is_empty())
                .map(|(t, d)| (t.to_string(), PathBuf::from(d)))
                .with_context(|| format!("--prebuilt `{p}` is not TARGET=DIR"))
        })
        .collect::<Result<Vec<_>>>()?;
    let named: Vec<String> = if prebuilt.is_empty() {
        args.targets.clone()
    } else {
        prebuilt.iter().map(|(t, _)| t.clone()).collect()
    };
    let mut specs = project_targets(&project, &named)?;
    if named.is_empty() {
        // the project's targets: those this host can build (darwin needs a Mac)
        let (here, elsewhere): (Vec<_>, Vec<_>) = specs
            .into_iter()
            .partition(|s| s.target().build_hosts.contains(&host));
        for s in &elsewhere {
            eprintln!(
                "crossflake: skipping {}: it does not build on {host} (it builds on {})",
                s.key(),
                s.target().build_hosts.join(", ")
            );
        }
        if here.is_empty() {
            bail!("none of the project's targets builds on {host}; pass --target");
        }
        specs = here;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| project.root.join("target/dist"));
    let out = std::path::absolute(&out)
        .with_context(|| format!("cannot resolve --out {}", out.display()))?;
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    if real(&project.root).starts_with(real(&out)) {
        bail!(
            "--out {} holds the project itself; give a directory of its own (default: target/dist)",
            out.display()
        );
    }
    let mut triples: Vec<(&str, String)> = Vec::new();
    for s in &specs {
        if let Some((_, other)) = triples.iter().find(|t| t.0 == s.target().triple) {
            let fix = if prebuilt.is_empty() {
                "dist them one at a time with --target and --out"
            } else {
                "give one of them to --prebuilt, the other to a second dist with another --out"
            };
            bail!(
                "{other} and {} are one target triple ({}): cargo builds one of them into one directory and their archives would have one name; {fix}",
                s.key(),
                s.target().triple
            );
        }
        triples.push((&s.target().triple, s.key()));
    }
    if !args.force && out.is_dir() && std::fs::read_dir(&out)?.next().is_some() {
        bail!(
            "{} exists and is not empty; pass --force to replace it, or --out DIR",
            out.display()
        );
    }
    if args.check_reproducible {
        clean_work_tree(&project.root)?;
    }
    let key = match &args.sign {
        Some(path) => Some(dist::signing_key(
            path,
            std::env::var("CROSSFLAKE_MINISIGN_PASSWORD").ok(),
            std::io::stdin().is_terminal(),
        )?),
        None => None,
    };
    let (epoch, epoch_from) = dist::source_date_epoch(&project.root)?;
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| default_profile(Some(&project.manifest_path)));

    // cargo metadata per triple, run once
    let mut graphs: HashMap<String, Graph> = HashMap::new();
    let built = if prebuilt.is_empty() {
        super::build::build(
            &project,
            &specs,
            &profile,
            args.build_std,
            !args.no_audit,
            &args.cargo_args,
        )?
    } else {
        let mut built = Vec::new();
        for (spec, (_, dir)) in specs.iter().zip(&prebuilt) {
            let graph = graph_of(&mut graphs, &project, &spec.target().triple)?;
            built.push((
                spec.clone(),
                prebuilt_artifacts(&project, spec, graph, dir)?,
            ));
        }
        built
    };

    let files = assemble(&project, &built, &mut graphs, epoch, !args.no_audit)?;
    if args.check_reproducible {
        let second = second_build(&project, &args, &specs, &profile, epoch)?;
        check_same(&files, &second)?;
        eprintln!(
            "crossflake: reproducible: a second build in another checkout gave the same {} files",
            files.len()
        );
    }

    let mut files = files;
    if let Some(key) = &key {
        let mut signatures = Vec::new();
        for (name, bytes) in &files {
            let sig = dist::minisign_signature(key, name, bytes, epoch)?;
            signatures.push((format!("{name}.minisig"), sig.into_bytes()));
        }
        files.extend(signatures);
    }

    let staged = Staged::dir(&out)?;
    for (name, bytes) in &files {
        std::fs::write(staged.path().join(name), bytes)
            .with_context(|| format!("failed to write {name} in {}", out.display()))?;
    }
    staged.commit(&out)?;
    eprintln!("crossflake: source date {epoch} (from {epoch_from})");
    for (name, bytes) in &files {
        println!("{}\t{} bytes", out.join(name).display(), bytes.len());
    }
    Ok(())
}

/// The package graph of `triple` ([`Graph::load`]), loaded on first use and kept in `graphs`.
fn graph_of<'a>(
    graphs: &'a mut HashMap<String, Graph>,
    project: &Project,
    triple: &str,
) -> Result<&'a Graph> {
    if !graphs.contains_key(triple) {
        graphs.insert(triple.to_string(), Graph::load(&project.root, triple)?);
    }
    Ok(&graphs[triple])
}

/// Every file of the dist, in memory: the archives, with `audit` a CycloneDX SBOM beside each
/// (`{archive stem}.cdx.json`), SHA256SUMS (of both), crossflake-dist.json.
fn assemble(
    project: &Project,
    built: &[(TargetSpec, Vec<Artifact>)],
    graphs: &mut HashMap<String, Graph>,
    epoch: u64,
    audit: bool,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut artifacts = Vec::new();
    for (spec, exes) in built {
        let triple = spec.target().triple.clone();
        let graph = graph_of(graphs, project, &triple)?;
        let mut by_package: BTreeMap<&str, Vec<&Artifact>> = BTreeMap::new();
        for a in exes {
            by_package.entry(&a.package_id).or_default().push(a);
        }
        if by_package.is_empty() {
            bail!(
                "cargo built no executable for {}: `crossflake dist` ships binaries (a library-only package has none)",
                spec.key()
            );
        }
        for (id, exes) in by_package {
            let package = graph
                .package(id)
                .with_context(|| format!("cargo built {id}, which cargo metadata does not list"))?;
            let (name, bytes, artifact) = archive(project, spec, graph, package, &exes, epoch)?;
            if audit {
                // the package's binaries share its dependency tree: the first one's will do
                let sbom = dist::sbom(&read(&exes[0].path)?).with_context(|| {
                    format!(
                        "cannot write the SBOM of {} (a binary built without cargo-auditable has no data for one: pass --no-audit)",
                        exes[0].path.display()
                    )
                })?;
                let sbom_name = format!(
                    "{}.cdx.json",
                    archive_stem(&package.name, &triple, &package.version)
                );
                artifacts.push(ManifestArtifact {
                    kind: "sbom".into(),
                    path: sbom_name.clone(),
                    size: sbom.len() as u64,
                    sha256: sha256_hex(&sbom),
                    binaries: vec![],
                    dependencies_without_licence_text: vec![],
                    ..artifact.clone()
                });
                files.push((sbom_name, sbom));
            }
            artifacts.push(artifact);
            files.push((name, bytes));
        }
    }
    let sums = dist::sha256sums(&files);
    artifacts.push(ManifestArtifact {
        kind: "checksums".into(),
        path: "SHA256SUMS".into(),
        size: sums.len() as u64,
        sha256: sha256_hex(sums.as_bytes()),
        target: None,
        triple: None,
        package: None,
        version: None,
        binaries: vec![],
        dependencies_without_licence_text: vec![],
    });
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        schema: 1,
        source_date_epoch: epoch,
        artifacts,
    };
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    files.push(("SHA256SUMS".into(), sums.into_bytes()));
    files.push(("crossflake-dist.json".into(), json));
    Ok(files)
}

/// The git work tree holding `root`, after checking that it has no uncommitted changes.
///
/// Errors: `root` is not in a git work tree, or the tree has changes (`git status --porcelain`).
fn clean_work_tree(root: &Path) -> Result<PathBuf> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .context("failed to run git")
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        bail!(
            "--check-reproducible builds the last commit a second time, in a clone: {} is not in a git work tree",
            root.display()
        );
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let status = git(&["status", "--porcelain"])?;
    let changes = String::from_utf8_lossy(&status.stdout).to_string();
    if !status.status.success() || !changes.trim().is_empty() {
        bail!(
            "{} has uncommitted changes; --check-reproducible compares with a clone of the last commit, so commit or stash them first:\n{}",
            top.display(),
            changes.trim_end()
        );
    }
    Ok(top)
}

/// Builds the dist again from a clone of HEAD at another path, with another HOME and
/// CARGO_HOME (its registry and git sources linked to this one's, so nothing is downloaded),
/// umask 077, one build job and its own target directory; returns its files. The toolchain
/// (RUSTUP_HOME) and the zig and crossflake caches stay this build's.
///
/// Errors: the clone or the second `crossflake dist` fails (the second build's output goes to
/// this process's stdout and stderr as it runs).
fn second_build(
    project: &Project,
    args: &DistArgs,
    specs: &[TargetSpec],
    profile: &str,
    epoch: u64,
) -> Result<Vec<(String, Vec<u8>)>> {
    let top = clean_work_tree(&project.root)?;
    let tmp = tempfile::Builder::new()
        .prefix("crossflake-reproducible-")
        .tempdir()
        .context("failed to create a temporary directory")?;
    let checkout = tmp.path().join("second-checkout");
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(&top)
        .arg(&checkout)
        .output()
        .context("failed to run git clone")?;
    if !out.status.success() {
        bail!(
            "git clone of {} failed: {}",
            top.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cargo"));
    let new_home = tmp.path().join("home");
    let new_cargo_home = tmp.path().join("cargo-home");
    std::fs::create_dir_all(&new_home)?;
    std::fs::create_dir_all(&new_cargo_home)?;
    for shared in ["registry", "git", "config.toml", "config", "bin"] {
        if cargo_home.join(shared).exists() {
            std::os::unix::fs::symlink(cargo_home.join(shared), new_cargo_home.join(shared))?;
        }
    }
    let manifest = project.manifest_path.canonicalize()?;
    let rel = manifest.strip_prefix(&top).with_context(|| {
        format!(
            "{} is not inside the git work tree {}",
            manifest.display(),
            top.display()
        )
    })?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("dist")
        .arg("--manifest-path")
        .arg(checkout.join(rel))
        .arg("--out")
        .arg(tmp.path().join("dist"))
        .args(["--profile", profile]);
    for s in specs {
        cmd.args(["--target", &s.key()]);
    }
    if args.build_std {
        cmd.arg("--build-std");
    }
    if args.no_audit {
        cmd.arg("--no-audit");
    }
    if !args.cargo_args.is_empty() {
        cmd.arg("--").args(&args.cargo_args);
    }
    cmd.current_dir(checkout.join(rel).parent().unwrap_or(&checkout))
        .env("HOME", &new_home)
        .env("CARGO_HOME", &new_cargo_home)
        .env(
            "RUSTUP_HOME",
            std::env::var_os("RUSTUP_HOME").unwrap_or_else(|| home.join(".rustup").into()),
        )
        .env(
            "XDG_CACHE_HOME",
            std::env::var_os("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache").into()),
        )
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .env("CARGO_BUILD_JOBS", "1")
        .env_remove("CARGO_TARGET_DIR");
    // SAFETY: umask is async-signal-safe and touches only the child's own state.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    eprintln!(
        "crossflake: building again in {} (another HOME and CARGO_HOME, umask 077, one job)",
        checkout.display()
    );
    let status = cmd
        .status()
        .context("failed to run the second crossflake dist")?;
    if !status.success() {
        bail!(
            "the second build, in {}, failed ({status})",
            checkout.display()
        );
    }
    let mut files = Vec::new();
    for e in std::fs::read_dir(tmp.path().join("dist"))? {
        let e = e?;
        files.push((
            e.file_name().to_string_lossy().to_string(),
            std::fs::read(e.path())?,
        ));
    }
    Ok(files)
}

/// Compares the two builds' files; on a difference names the first file, the first archive
/// entry and, for a binary, the first section that differ (and diffoscope's report on the two
/// binaries when diffoscope is on PATH).
///
/// Errors: the builds differ.
fn check_same(first: &[(String, Vec<u8>)], second: &[(String, Vec<u8>)]) -> Result<()> {
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    let (mut a, mut b) = (names(first), names(second));
    a.sort();
    b.sort();
    if a != b {
        bail!("not reproducible: the second build wrote {b:?}, the first {a:?}");
    }
    for (name, bytes) in first {
        let other = &second.iter().find(|f| &f.0 == name).expect("same names").1;
        if bytes == other {
            continue;
        }
        let Some(format) = [Format::TarGz, Format::Zip]
            .into_iter()
            .find(|f| name.ends_with(f.suffix()))
        else {
            continue; // SHA256SUMS and the manifest follow from the archives
        };
        let (ea, eb) = (
            dist::read_archive(format, bytes)?,
            dist::read_archive(format, other)?,
        );
        for (path, content) in &ea {
            let Some((_, theirs)) = eb.iter().find(|e| &e.0 == path) else {
                bail!("not reproducible: {path} is in the first build's {name} only");
            };
            if content == theirs {
                continue;
            }
            let mut report = format!(
                "not reproducible: {name}: {path} differs between the two builds: {}",
                dist::first_difference(content, theirs)
            );
            if let Some(summary) = diffoscope(path, content, theirs) {
                report.push_str("\ndiffoscope:\n");
                report.push_str(&summary);
            }
            bail!(report);
        }
        bail!("not reproducible: {name} differs between the two builds (entry order or metadata)");
    }
    // the archives are the same, so anything else that differs is crossflake's own doing
    for (name, bytes) in first {
        if second.iter().any(|f| &f.0 == name && &f.1 != bytes) {
            bail!("not reproducible: {name} differs between the two builds");
        }
    }
    Ok(())
}

/// diffoscope's text report on two versions of a file, first 60 lines; None without diffoscope.
fn diffoscope(name: &str, a: &[u8], b: &[u8]) -> Option<String> {
    let tool = which::which("diffoscope").ok()?;
    let dir = tempfile::tempdir().ok()?;
    let file = Path::new(name).file_name()?.to_owned();
    let (pa, pb) = (dir.path().join("first"), dir.path().join("second"));
    std::fs::create_dir_all(&pa).ok()?;
    std::fs::create_dir_all(&pb).ok()?;
    std::fs::write(pa.join(&file), a).ok()?;
    std::fs::write(pb.join(&file), b).ok()?;
    let out = Command::new(tool)
        .args(["--no-progress", "--text", "-"])
        .arg(pa.join(&file))
        .arg(pb.join(&file))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().take(60).collect::<Vec<_>>().join("\n"))
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
        let name = file_name(&path);
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

/// One package's archive for one target: its binaries (each proven by `crossflake verify`), its
/// README and licence files (the workspace root's licence files when the package has none), and
/// the licence files of the crates linked into it under `licenses/{name}-{version}/`.
///
/// Errors: a binary fails verify (nothing is written), a file cannot be read.
fn archive(
    project: &Project,
    spec: &TargetSpec,
    graph: &Graph,
    package: &dist::Package,
    exes: &[&Artifact],
    epoch: u64,
) -> Result<(String, Vec<u8>, ManifestArtifact)> {
    let triple = &spec.target().triple;
    let format = Format::for_os(&spec.target().os);
    let stem = archive_stem(&package.name, triple, &package.version);
    let mut entries = Vec::new();
    let mut binaries = Vec::new();
    for exe in exes {
        let report = verify::verify_file(spec, &exe.path)?;
        if !report.ok {
            let failed: Vec<String> = report
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("{}: {}", c.claim, c.detail))
                .collect();
            bail!(
                "{} is not what {} promises ({}); no archive was written",
                exe.path.display(),
                spec.key(),
                failed.join("; ")
            );
        }
        let content = read(&exe.path)?;
        let path = file_name(&exe.path);
        binaries.push(ManifestBinary {
            path: format!("{stem}/{path}"),
            size: content.len() as u64,
            sha256: sha256_hex(&content),
            verified: report.ok,
            facts: report.facts,
            checks: report.checks,
        });
        entries.push(Entry {
            path,
            content,
            executable: true,
        });
    }
    let own = dist::doc_files(&package.dir);
    let has_licence = own.iter().any(|p| dist::is_licence(&file_name(p)));
    let mut docs = own;
    if !has_licence && package.dir != project.root {
        docs.extend(
            dist::doc_files(&project.root)
                .into_iter()
                .filter(|p| dist::is_licence(&file_name(p))),
        );
    }
    for p in docs {
        entries.push(Entry {
            path: file_name(&p),
            content: read(&p)?,
            executable: false,
        });
    }
    let mut without = Vec::new();
    for dep in graph.linked(&package.id) {
        let texts: Vec<PathBuf> = dist::doc_files(&dep.dir)
            .into_iter()
            .filter(|p| dist::is_licence(&file_name(p)))
            .collect();
        if texts.is_empty() {
            without.push(format!(
                "{} {} ({})",
                dep.name,
                dep.version,
                dep.license.as_deref().unwrap_or("no licence given")
            ));
        }
        for p in texts {
            entries.push(Entry {
                path: format!("licenses/{}-{}/{}", dep.name, dep.version, file_name(&p)),
                content: read(&p)?,
                executable: false,
            });
        }
    }
    let bytes = dist::write_archive(format, &stem, &entries, epoch)?;
    let name = format!("{stem}{}", format.suffix());
    let artifact = ManifestArtifact {
        kind: "archive".into(),
        path: name.clone(),
        size: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        target: Some(spec.key()),
        triple: Some(triple.clone()),
        package: Some(package.name.clone()),
        version: Some(package.version.clone()),
        binaries,
        dependencies_without_licence_text: without,
    };
    Ok((name, bytes, artifact))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}
