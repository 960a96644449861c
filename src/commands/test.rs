//! `crossflake test`: cargo test for a target under the host's runner.

use anyhow::Result;

use crate::catalog::{RunnerChoice, TargetSpec, catalog};
use crate::cli::TestArgs;
use crate::prepare::{self, check_buildable, default_profile};
use crate::project::Project;
use crate::recipe::RecipeOptions;
use crate::tools;

/// Runs `crossflake test`.
pub fn run(args: TestArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let spec = catalog().resolve(&args.target)?;
    let host = catalog().current_host()?.to_string();
    check_buildable(std::slice::from_ref(&spec), &host)?;
    if let Some(line) = skipped(&spec, &host) {
        eprintln!("{line}");
        return Ok(());
    }
    tools::require(
        &tools::missing_for(&spec, &host, args.build_std, true, &project.root),
        "testing",
    )?;
    let c_deps = super::doctor::preflight(
        &project,
        std::slice::from_ref(&spec),
        &host,
        &args.cargo_args,
    )?;
    let profile = args
        .profile
        .clone()
        .unwrap_or_else(|| default_profile(Some(&project.manifest_path)));
    let mut prepared = prepare::recipe(
        &spec,
        &host,
        &RecipeOptions {
            profile,
            build_std: args.build_std,
        },
    )?;
    prepared.add_env(c_deps.env_for(&spec));
    // the same paths as `crossflake build`, so a test run reuses what the build compiled
    prepared.remap_paths(&prepare::PathMap::for_project(&project.root));
    eprintln!(
        "crossflake: testing {} under {}: {}",
        spec.alias,
        prepared.recipe.runner.label(),
        prepared.recipe.test_command.join(" ")
    );
    let start = std::time::Instant::now();
    prepared.run_cargo(true, &project, &args.cargo_args)?;
    eprintln!(
        "crossflake: tests for {} passed in {:.1} s",
        spec.alias,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The line `crossflake test` prints, and exits 0 with, when `host` has no way to run
/// `spec`'s executables; `None` when it has one.
fn skipped(spec: &TargetSpec, host: &str) -> Option<String> {
    match catalog().runner_for(spec.target(), host) {
        RunnerChoice::Unavailable { reason } => Some(format!(
            "crossflake: SKIPPED tests for {} on {host}: {reason}",
            spec.alias
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_with_no_runner_on_the_host_are_reported_skipped_with_the_reason() {
        let windows = catalog().resolve("x86_64-windows").unwrap();
        assert_eq!(
            skipped(&windows, "aarch64-linux").as_deref(),
            Some(
                "crossflake: SKIPPED tests for x86_64-windows on aarch64-linux: wine is needed to \
                 run x86_64-pc-windows-gnu binaries and exists only on x86_64-linux, x86_64-darwin"
            )
        );
        let musl = catalog().resolve("aarch64-musl").unwrap();
        assert!(skipped(&musl, "x86_64-darwin").is_some_and(|l| l.contains(
            "qemu-user is needed to run aarch64-unknown-linux-musl binaries and exists only on x86_64-linux, aarch64-linux"
        )));
        assert_eq!(skipped(&windows, "x86_64-linux"), None);
    }
}
