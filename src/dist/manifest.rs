//! `crossflake-dist.json` and `SHA256SUMS`: what a dist wrote, with sizes and digests.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::verify::{BinaryFacts, Check};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA256SUMS for `files` (name, bytes): `HEX  NAME` lines (two spaces: text mode, as
/// `sha256sum` writes them) sorted by name.
pub fn sha256sums(files: &[(String, Vec<u8>)]) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    lines.concat()
}

/// `crossflake-dist.json`: what `crossflake dist` wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    /// Format version of this file (1).
    pub schema: u32,
    /// The archives' timestamp, seconds since the Unix epoch.
    pub source_date_epoch: u64,
    /// Every file written beside this one, sorted by path.
    pub artifacts: Vec<ManifestArtifact>,
}

/// One file of a dist.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManifestArtifact {
    /// `archive`, `sbom` (CycloneDX JSON of the archive's binaries) or `checksums`.
    pub kind: String,
    /// File name, relative to the output directory.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// The target as the project names it (alias, `.GLIBC` with a floor); archives and SBOMs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The rustc target triple; archives and SBOMs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triple: Option<String>,
    /// Package name; archives and SBOMs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Package version; archives and SBOMs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The binaries in the archive, each with `crossflake verify`'s report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<ManifestBinary>,
    /// Linked dependencies whose sources hold no licence file (name version, licence expression).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies_without_licence_text: Vec<String>,
}

/// A binary inside an archive.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ManifestBinary {
    /// Path inside the archive.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// `crossflake verify`'s verdict: every claim holds (dist writes nothing otherwise).
    pub verified: bool,
    /// What the binary is.
    pub facts: BinaryFacts,
    /// Each claim checked.
    pub checks: Vec<Check>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_sorted_sha256sum_lines() {
        let sums = sha256sums(&[
            ("b.zip".into(), b"abc".to_vec()),
            ("a.tar.gz".into(), vec![]),
        ]);
        assert_eq!(
            sums,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.tar.gz\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.zip\n"
        );
    }
}
