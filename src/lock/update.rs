//! When a lock is written: `crossflake toolchain lock` makes one; `init` and `target add/remove`
//! rewrite an existing one that no longer matches rust-toolchain.toml, from the lock itself when
//! it holds what is needed, else from a download, else they say which command to run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use toml_edit::Item;

use super::channel_server::{DIST_SERVER, ManifestSource, fetch_manifest, manifest_url};
use super::manifest::parse_manifest;
use super::prune::build_lock;
use crate::catalog::catalog;
use crate::plan::Plan;
use crate::toml_doc;
use crate::toolchain::{self, ToolchainSpec};

/// The lock's file name, next to rust-toolchain.toml.
pub const LOCK_FILE: &str = "rust-toolchain.lock.toml";

/// What a lock records about how it was made: its request, source and manifest sha256.
pub fn recorded(lock_text: &str, origin: &Path) -> Result<(ToolchainSpec, String, String)> {
    let doc = toml_doc::parse(lock_text, &origin.display().to_string())?;
    let t = doc
        .get("crossflake")
        .and_then(Item::as_table)
        .with_context(|| {
            format!(
                "{} has no [crossflake] table; regenerate it with `crossflake toolchain lock`",
                origin.display()
            )
        })?;
    let strs = |k: &str| -> Vec<String> {
        t.get(k)
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let s = |k: &str| {
        t.get(k)
            .and_then(Item::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok((
        ToolchainSpec {
            channel: s("channel"),
            profile: t.get("profile").and_then(Item::as_str).map(String::from),
            components: strs("components"),
            targets: strs("targets"),
        },
        s("source"),
        s("sha256"),
    ))
}

/// What `crossflake toolchain lock` finds: with `check`, whether the lock is current (against
/// rust-toolchain.toml alone, or with `manifest` against the lock that manifest gives);
/// without, the plan that writes it.
#[derive(Debug)]
pub enum LockRun {
    /// `--check`: the lock is current.
    Current,
    /// `--check`: it is not; a unified diff of the difference.
    Stale(String),
    /// The lock to write.
    Write(Plan),
}

/// Runs the toolchain lock's logic for the project at `root` ([`staleness`] for a bare
/// `--check`, else [`plan_from_manifest`]).
///
/// Errors: see those two.
pub fn run(root: &Path, manifest: Option<&Path>, check: bool) -> Result<LockRun> {
    let mut plan = Plan::new();
    if check && manifest.is_none() {
        return Ok(match staleness(&plan, root)? {
            None => LockRun::Current,
            Some(diff) => LockRun::Stale(diff),
        });
    }
    plan_from_manifest(&mut plan, root, manifest)?;
    Ok(match (check, plan.is_empty()) {
        (false, _) => LockRun::Write(plan),
        (true, true) => LockRun::Current,
        (true, false) => LockRun::Stale(plan.diff(root)),
    })
}

/// Whether the lock in `root` still matches rust-toolchain.toml: `None` when it does, else
/// a unified diff of what it was made for (`[crossflake]`) against what rust-toolchain.toml
/// asks for, as TOML lines.
///
/// Errors: there is no lock (naming the command that writes one), or it cannot be read.
pub fn staleness(plan: &Plan, root: &Path) -> Result<Option<String>> {
    let req = toolchain::read_pinnable(plan, root)?;
    let path = root.join(LOCK_FILE);
    let text = plan.read(&path)?.with_context(|| {
        format!(
            "there is no {}; run `crossflake toolchain lock`",
            path.display()
        )
    })?;
    let (have, _, _) = recorded(&text, &path)?;
    if have.same_as(&req) {
        return Ok(None);
    }
    let render = |r: &ToolchainSpec| {
        let r = r.sorted();
        let profile = match &r.profile {
            Some(p) => format!("profile = {p:?}\n"),
            None => String::new(),
        };
        format!(
            "channel = {:?}\n{profile}components = {:?}\ntargets = {:?}\n",
            r.channel, r.components, r.targets
        )
    };
    let (a, b) = (render(&have), render(&req));
    Ok(Some(
        similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .header(&format!("{LOCK_FILE} [crossflake]"), "rust-toolchain.toml")
            .to_string(),
    ))
}

/// Plans the lock for rust-toolchain.toml's toolchain in `root` from a channel manifest: the
/// file `manifest` (its `.sha256` checked when present), else one downloaded from the dist
/// server and checked against its published sha256.
///
/// Errors: see [`fetch_manifest`] and [`build_lock`].
pub fn plan_from_manifest(plan: &mut Plan, root: &Path, manifest: Option<&Path>) -> Result<()> {
    let req = toolchain::read_pinnable(plan, root)?;
    let (text, sha, origin) = match manifest {
        Some(f) => {
            let (t, s) = fetch_manifest(&req.channel, ManifestSource::File(f))?;
            (t, s, f.display().to_string())
        }
        None => {
            let (t, s) = fetch_manifest(&req.channel, ManifestSource::Download)?;
            (t, s, format!("the {} channel manifest", req.channel))
        }
    };
    plan_lock(plan, root, &req, &text, &sha, &origin)?;
    Ok(())
}

/// Plans the lock for the toolchain the plan leaves in `root` from `manifest_text`.
pub fn plan_lock(
    plan: &mut Plan,
    root: &Path,
    req: &ToolchainSpec,
    manifest_text: &str,
    sha256: &str,
    origin: &str,
) -> Result<PathBuf> {
    let m = parse_manifest(manifest_text, origin)?;
    let source = manifest_url(DIST_SERVER, &req.channel)?;
    let lock = build_lock(&m, req, &source, sha256)?;
    let path = root.join(LOCK_FILE);
    plan.write(&path, lock.text)?;
    note_hosts_left_out(plan, req, &m.date, &lock.hosts_left_out);
    Ok(path)
}

/// Says which host triples a lock leaves out (the channel built no toolchain for them), what
/// that means for the flake, and which of the toolchain's target triples no host can build
/// with this lock (those whose catalog `build-hosts` are all left out: darwin targets when
/// both darwin hosts are).
fn note_hosts_left_out(plan: &mut Plan, req: &ToolchainSpec, date: &str, left_out: &[String]) {
    if left_out.is_empty() {
        return;
    }
    let (hosts, them) = match left_out {
        [one] => (format!("host {one}"), "it"),
        _ => (format!("hosts {}", left_out.join(", ")), "them"),
    };
    let mut note = format!(
        "the {} channel ({date}) has no rustc or no cargo for {hosts}: {LOCK_FILE} leaves {them} out, \
         so the flake cannot build this project on {them} (evaluation there stops, saying so); to \
         build there, choose a channel in rust-toolchain.toml that has {them}",
        req.channel
    );
    let stranded = targets_built_only_on(&req.targets, left_out);
    if !stranded.is_empty() {
        note.push_str(&format!(
            ". No host can build {} with this lock: {} only on the hosts it leaves out",
            match stranded.as_slice() {
                [one] => format!("target {one}"),
                _ => format!("targets {}", stranded.join(", ")),
            },
            if stranded.len() == 1 {
                "it builds"
            } else {
                "they build"
            }
        ));
    }
    plan.notes.push(note);
}

/// The target triples among `targets` that the catalog builds only on hosts whose triples are
/// in `hosts` (triples the catalog does not know are left out).
fn targets_built_only_on(targets: &[String], hosts: &[String]) -> Vec<String> {
    let cat = catalog();
    targets
        .iter()
        .filter(|triple| {
            let mut build_hosts = cat
                .targets
                .values()
                .filter(|t| &t.triple == *triple)
                .flat_map(|t| &t.build_hosts)
                .peekable();
            build_hosts.peek().is_some()
                && build_hosts.all(|h| cat.hosts.get(h).is_some_and(|h| hosts.contains(&h.triple)))
        })
        .cloned()
        .collect()
}

/// For init and `target add/remove`: when a lock exists and no longer matches the toolchain
/// the plan leaves, regenerate it from the lock itself (when it still holds everything
/// needed) or from a download; when neither works, leave it and say which command to run.
pub fn plan_update(plan: &mut Plan, root: &Path) -> Result<()> {
    let path = root.join(LOCK_FILE);
    let Some(lock_text) = plan.read(&path)? else {
        return Ok(());
    };
    let req = toolchain::read(plan, root)?;
    let (have, source, sha) = recorded(&lock_text, &path)?;
    if have.same_as(&req) {
        return Ok(());
    }
    // the lock itself holds what a new target list or component list needs, not what a
    // new profile may add
    if have.channel == req.channel
        && have.profile == req.profile
        && let Ok(m) = parse_manifest(&lock_text, &path.display().to_string())
        && let Ok(lock) = build_lock(&m, &req, &source, &sha)
    {
        note_hosts_left_out(plan, &req, &m.date, &lock.hosts_left_out);
        return plan.write(&path, lock.text);
    }
    match fetch_manifest(&req.channel, ManifestSource::Download)
        .and_then(|(text, sha)| plan_lock(plan, root, &req, &text, &sha, &req.channel))
    {
        Ok(_) => Ok(()),
        Err(e) => {
            plan.notes.push(format!(
                "{LOCK_FILE} no longer matches rust-toolchain.toml and could not be updated here ({e:#}); \
                 run `crossflake toolchain lock` (or `crossflake toolchain lock --channel-manifest FILE` offline)"
            ));
            Ok(())
        }
    }
}
