//! `crossflake ci`: write the project's CI pipeline, or check it is current.

use anyhow::Result;

use crate::ci::{self, Options};
use crate::cli::CiArgs;
use crate::project::Project;

/// Runs `crossflake ci`; returns the exit status: 0 written or current, 1 stale (`--check`).
pub fn run(args: CiArgs) -> Result<i32> {
    let _lock = crate::project::lock_for_writing(
        args.manifest.manifest_path.as_deref(),
        args.dry_run.dry_run || args.check.check,
    )?;
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    let opts = Options {
        no_nix: args.no_nix,
        force: args.force.force || args.check.check,
    };
    let (path, plan) = ci::plan(&project, opts)?;
    let shown = ci::shown(&path, &project.root);
    if args.check.check {
        if plan.is_empty() {
            eprintln!("{shown} is up to date");
            return Ok(0);
        }
        print!("{}", plan.diff(&project.root));
        eprintln!(
            "{shown} is out of date: run `crossflake ci{}` and commit it",
            if args.no_nix { " --no-nix" } else { "" }
        );
        return Ok(1);
    }
    plan.finish(&project.root, args.dry_run.dry_run)?;
    Ok(0)
}
