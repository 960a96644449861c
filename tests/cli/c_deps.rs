//! C dependencies that link: tests/fixtures/c-deps (bindgen with zig's headers, SQLite
//! bundled, zstd) built by `crossflake build --build-std` for aarch64-musl and
//! x86_64-unknown-linux-gnu.2.17, each binary verified and run (under qemu-user, natively)
//! for its known answer. Needs a libclang as new as zig's clang (scripts/provision).

use crate::e2e::{artifact, crossflake_in, ok};
use crate::support::{require_tool, run_ok};

#[test]
fn c_dependencies_build_verify_and_run() {
    let qemu = require_tool("qemu-aarch64-static", "apt-get install qemu-user-static");
    require_tool("cargo-zigbuild", "pip install cargo-zigbuild");
    let doctor = crossflake_in("c-deps", &["doctor", "--build-std"]);
    let report = String::from_utf8_lossy(&doctor.stderr).to_string();
    // the fixture is in the repository, so git checks pass; nothing else may be found
    assert_eq!(doctor.status.code(), Some(0), "doctor:\n{report}");

    let built = crossflake_in(
        "c-deps",
        &[
            "build",
            "--build-std",
            "--target",
            "aarch64-musl",
            "--target",
            "x86_64-unknown-linux-gnu.2.17",
        ],
    );
    ok(&built, "crossflake build of tests/fixtures/c-deps");
    let expected = [
        ("bindgen-answer", "bindgen: answer = 42\n"),
        ("sqlite-query", "sqlite 3."),
        ("zstd-roundtrip", "zstd: 2752 -> "),
    ];
    for (target, triple) in [
        ("aarch64-musl", "aarch64-unknown-linux-musl"),
        ("x86_64-unknown-linux-gnu.2.17", "x86_64-unknown-linux-gnu"),
    ] {
        for (bin, answer) in expected {
            let path = artifact(triple, bin);
            let verified = crossflake_in(
                "c-deps",
                &["verify", "--target", target, path.to_str().unwrap()],
            );
            ok(&verified, &format!("crossflake verify {target} {bin}"));
            let out = if triple.starts_with("aarch64") {
                run_ok(std::process::Command::new(&qemu).arg(&path))
            } else {
                run_ok(&mut std::process::Command::new(&path))
            };
            assert!(out.starts_with(answer), "{bin} for {target}: {out}");
        }
    }
}
