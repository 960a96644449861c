//! `crossflake init`, `new` and `target add/remove`: emitted files (snapshots), merging
//! into existing files, idempotency, dry runs.

use std::fs;

use crate::support::{TempProject, assert_nix_parses, copy_dir, repo};

const FILES: [&str; 5] = [
    "Cargo.toml",
    "rust-toolchain.toml",
    "flake.nix",
    ".envrc",
    ".gitignore",
];

/// Copies tests/fixtures/init/NAME into a temp project.
fn fixture(name: &str) -> TempProject {
    let p = TempProject::empty();
    copy_dir(&repo().join("tests/fixtures/init").join(name), p.path());
    p
}

/// Runs the command, checks a second run changes nothing, returns the files.
fn run_twice(p: &TempProject, args: &[&str]) {
    p.cmd(args).assert().success();
    let after_first = p.snapshot_bytes();
    p.cmd(args)
        .assert()
        .success()
        .stderr(predicates::str::contains("nothing to change"));
    assert_eq!(
        after_first,
        p.snapshot_bytes(),
        "a second `crossflake {}` changed files",
        args.join(" ")
    );
    assert_nix_parses(&p.path().join("flake.nix"));
}

#[test]
fn new_package() {
    let p = TempProject::empty();
    p.cmd(&["new", "hello"]).assert().success();
    let app = TempProject {
        dir: tempfile::TempDir::new_in(p.path()).unwrap(),
    };
    drop(app);
    let files: Vec<String> = [
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        "rust-toolchain.toml",
        "flake.nix",
        ".envrc",
        ".gitignore",
    ]
    .iter()
    .map(|f| {
        format!(
            "=== {f}\n{}",
            fs::read_to_string(p.path().join("hello").join(f)).unwrap()
        )
    })
    .collect();
    insta::assert_snapshot!("new_package", files.join(""));
    assert_nix_parses(&p.path().join("hello/flake.nix"));
    // init on what new made changes nothing
    p.cmd(&["init", "--manifest-path", "hello/Cargo.toml"])
        .assert()
        .success()
        .stderr(predicates::str::contains("nothing to change"));
}

#[test]
fn new_library_with_options() {
    let p = TempProject::empty();
    p.cmd(&[
        "new",
        "lib-dir",
        "--name",
        "my_lib",
        "--lib",
        "--target",
        "wasm32-wasip1",
        "--toolchain",
        "1.90.0",
    ])
    .assert()
    .success();
    let root = p.path().join("lib-dir");
    assert!(root.join("src/lib.rs").is_file() && !root.join("src/main.rs").exists());
    let cargo = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("name = \"my_lib\"") && cargo.contains("targets = [\"wasm32-wasip1\"]"),
        "{cargo}"
    );
    let tc = fs::read_to_string(root.join("rust-toolchain.toml")).unwrap();
    assert!(
        tc.contains("channel = \"1.90.0\"") && tc.contains("targets = [\"wasm32-wasip1\"]"),
        "{tc}"
    );
}

#[test]
fn init_package() {
    let p = fixture("package");
    run_twice(
        &p,
        &[
            "init",
            "--target",
            "aarch64-musl",
            "--target",
            "x86_64-unknown-linux-gnu.2.28",
            "--oci",
        ],
    );
    insta::assert_snapshot!("init_package", p.render(&FILES));
}

#[test]
fn init_virtual_workspace() {
    let p = fixture("workspace");
    run_twice(&p, &["init"]);
    insta::assert_snapshot!("init_virtual_workspace", p.render(&FILES));
    let member = p.read("crates/server/Cargo.toml");
    assert!(
        !member.contains("crossflake"),
        "the member is untouched: {member}"
    );
}

#[test]
fn init_keeps_every_comment() {
    let p = fixture("commented");
    let before = p.read("Cargo.toml");
    run_twice(&p, &["init", "--target", "riscv64-musl"]);
    let after = p.read("Cargo.toml");
    for line in before.lines().filter(|l| l.contains('#')) {
        assert!(after.contains(line), "lost `{line}`");
    }
    insta::assert_snapshot!("init_commented", p.render(&FILES));
}

#[test]
fn dry_run_shows_a_diff_and_writes_nothing() {
    let p = fixture("package");
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&["init", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let diff = String::from_utf8(out).unwrap();
    assert!(
        diff.contains("--- a/Cargo.toml\n+++ b/Cargo.toml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+targets = [\"x86_64-musl\", \"aarch64-musl\"]"),
        "{diff}"
    );
    assert!(diff.contains("--- /dev/null\n+++ b/flake.nix\n"), "{diff}");
    assert_eq!(before, p.snapshot_bytes());
}

#[test]
fn flake_url_is_kept_on_rerun_and_force_replaces_a_foreign_flake() {
    let p = fixture("package");
    p.cmd(&["init", "--flake-url", "path:/src/crossflake"])
        .assert()
        .success();
    p.cmd(&["init"]).assert().success();
    assert!(
        p.read("flake.nix")
            .contains("inputs.crossflake.url = \"path:/src/crossflake\";")
    );
    p.write("flake.nix", "{ outputs = _: { }; }\n");
    p.cmd(&["init", "--force"])
        .assert()
        .success()
        .stderr(predicates::str::contains("replaced"));
    assert!(
        p.read("flake.nix")
            .starts_with("# Generated by `crossflake init`")
    );
}

/// `--flake-parts` writes the flake-parts flake.nix (the flake-parts template's), later runs
/// and `cache set` keep that style, and a flake.nix crossflake did not write is refused without
/// `--force`, with nothing written.
#[test]
fn flake_parts_flake_is_kept_on_rerun_and_a_foreign_flake_is_refused() {
    let p = fixture("package");
    p.cmd(&["init", "--flake-parts"]).assert().success();
    let template = std::fs::read_to_string(repo().join("templates/flake-parts/flake.nix")).unwrap();
    assert_eq!(p.read("flake.nix"), template);
    assert!(p.read(".gitignore").lines().any(|l| l == ".direnv/"));
    assert_eq!(p.read(".envrc"), "use flake\n");
    p.cmd(&["init", "--target", "x86_64-gnu"])
        .assert()
        .success();
    assert_eq!(p.read("flake.nix"), template, "a rerun changed the style");
    crate::cache::set_http_cache(&p, "http://127.0.0.1:5000");
    let cached = p.read("flake.nix");
    assert!(
        cached.contains("imports = [ crossflake.flakeModules.default ];")
            && cached.contains("extra-substituters = [ \"http://127.0.0.1:5000\" ];"),
        "{cached}"
    );
    assert_nix_parses(&p.path().join("flake.nix"));

    p.cmd(&["cache", "unset"]).assert().success();
    assert_eq!(
        p.read("flake.nix"),
        template,
        "cache unset changed the style"
    );
    let foreign = "{ outputs = _: { }; }\n";
    p.write("flake.nix", foreign);
    let before = p.snapshot_bytes();
    p.cmd(&["init", "--flake-parts"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(format!(
            "{} exists and was not written by crossflake; import `crossflake.flakeModules.default` into its flake-parts flake yourself (see the README), or pass --force to replace it",
            p.path().join("flake.nix").display()
        )));
    assert!(
        p.snapshot_bytes() == before,
        "a refused init wrote something"
    );
    p.cmd(&["init", "--flake-parts", "--force"])
        .assert()
        .success();
    assert!(p.read("flake.nix").contains("flake-parts.lib.mkFlake"));
    // and back to one mkFlake call: the file is crossflake's, so no --force is needed
    p.cmd(&["init", "--no-flake-parts"]).assert().success();
    assert_eq!(
        p.read("flake.nix"),
        std::fs::read_to_string(repo().join("templates/default/flake.nix")).unwrap()
    );
}

#[test]
fn target_add_and_remove_keep_the_toolchain_in_step() {
    let p = fixture("package");
    p.cmd(&["init"]).assert().success();
    p.cmd(&[
        "target",
        "add",
        "armv7-unknown-linux-musleabihf",
        "x86_64-gnu",
    ])
    .assert()
    .success();
    let cargo = p.read("Cargo.toml");
    assert!(
        cargo.contains("targets = [\"x86_64-musl\", \"aarch64-musl\", \"armv7-unknown-linux-musleabihf\", \"x86_64-gnu\"]"),
        "{cargo}"
    );
    assert!(p.read("rust-toolchain.toml").contains(
        "targets = [\"x86_64-unknown-linux-musl\", \"aarch64-unknown-linux-musl\", \"armv7-unknown-linux-musleabihf\", \"x86_64-unknown-linux-gnu\"]"
    ));
    // a new floor replaces the old entry of the same target
    p.cmd(&["target", "add", "x86_64-unknown-linux-gnu.2.31"])
        .assert()
        .success();
    assert!(
        p.read("Cargo.toml")
            .contains("\"x86_64-unknown-linux-gnu.2.31\"]")
    );
    p.cmd(&[
        "target",
        "remove",
        "x86_64-musl",
        "x86_64-gnu",
        "armv7-musl",
    ])
    .assert()
    .success();
    assert!(
        p.read("Cargo.toml")
            .contains("targets = [\"aarch64-musl\"]")
    );
    assert!(
        p.read("rust-toolchain.toml")
            .contains("targets = [\"aarch64-unknown-linux-musl\"]")
    );
    let before = p.snapshot_bytes();
    p.cmd(&["target", "add", "aarch64-musl"])
        .assert()
        .success()
        .stderr(predicates::str::contains("nothing to change"));
    assert_eq!(before, p.snapshot_bytes());
}

#[test]
fn a_legacy_toolchain_file_is_read_and_reported() {
    let p = fixture("package");
    p.write("rust-toolchain", "1.88.0\n");
    p.cmd(&["init"])
        .assert()
        .success()
        .stderr(predicates::str::contains("legacy"));
    assert!(
        p.read("rust-toolchain.toml")
            .contains("channel = \"1.88.0\"")
    );
    assert_eq!(p.read("rust-toolchain"), "1.88.0\n");
}

#[test]
fn oci_entrypoint_is_the_packages_binary_not_its_name() {
    // as in fd-find and ripgrep: the package is named differently from its binary
    let p = TempProject::with(&[(
        "Cargo.toml",
        "[package]\nname = \"fd-find\"\nversion = \"10.2.0\"\n\n[[bin]]\nname = \"fd\"\npath = \"src/main.rs\"\n",
    )]);
    p.cmd(&["init", "--oci"]).assert().success();
    let cargo = p.read("Cargo.toml");
    assert!(
        cargo.contains("name = \"fd-find\"\nentrypoint = \"fd\"\n"),
        "{cargo}"
    );
}

#[test]
fn init_release_points_cargo_binstall_at_the_dist_archives() {
    let p = fixture("package");
    let args = [
        "init",
        "--target",
        "aarch64-musl",
        "--target",
        "x86_64-windows",
        "--binstall",
    ];
    let first = p.cmd(&args).assert().success();
    let err = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    assert!(
        err.contains("cargo binstall's { repo } is the package's `repository` key"),
        "{err}"
    );
    run_twice(&p, &args);
    let doc: toml_edit::DocumentMut = p.read("Cargo.toml").parse().unwrap();
    let b = &doc["package"]["metadata"]["binstall"];
    // what `crossflake dist` names its archives and their top directory
    assert_eq!(
        b["pkg-url"].as_str(),
        Some(
            "{ repo }/releases/download/v{ version }/{ name }-{ target }-v{ version }{ archive-suffix }"
        )
    );
    assert_eq!(
        b["bin-dir"].as_str(),
        Some("{ name }-{ target }-v{ version }/{ bin }{ binary-ext }")
    );
    assert_eq!(b["pkg-fmt"].as_str(), Some("tgz"));
    assert_eq!(
        b["overrides"]["x86_64-pc-windows-gnu"]["pkg-fmt"].as_str(),
        Some("zip")
    );
    assert!(b["overrides"].get("aarch64-unknown-linux-musl").is_none());

    // a table the user wrote is kept as it is
    let q = fixture("package");
    let own =
        "\n[package.metadata.binstall]\npkg-url = \"https://example.com/{ name }.tgz\" # mine\n";
    q.write("Cargo.toml", &format!("{}{own}", q.read("Cargo.toml")));
    q.cmd(&["init", "--binstall"]).assert().success();
    assert!(
        q.read("Cargo.toml").contains(own),
        "{}",
        q.read("Cargo.toml")
    );
}
