//! `crossflake dist`: build the project's targets and write release archives, SHA256SUMS and
//! crossflake-dist.json, all at once ([`crate::atomic`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

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
    let mut specs = project_targets(&project, &args.targets)?;
    if args.targets.is_empty() {
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
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    if !args.force && out.is_dir() && std::fs::read_dir(&out)?.next().is_some() {
        bail!(
            "{} exists and is not empty; pass --force to replace it, or --out DIR",
            out.display()
        );
    }
    let (epoch, epoch_from) = dist::source_date_epoch(&project.root)?;
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| default_profile(Some(&project.manifest_path)));

    let built = super::build::build(&project, &specs, &profile, args.build_std, &args.cargo_args)?;

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut artifacts = Vec::new();
    let mut graphs: HashMap<String, Graph> = HashMap::new();
    for (spec, exes) in &built {
        let triple = spec.target().triple.clone();
        if !graphs.contains_key(&triple) {
            graphs.insert(triple.clone(), Graph::load(&project.root, &triple)?);
        }
        let graph = &graphs[&triple];
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
            let (name, bytes, artifact) = archive(&project, spec, graph, package, &exes, epoch)?;
            artifacts.push(artifact);
            files.push((name, bytes));
        }
    }
    if files
        .iter()
        .map(|f| &f.0)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        != files.len()
    {
        bail!(
            "two targets give the same archive name (one triple with two glibc floors); dist one at a time with --target and --out"
        );
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

    let staged = Staged::dir(&out)?;
    for (name, bytes) in &files {
        std::fs::write(staged.path().join(name), bytes)
            .with_context(|| format!("failed to write {name} in {}", out.display()))?;
    }
    std::fs::write(staged.path().join("SHA256SUMS"), &sums)?;
    std::fs::write(staged.path().join("crossflake-dist.json"), &json)?;
    staged.commit(&out)?;
    eprintln!("crossflake: source date {epoch} (from {epoch_from})");
    for (name, bytes) in &files {
        println!("{}\t{} bytes", out.join(name).display(), bytes.len());
    }
    println!("{}", out.join("SHA256SUMS").display());
    println!("{}", out.join("crossflake-dist.json").display());
    Ok(())
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
