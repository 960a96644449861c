//! `crossflake dist` on a copy of tests/fixtures/cross-hello with a README, a licence and two
//! path dependencies (one with a licence file, one without), in a git repository: real cross
//! builds for aarch64-musl, x86_64-gnu with a 2.17 floor and x86_64-windows in one cargo run,
//! judged by independent tools (sha256sum, GNU tar, Python's zipfile, rust-audit-info,
//! cyclonedx-python-lib's schema validator) and run from the archive. A third path crate is a
//! windows-only dependency, so the windows SBOM and audit data must list it and the others not.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::Digest;

use crate::e2e::{crossflake_at, crossflake_at_with, ok};
use crate::support::{copy_dir, repo, require_tool, run_ok};

/// 2024-01-02T03:04:05Z, the fixture commit's date.
const COMMIT_EPOCH: u64 = 1_704_164_645;

/// The fixture copy, committed at [`COMMIT_EPOCH`], its Cargo.lock knowing the path crates.
pub(crate) fn project(dir: &Path) {
    copy_dir(&repo().join("tests/fixtures/cross-hello"), dir);
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let manifest = manifest.replace(
        "[build-dependencies]",
        "[dependencies]\ngreeting = { path = \"vendor/greeting\" }\nunlicensed = { path = \"vendor/unlicensed\" }\n\n[target.'cfg(windows)'.dependencies]\nwinonly = { path = \"vendor/winonly\" }\n\n[build-dependencies]",
    );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("README.md"), "# cross-hello\n").unwrap();
    fs::write(dir.join("LICENSE"), "cross-hello licence\n").unwrap();
    for (name, licence) in [
        ("greeting", Some("greeting licence\n")),
        ("unlicensed", None),
        ("winonly", Some("winonly licence\n")),
    ] {
        let d = dir.join("vendor").join(name);
        fs::create_dir_all(d.join("src")).unwrap();
        fs::write(
            d.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n"
            ),
        )
        .unwrap();
        fs::write(d.join("src/lib.rs"), "").unwrap();
        if let Some(text) = licence {
            fs::write(d.join("LICENSE-MIT"), text).unwrap();
        }
    }
    run_ok(
        Command::new(repo().join("scripts/with-debian-rust"))
            .args(["cargo", "metadata", "--offline", "--format-version", "1"])
            .current_dir(dir),
    );
    let git = |args: &[&str]| {
        run_ok(
            Command::new("git")
                .args(args)
                .current_dir(dir)
                .env("GIT_AUTHOR_DATE", format!("@{COMMIT_EPOCH} +0000"))
                .env("GIT_COMMITTER_DATE", format!("@{COMMIT_EPOCH} +0000"))
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com"),
        )
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "fixture"]);
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Validates CycloneDX 1.5 JSON files with cyclonedx-python-lib; prints `FILE: valid` per file.
const VALIDATE: &str = "
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
v = JsonStrictValidator(SchemaVersion.V1_5)
for f in sys.argv[1:]:
    err = v.validate_str(open(f).read())
    if err:
        sys.exit(f'{f}: {err}')
    print(f'{f}: valid')
";

/// The SBOM beside an archive.
fn sbom_name(archive: &str) -> String {
    let stem = archive
        .strip_suffix(".tar.gz")
        .or_else(|| archive.strip_suffix(".zip"))
        .unwrap();
    format!("{stem}.cdx.json")
}

const ARCHIVES: [&str; 3] = [
    "cross-hello-aarch64-unknown-linux-musl-v0.1.0.tar.gz",
    "cross-hello-x86_64-pc-windows-gnu-v0.1.0.zip",
    "cross-hello-x86_64-unknown-linux-gnu-v0.1.0.tar.gz",
];

/// The fixture's one dist, built once for the tests below: `crossflake dist --build-std` for
/// aarch64-musl, x86_64-gnu with a 2.17 floor and x86_64-windows, with its stderr.
struct Built {
    /// The project (a committed copy of the fixture).
    dir: PathBuf,
    /// Its dist: `target/dist`.
    out: PathBuf,
    /// The arguments the dist ran with.
    args: Vec<&'static str>,
    /// crossflake's stderr.
    log: String,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dist-fixture");
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        let dir = base.join("app");
        project(&dir);
        let args = vec![
            "dist",
            "--build-std",
            "--target",
            "aarch64-musl",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
            "--target",
            "x86_64-windows",
        ];
        let first = crossflake_at(&dir, &args);
        ok(&first, "crossflake dist");
        Built {
            out: dir.join("target/dist"),
            dir,
            args,
            log: String::from_utf8_lossy(&first.stderr).to_string(),
        }
    })
}

#[test]
fn the_three_targets_build_in_one_cargo_run_into_the_files_binstall_expects() {
    let b = built();
    assert!(
        b.log
            .contains("one cargo run for aarch64-musl x86_64-gnu x86_64-windows"),
        "the three targets should share one cargo run:\n{}",
        b.log
    );
    assert!(
        b.log.contains(&format!(
            "source date 2024-01-02T03:04:05Z ({COMMIT_EPOCH}) from the last git commit ("
        )),
        "the source date and where it came from:\n{}",
        b.log
    );
    let names: Vec<String> = files(&b.out).into_iter().map(|f| f.0).collect();
    let mut want: Vec<String> = ARCHIVES.iter().map(|s| s.to_string()).collect();
    want.extend(ARCHIVES.iter().map(|a| sbom_name(a)));
    want.extend(["SHA256SUMS".into(), "crossflake-dist.json".into()]);
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn sha256sum_accepts_the_checksums() {
    let check = run_ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(&built().out),
    );
    assert_eq!(
        check.lines().filter(|l| l.ends_with(": OK")).count(),
        6,
        "{check}"
    );
}

#[test]
fn gnu_tar_sees_binstalls_layout_root_owned_and_dated_by_the_commit() {
    let stem = "cross-hello-aarch64-unknown-linux-musl-v0.1.0";
    let listing = run_ok(
        Command::new("tar")
            .args([
                "--list",
                "--verbose",
                "--numeric-owner",
                "--full-time",
                "-zf",
            ])
            .arg(built().out.join(format!("{stem}.tar.gz")))
            .env("TZ", "UTC"),
    );
    let entries: Vec<(String, String, String, String)> = listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                format!("{} {}", f[3], f[4]),
                f[5].to_string(),
            )
        })
        .collect();
    let paths: Vec<&str> = entries.iter().map(|e| e.3.as_str()).collect();
    let inside = |p: &str| format!("{stem}/{p}");
    // the licences of the linked crates only
    assert_eq!(
        paths,
        [
            inside(""),
            inside("LICENSE"),
            inside("README.md"),
            inside("cross-hello"),
            inside("licenses/"),
            inside("licenses/greeting-0.1.0/"),
            inside("licenses/greeting-0.1.0/LICENSE-MIT"),
        ]
    );
    for (mode, owner, time, path) in &entries {
        assert_eq!(owner, "0/0", "{path}");
        assert_eq!(time, "2024-01-02 03:04:05", "{path}");
        let want = if path.ends_with('/') || path.ends_with("/cross-hello") {
            "rwxr-xr-x"
        } else {
            "rw-r--r--"
        };
        assert_eq!(&mode[1..], want, "{path}");
    }
}

#[test]
fn pythons_zipfile_reads_the_windows_zip() {
    let names = run_ok(
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
            ])
            .arg(built().out.join(ARCHIVES[1])),
    );
    assert!(
        names
            .lines()
            .any(|l| l == "cross-hello-x86_64-pc-windows-gnu-v0.1.0/cross-hello.exe"),
        "{names}"
    );
}

#[test]
fn the_manifest_agrees_with_the_files() {
    let out = &built().out;
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("crossflake-dist.json")).unwrap()).unwrap();
    assert_eq!(manifest["source-date-epoch"], COMMIT_EPOCH);
    let listed = manifest["artifacts"].as_array().unwrap();
    assert_eq!(listed.len(), 7, "{manifest:#}");
    for a in listed {
        let path = a["path"].as_str().unwrap();
        let bytes = fs::read(out.join(path)).unwrap();
        assert_eq!(a["size"], bytes.len(), "{path}");
        assert_eq!(
            a["sha256"],
            hex::encode(sha2::Sha256::digest(&bytes)),
            "{path}"
        );
        if a["kind"] == "archive" {
            let b = &a["binaries"][0];
            assert_eq!(b["verified"], true, "{a:#}");
            assert_eq!(
                a["dependencies-without-licence-text"],
                serde_json::json!(["unlicensed 0.1.0 (MIT)"]),
                "{a:#}"
            );
        }
    }
    let gnu = listed.iter().find(|a| a["path"] == ARCHIVES[2]).unwrap();
    assert_eq!(gnu["target"], "x86_64-gnu.2.17");
    assert_eq!(gnu["triple"], "x86_64-unknown-linux-gnu");
}

#[test]
fn the_sboms_are_valid_cyclonedx_with_one_dependency_set_per_target() {
    let out = &built().out;
    let validate = run_ok(
        Command::new("python3")
            .args(["-c", VALIDATE])
            .args(ARCHIVES.iter().map(|a| out.join(sbom_name(a)))),
    );
    assert_eq!(
        validate.lines().filter(|l| l.ends_with(": valid")).count(),
        3,
        "{validate}"
    );
    for a in ARCHIVES {
        let bom: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(sbom_name(a))).unwrap()).unwrap();
        let names: Vec<&str> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(bom["metadata"]["component"]["name"], "cross-hello", "{a}");
        assert!(
            names.contains(&"greeting") && names.contains(&"unlicensed"),
            "{a}: {names:?}"
        );
        assert_eq!(
            names.contains(&"winonly"),
            a.contains("windows"),
            "{a}: {names:?}"
        );
    }
}

/// The three archives unpacked into a directory of the test's own: the two tarballs with GNU
/// tar, the zip with Python's zipfile.
fn unpacked() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = &built().out;
    for a in [ARCHIVES[0], ARCHIVES[2]] {
        run_ok(
            Command::new("tar")
                .arg("-xzf")
                .arg(out.join(a))
                .arg("-C")
                .arg(tmp.path()),
        );
    }
    run_ok(
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
            ])
            .arg(out.join(ARCHIVES[1]))
            .arg(tmp.path()),
    );
    tmp
}

#[test]
fn the_binaries_run_from_the_archives() {
    let dir = unpacked();
    for (stem, target, arch) in [
        (
            "cross-hello-aarch64-unknown-linux-musl-v0.1.0",
            "aarch64-musl",
            "aarch64",
        ),
        (
            "cross-hello-x86_64-unknown-linux-gnu-v0.1.0",
            "x86_64-unknown-linux-gnu.2.17",
            "x86_64",
        ),
    ] {
        let bin = dir.path().join(stem).join("cross-hello");
        assert_eq!(
            crate::e2e::run_on_host(target, &bin).unwrap_or_else(|e| panic!("{e}")),
            format!("cross-hello on {arch}: 2+3=5\n")
        );
    }
}

#[test]
fn rust_audit_info_reads_the_dependency_tree_back_from_each_binary() {
    let audit_info = require_tool("rust-audit-info", "cargo install rust-audit-info");
    let dir = unpacked();
    for (bin, windows) in [
        (
            "cross-hello-aarch64-unknown-linux-musl-v0.1.0/cross-hello",
            false,
        ),
        (
            "cross-hello-x86_64-unknown-linux-gnu-v0.1.0/cross-hello",
            false,
        ),
        (
            "cross-hello-x86_64-pc-windows-gnu-v0.1.0/cross-hello.exe",
            true,
        ),
    ] {
        let info: serde_json::Value =
            serde_json::from_str(&run_ok(Command::new(&audit_info).arg(dir.path().join(bin))))
                .unwrap();
        let names: Vec<&str> = info["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"cross-hello") && names.contains(&"greeting"),
            "{bin}: {info}"
        );
        assert_eq!(names.contains(&"winonly"), windows, "{bin}: {info}");
    }
}

#[test]
fn a_non_empty_output_directory_is_refused_and_left_alone() {
    let b = built();
    let before = files(&b.out);
    let again = crossflake_at(&b.dir, &b.args);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("target/dist exists and is not empty; pass --force"),
        "{err}"
    );
    assert!(
        files(&b.out) == before,
        "a refused dist changed {}",
        b.out.display()
    );
}

/// A second run gives the same bytes, manifest included, though it compiles and links the
/// package again (src/main.rs touched: the windows executable's link time stamp is the
/// source date's); signed, each file gets a signature the minisign tool accepts (a key pair
/// made by the minisign crate: it cannot open `minisign -G -W` keys).
#[test]
fn a_second_signed_run_gives_the_same_bytes_and_minisign_accepts_every_signature() {
    let b = built();
    // a newer modification time, the same content: cargo builds the package again
    let main_rs = fs::File::options()
        .write(true)
        .open(b.dir.join("src/main.rs"))
        .unwrap();
    main_rs
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(2))
        .unwrap();
    drop(main_rs);
    let minisign = require_tool("minisign", "apt-get install minisign");
    let keys = tempfile::tempdir().unwrap();
    let kp = minisign::KeyPair::generate_encrypted_keypair(Some("pw".into())).unwrap();
    fs::write(
        keys.path().join("key.pub"),
        kp.pk.to_box().unwrap().into_string(),
    )
    .unwrap();
    let sec = keys.path().join("key.sec");
    fs::write(&sec, kp.sk.to_box(None).unwrap().into_string()).unwrap();
    let second = keys.path().join("second");
    let mut args = b.args.clone();
    args.extend([
        "--output",
        second.to_str().unwrap(),
        "--sign",
        sec.to_str().unwrap(),
    ]);
    ok(
        &crossflake_at_with(&b.dir, &args, &[("CROSSFLAKE_MINISIGN_PASSWORD", "pw")]),
        "crossflake dist --sign",
    );
    let first = files(&b.out);
    let (sigs, rest): (Vec<_>, Vec<_>) = files(&second)
        .into_iter()
        .partition(|f| f.0.ends_with(".minisig"));
    let differing: std::collections::BTreeSet<&str> = first
        .iter()
        .filter(|f| !rest.contains(f))
        .map(|f| f.0.as_str())
        .chain(
            rest.iter()
                .filter(|f| !first.contains(f))
                .map(|f| f.0.as_str()),
        )
        .collect();
    assert!(
        differing.is_empty(),
        "a second dist differs from the first in {differing:?} (kept in {})",
        keys.keep().display()
    );
    assert_eq!(sigs.len(), first.len(), "one signature per file");
    for (name, _) in &first {
        let verified = run_ok(
            Command::new(&minisign)
                .args(["-V", "-p"])
                .arg(keys.path().join("key.pub"))
                .arg("-m")
                .arg(second.join(name)),
        );
        assert!(
            verified.contains(&format!("file:{name}")),
            "{name}: {verified}"
        );
    }
}

#[test]
fn a_signing_key_that_cannot_be_opened_stops_dist_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let kp = minisign::KeyPair::generate_encrypted_keypair(Some("right".into())).unwrap();
    let key = tmp.path().join("key.sec");
    fs::write(&key, kp.sk.to_box(None).unwrap().into_string()).unwrap();
    let garbage = tmp.path().join("garbage.sec");
    fs::write(&garbage, "not a key\n").unwrap();
    let missing = tmp.path().join("missing.sec");
    let cases = [
        (
            &missing,
            None,
            format!("cannot read the signing key {}", missing.display()),
        ),
        (
            &key,
            None,
            format!(
                "the signing key {} is encrypted: set CROSSFLAKE_MINISIGN_PASSWORD",
                key.display()
            ),
        ),
        (
            &key,
            Some("wrong"),
            format!("cannot open the signing key {}", key.display()),
        ),
        (
            &garbage,
            Some("x"),
            format!("{} is not a minisign secret key", garbage.display()),
        ),
    ];
    for (path, password, want) in cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossflake"));
        cmd.args(["dist", "--target", "aarch64-musl", "--sign"])
            .arg(path)
            .current_dir(&dir)
            .env_remove("CROSSFLAKE_MINISIGN_PASSWORD");
        if let Some(p) = password {
            cmd.env("CROSSFLAKE_MINISIGN_PASSWORD", p);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{want}");
        assert!(err.contains(&want), "want {want:?}:\n{err}");
        assert!(!err.contains("crossflake: building"), "{err}");
        assert!(!dir.join("target").exists());
    }
}

#[test]
fn dist_for_a_target_this_host_cannot_build_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let out = crossflake_at(&dir, &["dist", "--target", "aarch64-darwin"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "aarch64-darwin (aarch64-apple-darwin) cannot be built on {}; it builds on x86_64-darwin, aarch64-darwin (it needs Apple's SDK)",
            crate::support::host_system()
        )),
        "{err}"
    );
    assert!(!dir.join("target").exists());
}

/// [`project`] with `edit` applied to the copy and committed.
fn committed_project(dir: &Path, edit: impl FnOnce(&Path)) {
    project(dir);
    edit(dir);
    run_ok(Command::new("git").args(["add", "-A"]).current_dir(dir));
    run_ok(
        Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["commit", "--allow-empty", "-qm", "edit"])
            .current_dir(dir),
    );
}

#[test]
fn check_reproducible_passes_for_unstripped_binaries_with_debug_info() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    committed_project(&dir, |dir| {
        // debug info and symbols keep every path the build saw: the harder case
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let manifest = manifest.replace("strip = true", "strip = false\ndebug = true");
        fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    });
    let out = crossflake_at(
        &dir,
        &[
            "dist",
            "--check-reproducible",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
        ],
    );
    ok(&out, "crossflake dist --check-reproducible");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("reproducible: a second build in another checkout gave the same 4 files"),
        "{log}"
    );
    // the binaries do carry debug info, so the paths in it were remapped, not absent
    let listing = run_ok(
        Command::new("tar")
            .arg("-tzvf")
            .arg(dir.join("target/dist/cross-hello-x86_64-unknown-linux-gnu-v0.1.0.tar.gz")),
    );
    let size: u64 = listing
        .lines()
        .find(|l| l.ends_with("/cross-hello"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(
        size > 2_000_000,
        "an unstripped binary with debug info: {size} bytes"
    );
}

#[test]
fn check_reproducible_catches_a_build_script_that_embeds_the_time() {
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    committed_project(&dir, |dir| {
        let build = fs::read_to_string(dir.join("build.rs")).unwrap();
        let build = build.replacen(
            "fn main() {",
            "fn main() {\n    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();\n    println!(\"cargo:rustc-env=BUILT_AT={}\", now.as_nanos());",
            1,
        );
        fs::write(dir.join("build.rs"), build).unwrap();
        let main = fs::read_to_string(dir.join("src/main.rs")).unwrap();
        let main = main.replacen(
            "fn main() {",
            "fn main() {\n    eprintln!(\"built at {}\", env!(\"BUILT_AT\"));",
            1,
        );
        fs::write(dir.join("src/main.rs"), main).unwrap();
    });
    let out = crossflake_at(
        &dir,
        &[
            "dist",
            "--check-reproducible",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
        ],
    );
    assert!(
        !out.status.success(),
        "a time stamp in the binary must fail the check"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not reproducible: cross-hello-x86_64-unknown-linux-gnu-v0.1.0.tar.gz: cross-hello-x86_64-unknown-linux-gnu-v0.1.0/cross-hello differs between the two builds: first in section .rodata"),
        "{err}"
    );
    assert!(
        !dir.join("target/dist").exists(),
        "a failed check writes no dist"
    );
}

#[test]
fn check_reproducible_refuses_a_dirty_tree_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    committed_project(&dir, |_| {});
    fs::write(dir.join("README.md"), "# changed\n").unwrap();
    let out = crossflake_at(
        &dir,
        &["dist", "--check-reproducible", "--target", "aarch64-musl"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has uncommitted changes; --check-reproducible compares with a clone of the last commit, so commit or stash them first:\n M README.md"),
        "{err}"
    );
    assert!(
        !err.contains("crossflake: building"),
        "it must stop before building:\n{err}"
    );
    assert!(!dir.join("target/dist").exists());
}

#[test]
fn dist_refuses_an_output_holding_the_project_and_two_floors_of_one_triple() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let before = files(&dir);
    for (args, want) in [
        (
            vec!["dist", "--target", "aarch64-musl", "--out", ".", "--force"],
            format!("--output {} holds the project itself", dir.display()),
        ),
        (
            vec![
                "dist",
                "--target",
                "x86_64-unknown-linux-gnu.2.17",
                "--target",
                "x86_64-unknown-linux-gnu.2.28",
            ],
            "x86_64-gnu.2.17 and x86_64-gnu.2.28 are one target triple (x86_64-unknown-linux-gnu)"
                .to_string(),
        ),
    ] {
        let out = crossflake_at(&dir, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(&want), "want {want:?}:\n{err}");
        assert!(!err.contains("crossflake: building"), "{err}");
        assert!(files(&dir) == before, "{args:?} changed the project");
        assert!(!dir.join("target").exists(), "{args:?}");
    }
}

#[test]
fn prebuilt_binaries_are_packed_as_built_ones_are() {
    use crate::support::{EM_AARCH64, EM_X86_64, elf};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    project(&dir);
    let (a64, x64, wasm) = (
        tmp.path().join("a64/bin"),
        tmp.path().join("x64/bin"),
        tmp.path().join("wasm/bin"),
    );
    for (d, machine) in [(&a64, EM_AARCH64), (&x64, EM_X86_64)] {
        fs::create_dir_all(d).unwrap();
        fs::write(d.join("cross-hello"), elf(machine, None, 4096)).unwrap();
    }
    // the executable suffix comes off before the name is matched to a bin target
    fs::create_dir_all(&wasm).unwrap();
    fs::write(wasm.join("cross-hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let out_dir = tmp.path().join("dist");
    let prebuilt = |extra: &[&str]| {
        let mut args = vec![
            "dist".to_string(),
            "--no-audit".into(),
            format!("--out={}", out_dir.display()),
            format!("--prebuilt=aarch64-musl={}", a64.display()),
            format!("--prebuilt=x86_64-musl={}", x64.display()),
            format!("--prebuilt=wasm32-wasip1={}", wasm.display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        crossflake_at(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    ok(&prebuilt(&[]), "dist --prebuilt");
    assert!(!dir.join("target").exists(), "nothing was built");
    let names: Vec<String> = files(&out_dir).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "SHA256SUMS",
            "cross-hello-aarch64-unknown-linux-musl-v0.1.0.tar.gz",
            "cross-hello-wasm32-wasip1-v0.1.0.tar.gz",
            "cross-hello-x86_64-unknown-linux-musl-v0.1.0.tar.gz",
            "crossflake-dist.json"
        ]
    );
    run_ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(&out_dir),
    );
    let listing = run_ok(
        Command::new("tar")
            .arg("-tzf")
            .arg(out_dir.join("cross-hello-aarch64-unknown-linux-musl-v0.1.0.tar.gz")),
    );
    let stem = "cross-hello-aarch64-unknown-linux-musl-v0.1.0";
    for entry in [
        "cross-hello",
        "README.md",
        "LICENSE",
        "licenses/greeting-0.1.0/LICENSE-MIT",
    ] {
        assert!(
            listing.lines().any(|l| l == format!("{stem}/{entry}")),
            "{entry} in:\n{listing}"
        );
    }
    let unpacked = tmp.path().join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(out_dir.join(format!("{stem}.tar.gz")))
            .arg("-C")
            .arg(&unpacked),
    );
    assert!(
        fs::read(unpacked.join(stem).join("cross-hello")).unwrap()
            == fs::read(a64.join("cross-hello")).unwrap(),
        "the archive holds the prebuilt binary"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out_dir.join("crossflake-dist.json")).unwrap()).unwrap();
    let archive = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == format!("{stem}.tar.gz"))
        .unwrap();
    assert_eq!(
        (
            &archive["target"],
            &archive["triple"],
            &archive["package"],
            &archive["version"]
        ),
        (
            &serde_json::json!("aarch64-musl"),
            &serde_json::json!("aarch64-unknown-linux-musl"),
            &serde_json::json!("cross-hello"),
            &serde_json::json!("0.1.0")
        )
    );
    assert_eq!(archive["binaries"][0]["verified"], true);

    // a file that is no package's binary, a binary for the wrong machine: refused, nothing written
    fs::remove_dir_all(&out_dir).unwrap();
    fs::write(x64.join("stray"), elf(EM_X86_64, None, 4096)).unwrap();
    let out = prebuilt(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "--prebuilt x86_64-musl={}: stray is not a binary of any package of",
            x64.display()
        )),
        "{err}"
    );
    fs::remove_file(x64.join("stray")).unwrap();
    fs::write(x64.join("cross-hello"), elf(EM_AARCH64, None, 4096)).unwrap();
    let out = prebuilt(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("machine: expected x86_64, found aarch64"),
        "{err}"
    );
    fs::write(x64.join("cross-hello"), elf(EM_X86_64, None, 4096)).unwrap();
    // binaries without cargo-auditable data: the SBOM cannot be written, and the fix is named
    let out = {
        let mut args: Vec<String> = vec![
            "dist".into(),
            format!("--out={}", out_dir.display()),
            format!("--prebuilt=x86_64-musl={}", x64.display()),
        ];
        args.push(format!("--prebuilt=aarch64-musl={}", a64.display()));
        crossflake_at(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a binary built without cargo-auditable has no data for one: pass --no-audit"),
        "{err}"
    );
    let out = prebuilt(&["--check-reproducible"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be used with"), "{err}");
    assert!(!out_dir.exists());
}

#[test]
fn dry_run_prints_the_plan_and_builds_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let key = tmp.path().join("key.sec");
    let kp = minisign::KeyPair::generate_encrypted_keypair(Some("pw".into())).unwrap();
    fs::write(&key, kp.sk.to_box(None).unwrap().into_string()).unwrap();
    let before = crate::support::TempProject::snapshot_bytes_of(&dir);
    let out = crossflake_at_with(
        &dir,
        &[
            "dist",
            "--dry-run",
            "--build-std",
            "--target",
            "aarch64-musl",
            "--target",
            "x86_64-windows",
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("CROSSFLAKE_MINISIGN_PASSWORD", "pw")],
    );
    let plan = ok(&out, "crossflake dist --dry-run");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = plan.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "crossflake dist: source date 1980-01-01T00:00:00Z (315532800) from 1980-01-01: {} is not in a git repository and SOURCE_DATE_EPOCH is not set",
            dir.display()
        ),
        "{plan}"
    );
    assert_eq!(
        lines[1],
        "build aarch64-musl, x86_64-windows: cargo auditable zigbuild --target aarch64-unknown-linux-musl --target x86_64-pc-windows-gnu --profile crossflake -Zbuild-std=std,panic_abort",
        "{plan}"
    );
    let rest = lines[2..].join("\n");
    assert_eq!(
        rest,
        format!(
            "write cross-hello-aarch64-unknown-linux-musl-v0.1.0.tar.gz (cross-hello) and cross-hello-aarch64-unknown-linux-musl-v0.1.0.cdx.json\n\
             write cross-hello-x86_64-pc-windows-gnu-v0.1.0.zip (cross-hello) and cross-hello-x86_64-pc-windows-gnu-v0.1.0.cdx.json\n\
             write SHA256SUMS, crossflake-dist.json\n\
             sign every file with {} (FILE.minisig)\n\
             into {}",
            key.display(),
            dir.join("target/dist").display()
        )
    );
    assert!(err.contains("dry run: nothing built or written"), "{err}");
    assert!(!err.contains("crossflake: building"), "{err}");
    assert!(
        crate::support::TempProject::snapshot_bytes_of(&dir) == before,
        "the dry run changed the project"
    );
}

#[test]
fn an_output_directory_that_cannot_be_written_stops_dist_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let ro = tmp.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let guard = crate::support::ReadOnly::new(&ro);
    let out_dir = ro.join("dist");
    let out = crossflake_at(
        &dir,
        &[
            "dist",
            "--no-audit",
            "--build-std",
            "--target",
            "aarch64-musl",
            "--output",
            out_dir.to_str().unwrap(),
        ],
    );
    drop(guard);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "error: cannot write {}: {} does not admit new files",
            out_dir.display(),
            ro.display()
        )),
        "{err}"
    );
    assert!(!err.contains("crossflake: building"), "{err}");
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
}

#[test]
fn without_targets_dist_plans_the_projects_targets_this_host_builds_and_says_which_it_leaves_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    copy_dir(&repo().join("tests/fixtures/cross-hello"), &dir);
    let out = crossflake_at(&dir, &["dist", "--dry-run", "--no-audit", "--build-std"]);
    let plan = ok(&out, "crossflake dist --dry-run");
    let host = crate::support::host_system();
    let left_out: Vec<&str> = plan
        .lines()
        .filter(|l| l.starts_with("crossflake: skipping"))
        .collect();
    let want: Vec<String> = if host.ends_with("-darwin") {
        vec![]
    } else {
        [
            "aarch64-darwin (aarch64-apple-darwin)",
            "x86_64-darwin (x86_64-apple-darwin)",
        ]
        .iter()
        .map(|t| {
            format!(
                "crossflake: skipping {}: {t} builds only on x86_64-darwin, aarch64-darwin",
                t.split(' ').next().unwrap()
            )
        })
        .collect()
    };
    assert_eq!(left_out, want, "{plan}");
    // the others share one cargo run (wasm32-wasip1's recipe is plain cargo: a run of its own)
    assert!(
        plan.lines().any(|l| l.starts_with("build aarch64-musl, x86_64-musl, armv7-musl, riscv64-musl, x86_64-gnu, aarch64-gnu, x86_64-windows: cargo zigbuild")),
        "{plan}"
    );
    assert!(
        plan.lines()
            .any(|l| l.starts_with("build wasm32-wasip1: cargo build --target wasm32-wasip1")),
        "{plan}"
    );
}
