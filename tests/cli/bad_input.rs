//! Bad input: each case checks the message and that every file is byte-for-byte unchanged.

use crate::support::{ReadOnly, TempProject, refuses};

const PACKAGE: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

#[test]
fn no_cargo_toml() {
    let p = TempProject::with(&[("README", "x")]);
    refuses(&p, &["init"], "no Cargo.toml at");
    refuses(
        &p,
        &["init", "--manifest-path", "sub/Cargo.toml"],
        "sub/Cargo.toml",
    );
}

#[test]
fn cargo_toml_that_is_not_toml() {
    let p = TempProject::with(&[("Cargo.toml", "[package]\nname = \"p\nversion = 1\n")]);
    refuses(&p, &["init"], "line 2, column 10");
    refuses(&p, &["init"], "is not valid TOML");
}

#[test]
fn empty_cargo_toml() {
    let p = TempProject::with(&[("Cargo.toml", "")]);
    refuses(
        &p,
        &["init"],
        "has neither a [package] nor a [workspace] table",
    );
}

#[test]
fn unknown_target() {
    let p = TempProject::with(&[("Cargo.toml", PACKAGE)]);
    refuses(
        &p,
        &["init", "--target", "aarch64-musl", "--target", "arm64-musl"],
        "unknown target `arm64-musl`",
    );
    refuses(
        &p,
        &["init", "--target", "x86_64-windws"],
        "did you mean `x86_64-windows`?",
    );
    refuses(
        &p,
        &["init", "--target", "x86_64-windws"],
        "valid targets: aarch64-darwin, aarch64-gnu, aarch64-musl, armv7-musl",
    );
}

#[test]
fn glibc_suffix_on_a_non_gnu_target_or_too_old() {
    let p = TempProject::with(&[("Cargo.toml", PACKAGE)]);
    refuses(
        &p,
        &["init", "--target", "x86_64-unknown-linux-musl.2.17"],
        "applies only to glibc targets",
    );
    refuses(
        &p,
        &["init", "--target", "aarch64-unknown-linux-gnu.2.12"],
        "below the oldest floor",
    );
}

#[test]
fn foreign_flake_without_force() {
    let p = TempProject::with(&[
        ("Cargo.toml", PACKAGE),
        ("flake.nix", "{ outputs = _: { }; }\n"),
    ]);
    refuses(&p, &["init"], "was not written by crossflake");
    refuses(&p, &["init"], "--force");
}

#[test]
fn read_only_directory() {
    let p = TempProject::with(&[("Cargo.toml", PACKAGE)]);
    let before = p.snapshot_bytes();
    let guard = ReadOnly::new(p.path());
    let out = p
        .cmd(&["init"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    drop(guard);
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("failed to write") && err.contains(&p.path().display().to_string()),
        "{err}"
    );
    assert_eq!(before, p.snapshot_bytes());
}

#[test]
fn path_toolchain() {
    let p = TempProject::with(&[
        ("Cargo.toml", PACKAGE),
        ("rust-toolchain.toml", "[toolchain]\npath = \"/opt/rust\"\n"),
    ]);
    refuses(&p, &["init"], "toolchain.path pins a local toolchain");
}

#[test]
fn manifest_path_at_a_workspace_member() {
    let p = TempProject::with(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
        ("a/Cargo.toml", PACKAGE),
    ]);
    refuses(
        &p,
        &["init", "--manifest-path", "a/Cargo.toml"],
        "is a member of the workspace at",
    );
    refuses(
        &p,
        &[
            "target",
            "add",
            "x86_64-gnu",
            "--manifest-path",
            "a/Cargo.toml",
        ],
        "is a member of the workspace at",
    );
}

#[test]
fn unknown_schema_version() {
    let p = TempProject::with(&[(
        "Cargo.toml",
        &format!(
            "{PACKAGE}\n[package.metadata.crossflake]\nschema = 7\ntargets = [\"aarch64-musl\"]\n"
        ),
    )]);
    refuses(
        &p,
        &["init"],
        "package.metadata.crossflake.schema: schema 7 is not one this crossflake reads",
    );
    refuses(&p, &["target", "add", "x86_64-musl"], "schema 7");
}

#[test]
fn target_commands_need_init_and_known_targets() {
    let p = TempProject::with(&[("Cargo.toml", PACKAGE)]);
    refuses(
        &p,
        &["target", "add", "x86_64-musl"],
        "run `crossflake init` first",
    );
    let q = TempProject::with(&[(
        "Cargo.toml",
        &format!(
            "{PACKAGE}\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-musl\"]\n"
        ),
    )]);
    refuses(
        &q,
        &["target", "remove", "x86_64-musl"],
        "is not among the project's targets (aarch64-musl)",
    );
}

#[test]
fn new_into_a_non_empty_directory() {
    let p = TempProject::with(&[("taken/file", "x")]);
    refuses(&p, &["new", "taken"], "already exists and is not empty");
    refuses(
        &p,
        &["new", "fresh", "--name", "1bad"],
        "is not a valid package name",
    );
}

#[test]
fn missing_tools_are_named_with_the_fix_before_anything_starts() {
    let p = TempProject::with(&[(
        "Cargo.toml",
        &format!(
            "{PACKAGE}\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-musl\"]\n"
        ),
    )]);
    let empty = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = p
            .cmd(args)
            .env("PATH", empty.path())
            .env("RUSTC", "/nonexistent/rustc")
            .env_remove("CARGO_ZIGBUILD_ZIG_PATH")
            .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND")
            .env("CARGO_ZIGBUILD_PYTHON_PATH", "/nonexistent/python3")
            .assert()
            .failure()
            .get_output()
            .stderr
            .clone();
        String::from_utf8(out).unwrap()
    };
    let err = run(&["build"]);
    let (pinned, zig_min) = pins();
    for missing in [
        "building needs tools this machine lacks".to_string(),
        "- cargo: install Rust with rustup".into(),
        format!("- cargo-zigbuild {pinned}: pip install cargo-zigbuild=={pinned}"),
        format!("- zig {zig_min} or newer: pip install ziglang"),
        "- rust-std for aarch64-unknown-linux-musl: rustup target add aarch64-unknown-linux-musl, or pass --build-std".into(),
    ] {
        assert!(err.contains(&missing), "expected `{missing}` in:\n{err}");
    }
    let err = run(&["build", "--build-std"]);
    assert!(
        err.contains("- rust-src (std's source, for --build-std): rustup component add rust-src"),
        "{err}"
    );
    let err = run(&["test", "--target", "aarch64-musl"]);
    assert!(
        err.contains("testing needs tools")
            && err
                .contains("qemu-aarch64 (the qemu-user runner): apt-get install qemu-user-static"),
        "{err}"
    );
    // (that nothing is built when a check fails, with cargo there to build it, is
    // a_cargo_zigbuild_other_than_the_pinned_one_or_an_old_zig_is_refused_naming_both_versions)
    // a target this host cannot build is refused naming the hosts that can
    let err = run(&["build", "--target", "aarch64-darwin"]);
    assert!(
        err.contains("aarch64-darwin (aarch64-apple-darwin) cannot be built on")
            && err.contains("it builds on x86_64-darwin, aarch64-darwin"),
        "{err}"
    );
}

/// targets.toml's cargo-zigbuild version and zig minimum.
fn pins() -> (String, String) {
    let doc: toml_edit::DocumentMut =
        std::fs::read_to_string(crate::support::repo().join("targets.toml"))
            .unwrap()
            .parse()
            .unwrap();
    (
        doc["cargo-zigbuild"]["version"]
            .as_str()
            .unwrap()
            .to_string(),
        doc["zig"]["min-version"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_cargo_zigbuild_other_than_the_pinned_one_or_an_old_zig_is_refused_naming_both_versions() {
    let p = TempProject::with(&[(
        "Cargo.toml",
        &format!(
            "{PACKAGE}\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-gnu\"]\n"
        ),
    )]);
    p.write("src/main.rs", "fn main() {}\n");
    // stand-ins that answer --version and `version` the way the real tools do; cargo would
    // build if it got the chance
    let bin = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        let path = bin.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    };
    script("cargo-zigbuild", "echo cargo-zigbuild 0.22.3");
    script("zig", "echo 0.13.0");
    let path = std::env::join_paths(
        std::iter::once(bin.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let (pinned, zig_min) = pins();
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&["build"])
        .env("PATH", path)
        .env_remove("CARGO_ZIGBUILD_ZIG_PATH")
        .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND")
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains(&format!(
            "- cargo-zigbuild {pinned} (found 0.22.3 at {}): pip install cargo-zigbuild=={pinned}",
            bin.path().join("cargo-zigbuild").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "- zig {zig_min} or newer (found 0.13.0 from `{}`)",
            bin.path().join("zig").display()
        )),
        "{err}"
    );
    // refused before cargo ran: no target directory, no lock file, nothing changed
    assert_eq!(before, p.snapshot_bytes());
}

/// A project whose targets none builds here: `build`, `test` and `dist` stop before anything
/// starts, naming each target and the hosts that build it (darwin targets build only on darwin
/// hosts, so this case is for linux hosts, where CI runs).
#[test]
fn building_only_targets_of_other_hosts_is_refused_with_the_reason() {
    let host = crate::support::host_system();
    assert!(
        host.ends_with("-linux"),
        "this case needs a linux host, where darwin targets do not build (host: {host})"
    );
    let p = TempProject::with(&[(
        "Cargo.toml",
        &format!(
            "{PACKAGE}\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-darwin\", \"x86_64-darwin\"]\n"
        ),
    )]);
    let want = format!(
        "error: none of the targets of {} builds on {host} (aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin; x86_64-darwin (x86_64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin); pass --target",
        p.path().join("Cargo.toml").display()
    );
    for verb in ["build", "test", "dist"] {
        refuses(&p, &[verb], &want);
    }
}
