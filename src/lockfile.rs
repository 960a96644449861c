//! The toolchain lock, `rust-toolchain.lock.toml`: rust-toolchain.toml's channel manifest
//! (rustup's `channel-rust-*.toml`) pruned to what the project needs: cargo, rustc, the
//! listed components for the four host systems, the components of rust-toolchain.toml's
//! `profile` where the channel has them for a host (as rustup installs them), rust-std for
//! the hosts and the targets.
//!
//! It stays a channel manifest, so fenix reads it as is (`fenix.fromManifestFile`,
//! `fenix.targets.<triple>.fromManifestFile`, which read `date`,
//! `pkg.<name>.target.<triple or "*">.{available, url, hash}` and `profiles`): any channel
//! evaluates purely, with no import-from-derivation. A `[crossflake]` table records what it
//! was made from, so the flake and `--check` can tell when it is stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::catalog::catalog;
use crate::plan::Plan;
use crate::toml_doc;
use crate::toolchain::{self, ToolchainSpec};

/// The lock's file name, next to rust-toolchain.toml.
pub const LOCK_FILE: &str = "rust-toolchain.lock.toml";

/// Where channel manifests are published (rustup's default; `RUSTUP_DIST_SERVER` overrides
/// the server for downloads, as it does for rustup).
pub const DIST_SERVER: &str = "https://static.rust-lang.org";

/// Components every lock carries besides rust-toolchain.toml's, for the flake's dev shells,
/// when the channel has them for every host.
pub const DEV_COMPONENTS: [&str; 2] = ["rust-src", "rust-analyzer"];

/// A rustup channel manifest (v2), the parts the lock keeps.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// `2`.
    #[serde(rename = "manifest-version")]
    pub manifest_version: String,
    /// Release date, `YYYY-MM-DD`.
    pub date: String,
    /// Packages by name (`cargo`, `rustfmt-preview`).
    pub pkg: BTreeMap<String, Package>,
    /// Component names to package names (`rustfmt` -> `rustfmt-preview`).
    #[serde(default)]
    pub renames: BTreeMap<String, Rename>,
    /// rustup profiles (`minimal`, `default`, `complete`) -> package names.
    #[serde(default)]
    pub profiles: BTreeMap<String, Vec<String>>,
}

/// One package of a manifest.
#[derive(Debug, Deserialize)]
pub struct Package {
    /// Its version string.
    pub version: String,
    /// Per target triple, or `*` for target-independent packages (rust-src).
    #[serde(default)]
    pub target: BTreeMap<String, Entry>,
}

/// A package's artifact for one target.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// Whether it was built.
    pub available: bool,
    /// The .tar.gz, when available.
    pub url: Option<String>,
    /// Its sha256, hex.
    pub hash: Option<String>,
}

impl Entry {
    /// Built, with a url and hash to fetch it by.
    fn usable(&self) -> bool {
        self.available && self.url.is_some() && self.hash.is_some()
    }
}

impl Package {
    /// The artifact for `triple` (or `*`), when usable.
    fn entry(&self, triple: &str) -> Option<&Entry> {
        self.target.get(triple).filter(|e| e.usable())
    }

    /// Where the lock takes this package from for `hosts`: `["*"]` when it is
    /// target-independent, else the hosts that have it (possibly none).
    fn usable_on(&self, hosts: &[String]) -> Vec<String> {
        if self.entry("*").is_some() {
            return vec!["*".into()];
        }
        hosts
            .iter()
            .filter(|h| self.entry(h).is_some())
            .cloned()
            .collect()
    }
}

/// `[renames.<name>]`.
#[derive(Debug, Deserialize)]
pub struct Rename {
    /// The package name.
    pub to: String,
}

/// The dist URL of a channel's manifest: `stable`, `beta`, `nightly`, `1.x[.y]`, or a
/// dated `nightly-YYYY-MM-DD` (also `beta-`, `stable-`).
///
/// Errors: any other form (a host-qualified name, a custom toolchain).
pub fn manifest_url(server: &str, channel: &str) -> Result<String> {
    let server = server.trim_end_matches('/');
    let is_version =
        channel.split('.').count() >= 2 && channel.split('.').all(|p| p.parse::<u32>().is_ok());
    if matches!(channel, "stable" | "beta" | "nightly") || is_version {
        return Ok(format!("{server}/dist/channel-rust-{channel}.toml"));
    }
    if let Some((name, date)) = channel.split_once('-')
        && matches!(name, "stable" | "beta" | "nightly")
        && date.len() == 10
        && date.split('-').count() == 3
        && date.split('-').all(|p| p.parse::<u32>().is_ok())
    {
        return Ok(format!("{server}/dist/{date}/channel-rust-{name}.toml"));
    }
    bail!(
        "rust-toolchain.toml: toolchain.channel `{channel}` is not a channel the lock can pin; \
         use stable, beta, nightly, 1.x.y, or nightly-YYYY-MM-DD"
    )
}

/// Parses a manifest. Errors say which file and why (not TOML, truncated, not a manifest).
pub fn parse_manifest(text: &str, origin: &str) -> Result<Manifest> {
    let doc = toml_doc::parse(text, &format!("the channel manifest {origin}"))?;
    for key in ["manifest-version", "date", "pkg"] {
        if !doc.contains_key(key) {
            bail!("{origin} is not a rustup channel manifest: it has no `{key}` (truncated?)");
        }
    }
    toml_edit::de::from_document(doc)
        .with_context(|| format!("{origin} is not a rustup channel manifest"))
}

/// Checks `bytes` against the dist server's `.sha256` file content (`HEX  NAME`).
pub fn check_sha256(bytes: &[u8], sha256_file: &str, origin: &str) -> Result<String> {
    let want = sha256_file
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase();
    let got = hex::encode(Sha256::digest(bytes));
    if want.len() != 64 || !want.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("the checksum file for {origin} holds no sha256");
    }
    if want != got {
        bail!(
            "the channel manifest {origin} does not match its published checksum (sha256 {got}, expected {want}); nothing was written"
        );
    }
    Ok(got)
}

/// The package a component name means in `m`: itself, its rename, or its `-preview` package.
pub fn resolve_component<'a>(m: &'a Manifest, name: &str) -> Result<&'a str> {
    if let Some((k, _)) = m.pkg.get_key_value(name) {
        return Ok(k);
    }
    if let Some(r) = m.renames.get(name)
        && let Some((k, _)) = m.pkg.get_key_value(&r.to)
    {
        return Ok(k);
    }
    if let Some((k, _)) = m.pkg.get_key_value(&format!("{name}-preview")) {
        return Ok(k);
    }
    let mut known: Vec<&str> = m.renames.keys().map(String::as_str).collect();
    known.extend(
        m.pkg
            .keys()
            .map(String::as_str)
            .filter(|k| !k.ends_with("-preview")),
    );
    known.sort();
    known.dedup();
    bail!(
        "unknown component `{name}` in rust-toolchain.toml; the {} manifest has {}",
        m.date,
        known.join(", ")
    )
}

/// The host triples the lock covers (the catalog's host systems).
pub fn host_triples() -> Vec<String> {
    catalog().hosts.values().map(|h| h.triple.clone()).collect()
}

/// Builds the lock text for `req` from manifest `m`, recording `source` (the canonical dist
/// URL) and `sha256` (of the full manifest).
///
/// Errors: an unknown component or profile, a component or rust-std missing for a host or
/// target.
pub fn build_lock(m: &Manifest, req: &ToolchainSpec, source: &str, sha256: &str) -> Result<String> {
    let hosts = host_triples();
    let mut wanted: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut why: BTreeMap<&str, String> = BTreeMap::new();
    for base in ["cargo", "rustc"] {
        wanted.insert(resolve_component(m, base)?, hosts.clone());
        why.insert(resolve_component(m, base)?, base.to_string());
    }
    for c in &req.components {
        let pkg = resolve_component(m, c)?;
        let star = m.pkg[pkg].target.contains_key("*");
        wanted.insert(
            pkg,
            if star {
                vec!["*".into()]
            } else {
                hosts.clone()
            },
        );
        why.insert(pkg, c.clone());
    }
    for c in DEV_COMPONENTS {
        let Ok(pkg) = resolve_component(m, c) else {
            continue;
        };
        if wanted.contains_key(pkg) {
            continue;
        }
        // only when every host has it: the dev shells are the same everywhere
        let on = m.pkg[pkg].usable_on(&hosts);
        if on == ["*"] || on.len() == hosts.len() {
            wanted.insert(pkg, on);
        }
    }
    let std_pkg = resolve_component(m, "rust-std")?;
    if let Some(profile) = &req.profile {
        let Some(list) = m.profiles.get(profile) else {
            bail!(
                "rust-toolchain.toml: toolchain.profile `{profile}` is not a profile of the {} channel ({}); \
                 it has {}",
                req.channel,
                m.date,
                m.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        // as rustup does for a profile, a package the channel did not build for a host is
        // left out on that host (rust-mingw, on every non-windows host); rust-std is per target
        for pkg in list {
            let Some((pkg, p)) = m.pkg.get_key_value(pkg) else {
                continue;
            };
            if pkg.as_str() == std_pkg || wanted.contains_key(pkg.as_str()) {
                continue;
            }
            let on = p.usable_on(&hosts);
            if !on.is_empty() {
                wanted.insert(pkg, on);
            }
        }
    }
    let mut std_triples = hosts.clone();
    for t in &req.targets {
        if !std_triples.contains(t) {
            std_triples.push(t.clone());
        }
    }
    wanted.insert(std_pkg, std_triples);

    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(format!(
        "# Generated by `crossflake toolchain lock`: the {} channel manifest pruned to what this project needs,\n\
         # read by the flake through fenix.fromManifestFile. Regenerate it rather than editing it.\n",
        req.channel
    ));
    doc.insert("manifest-version", value(m.manifest_version.as_str()));
    doc.insert("date", value(m.date.as_str()));
    let mut made = Table::new();
    made.insert("channel", value(req.channel.as_str()));
    if let Some(profile) = &req.profile {
        made.insert("profile", value(profile.as_str()));
    }
    made.insert(
        "components",
        value(req.components.iter().map(String::as_str).collect::<Array>()),
    );
    made.insert(
        "targets",
        value(req.targets.iter().map(String::as_str).collect::<Array>()),
    );
    made.insert(
        "hosts",
        value(hosts.iter().map(String::as_str).collect::<Array>()),
    );
    made.insert("source", value(source));
    made.insert("sha256", value(sha256));
    doc.insert("crossflake", Item::Table(made));

    let mut pkgs = Table::new();
    pkgs.set_implicit(true);
    for (pkg, triples) in &wanted {
        let p = &m.pkg[*pkg];
        let mut t = Table::new();
        t.insert("version", value(p.version.as_str()));
        let mut targets = Table::new();
        targets.set_implicit(true);
        for triple in triples {
            let Some(e) = p.entry(triple) else {
                let asked = &why.get(pkg).cloned().unwrap_or_else(|| pkg.to_string());
                if *pkg == std_pkg && !hosts.contains(triple) {
                    bail!(
                        "target {triple} has no rust-std in the {} channel ({}): it has no prebuilt std \
                         (tier 3, or unknown); remove it from the project's targets, or build it outside \
                         Nix with `crossflake build --build-std`",
                        req.channel,
                        m.date
                    );
                }
                bail!(
                    "component `{asked}` ({pkg}) is not available for host {triple} in the {} channel ({}); \
                     remove it from rust-toolchain.toml's components",
                    req.channel,
                    m.date
                );
            };
            let mut et = Table::new();
            et.insert("available", value(true));
            et.insert("url", value(e.url.as_deref().unwrap_or_default()));
            et.insert("hash", value(e.hash.as_deref().unwrap_or_default()));
            targets.insert(triple, Item::Table(et));
        }
        t.insert("target", Item::Table(targets));
        pkgs.insert(pkg, Item::Table(t));
    }
    doc.insert("pkg", Item::Table(pkgs));

    let mut renames = Table::new();
    renames.set_implicit(true);
    for (from, r) in &m.renames {
        if wanted.contains_key(r.to.as_str()) {
            let mut t = Table::new();
            t.insert("to", value(r.to.as_str()));
            renames.insert(from, Item::Table(t));
        }
    }
    if !renames.is_empty() {
        doc.insert("renames", Item::Table(renames));
    }
    let mut profiles = Table::new();
    for (name, list) in &m.profiles {
        profiles.insert(
            name,
            value(list.iter().map(String::as_str).collect::<Array>()),
        );
    }
    doc.insert("profiles", Item::Table(profiles));
    Ok(doc.to_string())
}

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

/// Where a manifest comes from.
pub enum ManifestSource<'a> {
    /// A local file (with an optional `FILE.sha256` next to it, checked when present).
    File(&'a Path),
    /// Download from the dist server (`RUSTUP_DIST_SERVER` or the default).
    Download,
}

/// The manifest text and its checked sha256.
pub fn fetch_manifest(channel: &str, source: ManifestSource) -> Result<(String, String)> {
    match source {
        ManifestSource::File(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("failed to read {}", path.display()))?;
            let mut sums = path.as_os_str().to_owned();
            sums.push(".sha256");
            let sha = match std::fs::read_to_string(PathBuf::from(&sums)) {
                Ok(s) => check_sha256(&bytes, &s, &path.display().to_string())?,
                Err(_) => hex::encode(Sha256::digest(&bytes)),
            };
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
            Ok((text, sha))
        }
        ManifestSource::Download => {
            let server =
                std::env::var("RUSTUP_DIST_SERVER").unwrap_or_else(|_| DIST_SERVER.to_string());
            let url = manifest_url(&server, channel)?;
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(60)))
                .timeout_connect(Some(Duration::from_secs(10)))
                .build()
                .into();
            let get = |u: &str| -> Result<Vec<u8>> {
                let mut resp = agent
                    .get(u)
                    .call()
                    .with_context(|| format!("failed to download {u}"))?;
                resp.body_mut()
                    .with_config()
                    .limit(64 * 1024 * 1024)
                    .read_to_vec()
                    .with_context(|| format!("failed to read {u}"))
            };
            let bytes = get(&url)?;
            let sums = String::from_utf8(get(&format!("{url}.sha256"))?)
                .context("the .sha256 file is not text")?;
            let sha = check_sha256(&bytes, &sums, &url)?;
            Ok((
                String::from_utf8(bytes).with_context(|| format!("{url} is not UTF-8 text"))?,
                sha,
            ))
        }
    }
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
    let text = build_lock(&m, req, &source, sha256)?;
    let path = root.join(LOCK_FILE);
    plan.write(&path, text)?;
    Ok(path)
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
        && let Ok(text) = build_lock(&m, &req, &source, &sha)
    {
        return plan.write(&path, text);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_urls() {
        let u = |c| manifest_url("https://static.rust-lang.org/", c);
        assert_eq!(
            u("stable").unwrap(),
            "https://static.rust-lang.org/dist/channel-rust-stable.toml"
        );
        assert_eq!(
            u("1.90.0").unwrap(),
            "https://static.rust-lang.org/dist/channel-rust-1.90.0.toml"
        );
        assert_eq!(
            u("nightly-2026-01-02").unwrap(),
            "https://static.rust-lang.org/dist/2026-01-02/channel-rust-nightly.toml"
        );
        assert!(u("stable-x86_64-unknown-linux-gnu").is_err());
        assert!(u("my-toolchain").is_err());
    }

    #[test]
    fn checksums() {
        let sum = format!("{}  x.toml\n", hex::encode(Sha256::digest(b"abc")));
        assert!(check_sha256(b"abc", &sum, "x").is_ok());
        let e = check_sha256(b"abd", &sum, "x").unwrap_err();
        assert!(format!("{e}").contains("does not match its published checksum"));
        assert!(check_sha256(b"abc", "<html>", "x").is_err());
    }
}
