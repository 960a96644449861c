//! `crossflake doctor` and the check `crossflake build` runs before it starts: each C
//! dependency problem of the catalog against an expected table, the exit statuses, a missing
//! build tool, libclang against zig's clang, and bindgen's environment.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{TempProject, require_tool};

const MANIFEST: &str = r#"[package]
name = "app"
version = "0.1.0"
edition = "2021"

[package.metadata.crossflake]
schema = 1
targets = ["aarch64-musl", "x86_64-unknown-linux-gnu.2.17"]
"#;

const TOOLCHAIN: &str = r#"[toolchain]
channel = "stable"
targets = ["aarch64-unknown-linux-musl", "x86_64-unknown-linux-gnu"]
"#;

/// A Cargo.lock whose root package `app` depends on `packages`' names; each package is
/// `(name, its dependencies)`.
fn lock(packages: &[Package]) -> String {
    let mut text =
        String::from("version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    let roots: Vec<String> = packages.iter().map(|(n, _)| format!("{n:?}")).collect();
    text.push_str(&format!("dependencies = [{}]\n", roots.join(", ")));
    for (name, deps) in packages {
        let deps: Vec<String> = deps.iter().map(|d| format!("{d:?}")).collect();
        text.push_str(&format!(
            "\n[[package]]\nname = {name:?}\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [{}]\n",
            deps.join(", ")
        ));
    }
    text
}

fn project(lock_text: &str) -> TempProject {
    TempProject::with(&[
        ("Cargo.toml", MANIFEST),
        ("rust-toolchain.toml", TOOLCHAIN),
        ("src/main.rs", "fn main() {}\n"),
        ("Cargo.lock", lock_text),
    ])
}

/// `crossflake doctor --json` with std built from Debian's rust-src (as CI builds), so the
/// recipe's tools are all there: its findings as `scope severity check` lines, and its exit
/// status.
fn doctor(p: &TempProject, extra_env: &[(&str, &str)]) -> (Vec<String>, i32) {
    doctor_with(p, &[], extra_env)
}

/// [`doctor`] with more arguments.
fn doctor_with(p: &TempProject, args: &[&str], extra_env: &[(&str, &str)]) -> (Vec<String>, i32) {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let mut cmd = p.cmd(&[&["doctor", "--build-std", "--json"], args].concat());
    cmd.env("RUSTC", "/usr/bin/rustc");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut lines = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        for f in s["findings"].as_array().unwrap() {
            lines.push(format!(
                "{} {} {}",
                s["scope"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["check"].as_str().unwrap()
            ));
        }
    }
    (lines, out.status.code().unwrap())
}

/// A Cargo.lock package: its name and its dependencies' names.
type Package = (&'static str, &'static [&'static str]);

const VENDORED: Package = ("openssl-sys", &["cc", "libc", "openssl-src", "pkg-config"]);
const SYSTEM_OPENSSL: Package = ("openssl-sys", &["cc", "libc", "pkg-config"]);
const OPENSSL_SRC: Package = ("openssl-src", &["cc"]);

#[test]
fn each_c_dependency_problem_against_its_expected_findings() {
    // (what, Cargo.lock packages, expected findings, exit status)
    type Case = (&'static str, Vec<Package>, &'static [&'static str], i32);
    let cases: [Case; 8] = [
        ("openssl vendored", vec![VENDORED, OPENSSL_SRC], &[], 0),
        (
            "openssl from the system",
            vec![SYSTEM_OPENSSL],
            &[
                "aarch64-musl error crate openssl-sys",
                "x86_64-gnu error crate openssl-sys",
            ],
            1,
        ),
        (
            "native-tls without vendored: musl only",
            vec![("native-tls", &["openssl-sys"]), SYSTEM_OPENSSL],
            &[
                "aarch64-musl error crate native-tls",
                "aarch64-musl error crate openssl-sys",
                "x86_64-gnu error crate openssl-sys",
            ],
            1,
        ),
        (
            "native-tls vendored",
            vec![("native-tls", &["openssl-sys"]), VENDORED, OPENSSL_SRC],
            &[],
            0,
        ),
        (
            "sqlite from the system",
            vec![("libsqlite3-sys", &["pkg-config", "vcpkg"])],
            &[
                "aarch64-musl error crate libsqlite3-sys",
                "x86_64-gnu error crate libsqlite3-sys",
            ],
            1,
        ),
        (
            "sqlite bundled",
            vec![("libsqlite3-sys", &["cc", "pkg-config", "vcpkg"])],
            &[],
            0,
        ),
        (
            "zstd builds its own",
            vec![("zstd-sys", &["cc", "pkg-config"])],
            &[],
            0,
        ),
        (
            "another -sys crate that looks its library up",
            vec![
                ("libgit2-sys", &["libc", "pkg-config"]),
                ("zstd-sys", &["cc"]),
            ],
            &[
                "aarch64-musl warning crate libgit2-sys",
                "x86_64-gnu warning crate libgit2-sys",
            ],
            2,
        ),
    ];
    for (what, packages, want, status) in cases {
        let p = project(&lock(&packages));
        let (got, code) = doctor(&p, &[]);
        assert_eq!(got, want, "{what}");
        assert_eq!(code, status, "{what}: exit status");
    }
    // an OpenSSL for the target given through openssl-sys's own variable: only the other
    // target is still refused
    let p = project(&lock(&[SYSTEM_OPENSSL]));
    let (got, _) = doctor(
        &p,
        &[("AARCH64_UNKNOWN_LINUX_MUSL_OPENSSL_DIR", "/opt/ssl")],
    );
    assert_eq!(got, ["x86_64-gnu error crate openssl-sys"]);
}

#[test]
fn project_findings_lock_and_toolchain() {
    // no Cargo.lock: a warning; rust-toolchain.toml without the gnu triple: a warning
    let p = project("");
    fs::remove_file(p.path().join("Cargo.lock")).unwrap();
    p.write(
        "rust-toolchain.toml",
        "[toolchain]\nchannel = \"stable\"\ntargets = [\"aarch64-unknown-linux-musl\"]\n",
    );
    let (got, code) = doctor(&p, &[]);
    assert_eq!(
        got,
        [
            "project warning Cargo.lock",
            "project warning rust-toolchain.toml"
        ]
    );
    assert_eq!(code, 2);
    let err = p
        .cmd(&["doctor", "--build-std"])
        .env("RUSTC", "/usr/bin/rustc")
        .output()
        .unwrap()
        .stderr;
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("fix: crossflake target add x86_64-unknown-linux-gnu.2.17"),
        "{err}"
    );
}

#[test]
fn files_git_does_not_track_are_named() {
    let git = require_tool("git", "apt-get install git");
    let p = project(&lock(&[]));
    let run = |args: &[&str]| {
        let ok = std::process::Command::new(&git)
            .args(args)
            .current_dir(p.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    run(&["init", "-q"]);
    run(&["add", "Cargo.toml", "rust-toolchain.toml"]);
    let (got, code) = doctor(&p, &[]);
    assert_eq!(got, ["project error Cargo.lock", "project warning git"]);
    assert_eq!(code, 1);
    // --fast: what `crossflake build` checks before it starts, which git is not part of
    assert_eq!(doctor_with(&p, &["--fast"], &[]), (Vec::<String>::new(), 0));
    run(&["add", "Cargo.lock", "src"]);
    assert_eq!(doctor(&p, &[]), (Vec::<String>::new(), 0));
    // an ignored Cargo.lock is as unseen as an untracked one
    p.write(".gitignore", "Cargo.lock\n");
    run(&["add", ".gitignore"]);
    run(&["rm", "-q", "--cached", "Cargo.lock"]);
    assert_eq!(
        doctor(&p, &[]),
        (vec!["project error Cargo.lock".to_string()], 1)
    );
}

/// PATH with every program of the current PATH but `hidden`.
fn path_without(hidden: &str, dir: &Path) -> String {
    fs::create_dir_all(dir).unwrap();
    for d in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let to = dir.join(e.file_name());
            if e.file_name() != hidden && !to.exists() {
                let _ = std::os::unix::fs::symlink(e.path(), to);
            }
        }
    }
    dir.display().to_string()
}

#[test]
fn a_missing_build_tool_stops_the_build_before_it_starts() {
    let p = project(&lock(&[VENDORED, OPENSSL_SRC]));
    let bin = tempfile::tempdir().unwrap();
    let path = path_without("perl", bin.path());
    let (got, code) = doctor(&p, &[("PATH", &path)]);
    assert_eq!(got, ["project error tool perl"]);
    assert_eq!(code, 1);
    assert_eq!(
        doctor_with(&p, &["--fast"], &[("PATH", &path)]),
        (vec!["project error tool perl".to_string()], 1)
    );
    // build: named with its fix before anything is compiled or written
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&["build", "--build-std", "--target", "aarch64-musl"])
        .env("RUSTC", "/usr/bin/rustc")
        .env("PATH", &path)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        err.contains(
            "[tool perl] perl (OpenSSL's build runs Configure, a perl script) is not on PATH"
        ) && err.contains("fix: apt-get install perl"),
        "{err}"
    );
    assert!(!err.contains("Compiling"), "{err}");
    assert_eq!(before, p.snapshot_bytes());
}

#[test]
fn a_crate_that_cannot_link_statically_stops_the_build() {
    let p = project(&lock(&[SYSTEM_OPENSSL]));
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&["build", "--build-std", "--target", "aarch64-musl"])
        .env("RUSTC", "/usr/bin/rustc")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        err.contains(
            "cannot be built as it is (1 error(s); `crossflake doctor` reports all):\n  - \
             aarch64-musl (aarch64-unknown-linux-musl): [crate openssl-sys] openssl-sys without \
             its `vendored` feature"
        ) && err.contains("fix: enable the `vendored` feature of the openssl crate"),
        "{err}"
    );
    assert_eq!(before, p.snapshot_bytes());
}

/// A zig stand-in that reports clang `major` and a header search list, as
/// `zig cc --version` and `zig cc -E -v` do.
fn fake_zig(dir: &Path, major: u32) -> String {
    let path = dir.join("zig");
    fs::write(
        &path,
        format!(
            r#"#!/bin/sh
case "$1 $2" in
  "version "*) echo 0.17.1 ;;
  "cc --version") echo "clang version {major}.1.0 (zig)" ;;
  "cc -target")
    printf '%s\n' '#include "..." search starts here:' '#include <...> search starts here:' \
      " /zig/lib/include" " /zig/lib/libc/include/$3" 'End of search list.' >&2 ;;
esac
"#
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn libclang_must_be_as_new_as_zigs_clang_and_bindgen_gets_zigs_headers() {
    let p = project(&lock(&[("bindgen", &["clang-sys"]), ("clang-sys", &[])]));
    let tools = tempfile::tempdir().unwrap();
    let zig = fake_zig(tools.path(), 19);
    let libs = tools.path().join("lib");
    fs::create_dir(&libs).unwrap();
    fs::write(libs.join("libclang.so.18"), "").unwrap();
    let env = [
        ("CARGO_ZIGBUILD_ZIG_PATH", zig.as_str()),
        ("LIBCLANG_PATH", libs.to_str().unwrap()),
    ];
    let (got, code) = doctor(&p, &env);
    assert_eq!(got, ["project error tool libclang"]);
    assert_eq!(code, 1);
    let out = p
        .cmd(&["doctor", "--build-std"])
        .env("RUSTC", "/usr/bin/rustc")
        .envs(env)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "libclang 18 (in {}) is older than zig's clang 19",
            libs.display()
        )) && err.contains("apt-get install libclang-19-dev"),
        "{err}"
    );

    // a libclang 19 beside it: chosen, and bindgen pointed at zig's headers for the target
    fs::write(libs.join("libclang-19.so.1"), "").unwrap();
    assert_eq!(doctor(&p, &env), (Vec::<String>::new(), 0));
    let out = p
        .cmd(&["env", "--target", "aarch64-musl", "--json"])
        .envs(env)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let var = |name: &str| {
        json["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["value"].as_str().unwrap().to_string())
    };
    assert_eq!(var("LIBCLANG_PATH").as_deref(), libs.to_str());
    assert_eq!(
        var("BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_musl").as_deref(),
        Some(
            "-nostdlibinc -isystem /zig/lib/include -isystem /zig/lib/libc/include/aarch64-linux-musl"
        )
    );
    // without bindgen in the lock, neither
    p.write("Cargo.lock", &lock(&[]));
    let out = p
        .cmd(&["env", "--target", "aarch64-musl", "--json"])
        .envs(env)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("LIBCLANG_PATH") && !text.contains("BINDGEN"),
        "{text}"
    );
}

/// cargo-zigbuild 0.24.1 runs `python3 -m ziglang` before `zig` when a Python has PyPI's
/// ziglang: `crossflake env --shell` (and every build, through the same
/// `ToolPaths::machine_env`) pins it to the zig crossflake found, by absolute path, with its
/// arguments; a target without zig gets neither variable.
#[test]
fn env_shell_pins_the_zig_cargo_zigbuild_runs() {
    let p = project(&lock(&[]));
    let tools = tempfile::tempdir().unwrap();
    let zig = fake_zig(tools.path(), 19);
    let shell = |target: &str, env: &[(&str, &str)]| {
        let out = p
            .cmd(&["env", "--target", target, "--shell"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let got = shell("aarch64-musl", &[("CARGO_ZIGBUILD_ZIG_PATH", zig.as_str())]);
    assert!(
        got.contains(&format!("export CARGO_ZIGBUILD_ZIG_COMMAND='{zig}'\n"))
            && got.contains("export CARGO_ZIGBUILD_ZIG_COMMAND_ARGS=''\n"),
        "{got}"
    );
    // a zig given as a command line (program and arguments) keeps its arguments
    let got = shell(
        "aarch64-musl",
        &[
            ("CARGO_ZIGBUILD_ZIG_COMMAND", zig.as_str()),
            ("CARGO_ZIGBUILD_ZIG_COMMAND_ARGS", "--from-test x"),
        ],
    );
    assert!(
        got.contains(&format!("export CARGO_ZIGBUILD_ZIG_COMMAND='{zig}'\n"))
            && got.contains("export CARGO_ZIGBUILD_ZIG_COMMAND_ARGS='--from-test x'\n"),
        "{got}"
    );
    let native = shell(
        "x86_64-darwin",
        &[("CARGO_ZIGBUILD_ZIG_PATH", zig.as_str())],
    );
    assert!(!native.contains("CARGO_ZIGBUILD_ZIG_COMMAND"), "{native}");
}

/// Cargo.lock lists the crates of every feature of the workspace's packages (rsspls has
/// native-tls behind a feature, rustls by default): a rule that would stop the build is checked
/// against the crates cargo builds for the target (`cargo metadata --filter-platform`), so a
/// crate that only an unused feature pulls in stops nothing, and the same crate with the
/// feature turned on in Cargo.toml does. (Local path crates: no registry is needed.)
#[test]
fn a_crate_only_an_unused_feature_pulls_in_stops_nothing() {
    let p = TempProject::with(&[
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ntls = { path = \"tls\" }\n\n\
             [features]\nnative = [\"tls/native\"]\n\n\
             [package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-musl\"]\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        (
            "tls/Cargo.toml",
            "[package]\nname = \"tls\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nnative-tls = { path = \"../native-tls\", optional = true }\n\n\
             [features]\nnative = [\"dep:native-tls\"]\n",
        ),
        ("tls/src/lib.rs", ""),
        (
            "native-tls/Cargo.toml",
            "[package]\nname = \"native-tls\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
        ),
        ("native-tls/src/lib.rs", ""),
    ]);
    let lock = |p: &TempProject| {
        let ok = std::process::Command::new("cargo")
            .args(["generate-lockfile", "--offline"])
            .current_dir(p.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "cargo generate-lockfile");
        assert!(p.read("Cargo.lock").contains("name = \"native-tls\""));
    };
    lock(&p);
    assert_eq!(doctor(&p, &[]), (Vec::<String>::new(), 0));
    // what `crossflake build` checks before it starts: Cargo.lock's error, then cargo's answer
    assert_eq!(doctor_with(&p, &["--fast"], &[]), (Vec::<String>::new(), 0));
    let manifest = p.read("Cargo.toml").replace(
        "path = \"tls\" }",
        "path = \"tls\", features = [\"native\"] }",
    );
    p.write("Cargo.toml", &manifest);
    lock(&p);
    let on = (vec!["aarch64-musl error crate native-tls".to_string()], 1);
    assert_eq!(doctor(&p, &[]), on);
    assert_eq!(doctor_with(&p, &["--fast"], &[]), on);
    // the feature off again, but turned on by the build's own arguments: Cargo.lock's answer
    // stands, and the build stops before it starts, writing nothing
    let manifest = p.read("Cargo.toml").replace(
        "path = \"tls\", features = [\"native\"] }",
        "path = \"tls\" }",
    );
    p.write("Cargo.toml", &manifest);
    assert_eq!(doctor(&p, &[]), (Vec::<String>::new(), 0));
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&[
            "build",
            "--build-std",
            "--target",
            "aarch64-musl",
            "--",
            "--features",
            "native",
        ])
        .env("RUSTC", "/usr/bin/rustc")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("cannot be built as it is") && err.contains("[crate native-tls]"),
        "{err}"
    );
    assert_eq!(p.snapshot_bytes(), before);
    // when cargo metadata cannot answer (a Cargo.lock that needs updating), Cargo.lock's stands
    p.write(
        "Cargo.toml",
        &p.read("Cargo.toml").replace(
            "[features]\n",
            "[dev-dependencies]\nextra = { path = \"extra\" }\n\n[features]\n",
        ),
    );
    p.write(
        "extra/Cargo.toml",
        "[package]\nname = \"extra\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    p.write("extra/src/lib.rs", "");
    assert_eq!(doctor(&p, &[]), on);
}

/// A `--builders` value doctor cannot read stops it before any check runs: exit status 1, the
/// value, the machine and the fix named, no report.
#[test]
fn a_builders_value_that_nix_could_not_read_is_refused_with_the_fix() {
    let p = project(&lock(&[]));
    let cases = [
        (
            "build1.example x86_64-linux - 2 fast",
            "--builders: ssh://build1.example: its speed factor `fast` is not a positive number; a machine is `URI [SYSTEMS [SSH-KEY",
        ),
        (
            "ssh-ng://b@build1 x86_64-linux - lots",
            "--builders: ssh-ng://b@build1: its number of jobs `lots` is not a whole number; a machine is `URI [SYSTEMS [SSH-KEY",
        ),
        (
            "ssh-ng://b@build1 x86_64-linux /no/such/key",
            "--builders: ssh-ng://b@build1: its ssh key /no/such/key does not exist; name a private key file in the machine's third field",
        ),
        (
            "@/no/such/machines",
            "--builders: cannot read the machines file /no/such/machines",
        ),
    ];
    for (spec, want) in cases {
        let out = p
            .cmd(&["doctor", "--json", "--builders", spec])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{spec}: {stderr}");
        assert!(stderr.contains(want), "{spec}: {stderr}");
        assert!(out.stdout.is_empty(), "{spec}: a report was printed");
    }
}
