//! Two runs writing the same place at once: the second waits for the first and says which run
//! it waits for, then does its own work on what the first left. Each case makes the two really
//! overlap: the first run is slowed under strace (`inject=rename:delay_enter=…:when=1`, its
//! commit, while it holds the lock), the second starts once the first's lock file names it, and
//! must print the first's pid in its "waiting for" line. The result must equal the two run one
//! after the other in a copy.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{EM_AARCH64, TempProject, copy_dir, elf, repo, require_tool};

/// How long the first run's commit is held up, in microseconds.
const DELAY_US: u64 = 2_000_000;

fn crossflake(cwd: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossflake"));
    cmd.args(args)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "315532800")
        .env_remove("CROSSFLAKE_CACHE_DIR");
    cmd
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `first` (slowed at its first rename) and, while it holds the lock in `lock_dir`,
/// `second`; both in `cwd`. Checks that the second waited for the first, naming it.
fn overlap(cwd: &Path, lock_dir: &Path, first: &[String], second: &[String]) {
    let strace = require_tool("strace", "apt-get install strace");
    let mut a = Command::new(&strace);
    a.args(["-qq", "-o", "/dev/null", "-e", "trace=rename", "-e"])
        .arg(format!("inject=rename:delay_enter={DELAY_US}:when=1"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(first)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "315532800")
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut a = a.spawn().unwrap();
    // the first run holds the lock once its lock file names it
    let lock = lock_dir.join(".crossflake-stage-run.lock");
    let start = Instant::now();
    let holder = loop {
        let text = std::fs::read_to_string(&lock).unwrap_or_default();
        if let Some(pid) = text
            .strip_prefix("crossflake run ")
            .and_then(|r| r.split_once(' '))
            .map(|(pid, _)| pid.to_string())
        {
            break pid;
        }
        if let Some(status) = a.try_wait().unwrap() {
            let mut err = String::new();
            a.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("the first run ({first:?}) ended ({status}) before the second started:\n{err}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first run ({first:?}) never took the lock in {}",
            lock_dir.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let b = crossflake(cwd, second).output().unwrap();
    let a_status = a.wait().unwrap();
    let mut a_err = String::new();
    a.stderr.take().unwrap().read_to_string(&mut a_err).unwrap();
    assert!(a_status.success(), "the first run failed:\n{a_err}");
    ok(&b, "the second run");
    let b_err = String::from_utf8_lossy(&b.stderr);
    let want = format!(
        "crossflake: waiting for crossflake run {holder} (`crossflake {}`) to finish writing in {}",
        first.join(" "),
        lock_dir.display()
    );
    assert!(
        b_err.contains(&want),
        "the second run did not wait for the first; expected `{want}` in:\n{b_err}"
    );
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A directory's files with their bytes, by relative path.
fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    TempProject::snapshot_bytes_of(dir)
}

#[test]
fn two_oci_builds_into_one_directory_run_one_after_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let solo = tempfile::tempdir().unwrap();
    for d in [dir.path(), solo.path()] {
        std::fs::write(d.join("a"), elf(EM_AARCH64, None, 4096)).unwrap();
        std::fs::write(d.join("b"), elf(EM_AARCH64, None, 8192)).unwrap();
    }
    let args = |bin: &str| crate::faults::oci_args(bin, true);
    overlap(dir.path(), dir.path(), &args("a"), &args("b"));
    ok(
        &crossflake(solo.path(), &args("a")).output().unwrap(),
        "solo a",
    );
    let only_a = files(solo.path());
    ok(
        &crossflake(solo.path(), &args("b")).output().unwrap(),
        "solo b",
    );
    let both = files(dir.path());
    assert!(
        both == files(solo.path()),
        "the image is not the second run's"
    );
    assert!(both != only_a, "the two runs wrote the same image");
}

#[test]
fn two_dists_into_one_directory_run_one_after_the_other() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    crate::dist::project(&app);
    let out = work.path().join("out");
    let args = |name: &str, size: usize| {
        let mut args = strings(&["dist", "--no-audit", "--force"]);
        args.push(format!("--output={}", out.display()));
        args.extend(crate::faults::prebuilt(work.path(), name, size));
        args
    };
    overlap(&app, work.path(), &args("a", 4096), &args("b", 8192));
    let both = files(&out);
    ok(
        &crossflake(&app, &args("a", 4096)).output().unwrap(),
        "solo a",
    );
    let only_a = files(&out);
    ok(
        &crossflake(&app, &args("b", 8192)).output().unwrap(),
        "solo b",
    );
    assert!(both == files(&out), "the archives are not the second run's");
    assert!(both != only_a, "the two runs wrote the same archives");
}

#[test]
fn target_add_during_init_waits_and_edits_what_init_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let solo = tempfile::tempdir().unwrap();
    for d in [dir.path(), solo.path()] {
        copy_dir(&repo().join("tests/fixtures/init/package"), d);
    }
    let init = strings(&["init"]);
    let add = strings(&["target", "add", "riscv64-musl"]);
    overlap(dir.path(), dir.path(), &init, &add);
    ok(
        &crossflake(solo.path(), &init).output().unwrap(),
        "solo init",
    );
    ok(&crossflake(solo.path(), &add).output().unwrap(), "solo add");
    let both = files(dir.path());
    assert!(
        both == files(solo.path()),
        "init and target add at once differ from one after the other"
    );
    let manifest = String::from_utf8_lossy(&both[Path::new("Cargo.toml")]).to_string();
    assert!(manifest.contains("\"riscv64-musl\""), "{manifest}");
}

/// Two `crossflake build`s of two projects at once, sharing one empty cache directory (zig's
/// global cache and cargo-zigbuild's linker wrappers, under XDG_CACHE_HOME), each with its own
/// target directory: both must build, their binaries verify and equal, byte for byte, a third
/// build run alone afterwards. The test sees both builds compiling at the same moment.
#[test]
fn two_builds_at_once_share_the_zig_and_cargo_zigbuild_caches() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let triple = "x86_64-unknown-linux-gnu";
    let build = |name: &str| {
        let project = work.path().join(name);
        copy_dir(&repo().join("tests/fixtures/cross-hello"), &project);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossflake"));
        cmd.args([
            "build",
            "--release",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
        ])
        .current_dir(&project)
        .env("XDG_CACHE_HOME", &cache)
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .env_remove("RUSTC")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        (
            cmd,
            project
                .join("target")
                .join(triple)
                .join("release/cross-hello"),
        )
    };
    let (mut one, one_bin) = build("one");
    let (mut two, two_bin) = build("two");
    let mut one = one.spawn().unwrap();
    let mut two = two.spawn().unwrap();
    // both compiling at once: each target directory has its triple's build directory while
    // neither run has ended
    let dirs = [&one_bin, &two_bin].map(|b| b.parent().unwrap().join("build"));
    let start = Instant::now();
    let mut overlapped = false;
    while start.elapsed() < Duration::from_secs(600) {
        let running = one.try_wait().unwrap().is_none() && two.try_wait().unwrap().is_none();
        if !running {
            break;
        }
        if dirs.iter().all(|d| d.is_dir()) {
            overlapped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let one = one.wait_with_output().unwrap();
    let two = two.wait_with_output().unwrap();
    ok(&one, "the first of the two builds");
    ok(&two, "the second of the two builds");
    assert!(overlapped, "the two builds did not run at the same time");
    let (mut solo, solo_bin) = build("solo");
    ok(&solo.output().unwrap(), "the build alone");
    let solo_bytes = std::fs::read(&solo_bin).unwrap();
    for bin in [&one_bin, &two_bin] {
        assert!(
            std::fs::read(bin).unwrap() == solo_bytes,
            "{} differs from the build run alone",
            bin.display()
        );
        let out = crossflake(
            work.path(),
            &strings(&[
                "verify",
                "--target",
                "x86_64-unknown-linux-gnu.2.17",
                &bin.display().to_string(),
            ]),
        )
        .output()
        .unwrap();
        ok(&out, &format!("verify {}", bin.display()));
    }
}
