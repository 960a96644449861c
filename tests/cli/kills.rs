//! The seeded kill suite: every writing command is killed with SIGKILL at [`KILLS`] points
//! chosen by a seed, and after each kill the next crossflake command run there (the read-only
//! `crossflake targets`) must leave the command's files exactly as they were before it or exactly
//! as a whole run leaves them, byte for byte and mode for mode, with no staging left.
//!
//! A point is a system call: an uninjected run under strace lists the command's `write`,
//! `rename` and `fsync` calls; a case kills the run on entering the Nth of them
//! (`inject=SYSCALL:signal=SIGKILL:when=K`, K its ordinal among that system call's calls). The
//! points fall in three buckets, before the first rename, from the first rename to the last,
//! and after the last, one third of the cases each; the suite prints per command how many kills
//! fell in each bucket and how many ended in the old and the new state, and fails when a bucket
//! has no call to kill at. Inputs are prebuilt (`oci build --binary`, `dist --prebuilt`), so the
//! kills land in the writing.
//!
//! The seed is printed; `CROSSFLAKE_KILL_SEED=N cargo test --test cli kills::` replays a run.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::faults::{oci_args, prebuilt};
use crate::support::{EM_AARCH64, copy_dir, elf, repo, require_tool, run_ok};

/// Kills per writing command and run.
const KILLS: usize = 50;

/// The system calls a kill may land on.
const SYSCALLS: [&str; 3] = ["write", "rename", "fsync"];

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    /// Permission bits and bytes.
    File(u32, Vec<u8>),
    Link(PathBuf),
}

/// Every entry under `root` (but `.git`), by path relative to it.
fn tree(root: &Path) -> BTreeMap<PathBuf, Node> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Node>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if rel == Path::new(".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let node = if meta.is_symlink() {
                Node::Link(std::fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                walk(root, &path, out);
                Node::Dir
            } else {
                Node::File(
                    meta.permissions().mode() & 0o7777,
                    std::fs::read(&path).unwrap(),
                )
            };
            out.insert(rel, node);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The paths in `t` that are staging or a lock file crossflake left.
fn staging(t: &BTreeMap<PathBuf, Node>) -> Vec<String> {
    t.keys()
        .map(|p| p.display().to_string())
        .filter(|p| p.contains(".crossflake-stage-"))
        .collect()
}

/// A writing command: `setup` makes its project in the directory given (always the same path,
/// so that paths written into files agree between runs); the command runs in `cwd` (relative to
/// it) and may change anything under it.
struct Writer {
    name: &'static str,
    setup: fn(&Path),
    cwd: &'static str,
    args: fn(&Path) -> Vec<String>,
    /// Where the next command runs after a kill (relative), when it exists; else `cwd`.
    next: &'static str,
    /// Whether the command commits through a journal: then a kill after its first rename (the
    /// journal's) must end in the new files.
    journal: bool,
}

/// crossflake (or what runs it) in `cwd`, with a fixed source date.
fn in_dir(cmd: &mut Command, cwd: &Path) {
    cmd.current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "315532800")
        .env_remove("CROSSFLAKE_CACHE_DIR");
}

fn crossflake(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossflake"));
    in_dir(&mut cmd, cwd);
    cmd
}

/// Runs crossflake with `args` in `cwd` under strace, tracing [`SYSCALLS`] into `log`, killed
/// on entering the `when`th call of `inject`'s system call when given.
fn traced(
    strace: &Path,
    cwd: &Path,
    args: &[String],
    inject: Option<(&str, usize)>,
    log: &Path,
) -> Output {
    let mut cmd = Command::new(strace);
    cmd.args(["-qq", "-e", "trace=write,rename,fsync", "-o"])
        .arg(log);
    if let Some((syscall, when)) = inject {
        cmd.arg("-e")
            .arg(format!("inject={syscall}:signal=SIGKILL:when={when}"));
    }
    cmd.arg(env!("CARGO_BIN_EXE_crossflake")).args(args);
    in_dir(&mut cmd, cwd);
    cmd.output().unwrap()
}

/// The traced system calls of an strace log, in order.
fn syscalls(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split_once('(').map(|(name, _)| name.to_string()))
        .filter(|name| SYSCALLS.contains(&name.as_str()))
        .collect()
}

/// How a kill's case ended, after the next run.
#[derive(Debug, Default)]
struct Tally {
    kills: usize,
    /// Ends in the state before the command.
    old: usize,
    /// Ends in the state a whole run leaves.
    new: usize,
}

fn kill_suite(w: &Writer) {
    let strace = require_tool("strace", "apt-get install strace");
    let seed: u64 = match std::env::var("CROSSFLAKE_KILL_SEED") {
        Ok(s) => s.parse().expect("CROSSFLAKE_KILL_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    println!(
        "{}: seed {seed} (replay: CROSSFLAKE_KILL_SEED={seed} cargo test --test cli kills::)",
        w.name
    );
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    let template = work.path().join("template");
    std::fs::create_dir(&run).unwrap();
    (w.setup)(&run);
    copy_dir(&run, &template);
    let cwd = run.join(w.cwd);
    let before = tree(&run);
    assert_eq!(staging(&before), Vec::<String>::new(), "{}: setup", w.name);
    let reset = || {
        std::fs::remove_dir_all(&run).unwrap();
        copy_dir(&template, &run);
        assert!(tree(&run) == before, "{}: the copy differs", w.name);
    };

    // the calls, from a whole run
    let log = work.path().join("log");
    let out = traced(&strace, &cwd, &(w.args)(&run), None, &log);
    assert!(
        out.status.success(),
        "{}: the whole run failed:\n{}",
        w.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let after = tree(&run);
    assert_eq!(
        staging(&after),
        Vec::<String>::new(),
        "{}: whole run",
        w.name
    );
    assert!(after != before, "{}: the whole run changed nothing", w.name);
    let calls = syscalls(&std::fs::read_to_string(&log).unwrap());
    let first = calls.iter().position(|c| c == "rename");
    let last = calls.iter().rposition(|c| c == "rename");
    let (Some(first), Some(last)) = (first, last) else {
        panic!("{}: the whole run renamed nothing: {calls:?}", w.name);
    };
    let buckets = [
        ("before the first rename", 0..first),
        ("from the first rename to the last", first..last + 1),
        ("after the last rename", last + 1..calls.len()),
    ];
    for (name, range) in &buckets {
        assert!(
            !range.is_empty(),
            "{}: no write, rename or fsync {name} to kill at ({} calls: {calls:?})",
            w.name,
            calls.len()
        );
    }

    let mut rng = fastrand::Rng::with_seed(seed ^ fnv(w.name));
    let mut tallies: [Tally; 3] = Default::default();
    let mut left_something = 0;
    for case in 0..KILLS {
        let bucket = case % 3;
        let at = rng.usize(buckets[bucket].1.clone());
        let syscall = &calls[at];
        let when = calls[..=at].iter().filter(|c| *c == syscall).count();
        let point = format!("{syscall} #{when} (call {at} of {})", calls.len());
        reset();
        let out = traced(
            &strace,
            &cwd,
            &(w.args)(&run),
            Some((syscall, when)),
            Path::new("/dev/null"),
        );
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{} killed at {point} (seed {seed}): not killed ({:?})\n{}",
            w.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // what the kill left for the next run beyond a lock file (which every kill leaves)
        let mut killed = tree(&run);
        killed.retain(|p, _| !p.ends_with(".crossflake-stage-run.lock"));
        if killed != before && killed != after {
            left_something += 1;
        }
        let next_dir = Some(run.join(w.next))
            .filter(|d| d.is_dir())
            .unwrap_or_else(|| cwd.clone());
        let next_run = crossflake(&next_dir).arg("targets").output().unwrap();
        assert!(
            next_run.status.success(),
            "{} killed at {point} (seed {seed}): crossflake targets failed after it:\n{}",
            w.name,
            String::from_utf8_lossy(&next_run.stderr)
        );
        let next = tree(&run);
        let left = staging(&next);
        assert!(
            left.is_empty(),
            "{} killed at {point} (seed {seed}): the next run left {left:?}",
            w.name
        );
        let tally = &mut tallies[bucket];
        tally.kills += 1;
        // past the commit point, the change happens: now or in the next run
        let committed = if w.journal { at > first } else { at > last };
        assert!(
            !committed || next == after,
            "{} killed at {point} (seed {seed}), after the change was committed: the next run \
             did not finish it",
            w.name
        );
        if next == before {
            tally.old += 1;
        } else if next == after {
            tally.new += 1;
        } else {
            // the paths the two states disagree on, by which one each is now like
            let mut paths: Vec<&PathBuf> = before.keys().chain(after.keys()).collect();
            paths.sort();
            paths.dedup();
            let (mut old, mut new, mut neither) = (vec![], vec![], vec![]);
            for p in paths
                .into_iter()
                .filter(|p| before.get(*p) != after.get(*p))
            {
                if next.get(p) == before.get(p) {
                    old.push(p);
                } else if next.get(p) == after.get(p) {
                    new.push(p);
                } else {
                    neither.push(p);
                }
            }
            let extra: Vec<&PathBuf> = next
                .keys()
                .filter(|p| !before.contains_key(*p) && !after.contains_key(*p))
                .collect();
            panic!(
                "{} killed at {point} (seed {seed}): neither the old files nor the new ones: \
                 old {old:?}, new {new:?}, neither {neither:?}, unknown {extra:?}",
                w.name
            );
        }
    }
    for ((name, range), t) in buckets.iter().zip(&tallies) {
        println!(
            "{}: {} kills {name} (calls {range:?}): {} old, {} new",
            w.name, t.kills, t.old, t.new
        );
    }
    assert!(
        left_something > 0,
        "{}: no kill left anything for the next run to clean up",
        w.name
    );
}

/// FNV-1a of `s`: a command's own stream of points from the one seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn package(dir: &Path) {
    copy_dir(&repo().join("tests/fixtures/init/package"), dir);
}

fn initialised(dir: &Path) {
    package(dir);
    run_ok(crossflake(dir).arg("init"));
}

#[test]
fn init_survives_kills() {
    kill_suite(&Writer {
        name: "init",
        next: ".",
        journal: true,
        setup: package,
        cwd: ".",
        args: |_| strings(&["init"]),
    });
}

#[test]
fn new_survives_kills() {
    kill_suite(&Writer {
        name: "new",
        next: "app",
        journal: true,
        setup: |_| {},
        cwd: ".",
        args: |_| strings(&["new", "app"]),
    });
}

#[test]
fn target_add_and_remove_survive_kills() {
    kill_suite(&Writer {
        name: "target add",
        next: ".",
        journal: true,
        setup: initialised,
        cwd: ".",
        args: |_| strings(&["target", "add", "riscv64-musl"]),
    });
    kill_suite(&Writer {
        name: "target remove",
        next: ".",
        journal: true,
        setup: |dir| {
            initialised(dir);
            run_ok(crossflake(dir).args(["target", "add", "riscv64-musl"]));
        },
        cwd: ".",
        args: |_| strings(&["target", "remove", "riscv64-musl"]),
    });
}

#[test]
fn ci_survives_kills_with_and_without_a_workflow_directory() {
    kill_suite(&Writer {
        name: "ci (.github/workflows has another workflow)",
        next: ".",
        journal: true,
        setup: |dir| {
            initialised(dir);
            std::fs::create_dir_all(dir.join(".github/workflows")).unwrap();
            std::fs::write(dir.join(".github/workflows/other.yml"), "on: push\n").unwrap();
        },
        cwd: ".",
        args: |_| strings(&["ci"]),
    });
    kill_suite(&Writer {
        name: "ci",
        next: ".",
        journal: true,
        setup: initialised,
        cwd: ".",
        args: |_| strings(&["ci"]),
    });
}

#[test]
fn cache_set_and_unset_survive_kills() {
    fn set(_: &Path) -> Vec<String> {
        crate::cache::http_cache_args("http://127.0.0.1:9/")
    }
    kill_suite(&Writer {
        name: "cache set",
        next: ".",
        journal: true,
        setup: initialised,
        cwd: ".",
        args: set,
    });
    kill_suite(&Writer {
        name: "cache unset",
        next: ".",
        journal: true,
        setup: |dir| {
            initialised(dir);
            run_ok(crossflake(dir).args(set(dir)));
        },
        cwd: ".",
        args: |_| strings(&["cache", "unset"]),
    });
}

#[test]
fn toolchain_lock_survives_kills() {
    kill_suite(&Writer {
        name: "toolchain lock",
        next: ".",
        journal: true,
        setup: crate::faults::stale_lock_project,
        cwd: ".",
        args: |_| strings(&crate::faults::LOCK_ARGS),
    });
}

#[test]
fn oci_build_survives_kills() {
    kill_suite(&Writer {
        name: "oci build",
        next: ".",
        journal: true,
        setup: |dir| {
            std::fs::write(dir.join("old"), elf(EM_AARCH64, None, 4096)).unwrap();
            std::fs::write(dir.join("new"), elf(EM_AARCH64, None, 16 << 10)).unwrap();
            run_ok(crossflake(dir).args(oci_args("old", true)));
        },
        cwd: ".",
        args: |_| oci_args("new", true),
    });
}

#[test]
fn dist_survives_kills() {
    fn args(run: &Path, name: &str, size: usize) -> Vec<String> {
        let mut args = strings(&["dist", "--no-audit", "--force"]);
        args.extend(prebuilt(run, name, size));
        args
    }
    kill_suite(&Writer {
        name: "dist --prebuilt",
        next: "app",
        journal: false,
        setup: |dir| {
            crate::dist::project(&dir.join("app"));
            args(dir, "new", 16 << 10);
            run_ok(crossflake(&dir.join("app")).args(args(dir, "old", 4096)));
        },
        cwd: "app",
        args: |run| args(run, "new", 16 << 10),
    });
}
