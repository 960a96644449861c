//! The project's Nix binary cache: one setting (`[package.metadata.crossflake.cache]`, or the
//! workspace's) with several readers: the generated flake.nix's `nixConfig` (literals: Nix
//! refuses computed `nixConfig` values), the generated pipeline (which pushes to it from the main
//! branch and reads it everywhere), and `crossflake doctor` (does it answer, is its key trusted,
//! may this user substitute from it). Secrets are never stored: the table names the environment
//! variable, or CI secret, that holds the push credential.

use std::fmt;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use toml_edit::{Item, Table, value};

use crate::catalog::Severity;
use crate::cdeps::Finding;
use crate::project::Project;

/// What serves the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// cachix.org (`https://NAME.cachix.org`); pushes with the cachix client and a token.
    Cachix,
    /// An Attic server (`https://HOST/CACHE`); pushes with the attic client and a token.
    Attic,
    /// An S3 bucket (`s3://BUCKET?region=...`); pushes with `nix copy`, signed.
    S3,
    /// Any HTTP binary cache (`https://...`) that takes PUT; pushes with `nix copy`, signed.
    Http,
}

impl Kind {
    /// The kinds, as written.
    pub const ALL: [&str; 4] = ["cachix", "attic", "s3", "http"];

    /// Parses a kind as written.
    ///
    /// Errors: another word, listing the kinds.
    pub fn parse(s: &str, at: &str) -> Result<Kind> {
        Ok(match s {
            "cachix" => Kind::Cachix,
            "attic" => Kind::Attic,
            "s3" => Kind::S3,
            "http" => Kind::Http,
            other => bail!(
                "{at}: `{other}` is not a kind of cache crossflake knows; use one of {}",
                Kind::ALL.join(", ")
            ),
        })
    }

    /// The variable (and CI secret) that holds the push credential when none is named: the
    /// cachix or attic token, or for s3 and http the secret key `nix copy` signs with.
    pub fn default_secret(self) -> &'static str {
        match self {
            Kind::Cachix => "CACHIX_AUTH_TOKEN",
            Kind::Attic => "ATTIC_TOKEN",
            Kind::S3 | Kind::Http => "NIX_SIGNING_KEY",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Cachix => "cachix",
            Kind::Attic => "attic",
            Kind::S3 => "s3",
            Kind::Http => "http",
        })
    }
}

/// The project's binary cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    /// What serves it.
    pub kind: Kind,
    /// The substituter URL, as Nix takes it.
    pub url: String,
    /// Its public key, `NAME:BASE64` (an ed25519 key, 32 bytes).
    pub public_key: String,
    /// The variable or CI secret holding the push credential.
    pub secret: String,
}

/// The table's keys, for messages.
pub const KEYS: &str = "kind, url, public-key, secret";

impl Cache {
    /// A cache from the values given, each checked; `name` spells where a key came from in
    /// messages (`file: table.url`, or `--url`).
    ///
    /// Errors name the key: an unknown kind, a URL that is not one for that kind, a public key
    /// that is not `NAME:BASE64` of 32 bytes, a secret that is not a variable name.
    pub fn new(
        kind: &str,
        url: &str,
        public_key: &str,
        secret: Option<&str>,
        name: &dyn Fn(&str) -> String,
    ) -> Result<Cache> {
        let kind = Kind::parse(kind, &name("kind"))?;
        check_url(kind, url, &name("url"))?;
        check_public_key(public_key, &name("public-key"))?;
        let secret = secret.unwrap_or(kind.default_secret()).to_string();
        if secret.is_empty()
            || !secret
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            bail!(
                "{}: `{secret}` is not the name of a variable or CI secret (upper case, digits, _); name where the credential is, never the credential itself",
                name("secret")
            );
        }
        Ok(Cache {
            kind,
            url: url.trim_end_matches('/').to_string(),
            public_key: public_key.to_string(),
            secret,
        })
    }

    /// The project's cache, from its metadata table; `None` when it has none.
    ///
    /// Errors name the file and key: see [`Cache::new`]; an unknown key; a missing one.
    pub fn of(project: &Project) -> Result<Option<Cache>> {
        let key = format!("{}.cache", project.metadata_key());
        let Some(item) = project.crossflake_item("cache") else {
            return Ok(None);
        };
        let at = format!("{}: {key}", project.manifest_path.display());
        let table = item
            .as_table_like()
            .with_context(|| format!("{at} must be a table"))?;
        for (k, _) in table.iter() {
            if !["kind", "url", "public-key", "secret"].contains(&k) {
                bail!("{at}.{k}: unknown key; the cache table takes {KEYS}");
            }
        }
        let get = |k: &str| -> Result<Option<&str>> {
            match table.get(k) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(Some)
                    .with_context(|| format!("{at}.{k}: must be a string")),
            }
        };
        let need = |k: &str| -> Result<&str> {
            get(k)?
                .with_context(|| format!("{at}.{k}: missing; set it with `crossflake cache set`"))
        };
        Cache::new(
            need("kind")?,
            need("url")?,
            need("public-key")?,
            get("secret")?,
            &|k| format!("{at}.{k}"),
        )
        .map(Some)
    }

    /// The table written into the project's metadata.
    pub fn table(&self) -> Table {
        let mut t = Table::new();
        t.insert("kind", value(self.kind.to_string()));
        t.insert("url", value(self.url.as_str()));
        t.insert("public-key", value(self.public_key.as_str()));
        t.insert("secret", value(self.secret.as_str()));
        t
    }

    /// The cachix cache's name (`NAME` of `https://NAME.cachix.org`).
    pub fn cachix_name(&self) -> Option<&str> {
        self.url
            .strip_prefix("https://")?
            .strip_suffix(".cachix.org")
    }

    /// Whether the cache answers: its `nix-cache-info` over HTTP (s3: not asked, `None`),
    /// fetched under the download `policy` (retries, stall and timeout).
    /// `Some(Ok(StoreDir line))`, or `Some(Err(why))` with the URL in `why`.
    pub fn probe(&self, policy: &crate::download::Policy) -> Option<Result<String, String>> {
        if self.kind == Kind::S3 {
            return None;
        }
        let url = format!("{}/nix-cache-info", self.url);
        Some(match crate::download::get(&url, 64 * 1024, policy) {
            Ok(bytes) => {
                let body = String::from_utf8_lossy(&bytes);
                match body.lines().find(|l| l.starts_with("StoreDir:")) {
                    Some(line) => Ok(line.to_string()),
                    None => Err(format!(
                        "{url} answered, but not as a binary cache: {}",
                        body.lines().next().unwrap_or("")
                    )),
                }
            }
            Err(failed) => Err(failed.to_string()),
        })
    }
}

/// What the local Nix configuration says about substituters, keys and users, from
/// `nix show-config --json` (settings by name, each `{"value": ...}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NixTrust {
    /// `substituters` (extra- entries merged in by Nix).
    pub substituters: Vec<String>,
    /// `trusted-substituters`: the ones users not in trusted-users may still use.
    pub trusted_substituters: Vec<String>,
    /// `trusted-public-keys`.
    pub trusted_public_keys: Vec<String>,
    /// `trusted-users`: names, `@group`s, `*`.
    pub trusted_users: Vec<String>,
    /// `accept-flake-config`: flake.nix's nixConfig applies without asking.
    pub accept_flake_config: bool,
}

impl NixTrust {
    /// Runs `nix show-config --json` (`nix config show --json` where show-config is gone).
    ///
    /// Errors (as the text of a finding): nix is missing or fails, or prints something else.
    pub fn read() -> Result<NixTrust, String> {
        let mut last = String::from("nix is not installed");
        for args in [
            &["show-config", "--json"][..],
            &["config", "show", "--json"][..],
        ] {
            match std::process::Command::new("nix")
                .args(["--extra-experimental-features", "nix-command"])
                .args(args)
                .output()
            {
                Ok(o) if o.status.success() => {
                    return NixTrust::from_json(&String::from_utf8_lossy(&o.stdout));
                }
                Ok(o) => {
                    last = format!(
                        "nix {}: {}",
                        args.join(" "),
                        String::from_utf8_lossy(&o.stderr).trim()
                    )
                }
                Err(e) => return Err(format!("nix: {e}")),
            }
        }
        Err(last)
    }

    /// Parses `nix show-config --json`.
    ///
    /// Errors: not JSON, or a setting of the wrong shape.
    pub fn from_json(text: &str) -> Result<NixTrust, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("nix show-config --json: {e}"))?;
        let list = |k: &str| -> Vec<String> {
            v[k]["value"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        if !v["trusted-public-keys"]["value"].is_array() {
            return Err("nix show-config --json has no trusted-public-keys list".into());
        }
        Ok(NixTrust {
            substituters: list("substituters"),
            trusted_substituters: list("trusted-substituters"),
            trusted_public_keys: list("trusted-public-keys"),
            trusted_users: list("trusted-users"),
            accept_flake_config: v["accept-flake-config"]["value"].as_bool().unwrap_or(false),
        })
    }
}

/// Who runs Nix here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NixUser {
    /// The user name.
    pub name: String,
    /// The user's groups.
    pub groups: Vec<String>,
    /// Whether Nix takes every setting from this user: root, or a store with no daemon.
    pub owns_store: bool,
}

impl NixUser {
    /// This process's user (`id -un`, `id -Gn`), and whether a daemon serves the store
    /// (`NIX_REMOTE=daemon`, or its socket exists).
    pub fn current() -> NixUser {
        let id = |flag: &str| {
            std::process::Command::new("id")
                .arg(flag)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        };
        let name = id("-un");
        let daemon = std::env::var("NIX_REMOTE").is_ok_and(|v| v == "daemon")
            || std::path::Path::new("/nix/var/nix/daemon-socket/socket").exists();
        NixUser {
            owns_store: name == "root" || !daemon,
            groups: id("-Gn").split_whitespace().map(str::to_string).collect(),
            name,
        }
    }

    /// Whether `trusted-users` names this user, one of its groups, or `*`.
    fn trusted_by(&self, nix: &NixTrust) -> bool {
        self.owns_store
            || nix.trusted_users.iter().any(|t| {
                t == "*"
                    || *t == self.name
                    || t.strip_prefix('@')
                        .is_some_and(|g| self.groups.iter().any(|x| x == g))
            })
    }
}

/// What doctor reports on `cache`: `answer` is [`Cache::probe`]'s, `nix` the local
/// configuration, `user` who runs Nix. Each finding has its fix; none when all is well.
pub fn findings(
    cache: &Cache,
    answer: Option<Result<String, String>>,
    nix: Result<NixTrust, String>,
    user: &NixUser,
) -> Vec<Finding> {
    let finding = |severity, problem: String, fix: String| Finding {
        severity,
        check: "cache".into(),
        problem,
        fix,
    };
    let mut out = Vec::new();
    if let Some(Err(why)) = answer {
        out.push(finding(
            Severity::Error,
            format!("the binary cache does not answer: {why}"),
            format!(
                "check its URL (`crossflake cache set --url`) and that it is up; until it answers, Nix builds everything itself (kind {})",
                cache.kind
            ),
        ));
    }
    let nix = match nix {
        Ok(n) => n,
        Err(why) => {
            out.push(finding(
                Severity::Warning,
                format!("cannot tell whether this machine's Nix trusts the cache: {why}"),
                "install Nix (https://nixos.org/download), then run crossflake doctor again".into(),
            ));
            return out;
        }
    };
    let same = |u: &String| u.trim_end_matches('/') == cache.url;
    let listed = nix.substituters.iter().any(same);
    let allowed = listed || nix.trusted_substituters.iter().any(same);
    let key = nix.trusted_public_keys.contains(&cache.public_key);
    let conf = "/etc/nix/nix.conf (on NixOS, nix.settings), then restart nix-daemon";
    if !user.trusted_by(&nix) {
        if !allowed {
            out.push(finding(
                Severity::Warning,
                format!(
                    "Nix ignores flake.nix's extra-substituters for {}, who is not in trusted-users, unless the cache is in trusted-substituters: builds here do not use {}",
                    user.name, cache.url
                ),
                format!(
                    "add `extra-trusted-substituters = {}` and `extra-trusted-public-keys = {}` to {conf}",
                    cache.url, cache.public_key
                ),
            ));
        } else if !key {
            out.push(finding(
                Severity::Warning,
                format!(
                    "Nix ignores flake.nix's extra-trusted-public-keys for {}, who is not in trusted-users: what {} serves \"lacks a valid signature\"",
                    user.name, cache.url
                ),
                format!("add `extra-trusted-public-keys = {}` to {conf}", cache.public_key),
            ));
        }
    } else if !(nix.accept_flake_config || (listed && key)) {
        out.push(finding(
            Severity::Warning,
            format!(
                "Nix asks before it uses flake.nix's nixConfig (accept-flake-config is off): answer y, or builds here do not use {}",
                cache.url
            ),
            format!(
                "set `accept-flake-config = true` in ~/.config/nix/nix.conf, or add `extra-substituters = {}` and `extra-trusted-public-keys = {}` to it",
                cache.url, cache.public_key
            ),
        ));
    }
    out
}

/// Checks a substituter URL for `kind`.
fn check_url(kind: Kind, url: &str, at: &str) -> Result<()> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", ""));
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let ok = !host.is_empty()
        && !url.contains(char::is_whitespace)
        && match kind {
            Kind::S3 => scheme == "s3",
            Kind::Cachix => scheme == "https" && host.ends_with(".cachix.org"),
            Kind::Attic => scheme == "https" || scheme == "http",
            Kind::Http => scheme == "https" || scheme == "http",
        };
    if !ok {
        let want = match kind {
            Kind::S3 => "s3://BUCKET?region=REGION",
            Kind::Cachix => "https://NAME.cachix.org",
            Kind::Attic => "https://HOST/CACHE",
            Kind::Http => "https://HOST[/PATH]",
        };
        bail!("{at}: `{url}` is not the URL of a {kind} cache; write it as {want}");
    }
    Ok(())
}

/// Checks a public key: `NAME:BASE64`, the base64 an ed25519 public key (32 bytes), as
/// `nix key convert-secret-to-public` prints it.
fn check_public_key(key: &str, at: &str) -> Result<()> {
    let ok = key.split_once(':').is_some_and(|(name, b64)| {
        !name.is_empty()
            && !name.contains(char::is_whitespace)
            && base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_ok_and(|k| k.len() == 32)
    });
    if !ok {
        bail!(
            "{at}: `{key}` is not a Nix public key; it is NAME:BASE64 of 32 bytes, as `nix key convert-secret-to-public` prints it (cachix shows it on the cache's page)"
        );
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) the cache table of `project`'s metadata, with `comment`
/// above a new table.
///
/// Errors: the project has no crossflake table to put it in.
pub fn set_in(project: &mut Project, cache: Option<&Cache>, comment: &str) -> Result<()> {
    let owner = project.metadata_owner();
    let key = project.metadata_key();
    let path = project.manifest_path.display().to_string();
    let table = project
        .doc
        .get_mut(owner)
        .and_then(|o| o.get_mut("metadata"))
        .and_then(|m| m.get_mut("crossflake"))
        .and_then(Item::as_table_like_mut)
        .with_context(|| format!("{path} has no [{key}] table; run `crossflake init` first"))?;
    match cache {
        Some(c) => {
            let mut t = c.table();
            match table.get("cache").and_then(Item::as_table) {
                Some(old) => t.decor_mut().clone_from(old.decor()),
                None => t.decor_mut().set_prefix(format!("\n# {comment}\n")),
            }
            table.insert("cache", Item::Table(t));
        }
        None => {
            table.remove("cache");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, groups: &[&str], owns_store: bool) -> NixUser {
        NixUser {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            owns_store,
        }
    }

    /// Each case: the local configuration, the user, and the one finding expected (or none).
    #[test]
    fn doctor_says_whether_this_user_gets_the_cache() {
        let cache = Cache::new("http", "http://127.0.0.1:8080", KEY, None, &|k| k.into()).unwrap();
        let conf = |subs: &[&str], trusted_subs: &[&str], keys: &[&str], users: &[&str], accept| {
            NixTrust {
                substituters: subs.iter().map(|s| s.to_string()).collect(),
                trusted_substituters: trusted_subs.iter().map(|s| s.to_string()).collect(),
                trusted_public_keys: keys.iter().map(|s| s.to_string()).collect(),
                trusted_users: users.iter().map(|s| s.to_string()).collect(),
                accept_flake_config: accept,
            }
        };
        let url = "http://127.0.0.1:8080/";
        let dev = user("dev", &["users", "wheel"], false);
        for (nix, who, expected) in [
            // a trusted user with the flake's nixConfig accepted, or the cache in nix.conf
            (conf(&[], &[], &[], &["root", "@wheel"], true), &dev, None),
            (
                conf(&[url], &[], &[KEY], &["root"], false),
                &user("root", &[], true),
                None,
            ),
            (
                conf(&[], &[], &[], &["*"], false),
                &dev,
                Some("Nix asks before it uses flake.nix's nixConfig"),
            ),
            // not trusted: the flake's settings are ignored unless nix.conf allows them
            (
                conf(&[], &[], &[KEY], &["root"], true),
                &dev,
                Some(
                    "Nix ignores flake.nix's extra-substituters for dev, who is not in trusted-users",
                ),
            ),
            (
                conf(&[], &[url], &[], &["root"], true),
                &dev,
                Some("Nix ignores flake.nix's extra-trusted-public-keys for dev"),
            ),
            (conf(&[], &[url], &[KEY], &["root"], false), &dev, None),
            (conf(&[url], &[], &[KEY], &["@admins"], false), &dev, None),
        ] {
            let found = findings(
                &cache,
                Some(Ok("StoreDir: /nix/store".into())),
                Ok(nix.clone()),
                who,
            );
            match expected {
                None => assert!(found.is_empty(), "{nix:?} {who:?}: {found:?}"),
                Some(text) => {
                    assert_eq!(found.len(), 1, "{nix:?} {who:?}: {found:?}");
                    assert!(
                        found[0].problem.contains(text),
                        "{nix:?}: {}",
                        found[0].problem
                    );
                    assert!(
                        found[0].fix.contains(KEY) || found[0].fix.contains("accept-flake-config"),
                        "{}",
                        found[0].fix
                    );
                }
            }
        }
    }

    #[test]
    fn doctor_says_when_the_cache_or_nix_is_missing() {
        let cache = Cache::new("http", "http://127.0.0.1:8080", KEY, None, &|k| k.into()).unwrap();
        let dev = user("dev", &["users"], false);
        let down = findings(
            &cache,
            Some(Err("connection refused".into())),
            Err("nix is not installed".into()),
            &dev,
        );
        let problems: Vec<(Severity, &str)> = down
            .iter()
            .map(|f| (f.severity, f.problem.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    Severity::Error,
                    "the binary cache does not answer: connection refused"
                ),
                (
                    Severity::Warning,
                    "cannot tell whether this machine's Nix trusts the cache: nix is not installed"
                ),
            ]
        );
    }

    #[test]
    fn reads_nix_show_config() {
        let nix = NixTrust::from_json(
            r#"{"substituters":{"value":["https://cache.nixos.org/"]},"trusted-public-keys":{"value":["k:1"]},
                "trusted-users":{"value":["root"]},"trusted-substituters":{"value":[]},"accept-flake-config":{"value":true}}"#,
        )
        .unwrap();
        assert_eq!(nix.substituters, ["https://cache.nixos.org/"]);
        assert_eq!(
            (nix.trusted_public_keys.len(), nix.accept_flake_config),
            (1, true)
        );
        assert!(
            NixTrust::from_json("{}")
                .unwrap_err()
                .contains("no trusted-public-keys")
        );
    }

    const KEY: &str = "cache.example.org-1:Gt35ybLEj/QrvSRmVUDRFcAdK7ieMaQVXaeDiXS2R9I=";

    #[test]
    fn settings_are_checked_with_the_fix() {
        let t = |k: &str| format!("t.{k}");
        assert!(Cache::new("http", "http://127.0.0.1:8080", KEY, None, &t).is_ok());
        let c = Cache::new("cachix", "https://acme.cachix.org/", KEY, None, &t).unwrap();
        assert_eq!(
            (c.url.as_str(), c.secret.as_str()),
            ("https://acme.cachix.org", "CACHIX_AUTH_TOKEN")
        );
        assert_eq!(c.cachix_name(), Some("acme"));
        for (kind, url, key, secret, message) in [
            (
                "nix-serve",
                "https://x",
                KEY,
                None,
                "t.kind: `nix-serve` is not a kind of cache crossflake knows; use one of cachix, attic, s3, http",
            ),
            (
                "http",
                "not a url",
                KEY,
                None,
                "t.url: `not a url` is not the URL of a http cache",
            ),
            (
                "cachix",
                "https://cache.example.org",
                KEY,
                None,
                "write it as https://NAME.cachix.org",
            ),
            (
                "s3",
                "https://bucket",
                KEY,
                None,
                "write it as s3://BUCKET?region=REGION",
            ),
            (
                "http",
                "https://x",
                "nokey",
                None,
                "t.public-key: `nokey` is not a Nix public key",
            ),
            (
                "http",
                "https://x",
                "n:c2hvcnQ=",
                None,
                "is not a Nix public key",
            ),
            (
                "http",
                "https://x",
                KEY,
                Some("my-token-value"),
                "t.secret: `my-token-value` is not the name of a variable",
            ),
        ] {
            let err = Cache::new(kind, url, key, secret, &t)
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{kind} {url} {key}: {err}");
        }
    }
}
