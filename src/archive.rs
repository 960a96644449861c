//! The one way crossflake writes archives, and the one date it puts in them.
//!
//! Every archive crossflake writes (the release archives of `crossflake dist`, the layers of an
//! OCI image, an `oci-archive`) is a function of its entries and the source date: entries sorted
//! by path (a directory's path, written with a trailing `/`, sorts before what it holds), owner
//! and group 0 with no names unless an entry says otherwise (an image's `/home/nonroot` belongs
//! to 65532), modes 0755 for directories and executables and 0644 for the rest unless an entry
//! says otherwise (an image's `/tmp` is 1777), every mtime the source date. gzip streams carry no
//! time stamp, no file name and a fixed OS byte. Nothing depends on paths, umask, clock, thread
//! count or machine.
//!
//! The source date ([`source_date`]) is SOURCE_DATE_EPOCH when set (reproducible-builds.org's
//! convention), else the time of the last git commit of the project, else
//! 1980-01-01T00:00:00Z ([`DEFAULT_EPOCH`]), the earliest time a zip entry can hold. The flake
//! follows the same rule (nix/sourceDate.nix): the source's `lastModified`, else 1980-01-01.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;

/// The source date used when neither SOURCE_DATE_EPOCH nor a git commit gives one:
/// 1980-01-01T00:00:00Z in seconds since the Unix epoch, the earliest time a zip entry can hold
/// (MS-DOS dates start in 1980).
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// The date every archive entry and every time stamp crossflake writes carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDate {
    /// Seconds since the Unix epoch.
    pub epoch: u64,
    /// Where it came from, for the user: `SOURCE_DATE_EPOCH`, `the last git commit (HASH)`, or
    /// why neither gave one.
    pub from: String,
}

impl SourceDate {
    /// The line the writing verbs print: `source date 2023-11-14T22:13:20Z (1700000000) from ...`.
    pub fn describe(&self) -> String {
        format!(
            "source date {} ({}) from {}",
            rfc3339(self.epoch),
            self.epoch,
            self.from
        )
    }
}

/// The source date of what is built at `root` (see the module docs for the rule).
///
/// Errors: SOURCE_DATE_EPOCH is set but is not a whole number of seconds.
pub fn source_date(root: &Path) -> Result<SourceDate> {
    source_date_with(std::env::var_os("SOURCE_DATE_EPOCH"), root)
}

/// [`source_date`] with SOURCE_DATE_EPOCH's value given.
fn source_date_with(env: Option<std::ffi::OsString>, root: &Path) -> Result<SourceDate> {
    if let Some(v) = env {
        let v = v.to_string_lossy();
        let epoch = v.trim().parse::<u64>().with_context(|| {
            format!(
                "SOURCE_DATE_EPOCH is {v:?}; it must be seconds since 1970-01-01 (a whole number)"
            )
        })?;
        return Ok(SourceDate {
            epoch,
            from: "SOURCE_DATE_EPOCH".into(),
        });
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let why = match git(&["rev-parse", "--is-inside-work-tree"]) {
        None => format!("1980-01-01: {} is not in a git repository", root.display()),
        Some(_) => match git(&["log", "-1", "--format=%ct %h"]) {
            Some(line) if !line.is_empty() => {
                let (secs, hash) = line.split_once(' ').unwrap_or((&line, ""));
                if let Ok(epoch) = secs.parse::<u64>() {
                    return Ok(SourceDate {
                        epoch,
                        from: format!("the last git commit ({hash})"),
                    });
                }
                format!("1980-01-01: git gave no commit time for {}", root.display())
            }
            _ => format!(
                "1980-01-01: the git repository at {} has no commit yet",
                root.display()
            ),
        },
    };
    Ok(SourceDate {
        epoch: DEFAULT_EPOCH,
        from: format!("{why} and SOURCE_DATE_EPOCH is not set"),
    })
}

/// `epoch` seconds as an RFC 3339 UTC time stamp (`1980-01-01T00:00:00Z`).
pub fn rfc3339(epoch: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch))
        .to_string()
}

/// One entry of an archive: a directory or a file, with its mode and owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path inside the archive, `/`-separated, relative; a directory's ends with `/`.
    pub path: String,
    /// A file's bytes; `None` for a directory.
    pub data: Option<&'a [u8]>,
    /// Unix permission bits (0755, 0644, 01777, ...).
    pub mode: u32,
    /// Owner uid, also the gid (0 unless set with [`Entry::owned_by`]).
    pub owner: u32,
}

impl<'a> Entry<'a> {
    /// A directory (mode 0755, owner 0). `path` gets a trailing `/` if it has none.
    pub fn dir(path: &str) -> Entry<'a> {
        let path = if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        Entry {
            path,
            data: None,
            mode: 0o755,
            owner: 0,
        }
    }

    /// A file: mode 0755 when `executable`, else 0644; owner 0.
    pub fn file(path: &str, data: &'a [u8], executable: bool) -> Entry<'a> {
        Entry {
            path: path.to_string(),
            data: Some(data),
            mode: if executable { 0o755 } else { 0o644 },
            owner: 0,
        }
    }

    /// The same entry with permission bits `mode`.
    pub fn mode(mut self, mode: u32) -> Entry<'a> {
        self.mode = mode;
        self
    }

    /// The same entry owned by `uid` (user and group).
    pub fn owned_by(mut self, uid: u32) -> Entry<'a> {
        self.owner = uid;
        self
    }
}

/// A file for [`tree`]: its path, bytes, and whether it is executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path below the archive's top, `/`-separated, no leading `/`.
    pub path: String,
    /// The file's bytes.
    pub content: Vec<u8>,
    /// Mode 0755 rather than 0644.
    pub executable: bool,
}

/// The entries of a directory tree holding `files`, under the directory `top` when given: the
/// files and every directory their paths need, sorted.
///
/// Errors: a path that is absolute, empty or has `.`, `..` or an empty component; two files
/// with one path.
pub fn tree<'a>(top: Option<&str>, files: &'a [File]) -> Result<Vec<Entry<'a>>> {
    let prefix = top.map(|t| format!("{t}/")).unwrap_or_default();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    let mut paths: BTreeSet<&str> = BTreeSet::new();
    if let Some(t) = top {
        dirs.insert(format!("{t}/"));
    }
    for f in files {
        if f.path.is_empty()
            || f.path.starts_with('/')
            || f.path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            bail!("archive entry {:?} is not a relative path", f.path);
        }
        if !paths.insert(&f.path) {
            bail!("two archive entries are named {}", f.path);
        }
        let mut at = 0;
        while let Some(i) = f.path[at..].find('/') {
            dirs.insert(format!("{prefix}{}/", &f.path[..at + i]));
            at += i + 1;
        }
    }
    let mut entries: Vec<Entry> = dirs.iter().map(|d| Entry::dir(d)).collect();
    entries.extend(
        files
            .iter()
            .map(|f| Entry::file(&format!("{prefix}{}", f.path), &f.content, f.executable)),
    );
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// An uncompressed tar (ustar headers; GNU long-name entries for paths over 100 bytes) of
/// `entries`, sorted by path, every mtime `epoch` (seconds since the Unix epoch), no owner names.
///
/// Errors: two entries with one path; a path tar cannot hold.
pub fn tar(entries: &[Entry], epoch: u64) -> Result<Vec<u8>> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = sorted.windows(2).find(|w| w[0].path == w[1].path) {
        bail!("two archive entries are named {}", w[0].path);
    }
    let mut tar = tar::Builder::new(Vec::new());
    for e in sorted {
        let mut h = tar::Header::new_ustar();
        h.set_uid(u64::from(e.owner));
        h.set_gid(u64::from(e.owner));
        h.set_mtime(epoch);
        h.set_mode(e.mode);
        match e.data {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                tar.append_data(&mut h, &e.path, std::io::empty())
            }
            Some(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                tar.append_data(&mut h, &e.path, data)
            }
        }
        .with_context(|| format!("failed to add {} to the archive", e.path))?;
    }
    Ok(tar.into_inner()?)
}

/// Size of the pieces [`gzip`] compresses in parallel when asked to.
pub const GZIP_CHUNK: usize = 8 << 20;

/// How [`gzip`] lays out its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// One gzip member at the best compression (level 9), whatever the size: what every reader
    /// of release archives takes, and the smallest download.
    One,
    /// Data over [`GZIP_CHUNK`] cut into pieces of that size, each compressed (level 6, for
    /// speed on image layers of tens of MB) as its own gzip member in parallel (rayon), the members concatenated: a multi-member gzip file (RFC 1952
    /// section 2.2), which Go's compress/gzip, and so skopeo, containerd and registries, read
    /// as one stream. The pieces do not depend on the number of threads, so neither do the
    /// bytes.
    Chunked,
}

/// gzip with no file name, mtime 0 and OS byte 255 ("unknown"), laid out as `members` says.
///
/// Errors: only the compressor's own I/O errors, which writing to memory does not produce.
pub fn gzip(data: &[u8], members: Members) -> Result<Vec<u8>> {
    let level = match members {
        Members::One => flate2::Compression::best(),
        Members::Chunked => flate2::Compression::default(),
    };
    let member = |piece: &[u8]| -> std::io::Result<Vec<u8>> {
        let mut enc = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(Vec::with_capacity(piece.len() / 2), level);
        enc.write_all(piece)?;
        enc.finish()
    };
    if members == Members::One || data.len() <= GZIP_CHUNK {
        return Ok(member(data)?);
    }
    let parts = data
        .par_chunks(GZIP_CHUNK)
        .map(member)
        .collect::<std::io::Result<Vec<_>>>()?;
    Ok(parts.concat())
}

/// A zip (deflate) of `entries`, sorted by path, with their modes and every time stamp `epoch`.
///
/// Errors: `epoch` outside what a zip can hold (1980 to 2107).
pub fn zip(entries: &[Entry], epoch: u64) -> Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let stamp = rfc3339(epoch);
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
        anyhow!("a zip cannot hold the source date {stamp}: set SOURCE_DATE_EPOCH to a date from 1980 to 2107")
    })?;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time);
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in sorted {
        match e.data {
            None => w.add_directory(e.path.as_str(), options.unix_permissions(e.mode))?,
            Some(data) => {
                w.start_file(e.path.as_str(), options.unix_permissions(e.mode))?;
                w.write_all(data)?;
            }
        }
    }
    Ok(w.finish()?.into_inner())
}

/// A release archive's format: zip for windows targets (what binstall and windows users
/// expect), gzip'd tar for the rest.
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

    /// The archive of `entries` in this format, dated `epoch`.
    ///
    /// Errors: see [`tar`] and [`zip`].
    pub fn write(self, entries: &[Entry], epoch: u64) -> Result<Vec<u8>> {
        match self {
            Format::TarGz => gzip(&tar(entries, epoch)?, Members::One),
            Format::Zip => zip(entries, epoch),
        }
    }
}

/// The files of an archive (path inside it, bytes), directories left out.
///
/// Errors: the bytes are not an archive of that format.
pub fn read(format: Format, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    match format {
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(bytes));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<File> {
        vec![
            File {
                path: "licenses/zlib-1.0/LICENSE".into(),
                content: b"zlib licence\n".to_vec(),
                executable: false,
            },
            File {
                path: "app".into(),
                content: b"\x7fELF...".to_vec(),
                executable: true,
            },
            File {
                path: "README.md".into(),
                content: b"# app\n".to_vec(),
                executable: false,
            },
        ]
    }

    /// (path, mode, uid, gid, mtime, size) of every entry of a tar, in order.
    fn listing(tar_bytes: &[u8]) -> Vec<(String, u32, u64, u64, u64, usize)> {
        let mut a = tar::Archive::new(tar_bytes);
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let h = e.header().clone();
                let mut body = Vec::new();
                e.read_to_end(&mut body).unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mtime().unwrap(),
                    body.len(),
                )
            })
            .collect()
    }

    #[test]
    fn a_tree_is_sorted_owned_by_root_and_dated_by_the_source_date() {
        let f = files();
        let bytes = tar(&tree(Some("app-x-v1"), &f).unwrap(), 1_700_000_000).unwrap();
        let t = 1_700_000_000;
        assert_eq!(
            listing(&bytes),
            vec![
                ("app-x-v1/".to_string(), 0o755, 0, 0, t, 0),
                ("app-x-v1/README.md".into(), 0o644, 0, 0, t, 6),
                ("app-x-v1/app".into(), 0o755, 0, 0, t, 7),
                ("app-x-v1/licenses/".into(), 0o755, 0, 0, t, 0),
                ("app-x-v1/licenses/zlib-1.0/".into(), 0o755, 0, 0, t, 0),
                (
                    "app-x-v1/licenses/zlib-1.0/LICENSE".into(),
                    0o644,
                    0,
                    0,
                    t,
                    13
                ),
            ]
        );
    }

    #[test]
    fn entries_keep_the_modes_and_owners_they_are_given_in_any_order() {
        let entries = vec![
            Entry::file("usr/local/bin/app", b"x", true),
            Entry::dir("tmp").mode(0o1777),
            Entry::dir("home/nonroot").mode(0o700).owned_by(65532),
        ];
        let mut reversed = entries.clone();
        reversed.reverse();
        let a = tar(&entries, 0).unwrap();
        assert!(a == tar(&reversed, 0).unwrap(), "order of the input shows");
        assert_eq!(
            listing(&a),
            vec![
                ("home/nonroot/".to_string(), 0o700, 65532, 65532, 0, 0),
                ("tmp/".into(), 0o1777, 0, 0, 0, 0),
                ("usr/local/bin/app".into(), 0o755, 0, 0, 0, 1),
            ]
        );
    }

    #[test]
    fn long_paths_are_kept_whole() {
        let long = format!("{}/file", "d".repeat(150));
        let bytes = tar(&[Entry::file(&long, b"x", false)], 0).unwrap();
        assert_eq!(listing(&bytes)[0].0, long);
    }

    #[test]
    fn the_same_files_in_another_order_give_the_same_bytes_and_the_date_shows() {
        for format in [Format::TarGz, Format::Zip] {
            let f = files();
            let mut rev = files();
            rev.reverse();
            let day = DEFAULT_EPOCH + 86_400;
            let a = format.write(&tree(Some("s"), &f).unwrap(), day).unwrap();
            let b = format.write(&tree(Some("s"), &rev).unwrap(), day).unwrap();
            assert!(a == b, "{format:?}");
            let c = format
                .write(&tree(Some("s"), &rev).unwrap(), day + 86_400)
                .unwrap();
            assert!(a != c, "{format:?}: the date must be in the archive");
            let mut back = read(format, &a).unwrap();
            back.sort();
            assert_eq!(
                back.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
                ["s/README.md", "s/app", "s/licenses/zlib-1.0/LICENSE"]
            );
        }
    }

    #[test]
    fn zip_entries_carry_modes_and_the_date() {
        let f = files();
        // 2023-11-14T22:13:20Z
        let bytes = zip(&tree(Some("s"), &f).unwrap(), 1_700_000_000).unwrap();
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
        let err = zip(&tree(Some("s"), &f).unwrap(), 0).unwrap_err();
        assert!(err.to_string().contains("SOURCE_DATE_EPOCH"), "{err}");
    }

    #[test]
    fn bad_paths_are_refused() {
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "./a"] {
            let f = [File {
                path: bad.into(),
                content: vec![],
                executable: false,
            }];
            let err = tree(Some("s"), &f).unwrap_err();
            assert!(
                err.to_string().contains("not a relative path"),
                "{bad}: {err}"
            );
        }
        let twice = [files()[0].clone(), files()[0].clone()];
        let err = tree(None, &twice).unwrap_err();
        assert!(err.to_string().contains("two archive entries"), "{err}");
        let err = tar(&[Entry::dir("a"), Entry::dir("a/")], 0).unwrap_err();
        assert!(err.to_string().contains("two archive entries"), "{err}");
    }

    #[test]
    fn gzip_has_no_timestamp_or_name() {
        let gz = gzip(b"hello", Members::One).unwrap();
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0], "no FNAME flag");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime 0");
        assert_eq!(gz[9], 255, "fixed OS byte");
    }

    #[test]
    fn chunked_gzip_is_multi_member_and_reads_back_whole_whatever_the_threads() {
        let data: Vec<u8> = (0..GZIP_CHUNK * 2 + 12345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let gz = gzip(&data, Members::Chunked).unwrap();
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data, "the data did not read back");
        let members = gz.windows(4).filter(|w| *w == [0x1f, 0x8b, 8, 0]).count();
        assert!(members >= 3, "{members} gzip members");
        let one = gzip(&data, Members::One).unwrap();
        assert_eq!(
            one.windows(4).filter(|w| *w == [0x1f, 0x8b, 8, 0]).count(),
            1
        );
        for threads in [1, 2, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let other = pool.install(|| gzip(&data, Members::Chunked)).unwrap();
            assert_eq!(pool.current_num_threads(), threads);
            assert!(other == gz, "{threads} threads: other bytes");
        }
    }

    #[test]
    fn the_source_date_comes_from_the_last_commit_else_1980_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let d = source_date_with(None, dir.path()).unwrap();
        assert_eq!(d.epoch, DEFAULT_EPOCH);
        assert!(d.from.contains("is not in a git repository"), "{}", d.from);
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
                .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        let d = source_date_with(None, dir.path()).unwrap();
        assert_eq!(d.epoch, DEFAULT_EPOCH);
        assert!(d.from.contains("has no commit yet"), "{}", d.from);
        git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ]);
        let d = source_date_with(None, dir.path()).unwrap();
        assert_eq!(d.epoch, 1_700_000_000);
        assert!(d.from.starts_with("the last git commit ("), "{}", d.from);
        assert!(
            d.describe()
                .starts_with("source date 2023-11-14T22:13:20Z (1700000000) from"),
            "{}",
            d.describe()
        );
        // SOURCE_DATE_EPOCH wins over the commit, and must be a number
        let d = source_date_with(Some("42".into()), dir.path()).unwrap();
        assert_eq!((d.epoch, d.from.as_str()), (42, "SOURCE_DATE_EPOCH"));
        let err = source_date_with(Some("yesterday".into()), dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("SOURCE_DATE_EPOCH is \"yesterday\""),
            "{err}"
        );
    }
}
