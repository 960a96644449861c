//! `crossflake init`: add crossflake to a Cargo package or workspace.

use anyhow::Result;

use crate::cli::InitArgs;
use crate::plan::Plan;
use crate::project::Project;
use crate::scaffold::{self, Setup};

/// Runs `crossflake init`.
pub fn run(args: InitArgs) -> Result<()> {
    let _lock = crate::project::lock_for_writing(
        args.manifest.manifest_path.as_deref(),
        args.options.dry_run.dry_run,
    )?;
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    let mut plan = Plan::new();
    scaffold::plan_init(
        &mut plan,
        &project.manifest_path,
        &Setup::from_args(&args.options)?,
    )?;
    plan.finish(&project.root, args.options.dry_run.dry_run)
}
