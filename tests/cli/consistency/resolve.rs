//! Target resolution, the same on both sides.

use serde_json::{Value, json};

use super::{Want, check_row, cli_json, nix_eval, nix_str};
use crate::support::TempProject;

/// Target resolution: Catalog::resolve (`crossflake internal resolve`) and resolveTarget give
/// the values written here for every alias and triple of the catalog, with and without a glibc
/// floor, and refuse the same names with the same messages.
#[test]
fn target_resolution_agrees_with_the_table() {
    let spec = |alias: &str, triple: &str, cargo: &str, zig: Value, glibc: Value| json!({ "alias": alias, "triple": triple, "cargoTarget": cargo, "zigTarget": zig, "glibc": glibc });
    let none = Value::Null;
    let rows: Vec<(&str, Want)> = vec![
        (
            "x86_64-musl",
            Want::Fields(spec(
                "x86_64-musl",
                "x86_64-unknown-linux-musl",
                "x86_64-unknown-linux-musl",
                json!("x86_64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "x86_64-unknown-linux-musl",
            Want::Fields(spec(
                "x86_64-musl",
                "x86_64-unknown-linux-musl",
                "x86_64-unknown-linux-musl",
                json!("x86_64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "aarch64-musl",
            Want::Fields(spec(
                "aarch64-musl",
                "aarch64-unknown-linux-musl",
                "aarch64-unknown-linux-musl",
                json!("aarch64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "aarch64-unknown-linux-musl",
            Want::Fields(spec(
                "aarch64-musl",
                "aarch64-unknown-linux-musl",
                "aarch64-unknown-linux-musl",
                json!("aarch64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "armv7-musl",
            Want::Fields(spec(
                "armv7-musl",
                "armv7-unknown-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
                json!("arm-linux-musleabihf"),
                none.clone(),
            )),
        ),
        (
            "armv7-unknown-linux-musleabihf",
            Want::Fields(spec(
                "armv7-musl",
                "armv7-unknown-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
                json!("arm-linux-musleabihf"),
                none.clone(),
            )),
        ),
        (
            "riscv64-musl",
            Want::Fields(spec(
                "riscv64-musl",
                "riscv64gc-unknown-linux-musl",
                "riscv64gc-unknown-linux-musl",
                json!("riscv64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "riscv64gc-unknown-linux-musl",
            Want::Fields(spec(
                "riscv64-musl",
                "riscv64gc-unknown-linux-musl",
                "riscv64gc-unknown-linux-musl",
                json!("riscv64-linux-musl"),
                none.clone(),
            )),
        ),
        (
            "x86_64-gnu",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.17",
                json!("x86_64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-unknown-linux-gnu",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.17",
                json!("x86_64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-gnu.2.28",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.28",
                json!("x86_64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "x86_64-unknown-linux-gnu.2.31",
            Want::Fields(spec(
                "x86_64-gnu",
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-gnu.2.31",
                json!("x86_64-linux-gnu.2.31"),
                json!("2.31"),
            )),
        ),
        (
            "aarch64-gnu",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.28",
                json!("aarch64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "aarch64-unknown-linux-gnu",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.28",
                json!("aarch64-linux-gnu.2.28"),
                json!("2.28"),
            )),
        ),
        (
            "aarch64-unknown-linux-gnu.2.17",
            Want::Fields(spec(
                "aarch64-gnu",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu.2.17",
                json!("aarch64-linux-gnu.2.17"),
                json!("2.17"),
            )),
        ),
        (
            "x86_64-windows",
            Want::Fields(spec(
                "x86_64-windows",
                "x86_64-pc-windows-gnu",
                "x86_64-pc-windows-gnu",
                json!("x86_64-windows-gnu"),
                none.clone(),
            )),
        ),
        (
            "x86_64-pc-windows-gnu",
            Want::Fields(spec(
                "x86_64-windows",
                "x86_64-pc-windows-gnu",
                "x86_64-pc-windows-gnu",
                json!("x86_64-windows-gnu"),
                none.clone(),
            )),
        ),
        (
            "wasm32-wasip1",
            Want::Fields(spec(
                "wasm32-wasip1",
                "wasm32-wasip1",
                "wasm32-wasip1",
                json!("wasm32-wasi"),
                none.clone(),
            )),
        ),
        (
            "aarch64-darwin",
            Want::Fields(spec(
                "aarch64-darwin",
                "aarch64-apple-darwin",
                "aarch64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "aarch64-apple-darwin",
            Want::Fields(spec(
                "aarch64-darwin",
                "aarch64-apple-darwin",
                "aarch64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "x86_64-darwin",
            Want::Fields(spec(
                "x86_64-darwin",
                "x86_64-apple-darwin",
                "x86_64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "x86_64-apple-darwin",
            Want::Fields(spec(
                "x86_64-darwin",
                "x86_64-apple-darwin",
                "x86_64-apple-darwin",
                none.clone(),
                none.clone(),
            )),
        ),
        (
            "arm64-musl",
            Want::Error(
                "unknown target `arm64-musl`; valid targets: aarch64-darwin, aarch64-gnu, aarch64-musl, armv7-musl, riscv64-musl, wasm32-wasip1, x86_64-darwin, x86_64-gnu, x86_64-musl, x86_64-windows (or their triples; gnu triples take a glibc floor as in x86_64-unknown-linux-gnu.2.17)",
            ),
        ),
        (
            "aarch64-musl.2.17",
            Want::Error(
                "`aarch64-musl.2.17`: a glibc floor suffix (.2.17) applies only to glibc targets, and aarch64-musl (aarch64-unknown-linux-musl) links musl; drop the suffix",
            ),
        ),
        (
            "x86_64-gnu.two",
            Want::Error("`x86_64-gnu.two`: the glibc floor `two` is not a version like 2.17"),
        ),
        (
            "x86_64-unknown-linux-gnu.2.12",
            Want::Error(
                "`x86_64-unknown-linux-gnu.2.12`: glibc 2.12 is below the oldest floor x86_64-unknown-linux-gnu supports (2.17); use x86_64-unknown-linux-gnu.2.17 or newer",
            ),
        ),
    ];
    // every alias and every triple of the catalog has a row
    let names: Vec<&str> = rows.iter().map(|(n, _)| *n).collect();
    let catalog: toml_edit::DocumentMut =
        std::fs::read_to_string(crate::support::repo().join("targets.toml"))
            .unwrap()
            .parse()
            .unwrap();
    for (alias, t) in catalog["targets"].as_table().unwrap().iter() {
        assert!(names.contains(&alias), "no row for {alias}");
        let triple = t["triple"].as_str().unwrap();
        assert!(names.contains(&triple), "no row for {triple}");
    }
    let p = TempProject::empty();
    for (name, want) in &rows {
        let cli = cli_json(&p, &["internal", "resolve", name]).map(|v| v[0].clone());
        check_row("crossflake internal resolve", name, &cli, want);
        let nix = nix_eval(&format!(
            "let s = p.resolveTarget {}; in {{ inherit (s) alias triple cargoTarget zigTarget glibc; }}",
            nix_str(name)
        ));
        check_row("resolveTarget", name, &nix, want);
    }
}
