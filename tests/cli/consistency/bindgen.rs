//! bindgen's arguments, the same from the CLI and from the flake's shell code.

use std::process::Command;

use serde_json::Value;

use super::{nix_eval, nix_str};
use crate::support::{TempProject, repo, require_tool};

/// bindgen's view of a target's C headers: the BINDGEN_EXTRA_CLANG_ARGS_<triple> that
/// nix/bindgen-args.sh exports (given resolveTarget's triple and zig target) is the one
/// `crossflake env` prints for a project whose Cargo.lock has bindgen, with the same zig.
#[test]
fn bindgen_args_agree_between_the_cli_and_the_nix_shell_code() {
    let python = require_tool("python3", "apt-get install python3");
    let found = Command::new(&python)
        .args(["-c", "import ziglang"])
        .status()
        .unwrap();
    assert!(found.success(), "zig is missing: pip install ziglang");
    let p = TempProject::with(&[
        (
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n\n[package.metadata.crossflake]\nschema = 1\n",
        ),
        (
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"bindgen\"]\n\n[[package]]\nname = \"bindgen\"\nversion = \"0.72.0\"\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    // one zig for both sides, first on PATH
    let bin = p.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    p.write(
        "bin/zig",
        &format!("#!/bin/sh\nexec {} -m ziglang \"$@\"\n", python.display()),
    );
    std::fs::set_permissions(
        bin.join("zig"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for written in ["aarch64-musl", "x86_64-unknown-linux-gnu.2.17"] {
        let spec = nix_eval(&format!("p.resolveTarget {}", nix_str(written))).unwrap();
        let (triple, zig_target) = (
            spec["triple"].as_str().unwrap(),
            spec["zigTarget"].as_str().unwrap(),
        );
        let var = format!("BINDGEN_EXTRA_CLANG_ARGS_{}", triple.replace('-', "_"));
        let out = Command::new("bash")
            .args([
                "-c",
                "source \"$1\" && crossflakeBindgenArgs \"$2\" \"$3\" && printenv \"$4\"",
                "bash",
            ])
            .arg(repo().join("nix/bindgen-args.sh"))
            .args([triple, zig_target, &var])
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{written}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let nix = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            nix.starts_with("-nostdlibinc -isystem ") && nix.contains("/libc/include/"),
            "{written}: {nix}"
        );
        let cli = p
            .cmd(&["env", "--json", "--target", written])
            .env("PATH", &path)
            .env("CROSSFLAKE_CACHE_DIR", p.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let recipe: Value = serde_json::from_slice(&cli.stdout).unwrap();
        let got = recipe["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == var.as_str())
            .unwrap_or_else(|| panic!("{written}: `crossflake env` has no {var}"));
        assert_eq!(got["value"].as_str(), Some(nix.as_str()), "{written}");
    }
}
