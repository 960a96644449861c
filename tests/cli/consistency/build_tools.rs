//! The build tools a Cargo.lock's crates need, the same on both sides.

use serde_json::json;

use super::{cli_json, nix_eval, nix_str};
use crate::support::TempProject;

/// Build tools: cdeps::needed_tools (`crossflake internal build-tools`, which doctor and the
/// build's preflight call) and buildTools give the `[build-tools]` keys written here for each
/// Cargo.lock (bindgen's arguments are bindgen.rs's).
#[test]
fn build_tools_agree_with_the_table() {
    let package = |name: &str, deps: &[&str]| {
        format!(
            "[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\ndependencies = [{}]\n",
            deps.iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // (case, the lock's packages, the keys both sides must give, in the catalog's order)
    let rows: Vec<(&str, String, Vec<&str>)> = vec![
        ("a lock without packages", String::new(), vec![]),
        (
            "no crate that runs a tool",
            package("app", &["serde"]) + &package("serde", &[]),
            vec![],
        ),
        (
            "bindgen, as a build-dependency further down",
            package("app", &["zstd-sys"])
                + &package("zstd-sys", &["bindgen", "cc"])
                + &package("bindgen", &[])
                + &package("cc", &[]),
            vec!["libclang"],
        ),
        (
            "openssl with `vendored`",
            package("openssl-sys", &["openssl-src"]) + &package("openssl-src", &["cc"]),
            vec!["make", "perl"],
        ),
        (
            "openssl-sys without openssl-src needs no tool (doctor reports it)",
            package("openssl-sys", &["pkg-config"]) + &package("pkg-config", &[]),
            vec![],
        ),
        (
            "every tool, each once",
            package("bindgen", &[])
                + &package("openssl-src", &[])
                + &package("aws-lc-sys", &["bindgen"]),
            vec!["libclang", "make", "perl"],
        ),
        (
            "a name that only starts like a rule's crate",
            package("bindgen-cli", &[]) + &package("openssl-src-extra", &[]),
            vec![],
        ),
    ];
    for (case, packages, want) in &rows {
        let lock = format!("version = 4\n\n{packages}");
        let want = json!(want);
        let p = TempProject::with(&[("Cargo.lock", &lock)]);
        let cli = cli_json(&p, &["internal", "build-tools", "Cargo.lock"]);
        assert_eq!(cli.as_ref(), Ok(&want), "CLI, {case}");
        let nix = nix_eval(&format!(
            "p.buildTools (builtins.fromTOML {})",
            nix_str(&lock)
        ));
        assert_eq!(nix.as_ref(), Ok(&want), "buildTools, {case}");
    }
}
