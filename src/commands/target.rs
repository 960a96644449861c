//! `crossflake target add|remove`: edit the metadata table and rust-toolchain.toml together.

use anyhow::{Context, Result, bail};

use crate::catalog::{TargetSpec, catalog};
use crate::cli::{TargetAction, TargetArgs};
use crate::plan::Plan;
use crate::project::Project;
use crate::{lock, toolchain};

/// Runs `crossflake target add|remove`.
pub fn run(args: TargetArgs) -> Result<()> {
    let (edit, add) = match args.action {
        TargetAction::Add(e) => (e, true),
        TargetAction::Remove(e) => (e, false),
    };
    let mut project = Project::load(edit.manifest_path.as_deref())?;
    let mut targets = project.targets()?.with_context(|| {
        format!(
            "{} has no [{}] table; run `crossflake init` first",
            project.manifest_path.display(),
            project.metadata_key()
        )
    })?;
    let given: Vec<TargetSpec> = edit
        .targets
        .iter()
        .map(|t| catalog().resolve(t))
        .collect::<Result<_>>()?;
    if add {
        crate::project::merge_targets(&mut targets, given);
    } else {
        for g in &given {
            if !targets.iter().any(|t| t.alias == g.alias) {
                bail!(
                    "{} is not among the project's targets ({}) in {}",
                    g.written,
                    targets
                        .iter()
                        .map(|t| t.written.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    project.manifest_path.display()
                );
            }
        }
        targets.retain(|t| !given.iter().any(|g| g.alias == t.alias));
    }
    let written: Vec<String> = targets.iter().map(|t| t.written.clone()).collect();
    project.set_targets(&written, super::init::ADDED_BY)?;
    let mut plan = Plan::new();
    plan.write(&project.manifest_path, project.text())?;
    toolchain::plan_file(
        &mut plan,
        &project.root,
        None,
        &targets,
        super::init::ADDED_BY,
    )?;
    lock::plan_update(&mut plan, &project.root)?;
    super::finish(plan, &project.root, edit.dry_run)
}
