//! One writing run per directory: a lock file (`DIR/.crossflake-stage-run.lock`) that a run holds
//! locked (`flock`) from reading what it will replace to writing it, naming the run (its pid and
//! command line), and removes on release. A second run waits, saying which run it waits for.
//! The file's name starts like a staging entry's, so a run killed while holding it leaves a file
//! the next run's sweep removes ([`crate::atomic::clean_stale`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::atomic::{lock_static, same_file};

/// The lock file's name in a directory.
const RUN_LOCK: &str = ".crossflake-stage-run.lock";

/// The directories this process holds a [`RunLock`] on (a second lock there is a no-op).
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// An exclusive lock on a directory for one writing run (`DIR/.crossflake-stage-run.lock`,
/// holding the run's pid and command line, removed on release). A second run waits, saying
/// which run it waits for. Taking it again in the same process is a no-op.
#[derive(Debug)]
pub struct RunLock {
    held: Option<(File, PathBuf, PathBuf)>,
}

impl RunLock {
    /// Takes the lock on `dir` (which must exist), waiting for the run that holds it.
    ///
    /// A directory where the lock file cannot be created (read-only) gives an unlocked
    /// `RunLock`: the run's own write fails there with its own error.
    ///
    /// Errors: the lock file cannot be locked or read.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        if lock_static(&HELD).contains(&dir) {
            return Ok(RunLock { held: None });
        }
        let path = dir.join(RUN_LOCK);
        loop {
            let mut file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
            {
                Ok(f) => f,
                Err(_) => return Ok(RunLock { held: None }),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let holder = if holder.is_empty() {
                        "another crossflake run"
                    } else {
                        holder
                    };
                    eprintln!(
                        "crossflake: waiting for {holder} to finish writing in {}",
                        dir.display()
                    );
                    file.lock()
                        .with_context(|| format!("failed to lock {}", path.display()))?;
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("failed to lock {}", path.display()));
                }
            }
            // the holder removes the file on release: a lock on a removed file is no lock
            if !same_file(&file, &path) {
                continue;
            }
            let args: Vec<String> = std::env::args().collect();
            let mut argv = args.join(" ");
            if let Some(rest) = args.first().and_then(|a| argv.strip_prefix(a.as_str())) {
                argv = format!("crossflake{rest}");
            }
            let _ = file.set_len(0);
            let holder = format!("crossflake run {} (`{argv}`)", std::process::id());
            let _ = file.write_all(holder.as_bytes());
            lock_static(&HELD).push(dir.clone());
            return Ok(RunLock {
                held: Some((file, path, dir)),
            });
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some((file, path, dir)) = self.held.take() {
            // forgotten first: a signal's [`release_all`] must not remove a lock file another
            // run makes once this one is gone
            lock_static(&HELD).retain(|d| d != &dir);
            let _ = fs::remove_file(&path);
            drop(file);
        }
    }
}

/// Removes the lock files this process holds, on a signal (the locks go with the process).
pub fn release_all() {
    for dir in lock_static(&HELD).drain(..) {
        let _ = fs::remove_file(dir.join(RUN_LOCK));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_runs_lock_file_is_swept_and_a_live_ones_is_not() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(RUN_LOCK),
            "crossflake run 1 (`crossflake init`)",
        )
        .unwrap();
        crate::atomic::clean_stale(dir.path());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the dead run's lock stays"
        );
        let live = RunLock::acquire(dir.path()).unwrap();
        crate::atomic::clean_stale(dir.path());
        assert!(
            dir.path().join(RUN_LOCK).exists(),
            "a live run's lock was swept"
        );
        drop(live);
    }

    #[test]
    fn a_run_lock_names_its_run_and_is_taken_once_per_process() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(RUN_LOCK)).unwrap();
        assert!(
            text.starts_with(&format!(
                "crossflake run {} (`crossflake",
                std::process::id()
            )),
            "{text}"
        );
        // a second lock in the same process does not wait for the first
        let again = RunLock::acquire(dir.path()).unwrap();
        assert!(again.held.is_none());
        drop(again);
        assert!(dir.path().join(RUN_LOCK).exists());
        drop(lock);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
