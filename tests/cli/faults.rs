//! A full disk in the middle of a write: `oci build`, `dist`, `toolchain lock` and `init` run
//! under strace, which fails one of their system calls with ENOSPC (`inject=SYSCALL:error=
//! ENOSPC:when=N`). The call is chosen from a first, uninjected run of the same command on an
//! identical project: the first write or fsync into the staging entry after data has already
//! reached it, so the failure hits a half-written staging, not an empty directory. Each case
//! checks that the error names the destination and the fix, that every file is as it was and
//! no staging is left, that the injected call really fell on staging that already held data
//! (from the injected run's own trace), and that the next run succeeds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{EM_AARCH64, EM_X86_64, TempProject, copy_dir, elf, repo, require_tool};

/// One traced system call: its name, the file its descriptor names (strace `-y`), its result.
#[derive(Debug)]
struct Call {
    syscall: String,
    path: String,
    result: String,
}

/// The `write` and `fsync` calls of an strace `-y` log, in order.
fn calls(log: &str) -> Vec<Call> {
    log.lines()
        .filter_map(|line| {
            let (syscall, rest) = line.split_once('(')?;
            if syscall != "write" && syscall != "fsync" {
                return None;
            }
            let path = rest.split_once('<')?.1.split_once('>')?.0.to_string();
            let result = line.rsplit_once(" = ")?.1.to_string();
            Some(Call {
                syscall: syscall.to_string(),
                path,
                result,
            })
        })
        .collect()
}

/// A staging entry's content (not its lock file).
fn in_staging(path: &str) -> bool {
    path.contains("/.crossflake-stage-") && !path.ends_with(".lock")
}

/// A write that put bytes into staging.
fn wrote_data(c: &Call) -> bool {
    c.syscall == "write" && in_staging(&c.path) && c.result.parse::<u64>().is_ok_and(|n| n > 0)
}

/// The calls to fail, each as (syscall, its ordinal among that syscall's calls, 1-based): the
/// first write or fsync into staging after a write of data into it, and the last write into
/// staging (when data came before it), where the most is staged.
fn injection_points(calls: &[Call]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut data = false;
    let (mut first, mut last) = (None, None);
    for c in calls {
        let n = counts.entry(c.syscall.as_str()).or_insert(0);
        *n += 1;
        if data && in_staging(&c.path) {
            first = first.or(Some((c.syscall.clone(), *n)));
            if c.syscall == "write" {
                last = Some((c.syscall.clone(), *n));
            }
        }
        data |= wrote_data(c);
    }
    let mut points: Vec<(String, usize)> = first.into_iter().chain(last).collect();
    points.dedup();
    points
}

/// Every file under `dir` with its bytes, and every staging entry's name.
fn state(dir: &Path) -> (BTreeMap<PathBuf, Vec<u8>>, Vec<String>) {
    let files = TempProject::snapshot_bytes_of(dir);
    let staged = files
        .keys()
        .filter(|p| p.to_string_lossy().contains(".crossflake-stage-"))
        .map(|p| p.display().to_string())
        .collect();
    (files, staged)
}

/// A writing command: where it runs, its arguments, and the directory whose files it may
/// change.
struct Writer {
    cwd: PathBuf,
    args: Vec<String>,
    root: PathBuf,
}

impl Writer {
    fn traced(&self, strace: &Path, inject: Option<&(String, usize)>, log: &Path) -> Output {
        let mut cmd = Command::new(strace);
        cmd.args(["-qq", "-y", "-e", "trace=write,fsync", "-o"])
            .arg(log);
        if let Some((syscall, n)) = inject {
            cmd.arg("-e")
                .arg(format!("inject={syscall}:error=ENOSPC:when={n}"));
        }
        cmd.arg(env!("CARGO_BIN_EXE_crossflake"))
            .args(&self.args)
            .current_dir(&self.cwd)
            .env("SOURCE_DATE_EPOCH", "315532800")
            .output()
            .unwrap()
    }

    fn run(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(&self.args)
            .current_dir(&self.cwd)
            .env("SOURCE_DATE_EPOCH", "315532800")
            .output()
            .unwrap()
    }
}

/// Runs one case: `setup` makes the project (with the old output in place) in a directory
/// and returns the writer; `dest` is what the error must name (a prefix of the path).
fn full_disk_case(name: &str, setup: impl Fn(&Path) -> (Writer, String)) {
    let strace = require_tool("strace", "apt-get install strace");
    let logs = tempfile::tempdir().unwrap();

    // where the injection goes, from a run on an identical project
    let rehearsal = tempfile::tempdir().unwrap();
    let (writer, _) = setup(rehearsal.path());
    let log = logs.path().join("rehearsal");
    let out = writer.traced(&strace, None, &log);
    assert!(
        out.status.success(),
        "{name}: the uninjected run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let points = injection_points(&calls(&std::fs::read_to_string(&log).unwrap()));
    assert!(
        !points.is_empty(),
        "{name}: no write into staging after data was staged"
    );
    for point in points {
        full_disk_at(name, &strace, &setup, &point, logs.path());
    }
}

/// One injection of [`full_disk_case`], at `point`.
fn full_disk_at(
    name: &str,
    strace: &Path,
    setup: &impl Fn(&Path) -> (Writer, String),
    point: &(String, usize),
    logs: &Path,
) {
    let project = tempfile::tempdir().unwrap();
    let (writer, dest) = setup(project.path());
    let before = state(&writer.root);
    assert_eq!(
        before.1,
        Vec::<String>::new(),
        "{name} at {point:?}: staging before the run"
    );
    let log = logs.join(format!("injected-{}-{}", point.0, point.1));
    let out = writer.traced(strace, Some(point), &log);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name} at {point:?}:\n{err}");

    // the failure fell on staging that already held data
    let injected = calls(&std::fs::read_to_string(&log).unwrap());
    let at = injected
        .iter()
        .position(|c| c.result.contains("ENOSPC") && c.result.contains("INJECTED"))
        .unwrap_or_else(|| {
            panic!("{name} at {point:?}: strace injected nothing at {point:?}\n{err}")
        });
    assert!(
        in_staging(&injected[at].path),
        "{name} at {point:?}: the injected {} fell on {}, not on staging",
        injected[at].syscall,
        injected[at].path
    );
    assert!(
        injected[..at].iter().any(wrote_data),
        "{name} at {point:?}: staging held no data when ENOSPC hit"
    );

    for want in [
        format!("error: failed to write {dest}"),
        "No space left on device".to_string(),
        "fix: free space on that file system (or raise the quota) and run again".to_string(),
    ] {
        assert!(
            err.contains(&want),
            "{name} at {point:?}: expected `{want}` in:\n{err}"
        );
    }
    assert!(
        !err.contains(".crossflake-stage-"),
        "{name} at {point:?}: the error names the staging entry, not the destination:\n{err}"
    );
    assert!(
        before == state(&writer.root),
        "{name} at {point:?}: files changed or staging was left behind"
    );

    // the next run writes the new output and leaves no staging
    let out = writer.run();
    assert!(
        out.status.success(),
        "{name} at {point:?}: the run after the full disk failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = state(&writer.root);
    assert_eq!(
        after.1,
        Vec::<String>::new(),
        "{name} at {point:?}: staging after the run"
    );
    assert_ne!(
        before.0, after.0,
        "{name} at {point:?}: the next run changed nothing"
    );
}

/// `oci build --force --output img [--archive img.tar] --binary linux/arm64=BIN`, in the
/// project's directory: the image writes of the fault, kill, concurrency and signal tests.
pub(crate) fn oci_args(bin: &str, archive: bool) -> Vec<String> {
    let mut args: Vec<String> = ["oci", "build", "--force", "--output", "img"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if archive {
        args.extend(["--archive".to_string(), "img.tar".to_string()]);
    }
    args.extend(["--binary".to_string(), format!("linux/arm64={bin}")]);
    args
}

/// Executables for `dist --prebuilt` of cross-hello's aarch64-musl, x86_64-musl and
/// wasm32-wasip1 (ELF files of `size` bytes, a wasm module) under `dir/NAME/TARGET`; returns
/// the `--prebuilt=TARGET=DIR` arguments.
pub(crate) fn prebuilt(dir: &Path, name: &str, size: usize) -> Vec<String> {
    let mut args = Vec::new();
    for (target, machine) in [
        ("aarch64-musl", Some(EM_AARCH64)),
        ("x86_64-musl", Some(EM_X86_64)),
        ("wasm32-wasip1", None),
    ] {
        let d = dir.join(name).join(target);
        std::fs::create_dir_all(&d).unwrap();
        match machine {
            Some(m) => std::fs::write(d.join("cross-hello"), elf(m, None, size)).unwrap(),
            None => std::fs::write(d.join("cross-hello.wasm"), b"\0asm\x01\0\0\0").unwrap(),
        }
        args.push(format!("--prebuilt={target}={}", d.display()));
    }
    args
}

/// `toolchain lock` from the local channel manifest.
pub(crate) const LOCK_ARGS: [&str; 4] =
    ["toolchain", "lock", "--channel-manifest", "manifest.toml"];

/// A project in `dir` whose toolchain lock ([`LOCK_ARGS`]) was written and then went out of
/// date by one component, so the next lock writes it again.
pub(crate) fn stale_lock_project(dir: &Path) {
    let fixture = |name: &str| crate::lock::fixture(name);
    std::fs::write(dir.join("Cargo.toml"), crate::lock::CARGO_TOML).unwrap();
    std::fs::copy(
        fixture("rust-toolchain.toml"),
        dir.join("rust-toolchain.toml"),
    )
    .unwrap();
    std::fs::copy(
        fixture("channel-rust-1.95.0.toml"),
        dir.join("manifest.toml"),
    )
    .unwrap();
    crate::support::run_ok(
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(LOCK_ARGS)
            .current_dir(dir),
    );
    let toolchain = std::fs::read_to_string(dir.join("rust-toolchain.toml")).unwrap();
    let fewer = toolchain.replacen("\"rustfmt\", ", "", 1);
    assert_ne!(
        toolchain, fewer,
        "rust-toolchain.toml has no rustfmt component"
    );
    std::fs::write(dir.join("rust-toolchain.toml"), fewer).unwrap();
}

#[test]
fn a_full_disk_while_oci_build_writes_keeps_the_old_image() {
    full_disk_case("oci build", |dir| {
        std::fs::write(dir.join("old"), elf(EM_AARCH64, None, 4096)).unwrap();
        std::fs::write(dir.join("new"), elf(EM_AARCH64, None, 64 << 10)).unwrap();
        let args = |bin: &str| oci_args(bin, false);
        let old = Writer {
            cwd: dir.to_path_buf(),
            args: args("old"),
            root: dir.to_path_buf(),
        };
        assert!(old.run().status.success());
        let new = Writer {
            args: args("new"),
            ..old
        };
        (new, format!("{}/img", dir.display()))
    });
}

#[test]
fn a_full_disk_while_dist_writes_keeps_the_old_archives() {
    full_disk_case("dist --prebuilt", |dir| {
        let app = dir.join("app");
        crate::dist::project(&app);
        let bins = |name: &str, size: usize| prebuilt(dir, name, size);
        let out_dir = dir.join("dist");
        let args = |prebuilt: Vec<String>| -> Vec<String> {
            let mut args = vec![
                "dist".to_string(),
                "--no-audit".into(),
                "--force".into(),
                format!("--out={}", out_dir.display()),
            ];
            args.extend(prebuilt);
            args
        };
        let old = Writer {
            cwd: app.clone(),
            args: args(bins("old", 4096)),
            root: dir.to_path_buf(),
        };
        let out = old.run();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let new = Writer {
            args: args(bins("new", 64 << 10)),
            ..old
        };
        (new, format!("{}/", out_dir.display()))
    });
}

#[test]
fn a_full_disk_while_toolchain_lock_writes_keeps_the_old_lock() {
    full_disk_case("toolchain lock", |dir| {
        stale_lock_project(dir);
        let lock = Writer {
            cwd: dir.to_path_buf(),
            args: LOCK_ARGS.iter().map(|s| s.to_string()).collect(),
            root: dir.to_path_buf(),
        };
        (lock, format!("{}/rust-toolchain.lock.toml", dir.display()))
    });
}

#[test]
fn a_full_disk_while_init_writes_keeps_every_file() {
    full_disk_case("init", |dir| {
        copy_dir(&repo().join("tests/fixtures/init/package"), dir);
        let init = Writer {
            cwd: dir.to_path_buf(),
            args: vec!["init".into()],
            root: dir.to_path_buf(),
        };
        (init, format!("{}/", dir.display()))
    });
}
