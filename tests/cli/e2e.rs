//! End to end: the recipe on a real crate with C code (tests/fixtures/cross-hello, cc-rs),
//! built by `crossflake build --build-std` with Debian's rustc-web and zig for eight
//! targets, each binary checked by `crossflake verify` and run (natively, under
//! qemu-user-static for aarch64, arm and riscv64, with Debian's arm64 glibc for aarch64-gnu,
//! under wasmtime, under wine). Needs what scripts/provision installs.
//!
//! The targets share one cargo target directory and one zig cache (each target's std
//! and objects stay apart in their own target subdirectory), so warm reruns are fast.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{repo, require_tool, run_ok};

/// `scripts/with-debian-rust crossflake ARGS` in the fixture, with a shared target dir
/// and cache under target/e2e, and the test wasmtime on PATH when there is no CLI.
pub fn crossflake(args: &[&str]) -> std::process::Output {
    crossflake_in("cross-hello", args)
}

/// [`crossflake`] in another fixture under tests/fixtures, sharing the target directory (so
/// std is built once per target).
pub fn crossflake_in(fixture: &str, args: &[&str]) -> std::process::Output {
    crossflake_at(&repo().join("tests/fixtures").join(fixture), args)
}

/// [`crossflake`] in any directory, sharing the target directory.
pub fn crossflake_at(dir: &Path, args: &[&str]) -> std::process::Output {
    crossflake_at_with(dir, args, &[])
}

/// [`crossflake_at`] with extra environment variables.
pub fn crossflake_at_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if which::which("wasmtime").is_err() {
        let mut p = vec![repo().join("tests/support/bin")];
        p.extend(std::env::split_paths(&path));
        path = std::env::join_paths(p).unwrap();
    }
    let e2e = repo().join("target/e2e");
    Command::new(repo().join("scripts/with-debian-rust"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", e2e.join("target"))
        .env("XDG_CACHE_HOME", e2e.join("cache"))
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

pub fn ok(out: &std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Where `crossflake build` in the fixture puts `name` for `triple` (profile crossflake).
pub fn artifact(triple: &str, name: &str) -> PathBuf {
    repo()
        .join("target/e2e/target")
        .join(triple)
        .join("crossflake")
        .join(name)
}

fn verify(target: &str, path: &Path) -> serde_json::Value {
    let out = crossflake(&[
        "verify",
        "--json",
        "--target",
        target,
        path.to_str().unwrap(),
    ]);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}

/// Runs a binary built for `target` on this host the way `crossflake test` runs it: natively,
/// or with the runner and the run-only variables (QEMU_LD_PREFIX) `crossflake env` gives for
/// this host, wine in a prefix under target/e2e. Returns its stdout, or why it did not run.
pub fn run_on_host(target: &str, bin: &Path) -> Result<String, String> {
    let out = crossflake(&["env", "--json", "--target", target]);
    let env: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("crossflake env --target {target}: {e}"))?;
    let mut words: Vec<String> = env["tools"]["runner"]
        .as_str()
        .map(|r| r.split(' ').map(String::from).collect())
        .unwrap_or_default();
    if env["runner"]["status"] == "unavailable" {
        return Err(format!(
            "no runner for {target} on this host: {}",
            env["runner"]["reason"]
        ));
    }
    words.push(bin.display().to_string());
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..])
        .env("WINEPREFIX", repo().join("target/e2e/wine"))
        .env("WINEDEBUG", "-all");
    for e in env["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap();
        if e["run"] == true && !name.ends_with("_RUNNER") {
            cmd.env(name, e["value"].as_str().unwrap());
        }
    }
    let out = cmd.output().map_err(|e| format!("{words:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{words:?} exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The eight targets of [`cross_builds_verify_and_run`]: (as written, alias, triple, binary
/// name, the machine `crossflake verify` reads, which is also what the binary prints).
const EIGHT: [(&str, &str, &str, &str, &str); 8] = [
    (
        "aarch64-musl",
        "aarch64-musl",
        "aarch64-unknown-linux-musl",
        "cross-hello",
        "aarch64",
    ),
    (
        "x86_64-musl",
        "x86_64-musl",
        "x86_64-unknown-linux-musl",
        "cross-hello",
        "x86_64",
    ),
    (
        "x86_64-unknown-linux-gnu.2.17",
        "x86_64-gnu",
        "x86_64-unknown-linux-gnu",
        "cross-hello",
        "x86_64",
    ),
    (
        "wasm32-wasip1",
        "wasm32-wasip1",
        "wasm32-wasip1",
        "cross-hello.wasm",
        "wasm32",
    ),
    (
        "x86_64-windows",
        "x86_64-windows",
        "x86_64-pc-windows-gnu",
        "cross-hello.exe",
        "x86_64",
    ),
    (
        "armv7-musl",
        "armv7-musl",
        "armv7-unknown-linux-musleabihf",
        "cross-hello",
        "arm",
    ),
    (
        "riscv64gc-unknown-linux-musl",
        "riscv64-musl",
        "riscv64gc-unknown-linux-musl",
        "cross-hello",
        "riscv64",
    ),
    (
        "aarch64-gnu",
        "aarch64-gnu",
        "aarch64-unknown-linux-gnu",
        "cross-hello",
        "aarch64",
    ),
];

/// One target of the eight: built (its end line in the shared run's log), proven by `crossflake
/// verify` (format and machine; for gnu targets the dynamic loader and the newest GLIBC_
/// version at most the floor), and run on this host.
fn judge(
    written: &str,
    alias: &str,
    triple: &str,
    name: &str,
    machine: &str,
    log: &str,
) -> Result<(), String> {
    if !log.contains(&format!("crossflake: built {alias} in ")) {
        return Err("no end line in the build's log".into());
    }
    let bin = artifact(triple, name);
    let r = verify(written, &bin);
    if r[0]["ok"] != true || r[0]["facts"]["machine"] != machine {
        return Err(format!("verify: {r}"));
    }
    let format = if name.ends_with(".exe") {
        "pe"
    } else if name.ends_with(".wasm") {
        "wasm"
    } else {
        "elf"
    };
    if r[0]["facts"]["format"] != format {
        return Err(format!(
            "format {} (expected {format})",
            r[0]["facts"]["format"]
        ));
    }
    if let Some(floor) = written
        .strip_prefix("x86_64-unknown-linux-gnu.")
        .or((alias == "aarch64-gnu").then_some("2.28"))
    {
        let max = r[0]["facts"]["max-glibc"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        if max == "none" || crate_version(&max) > crate_version(floor) {
            return Err(format!("newest GLIBC_ version {max}, floor {floor}"));
        }
        let loader = if machine == "x86_64" {
            "ld-linux-x86-64"
        } else {
            "ld-linux-aarch64"
        };
        if !r[0]["facts"]["interpreter"]
            .as_str()
            .is_some_and(|i| i.contains(loader))
        {
            return Err(format!(
                "interpreter {} (expected {loader})",
                r[0]["facts"]["interpreter"]
            ));
        }
    }
    let got = run_on_host(written, &bin)?;
    let want = format!("cross-hello on {machine}: 2+3=5\n");
    if got != want {
        return Err(format!("printed {got:?}, expected {want:?}"));
    }
    Ok(())
}

#[test]
fn cross_builds_verify_and_run() {
    require_tool("qemu-aarch64-static", "apt-get install qemu-user-static");
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    assert!(
        Path::new("/usr/bin/rustc").exists(),
        "needs Debian's rustc-web (apt-get install rustc-web cargo-web rust-web-src)"
    );
    assert!(
        Path::new("/usr/aarch64-linux-gnu/lib").is_dir(),
        "needs an arm64 glibc (apt-get install libc6-arm64-cross)"
    );
    let mut args = vec!["build", "--build-std"];
    for t in &EIGHT {
        args.extend(["--target", t.0]);
    }
    let built = crossflake(&args);
    let log = String::from_utf8_lossy(&built.stderr).to_string();
    // every target's result first, then the verdict (a failed shared run fails each target
    // it did not finish, with the end of its log)
    let results: Vec<(&str, Result<(), String>)> = EIGHT
        .iter()
        .map(|&(w, a, t, n, m)| {
            let r = judge(w, a, t, n, m, &log).map_err(|e| match built.status.success() {
                true => e,
                false => format!(
                    "{e}; the build failed: {}",
                    log.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
                ),
            });
            (a, r)
        })
        .collect();
    for (alias, r) in &results {
        eprintln!(
            "{alias:<16} {}",
            match r {
                Ok(()) => "built, verified, runs".to_string(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.1.is_err())
        .map(|r| r.0)
        .collect();
    assert!(
        failed.is_empty(),
        "targets that failed: {failed:?} (each target's result is above)"
    );

    // wrong claims are rejected, with the reason
    let gnu = artifact("x86_64-unknown-linux-gnu", "cross-hello");
    let bad = crossflake(&["verify", "--target", "x86_64-musl", gnu.to_str().unwrap()]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("static: dynamically linked: PT_INTERP"),
        "{err}"
    );
    let aarch64 = artifact("aarch64-unknown-linux-musl", "cross-hello");
    let bad = crossflake(&[
        "verify",
        "--target",
        "x86_64-musl",
        aarch64.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("machine: expected x86_64, found aarch64")
    );
    let wasm = artifact("wasm32-wasip1", "cross-hello.wasm");
    let bad = crossflake(&[
        "verify",
        "--target",
        "x86_64-windows",
        wasm.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("format: expected PE, found wasm"));
    // a host-built binary needs a newer glibc than 2.17
    let me = env!("CARGO_BIN_EXE_crossflake");
    let bad = crossflake(&["verify", "--target", "x86_64-unknown-linux-gnu.2.17", me]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("glibc-floor: newest GLIBC_ symbol version 2.")
    );

    // tests run on the target under the host's runner
    for (target, runner) in [
        ("aarch64-musl", "qemu-user"),
        ("aarch64-gnu", "qemu-user"),
        ("wasm32-wasip1", "wasmtime"),
    ] {
        let t = crossflake(&["test", "--build-std", "--target", target]);
        let stdout = ok(&t, &format!("crossflake test --target {target}"));
        assert!(
            stdout.contains("test tests::c_code_runs_on_the_target ... ok"),
            "{stdout}"
        );
        assert!(String::from_utf8_lossy(&t.stderr).contains(&format!("under {runner}")));
    }
}

fn crate_version(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

/// Where the `ziglang` Python package (zig and its library) is installed.
fn ziglang_dir() -> PathBuf {
    let out = run_ok(Command::new("python3").args([
        "-c",
        "import ziglang, os; print(os.path.dirname(ziglang.__file__))",
    ]));
    PathBuf::from(out.trim())
}

/// `sh -c SCRIPT` in a mount namespace where zig's install (the ziglang package, which both
/// cargo-zigbuild and crossflake find) is a read-only copy without the `arm-features.h` that
/// cargo-zigbuild leaves in a writable one: as a system package's or the Nix store's zig is.
/// Needs root and unshare.
fn with_read_only_zig(copy_in: &Path, script: &str) -> Command {
    let unshare = require_tool("unshare", "apt-get install util-linux");
    let zig = ziglang_dir();
    let copy = copy_in.join("ziglang");
    run_ok(Command::new("cp").arg("-a").arg(&zig).arg(&copy));
    let _ = std::fs::remove_file(copy.join("lib/libc/glibc/sysdeps/arm/arm-features.h"));
    let mut cmd = Command::new(unshare);
    cmd.arg("-m").arg("sh").arg("-c").arg(format!(
        "mount --bind '{copy}' '{zig}' && mount -o remount,bind,ro '{zig}' && {script}",
        copy = copy.display(),
        zig = zig.display()
    ));
    cmd
}

/// cargo-zigbuild writes `arm-features.h` into zig's library for every arm linux target
/// (zig issue 3287); with zig's install read-only that write fails, as plain `cargo zigbuild`
/// shows here. `crossflake build` gives it a writable mirror of zig's library instead
/// (ZIG_LIB_DIR, under crossflake's cache directory) and armv7-musl builds and runs.
#[test]
fn armv7_builds_with_a_read_only_zig() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let qemu = require_tool("qemu-arm-static", "apt-get install qemu-user-static");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let fixture = repo().join("tests/fixtures/cross-hello");

    // the failure mode: cargo-zigbuild on its own, with the same read-only zig
    let plain = with_read_only_zig(
        tmp.path(),
        &format!(
            "cd '{}' && exec cargo zigbuild --target armv7-unknown-linux-musleabihf --profile crossflake",
            fixture.display()
        ),
    )
    .env("CARGO_TARGET_DIR", tmp.path().join("plain-target"))
    .env("XDG_CACHE_HOME", &cache)
    .env_remove("CARGO_ZIGBUILD_ZIG_PATH")
    .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(
        !plain.status.success()
            && err.contains("arm-features.h")
            && err.contains("Read-only file system"),
        "plain cargo zigbuild with a read-only zig:\n{err}"
    );

    let mirror_from = tempfile::tempdir().unwrap();
    let built = with_read_only_zig(
        mirror_from.path(),
        &format!(
            "cd '{}' && exec '{}' '{}' build --build-std --target armv7-musl",
            fixture.display(),
            repo().join("scripts/with-debian-rust").display(),
            env!("CARGO_BIN_EXE_crossflake")
        ),
    )
    .env("CARGO_TARGET_DIR", repo().join("target/e2e/target"))
    .env("XDG_CACHE_HOME", &cache)
    .env_remove("CARGO_ZIGBUILD_ZIG_PATH")
    .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND")
    .env_remove("CROSSFLAKE_CACHE_DIR")
    .output()
    .unwrap();
    ok(
        &built,
        "crossflake build --target armv7-musl with a read-only zig",
    );
    let mirrors: Vec<PathBuf> = std::fs::read_dir(cache.join("crossflake/zig-lib"))
        .expect("a zig library mirror under crossflake's cache")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(mirrors.len(), 1, "{mirrors:?}");
    assert!(
        mirrors[0]
            .join("libc/glibc/sysdeps/arm/arm-features.h")
            .is_file(),
        "cargo-zigbuild wrote its header into the mirror"
    );
    let bin = artifact("armv7-unknown-linux-musleabihf", "cross-hello");
    assert_eq!(
        run_ok(Command::new(&qemu).arg(&bin)),
        "cross-hello on arm: 2+3=5\n"
    );
}

/// `readelf -p .comment FILE`: the producers recorded in an ELF file.
fn elf_comment(file: &Path) -> String {
    let readelf = require_tool("readelf", "apt-get install binutils");
    run_ok(Command::new(readelf).arg("-p").arg(".comment").arg(file))
}

/// `crossflake env --shell` evaluated in a clean shell makes plain cargo build for the target:
/// here the host's own triple, x86_64-unknown-linux-gnu with a 2.17 floor, built the way the
/// flake builds (rustup's prebuilt std, no --build-std). Its build script is linked by the
/// host's cc (glibc's crt objects: "GCC:"), not zig, so it runs where the FHS loader is missing;
/// the program is linked by zig for the floor; `cargo test` runs through the glibc loader.
#[test]
fn env_shell_builds_the_hosts_own_gnu_triple_with_prebuilt_std() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("cross-hello");
    crate::support::copy_dir(&repo().join("tests/fixtures/cross-hello"), &project);
    let shell = run_ok(
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(["env", "--target", "x86_64-gnu", "--shell"])
            .current_dir(&project)
            .env("XDG_CACHE_HOME", tmp.path().join("cache")),
    );
    for var in [
        "export CARGO_TARGET_APPLIES_TO_HOST='false'",
        "export CARGO_UNSTABLE_HOST_CONFIG='true'",
        "export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER='",
    ] {
        assert!(shell.contains(var), "{var} in:\n{shell}");
    }
    // the CLI has no host linker of its own: build scripts get rustc's default
    assert!(!shell.contains("CARGO_HOST_"), "{shell}");
    std::fs::write(tmp.path().join("env.sh"), &shell).unwrap();
    let out = run_ok(
        Command::new("env")
            .arg("-i")
            .arg(format!("HOME={}", std::env::var("HOME").unwrap()))
            .arg(format!("PATH={}", std::env::var("PATH").unwrap()))
            .arg(format!(
                "XDG_CACHE_HOME={}",
                tmp.path().join("cache").display()
            ))
            .args(["bash", "-c"])
            .arg(format!(
                ". '{}' && cargo build --release --target x86_64-unknown-linux-gnu && \
                 cargo test --release --target x86_64-unknown-linux-gnu",
                tmp.path().join("env.sh").display()
            ))
            .current_dir(&project),
    );
    assert!(
        out.contains("test tests::c_code_runs_on_the_target ... ok"),
        "{out}"
    );
    let build_script = std::fs::read_dir(project.join("target/release/build"))
        .unwrap()
        .map(|e| e.unwrap().path().join("build-script-build"))
        .find(|p| p.is_file())
        .expect("a compiled build script");
    let comment = elf_comment(&build_script);
    assert!(
        comment.contains("GCC: (") && !comment.contains("clang version"),
        "the build script was not linked by the host's cc:\n{comment}"
    );
    let bin = project.join("target/x86_64-unknown-linux-gnu/release/cross-hello");
    let r = verify("x86_64-unknown-linux-gnu.2.17", &bin);
    assert_eq!(r[0]["ok"], true, "{r}");
    assert_eq!(
        run_ok(&mut Command::new(&bin)),
        "cross-hello on x86_64: 2+3=5\n"
    );
}

/// Rust 1.98 and later pass `-Wl,--fix-cortex-a53-843419` on aarch64 linux; zig rejects it
/// (`unsupported linker arg`), and cargo-zigbuild filters it from 0.23.0 on. The recipe's zig-cc
/// script, through the pinned cargo-zigbuild, links with it; zig on its own does not.
#[test]
fn the_pinned_cargo_zigbuild_filters_the_cortex_a53_flag_zig_rejects() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let env: serde_json::Value = serde_json::from_str(&run_ok(
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(["env", "--target", "aarch64-musl", "--json"])
            .env("XDG_CACHE_HOME", tmp.path().join("cache"))
            .env_remove("CROSSFLAKE_CACHE_DIR"),
    ))
    .unwrap();
    let zig_cc = env["tools"]["zig-cc"].as_str().unwrap().to_string();
    let src = tmp.path().join("main.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let link = |program: &[&str]| {
        Command::new(program[0])
            .args(&program[1..])
            .args(["-Wl,--fix-cortex-a53-843419", "-o"])
            .arg(tmp.path().join("a.out"))
            .arg(&src)
            .env("XDG_CACHE_HOME", tmp.path().join("cache"))
            .output()
            .unwrap()
    };
    let raw = link(&[
        "python3",
        "-m",
        "ziglang",
        "cc",
        "-target",
        "aarch64-linux-musl",
    ]);
    assert!(
        !raw.status.success()
            && String::from_utf8_lossy(&raw.stderr).contains("fix-cortex-a53-843419"),
        "zig on its own: {}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let out = link(&[&zig_cc]);
    assert!(
        out.status.success(),
        "the recipe's zig-cc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `crossflake build --release` the way the flake builds: the toolchain's prebuilt std for the
/// target (rustup's x86_64-unknown-linux-gnu), no --build-std; the binary lands in cargo's
/// `release` directory, verified against the 2.17 floor, and runs.
#[test]
fn build_release_with_the_toolchains_own_std() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("cross-hello");
    crate::support::copy_dir(&repo().join("tests/fixtures/cross-hello"), &project);
    let out = Command::new(env!("CARGO_BIN_EXE_crossflake"))
        .args([
            "build",
            "--release",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
        ])
        .current_dir(&project)
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .env_remove("RUSTC")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("cargo zigbuild --target x86_64-unknown-linux-gnu.2.17 --profile release")
            && !log.contains("build-std"),
        "{log}"
    );
    let bin = project.join("target/x86_64-unknown-linux-gnu/release/cross-hello");
    assert!(log.contains(&bin.display().to_string()), "{log}");
    let r = verify("x86_64-unknown-linux-gnu.2.17", &bin);
    assert_eq!(r[0]["ok"], true, "{r}");
    assert_eq!(
        run_ok(&mut Command::new(&bin)),
        "cross-hello on x86_64: 2+3=5\n"
    );
}

/// Two crossflake runs sharing a CARGO_TARGET_DIR take turns: cargo writes every project's
/// executable of one name to `<target-dir>/<triple>/<profile>/NAME` and locks only while it
/// runs, so a run holds the target directory from its cargo run until its executables are
/// read. Here the test holds the lock: the build waits, says so, builds nothing until the
/// lock is let go, then builds.
#[test]
fn a_run_waits_while_another_holds_the_target_directory() {
    use std::io::{BufRead, BufReader};
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("lock-probe");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        "[package]\nname = \"lock-probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    let target_dir = tmp.path().join("shared-target");
    std::fs::create_dir_all(&target_dir).unwrap();
    let held = std::fs::File::create(target_dir.join(".crossflake-lock")).unwrap();
    held.lock().unwrap();
    let mut child = Command::new(repo().join("scripts/with-debian-rust"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(["build", "--target", "x86_64-gnu"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("XDG_CACHE_HOME", repo().join("target/e2e/cache"))
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let want = format!(
        "crossflake: waiting for another crossflake run building in {} (it holds {})",
        target_dir.display(),
        target_dir.join(".crossflake-lock").display()
    );
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !seen.contains(&want) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no {want:?} while the lock was held; stderr so far:\n{seen:#?}");
            }
        }
    }
    // nothing compiled while the lock was held
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        !target_dir.join("x86_64-unknown-linux-gnu").exists(),
        "cargo ran while the lock was held: {seen:#?}"
    );
    assert_eq!(child.try_wait().unwrap(), None, "{seen:#?}");
    drop(held);
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("crossflake: built x86_64-gnu"), "{err}");
    // no crossflake profile in the project: release
    assert!(
        target_dir
            .join("x86_64-unknown-linux-gnu/release/lock-probe")
            .is_file(),
        "{err}"
    );
    // a run started by one holding the directory (a test running crossflake) stops at once
    let nested = Command::new(repo().join("scripts/with-debian-rust"))
        .arg(env!("CARGO_BIN_EXE_crossflake"))
        .args(["build", "--target", "x86_64-gnu"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CROSSFLAKE_LOCKED_TARGET_DIR", &target_dir)
        .env("XDG_CACHE_HOME", repo().join("target/e2e/cache"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&nested.stderr);
    assert!(!nested.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "this crossflake run was started by another that holds the target directory {} (a test or build script running crossflake): give it another CARGO_TARGET_DIR",
            target_dir.display()
        )),
        "{err}"
    );
}

/// The test wasmtime (tests/support/bin/wasmtime) grants what the real `wasmtime run` grants:
/// nothing unless asked. A WASI module that exits with 10 × its environment variables + 1 if
/// file descriptor 3 is a preopened directory: 0 with no options, 1 with `--dir=.` (the
/// catalog's runner arguments), 10 with one `--env`.
#[test]
fn the_test_wasmtime_grants_only_what_it_is_asked_for() {
    let python = require_tool("python3", "apt-get install python3");
    let tmp = tempfile::tempdir().unwrap();
    let wasm = tmp.path().join("probe.wasm");
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $env (i32.const 0) (i32.const 4)))
    (call $exit (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 10))
      (i32.eqz (call $prestat (i32.const 3) (i32.const 8)))))))"#;
    run_ok(
        Command::new(&python)
            .args([
                "-c",
                "import sys, wasmtime; open(sys.argv[1], 'wb').write(wasmtime.wat2wasm(sys.argv[2]))",
            ])
            .arg(&wasm)
            .arg(wat),
    );
    let runner = &crossflake_catalog_wasmtime_args();
    let code = |args: &[&str]| {
        Command::new(&python)
            .arg(repo().join("tests/support/bin/wasmtime"))
            .args(args)
            .arg(&wasm)
            .env("SOME_VARIABLE", "set")
            .current_dir(tmp.path())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(code(&["run"]), Some(0), "no directory, no environment");
    let catalog: Vec<&str> = runner.iter().map(String::as_str).collect();
    assert_eq!(
        code(&catalog),
        Some(1),
        "the catalog's arguments {catalog:?}"
    );
    assert_eq!(code(&["run", "--env", "SOME_VARIABLE"]), Some(10));
}

/// targets.toml's `[runners.wasmtime] args`.
fn crossflake_catalog_wasmtime_args() -> Vec<String> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(repo().join("targets.toml"))
        .unwrap()
        .parse()
        .unwrap();
    doc["runners"]["wasmtime"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}
