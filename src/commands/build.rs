//! `crossflake build`: the flake's recipe, run outside Nix.

use std::time::Instant;

use anyhow::{Context, Result};

use crate::catalog::catalog;
use crate::cli::BuildArgs;
use crate::prepare::{self, check_buildable, default_profile, project_targets};
use crate::project::Project;
use crate::recipe::RecipeOptions;
use crate::tools;

/// Runs `crossflake build`.
pub fn run(args: BuildArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let specs = project_targets(&project, &args.targets)?;
    let host = catalog().current_host()?.to_string();
    check_buildable(&specs, &host)?;
    let profile = if args.release {
        "release".to_string()
    } else {
        args.profile
            .clone()
            .unwrap_or_else(|| default_profile(Some(&project.manifest_path)))
    };
    let mut missing = Vec::new();
    for s in &specs {
        for m in tools::missing_for(s, &host, args.build_std, false, &project.root) {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
    }
    tools::require(&missing, "building")?;
    let c_deps = super::doctor::preflight(&project, &specs, &host, &args.cargo_args)?;

    for spec in &specs {
        let mut prepared = prepare::recipe(
            spec,
            &host,
            &RecipeOptions {
                profile: profile.clone(),
                build_std: args.build_std,
            },
        )?;
        prepared.add_env(c_deps.env_for(spec));
        eprintln!(
            "crossflake: building {} ({}): {}",
            spec.alias,
            spec.cargo_target(),
            prepared.recipe.command.join(" ")
        );
        let start = Instant::now();
        let artifacts = prepared
            .run_cargo(false, &project, &args.cargo_args)
            .with_context(|| format!("failed to build {}", spec.alias))?;
        let secs = start.elapsed().as_secs_f64();
        let list: Vec<String> = artifacts.iter().map(|p| p.display().to_string()).collect();
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
    Ok(())
}
