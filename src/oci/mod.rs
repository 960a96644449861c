//! OCI images from static binaries, with no container engine: [`plan`] gathers and checks the
//! binaries, SBOMs and annotations and the destinations (nothing written), [`Image::apply`]
//! writes the layout ([`layout`]) and/or the oci-archive all at once.

pub mod layout;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use layout::{ImageSpec, Layout, LayoutSummary, PlatformBinary, Referrer};

use crate::archive::{self, SourceDate};
use crate::atomic::{self, Transaction};
use crate::catalog::{OciPlatform, Target, TargetSpec, catalog};
use crate::pipeline::{self, HostTargets};
use crate::project::{Project, ProjectConfig};
use crate::run_lock::RunLock;
use crate::verify;

/// What `crossflake oci build` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The layout directory to write.
    pub output: Option<PathBuf>,
    /// The oci-archive tar to write.
    pub archive: Option<PathBuf>,
    /// `[PLATFORM=]FILE` SBOMs to attach.
    pub sboms: Vec<String>,
    /// The image name (title annotation).
    pub name: Option<String>,
    /// The tag index.json names the image by.
    pub tag: String,
    /// `PLATFORM=PATH` binaries; empty: the project's, where `crossflake build` left them.
    pub binaries: Vec<String>,
    /// The entrypoint, one argument each.
    pub entrypoint: Vec<String>,
    /// A CA bundle to install.
    pub ca_bundle: Option<PathBuf>,
    /// `KEY=VALUE` config labels.
    pub labels: Vec<String>,
    /// org.opencontainers.image.source.
    pub source: Option<String>,
    /// org.opencontainers.image.revision.
    pub revision: Option<String>,
    /// org.opencontainers.image.version.
    pub version: Option<String>,
    /// org.opencontainers.image.licenses.
    pub licenses: Option<String>,
    /// Accept dynamically linked binaries.
    pub allow_dynamic: bool,
    /// Replace an existing layout or archive.
    pub force: bool,
    /// The profile whose binaries to take (`--profile`, `--release`).
    pub profile: Option<String>,
    /// `--release`.
    pub release: bool,
    /// The project's Cargo.toml, when given.
    pub manifest_path: Option<PathBuf>,
}

/// A planned image: binaries read and checked, SBOMs read, destinations checked; nothing written.
#[derive(Debug)]
pub struct Image {
    /// What every platform's image shares.
    pub spec: ImageSpec,
    /// The binaries, one per platform, with the path each was read from.
    pub binaries: Vec<(PlatformBinary, PathBuf)>,
    /// The SBOM referrers.
    pub referrers: Vec<Referrer>,
    /// The layout directory to write, absolute.
    pub output: Option<PathBuf>,
    /// The oci-archive to write, absolute.
    pub archive: Option<PathBuf>,
    /// Whether a non-empty layout directory or an existing archive may be replaced.
    pub force: bool,
    /// Where the date of every time stamp came from.
    pub date: SourceDate,
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

/// Plans an image from `opts`: the binaries (given, else the project's static linux targets
/// this host builds, where `crossflake build` left them), each checked against its platform
/// as `crossflake verify` checks it, the SBOMs, the annotations, the source date
/// ([`archive::source_date`] of the project, or of the working directory without one) and the
/// destinations (not clobbered without `force`, writable).
///
/// Errors: each of those checks; nothing is written.
pub fn plan(opts: &Options) -> Result<Image> {
    let (output, archive) = destinations(opts)?;
    // the project gives defaults; with explicit binaries it is optional
    let project = match Project::load(opts.manifest_path.as_deref()) {
        Ok(p) => Some(p),
        Err(e) if opts.binaries.is_empty() || opts.manifest_path.is_some() => return Err(e),
        Err(_) => None,
    };
    let config = match &project {
        Some(p) => p.config()?,
        None => None,
    };
    let image_config = config.as_ref().and_then(|c| c.image.clone());
    let (inputs, binaries) = match &project {
        Some(project) if opts.binaries.is_empty() => {
            // another crossflake run building in the target directory waits while the
            // executables are read (pipeline::TargetDirLock)
            let _lock = pipeline::TargetDirLock::acquire_if_used(
                &pipeline::Checkout::here(project).target_dir(),
            )?;
            let inputs = project_inputs(project, config.as_ref(), opts)?;
            let binaries = read_binaries(&inputs, opts.allow_dynamic)?;
            (inputs, binaries)
        }
        None if opts.binaries.is_empty() => bail!("no --binary given and no project"),
        _ => {
            let inputs = given_inputs(&opts.binaries)?;
            let binaries = read_binaries(&inputs, opts.allow_dynamic)?;
            (inputs, binaries)
        }
    };
    let binary_name = match &image_config {
        Some(i) if opts.binaries.is_empty() => i.entrypoint.clone(),
        _ => inputs[0]
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .context("a --binary path has no file name")?,
    };
    let ca_bundle = opts
        .ca_bundle
        .as_ref()
        .map(|p| {
            std::fs::read(p)
                .with_context(|| format!("failed to read the CA bundle {}", p.display()))
        })
        .transpose()?;
    let here = std::env::current_dir().context("cannot read the working directory")?;
    let date = archive::source_date(project.as_ref().map_or(here.as_path(), |p| &p.root))?;
    let name = opts
        .name
        .clone()
        .or_else(|| image_config.as_ref().map(|i| i.name.clone()))
        .unwrap_or_else(|| binary_name.clone());
    let spec = ImageSpec {
        tag: opts.tag.clone(),
        binary_name,
        entrypoint: opts.entrypoint.clone(),
        ca_bundle,
        labels: opts
            .labels
            .iter()
            .map(|l| key_value(l, "--label"))
            .collect::<Result<BTreeMap<_, _>>>()?,
        annotations: annotations(opts, project.as_ref(), name, date.epoch),
        epoch: date.epoch,
    };
    let referrers = referrers(&opts.sboms, &binaries)?;
    Ok(Image {
        spec,
        binaries: binaries
            .into_iter()
            .zip(inputs)
            .map(|(b, i)| (b, i.path))
            .collect(),
        referrers,
        output,
        archive,
        force: opts.force,
        date,
    })
}

/// The layout directory and the archive, absolute, checked ([`check_destinations`]) and
/// writable.
///
/// Errors: neither is given, or see [`check_destinations`] and [`atomic::check_writable`].
fn destinations(opts: &Options) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
    if opts.output.is_none() && opts.archive.is_none() {
        bail!(
            "nothing to write: give --output DIR (an image layout), --archive FILE (an oci-archive), or both"
        );
    }
    let output = opts
        .output
        .as_deref()
        .map(std::path::absolute)
        .transpose()?;
    let archive = opts
        .archive
        .as_deref()
        .map(std::path::absolute)
        .transpose()?;
    check_destinations(output.as_deref(), archive.as_deref(), opts.force)?;
    for dest in output.iter().chain(&archive) {
        atomic::check_writable(dest)?;
    }
    // where each is renamed from and to: the layout's parent (its staging) and the layout
    // itself when it exists (it is moved aside), the archive's directory
    let device = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        p.ancestors()
            .find_map(|d| std::fs::metadata(d).ok())
            .map(|m| m.dev())
    };
    let parent = |p: &Path| p.parent().unwrap_or(p).to_path_buf();
    if let Some(out) = &output
        && out.is_dir()
        && device(out) != device(&parent(out))
    {
        bail!(
            "--output {} is a mount point: the image replaces it by renaming, so give a \
             directory inside it",
            out.display()
        );
    }
    if let (Some(out), Some(a)) = (&output, &archive)
        && device(&parent(out)) != device(&parent(a))
    {
        bail!(
            "--output {} and --archive {} are on different file systems: they are written \
             together, so put them on one (or write them in two runs)",
            out.display(),
            a.display()
        );
    }
    Ok((output, archive))
}

/// The SBOM referrers of `--sbom` arguments, each naming a platform the image has; the same
/// SBOM for the same subject twice is one referrer.
fn referrers(sboms: &[String], binaries: &[PlatformBinary]) -> Result<Vec<Referrer>> {
    let mut referrers: Vec<Referrer> = Vec::new();
    for s in sboms {
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
        if !referrers
            .iter()
            .any(|x| x.platform == r.platform && x.sbom == r.sbom)
        {
            referrers.push(r);
        }
    }
    Ok(referrers)
}

impl Image {
    /// What [`Image::apply`] would write, one line each.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "crossflake oci build: {}, tag {}",
            self.date.describe(),
            self.spec.tag
        )];
        for (b, path) in &self.binaries {
            lines.push(format!(
                "image {} from {} ({} bytes) as /{}/{}",
                b.platform,
                path.display(),
                b.binary.len(),
                layout::BIN_DIR,
                self.spec.binary_name
            ));
        }
        for r in &self.referrers {
            let subject = r
                .platform
                .as_ref()
                .map_or("the tagged image".to_string(), |p| {
                    format!("the {p} manifest")
                });
            lines.push(format!("attach SBOM {} to {subject}", r.title));
        }
        if let Some(o) = &self.output {
            lines.push(format!(
                "write the layout oci:{}:{}",
                o.display(),
                self.spec.tag
            ));
        }
        if let Some(a) = &self.archive {
            lines.push(format!(
                "write the archive oci-archive:{}:{}",
                a.display(),
                self.spec.tag
            ));
        }
        lines
    }

    /// Builds the layout and writes it ([`write_output`]). Returns the layout's digests.
    ///
    /// Errors: see [`write_output`].
    pub fn apply(&self) -> Result<LayoutSummary> {
        let binaries: Vec<PlatformBinary> = self.binaries.iter().map(|(b, _)| b.clone()).collect();
        write_output(
            self.output.as_deref(),
            self.archive.as_deref(),
            self.force,
            self.spec.epoch,
            || layout::build_layout(&self.spec, &binaries, &self.referrers),
        )
    }
}

/// A `--sbom [PLATFORM=]FILE` argument, read and checked to be CycloneDX JSON.
fn sbom_referrer(written: &str) -> Result<Referrer> {
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
    Ok(Referrer {
        platform,
        title: path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        sbom,
    })
}

/// The project's static linux targets this host builds ([`HostTargets::images`], as the
/// flake's images), from where `crossflake build` left them for the profile.
fn project_inputs(
    project: &Project,
    config: Option<&ProjectConfig>,
    opts: &Options,
) -> Result<Vec<Input>> {
    let image = config.and_then(|c| c.image.as_ref()).with_context(|| {
        format!(
            "{} has no [{}.image] table; pass --binary PLATFORM=PATH, or run `crossflake init --oci`",
            project.manifest_path.display(),
            project.metadata_key()
        )
    })?;
    let profile = pipeline::profile(Some(project), opts.profile.as_deref(), opts.release);
    let host = catalog().current_host()?;
    let specs = config.map(|c| c.targets.clone()).unwrap_or_default();
    let mut inputs = Vec::new();
    for spec in HostTargets::split(&specs, host).images() {
        let t = spec.target();
        let Some(platform) = t.oci.clone() else {
            continue;
        };
        let path = pipeline::artifact_dir(project, &t.triple, &profile)
            .join(format!("{}{}", image.entrypoint, t.exe_suffix));
        if !path.is_file() {
            bail!(
                "{} is missing; build it first with `crossflake build --target {}{}`",
                path.display(),
                spec.alias,
                if profile == pipeline::profile(Some(project), None, false) {
                    String::new()
                } else {
                    format!(" --profile {profile}")
                }
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
    args: &Options,
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
        archive::rfc3339(epoch),
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
            args.version.clone().or_else(|| package_str("version")),
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
        let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        if let Ok(cwd) = std::env::current_dir()
            && real(&cwd).starts_with(real(out))
        {
            bail!(
                "--output {} holds the current directory, which the image would replace; give \
                 the image a directory of its own",
                out.display()
            );
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
/// tar `archive` (checked by [`check_destinations`], again once this run holds the lock on
/// their directory), all at once: both are staged in one [`Transaction`] beside `output` (or
/// `archive`) and committed together, so a failure, or a kill, leaves the old ones as they were
/// and never one new and one old. Returns what `build` returned.
///
/// Errors: a directory cannot be created or a file written, a destination is in the way, or the
/// two are on different file systems.
fn write_output(
    output: Option<&Path>,
    archive: Option<&Path>,
    force: bool,
    epoch: u64,
    build: impl FnOnce() -> Result<(Layout, LayoutSummary)>,
) -> Result<LayoutSummary> {
    let first = output.or(archive).context("no destination")?;
    let parent = first
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for dir in [Some(parent), archive.and_then(Path::parent)]
        .into_iter()
        .flatten()
    {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
    }
    let _lock = RunLock::acquire(parent)?;
    // what a killed run left there is finished or undone before the destinations are judged
    atomic::clean_stale(parent);
    check_destinations(output, archive, force)?;
    // staged before the layers are compressed: a run killed meanwhile leaves only the staging
    // entry, which the next run removes
    let mut tx = Transaction::begin(parent)?;
    let tree = output.map(|out| tx.dir(out)).transpose()?;
    let (layout, summary) = build()?;
    if let Some(tree) = &tree {
        layout.write_staged(tree)?;
    }
    if let Some(a) = archive {
        tx.file(a, &layout.archive(epoch)?, 0o644)?;
    }
    tx.commit()?;
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
