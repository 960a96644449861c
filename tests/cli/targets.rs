//! `crossflake targets`.

use crate::support::TempProject;

#[test]
fn json_marks_what_a_host_can_build_and_run() {
    let p = TempProject::empty();
    let out = p
        .cmd(&["targets", "--host", "x86_64-darwin", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let row = |alias: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["alias"] == alias)
            .unwrap()
            .clone()
    };
    assert_eq!(row("aarch64-darwin")["can-build"], true);
    assert_eq!(row("aarch64-musl")["can-build"], true);
    assert_eq!(
        row("aarch64-musl")["runner-on-host"]["status"],
        "unavailable"
    );
    assert_eq!(row("x86_64-windows")["runner-on-host"]["kind"], "wine");
    assert_eq!(row("armv7-musl")["oci"]["variant"], "v7");
    assert_eq!(row("x86_64-gnu")["glibc"], "2.17");
    let linux = p
        .cmd(&["targets", "--host", "aarch64-linux"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(linux).unwrap();
    let darwin = table
        .lines()
        .find(|l| l.starts_with("aarch64-darwin"))
        .unwrap();
    assert!(darwin.contains(" no "), "{darwin}");
    let musl = table
        .lines()
        .find(|l| l.starts_with("aarch64-musl"))
        .unwrap();
    assert!(musl.ends_with("native"), "{musl}");
}

#[test]
fn an_unknown_host_is_refused() {
    TempProject::empty()
        .cmd(&["targets", "--host", "riscv64-linux"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "unknown host system `riscv64-linux`; valid: x86_64-linux",
        ));
}

/// A reader that stops early (`crossflake targets | head -n 1`) ends crossflake as SIGPIPE ends
/// other Unix tools: no panic, nothing on stderr.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossflake"))
        .args(["targets", "--json"])
        .stdout(writer)
        .output()
        .unwrap();
    // 13: SIGPIPE on Linux and macOS
    assert_eq!(
        out.status.signal(),
        Some(13),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
