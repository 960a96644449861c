//! SIGTERM and SIGINT sent to crossflake alone (as `timeout` or a CI runner sends them) while
//! cargo runs a build script: crossflake passes the signal on to cargo's process group, waits for
//! it, removes what it staged, and exits 143 or 130. The build script starts a waiter (python3)
//! that catches both signals and records which one it got, so a signal that only reached
//! crossflake (and children killed later by the grace period's SIGKILL) fails the test.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::repo;

const BUILD_RS: &str = r#"fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("SIGNAL_DIR").unwrap();
    std::fs::write(format!("{dir}/build-script.pid"), std::process::id().to_string()).unwrap();
    let script = "import os, signal, sys, time\n\
                  def got(sig, frame):\n\
                  \x20   open(os.path.join(sys.argv[1], 'got'), 'w').write(signal.Signals(sig).name)\n\
                  \x20   if not os.environ.get('WAITER_STAYS'):\n\
                  \x20       sys.exit(0)\n\
                  signal.signal(signal.SIGINT, got)\n\
                  signal.signal(signal.SIGTERM, got)\n\
                  open(os.path.join(sys.argv[1], 'waiter.tmp'), 'w').write(str(os.getpid()))\n\
                  os.rename(os.path.join(sys.argv[1], 'waiter.tmp'), os.path.join(sys.argv[1], 'waiter.pid'))\n\
                  time.sleep(300)\n";
    let _ = std::process::Command::new("python3").arg("-c").arg(script).arg(&dir).status();
}
"#;

/// A package for x86_64-gnu whose build script waits in a process that records the signal it got.
fn project(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"slow\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-gnu\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join("build.rs"), BUILD_RS).unwrap();
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Runs `crossflake ARGS` in a fresh project, sends `signal` to crossflake once the build
/// script's waiter runs, and checks the exit status, the messages, that the waiter got the same
/// signal and that no process of the build is left. Returns the work directory.
fn interrupt(args: &[&str], signal: i32, name: &str, code: i32) -> tempfile::TempDir {
    interrupt_with(args, signal, name, code, false)
}

/// [`interrupt`]; with `stays`, the waiter outlives the signal and a second one is sent, which
/// must kill the children at once.
fn interrupt_with(
    args: &[&str],
    signal: i32,
    name: &str,
    code: i32,
    stays: bool,
) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("slow");
    project(&dir);
    let signals = work.path().join("signals");
    std::fs::create_dir(&signals).unwrap();
    let mut child = Command::new(repo().join("scripts/with-debian-rust"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(args)
        .current_dir(&dir)
        .env("SIGNAL_DIR", &signals)
        .env("WAITER_STAYS", if stays { "1" } else { "" })
        .env("CARGO_TARGET_DIR", work.path().join("target"))
        .env("XDG_CACHE_HOME", repo().join("target/e2e/cache"))
        .env("SOURCE_DATE_EPOCH", "315532800")
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !signals.join("waiter.pid").exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "crossflake {args:?} ended ({status}) before the build script ran:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the build script never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (script, waiter) = (
        read_pid(&signals.join("build-script.pid")),
        read_pid(&signals.join("waiter.pid")),
    );
    // crossflake alone (with-debian-rust execs it: the child's pid is crossflake's)
    // SAFETY: signals the child this test started.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    if stays {
        // the waiter has the first signal and sleeps on
        let start = Instant::now();
        while !signals.join("got").exists() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the waiter got no signal"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: as above.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    for want in [
        format!("crossflake: {name}: stopping 1 child process group(s) and waiting for them"),
        format!("crossflake: stopped by {name}; what this run had staged was removed"),
    ] {
        assert!(err.contains(&want), "expected `{want}` in:\n{err}");
    }
    assert!(!err.contains("error:") && !err.contains("s after"), "{err}");
    assert_eq!(
        err.contains("crossflake: a second signal; killing the children"),
        stays,
        "{err}"
    );
    let got = std::fs::read_to_string(signals.join("got")).unwrap_or_default();
    assert_eq!(
        got.trim(),
        name,
        "the build script's waiter got another signal or none"
    );
    let start = Instant::now();
    while alive(script) || alive(waiter) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the build script ({script}) or its waiter ({waiter}) outlived crossflake"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    work
}

#[test]
fn sigterm_during_dist_stops_cargo_keeps_the_old_archives_and_exits_143() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("dist");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.tar.gz"), "old").unwrap();
    let output = format!("--output={}", out.display());
    let run = interrupt(
        &["dist", "--no-audit", "--force", &output],
        libc::SIGTERM,
        "SIGTERM",
        143,
    );
    drop(run);
    let left: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(left, ["dist"], "staging or a lock left beside the output");
    assert_eq!(
        crate::support::TempProject::snapshot_bytes_of(&out)
            .into_iter()
            .collect::<Vec<_>>(),
        [(std::path::PathBuf::from("old.tar.gz"), b"old".to_vec())]
    );
}

#[test]
fn sigint_during_build_stops_cargo_and_exits_130() {
    let work = interrupt(
        &["build", "--target", "x86_64-gnu"],
        libc::SIGINT,
        "SIGINT",
        130,
    );
    let staged: Vec<String> = std::fs::read_dir(work.path().join("slow"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".crossflake-stage-"))
        .collect();
    assert_eq!(staged, Vec::<String>::new());
}

/// Runs `crossflake ARGS` in `dir` under strace with its first fsync held up `delay_us`
/// microseconds (so its write phase lasts), sends SIGTERM to crossflake once a file is staged
/// and its run lock names it, and checks: exit 143, the handler's message, and every file of
/// `dir` as it was before (no staging, no lock).
fn sigterm_while_staging(dir: &Path, args: &[String], delay_us: u64) {
    use crate::support::{TempProject, require_tool};
    let strace = require_tool("strace", "apt-get install strace");
    let before = TempProject::snapshot_bytes_of(dir);
    let child = Command::new(&strace)
        .args(["-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e"])
        .arg(format!("inject=fsync:delay_enter={delay_us}:when=1"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "315532800")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // writing: a file is staged, and the run lock names the run
    let lock = dir.join(".crossflake-stage-run.lock");
    let start = Instant::now();
    let pid: i32 = loop {
        let staged = std::fs::read_dir(dir).unwrap().any(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with(".crossflake-stage-")
                && !name.ends_with(".lock")
                && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some())
        });
        let text = std::fs::read_to_string(&lock).unwrap_or_default();
        if let (true, Some(pid)) = (
            staged,
            text.strip_prefix("crossflake run ")
                .and_then(|r| r.split_once(' '))
                .and_then(|(p, _)| p.parse().ok()),
        ) {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{args:?} never staged anything"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: signals the crossflake this test started (under strace).
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{args:?}: {err}");
    assert!(
        err.contains("crossflake: stopped by SIGTERM; what this run had staged was removed"),
        "{err}"
    );
    assert!(
        TempProject::snapshot_bytes_of(dir) == before,
        "{args:?}: files changed, or staging or the lock was left:\n{err}"
    );
}

/// SIGTERM while `oci build` writes its staging, held in its first fsync for longer than the
/// test (no child process runs): the handler itself removes the staged layout and the lock.
#[test]
fn sigterm_while_oci_build_writes_removes_its_staging_and_exits_143() {
    use crate::support::{EM_AARCH64, elf};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), elf(EM_AARCH64, None, 4096)).unwrap();
    std::fs::write(dir.path().join("b"), elf(EM_AARCH64, None, 8192)).unwrap();
    let args = |bin: &str| crate::faults::oci_args(bin, false);
    crate::support::run_ok(
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(args("a"))
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "315532800"),
    );
    sigterm_while_staging(dir.path(), &args("b"), 30_000_000);
}

/// SIGTERM while `init` stages, its first fsync held up for a second: once it goes on, `init`
/// must not commit (it would, well within the time the handler gives the main thread to
/// return), and every file stays as it was.
#[test]
fn sigterm_before_init_commits_leaves_every_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&repo().join("tests/fixtures/init/package"), dir.path());
    sigterm_while_staging(dir.path(), &["init".to_string()], 1_000_000);
}

#[test]
fn a_second_sigint_kills_the_children_at_once() {
    interrupt_with(
        &["build", "--target", "x86_64-gnu"],
        libc::SIGINT,
        "SIGINT",
        130,
        true,
    );
}
