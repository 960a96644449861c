//! `crossflake init`: add crossflake to a Cargo package or workspace.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::catalog::{TargetSpec, catalog};
use crate::cli::{InitArgs, InitOptions};
use crate::emit::{self, DEFAULT_FLAKE_URL, FlakeContext};
use crate::plan::Plan;
use crate::project::{ImageConfig, Project};
use crate::{lock, toolchain};

/// Targets a project gets when `--target` is not given.
pub const DEFAULT_TARGETS: [&str; 2] = ["x86_64-musl", "aarch64-musl"];

/// The comment attached to what init adds.
pub const ADDED_BY: &str =
    "Added by `crossflake init`. Edit targets with `crossflake target add/remove`.";

/// Runs `crossflake init`.
pub fn run(args: InitArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let mut plan = Plan::new();
    plan_init(&mut plan, &project.manifest_path, &args.options)?;
    super::finish(plan, &project.root, args.options.dry_run)
}

/// Plans everything init writes for the manifest at `manifest_path`, reading files
/// through `plan` (so `new` can plan on files that do not exist yet).
///
/// Errors (before anything is written): a manifest that is not a package or workspace, an
/// unknown target or glibc floor, a metadata table with an unknown schema, a flake.nix
/// crossflake did not write (without `force`), a rust-toolchain.toml with a `path`.
pub fn plan_init(plan: &mut Plan, manifest_path: &Path, opts: &InitOptions) -> Result<()> {
    let text = plan
        .read(manifest_path)?
        .with_context(|| format!("no Cargo.toml at {}", manifest_path.display()))?;
    let mut project = Project::parse(manifest_path, &text)?;
    let root = project.root.clone();

    let existing = project.config()?;
    let mut targets: Vec<TargetSpec> = existing
        .as_ref()
        .map(|c| c.targets.clone())
        .unwrap_or_default();
    let requested: Vec<TargetSpec> = if opts.targets.is_empty() && existing.is_none() {
        DEFAULT_TARGETS
            .iter()
            .map(|t| catalog().resolve(t))
            .collect::<Result<_>>()?
    } else {
        opts.targets
            .iter()
            .map(|t| catalog().resolve(t))
            .collect::<Result<_>>()?
    };
    crate::project::merge_targets(&mut targets, requested);
    let written: Vec<String> = targets.iter().map(|t| t.written.clone()).collect();
    project.set_targets(&written, ADDED_BY)?;
    if opts.oci {
        let image = ImageConfig {
            name: project.display_name(),
            entrypoint: project.default_binary(),
            ca_bundle: true,
        };
        project.ensure_image(&image, ADDED_BY)?;
    }
    if opts.release {
        let mut zip: Vec<String> = targets
            .iter()
            .filter(|t| t.target().os == "windows")
            .map(|t| t.target().triple.clone())
            .collect();
        zip.dedup();
        let comment = "Where `cargo binstall` finds the archives `crossflake dist` writes, on a GitHub release tagged v{version} (added by `crossflake init --release`).";
        if !project.ensure_binstall(&zip, comment)? {
            plan.notes.push("--release: a virtual workspace has no [package]; add a [package.metadata.binstall] table to each binary package (see README)".into());
        } else if !project.package_has("repository") {
            plan.notes.push("cargo binstall's { repo } is the package's `repository` key: set it to the GitHub URL the releases are on".into());
        }
    }
    project.ensure_profile(
        "The shipping profile `nix build` and `crossflake build` use (added by `crossflake init`).",
    )?;
    plan.write(manifest_path, project.text())?;

    toolchain::plan_file(
        plan,
        &root,
        opts.toolchain.as_deref(),
        &targets,
        "The toolchain for the flake and for rustup; `targets` follows Cargo.toml's crossflake table (added by `crossflake init`).",
    )?;

    lock::plan_update(plan, &root)?;

    plan_flake(plan, &root, opts)?;
    ensure_lines(
        plan,
        &root.join(".envrc"),
        &["use flake"],
        &["use flake", "use_flake"],
    )?;
    ensure_lines(plan, &root.join(".gitignore"), &["result", "result-*"], &[])?;

    if plan.read(&root.join("Cargo.lock"))?.is_none() {
        plan.notes.push(
            "there is no Cargo.lock; the flake's builds need one: run `cargo generate-lockfile` and commit it".into(),
        );
    }
    if root.join(".git").exists() {
        plan.notes.push("flakes see only files git tracks: `git add flake.nix rust-toolchain.toml` before `nix build`".into());
    }
    Ok(())
}

fn plan_flake(plan: &mut Plan, root: &Path, opts: &InitOptions) -> Result<()> {
    let path = root.join("flake.nix");
    let existing = plan.read(&path)?;
    let url = match (&opts.flake_url, &existing) {
        (Some(u), _) => u.clone(),
        (None, Some(text)) if emit::is_generated(text) => {
            emit::flake_url_of(text).unwrap_or_else(|| DEFAULT_FLAKE_URL.to_string())
        }
        _ => DEFAULT_FLAKE_URL.to_string(),
    };
    if let Some(text) = &existing
        && !emit::is_generated(text)
    {
        if !opts.force {
            bail!(
                "{} exists and was not written by crossflake; call `crossflake.lib.mkFlake {{ src = ./.; }}` \
                 from it yourself (see the README), or pass --force to replace it",
                path.display()
            );
        }
        plan.notes
            .push(format!("replaced {} (--force)", path.display()));
    }
    plan.write(&path, emit::flake_nix(&FlakeContext { flake_url: &url })?)
}

/// Appends each of `lines` to the file at `path` unless present (or, for the first line,
/// unless one of `equivalents` is present), creating the file when missing.
fn ensure_lines(plan: &mut Plan, path: &Path, lines: &[&str], equivalents: &[&str]) -> Result<()> {
    let mut text = plan.read(path)?.unwrap_or_default();
    let has = |text: &str, l: &str| text.lines().any(|x| x.trim() == l);
    for (i, line) in lines.iter().enumerate() {
        let present = has(&text, line)
            || (i == 0
                && equivalents
                    .iter()
                    .any(|e| text.lines().any(|x| x.trim().starts_with(e))));
        if !present {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
        }
    }
    plan.write(path, text)
}
