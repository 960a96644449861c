//! C dependencies that link: tests/fixtures/c-deps (bindgen with zig's headers, OpenSSL
//! vendored, aws-lc, SQLite bundled, zstd) built by `crossflake build --build-std` for
//! x86_64-unknown-linux-gnu.2.17, each binary verified and run for its known answer. (The
//! fixture's aarch64-musl build is the sandboxed Nix build's, tests/nix/real-builds.sh step
//! `cdeps`, with the same recipe: one C-heavy build per target keeps CI within its time.)
//! Needs a libclang as new as zig's clang, perl and make (scripts/provision).

use crate::e2e::{artifact, crossflake_in, ok};
use crate::support::{require_tool, run_ok};

#[test]
fn c_dependencies_build_verify_and_run() {
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
            "x86_64-unknown-linux-gnu.2.17",
        ],
    );
    ok(&built, "crossflake build of tests/fixtures/c-deps");
    // each binary's output: how it starts and ends (the SHA-256 of "abc": FIPS 180-2, B.1)
    const ABC: &str =
        "sha256(abc) = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n";
    let expected = [
        ("aws-lc-sha256", "aws-lc: ", ABC),
        ("bindgen-answer", "bindgen: answer = 42\n", ""),
        ("openssl-sha256", "OpenSSL 3.", ABC),
        ("sqlite-query", "sqlite 3.", ": 42 39\n"),
        ("zstd-roundtrip", "zstd: 2752 -> ", " bytes and back\n"),
    ];
    for (target, triple) in [("x86_64-unknown-linux-gnu.2.17", "x86_64-unknown-linux-gnu")] {
        for (bin, starts, ends) in expected {
            let path = artifact(triple, bin);
            let verified = crossflake_in(
                "c-deps",
                &["verify", "--target", target, path.to_str().unwrap()],
            );
            ok(&verified, &format!("crossflake verify {target} {bin}"));
            let out = run_ok(&mut std::process::Command::new(&path));
            assert!(
                out.starts_with(starts) && out.ends_with(ends),
                "{bin} for {target}: {out}"
            );
        }
    }
}
