//! Release archives for `crossflake dist`: one per package and target, named and laid out the
//! way cargo-binstall looks for them by default (`{name}-{target}-v{version}.tar.gz`, `.zip` for
//! windows, holding a `{name}-{target}-v{version}/` directory with the binaries: binstall's
//! default `pkg-url` and `bin-dir`), SHA256SUMS in the format `sha256sum -c` reads, and the
//! `crossflake-dist.json` manifest.
//!
//! An archive is a function of its entries and the source date: entries sorted by path,
//! directories listed before what they hold, owner 0:0 with no user or group names, mode 0755
//! for executables and directories and 0644 for the rest, every mtime the source date, and a
//! gzip header with no timestamp or file name.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::verify::{BinaryFacts, Check};

/// The source date used when neither SOURCE_DATE_EPOCH nor a git commit gives one:
/// 1980-01-01T00:00:00Z, the earliest time a zip entry can hold (seconds since the epoch).
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// An archive's format: zip for windows targets (what binstall and windows users expect),
/// gzip'd tar for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.tar.gz`.
    TarGz,
    /// `.zip`.
    Zip,
}

impl Format {
    /// The format for a target of catalog `os` (`linux`, `windows`, `wasi`, `darwin`).
    pub fn for_os(os: &str) -> Format {
        if os == "windows" {
            Format::Zip
        } else {
            Format::TarGz
        }
    }

    /// The file name suffix, as binstall's `{ archive-suffix }` spells it.
    pub fn suffix(self) -> &'static str {
        match self {
            Format::TarGz => ".tar.gz",
            Format::Zip => ".zip",
        }
    }
}

/// The name of a package's archive for a target, without the suffix, which is also the
/// directory inside it: `{name}-{triple}-v{version}` (binstall's default; the triple without
/// a glibc floor).
pub fn archive_stem(name: &str, triple: &str, version: &str) -> String {
    format!("{name}-{triple}-v{version}")
}

/// A file to put in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive's top directory, `/`-separated, no leading `/`.
    pub path: String,
    /// The file's bytes.
    pub content: Vec<u8>,
    /// Mode 0755 rather than 0644.
    pub executable: bool,
}

/// Writes the archive `{stem}{suffix}`: the directory `stem/` holding `entries` (and the
/// directories their paths need), with every mtime `epoch` (seconds since the Unix epoch).
///
/// Errors: an entry path that is absolute, empty or has `..`; two entries with one path; an
/// epoch before 1980 or after 2107 for a zip.
pub fn write_archive(format: Format, stem: &str, entries: &[Entry], epoch: u64) -> Result<Vec<u8>> {
    let mut files: BTreeMap<&str, &Entry> = BTreeMap::new();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for e in entries {
        if e.path.is_empty()
            || e.path.starts_with('/')
            || e.path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            bail!("archive entry {:?} is not a relative path", e.path);
        }
        if files.insert(&e.path, e).is_some() {
            bail!("two archive entries are named {}", e.path);
        }
        let mut at = 0;
        while let Some(i) = e.path[at..].find('/') {
            dirs.insert(e.path[..at + i].to_string());
            at += i + 1;
        }
    }
    // one sorted list: a directory's path sorts before the paths inside it
    let mut all: Vec<(String, Option<&Entry>)> = std::iter::once((format!("{stem}/"), None))
        .chain(dirs.iter().map(|d| (format!("{stem}/{d}/"), None)))
        .chain(
            files
                .values()
                .map(|e| (format!("{stem}/{}", e.path), Some(*e))),
        )
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    match format {
        Format::TarGz => tar_gz(&all, epoch),
        Format::Zip => zip(&all, epoch),
    }
}

fn tar_gz(all: &[(String, Option<&Entry>)], epoch: u64) -> Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    let entries: Vec<TarEntry> = all
        .iter()
        .map(|(path, e)| {
            (
                path.clone(),
                e.map(|e| (e.content.as_slice(), e.executable)),
            )
        })
        .collect();
    append_tar_entries(&mut tar, &entries, epoch)?;
    Ok(tar.into_inner()?.finish()?)
}

/// One entry of a deterministic tar: its path and, for a file, its bytes and whether it is
/// executable (`None`: a directory).
pub type TarEntry<'a> = (String, Option<(&'a [u8], bool)>);

/// Appends `entries`, in the order given, to `tar`: owner 0:0 with no owner names, modes 0755
/// (directories, executables) or 0644, every mtime `epoch` (seconds since the Unix epoch). The
/// one tar header recipe of the dist archives and the OCI `oci-archive`.
pub fn append_tar_entries<W: Write>(
    tar: &mut tar::Builder<W>,
    entries: &[TarEntry],
    epoch: u64,
) -> Result<()> {
    for (path, entry) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(epoch);
        match entry {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                tar.append_data(&mut h, path, std::io::empty())?;
            }
            Some((content, executable)) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(if *executable { 0o755 } else { 0o644 });
                h.set_size(content.len() as u64);
                tar.append_data(&mut h, path, *content)?;
            }
        }
    }
    Ok(())
}

fn zip(all: &[(String, Option<&Entry>)], epoch: u64) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let stamp = crate::oci::rfc3339(epoch);
    let n = |r: std::ops::Range<usize>| stamp[r].parse::<u16>().unwrap_or(0);
    let time = zip::DateTime::from_date_and_time(
        n(0..4),
        n(5..7) as u8,
        n(8..10) as u8,
        n(11..13) as u8,
        n(14..16) as u8,
        n(17..19) as u8,
    )
    .map_err(|_| {
        anyhow::anyhow!("a zip cannot hold the source date {stamp}: set SOURCE_DATE_EPOCH to a date from 1980 to 2107")
    })?;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, entry) in all {
        match entry {
            None => w.add_directory(path.as_str(), options.unix_permissions(0o755))?,
            Some(e) => {
                let mode = if e.executable { 0o755 } else { 0o644 };
                w.start_file(path.as_str(), options.unix_permissions(mode))?;
                w.write_all(&e.content)?;
            }
        }
    }
    Ok(w.finish()?.into_inner())
}

/// The files of an archive [`write_archive`] wrote: (path inside it, bytes), directories left out.
///
/// Errors: the bytes are not an archive of that format.
pub fn read_archive(format: Format, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    use std::io::Read;
    let mut out = Vec::new();
    match format {
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
            for e in tar.entries()? {
                let mut e = e?;
                if e.header().entry_type().is_file() {
                    let path = e.path()?.display().to_string();
                    let mut body = Vec::new();
                    e.read_to_end(&mut body)?;
                    out.push((path, body));
                }
            }
        }
        Format::Zip => {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
            for i in 0..z.len() {
                let mut f = z.by_index(i)?;
                if f.is_file() {
                    let mut body = Vec::new();
                    f.read_to_end(&mut body)?;
                    let name = f.name()?.to_string();
                    out.push((name, body));
                }
            }
        }
    }
    Ok(out)
}

/// Where two versions of a file first differ: for ELF and PE binaries, the first section (in
/// file order) whose bytes differ and the offset in it, or that the section tables differ;
/// else the first differing byte offset, or that one is a prefix of the other.
pub fn first_difference(a: &[u8], b: &[u8]) -> String {
    let sections = |bytes: &[u8]| -> Option<Vec<(String, usize, usize)>> {
        match goblin::Object::parse(bytes).ok()? {
            goblin::Object::Elf(elf) => Some(
                elf.section_headers
                    .iter()
                    .map(|h| {
                        let name = elf.shdr_strtab.get_at(h.sh_name).unwrap_or("?").to_string();
                        let size = if h.sh_type == goblin::elf::section_header::SHT_NOBITS {
                            0
                        } else {
                            h.sh_size as usize
                        };
                        (name, h.sh_offset as usize, size)
                    })
                    .collect(),
            ),
            goblin::Object::PE(pe) => Some(
                pe.sections
                    .iter()
                    .map(|s| {
                        let name = String::from_utf8_lossy(&s.name)
                            .trim_end_matches('\0')
                            .to_string();
                        (
                            name,
                            s.pointer_to_raw_data as usize,
                            s.size_of_raw_data as usize,
                        )
                    })
                    .collect(),
            ),
            _ => None,
        }
    };
    let first_byte = |x: &[u8], y: &[u8]| x.iter().zip(y).position(|(p, q)| p != q);
    if let (Some(sa), Some(sb)) = (sections(a), sections(b)) {
        let mut by_offset = sa.clone();
        by_offset.sort_by_key(|s| s.1);
        for (name, off, size) in &by_offset {
            let Some((_, boff, bsize)) = sb.iter().find(|s| &s.0 == name) else {
                return format!("section {name} is in the first build only");
            };
            let x = a.get(*off..off + size).unwrap_or_default();
            let y = b.get(*boff..boff + bsize).unwrap_or_default();
            if x != y {
                return match first_byte(x, y) {
                    Some(at) => format!("first in section {name}, at byte {at} of it"),
                    None => format!("first in section {name}: {size} bytes against {bsize}"),
                };
            }
        }
        if sa.len() != sb.len() {
            return "the section tables differ".into();
        }
    }
    match first_byte(a, b) {
        Some(at) => format!("first at byte {at} (outside any section)"),
        None => format!("{} bytes against {}", a.len(), b.len()),
    }
}

/// A CycloneDX 1.5 JSON SBOM of a binary, from the dependency tree `cargo auditable` embedded
/// in it (read with auditable-info, converted with auditable-cyclonedx: components with purls,
/// the dependency graph, no serial number or time stamp, so the same binary gives the same
/// bytes). It lists what was built for that binary's target: a windows binary's SBOM has
/// windows-sys where a linux one does not.
///
/// Errors: the binary holds no audit data (built without cargo-auditable), or it is malformed.
pub fn sbom(binary: &[u8]) -> Result<Vec<u8>> {
    let json = auditable_info::json_from_slice(binary, 8 * 1024 * 1024)
        .map_err(|e| anyhow::anyhow!("no cargo-auditable dependency data in the binary: {e}"))?;
    let info: auditable_cyclonedx::auditable_serde::VersionInfo =
        serde_json::from_str(&json).context("cargo-auditable's data is not what it should be")?;
    let bom = auditable_cyclonedx::auditable_to_minimal_cdx(&info);
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| anyhow::anyhow!("failed to write the CycloneDX SBOM: {e}"))?;
    out.push(b'\n');
    Ok(out)
}

/// Reads a minisign secret key. An encrypted key is opened with `password`; without one it
/// is an error unless `prompt` (then minisign asks on the terminal).
///
/// Errors name `path`: it cannot be read, is not a minisign secret key, the password is
/// wrong, or the key is encrypted and there is no password.
pub fn signing_key(
    path: &Path,
    password: Option<String>,
    prompt: bool,
) -> Result<minisign::SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key {}", path.display()))?;
    // a key file is an `untrusted comment:` line and a base64 line (minisign's format)
    let mut lines = text.lines();
    let framed = lines
        .next()
        .is_some_and(|l| l.starts_with("untrusted comment:"))
        && lines.next().is_some_and(|l| !l.trim().is_empty());
    if !framed {
        bail!(
            "{} is not a minisign secret key (make one with `minisign -G`)",
            path.display()
        );
    }
    let boxed = minisign::SecretKeyBox::from_string(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let unencrypted =
        minisign::SecretKeyBox::from_string(&text).and_then(|b| b.into_unencrypted_secret_key());
    if let Ok(key) = unencrypted
        && !key.is_encrypted()
    {
        return Ok(key);
    }
    if password.is_none() && !prompt {
        bail!(
            "the signing key {} is encrypted: set CROSSFLAKE_MINISIGN_PASSWORD to its password",
            path.display()
        );
    }
    boxed.into_secret_key(password).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the signing key {}: {e} (a wrong password, or not a minisign secret key)",
            path.display()
        )
    })
}

/// A minisign signature (the `.minisig` file's text) of `data` named `name`, with the trusted
/// comment `timestamp:EPOCH\tfile:NAME\thashed` as minisign writes it (EPOCH: the source date).
///
/// Errors: the key cannot sign (an encrypted key that was not opened).
pub fn minisign_signature(
    key: &minisign::SecretKey,
    name: &str,
    data: &[u8],
    epoch: u64,
) -> Result<String> {
    let trusted = format!("timestamp:{epoch}\tfile:{name}\thashed");
    let sig = minisign::sign(
        None,
        key,
        data,
        Some(&trusted),
        Some("signature from crossflake dist"),
    )
    .map_err(|e| anyhow::anyhow!("cannot sign {name}: {e}"))?;
    Ok(sig.into_string())
}

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

/// The archives' timestamp in seconds since the Unix epoch, and where it came from:
/// SOURCE_DATE_EPOCH when set (the reproducible-builds.org convention), else the commit time of
/// the git HEAD at `root`, else [`DEFAULT_EPOCH`].
///
/// Errors: SOURCE_DATE_EPOCH is set but is not a whole number of seconds.
pub fn source_date_epoch(root: &Path) -> Result<(u64, String)> {
    if let Some(v) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let v = v.to_string_lossy();
        let secs = v.trim().parse::<u64>().with_context(|| {
            format!(
                "SOURCE_DATE_EPOCH is {v:?}; it must be seconds since 1970-01-01 (a whole number)"
            )
        })?;
        return Ok((secs, "SOURCE_DATE_EPOCH".into()));
    }
    let out = Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(root)
        .output();
    if let Ok(out) = out
        && out.status.success()
        && let Ok(secs) = String::from_utf8_lossy(&out.stdout).trim().parse::<u64>()
    {
        return Ok((secs, "the last git commit".into()));
    }
    Ok((
        DEFAULT_EPOCH,
        "no SOURCE_DATE_EPOCH and no git commit: 1980-01-01".into(),
    ))
}

/// Whether a file name is a licence text (LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE,
/// COPYRIGHT*, any case).
pub fn is_licence(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    [
        "LICENSE",
        "LICENCE",
        "COPYING",
        "NOTICE",
        "UNLICENSE",
        "COPYRIGHT",
    ]
    .iter()
    .any(|p| up.starts_with(p))
}

/// The README and licence files at the top of `dir`, sorted by name.
pub fn doc_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            is_licence(&name) || name.to_ascii_uppercase().starts_with("README")
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// A package of `cargo metadata`.
#[derive(Debug, Clone)]
pub struct Package {
    /// cargo's package id.
    pub id: String,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The directory of its Cargo.toml.
    pub dir: PathBuf,
    /// Its `license` expression, if any.
    pub license: Option<String>,
    /// A proc-macro crate: runs in the compiler, never linked into a binary.
    pub proc_macro: bool,
    /// The names of its `bin` targets (the executables' names without a suffix).
    pub bins: Vec<String>,
}

/// The packages cargo builds for one target triple and the normal dependency edges between
/// them, from `cargo metadata --format-version 1 --locked --filter-platform TRIPLE`.
#[derive(Debug)]
pub struct Graph {
    packages: HashMap<String, Package>,
    members: BTreeSet<String>,
    normal: HashMap<String, Vec<String>>,
}

impl Graph {
    /// Runs cargo metadata in `root` for `triple`.
    ///
    /// Errors: cargo metadata fails (its stderr is in the message) or prints something that
    /// is not cargo metadata.
    pub fn load(root: &Path, triple: &str) -> Result<Graph> {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
                "--filter-platform",
            ])
            .arg(triple)
            .current_dir(root)
            .output()
            .context("failed to run cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed in {}: {}",
                root.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("cargo metadata printed no JSON")?;
        Graph::from_metadata(&v)
    }

    /// Reads cargo metadata's JSON.
    ///
    /// Errors: no `packages` or `resolve` in it.
    pub fn from_metadata(v: &serde_json::Value) -> Result<Graph> {
        let mut packages = HashMap::new();
        for p in v["packages"]
            .as_array()
            .context("cargo metadata has no packages")?
        {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            let manifest = PathBuf::from(s("manifest_path"));
            let proc_macro = p["targets"].as_array().is_some_and(|ts| {
                ts.iter().any(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "proc-macro"))
                })
            });
            let bins = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bin"))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect();
            packages.insert(
                s("id"),
                Package {
                    id: s("id"),
                    name: s("name"),
                    version: s("version"),
                    dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
                    license: p["license"].as_str().map(str::to_string),
                    proc_macro,
                    bins,
                },
            );
        }
        let members = v["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        let mut normal: HashMap<String, Vec<String>> = HashMap::new();
        let nodes = v["resolve"]["nodes"]
            .as_array()
            .context("cargo metadata has no resolve graph")?;
        for node in nodes {
            let id = node["id"].as_str().unwrap_or_default().to_string();
            let deps = node["deps"].as_array().into_iter().flatten().filter(|d| {
                // normal edges only: build and dev dependencies are not in the binary
                d["dep_kinds"]
                    .as_array()
                    .is_none_or(|ks| ks.is_empty() || ks.iter().any(|k| k["kind"].is_null()))
            });
            normal.insert(
                id,
                deps.filter_map(|d| d["pkg"].as_str().map(str::to_string))
                    .collect(),
            );
        }
        Ok(Graph {
            packages,
            members,
            normal,
        })
    }

    /// The workspace member with a `bin` target named `bin`.
    pub fn member_with_bin(&self, bin: &str) -> Option<&Package> {
        self.members
            .iter()
            .filter_map(|m| self.packages.get(m))
            .find(|p| p.bins.iter().any(|b| b == bin))
    }

    /// A package by id.
    pub fn package(&self, id: &str) -> Option<&Package> {
        self.packages.get(id)
    }

    /// The packages linked into `id`'s binaries: reached through normal dependencies, proc-macros
    /// (and what only they use) left out, workspace members left out; sorted by name, version.
    pub fn linked(&self, id: &str) -> Vec<&Package> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo = vec![id];
        while let Some(at) = todo.pop() {
            for d in self.normal.get(at).into_iter().flatten() {
                if self.packages.get(d).is_some_and(|p| !p.proc_macro) && seen.insert(d) {
                    todo.push(d);
                }
            }
        }
        let mut out: Vec<&Package> = seen
            .into_iter()
            .filter(|d| !self.members.contains(*d))
            .filter_map(|d| self.packages.get(d))
            .collect();
        out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        out
    }
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
    use std::io::Read;

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                path: "licenses/zlib-1.0/LICENSE".into(),
                content: b"zlib licence\n".to_vec(),
                executable: false,
            },
            Entry {
                path: "app".into(),
                content: b"\x7fELF...".to_vec(),
                executable: true,
            },
            Entry {
                path: "README.md".into(),
                content: b"# app\n".to_vec(),
                executable: false,
            },
        ]
    }

    #[test]
    fn tar_entries_are_sorted_owned_by_root_and_dated_by_the_source_date() {
        let bytes = write_archive(Format::TarGz, "app-x-v1", &entries(), 1_700_000_000).unwrap();
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip MTIME must be zero");
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for e in tar.entries().unwrap() {
            let mut e = e.unwrap();
            let h = e.header().clone();
            let path = e.path().unwrap().display().to_string();
            let mut body = Vec::new();
            e.read_to_end(&mut body).unwrap();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0), "{path}");
            assert_eq!(h.mtime().unwrap(), 1_700_000_000, "{path}");
            seen.push((path, h.mode().unwrap(), body.len()));
        }
        assert_eq!(
            seen,
            vec![
                ("app-x-v1/".to_string(), 0o755, 0),
                ("app-x-v1/README.md".into(), 0o644, 6),
                ("app-x-v1/app".into(), 0o755, 7),
                ("app-x-v1/licenses/".into(), 0o755, 0),
                ("app-x-v1/licenses/zlib-1.0/".into(), 0o755, 0),
                ("app-x-v1/licenses/zlib-1.0/LICENSE".into(), 0o644, 13),
            ]
        );
    }

    #[test]
    fn the_same_entries_in_another_order_give_the_same_bytes() {
        for format in [Format::TarGz, Format::Zip] {
            let a = write_archive(format, "s", &entries(), DEFAULT_EPOCH + 86_400).unwrap();
            let mut rev = entries();
            rev.reverse();
            let b = write_archive(format, "s", &rev, DEFAULT_EPOCH + 86_400).unwrap();
            assert!(a == b, "{format:?}");
            let c = write_archive(format, "s", &rev, DEFAULT_EPOCH + 2 * 86_400).unwrap();
            assert!(a != c, "{format:?}: the date must be in the archive");
        }
    }

    #[test]
    fn zip_entries_carry_modes_and_the_date() {
        // 2023-11-14T22:13:20Z
        let bytes = write_archive(Format::Zip, "s", &entries(), 1_700_000_000).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
        assert!(
            names.contains(&"s/licenses/zlib-1.0/".to_string()),
            "{names:?}"
        );
        let app = z.by_name("s/app").unwrap();
        assert_eq!(app.unix_mode(), Some(0o100755));
        let t = app.last_modified().unwrap();
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2023, 11, 14, 22, 13, 20)
        );
        drop(app);
        assert_eq!(
            z.by_name("s/README.md").unwrap().unix_mode(),
            Some(0o100644)
        );
        let err = write_archive(Format::Zip, "s", &entries(), 0).unwrap_err();
        assert!(err.to_string().contains("SOURCE_DATE_EPOCH"), "{err}");
    }

    #[test]
    fn bad_entry_paths_are_refused() {
        for bad in ["", "/etc/passwd", "a/../b", "a//b"] {
            let e = Entry {
                path: bad.into(),
                content: vec![],
                executable: false,
            };
            let err = write_archive(Format::TarGz, "s", &[e], 0).unwrap_err();
            assert!(
                err.to_string().contains("not a relative path"),
                "{bad}: {err}"
            );
        }
        let twice = [entries()[0].clone(), entries()[0].clone()];
        let err = write_archive(Format::TarGz, "s", &twice, 0).unwrap_err();
        assert!(err.to_string().contains("two archive entries"), "{err}");
    }

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

    #[test]
    fn linked_packages_follow_normal_edges_only() {
        let node = |id: &str, deps: serde_json::Value| serde_json::json!({"id": id, "deps": deps});
        let dep = |pkg: &str, kind: serde_json::Value| serde_json::json!({"pkg": pkg, "dep_kinds": [{"kind": kind, "target": null}]});
        let pkg = |id: &str, kind: &str| {
            serde_json::json!({"id": id, "name": id, "version": "1.0.0",
                "manifest_path": format!("/src/{id}/Cargo.toml"), "license": "MIT",
                "targets": [{"kind": [kind]}]})
        };
        let v = serde_json::json!({
            "packages": [pkg("app", "bin"), pkg("lib", "lib"), pkg("cc", "lib"),
                         pkg("derive", "proc-macro"), pkg("syn", "lib"), pkg("sub", "lib"),
                         pkg("testdep", "lib")],
            "workspace_members": ["app"],
            "resolve": {"nodes": [
                node("app", serde_json::json!([dep("lib", serde_json::Value::Null),
                    dep("cc", "build".into()), dep("derive", serde_json::Value::Null),
                    dep("testdep", "dev".into())])),
                node("lib", serde_json::json!([dep("sub", serde_json::Value::Null)])),
                node("derive", serde_json::json!([dep("syn", serde_json::Value::Null)])),
            ]}
        });
        let g = Graph::from_metadata(&v).unwrap();
        let names: Vec<&str> = g.linked("app").iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["lib", "sub"]);
    }
}
