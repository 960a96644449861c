//! Where channel manifests are published (rustup's dist server), getting one (a local file or a
//! download), and checking it against its published sha256.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// Where channel manifests are published (rustup's default; `RUSTUP_DIST_SERVER` overrides
/// the server for downloads, as it does for rustup).
pub const DIST_SERVER: &str = "https://static.rust-lang.org";

/// The dist URL of a channel's manifest: `stable`, `beta`, `nightly`, `1.x[.y]`, or a
/// dated `nightly-YYYY-MM-DD` (also `beta-`, `stable-`).
///
/// Errors: any other form ([`crate::toolchain::check_channel`]).
pub fn manifest_url(server: &str, channel: &str) -> Result<String> {
    crate::toolchain::check_channel(channel, "rust-toolchain.toml: toolchain.channel")?;
    let server = server.trim_end_matches('/');
    Ok(match channel.split_once('-') {
        Some((name, date)) => format!("{server}/dist/{date}/channel-rust-{name}.toml"),
        None => format!("{server}/dist/channel-rust-{channel}.toml"),
    })
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

/// Where a manifest comes from.
pub enum ManifestSource<'a> {
    /// A local file (with an optional `FILE.sha256` next to it, checked when present).
    File(&'a Path),
    /// Download from the dist server (`RUSTUP_DIST_SERVER` or the default).
    Download,
}

/// The manifest text and its checked sha256 (64 hex digits): read from a file (checked
/// against `FILE.sha256` when there is one), or downloaded with its `.sha256` under
/// [`crate::download::Policy::from_env`].
///
/// Errors: the file cannot be read or is not UTF-8; a download fails
/// ([`crate::download::Failed`], naming the URL), or answers 404 (naming the channel);
/// a bad `CROSSFLAKE_DOWNLOAD_*` value; the checksum does not match.
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
            let policy = crate::download::Policy::from_env()?;
            let get = |u: &str| -> Result<Vec<u8>> {
                match crate::download::get(u, 64 * 1024 * 1024, &policy) {
                    Ok(bytes) => Ok(bytes),
                    Err(f) if f.cause == crate::download::Cause::Status(404) => bail!(
                        "the channel server has no Rust {channel}: {u} answered 404 Not Found; \
                         check the channel in rust-toolchain.toml (a released version such as \
                         1.85.0, or a nightly date the server published)"
                    ),
                    Err(f) => Err(f.into()),
                }
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
