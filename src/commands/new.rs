//! `crossflake new`: a new Cargo package (the layout `cargo new` makes) with crossflake set up.

use anyhow::{Context, Result};

use crate::cli::NewArgs;
use crate::scaffold::{self, Setup};

/// Runs `crossflake new`.
pub fn run(args: NewArgs) -> Result<()> {
    let dir = std::path::absolute(&args.path)
        .with_context(|| format!("failed to resolve {}", args.path.display()))?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .context("the path has no final directory name; pass --name")?,
    };
    if !args.options.dry_run.dry_run {
        // staged in the directory above the project (made first, as cargo new does), which
        // every crossflake command in the project sweeps; and what a killed `new` left in
        // the project's own directory goes first
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        crate::atomic::clean_stale(&dir);
    }
    let plan = scaffold::plan_new(&dir, &name, args.lib, &Setup::from_args(&args.options)?)?;
    plan.finish(&dir, args.options.dry_run.dry_run)
}
