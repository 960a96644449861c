//! Plan, then apply: a command collects the files it would write, which `--dry-run` shows as
//! a unified diff and [`Plan::apply`] writes all-or-nothing.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::atomic::Transaction;

/// One file the plan writes.
#[derive(Debug, Clone)]
pub struct Change {
    /// The content on disk when the plan was made (`None`: the file does not exist).
    pub old: Option<String>,
    /// The content to write.
    pub new: String,
    /// Unix permission bits for a new file (existing files keep theirs).
    pub mode: u32,
}

/// The files a command would write, by absolute path, in path order.
#[derive(Debug, Default)]
pub struct Plan {
    changes: BTreeMap<PathBuf, Change>,
    /// Messages for the user (notes on what was kept or needs doing), printed after the
    /// diff or the summary.
    pub notes: Vec<String>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// The content of `path` as the plan would leave it: the planned content, or what is
    /// on disk, or `None` if neither.
    ///
    /// Errors: the file exists but cannot be read, or is not UTF-8.
    pub fn read(&self, path: &Path) -> Result<Option<String>> {
        if let Some(c) = self.changes.get(path) {
            return Ok(Some(c.new.clone()));
        }
        read_if_exists(path)
    }

    /// Plans `content` for `path` (mode 0644 when new). A write that leaves a file as it
    /// is on disk is dropped, so a second run plans nothing.
    pub fn write(&mut self, path: &Path, content: String) -> Result<()> {
        self.write_mode(path, content, 0o644)
    }

    /// Like [`Plan::write`] with the permission bits a new file gets.
    pub fn write_mode(&mut self, path: &Path, content: String, mode: u32) -> Result<()> {
        let old = match self.changes.remove(path) {
            Some(c) => c.old,
            None => read_if_exists(path)?,
        };
        if old.as_deref() != Some(content.as_str()) {
            self.changes.insert(
                path.to_path_buf(),
                Change {
                    old,
                    new: content,
                    mode,
                },
            );
        }
        Ok(())
    }

    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The planned files in path order.
    pub fn changes(&self) -> impl Iterator<Item = (&Path, &Change)> {
        self.changes.iter().map(|(p, c)| (p.as_path(), c))
    }

    /// A unified diff of every planned file, with paths shown relative to `base`.
    pub fn diff(&self, base: &Path) -> String {
        let mut out = String::new();
        for (path, c) in &self.changes {
            let shown = path
                .strip_prefix(base)
                .unwrap_or(path)
                .display()
                .to_string();
            let old_name = if c.old.is_some() {
                format!("a/{shown}")
            } else {
                "/dev/null".to_string()
            };
            let diff = similar::TextDiff::from_lines(c.old.as_deref().unwrap_or(""), &c.new);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&old_name, &format!("b/{shown}"))
                    .to_string(),
            );
        }
        out
    }

    /// What a writing verb does with its plan: prints the diff and writes nothing
    /// (`dry_run`), or applies it and says what was created or updated (paths shown relative
    /// to `base`); then prints the plan's notes. All on stderr but the diff.
    ///
    /// Errors: see [`Plan::apply`].
    pub fn finish(self, base: &Path, dry_run: bool) -> Result<()> {
        if dry_run {
            print!("{}", self.diff(base));
            eprintln!(
                "dry run: nothing written ({} file(s) would change)",
                self.changes().count()
            );
        } else if self.is_empty() {
            eprintln!("nothing to change: the project is up to date");
        } else {
            self.apply(base)?;
            for (path, c) in self.changes() {
                let shown = path.strip_prefix(base).unwrap_or(path).display();
                let verb = if c.old.is_some() {
                    "updated"
                } else {
                    "created"
                };
                eprintln!("{verb} {shown}");
            }
        }
        for note in &self.notes {
            eprintln!("note: {note}");
        }
        Ok(())
    }

    /// Writes every planned file all or nothing, even when the run is killed: one
    /// [`Transaction`] staged in `root` (the project's root, which every crossflake command run
    /// there sweeps; for a project still to be made, the nearest directory above it that
    /// exists), committed by its journal (see [`crate::atomic`]); missing directories are
    /// created as the files are renamed in.
    ///
    /// Errors name the path that could not be written (a read-only directory, a directory where
    /// a file goes); on error every file is as it was.
    pub fn apply(&self, root: &Path) -> Result<()> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let mut tx = Transaction::begin(root)?;
        for (path, c) in &self.changes {
            let mode = match fs::metadata(path) {
                Ok(m) => m.permissions().mode(),
                Err(_) => c.mode,
            };
            tx.file(path, c.new.as_bytes(), mode)?;
        }
        tx.commit()
    }
}

/// Reads a UTF-8 file, `None` if it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_writes_are_dropped_and_diffs_name_paths() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        fs::write(&a, "one\n").unwrap();
        let mut plan = Plan::new();
        plan.write(&a, "one\n".into()).unwrap();
        assert!(plan.is_empty());
        plan.write(&a, "two\n".into()).unwrap();
        plan.write(&dir.path().join("sub/b.txt"), "new\n".into())
            .unwrap();
        let diff = plan.diff(dir.path());
        assert!(diff.contains("--- a/a.txt\n+++ b/a.txt\n"), "{diff}");
        assert!(diff.contains("-one\n+two\n"), "{diff}");
        assert!(diff.contains("--- /dev/null\n+++ b/sub/b.txt\n"), "{diff}");
        plan.apply(dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "two\n");
        assert_eq!(
            fs::read_to_string(dir.path().join("sub/b.txt")).unwrap(),
            "new\n"
        );
        let mode = fs::metadata(dir.path().join("sub/b.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    /// Makes `dir` refuse new files, even for root (`chattr +i` where chmod is not enough).
    /// Returns a guard that undoes it.
    pub(crate) fn read_only(dir: &Path) -> impl Drop {
        struct Undo(PathBuf, bool);
        impl Drop for Undo {
            fn drop(&mut self) {
                if self.1 {
                    let _ = std::process::Command::new("chattr")
                        .arg("-i")
                        .arg(&self.0)
                        .status();
                }
                let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
            }
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.join(".probe");
        let mut undo = Undo(dir.to_path_buf(), false);
        if fs::File::create(&probe).is_ok() {
            fs::remove_file(&probe).unwrap();
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "cannot make {} read-only: running as root and chattr +i failed",
                dir.display()
            );
            undo.1 = true;
        }
        assert!(
            fs::File::create(&probe).is_err(),
            "{} is still writable",
            dir.display()
        );
        undo
    }

    #[test]
    fn a_failing_file_leaves_everything_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        fs::write(&a, "one\n").unwrap();
        let ro = dir.path().join("ro");
        fs::create_dir(&ro).unwrap();
        let mut plan = Plan::new();
        plan.write(&a, "two\n".into()).unwrap();
        plan.write(&ro.join("b.txt"), "x".into()).unwrap();
        let guard = read_only(&ro);
        let err = plan.apply(dir.path()).unwrap_err();
        drop(guard);
        assert!(format!("{err:#}").contains("b.txt"), "{err:#}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "one\n");
        assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp files left behind"
        );
    }

    #[test]
    fn a_directory_in_the_way_stops_the_plan_before_any_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a.txt"),
            dir.path().join("b.txt"),
            dir.path().join("c.txt"),
        );
        fs::write(&a, "old a\n").unwrap();
        fs::write(&b, "old b\n").unwrap();
        let mut plan = Plan::new();
        plan.write(&a, "new a\n".into()).unwrap();
        plan.write(&b, "new b\n".into()).unwrap();
        plan.write(&c, "new c\n".into()).unwrap();
        // between planning and applying, b becomes a directory with a file in it: every file
        // stages, then the commit finds b.txt in the way before renaming anything
        fs::remove_file(&b).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(b.join("keep"), "k").unwrap();
        let err = plan.apply(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("failed to replace"), "{err:#}");
        assert!(format!("{err:#}").contains("b.txt"), "{err:#}");
        assert_eq!(
            fs::read_to_string(&a).unwrap(),
            "old a\n",
            "a.txt untouched"
        );
        assert_eq!(fs::read_to_string(b.join("keep")).unwrap(), "k");
        assert!(!c.exists(), "c.txt was never written");
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["a.txt", "b.txt"], "nothing staged is left behind");
    }
}
