//! `crossflake internal`: the answers the CLI and the Nix library must agree on, as JSON in
//! the Nix library's shapes, for tests/cli/consistency/ (hidden from `--help`).

use anyhow::Result;
use serde_json::{Value, json};

use crate::catalog::{TargetSpec, catalog};
use crate::cdeps::{LockedCrates, needed_tools};
use crate::cli::{InternalAction, InternalArgs};
use crate::pipeline::{self, HostTargets};
use crate::project::{ManifestKind, Project, ProjectConfig};

/// Runs `crossflake internal ...`.
pub fn run(args: InternalArgs) -> Result<()> {
    let out = match args.action {
        InternalAction::Config { manifest } => {
            let project = Project::load(manifest.manifest_path.as_deref())?;
            config_json(&project)?
        }
        InternalAction::BuildTools { lock } => {
            json!(needed_tools(&LockedCrates::read_file(&lock)?))
        }
        InternalAction::Resolve { names } => Value::Array(
            names
                .iter()
                .map(|n| catalog().resolve(n).map(|s| spec_json(&s)))
                .collect::<Result<_>>()?,
        ),
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// A target spec in resolveTarget's shape (nix/resolveTarget.nix).
fn spec_json(s: &TargetSpec) -> Value {
    json!({
        "alias": s.alias,
        "written": s.written,
        "triple": s.target().triple,
        "cargoTarget": s.cargo_target(),
        "zigTarget": s.zig_target(),
        "glibc": s.glibc,
        "glibcGiven": s.glibc_given,
    })
}

/// The project in projectConfig's shape, with hostOutputs' answer for every host system.
///
/// Errors: the metadata table is missing (the flake needs it) or wrong (see
/// [`Project::config`]).
fn config_json(project: &Project) -> Result<Value> {
    let Some(config) = project.config()? else {
        anyhow::bail!(
            "{} has no [{}] table; run `crossflake init` to add one",
            project.manifest_path.display(),
            project.metadata_key()
        );
    };
    let hosts: serde_json::Map<String, Value> = catalog()
        .hosts
        .keys()
        .map(|h| (h.clone(), host_outputs(&config, h)))
        .collect();
    Ok(json!({
        "kind": match project.kind {
            ManifestKind::VirtualWorkspace => "virtual-workspace",
            _ => "package",
        },
        "metadataKey": project.metadata_key(),
        "packageName": project.package_name(),
        "targets": config.targets.iter().map(spec_json).collect::<Vec<_>>(),
        "image": config.image.as_ref().map(|i| json!({
            "name": i.name, "entrypoint": i.entrypoint, "caBundle": i.ca_bundle,
        })),
        "profile": pipeline::profile(Some(project), None, false),
        "hosts": hosts,
    }))
}

/// What the flake gives `host` (nix/hostOutputs.nix): the split `dist`, `oci build` and the
/// building verbs use ([`HostTargets`]) and the flake's package names from it.
fn host_outputs(config: &ProjectConfig, host: &str) -> Value {
    let split = HostTargets::split(&config.targets, host);
    let image = config.image.is_some();
    json!({
        "build": split.build.iter().map(|s| &s.alias).collect::<Vec<_>>(),
        "skipped": split.skipped.iter().map(|(s, reason)| json!({ "alias": s.alias, "reason": reason })).collect::<Vec<_>>(),
        "oci": if image { split.images().iter().map(|s| s.alias.clone()).collect() } else { Vec::<String>::new() },
        "packageNames": split.flake_packages(image),
    })
}
