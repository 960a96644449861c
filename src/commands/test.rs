//! `crossflake test`: cargo test for a target under the host's runner.

use anyhow::Result;

use crate::catalog::{RunnerChoice, catalog};
use crate::cli::TestArgs;
use crate::project::Project;
use crate::recipe::{self, RecipeOptions};
use crate::tools;

/// Runs `crossflake test`.
pub fn run(args: TestArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let spec = catalog().resolve(&args.target)?;
    let host = catalog().current_host()?.to_string();
    super::build::check_buildable(std::slice::from_ref(&spec), &host)?;
    if let RunnerChoice::Unavailable { reason } = catalog().runner_for(spec.target(), &host) {
        eprintln!(
            "crossflake: SKIPPED tests for {} on {host}: {reason}",
            spec.alias
        );
        return Ok(());
    }
    tools::require(
        &tools::missing_for(&spec, &host, args.build_std, true, &project.root),
        "testing",
    )?;
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| super::build::default_profile(Some(&project.manifest_path)));
    let paths = tools::tool_paths(&spec, &host);
    let recipe = recipe::derive(
        &spec,
        &host,
        &RecipeOptions {
            profile,
            build_std: args.build_std,
        },
        &paths,
    )?;
    tools::materialize(&recipe, &paths)?;
    eprintln!(
        "crossflake: testing {} under {}: {}",
        spec.alias,
        recipe.runner.label(),
        recipe.test_command.join(" ")
    );
    let start = std::time::Instant::now();
    super::build::run_cargo(&recipe, &paths, true, &project, &args.cargo_args)?;
    eprintln!(
        "crossflake: tests for {} passed in {:.1} s",
        spec.alias,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
