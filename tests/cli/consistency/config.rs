//! The project's settings, its profile and each host's outputs, the same on both sides.

use serde_json::json;

use super::{Want, check_row, cli_json, nix_eval, nix_str};
use crate::support::TempProject;

/// The project's settings and each host's outputs: Project::config with the host rule
/// (`crossflake internal config`) and projectConfig with hostOutputs give the values written
/// here for packages, workspaces and edge cases, and refuse the same manifests with the same
/// messages.
#[test]
fn project_config_and_host_outputs_agree_with_the_table() {
    let rows: Vec<(&str, &str, Want)> = vec![
        (
            "a package with every kind of target, an image and the crossflake profile",
            "[package]\nname = \"server\"\nversion = \"0.1.0\"\n\n[package.metadata.crossflake]\nschema = 1\n\
             targets = [\"aarch64-musl\", \"x86_64-unknown-linux-gnu.2.28\", \"wasm32-wasip1\", \"aarch64-darwin\"]\n\n\
             [package.metadata.crossflake.image]\nname = \"ghcr.io/me/server\"\nca-bundle = true\n\n\
             [profile.crossflake]\ninherits = \"release\"\n",
            Want::Fields(json!({
                "kind": "package",
                "metadataKey": "package.metadata.crossflake",
                "packageName": "server",
                "image": { "name": "ghcr.io/me/server", "entrypoint": "server", "caBundle": true },
                "profile": "crossflake",
                "hosts": {
                    "x86_64-linux": {
                        "build": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1"],
                        "skipped": [{ "alias": "aarch64-darwin", "reason": "aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin" }],
                        "oci": ["aarch64-musl"],
                        "packageNames": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-musl-oci", "oci", "dist"],
                    },
                    "aarch64-darwin": {
                        "build": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-darwin"],
                        "skipped": [],
                        "packageNames": ["aarch64-musl", "x86_64-gnu", "wasm32-wasip1", "aarch64-darwin", "aarch64-musl-oci", "oci", "dist"],
                    },
                },
            })),
        ),
        (
            "a virtual workspace: image defaults with no package name, release profile",
            "[workspace]\nmembers = [\"crates/app\"]\n\n[workspace.metadata.crossflake]\nschema = 1\n\
             targets = [\"x86_64-musl\"]\n\n[workspace.metadata.crossflake.image]\n",
            Want::Fields(json!({
                "kind": "virtual-workspace",
                "metadataKey": "workspace.metadata.crossflake",
                "packageName": null,
                "image": { "name": "app", "entrypoint": "app", "caBundle": false },
                "profile": "release",
                "hosts": { "x86_64-linux": { "packageNames": ["x86_64-musl", "x86_64-musl-oci", "oci", "dist"] } },
            })),
        ),
        (
            "a virtual workspace with the crossflake profile builds with it",
            "[workspace]\nmembers = [\"crates/app\"]\n\n[workspace.metadata.crossflake]\nschema = 1\n\
             targets = [\"aarch64-musl\"]\n\n[profile.crossflake]\ninherits = \"release\"\nlto = true\n",
            Want::Fields(json!({ "kind": "virtual-workspace", "profile": "crossflake" })),
        ),
        (
            "a package whose first [[bin]] is the entrypoint; no image, no OCI outputs",
            "[package]\nname = \"tools\"\nversion = \"1.0.0\"\n\n[[bin]]\nname = \"tool-a\"\npath = \"src/a.rs\"\n\n\
             [package.metadata.crossflake]\nschema = 1\ntargets = [\"x86_64-windows\", \"riscv64gc-unknown-linux-musl\"]\n",
            Want::Fields(json!({
                "image": null,
                "hosts": { "aarch64-linux": { "oci": [], "packageNames": ["x86_64-windows", "riscv64-musl", "dist"] } },
            })),
        ),
        (
            "only a darwin target: nothing to build or ship on linux",
            "[package]\nname = \"mac\"\nversion = \"1.0.0\"\n\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-darwin\"]\n",
            Want::Fields(json!({
                "hosts": { "x86_64-linux": { "build": [], "packageNames": [] } },
            })),
        ),
        (
            "an image table names the [[bin]] when it has no entrypoint",
            "[package]\nname = \"tools\"\nversion = \"1.0.0\"\n\n[[bin]]\nname = \"tool-a\"\npath = \"src/a.rs\"\n\n\
             [package.metadata.crossflake]\nschema = 1\ntargets = [\"armv7-musl\"]\n\n[package.metadata.crossflake.image]\nname = \"t\"\n",
            Want::Fields(
                json!({ "image": { "name": "t", "entrypoint": "tool-a", "caBundle": false } }),
            ),
        ),
        (
            "the ci, cache and sccache tables are the CLI's: both sides take them and build as without",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-musl\"]\n\
             [package.metadata.crossflake.ci]\nmacos = false\n[package.metadata.crossflake.cache]\nkind = \"http\"\nurl = \"https://nix.example.org\"\n\
             public-key = \"k-1:Gt35ybLEj/QrvSRmVUDRFcAdK7ieMaQVXaeDiXS2R9I=\"\n\
             [package.metadata.crossflake.sccache]\nbackend = \"redis\"\nendpoint = \"redis://127.0.0.1:6379\"\n",
            Want::Fields(json!({
                "image": null,
                "hosts": { "x86_64-linux": { "packageNames": ["aarch64-musl", "dist"] } },
            })),
        ),
        (
            "the same triple twice",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\n\
             targets = [\"x86_64-gnu\", \"x86_64-unknown-linux-gnu.2.31\"]\n",
            Want::Error(
                "package.metadata.crossflake.targets[1]: `x86_64-unknown-linux-gnu.2.31` is the same target as targets[0] `x86_64-gnu` (x86_64-unknown-linux-gnu); list each target once",
            ),
        ),
        (
            "an unknown key",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\ntarget = []\n",
            Want::Error(
                "package.metadata.crossflake.target: unknown key; package.metadata.crossflake takes schema, targets, image, ci, cache and sccache",
            ),
        ),
        (
            "an unknown image key",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\n[package.metadata.crossflake.image]\ntag = \"x\"\n",
            Want::Error(
                "package.metadata.crossflake.image.tag: unknown key; the image table takes name, entrypoint and ca-bundle",
            ),
        ),
        (
            "a schema this crossflake does not read",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 2\n",
            Want::Error(
                "package.metadata.crossflake.schema: schema 2 is not one this crossflake reads (it reads schema 1)",
            ),
        ),
        (
            "no metadata table",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
            Want::Error(
                "has no [package.metadata.crossflake] table; run `crossflake init` to add one",
            ),
        ),
        (
            "targets that are not an array",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.crossflake]\nschema = 1\ntargets = \"aarch64-musl\"\n",
            Want::Error("package.metadata.crossflake.targets: must be an array of target names"),
        ),
    ];
    for (row, manifest, want) in &rows {
        let p = TempProject::with(&[("Cargo.toml", manifest)]);
        let cli = cli_json(&p, &["internal", "config"]);
        check_row("crossflake internal config", row, &cli, want);
        let nix = nix_eval(&format!(
            "let c = p.projectConfig {{ cargoToml = builtins.fromTOML {}; }};
                 spec = s: {{ inherit (s) alias written triple cargoTarget zigTarget glibc glibcGiven; }};
             in {{
               inherit (c) kind metadataKey packageName image profile;
               targets = map spec c.targets;
               hosts = builtins.listToAttrs (map (host: {{
                 name = host;
                 value = let o = p.hostOutputs {{ config = c; inherit host; }}; in {{
                   inherit (o) skipped packageNames;
                   build = map (s: s.alias) o.build;
                   oci = map (s: s.alias) o.oci;
                 }};
               }}) (builtins.attrNames p.catalog.hosts));
             }}",
            nix_str(manifest)
        ));
        check_row("projectConfig/hostOutputs", row, &nix, want);
    }
}
