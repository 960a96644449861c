//! SIGINT and SIGTERM (Ctrl-C, a CI job's timeout): crossflake stops its child processes, waits
//! for them, removes what it staged, and exits 130 or 143 (128 + the signal, as shells report
//! it).
//!
//! Long-running children (cargo, and through it rustc, zig and build scripts) are started with
//! [`spawn`], each in a process group of its own, so the signal reaches all of them through
//! crossflake, also when only crossflake was signalled (`kill PID`, `timeout`). A thread waits for
//! the signal, sends it to every such group, waits until no process of theirs is left (at most
//! [`GRACE`], then SIGKILL), lets a commit in progress finish and removes this run's staging
//! ([`crate::atomic::abandon_all`]), and exits. The main thread, should it return first, waits
//! for that exit ([`exit`]).

use std::io;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGINT, SIGTERM};

/// How long children get to exit after the signal before they are killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// The process groups of the children started with [`spawn`] and not yet reaped.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// The signal being handled, 0 before one arrives.
static STOPPING: AtomicI32 = AtomicI32::new(0);

/// Starts the thread that handles SIGINT and SIGTERM. Without it (it could not be installed)
/// the signals keep their default action, which kills the process: the next run then sweeps
/// what it left.
pub fn install() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                stop(sig);
            }
        });
}

/// A child in a process group of its own, forgotten by the signal handler once dropped (after
/// it was waited for).
#[derive(Debug)]
pub struct GroupChild {
    child: Child,
}

impl std::ops::Deref for GroupChild {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl std::ops::DerefMut for GroupChild {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        groups().retain(|g| *g != pid);
    }
}

/// Spawns `cmd` as the leader of a new process group, which a signal to crossflake reaches.
///
/// Errors: those of [`Command::spawn`].
pub fn spawn(cmd: &mut Command) -> io::Result<GroupChild> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let mut list = groups();
    let child = cmd.spawn()?;
    list.push(child.id() as i32);
    Ok(GroupChild { child })
}

/// Whether a signal is being handled (the run is stopping: its errors are the signal's doing).
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst) != 0
}

/// Exits with `code`, unless a signal is being handled: then the handler's exit (130 or 143)
/// is the one that counts, and this waits for it.
pub fn exit(code: i32) -> ! {
    if stopping() {
        loop {
            std::thread::park();
        }
    }
    std::process::exit(code)
}

fn groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    GROUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether any process of group `pg` is still there (a zombie leader counts until reaped).
fn alive(pg: i32) -> bool {
    // SAFETY: kill with signal 0 only checks that the group exists.
    unsafe { libc::kill(-pg, 0) == 0 }
}

fn signal_groups(pgs: &[i32], sig: i32) {
    for pg in pgs {
        // SAFETY: signals a process group this process created.
        unsafe {
            libc::kill(-pg, sig);
        }
    }
}

fn stop(sig: i32) -> ! {
    STOPPING.store(sig, Ordering::SeqCst);
    let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
    // no new child starts from here: spawn takes this lock first
    let list = groups();
    let pgs = list.clone();
    if !pgs.is_empty() {
        eprintln!(
            "crossflake: {name}: stopping {} child process group(s) and waiting for them",
            pgs.len()
        );
    }
    signal_groups(&pgs, sig);
    drop(list);
    let start = Instant::now();
    let mut killed = false;
    while pgs.iter().any(|pg| alive(*pg)) {
        if !killed && start.elapsed() > GRACE {
            eprintln!(
                "crossflake: children still running {} s after {name}; killing them",
                GRACE.as_secs()
            );
            signal_groups(&pgs, libc::SIGKILL);
            killed = true;
        }
        if start.elapsed() > GRACE + Duration::from_secs(5) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // taken after the children: a commit in progress finishes, none starts
    let _commit = groups();
    let _staging = crate::atomic::abandon_all();
    eprintln!("crossflake: stopped by {name}; what this run had staged was removed");
    std::process::exit(128 + sig)
}
