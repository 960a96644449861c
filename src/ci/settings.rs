//! `[package.metadata.crossflake.ci]` (`[workspace.metadata.crossflake.ci]` for a virtual
//! workspace): what the generated pipeline takes that is not a fact about a target. Every key
//! has a default; an unknown key, or a value of the wrong kind, is an error naming the file and
//! the key.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use toml_edit::Item;

use crate::catalog::catalog;
use crate::project::Project;

/// The keys the ci table takes, for messages.
pub const KEYS: &str = "provider, branch, macos, runners, registry, signing-secret, \
    signing-password-secret, timeout-minutes, gate-timeout-minutes";

/// The pipeline's settings, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiSettings {
    /// The CI service (`github`, the only one: GitHub Actions).
    pub provider: String,
    /// The branch whose pushes run the pipeline (`main`).
    pub branch: String,
    /// Whether macOS runners run (for darwin targets; default true).
    pub macos: bool,
    /// Host system -> runner label, overriding the catalog's `[ci.runners]`.
    pub runners: BTreeMap<String, String>,
    /// Where the image is pushed, without its name (default
    /// `ghcr.io/${{ github.repository_owner }}`, the repository owner's GitHub Packages).
    pub registry: String,
    /// The secret holding a minisign secret key to sign the release with (none: unsigned).
    pub signing_secret: Option<String>,
    /// The secret holding that key's password (default: `<signing-secret>_PASSWORD`).
    pub signing_password_secret: Option<String>,
    /// `timeout-minutes` of build and release jobs (default 60).
    pub timeout_minutes: u32,
    /// `timeout-minutes` of the gates (default 30).
    pub gate_timeout_minutes: u32,
}

impl Default for CiSettings {
    fn default() -> Self {
        CiSettings {
            provider: "github".into(),
            branch: "main".into(),
            macos: true,
            runners: BTreeMap::new(),
            registry: "ghcr.io/${{ github.repository_owner }}".into(),
            signing_secret: None,
            signing_password_secret: None,
            timeout_minutes: 60,
            gate_timeout_minutes: 30,
        }
    }
}

impl CiSettings {
    /// The project's settings: its ci table read over the defaults (none: the defaults).
    ///
    /// Errors name the file and key: an unknown key, a value of the wrong kind, a provider
    /// other than github, a runner for a host the catalog does not have.
    pub fn of(project: &Project) -> Result<CiSettings> {
        let key = format!("{}.ci", project.metadata_key());
        let Some(item) = project.crossflake_item("ci") else {
            return Ok(CiSettings::default());
        };
        let at = |k: &str| format!("{}: {key}.{k}", project.manifest_path.display());
        let table = item.as_table_like().with_context(|| {
            format!("{}: {key} must be a table", project.manifest_path.display())
        })?;
        let mut s = CiSettings::default();
        let string = |k: &str, v: &Item| -> Result<String> {
            v.as_str()
                .map(str::to_string)
                .with_context(|| format!("{}: must be a string", at(k)))
        };
        let minutes = |k: &str, v: &Item| -> Result<u32> {
            v.as_integer()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=360).contains(n))
                .with_context(|| format!("{}: must be a number of minutes from 1 to 360", at(k)))
        };
        for (k, v) in table.iter() {
            match k {
                "provider" => s.provider = string(k, v)?,
                "branch" => s.branch = string(k, v)?,
                "macos" => {
                    s.macos = v
                        .as_bool()
                        .with_context(|| format!("{}: must be true or false", at(k)))?
                }
                "runners" => {
                    let runners = v.as_table_like().with_context(|| {
                        format!("{}: must be a table of host system = runner label", at(k))
                    })?;
                    for (host, label) in runners.iter() {
                        catalog()
                            .host(host)
                            .with_context(|| at(&format!("runners.{host}")))?;
                        s.runners
                            .insert(host.to_string(), string(&format!("runners.{host}"), label)?);
                    }
                }
                "registry" => s.registry = string(k, v)?,
                "signing-secret" => s.signing_secret = Some(string(k, v)?),
                "signing-password-secret" => s.signing_password_secret = Some(string(k, v)?),
                "timeout-minutes" => s.timeout_minutes = minutes(k, v)?,
                "gate-timeout-minutes" => s.gate_timeout_minutes = minutes(k, v)?,
                other => bail!("{}: unknown key; the ci table takes {KEYS}", at(other)),
            }
        }
        if s.provider != "github" {
            bail!(
                "{}: `{}` is not a provider crossflake ci writes for; it writes GitHub Actions workflows (provider = \"github\")",
                at("provider"),
                s.provider
            );
        }
        if s.signing_password_secret.is_some() && s.signing_secret.is_none() {
            bail!(
                "{}: a password with no key to sign with; set signing-secret too",
                at("signing-password-secret")
            );
        }
        Ok(s)
    }

    /// The runner label of `host`: the project's, else the catalog's.
    pub fn label(&self, host: &str) -> String {
        self.runners
            .get(host)
            .cloned()
            .unwrap_or_else(|| catalog().ci.runners[host].label.clone())
    }

    /// Whether `host`'s runner is on (darwin hosts only with `macos`).
    pub fn runs(&self, host: &str) -> bool {
        self.macos || !host.ends_with("-darwin")
    }
}
