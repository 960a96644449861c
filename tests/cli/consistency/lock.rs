//! Toolchain lock staleness, the same on both sides.

use serde_json::json;

use super::{nix_eval, nix_str};
use crate::support::TempProject;

/// Lock staleness: `crossflake toolchain lock --check` (ToolchainSpec::same_as) and lockCheck
/// find the same fields stale for the cases written here (order never matters).
#[test]
fn lock_staleness_agrees_with_the_table() {
    // (case, rust-toolchain.toml's [toolchain], the lock's [crossflake], the fields that differ)
    let rows: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            "the same request",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            vec![],
        ),
        (
            "the same lists in another order",
            "channel = \"1.95.0\"\ncomponents = [\"rustfmt\", \"clippy\"]\ntargets = [\"wasm32-wasip1\", \"aarch64-unknown-linux-musl\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\", \"rustfmt\"]\ntargets = [\"aarch64-unknown-linux-musl\", \"wasm32-wasip1\"]",
            vec![],
        ),
        (
            "a new target",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\", \"aarch64-unknown-linux-musl\"]",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"wasm32-wasip1\"]",
            vec!["targets"],
        ),
        (
            "another channel",
            "channel = \"1.96.0\"\ncomponents = [\"clippy\"]\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = []",
            vec!["channel"],
        ),
        (
            "a profile added",
            "channel = \"1.95.0\"\nprofile = \"default\"\ncomponents = []\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = []\ntargets = []",
            vec!["profile"],
        ),
        (
            "a component and a target removed",
            "channel = \"1.95.0\"\ncomponents = []\ntargets = []",
            "channel = \"1.95.0\"\ncomponents = [\"rust-src\"]\ntargets = [\"x86_64-unknown-linux-musl\"]",
            vec!["components", "targets"],
        ),
    ];
    for (case, toolchain, made, want) in &rows {
        let p = TempProject::with(&[
            (
                "Cargo.toml",
                "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
            ),
            (
                "rust-toolchain.toml",
                &format!("[toolchain]\n{toolchain}\n"),
            ),
            (
                "rust-toolchain.lock.toml",
                &format!("[crossflake]\n{made}\n"),
            ),
        ]);
        // the CLI: its diff's changed lines name the fields
        let out = p.cmd(&["toolchain", "lock", "--check"]).output().unwrap();
        let mut cli: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| {
                (l.starts_with('-') || l.starts_with('+'))
                    && !l.starts_with("---")
                    && !l.starts_with("+++")
            })
            .filter_map(|l| l[1..].split(" = ").next().map(str::to_string))
            .collect();
        cli.sort();
        cli.dedup();
        assert_eq!(
            out.status.success(),
            want.is_empty(),
            "CLI, {case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(cli, *want, "CLI, {case}");
        // Nix: lockCheck's message names the fields
        let nix = nix_eval(&format!(
            "p.lockCheck {{ lock = builtins.fromTOML {}; toolchain = (builtins.fromTOML {}).toolchain; }}",
            nix_str(&format!("[crossflake]\n{made}\n")),
            nix_str(&format!("[toolchain]\n{toolchain}\n"))
        ));
        match nix {
            Ok(v) => assert!(want.is_empty() && v == json!(true), "Nix, {case}: {v}"),
            Err(e) => {
                let mut fields: Vec<&str> = ["channel", "profile", "components", "targets"]
                    .into_iter()
                    .filter(|f| e.contains(&format!("{f}: lock has")))
                    .collect();
                fields.sort();
                assert_eq!(fields, *want, "Nix, {case}: {e}");
            }
        }
    }
}
