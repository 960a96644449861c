//! `crossflake oci build`: reproducible OCI image layouts from static binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::catalog::{OciPlatform, Target, TargetSpec, catalog};
use crate::cli::{OciAction, OciArgs, OciBuildArgs};
use crate::oci::{self, ImageSpec, PlatformBinary};
use crate::project::Project;
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

    // (platform, alias, path)
    let mut inputs: Vec<(OciPlatform, &'static str, PathBuf)> = Vec::new();
    if args.binaries.is_empty() {
        let project = project
            .as_ref()
            .context("no --binary given and no project")?;
        let image = image_config.as_ref().with_context(|| {
            format!(
                "{} has no [{}.image] table; pass --binary PLATFORM=PATH, or run `crossflake init --oci`",
                project.manifest_path.display(),
                project.metadata_key()
            )
        })?;
        let profile = super::build::default_profile(Some(&project.manifest_path));
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| project.root.join("target"));
        for spec in config
            .as_ref()
            .map(|c| c.targets.clone())
            .unwrap_or_default()
        {
            let t = spec.target();
            let Some(platform) = t.oci.clone() else {
                continue;
            };
            let dir = if profile == "dev" {
                "debug".to_string()
            } else {
                profile.clone()
            };
            let path = target_dir
                .join(&t.triple)
                .join(dir)
                .join(format!("{}{}", image.entrypoint, t.exe_suffix));
            if !path.is_file() {
                bail!(
                    "{} is missing; build it first with `crossflake build --target {}`",
                    path.display(),
                    spec.alias
                );
            }
            let (alias, _) = platform_target(&spec.alias)?;
            inputs.push((platform, alias, path));
        }
        if inputs.is_empty() {
            bail!(
                "the project lists no static linux targets to build images from; add one with `crossflake target add aarch64-musl`"
            );
        }
    } else {
        for b in &args.binaries {
            let (platform, path) = b.split_once('=').with_context(|| {
                format!("--binary `{b}` is not PLATFORM=PATH (e.g. linux/arm64=./app)")
            })?;
            let (alias, t) = platform_target(platform)?;
            inputs.push((
                t.oci.clone().expect("platform targets have one"),
                alias,
                PathBuf::from(path),
            ));
        }
    }
    let mut seen = Vec::new();
    for (p, _, _) in &inputs {
        let key = p.to_string();
        if seen.contains(&key) {
            bail!("two binaries for {key}; give one per platform");
        }
        seen.push(key);
    }

    let mut binaries = Vec::new();
    for (platform, alias, path) in &inputs {
        let bytes =
            std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        check_binary(alias, path, &bytes, args.allow_dynamic)?;
        binaries.push(PlatformBinary {
            platform: platform.clone(),
            binary: bytes,
        });
    }
    let binary_name = match &image_config {
        Some(i) if args.binaries.is_empty() => i.entrypoint.clone(),
        _ => inputs[0]
            .2
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
    let package = project.as_ref().and_then(|p| p.doc.get("package"));
    let package_str = |k: &str| {
        package
            .and_then(|t| t.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let name = args
        .name
        .clone()
        .or_else(|| image_config.as_ref().map(|i| i.name.clone()))
        .unwrap_or_else(|| binary_name.clone());
    let mut annotations = BTreeMap::new();
    let created = oci::rfc3339(epoch);
    annotations.insert("org.opencontainers.image.created".to_string(), created);
    annotations.insert("org.opencontainers.image.title".to_string(), name);
    for (key, value) in [
        (
            "source",
            args.source.clone().or_else(|| package_str("repository")),
        ),
        ("revision", args.revision.clone()),
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
    let labels = args
        .labels
        .iter()
        .map(|l| key_value(l, "--label"))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let spec = ImageSpec {
        tag: args.tag.clone(),
        binary_name,
        entrypoint: args.entrypoint.clone(),
        ca_bundle,
        labels,
        annotations,
        epoch,
    };

    let out = std::path::absolute(&args.output)?;
    let non_empty = out.is_dir() && std::fs::read_dir(&out)?.next().is_some();
    if out.exists() && !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    if non_empty && !args.force {
        bail!(
            "{} exists and is not empty; pass --force to replace it",
            out.display()
        );
    }
    let parent = out.parent().context("the output directory has no parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("failed to create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".crossflake-oci-")
        .tempdir_in(parent)
        .with_context(|| format!("failed to write in {}", parent.display()))?;
    let summary = oci::write_layout(staging.path(), &spec, &binaries)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))?;
    let staged = staging.keep();
    if out.exists() {
        let old = parent.join(format!(".crossflake-oci-old-{}", std::process::id()));
        std::fs::rename(&out, &old)
            .with_context(|| format!("failed to replace {}", out.display()))?;
        std::fs::rename(&staged, &out)
            .with_context(|| format!("failed to replace {}", out.display()))?;
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("failed to remove {}", old.display()))?;
    } else {
        std::fs::rename(&staged, &out)
            .with_context(|| format!("failed to write {}", out.display()))?;
    }
    println!(
        "{}: {} ({} platform(s)), tag {}",
        out.display(),
        summary.digest,
        summary.manifests.len(),
        spec.tag
    );
    for (platform, digest, layer) in &summary.manifests {
        println!("  {platform:<14} {digest}  layer {layer} bytes");
    }
    Ok(())
}
