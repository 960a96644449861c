//! `crossflake build`: the flake's recipe, run outside Nix.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::catalog::{TargetSpec, catalog};
use crate::cli::BuildArgs;
use crate::prepare::{
    self, Artifact, PathMap, Prepared, check_buildable, default_profile, project_targets,
};
use crate::project::Project;
use crate::recipe::RecipeOptions;
use crate::tools;

/// Runs `crossflake build`.
pub fn run(args: BuildArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let specs = project_targets(&project, &args.targets)?;
    let profile = if args.release {
        "release".to_string()
    } else {
        args.profile
            .clone()
            .unwrap_or_else(|| default_profile(Some(&project.manifest_path)))
    };
    build(
        &project,
        &specs,
        &profile,
        args.build_std,
        false,
        &args.cargo_args,
    )?;
    Ok(())
}

/// Builds `specs` with the recipe: checks that this host can build them and has the tools,
/// runs the Cargo.lock preflight, then runs cargo once for each group of targets that can
/// share a run ([`Prepared::merge`]), printing a start and an end line per target on stderr.
/// With `auditable`, cargo runs as `cargo auditable SUBCOMMAND`, which embeds the dependency
/// tree in each binary (cargo-auditable's `.dep-v0` section, read by rust-audit-info).
/// Returns, per target (in `specs` order), the executables cargo built for it.
///
/// Errors: a target this host cannot build, a missing tool, a C dependency the target cannot
/// build (each naming the fix), or a failed cargo run.
pub fn build(
    project: &Project,
    specs: &[TargetSpec],
    profile: &str,
    build_std: bool,
    auditable: bool,
    cargo_args: &[String],
) -> Result<Vec<(TargetSpec, Vec<Artifact>)>> {
    let host = catalog().current_host()?.to_string();
    check_buildable(specs, &host)?;
    let mut missing = Vec::new();
    for s in specs {
        for m in tools::missing_for(s, &host, build_std, false, &project.root) {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
    }
    if auditable && which::which("cargo-auditable").is_err() {
        missing.push(tools::Missing {
            what: "cargo-auditable".into(),
            install: "cargo install --locked cargo-auditable (0.7.3 or newer: older ones pass zig a linker flag it rejects), or pass --no-audit".into(),
        });
    }
    tools::require(&missing, "building")?;
    let c_deps = super::doctor::preflight(project, specs, &host, cargo_args)?;

    let paths = PathMap::for_project(&project.root);
    let mut prepared = Vec::new();
    for spec in specs {
        let mut p = prepare::recipe(
            spec,
            &host,
            &RecipeOptions {
                profile: profile.to_string(),
                build_std,
            },
        )?;
        p.add_env(c_deps.env_for(spec));
        p.remap_paths(&paths);
        if auditable && p.recipe.command.first().is_some_and(|c| c == "cargo") {
            p.recipe.command.insert(1, "auditable".into());
        }
        prepared.push(p);
    }
    let mut built: Vec<(TargetSpec, Vec<Artifact>)> =
        specs.iter().map(|s| (s.clone(), Vec::new())).collect();
    for (members, group) in Prepared::merge(prepared) {
        let aliases = group.recipe.alias.clone();
        for alias in aliases.split(' ') {
            eprintln!(
                "crossflake: building {alias}{}: {}",
                if aliases.contains(' ') {
                    format!(" (one cargo run for {aliases})")
                } else {
                    String::new()
                },
                group.recipe.command.join(" ")
            );
        }
        let start = Instant::now();
        let artifacts = group
            .run_cargo(false, project, cargo_args)
            .with_context(|| format!("failed to build {aliases}"))?;
        let secs = start.elapsed().as_secs_f64();
        for i in members {
            let (spec, out) = &mut built[i];
            let triple = spec.target().triple.as_str();
            // cargo puts a target's executables in <target-dir>/<triple>/<profile>/
            out.extend(
                artifacts
                    .iter()
                    .filter(|a| {
                        a.path
                            .parent()
                            .and_then(Path::parent)
                            .and_then(Path::file_name)
                            .is_some_and(|n| n == triple)
                    })
                    .cloned(),
            );
            let list: Vec<String> = out.iter().map(|a| a.path.display().to_string()).collect();
            eprintln!(
                "crossflake: built {} in {secs:.1} s{}",
                spec.alias,
                if list.is_empty() {
                    String::new()
                } else {
                    format!(": {}", list.join(" "))
                }
            );
        }
    }
    Ok(built)
}
