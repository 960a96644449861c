//! `crossflake toolchain lock` with a real channel manifest (tests/fixtures/toolchain, cut
//! from rustup's 1.95.0 manifest): what the lock holds, bad input (nothing written), the
//! download path against a local HTTP server, `--check`, and init/target keeping it in step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::support::{TempProject, refuses, serve};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toolchain")
        .join(name)
}

pub(crate) fn manifest_text() -> String {
    std::fs::read_to_string(fixture("channel-rust-1.95.0.toml")).unwrap()
}

pub(crate) const CARGO_TOML: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\n\n[package.metadata.crossflake]\nschema = 1\n\
    targets = [\"aarch64-musl\", \"x86_64-musl\", \"wasm32-wasip1\"]\n";

pub(crate) fn project(toolchain: &str) -> TempProject {
    let p = TempProject::with(&[
        ("Cargo.toml", CARGO_TOML),
        ("rust-toolchain.toml", toolchain),
    ]);
    std::fs::copy(
        fixture("channel-rust-1.95.0.toml"),
        p.path().join("manifest.toml"),
    )
    .unwrap();
    p
}

pub(crate) fn standard() -> TempProject {
    project(&std::fs::read_to_string(fixture("rust-toolchain.toml")).unwrap())
}

fn lock_with_manifest(p: &TempProject) -> assert_cmd::assert::Assert {
    p.cmd(&["toolchain", "lock", "--channel-manifest", "manifest.toml"])
        .assert()
}

/// (package, target) -> (url, hash).
type Entries = BTreeMap<(String, String), (String, String)>;

/// The entries of a manifest or lock.
fn entries(text: &str) -> Entries {
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let mut out = BTreeMap::new();
    for (pkg, p) in doc["pkg"].as_table().unwrap() {
        for (t, e) in p["target"].as_table().unwrap() {
            if e["available"].as_bool() == Some(true) {
                out.insert(
                    (pkg.to_string(), t.to_string()),
                    (
                        e["url"].as_str().unwrap().to_string(),
                        e["hash"].as_str().unwrap().to_string(),
                    ),
                );
            }
        }
    }
    out
}

/// `toolchain lock --check` on a stale lock: it fails; returns its stdout (the diff) and stderr.
fn check_fails(p: &TempProject) -> (String, String) {
    let out = p
        .cmd(&["toolchain", "lock", "--check"])
        .assert()
        .failure()
        .get_output()
        .clone();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Locks `p` from the fixture manifest; returns the lock and its entries, each checked to
/// be the manifest's own url and hash.
fn lock_and_read(p: &TempProject) -> (String, Entries) {
    lock_with_manifest(p).success();
    let lock = p.read("rust-toolchain.lock.toml");
    let full = entries(&manifest_text());
    let kept = entries(&lock);
    for (key, v) in &kept {
        assert_eq!(full.get(key), Some(v), "{key:?}");
    }
    (lock, kept)
}

#[test]
fn the_lock_is_the_manifest_pruned() {
    let p = standard();
    let (lock, kept) = lock_and_read(&p);
    let hosts = [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ];
    let mut want: Vec<(String, String)> = Vec::new();
    // clippy and rustfmt resolve to their -preview packages through the manifest's renames
    for pkg in [
        "cargo",
        "rustc",
        "clippy-preview",
        "rustfmt-preview",
        "rust-analyzer-preview",
        "rust-std",
    ] {
        for h in hosts {
            want.push((pkg.into(), h.into()));
        }
    }
    want.push(("rust-src".into(), "*".into()));
    for t in [
        "aarch64-unknown-linux-musl",
        "x86_64-unknown-linux-musl",
        "wasm32-wasip1",
    ] {
        want.push(("rust-std".into(), t.into()));
    }
    want.sort();
    assert_eq!(kept.keys().cloned().collect::<Vec<_>>(), want);
    // fenix reads these as they are
    let doc: toml_edit::DocumentMut = lock.parse().unwrap();
    assert_eq!(doc["date"].as_str(), Some("2026-04-16"));
    assert_eq!(
        doc["renames"]["rustfmt"]["to"].as_str(),
        Some("rustfmt-preview")
    );
    assert!(doc["profiles"]["minimal"].as_array().is_some());
    assert_eq!(
        doc["crossflake"]["source"].as_str(),
        Some("https://static.rust-lang.org/dist/channel-rust-1.95.0.toml")
    );
    // a second run writes nothing, and the committed fixture lock is what the CLI makes now
    let before = p.snapshot_bytes();
    lock_with_manifest(&p)
        .success()
        .stderr(predicates::str::contains("nothing to change"));
    assert_eq!(before, p.snapshot_bytes());
    assert_eq!(
        lock,
        std::fs::read_to_string(fixture("rust-toolchain.lock.toml")).unwrap()
    );
    p.cmd(&["toolchain", "lock", "--check"]).assert().success();
}

/// A [`project`] with manifest.toml: the fixture manifest with `unavailable` marked
/// unavailable (package, triple).
fn project_without(toolchain: &str, unavailable: &[(&str, &str)]) -> TempProject {
    let mut doc: toml_edit::DocumentMut = manifest_text().parse().unwrap();
    for (pkg, triple) in unavailable {
        doc["pkg"][pkg]["target"][triple]["available"] = toml_edit::value(false);
    }
    let p = project(toolchain);
    std::fs::write(p.path().join("manifest.toml"), doc.to_string()).unwrap();
    p
}

/// The standard project, its manifest with `unavailable` marked unavailable.
fn standard_without(unavailable: &[(&str, &str)]) -> TempProject {
    project_without(
        &std::fs::read_to_string(fixture("rust-toolchain.toml")).unwrap(),
        unavailable,
    )
}

#[test]
fn a_host_the_channel_built_no_toolchain_for_is_left_out_and_said() {
    // as for a channel older than a host: no rustc on one darwin host, no cargo on the other
    let p = standard_without(&[
        ("rustc", "x86_64-apple-darwin"),
        ("cargo", "aarch64-apple-darwin"),
    ]);
    lock_with_manifest(&p).success().stderr(predicates::str::contains(
        "note: the 1.95.0 channel (2026-04-16) has no rustc or no cargo for hosts \
         x86_64-apple-darwin, aarch64-apple-darwin: rust-toolchain.lock.toml leaves them out, so the \
         flake cannot build this project on them",
    ));
    let lock = p.read("rust-toolchain.lock.toml");
    let doc: toml_edit::DocumentMut = lock.parse().unwrap();
    let hosts: Vec<_> = doc["crossflake"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    let darwin: Vec<_> = entries(&lock)
        .into_keys()
        .filter(|(_, t)| t.ends_with("-apple-darwin"))
        .collect();
    assert_eq!(darwin, Vec::<(String, String)>::new());
    assert!(entries(&lock).contains_key(&("cargo".into(), "aarch64-unknown-linux-gnu".into())));
    // one host left out
    let p = standard_without(&[("cargo", "x86_64-apple-darwin")]);
    lock_with_manifest(&p).success().stderr(predicates::str::contains(
        "has no rustc or no cargo for host x86_64-apple-darwin: rust-toolchain.lock.toml leaves it \
         out, so the flake cannot build this project on it (evaluation there stops, saying so); to \
         build there, choose a channel in rust-toolchain.toml that has it\n",
    ));
    // darwin targets build only on the darwin hosts: with both left out, the note names them;
    // with one, the other still builds them
    let darwin_targets = "[toolchain]\nchannel = \"1.95.0\"\ntargets = [\"x86_64-unknown-linux-musl\", \
                          \"aarch64-apple-darwin\", \"x86_64-apple-darwin\"]\n";
    let p = project_without(
        darwin_targets,
        &[
            ("rustc", "x86_64-apple-darwin"),
            ("rustc", "aarch64-apple-darwin"),
        ],
    );
    lock_with_manifest(&p).success().stderr(predicates::str::contains(
        "that has them. No host can build targets aarch64-apple-darwin, x86_64-apple-darwin with \
         this lock: they build only on the hosts it leaves out\n",
    ));
    let p = project_without(
        "[toolchain]\nchannel = \"1.95.0\"\ntargets = [\"aarch64-apple-darwin\"]\n",
        &[
            ("rustc", "x86_64-apple-darwin"),
            ("cargo", "aarch64-apple-darwin"),
        ],
    );
    lock_with_manifest(&p).success().stderr(predicates::str::contains(
        "No host can build target aarch64-apple-darwin with this lock: it builds only on the hosts \
         it leaves out\n",
    ));
    let p = project_without(darwin_targets, &[("rustc", "x86_64-apple-darwin")]);
    lock_with_manifest(&p).success().stderr(
        predicates::str::contains("leaves it out")
            .and(predicates::str::contains("No host can build").not()),
    );

    // a channel with no toolchain for any of the four hosts is refused, nothing written
    let p = standard_without(&[
        ("rustc", "x86_64-unknown-linux-gnu"),
        ("rustc", "aarch64-unknown-linux-gnu"),
        ("rustc", "x86_64-apple-darwin"),
        ("cargo", "aarch64-apple-darwin"),
    ]);
    refuses(
        &p,
        &["toolchain", "lock", "--channel-manifest", "manifest.toml"],
        "the 1.95.0 channel (2026-04-16) has rustc and cargo for none of the hosts crossflake builds on \
         (x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-apple-darwin, aarch64-apple-darwin); \
         choose another channel in rust-toolchain.toml",
    );
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let lock = ["toolchain", "lock", "--channel-manifest", "manifest.toml"];
    let with = |components: &str, targets: &str| {
        project(&format!(
            "[toolchain]\nchannel = \"1.95.0\"\ncomponents = [{components}]\ntargets = [{targets}]\n"
        ))
    };
    refuses(
        &with("\"rustfmtt\"", ""),
        &lock,
        "unknown component `rustfmtt`",
    );
    // published for linux only
    refuses(
        &with("\"reproducible-artifacts\"", ""),
        &lock,
        "component `reproducible-artifacts` (reproducible-artifacts) is not available for host x86_64-apple-darwin",
    );
    refuses(
        &with("\"clippy\"", "\"x86_64-unknown-haiku\""),
        &lock,
        "target x86_64-unknown-haiku has no rust-std",
    );

    let p = standard();
    std::fs::write(
        p.path().join("manifest.toml.sha256"),
        format!("{}  channel-rust-1.95.0.toml\n", "0".repeat(64)),
    )
    .unwrap();
    refuses(&p, &lock, "does not match its published checksum");
    let p = standard();
    let text = manifest_text();
    std::fs::write(p.path().join("manifest.toml"), &text[..text.len() / 2]).unwrap();
    refuses(
        &p,
        &lock,
        "failed to parse the channel manifest manifest.toml",
    );
    std::fs::write(p.path().join("manifest.toml"), "manifest-version = \"2\"\n").unwrap();
    refuses(
        &p,
        &lock,
        "is not a rustup channel manifest: it has no `date` (truncated?)",
    );
    std::fs::write(p.path().join("manifest.toml"), "<html>not found</html>\n").unwrap();
    refuses(&p, &lock, "it is not valid TOML");
    let p = project("[toolchain]\nchannel = \"my-custom\"\n");
    refuses(
        &p,
        &["toolchain", "lock"],
        "rust-toolchain.toml: toolchain.channel: `my-custom` is not a Rust channel crossflake can pin; use stable, beta or nightly",
    );
}

#[test]
fn a_profile_adds_its_components_where_the_channel_has_them() {
    let p = project(
        "[toolchain]\nchannel = \"1.95.0\"\nprofile = \"default\"\ncomponents = [\"rust-src\"]\n\
         targets = [\"aarch64-unknown-linux-musl\"]\n",
    );
    let (lock, kept) = lock_and_read(&p);
    let pkgs: std::collections::BTreeSet<&str> = kept.keys().map(|(p, _)| p.as_str()).collect();
    // the default profile: rustc, cargo, rust-std, rust-mingw, rust-docs, rustfmt, clippy;
    // rust-mingw is built for windows hosts only, so no host here gets it
    for pkg in ["rust-docs", "rustfmt-preview", "clippy-preview"] {
        for h in ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"] {
            assert!(
                kept.contains_key(&(pkg.to_string(), h.to_string())),
                "{pkg} {h}"
            );
        }
    }
    assert!(!pkgs.contains("rust-mingw"), "{pkgs:?}");
    let doc: toml_edit::DocumentMut = lock.parse().unwrap();
    assert_eq!(doc["crossflake"]["profile"].as_str(), Some("default"));
    p.cmd(&["toolchain", "lock", "--check"]).assert().success();

    // another profile makes it stale, and --check shows the change
    std::fs::write(
        p.path().join("rust-toolchain.toml"),
        p.read("rust-toolchain.toml")
            .replace("\"default\"", "\"minimal\""),
    )
    .unwrap();
    let (diff, _) = check_fails(&p);
    assert!(
        diff.contains("-profile = \"default\"") && diff.contains("+profile = \"minimal\""),
        "{diff}"
    );
    lock_with_manifest(&p).success();
    let after = entries(&p.read("rust-toolchain.lock.toml"));
    assert!(after.keys().all(|(pkg, _)| pkg != "rust-docs"), "{after:?}");
    assert!(after.contains_key(&("cargo".to_string(), "x86_64-apple-darwin".to_string())));

    let p = project("[toolchain]\nchannel = \"1.95.0\"\nprofile = \"fat\"\n");
    refuses(
        &p,
        &["toolchain", "lock", "--channel-manifest", "manifest.toml"],
        "rust-toolchain.toml: toolchain.profile `fat` is not a profile of the 1.95.0 channel (2026-04-16); it has complete, default, minimal",
    );
}

#[test]
fn downloads_from_the_dist_server_and_checks_the_checksum() {
    let text = manifest_text();
    let sums = std::fs::read_to_string(fixture("channel-rust-1.95.0.toml.sha256")).unwrap();
    let server = serve(BTreeMap::from([
        (
            "/dist/channel-rust-1.95.0.toml".to_string(),
            text.clone().into_bytes(),
        ),
        (
            "/dist/channel-rust-1.95.0.toml.sha256".to_string(),
            sums.into_bytes(),
        ),
        (
            "/dist/channel-rust-beta.toml".to_string(),
            text.into_bytes(),
        ),
        (
            "/dist/channel-rust-beta.toml.sha256".to_string(),
            format!("{}  x\n", "f".repeat(64)).into_bytes(),
        ),
    ]));
    let p = standard();
    p.cmd(&["toolchain", "lock"])
        .env("RUSTUP_DIST_SERVER", &server)
        .assert()
        .success();
    assert_eq!(
        p.read("rust-toolchain.lock.toml"),
        std::fs::read_to_string(fixture("rust-toolchain.lock.toml")).unwrap()
    );

    let beta = project("[toolchain]\nchannel = \"beta\"\ncomponents = [\"clippy\"]\n");
    let before = beta.snapshot_bytes();
    beta.cmd(&["toolchain", "lock"])
        .env("RUSTUP_DIST_SERVER", &server)
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "does not match its published checksum",
        ));
    assert_eq!(before, beta.snapshot_bytes());
    let nightly = project("[toolchain]\nchannel = \"nightly-2026-01-02\"\n");
    nightly
        .cmd(&["toolchain", "lock"])
        .env("RUSTUP_DIST_SERVER", &server)
        .assert()
        .failure()
        .stderr(predicates::str::contains(format!(
            "the channel server has no Rust nightly-2026-01-02: {server}/dist/2026-01-02/channel-rust-nightly.toml answered 404 Not Found"
        )));
    // a version the server does not have: the version and the URL asked, nothing written
    let missing = project("[toolchain]\nchannel = \"1.999.0\"\n");
    refuses_with(
        &missing,
        &["toolchain", "lock"],
        &[("RUSTUP_DIST_SERVER", server.as_str())],
        &format!(
            "error: the channel server has no Rust 1.999.0: {server}/dist/channel-rust-1.999.0.toml answered 404 Not Found"
        ),
    );
}

#[test]
fn channels_that_are_not_rustups_are_refused_where_they_are_written() {
    let p = TempProject::with(&[(
        "Cargo.toml",
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\n",
    )]);
    for bad in [
        "banana",
        "stable-x86_64-unknown-linux-gnu",
        "nightly-2026-02-30x",
    ] {
        crate::support::refuses(
            &p,
            &["init", "--toolchain", bad],
            &format!("error: --toolchain: `{bad}` is not a Rust channel crossflake can pin"),
        );
    }
    let banana = project("[toolchain]\nchannel = \"banana\"\n");
    crate::support::refuses(
        &banana,
        &["toolchain", "lock"],
        "rust-toolchain.toml: toolchain.channel: `banana` is not a Rust channel crossflake can pin; use stable, beta or nightly",
    );
}

/// Runs `crossflake ARGS` in `p` with `env`, expects failure with `message` on stderr, and
/// checks that no file under `p` changed.
fn refuses_with(p: &TempProject, args: &[&str], env: &[(&str, &str)], message: &str) {
    let before = p.snapshot_bytes();
    let out = p.cmd(args).envs(env.iter().copied()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains(message),
        "expected `{message}` in:\n{err}"
    );
    assert_eq!(
        before,
        p.snapshot_bytes(),
        "`crossflake {}` changed files",
        args.join(" ")
    );
}

#[test]
fn check_init_and_target_keep_the_lock_in_step() {
    let p = standard();
    lock_with_manifest(&p).success();
    // removing a target: the lock is pruned from itself, offline
    p.cmd(&["target", "remove", "wasm32-wasip1"])
        .assert()
        .success();
    assert!(!p.read("rust-toolchain.lock.toml").contains("wasm32-wasip1"));
    p.cmd(&["toolchain", "lock", "--check"]).assert().success();
    // adding one needs the manifest: with no server, a note names the command and --check fails with a diff
    let dead = serve(BTreeMap::new());
    p.cmd(&["target", "add", "armv7-musl"])
        .env("RUSTUP_DIST_SERVER", &dead)
        .assert()
        .success()
        .stderr(predicates::str::contains("run `crossflake toolchain lock`"));
    let (diff, err) = check_fails(&p);
    assert!(diff.contains(
        "+targets = [\"aarch64-unknown-linux-musl\", \"armv7-unknown-linux-musleabihf\""
    ));
    assert!(err.contains("no longer matches rust-toolchain.toml"));
    // with the manifest at hand, init brings it back in step
    let server = serve(BTreeMap::from([
        (
            "/dist/channel-rust-1.95.0.toml".to_string(),
            manifest_text().into_bytes(),
        ),
        (
            "/dist/channel-rust-1.95.0.toml.sha256".to_string(),
            std::fs::read(fixture("channel-rust-1.95.0.toml.sha256")).unwrap(),
        ),
    ]));
    p.cmd(&["init"])
        .env("RUSTUP_DIST_SERVER", &server)
        .assert()
        .success();
    p.cmd(&["toolchain", "lock", "--check"]).assert().success();
    assert!(
        p.read("rust-toolchain.lock.toml")
            .contains("rust-std-1.95.0-armv7-unknown-linux-musleabihf.tar.gz")
    );
}
