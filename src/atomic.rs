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
//!
//! Several files and directories written together go through a [`Transaction`]: all are staged in
//! one staging directory, then a journal naming each destination is written and renamed into
//! place (the commit point), then each entry is renamed onto its destination. A run killed before
//! the commit point leaves only staging, which the next run removes (rolled back); one killed
//! after it leaves a journal, which the next run finishes (rolled forward). Either way every file
//! is its old version or its new one, never a mix. Every crossflake command sweeps its current
//! directory and its project's root ([`clean_stale`]) before it reads anything.
//!
//! Writers of the same place take a [`crate::run_lock::RunLock`] on its directory, so a second
//! run waits for the first. On a signal, [`abandon_all`] removes what this run staged once no
//! commit is in progress.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result, bail};

/// What every staging entry's and lock file's name starts with (the sweep looks for it).
pub(crate) const PREFIX: &str = ".crossflake-stage-";

/// The file a [`Transaction`]'s journal is written to, then renamed to [`JOURNAL`].
const JOURNAL_NEW: &str = "journal.new";
/// A transaction's journal: a JSON array of [`JournalEntry`], in its staging directory. Its
/// presence is the commit point.
const JOURNAL: &str = "journal";

/// Held while staged content is renamed into place; a signal handler takes it before removing
/// what this run staged ([`abandon_all`]), so it never cuts a commit in half.
static COMMIT: Mutex<()> = Mutex::new(());
/// This run's live staging entries and their lock files, for [`abandon_all`].
static LIVE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

pub(crate) fn lock_static<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

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
        write_new(&staged.path, dest, content, mode)?;
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
        self.tree().write(rel, content)
    }

    /// The staged directory as a [`StagedTree`] to fill.
    pub fn tree(&self) -> StagedTree {
        StagedTree {
            path: self.path.clone(),
            dest: self.dest.clone(),
        }
    }

    /// Moves the staged content onto `dest` (the destination given when staging). A staged
    /// directory replaces an existing one: that is moved aside first, put back if the rename
    /// fails, and removed after. A staged file never replaces a directory.
    ///
    /// Errors name `dest`; on error `dest` is as it was.
    pub fn commit(mut self, dest: &Path) -> Result<()> {
        let _commit = lock_static(&COMMIT);
        if abandoned() {
            bail!("failed to replace {}: the run is stopping", dest.display());
        }
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
        Staged::create(parent_of(dest)?, dest)
    }

    /// A staging entry in `dir` (not yet created: its lock is) for `dest`, after sweeping `dir`.
    fn create(dir: &Path, dest: &Path) -> Result<Staged> {
        clean_stale(dir);
        let mut attempts = 0;
        let (mut file, lock_path) = loop {
            attempts += 1;
            if attempts > 10 {
                bail!(
                    "failed to write {}: cannot keep a lock file in {} (it keeps being removed)",
                    dest.display(),
                    dir.display()
                );
            }
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
            let (file, lock_path) = lock_file
                .keep()
                .with_context(|| format!("failed to write in {}", dir.display()))?;
            file.lock()
                .with_context(|| format!("failed to lock {}", lock_path.display()))?;
            // another run's sweep may have taken the lock file for a dead run's and removed it
            // before this run locked it: then lock a new one
            if same_file(&file, &lock_path) {
                break (file, lock_path);
            }
        };
        let _ = writeln!(file, "{}", dest.display());
        let name = lock_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".lock"))
            .context("a staging lock file has an unexpected name")?
            .to_string();
        {
            let mut live = lock_static(&LIVE);
            if abandoned() {
                drop(live);
                let _ = fs::remove_file(&lock_path);
                bail!("failed to write {}: the run is stopping", dest.display());
            }
            live.push((dir.join(&name), lock_path.clone()));
        }
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
        let gone = self.committed || remove_entry(&self.path);
        lock_static(&LIVE).retain(|(p, _)| p != &self.path);
        if let Some((file, path)) = self.lock.take() {
            // a staging entry that could not be removed keeps its lock file, so that a later
            // sweep finds it
            if gone {
                let _ = fs::remove_file(&path);
            }
            drop(file);
        }
    }
}

/// A staged directory being filled: where it is and where it goes.
#[derive(Debug, Clone)]
pub struct StagedTree {
    path: PathBuf,
    dest: PathBuf,
}

impl StagedTree {
    /// Writes `content` to the file `rel` (`/`-separated, relative), creating the directories on
    /// its way, and flushes it to disk (so a rename after a crash never shows an empty file).
    ///
    /// Errors name the file as it will be once committed (`DEST/REL`), not the staging entry.
    pub fn write(&self, rel: &str, content: &[u8]) -> Result<()> {
        let shown = self.dest.join(rel);
        if abandoned() {
            bail!("failed to write {}: the run is stopping", shown.display());
        }
        let path = self.path.join(rel);
        // the directories on the way, below the staging root only: a staging removed under
        // this run (a signal) is not made again
        let mut dir = self.path.clone();
        if let Some(parent) = Path::new(rel).parent() {
            for part in parent.components() {
                dir.push(part);
                match fs::create_dir(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("failed to write {}", shown.display()));
                    }
                }
            }
        }
        File::create(&path)
            .and_then(|mut f| f.write_all(content).and_then(|()| f.sync_all()))
            .with_context(|| format!("failed to write {}", shown.display()))
    }
}

/// What a [`Transaction`] puts where: its journal's entries (JSON).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct JournalEntry {
    /// The staged entry's name in the transaction's staging directory.
    staged: String,
    /// A directory (which replaces a directory) or a file.
    dir: bool,
    /// The absolute destination.
    dest: PathBuf,
}

/// Files and directories written together, all or nothing, even when the run is killed (see the
/// module): staged in `ROOT/.crossflake-stage-ID/`, committed by a journal.
#[derive(Debug)]
pub struct Transaction {
    stage: Staged,
    root: PathBuf,
    entries: Vec<JournalEntry>,
}

impl Transaction {
    /// Starts a transaction staged in `root`, or in the nearest directory above it that exists
    /// (for a project still to be created). Every destination must be on `root`'s file system.
    ///
    /// Errors: that directory cannot be written.
    pub fn begin(root: &Path) -> Result<Transaction> {
        let mut dir = root;
        while !dir.is_dir() {
            dir = dir.parent().unwrap_or(Path::new("/"));
        }
        let mut stage = Staged::create(dir, root)?;
        stage.is_dir = true;
        fs::create_dir(&stage.path)
            .with_context(|| format!("failed to write in {}", dir.display()))?;
        Ok(Transaction {
            stage,
            root: dir.to_path_buf(),
            entries: Vec::new(),
        })
    }

    fn next(&mut self, dest: &Path, dir: bool) -> PathBuf {
        let staged = self.entries.len().to_string();
        let path = self.stage.path.join(&staged);
        self.entries.push(JournalEntry {
            staged,
            dir,
            dest: dest.to_path_buf(),
        });
        path
    }

    /// Stages `content` for the file `dest` with permission bits `mode`, flushed to disk.
    ///
    /// Errors name `dest`.
    pub fn file(&mut self, dest: &Path, content: &[u8], mode: u32) -> Result<()> {
        if abandoned() {
            bail!("failed to write {}: the run is stopping", dest.display());
        }
        let path = self.next(dest, false);
        write_new(&path, dest, content, mode)
    }

    /// Stages an empty directory (mode 0755) for `dest`, to be filled through the returned tree;
    /// it replaces `dest` when that is a directory.
    ///
    /// Errors: the staging directory cannot be written.
    pub fn dir(&mut self, dest: &Path) -> Result<StagedTree> {
        let path = self.next(dest, true);
        fs::create_dir(&path).with_context(|| format!("failed to write {}", dest.display()))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("failed to write {}", dest.display()))?;
        Ok(StagedTree {
            path,
            dest: dest.to_path_buf(),
        })
    }

    /// Commits: checks that every destination can take its entry, writes the journal and
    /// renames it into place (from then on the change happens, now or in the next run), then
    /// renames every entry onto its destination, creating missing directories on the way.
    ///
    /// Errors: before the commit point (nothing changed): a destination in a directory that does
    /// not admit new files, on another file system than the staging, or a directory where a
    /// file goes (or the reverse). After it (rare: an I/O error): the journal is kept and the
    /// error says that the next crossflake run there finishes the change.
    pub fn commit(mut self) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let dev = fs::metadata(&self.stage.path)
            .with_context(|| format!("failed to write {}", self.shown()))?
            .dev();
        for e in &self.entries {
            check_destination(e, dev, &self.root)?;
        }
        let _commit = lock_static(&COMMIT);
        if abandoned() {
            bail!("failed to write {}: the run is stopping", self.shown());
        }
        self.write_journal()?;
        if let Err(e) = roll_forward(&self.stage.path, &self.entries) {
            // the journal stays, with its lock file, for the next run to finish
            self.stage.committed = true;
            self.stage.lock.take();
            let staged = self.stage.path.clone();
            lock_static(&LIVE).retain(|(p, _)| p != &staged);
            return Err(e.context(format!(
                "the change was committed but not all of it is in place; the next crossflake \
                 command run in {} finishes it",
                self.root.display()
            )));
        }
        // every entry is in place: what is left of the staging (old directories) goes
        drop(self.stage);
        Ok(())
    }
}

impl Transaction {
    /// Writes the journal, flushed, and renames it into place: the commit point.
    fn write_journal(&self) -> Result<()> {
        let journal = serde_json::to_vec_pretty(&self.entries)?;
        let new = self.stage.path.join(JOURNAL_NEW);
        let failed = || format!("failed to write {}", self.shown());
        let mut f = File::create(&new).with_context(failed)?;
        f.write_all(&journal)
            .and_then(|()| f.sync_all())
            .with_context(failed)?;
        fs::rename(&new, self.stage.path.join(JOURNAL))
            .and_then(|()| File::open(&self.stage.path).and_then(|d| d.sync_all()))
            .with_context(failed)
    }

    /// The destinations, for an error about all of them: `A`, `A and B`, or `A, B and N more`.
    fn shown(&self) -> String {
        let d: Vec<String> = self
            .entries
            .iter()
            .map(|e| e.dest.display().to_string())
            .collect();
        match d.as_slice() {
            [] => self.root.display().to_string(),
            [a] => a.clone(),
            [a, b] => format!("{a} and {b}"),
            [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
        }
    }
}

/// Why `e` could not be renamed onto its destination (checked before the commit point).
fn check_destination(e: &JournalEntry, dev: u64, root: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    check_writable(&e.dest)?;
    let mut dir = parent_of(&e.dest)?;
    while !dir.exists() {
        dir = dir.parent().unwrap_or(Path::new("/"));
    }
    if !dir.is_dir() {
        bail!(
            "cannot write {}: {} is not a directory",
            e.dest.display(),
            dir.display()
        );
    }
    // a directory replaced is moved into the staging first: a mount point cannot be
    let dir = if e.dir && e.dest.is_dir() && !e.dest.is_symlink() {
        e.dest.as_path()
    } else {
        dir
    };
    let on = fs::metadata(dir)
        .with_context(|| {
            format!(
                "failed to write {}: cannot read {}",
                e.dest.display(),
                dir.display()
            )
        })?
        .dev();
    if on != dev {
        bail!(
            "cannot write {} together with the other files: it is on another file system than {}; \
             choose a destination on that file system",
            e.dest.display(),
            root.display()
        );
    }
    if let Ok(m) = fs::symlink_metadata(&e.dest) {
        if !e.dir && m.is_dir() {
            bail!("failed to replace {}: it is a directory", e.dest.display());
        }
        if e.dir && !m.is_dir() {
            bail!(
                "failed to replace {}: it is not a directory",
                e.dest.display()
            );
        }
    }
    Ok(())
}

/// Renames every entry of a committed journal still in `stage` onto its destination (an
/// existing directory is moved into the staging first). Entries already moved are skipped, so a
/// second pass after a kill finishes the first.
fn roll_forward(stage: &Path, entries: &[JournalEntry]) -> Result<()> {
    for e in entries {
        let staged = stage.join(&e.staged);
        if fs::symlink_metadata(&staged).is_err() {
            continue;
        }
        if let Some(parent) = e.dest.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        if e.dir && e.dest.is_dir() && !e.dest.is_symlink() {
            let old = stage.join(format!("{}.old", e.staged));
            remove_entry(&old);
            fs::rename(&e.dest, &old)
                .with_context(|| format!("failed to replace {}", e.dest.display()))?;
        }
        fs::rename(&staged, &e.dest)
            .with_context(|| format!("failed to replace {}", e.dest.display()))?;
    }
    Ok(())
}

/// Stops this run's writing for good, on a signal: waits for a commit in progress to finish,
/// then removes every staging entry this run has, and its lock file once the entry is gone (a
/// write racing the removal fails: [`StagedTree::write`] makes no staging root again). The
/// returned guard keeps any other commit from starting; hold it until the process exits.
pub fn abandon_all() -> MutexGuard<'static, ()> {
    ABANDONED.store(true, std::sync::atomic::Ordering::SeqCst);
    let guard = lock_static(&COMMIT);
    for (staged, lock) in lock_static(&LIVE).drain(..) {
        // a file the main thread was creating meanwhile can make one pass fail
        let gone = (0..5).any(|_| {
            let gone = remove_entry(&staged);
            if !gone {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            gone
        });
        if gone {
            let _ = fs::remove_file(&lock);
        }
    }
    guard
}

/// Set once a signal is being handled ([`stop_writing`]): staging writes and commits stop.
static ABANDONED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on this run stages and commits nothing (a signal is being handled): writes and
/// commits fail with "the run is stopping", and the staging is left for [`abandon_all`].
pub fn stop_writing() {
    ABANDONED.store(true, std::sync::atomic::Ordering::SeqCst);
}

fn abandoned() -> bool {
    ABANDONED.load(std::sync::atomic::Ordering::SeqCst)
}

fn parent_of(dest: &Path) -> Result<&Path> {
    dest.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .with_context(|| format!("{} has no parent directory", dest.display()))
}

/// Creates the staged file `path` (which must not exist) with `content`, flushed to disk, and
/// permission bits `mode`. Errors name `dest`, where the file goes.
fn write_new(path: &Path, dest: &Path, content: &[u8], mode: u32) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("failed to write {}", dest.display()))?;
    f.write_all(content)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("failed to write {}", dest.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("failed to set permissions of {}", dest.display()))
}

/// Removes a file or a directory tree; whether nothing is left at `path`.
fn remove_entry(path: &Path) -> bool {
    if path.is_dir() && !path.is_symlink() {
        let _ = fs::remove_dir_all(path);
    } else {
        let _ = fs::remove_file(path);
    }
    fs::symlink_metadata(path).is_err()
}

/// Whether the open `file` is still the file at `path` (not removed or replaced since).
pub(crate) fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

/// Finishes or undoes what killed runs left in `dir`: a [`Transaction`] whose journal was
/// committed is rolled forward (said on stderr); every other `.crossflake-stage-ID` whose lock no
/// live process holds is removed, with its lock; a directory such a run had moved aside goes back
/// to its destination when nothing took its place, and is removed otherwise. Failures are
/// ignored (the next run tries again), but a journal that cannot be finished is reported.
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
        // released and removed meanwhile (a run lock's name is reused: another run may hold
        // the file now at that path)
        if !same_file(&lock, &lock_path) {
            continue;
        }
        let dest = fs::read_to_string(&lock_path)
            .ok()
            .map(|s| PathBuf::from(s.trim_end()));
        let staged = dir.join(format!("{PREFIX}{id}"));
        if let Ok(journal) = fs::read(staged.join(JOURNAL)) {
            let entries: Vec<JournalEntry> = match serde_json::from_slice(&journal) {
                Ok(entries) => entries,
                Err(e) => {
                    eprintln!(
                        "crossflake: warning: cannot read the journal {}: {e}; remove {} to \
                         discard what it records",
                        staged.join(JOURNAL).display(),
                        staged.display()
                    );
                    continue;
                }
            };
            if let Err(e) = roll_forward(&staged, &entries) {
                eprintln!(
                    "crossflake: warning: cannot finish what a stopped run committed in {}: \
                     {e:#}; fix that and run crossflake there again, or remove {} to discard it",
                    dir.display(),
                    staged.display()
                );
                continue;
            }
            eprintln!(
                "crossflake: finished writing {} file(s) that a stopped run had committed in {}",
                entries.len(),
                dir.display()
            );
        }
        let old = staged.with_extension("old");
        if !remove_entry(&staged) {
            continue;
        }
        if old.exists() {
            match dest {
                Some(d) if !d.as_os_str().is_empty() && !d.exists() => {
                    let _ = fs::rename(&old, &d);
                }
                _ => {
                    remove_entry(&old);
                }
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

    /// What a SIGKILL leaves of a transaction: its staging and lock file as they are, the lock
    /// released. With `journal`, the commit point was passed and the first `renamed` entries
    /// were moved into place.
    fn kill(tx: Transaction, journal: bool, renamed: usize) {
        if journal {
            tx.write_journal().unwrap();
            roll_forward(&tx.stage.path, &tx.entries[..renamed]).unwrap();
        }
        let mut tx = std::mem::ManuallyDrop::new(tx);
        lock_static(&LIVE).retain(|(p, _)| p != &tx.stage.path);
        drop(tx.stage.lock.take());
    }

    /// A project with `a` (old), `d/` (a directory with `old`), and a transaction that replaces
    /// `a`, creates `sub/b` and replaces `d/` with a directory holding `new`.
    fn project_and_tx() -> (tempfile::TempDir, Transaction) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a"), "old a").unwrap();
        fs::create_dir(root.join("d")).unwrap();
        fs::write(root.join("d/old"), "o").unwrap();
        let mut tx = Transaction::begin(root).unwrap();
        tx.file(&root.join("a"), b"new a", 0o644).unwrap();
        tx.file(&root.join("sub/b"), b"new b", 0o600).unwrap();
        tx.dir(&root.join("d")).unwrap().write("new", b"n").unwrap();
        (dir, tx)
    }

    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in walkdir(dir) {
            let rel = e.strip_prefix(dir).unwrap().display().to_string();
            let content = if e.is_dir() {
                "/".to_string()
            } else {
                fs::read_to_string(&e).unwrap()
            };
            out.push((rel, content));
        }
        out.sort();
        out
    }

    fn walkdir(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walkdir(&p));
            }
            out.push(p);
        }
        out
    }

    fn new_state() -> Vec<(String, String)> {
        [
            ("a", "new a"),
            ("d", "/"),
            ("d/new", "n"),
            ("sub", "/"),
            ("sub/b", "new b"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn a_transaction_commits_files_and_directories_together() {
        let (dir, tx) = project_and_tx();
        tx.commit().unwrap();
        assert_eq!(tree(dir.path()), new_state());
        assert_eq!(
            fs::metadata(dir.path().join("sub/b"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    #[test]
    fn a_transaction_killed_before_its_journal_is_rolled_back_by_the_next_run() {
        let (dir, tx) = project_and_tx();
        let before: Vec<(String, String)> = [("a", "old a"), ("d", "/"), ("d/old", "o")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        kill(tx, false, 0);
        assert_ne!(tree(dir.path()), before, "the kill left staging");
        clean_stale(dir.path());
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn a_transaction_killed_after_its_journal_is_rolled_forward_by_the_next_run() {
        for renamed in 0..=3 {
            let (dir, tx) = project_and_tx();
            kill(tx, true, renamed);
            clean_stale(dir.path());
            assert_eq!(
                tree(dir.path()),
                new_state(),
                "killed after {renamed} rename(s)"
            );
        }
    }

    #[test]
    fn a_live_transaction_is_not_touched_by_a_sweep() {
        let (dir, tx) = project_and_tx();
        clean_stale(dir.path());
        tx.commit().unwrap();
        assert_eq!(tree(dir.path()), new_state());
    }

    #[test]
    fn a_destination_that_cannot_take_its_entry_stops_the_commit_before_anything_moves() {
        let (dir, tx) = project_and_tx();
        fs::remove_file(dir.path().join("a")).unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        let err = tx.commit().unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "failed to replace {}: it is a directory",
                dir.path().join("a").display()
            )
        );
        assert_eq!(
            tree(dir.path()),
            [("a", "/"), ("d", "/"), ("d/old", "o")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
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
