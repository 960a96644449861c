//! The rustup channel manifest (v2) model: the parts a lock keeps, and component names resolved
//! the way rustup resolves them (renames, `-preview` packages).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::toml_doc;

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
    pub(super) fn usable(&self) -> bool {
        self.available && self.url.is_some() && self.hash.is_some()
    }
}

impl Package {
    /// The artifact for `triple` (or `*`), when usable.
    pub(super) fn entry(&self, triple: &str) -> Option<&Entry> {
        self.target.get(triple).filter(|e| e.usable())
    }

    /// Where the lock takes this package from for `hosts`: `["*"]` when it is
    /// target-independent, else the hosts that have it (possibly none).
    pub(super) fn usable_on(&self, hosts: &[String]) -> Vec<String> {
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
