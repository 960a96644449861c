//! `dist --check-reproducible`: the same plan built a second time from a clone of the last
//! commit at another path, with another HOME and CARGO_HOME, umask 077 and one job, and every
//! file compared; a difference names the archive entry and the first section of the binary
//! that differs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::assemble::assemble;
use crate::archive::{self, Format};
use crate::pipeline::{self, Checkout};
use crate::project::Project;

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("failed to run git")
}

/// The top of the git work tree holding `root`.
///
/// Errors: `root` is not in a git work tree.
fn work_tree(root: &Path) -> Result<PathBuf> {
    let top = git(root, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        bail!(
            "--check-reproducible builds the last commit a second time, in a clone: {} is not in a git work tree",
            root.display()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&top.stdout).trim()))
}

/// The git work tree holding `root`, after checking that it has no uncommitted changes (before
/// the first build: what that build writes, such as an unignored target directory, is not a
/// change to the source).
///
/// Errors: `root` is not in a git work tree, or the tree has changes (`git status --porcelain`).
pub fn clean_work_tree(root: &Path) -> Result<PathBuf> {
    let top = work_tree(root)?;
    let status = git(root, &["status", "--porcelain"])?;
    let changes = String::from_utf8_lossy(&status.stdout).to_string();
    if !status.status.success() || !changes.trim().is_empty() {
        bail!(
            "{} has uncommitted changes; --check-reproducible compares with a clone of the last commit, so commit or stash them first:\n{}",
            top.display(),
            changes.trim_end()
        );
    }
    Ok(top)
}

/// Builds `plan` again in a clone of HEAD at another path, with another HOME and CARGO_HOME
/// (their registry and git sources linked to this one's, so nothing is downloaded), umask 077,
/// one build job and its own target directory, and assembles that build's files as the first
/// build's were. The toolchain (RUSTUP_HOME) and the zig and crossflake caches stay this
/// build's.
///
/// The tree was checked clean before the first build ([`clean_work_tree`]). The second build
/// does not use the project's compiler cache.
///
/// Errors: the clone or the second build fails.
pub fn second_build(
    plan: &pipeline::Plan,
    project: &Project,
    epoch: u64,
    audit: bool,
) -> Result<Vec<(String, Vec<u8>)>> {
    let top = work_tree(&project.root)?;
    let tmp = tempfile::Builder::new()
        .prefix("crossflake-reproducible-")
        .tempdir()
        .context("failed to create a temporary directory")?;
    let clone = tmp.path().join("second-checkout");
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(&top)
        .arg(&clone)
        .output()
        .context("failed to run git clone")?;
    if !out.status.success() {
        bail!(
            "git clone of {} failed: {}",
            top.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let manifest = project.manifest_path.canonicalize()?;
    let rel = manifest.strip_prefix(&top).with_context(|| {
        format!(
            "{} is not inside the git work tree {}",
            manifest.display(),
            top.display()
        )
    })?;
    let checkout = isolated(tmp.path(), clone.join(rel))?;
    eprintln!(
        "crossflake: building again in {} (another HOME and CARGO_HOME, umask 077, one job)",
        checkout.root().display()
    );
    // compiled again, not read back from the first build's compiler cache
    let mut plan = plan.clone();
    if plan.compiler_cache.take().is_some() {
        eprintln!("crossflake: the second build compiles without sccache");
    }
    let built = plan
        .run(&checkout)
        .with_context(|| format!("the second build, in {}, failed", clone.display()))?;
    assemble(
        checkout.root(),
        &built.executables,
        &mut HashMap::new(),
        epoch,
        audit,
    )
}

/// The checkout of the second build: its own HOME and CARGO_HOME under `tmp` (sharing this
/// one's registry, git sources, config and installed tools), one job, no CARGO_TARGET_DIR or
/// CARGO_BUILD_TARGET_DIR,
/// umask 077; RUSTUP_HOME and XDG_CACHE_HOME pinned to this build's.
fn isolated(tmp: &Path, manifest_path: PathBuf) -> Result<Checkout> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cargo"));
    let new_home = tmp.join("home");
    let new_cargo_home = tmp.join("cargo-home");
    std::fs::create_dir_all(&new_home)?;
    std::fs::create_dir_all(&new_cargo_home)?;
    for shared in ["registry", "git", "config.toml", "config", "bin"] {
        if cargo_home.join(shared).exists() {
            std::os::unix::fs::symlink(cargo_home.join(shared), new_cargo_home.join(shared))?;
        }
    }
    let kept = |name: &str, default: PathBuf| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .unwrap_or(default)
            .display()
            .to_string()
    };
    let path = |p: &Path| Some(p.display().to_string());
    Ok(Checkout {
        manifest_path,
        env: vec![
            ("HOME".into(), path(&new_home)),
            ("CARGO_HOME".into(), path(&new_cargo_home)),
            (
                "RUSTUP_HOME".into(),
                Some(kept("RUSTUP_HOME", home.join(".rustup"))),
            ),
            (
                "XDG_CACHE_HOME".into(),
                Some(kept("XDG_CACHE_HOME", home.join(".cache"))),
            ),
            ("CARGO_BUILD_JOBS".into(), Some("1".into())),
            ("CARGO_TARGET_DIR".into(), None),
            ("CARGO_BUILD_TARGET_DIR".into(), None),
        ],
        umask: Some(0o077),
    })
}

/// Compares the two builds' files; on a difference names the first file, the first archive
/// entry and, for a binary, the first section that differ (and diffoscope's report on the two
/// binaries when diffoscope is on PATH).
///
/// Errors: the builds differ.
pub fn check_same(first: &[(String, Vec<u8>)], second: &[(String, Vec<u8>)]) -> Result<()> {
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    let (mut a, mut b) = (names(first), names(second));
    a.sort();
    b.sort();
    if a != b {
        bail!("not reproducible: the second build wrote {b:?}, the first {a:?}");
    }
    for (name, bytes) in first {
        let other = &second.iter().find(|f| &f.0 == name).expect("same names").1;
        if bytes == other {
            continue;
        }
        let Some(format) = [Format::TarGz, Format::Zip]
            .into_iter()
            .find(|f| name.ends_with(f.suffix()))
        else {
            continue; // SHA256SUMS and the manifest follow from the archives
        };
        let (ea, eb) = (archive::read(format, bytes)?, archive::read(format, other)?);
        for (path, content) in &ea {
            let Some((_, theirs)) = eb.iter().find(|e| &e.0 == path) else {
                bail!("not reproducible: {path} is in the first build's {name} only");
            };
            if content == theirs {
                continue;
            }
            let mut report = format!(
                "not reproducible: {name}: {path} differs between the two builds: {}",
                first_difference(content, theirs)
            );
            if let Some(summary) = diffoscope(path, content, theirs) {
                report.push_str("\ndiffoscope:\n");
                report.push_str(&summary);
            }
            bail!(report);
        }
        bail!("not reproducible: {name} differs between the two builds (entry order or metadata)");
    }
    // the archives are the same, so anything else that differs is crossflake's own doing
    for (name, bytes) in first {
        if second.iter().any(|f| &f.0 == name && &f.1 != bytes) {
            bail!("not reproducible: {name} differs between the two builds");
        }
    }
    Ok(())
}

/// diffoscope's text report on two versions of a file, first 60 lines; None without diffoscope.
fn diffoscope(name: &str, a: &[u8], b: &[u8]) -> Option<String> {
    let tool = which::which("diffoscope").ok()?;
    let dir = tempfile::tempdir().ok()?;
    let file = Path::new(name).file_name()?.to_owned();
    let (pa, pb) = (dir.path().join("first"), dir.path().join("second"));
    std::fs::create_dir_all(&pa).ok()?;
    std::fs::create_dir_all(&pb).ok()?;
    std::fs::write(pa.join(&file), a).ok()?;
    std::fs::write(pb.join(&file), b).ok()?;
    let out = Command::new(tool)
        .args(["--no-progress", "--text", "-"])
        .arg(pa.join(&file))
        .arg(pb.join(&file))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().take(60).collect::<Vec<_>>().join("\n"))
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
