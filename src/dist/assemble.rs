//! A dist's files, in memory: one archive per package and target (its binaries, each proven
//! by `crossflake verify`, README and licence files, and the licence texts of the crates
//! linked into it), a CycloneDX SBOM beside each, SHA256SUMS, crossflake-dist.json.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::graph::{Graph, Package};
use super::manifest::{Manifest, ManifestArtifact, ManifestBinary, sha256_hex, sha256sums};
use crate::archive::{self, Format};
use crate::catalog::TargetSpec;
use crate::pipeline::{self, Artifact};

/// The name of a package's archive for a target, without the suffix, which is also the
/// directory inside it: `{name}-{triple}-v{version}` (binstall's default; the triple without
/// a glibc floor).
pub fn archive_stem(name: &str, triple: &str, version: &str) -> String {
    format!("{name}-{triple}-v{version}")
}

/// The package graph of `triple` ([`Graph::load`]), loaded on first use and kept in `graphs`.
pub fn graph_of<'a>(
    graphs: &'a mut HashMap<String, Graph>,
    root: &Path,
    triple: &str,
) -> Result<&'a Graph> {
    if !graphs.contains_key(triple) {
        graphs.insert(triple.to_string(), Graph::load(root, triple)?);
    }
    Ok(&graphs[triple])
}

/// Every file of the dist, in memory: the archives, with `audit` a CycloneDX SBOM beside each
/// (`{archive stem}.cdx.json`), SHA256SUMS (of both), crossflake-dist.json.
pub fn assemble(
    root: &Path,
    built: &[(TargetSpec, Vec<Artifact>)],
    graphs: &mut HashMap<String, Graph>,
    epoch: u64,
    audit: bool,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut artifacts = Vec::new();
    for (spec, exes) in built {
        let triple = spec.target().triple.clone();
        let graph = graph_of(graphs, root, &triple)?;
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
            let (name, bytes, artifact) = archive(root, spec, graph, package, &exes, epoch)?;
            if audit {
                // the package's binaries share its dependency tree: the first one's will do
                let sbom = sbom(&read(&exes[0].path)?).with_context(|| {
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
    let sums = sha256sums(&files);
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

/// One package's archive for one target: its binaries (each proven by `crossflake verify`), its
/// README and licence files (the workspace root's licence files when the package has none), and
/// the licence files of the crates linked into it under `licenses/{name}-{version}/`.
///
/// Errors: a binary fails verify (nothing is written), a file cannot be read.
fn archive(
    root: &Path,
    spec: &TargetSpec,
    graph: &Graph,
    package: &Package,
    exes: &[&Artifact],
    epoch: u64,
) -> Result<(String, Vec<u8>, ManifestArtifact)> {
    let triple = &spec.target().triple;
    let format = Format::for_os(&spec.target().os);
    let stem = archive_stem(&package.name, triple, &package.version);
    let mut entries = Vec::new();
    let mut binaries = Vec::new();
    for exe in exes {
        let report = pipeline::verified(spec, &exe.path).context("no archive was written")?;
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
        entries.push(archive::File {
            path,
            content,
            executable: true,
        });
    }
    let own = doc_files(&package.dir);
    let has_licence = own.iter().any(|p| is_licence(&file_name(p)));
    let mut docs = own;
    if !has_licence && package.dir != root {
        docs.extend(
            doc_files(root)
                .into_iter()
                .filter(|p| is_licence(&file_name(p))),
        );
    }
    for p in docs {
        entries.push(archive::File {
            path: file_name(&p),
            content: read(&p)?,
            executable: false,
        });
    }
    let mut without = Vec::new();
    for dep in graph.linked(&package.id) {
        let texts: Vec<PathBuf> = doc_files(&dep.dir)
            .into_iter()
            .filter(|p| is_licence(&file_name(p)))
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
            entries.push(archive::File {
                path: format!("licenses/{}-{}/{}", dep.name, dep.version, file_name(&p)),
                content: read(&p)?,
                executable: false,
            });
        }
    }
    let bytes = format.write(&archive::tree(Some(&stem), &entries)?, epoch)?;
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

pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// A CycloneDX 1.5 JSON SBOM of a binary, from the dependency tree `cargo auditable` embedded
/// in it (read with auditable-info, converted with auditable-cyclonedx: components with purls,
/// the dependency graph, no serial number or time stamp, so the same binary gives the same
/// bytes). It lists what was built for that binary's target: a windows binary's SBOM has
/// windows-sys where a linux one does not.
///
/// Errors: the binary holds no audit data (built without cargo-auditable), or it is malformed.
pub fn sbom(binary: &[u8]) -> Result<Vec<u8>> {
    let json = auditable_info::json_from_slice(binary, 8 * 1024 * 1024)
        .map_err(|e| anyhow::anyhow!("no cargo-auditable dependency data in the binary: {e}"))?;
    let info: auditable_cyclonedx::auditable_serde::VersionInfo =
        serde_json::from_str(&json).context("cargo-auditable's data is not what it should be")?;
    let bom = auditable_cyclonedx::auditable_to_minimal_cdx(&info);
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| anyhow::anyhow!("failed to write the CycloneDX SBOM: {e}"))?;
    out.push(b'\n');
    Ok(out)
}

/// Whether a file name is a licence text (LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE,
/// COPYRIGHT*, any case).
pub fn is_licence(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    [
        "LICENSE",
        "LICENCE",
        "COPYING",
        "NOTICE",
        "UNLICENSE",
        "COPYRIGHT",
    ]
    .iter()
    .any(|p| up.starts_with(p))
}

/// The README and licence files at the top of `dir`, sorted by name.
pub fn doc_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            is_licence(&name) || name.to_ascii_uppercase().starts_with("README")
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}
