//! `crossflake target add|remove`: edit the metadata table and rust-toolchain.toml together.

use anyhow::Result;

use crate::cli::{TargetAction, TargetArgs};
use crate::project::Project;
use crate::scaffold;

/// Runs `crossflake target add|remove`.
pub fn run(args: TargetArgs) -> Result<()> {
    let (edit, add) = match args.action {
        TargetAction::Add(e) => (e, true),
        TargetAction::Remove(e) => (e, false),
    };
    let _lock = crate::project::lock_for_writing(
        edit.manifest.manifest_path.as_deref(),
        edit.dry_run.dry_run,
    )?;
    let mut project = Project::load(edit.manifest.manifest_path.as_deref())?;
    let plan = scaffold::plan_targets(&mut project, &edit.targets, add)?;
    plan.finish(&project.root, edit.dry_run.dry_run)
}
