//! What `init`, `new` and `target add|remove` write, planned ([`crate::plan`]) before anything
//! is written: the metadata table, rust-toolchain.toml, the toolchain lock, flake.nix, the
//! shipping profile, .envrc and .gitignore lines, and for `new` the package itself.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cache::{Cache, set_in};
use crate::catalog::{TargetSpec, catalog};
use crate::emit::{self, DEFAULT_FLAKE_URL, FlakeContext, PackageContext};
use crate::plan::Plan;
use crate::project::{ImageConfig, Project};
use crate::{lock, toolchain};

/// Targets a project gets when `--target` is not given.
pub const DEFAULT_TARGETS: [&str; 2] = ["x86_64-musl", "aarch64-musl"];

/// The comment attached to what init adds.
pub const ADDED_BY: &str =
    "Added by `crossflake init`. Edit targets with `crossflake target add/remove`.";

/// What `init` and `new` set up.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Targets as written (aliases or triples, `.GLIBC` for a floor); empty: the metadata
    /// table's, or [`DEFAULT_TARGETS`] for a project without one.
    pub targets: Vec<String>,
    /// The Rust channel for rust-toolchain.toml (`None`: keep the file's, else stable).
    pub toolchain: Option<String>,
    /// Add an image table.
    pub oci: bool,
    /// Add a [package.metadata.binstall] table.
    pub binstall: bool,
    /// Where flake.nix takes crossflake from (`None`: keep the generated file's, else the default).
    pub flake_url: Option<String>,
    /// Write the flake-parts flake.nix (`Some(true)`) or the one-call one (`Some(false)`);
    /// `None`: the style of the one crossflake wrote, else one mkFlake call.
    pub flake_parts: Option<bool>,
    /// Replace a flake.nix crossflake did not write, or one edited since.
    pub force: bool,
    /// The binary cache to set (`--kind`, `--url`, `--public-key`), checked.
    pub cache: Option<Cache>,
}

impl Setup {
    /// The setup `init` and `new` ask for on the command line.
    ///
    /// Errors: a cache option that does not check ([`Cache::new`]), naming the option.
    pub fn from_args(o: &crate::cli::InitOptions) -> Result<Setup> {
        let c = &o.cache;
        let cache = match (&c.cache_kind, &c.cache_url, &c.cache_public_key) {
            (Some(kind), Some(url), Some(key)) => Some(Cache::new(
                kind,
                url,
                key,
                c.cache_secret.as_deref(),
                &|k| format!("--cache-{k}"),
            )?),
            // clap requires all three together
            _ => None,
        };
        Ok(Setup {
            targets: o.targets.targets.clone(),
            toolchain: o.toolchain.clone(),
            oci: o.oci,
            binstall: o.binstall,
            flake_url: o.flake_url.clone(),
            flake_parts: match (o.flake_parts, o.no_flake_parts) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            force: o.force.force,
            cache,
        })
    }
}

/// A new package at `dir` (the layout `cargo new` makes: Cargo.toml, Cargo.lock, src/main.rs or
/// src/lib.rs, .gitignore) with crossflake set up as [`plan_init`] sets it up.
///
/// Errors: `dir` exists and is not empty; `name` is not a package name; see [`plan_init`].
pub fn plan_new(dir: &Path, name: &str, lib: bool, setup: &Setup) -> Result<Plan> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; to set up an existing package run `crossflake init` in it",
            dir.display()
        );
    }
    check_package_name(name)?;
    let ctx = PackageContext { name };
    let mut plan = Plan::new();
    plan.write(&dir.join("Cargo.toml"), emit::cargo_toml(&ctx)?)?;
    plan.write(&dir.join("Cargo.lock"), emit::cargo_lock(&ctx)?)?;
    if lib {
        plan.write(&dir.join("src/lib.rs"), emit::lib_rs()?)?;
    } else {
        plan.write(&dir.join("src/main.rs"), emit::main_rs()?)?;
    }
    plan.write(&dir.join(".gitignore"), "/target\n".into())?;
    plan_init(&mut plan, &dir.join("Cargo.toml"), setup)?;
    Ok(plan)
}

/// Adds (`add`) or removes targets of the project's metadata table, and follows with
/// rust-toolchain.toml and the toolchain lock.
///
/// Errors: the project has no metadata table; a target is unknown, or (removing) not listed.
pub fn plan_targets(project: &mut Project, written: &[String], add: bool) -> Result<Plan> {
    let mut targets = project.targets()?.with_context(|| {
        format!(
            "{} has no [{}] table; run `crossflake init` first",
            project.manifest_path.display(),
            project.metadata_key()
        )
    })?;
    let given: Vec<TargetSpec> = written
        .iter()
        .map(|t| catalog().resolve(t))
        .collect::<Result<_>>()?;
    if add {
        crate::project::merge_targets(&mut targets, given);
    } else {
        for g in &given {
            if !targets.iter().any(|t| t.alias == g.alias) {
                bail!(
                    "{} is not among the project's targets ({}) in {}",
                    g.written,
                    targets
                        .iter()
                        .map(|t| t.written.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    project.manifest_path.display()
                );
            }
        }
        targets.retain(|t| !given.iter().any(|g| g.alias == t.alias));
    }
    let written: Vec<String> = targets.iter().map(|t| t.written.clone()).collect();
    project.set_targets(&written, ADDED_BY)?;
    let mut plan = Plan::new();
    plan.write(&project.manifest_path, project.text())?;
    toolchain::plan_file(&mut plan, &project.root, None, &targets, ADDED_BY)?;
    lock::plan_update(&mut plan, &project.root)?;
    Ok(plan)
}

/// Plans everything init writes for the manifest at `manifest_path`, reading files
/// through `plan` (so `new` can plan on files that do not exist yet).
///
/// Errors (before anything is written): a manifest that is not a package or workspace, an
/// unknown target or glibc floor, a metadata table with an unknown schema, a flake.nix
/// crossflake did not write (without `force`), a rust-toolchain.toml with a `path`.
pub fn plan_init(plan: &mut Plan, manifest_path: &Path, opts: &Setup) -> Result<()> {
    if let Some(c) = &opts.toolchain {
        toolchain::check_channel(c, "--toolchain")?;
    }
    let text = plan
        .read(manifest_path)?
        .with_context(|| format!("no Cargo.toml at {}", manifest_path.display()))?;
    let mut project = Project::parse(manifest_path, &text)?;
    let root = project.root.clone();
    // the cache the project has, and the one it gets (init's cache options replace it)
    let old_cache = Cache::of(&project)?;

    let targets = init_targets(&project, &opts.targets)?;
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
    if opts.binstall {
        plan_binstall(plan, &mut project, &targets)?;
    }
    let cache = match &opts.cache {
        Some(c) => {
            set_in(&mut project, Some(c), CACHE_COMMENT)?;
            Some(c.clone())
        }
        None => old_cache.clone(),
    };
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

    plan_flake(
        plan,
        &root,
        &FlakeChoice {
            url: opts.flake_url.as_deref(),
            flake_parts: opts.flake_parts,
            force: opts.force,
        },
        old_cache.as_ref(),
        cache.as_ref(),
    )?;
    ensure_lines(
        plan,
        &root.join(".envrc"),
        &["use flake"],
        &["use flake", "use_flake"],
    )?;
    // `result` links of nix build, and direnv's cache of the dev shell
    ensure_lines(
        plan,
        &root.join(".gitignore"),
        &["result", "result-*", ".direnv/"],
        &[],
    )?;

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

/// The project's targets after init: the metadata table's, with `given` added (with neither,
/// [`DEFAULT_TARGETS`]).
///
/// Errors: an unknown target or floor, or a metadata table that does not read.
fn init_targets(project: &Project, given: &[String]) -> Result<Vec<TargetSpec>> {
    let existing = project.config()?;
    let mut targets: Vec<TargetSpec> = existing
        .as_ref()
        .map(|c| c.targets.clone())
        .unwrap_or_default();
    let requested: &[&str] = if given.is_empty() && existing.is_none() {
        &DEFAULT_TARGETS
    } else {
        &given.iter().map(String::as_str).collect::<Vec<_>>()
    };
    let requested = requested
        .iter()
        .map(|t| catalog().resolve(t))
        .collect::<Result<Vec<_>>>()?;
    crate::project::merge_targets(&mut targets, requested);
    Ok(targets)
}

/// Adds `[package.metadata.binstall]` (zip archives for windows targets), with notes for a
/// virtual workspace and a package without `repository`.
fn plan_binstall(plan: &mut Plan, project: &mut Project, targets: &[TargetSpec]) -> Result<()> {
    let mut zip: Vec<String> = targets
        .iter()
        .filter(|t| t.target().os == "windows")
        .map(|t| t.target().triple.clone())
        .collect();
    zip.dedup();
    let comment = "Where `cargo binstall` finds the archives `crossflake dist` writes, on a GitHub release tagged v{version} (added by `crossflake init --binstall`).";
    if !project.ensure_binstall(&zip, comment)? {
        plan.notes.push("--binstall: a virtual workspace has no [package]; add a [package.metadata.binstall] table to each binary package (see README)".into());
    } else if !project.package_has("repository") {
        plan.notes.push("cargo binstall's { repo } is the package's `repository` key: set it to the GitHub URL the releases are on".into());
    }
    Ok(())
}

/// What a run asks of flake.nix.
struct FlakeChoice<'a> {
    /// `--flake-url` (`None`: the written file's, else [`DEFAULT_FLAKE_URL`]).
    url: Option<&'a str>,
    /// `--flake-parts` or `--no-flake-parts` (`None`: the written file's style, else one
    /// mkFlake call).
    flake_parts: Option<bool>,
    /// `--force`.
    force: bool,
}

/// Plans flake.nix: crossflake's one-call flake (or its flake-parts flake), with `cache` in
/// its `nixConfig`. A flake.nix crossflake did not write, or one it wrote and the user edited
/// since (it is not what crossflake would have written for its url, style and `old_cache`,
/// the cache the project had), is replaced only with `force`.
///
/// Errors: such a flake.nix without `force`, naming the file and the fix.
fn plan_flake(
    plan: &mut Plan,
    root: &Path,
    choice: &FlakeChoice,
    old_cache: Option<&Cache>,
    cache: Option<&Cache>,
) -> Result<()> {
    let path = root.join("flake.nix");
    let existing = plan.read(&path)?;
    let written = existing
        .as_deref()
        .filter(|t| emit::is_generated(t))
        .map(|t| {
            (
                emit::flake_url_of(t).unwrap_or_else(|| DEFAULT_FLAKE_URL.to_string()),
                emit::is_flake_parts(t),
            )
        });
    let url = choice
        .url
        .map(str::to_string)
        .or_else(|| written.as_ref().map(|(u, _)| u.clone()))
        .unwrap_or_else(|| DEFAULT_FLAKE_URL.to_string());
    let flake_parts = choice
        .flake_parts
        .unwrap_or_else(|| written.as_ref().is_some_and(|(_, p)| *p));
    let force = choice.force;
    if let Some(text) = &existing {
        let ours = match &written {
            Some((u, parts)) => Some(flake_text(u, old_cache, *parts)?),
            None => None,
        };
        if ours.as_deref() != Some(text.as_str()) {
            if !force {
                let by_hand = match cache {
                    Some(c) => format!(
                        "set its nixConfig by hand (extra-substituters = [ \"{}\" ]; extra-trusted-public-keys = [ \"{}\" ];)",
                        c.url, c.public_key
                    ),
                    None if old_cache.is_some() => "remove the cache from its nixConfig by hand".to_string(),
                    None if flake_parts => "import `crossflake.flakeModules.default` into its flake-parts flake yourself (see the README)".to_string(),
                    None => "call `crossflake.lib.mkFlake { src = ./.; }` from it yourself (see the README)".to_string(),
                };
                let what = if ours.is_none() {
                    "exists and was not written by crossflake"
                } else {
                    "was edited since crossflake wrote it"
                };
                bail!(
                    "{} {what}; {by_hand}, or pass --force to replace it",
                    path.display()
                );
            }
            plan.notes
                .push(format!("replaced {} (--force)", path.display()));
        }
    }
    plan.write(&path, flake_text(&url, cache, flake_parts)?)
}

/// crossflake's flake.nix for `url` and `cache`, the flake-parts one with `flake_parts`.
fn flake_text(url: &str, cache: Option<&Cache>, flake_parts: bool) -> Result<String> {
    emit::flake_nix(&FlakeContext {
        flake_url: url,
        cache: cache.map(|c| emit::FlakeCache {
            url: &c.url,
            public_key: &c.public_key,
        }),
        flake_parts,
    })
}

/// `crossflake cache set|unset`: the metadata's cache table and flake.nix's `nixConfig`,
/// changed together.
///
/// Errors: the project has no crossflake table; its flake.nix was written or edited by hand
/// (without `force`).
pub fn plan_cache(project: &mut Project, cache: Option<&Cache>, force: bool) -> Result<Plan> {
    let old = Cache::of(project)?;
    set_in(project, cache, CACHE_COMMENT)?;
    let mut plan = Plan::new();
    plan.write(&project.manifest_path, project.text())?;
    let choice = FlakeChoice {
        url: None,
        flake_parts: None,
        force,
    };
    plan_flake(&mut plan, &project.root, &choice, old.as_ref(), cache)?;
    Ok(plan)
}

/// The comment above a cache table crossflake adds.
const CACHE_COMMENT: &str =
    "The project's Nix binary cache (`crossflake cache set`); flake.nix's nixConfig follows it.";

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

/// Checks a package name as cargo does: ASCII letters, digits, `-` and `_`, not starting
/// with a digit.
pub fn check_package_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        bail!(
            "`{name}` is not a valid package name: use ASCII letters, digits, `-` and `_`, not starting with a digit; pass --name"
        );
    }
    Ok(())
}
