//! SIGINT, SIGTERM and SIGHUP (Ctrl-C, a CI job's timeout, a closed terminal): crossflake stops
//! its child processes, waits for them, removes what it staged, and exits 130, 143 or 129 (128 +
//! the signal, as shells report it).
//!
//! Long-running children (cargo, and through it rustc, zig and build scripts) are started with
//! [`spawn`], each in a process group of its own, so the signal reaches all of them through
//! crossflake, also when only crossflake was signalled (`kill PID`, `timeout`). A thread waits for
//! the signal, sends it to every such group, waits until no process of theirs is left (at most
//! [`GRACE`], or at once on a second signal, then SIGKILL), gives the main thread a moment to
//! unwind (its temporary directories and servers go), lets a commit in progress finish, removes
//! this run's staging ([`crate::atomic::abandon_all`]) and lock files, and exits. The main thread,
//! should it return first, waits for that exit ([`exit`]). A signal ignored when crossflake
//! started (`nohup`, a script's `&`) stays ignored. SIGKILL cannot be caught: a run killed so
//! leaves cargo running and its staging for the next run to sweep.

use std::io;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};

/// How long children get to exit after the signal before they are killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// How long the main thread gets to unwind once the children are gone.
const UNWIND: Duration = Duration::from_secs(2);

/// The process groups of the children started with [`spawn`] and not yet reaped.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// The signal being handled, 0 before one arrives.
static STOPPING: AtomicI32 = AtomicI32::new(0);
/// Set when a second signal arrives: the children are killed at once.
static HURRY: AtomicI32 = AtomicI32::new(0);
/// Set when the main thread has returned (and dropped what it held).
static MAIN_DONE: AtomicI32 = AtomicI32::new(0);

/// Starts the thread that handles SIGINT, SIGTERM and SIGHUP (those not ignored at start).
/// Without it (it could not be installed) the signals keep their default action, which kills
/// the process: the next run then sweeps what it left.
pub fn install() {
    let wanted: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|sig| !ignored(*sig))
        .collect();
    let Ok(mut signals) = signal_hook::iterator::Signals::new(&wanted) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut first = true;
            for sig in signals.forever() {
                if first {
                    first = false;
                    if std::thread::Builder::new()
                        .name("stop".into())
                        .spawn(move || stop(sig))
                        .is_err()
                    {
                        stop(sig);
                    }
                } else {
                    // a second signal hurries the first one's stop along
                    HURRY.store(1, Ordering::SeqCst);
                }
            }
        });
}

/// Whether `sig` was set to be ignored when the process started.
fn ignored(sig: i32) -> bool {
    // SAFETY: a null new action only reads the current one into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
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
/// Errors: those of [`Command::spawn`]; a signal is being handled (no child starts then).
pub fn spawn(cmd: &mut Command) -> io::Result<GroupChild> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let mut list = groups();
    if stopping() {
        return Err(io::Error::other("crossflake is stopping on a signal"));
    }
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
    MAIN_DONE.store(1, Ordering::SeqCst);
    if stopping() {
        // the handler exits well within this; should it not, this run still ends
        std::thread::sleep(GRACE + UNWIND + Duration::from_secs(15));
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

/// Writes a line to stderr, ignoring a failure (after SIGHUP the terminal is gone, and
/// `eprintln!` would panic).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(io::stderr(), "{line}");
}

fn stop(sig: i32) -> ! {
    STOPPING.store(sig, Ordering::SeqCst);
    // from here no staging is written or committed
    crate::atomic::stop_writing();
    let name = match sig {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "SIGHUP",
    };
    // no new child starts from here: spawn takes this lock and checks STOPPING
    let list = groups();
    let pgs = list.clone();
    if !pgs.is_empty() {
        say(&format!(
            "crossflake: {name}: stopping {} child process group(s) and waiting for them",
            pgs.len()
        ));
    }
    signal_groups(&pgs, sig);
    drop(list);
    let start = Instant::now();
    let mut killed = false;
    while pgs.iter().any(|pg| alive(*pg)) {
        let hurry = HURRY.load(Ordering::SeqCst) != 0;
        if !killed && (hurry || start.elapsed() > GRACE) {
            if hurry {
                say("crossflake: a second signal; killing the children");
            } else {
                say(&format!(
                    "crossflake: children still running {} s after {name}; killing them",
                    GRACE.as_secs()
                ));
            }
            signal_groups(&pgs, libc::SIGKILL);
            killed = true;
        }
        if start.elapsed() > GRACE + Duration::from_secs(5) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // the main thread returns once its child is gone: what it drops on the way (temporary
    // checkouts, a compiler cache server) goes with it
    let start = Instant::now();
    while MAIN_DONE.load(Ordering::SeqCst) == 0 && start.elapsed() < UNWIND {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _no_spawn = groups();
    // waits for a commit in progress; none starts after
    let _no_commit = crate::atomic::abandon_all();
    crate::run_lock::release_all();
    say(&format!(
        "crossflake: stopped by {name}; what this run had staged was removed"
    ));
    std::process::exit(128 + sig)
}
