//! `crossflake cache set|unset`: the project's binary cache, in its metadata and its flake.nix.

use anyhow::Result;

use crate::cache::Cache;
use crate::cli::{CacheAction, CacheArgs};
use crate::project::Project;
use crate::scaffold;

/// Runs `crossflake cache`.
pub fn run(args: CacheArgs) -> Result<()> {
    let (manifest, dry_run, force, cache) = match &args.action {
        CacheAction::Set(a) => (
            &a.manifest,
            a.dry_run.dry_run,
            a.force.force,
            Some(Cache::new(
                &a.kind,
                &a.url,
                &a.public_key,
                a.secret.as_deref(),
                &|k| format!("--{k}"),
            )?),
        ),
        CacheAction::Unset(a) => (&a.manifest, a.dry_run.dry_run, a.force.force, None),
    };
    let _lock = crate::project::lock_for_writing(manifest.manifest_path.as_deref(), dry_run)?;
    let mut project = Project::load(manifest.manifest_path.as_deref())?;
    let mut plan = scaffold::plan_cache(&mut project, cache.as_ref(), force)?;
    if !plan.is_empty() && project.root.join(crate::ci::WORKFLOW).is_file() {
        plan.notes.push(format!(
            "{} reads the cache: run `crossflake ci` (and commit it) so the pipeline uses it too",
            crate::ci::WORKFLOW
        ));
    }
    plan.finish(&project.root, dry_run)
}
