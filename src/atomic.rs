//! Writing a file or a directory all at once, the one way crossflake does it: the new content is
//! staged beside its destination (`.crossflake-stage-ID`, in the same directory, so a rename
//! moves it into place) and renamed over the destination, so a reader sees the old content or
//! the new, never half of either. A directory that already exists is moved aside
//! (`.crossflake-stage-ID.old`), replaced, and put back if the replacement fails.
//!
//! While a run stages, it holds an exclusive lock on `.crossflake-stage-ID.lock`, which names the
//! destination. The lock goes with the process, so a run that was killed leaves a staging entry
//! whose lock anyone can take: the next [`Staged`] in that directory removes it (and puts a
//! directory that was moved aside back where it was, when nothing replaced it).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

const PREFIX: &str = ".crossflake-stage-";

/// A staged file or directory, removed on drop unless committed.
#[derive(Debug)]
pub struct Staged {
    /// The staged entry (`DIR/.crossflake-stage-ID`).
    path: PathBuf,
    /// Where it goes (`DIR/NAME`): what errors name.
    dest: PathBuf,
    /// Held locked while this run lives; removed with the staged entry.
    lock: Option<(File, PathBuf)>,
    /// A staged directory (which replaces a directory); a file never does.
    is_dir: bool,
    committed: bool,
}

impl Staged {
    /// Stages `content` for the file `dest`, with permission bits `mode`.
    ///
    /// Errors: `dest`'s directory does not exist or cannot be written.
    pub fn file(dest: &Path, content: &[u8], mode: u32) -> Result<Staged> {
        let staged = Staged::new(dest)?;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged.path)
            .with_context(|| format!("failed to write {}", dest.display()))?;
        f.write_all(content)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("failed to write {}", dest.display()))?;
        fs::set_permissions(&staged.path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("failed to set permissions of {}", dest.display()))?;
        Ok(staged)
    }

    /// Stages an empty directory (mode 0755) for `dest`, to be filled through [`Staged::path`].
    ///
    /// Errors: `dest`'s parent directory cannot be created or written.
    pub fn dir(dest: &Path) -> Result<Staged> {
        let parent = parent_of(dest)?;
        fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
        let mut staged = Staged::new(dest)?;
        staged.is_dir = true;
        fs::create_dir(&staged.path)
            .with_context(|| format!("failed to write in {}", parent.display()))?;
        fs::set_permissions(&staged.path, fs::Permissions::from_mode(0o755))?;
        Ok(staged)
    }

    /// Where the staged content is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `content` to the file `rel` (`/`-separated, relative) of a staged directory,
    /// creating the directories on its way, and flushes it to disk (so a rename after a crash
    /// never shows an empty file).
    ///
    /// Errors name the file as it will be once committed (`DEST/REL`), not the staging entry.
    pub fn write(&self, rel: &str, content: &[u8]) -> Result<()> {
        let path = self.path.join(rel);
        let shown = self.dest.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("failed to write {}", shown.display()))?;
        }
        File::create(&path)
            .and_then(|mut f| f.write_all(content).and_then(|()| f.sync_all()))
            .with_context(|| format!("failed to write {}", shown.display()))
    }

    /// Moves the staged content onto `dest` (the destination given when staging). A staged
    /// directory replaces an existing one: that is moved aside first, put back if the rename
    /// fails, and removed after. A staged file never replaces a directory.
    ///
    /// Errors name `dest`; on error `dest` is as it was.
    pub fn commit(mut self, dest: &Path) -> Result<()> {
        let old = self.path.with_extension("old");
        let replaces_dir = self.is_dir && dest.is_dir() && !dest.is_symlink();
        if replaces_dir {
            fs::rename(dest, &old)
                .with_context(|| format!("failed to replace {}", dest.display()))?;
        }
        if let Err(e) = fs::rename(&self.path, dest) {
            if replaces_dir {
                let _ = fs::rename(&old, dest);
            }
            return Err(e).with_context(|| format!("failed to replace {}", dest.display()));
        }
        self.committed = true;
        if replaces_dir {
            fs::remove_dir_all(&old)
                .with_context(|| format!("failed to remove the old {}", old.display()))?;
        }
        Ok(())
    }

    fn new(dest: &Path) -> Result<Staged> {
        let dir = parent_of(dest)?;
        clean_stale(dir);
        let lock_file = tempfile::Builder::new()
            .prefix(PREFIX)
            .suffix(".lock")
            .tempfile_in(dir)
            .with_context(|| {
                format!(
                    "failed to write {}: cannot create a file in {}",
                    dest.display(),
                    dir.display()
                )
            })?;
        let (mut file, lock_path) = lock_file
            .keep()
            .with_context(|| format!("failed to write in {}", dir.display()))?;
        file.lock()
            .with_context(|| format!("failed to lock {}", lock_path.display()))?;
        let _ = writeln!(file, "{}", dest.display());
        let name = lock_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".lock"))
            .context("a staging lock file has an unexpected name")?
            .to_string();
        Ok(Staged {
            path: dir.join(name),
            dest: dest.to_path_buf(),
            lock: Some((file, lock_path)),
            is_dir: false,
            committed: false,
        })
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            remove_entry(&self.path);
        }
        if let Some((file, path)) = self.lock.take() {
            let _ = fs::remove_file(&path);
            drop(file);
        }
    }
}

fn parent_of(dest: &Path) -> Result<&Path> {
    dest.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .with_context(|| format!("{} has no parent directory", dest.display()))
}

fn remove_entry(path: &Path) {
    if path.is_dir() && !path.is_symlink() {
        let _ = fs::remove_dir_all(path);
    } else {
        let _ = fs::remove_file(path);
    }
}

/// Removes what killed runs staged in `dir`: every `.crossflake-stage-ID` whose lock no live
/// process holds, with its lock; a directory such a run had moved aside goes back to its
/// destination when nothing took its place, and is removed otherwise. Failures are ignored (the
/// next run tries again).
pub fn clean_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(id) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_suffix(".lock"))
        else {
            continue;
        };
        let lock_path = entry.path();
        let Ok(lock) = OpenOptions::new().read(true).write(true).open(&lock_path) else {
            continue;
        };
        if lock.try_lock().is_err() {
            continue; // a live run holds it
        }
        let dest = fs::read_to_string(&lock_path)
            .ok()
            .map(|s| PathBuf::from(s.trim_end()));
        let staged = dir.join(format!("{PREFIX}{id}"));
        let old = staged.with_extension("old");
        remove_entry(&staged);
        if old.exists() {
            match dest {
                Some(d) if !d.as_os_str().is_empty() && !d.exists() => {
                    let _ = fs::rename(&old, &d);
                }
                _ => remove_entry(&old),
            }
        }
        let _ = fs::remove_file(&lock_path);
    }
}

/// Checks, without writing, that `dest` can be created or replaced: the nearest directory
/// that exists on the way to it (its parent, or above when the parent is still to be created)
/// admits new entries (`access(2)` with W_OK, which also answers for a read-only file system
/// and for an immutable directory, even as root).
///
/// Errors name `dest`, the directory, and why.
pub fn check_writable(dest: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let mut dir = parent_of(dest)?;
    while !dir.exists() {
        dir = dir.parent().unwrap_or(Path::new("/"));
    }
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .with_context(|| format!("{} holds a NUL byte", dir.display()))?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
        let err = std::io::Error::last_os_error();
        anyhow::bail!(
            "cannot write {}: {} does not admit new files ({err}); choose another output directory",
            dest.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Writes `content` to `path` all at once (see the module), with permission bits `mode` for a
/// new file; an existing file keeps its own.
///
/// Errors name `path`.
pub fn write_file(path: &Path, content: &[u8], mode: u32) -> Result<()> {
    let mode = fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(mode);
    Staged::file(path, content, mode)?.commit(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_file_is_replaced_whole_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        write_file(&f, b"one", 0o600).unwrap();
        write_file(&f, b"two", 0o644).unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "two");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600,
            "an existing file keeps its mode"
        );
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_directory_is_swapped_and_an_uncommitted_one_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("old"), "x").unwrap();
        let s = Staged::dir(&out).unwrap();
        fs::write(s.path().join("new"), "y").unwrap();
        s.commit(&out).unwrap();
        assert_eq!(names(&out), ["new"]);
        let s = Staged::dir(&out).unwrap();
        fs::write(s.path().join("half"), "z").unwrap();
        drop(s);
        assert_eq!(names(dir.path()), ["out"]);
        assert_eq!(names(&out), ["new"]);
    }

    #[test]
    fn a_failed_swap_puts_the_old_directory_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("old"), "x").unwrap();
        let s = Staged::dir(&out).unwrap();
        // the staged entry vanishes before the rename: the rename fails after `out` was
        // moved aside
        fs::remove_dir(s.path()).unwrap();
        let err = s.commit(&out).unwrap_err();
        assert!(format!("{err:#}").contains("failed to replace"), "{err:#}");
        assert_eq!(names(&out), ["old"]);
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[test]
    fn what_a_dead_run_staged_is_removed_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        // a run that died between moving `out` aside and renaming its staged copy in, and
        // one that died while staging: their locks are free
        fs::create_dir(dir.path().join(".crossflake-stage-dead1")).unwrap();
        fs::rename(&out, dir.path().join(".crossflake-stage-dead1.old")).unwrap();
        fs::write(
            dir.path().join(".crossflake-stage-dead1.lock"),
            format!("{}\n", out.display()),
        )
        .unwrap();
        fs::create_dir(dir.path().join(".crossflake-stage-dead2")).unwrap();
        fs::write(dir.path().join(".crossflake-stage-dead2/big"), "x").unwrap();
        fs::write(
            dir.path().join(".crossflake-stage-dead2.lock"),
            "elsewhere\n",
        )
        .unwrap();
        // a live run's entry stays
        let live = Staged::dir(&dir.path().join("other")).unwrap();
        let s = Staged::file(&dir.path().join("f"), b"1", 0o644).unwrap();
        s.commit(&dir.path().join("f")).unwrap();
        let left = names(dir.path());
        assert!(left.contains(&"out".to_string()), "put back: {left:?}");
        assert!(left.iter().all(|n| !n.contains("dead")), "{left:?}");
        assert!(live.path().is_dir());
        drop(live);
        assert_eq!(names(dir.path()), ["f", "out"]);
    }
}
