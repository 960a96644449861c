//! `crossflake oci build`: reproducible OCI image layouts from static binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::atomic::Staged;
use crate::catalog::{OciPlatform, Target, TargetSpec, catalog};
use crate::cli::{OciAction, OciArgs, OciBuildArgs};
use crate::oci::{self, ImageSpec, PlatformBinary};
use crate::project::{Project, ProjectConfig};
use crate::verify;

/// Runs `crossflake oci ...`.
pub fn run(args: OciArgs) -> Result<()> {
    match args.action {
        OciAction::Build(b) => build(b),
    }
}

/// The catalog target whose OCI platform is `written`: an alias or triple (`aarch64-musl`)
/// or an OCI platform (`linux/arm64`, `linux/arm/v7`).
pub fn platform_target(written: &str) -> Result<(&'static str, &'static Target)> {
    let cat = catalog();
    let with_oci = || cat.targets.iter().filter(|(_, t)| t.oci.is_some());
    let found = if written.contains('/') {
        with_oci().find(|(_, t)| t.oci.as_ref().is_some_and(|p| p.to_string() == written))
    } else {
        let (name, _) = crate::catalog::split_glibc_suffix(written);
        cat.targets
            .iter()
            .find(|(a, t)| *a == name || t.triple == name)
    };
    match found {
        Some((alias, t)) if t.oci.is_some() => Ok((alias.as_str(), t)),
        Some((alias, t)) => bail!(
            "{alias} ({}) has no OCI platform: images are built from static linux binaries; \
             platforms: {}",
            t.triple,
            platforms()
        ),
        None => bail!("unknown platform `{written}`; platforms: {}", platforms()),
    }
}

fn platforms() -> String {
    catalog()
        .targets
        .iter()
        .filter_map(|(a, t)| t.oci.as_ref().map(|p| format!("{p} ({a})")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a binary against its platform with the same reader as `crossflake verify`.
fn check_binary(alias: &str, path: &Path, bytes: &[u8], allow_dynamic: bool) -> Result<()> {
    let spec: TargetSpec = catalog().resolve(alias)?;
    let (_, checks) = verify::check(&spec, bytes);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !(c.ok || allow_dynamic && c.claim == "static"))
        .map(|c| format!("{}: {}", c.claim, c.detail))
        .collect();
    if !failed.is_empty() {
        let hint = if failed.iter().any(|f| f.starts_with("static")) {
            "; an image built from scratch has no shared libraries for it to load (pass --allow-dynamic to build it anyway)"
        } else {
            ""
        };
        bail!(
            "{} is not a {} binary for {}: {}{hint}",
            path.display(),
            spec.target()
                .oci
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            alias,
            failed.join("; ")
        );
    }
    Ok(())
}

fn key_value(s: &str, what: &str) -> Result<(String, String)> {
    let (k, v) = s
        .split_once('=')
        .with_context(|| format!("{what} `{s}` is not KEY=VALUE"))?;
    if k.is_empty() {
        bail!("{what} `{s}` has an empty key");
    }
    Ok((k.to_string(), v.to_string()))
}

/// A binary for one platform, as given or found, before it is read.
struct Input {
    platform: OciPlatform,
    alias: &'static str,
    path: PathBuf,
}

fn build(args: OciBuildArgs) -> Result<()> {
    // the project gives defaults; with explicit binaries it is optional
    let project = match Project::load(args.manifest_path.as_deref()) {
        Ok(p) => Some(p),
        Err(e) if args.binaries.is_empty() || args.manifest_path.is_some() => return Err(e),
        Err(_) => None,
    };
    let config = match &project {
        Some(p) => p.config()?,
        None => None,
    };
    let image_config = config.as_ref().and_then(|c| c.image.clone());
    let inputs = match &project {
        Some(project) if args.binaries.is_empty() => project_inputs(project, config.as_ref())?,
        None if args.binaries.is_empty() => bail!("no --binary given and no project"),
        _ => given_inputs(&args.binaries)?,
    };
    let binaries = read_binaries(&inputs, args.allow_dynamic)?;
    let binary_name = match &image_config {
        Some(i) if args.binaries.is_empty() => i.entrypoint.clone(),
        _ => inputs[0]
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .context("a --binary path has no file name")?,
    };
    let ca_bundle = match &args.ca_bundle {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("failed to read the CA bundle {}", p.display()))?,
        ),
        None => None,
    };
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse::<u64>()
            .with_context(|| format!("SOURCE_DATE_EPOCH=`{s}` is not a number of seconds"))?,
        Err(_) => 0,
    };
    let name = args
        .name
        .clone()
        .or_else(|| image_config.as_ref().map(|i| i.name.clone()))
        .unwrap_or_else(|| binary_name.clone());
    let spec = ImageSpec {
        tag: args.tag.clone(),
        binary_name,
        entrypoint: args.entrypoint.clone(),
        ca_bundle,
        labels: args
            .labels
            .iter()
            .map(|l| key_value(l, "--label"))
            .collect::<Result<BTreeMap<_, _>>>()?,
        annotations: annotations(&args, project.as_ref(), name, epoch),
        epoch,
    };
    let mut referrers: Vec<oci::Referrer> = Vec::new();
    for s in &args.sboms {
        let r = sbom_referrer(s)?;
        if let Some(p) = &r.platform
            && !binaries.iter().any(|b| &b.platform == p)
        {
            bail!(
                "--sbom {s}: the image has no {p} binary; its platforms: {}",
                binaries
                    .iter()
                    .map(|b| b.platform.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        // the same SBOM for the same subject twice is one referrer
        if !referrers
            .iter()
            .any(|x| x.platform == r.platform && x.sbom == r.sbom)
        {
            referrers.push(r);
        }
    }
    let output = args
        .output
        .as_deref()
        .map(std::path::absolute)
        .transpose()?;
    let archive = args
        .archive
        .as_deref()
        .map(std::path::absolute)
        .transpose()?;
    check_destinations(output.as_deref(), archive.as_deref(), args.force)?;
    let summary = write_output(output.as_deref(), archive.as_deref(), spec.epoch, || {
        oci::build_layout(&spec, &binaries, &referrers)
    })?;
    let written: Vec<String> = [
        output.map(|o| format!("oci:{}", o.display())),
        archive.map(|a| format!("oci-archive:{}", a.display())),
    ]
    .into_iter()
    .flatten()
    .collect();
    println!(
        "{}: {} ({} platform(s)), tag {}",
        written.join(" and "),
        summary.digest,
        summary.manifests.len(),
        spec.tag
    );
    for (platform, digest, layer) in &summary.manifests {
        println!("  {platform:<14} {digest}  layer {layer} bytes");
    }
    for (subject, referrer) in &summary.referrers {
        println!("  SBOM {referrer} refers to {subject}");
    }
    Ok(())
}

/// A `--sbom [PLATFORM=]FILE` argument, read and checked to be CycloneDX JSON.
fn sbom_referrer(written: &str) -> Result<oci::Referrer> {
    // PLATFORM=FILE, unless the whole argument is a file that exists (a name with `=`)
    let (platform, path) = match written.split_once('=') {
        Some((p, path)) if !Path::new(written).is_file() => {
            let (_, t) = platform_target(p).with_context(|| {
                format!("--sbom {written}: `{p}` is not a platform of the catalog")
            })?;
            (t.oci.clone(), Path::new(path))
        }
        _ => (None, Path::new(written)),
    };
    let sbom = std::fs::read(path)
        .with_context(|| format!("--sbom: failed to read {}", path.display()))?;
    let format = serde_json::from_slice::<serde_json::Value>(&sbom)
        .ok()
        .and_then(|v| {
            v.get("bomFormat")
                .and_then(|f| f.as_str())
                .map(str::to_string)
        });
    if format.as_deref() != Some("CycloneDX") {
        bail!(
            "--sbom: {} is not a CycloneDX JSON document (no \"bomFormat\": \"CycloneDX\"); \
             `crossflake dist` writes one per archive as NAME-TRIPLE-vVERSION.cdx.json",
            path.display()
        );
    }
    Ok(oci::Referrer {
        platform,
        title: path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        sbom,
    })
}

/// The project's static linux targets, from where `crossflake build` left their binaries.
fn project_inputs(project: &Project, config: Option<&ProjectConfig>) -> Result<Vec<Input>> {
    let image = config.and_then(|c| c.image.as_ref()).with_context(|| {
        format!(
            "{} has no [{}.image] table; pass --binary PLATFORM=PATH, or run `crossflake init --oci`",
            project.manifest_path.display(),
            project.metadata_key()
        )
    })?;
    let profile = crate::prepare::default_profile(Some(&project.manifest_path));
    let profile_dir = if profile == "dev" { "debug" } else { &profile };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project.root.join("target"));
    let mut inputs = Vec::new();
    for spec in config.map(|c| c.targets.clone()).unwrap_or_default() {
        let t = spec.target();
        let Some(platform) = t.oci.clone() else {
            continue;
        };
        let path = target_dir
            .join(&t.triple)
            .join(profile_dir)
            .join(format!("{}{}", image.entrypoint, t.exe_suffix));
        if !path.is_file() {
            bail!(
                "{} is missing; build it first with `crossflake build --target {}`",
                path.display(),
                spec.alias
            );
        }
        let (alias, _) = platform_target(&spec.alias)?;
        inputs.push(Input {
            platform,
            alias,
            path,
        });
    }
    if inputs.is_empty() {
        bail!(
            "the project lists no static linux targets to build images from; add one with `crossflake target add aarch64-musl`"
        );
    }
    Ok(inputs)
}

/// `--binary PLATFORM=PATH` arguments, one per platform.
fn given_inputs(binaries: &[String]) -> Result<Vec<Input>> {
    let mut inputs: Vec<Input> = Vec::new();
    for b in binaries {
        let (platform, path) = b.split_once('=').with_context(|| {
            format!("--binary `{b}` is not PLATFORM=PATH (e.g. linux/arm64=./app)")
        })?;
        let (alias, t) = platform_target(platform)?;
        let platform = t.oci.clone().expect("platform targets have one");
        if inputs.iter().any(|i| i.platform == platform) {
            bail!("two binaries for {platform}; give one per platform");
        }
        inputs.push(Input {
            platform,
            alias,
            path: PathBuf::from(path),
        });
    }
    Ok(inputs)
}

/// Reads each binary and checks it against its platform.
fn read_binaries(inputs: &[Input], allow_dynamic: bool) -> Result<Vec<PlatformBinary>> {
    inputs
        .iter()
        .map(|i| {
            let bytes = std::fs::read(&i.path)
                .with_context(|| format!("failed to read {}", i.path.display()))?;
            check_binary(i.alias, &i.path, &bytes, allow_dynamic)?;
            Ok(PlatformBinary {
                platform: i.platform.clone(),
                binary: bytes,
            })
        })
        .collect()
}

/// The `org.opencontainers.image.*` annotations (image-spec annotations.md): created (the
/// epoch), title, and source, version and licenses (given, else Cargo.toml's package
/// `repository`, `version`, `license`) and revision (given, else the project's git HEAD)
/// when known.
fn annotations(
    args: &OciBuildArgs,
    project: Option<&Project>,
    title: String,
    epoch: u64,
) -> BTreeMap<String, String> {
    let package_str = |k: &str| {
        project
            .and_then(|p| p.doc.get("package"))
            .and_then(|t| t.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "org.opencontainers.image.created".to_string(),
        oci::rfc3339(epoch),
    );
    annotations.insert("org.opencontainers.image.title".to_string(), title);
    for (key, value) in [
        (
            "source",
            args.source.clone().or_else(|| package_str("repository")),
        ),
        (
            "revision",
            args.revision
                .clone()
                .or_else(|| project.and_then(|p| git_head(&p.root))),
        ),
        (
            "licenses",
            args.licenses.clone().or_else(|| package_str("license")),
        ),
        (
            "version",
            args.image_version
                .clone()
                .or_else(|| package_str("version")),
        ),
    ] {
        if let Some(v) = value {
            annotations.insert(format!("org.opencontainers.image.{key}"), v);
        }
    }
    annotations
}

/// Refuses destinations that would be clobbered or could not both be written.
///
/// Errors: `output` is a file, or a non-empty directory without `force`; `archive` is a
/// directory, an existing file without `force`, or inside `output` (which replacing the
/// layout would remove).
fn check_destinations(output: Option<&Path>, archive: Option<&Path>, force: bool) -> Result<()> {
    if let (Some(out), Some(a)) = (output, archive)
        && a.starts_with(out)
    {
        bail!(
            "--archive {} is inside --output {}: write the tar beside the layout",
            a.display(),
            out.display()
        );
    }
    if let Some(out) = output {
        if out.exists() && !out.is_dir() {
            bail!("{} exists and is not a directory", out.display());
        }
        let non_empty = out.is_dir() && std::fs::read_dir(out)?.next().is_some();
        if non_empty && !force {
            bail!(
                "{} exists and is not empty; pass --force to replace it",
                out.display()
            );
        }
    }
    if let Some(a) = archive {
        if a.is_dir() {
            bail!(
                "--archive {} is a directory; name the tar file to write",
                a.display()
            );
        }
        if a.exists() && !force {
            bail!("{} exists; pass --force to replace it", a.display());
        }
    }
    Ok(())
}

/// Builds the layout (`build`) and writes it to the directory `output` and/or the oci-archive
/// tar `archive` (checked by [`check_destinations`]), all at once: each is staged beside its
/// destination and both are renamed into place only when both are written ([`atomic`]), so a
/// failure, or a kill, leaves the old ones as they were. Returns what `build` returned.
///
/// Errors: a directory cannot be created or a file written.
fn write_output(
    output: Option<&Path>,
    archive: Option<&Path>,
    epoch: u64,
    build: impl FnOnce() -> Result<(oci::Layout, oci::LayoutSummary)>,
) -> Result<oci::LayoutSummary> {
    if let Some(parent) = archive.and_then(Path::parent) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
    }
    // staged before the layers are compressed: a run killed meanwhile leaves only the staging
    // entry, which the next run removes
    let staged_dir = output
        .map(|out| Staged::dir(out).map(|s| (s, out)))
        .transpose()?;
    let (layout, summary) = build()?;
    if let Some((staged, _)) = &staged_dir {
        layout.write_dir(staged.path())?;
    }
    let staged_archive = match archive {
        Some(a) => Some((Staged::file(a, &layout.archive(epoch)?, 0o644)?, a)),
        None => None,
    };
    if let Some((staged, out)) = staged_dir {
        staged.commit(out)?;
    }
    if let Some((staged, a)) = staged_archive {
        staged.commit(a)?;
    }
    Ok(summary)
}

/// The commit `root`'s git HEAD names (40 hex digits), or `None` outside git or when a
/// tracked file has changes (as a flake's `self.rev` is null for a dirty tree; untracked files
/// do not count).
fn git_head(root: &Path) -> Option<String> {
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()
        .ok()?;
    if !status.status.success() || !status.stdout.is_empty() {
        return None;
    }
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    let head = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !head.is_empty()).then_some(head)
}
