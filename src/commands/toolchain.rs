//! `crossflake toolchain lock`: pin any channel with a small committed file.

use anyhow::{Result, bail};

use crate::cli::{LockArgs, ToolchainAction, ToolchainArgs};
use crate::lock::{self, LOCK_FILE, LockRun};
use crate::project::Project;

/// Runs `crossflake toolchain ...`.
pub fn run(args: ToolchainArgs) -> Result<()> {
    match args.action {
        ToolchainAction::Lock(a) => lock(a),
    }
}

fn lock(args: LockArgs) -> Result<()> {
    let _lock = crate::project::lock_for_writing(
        args.manifest.manifest_path.as_deref(),
        args.dry_run.dry_run,
    )?;
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    match lock::run(
        &project.root,
        args.channel_manifest.as_deref(),
        args.check.check,
    )? {
        LockRun::Current => {
            eprintln!("{LOCK_FILE} matches rust-toolchain.toml");
            Ok(())
        }
        LockRun::Stale(diff) => {
            print!("{diff}");
            bail!(
                "{LOCK_FILE} no longer matches rust-toolchain.toml; run `crossflake toolchain lock` and commit it"
            )
        }
        LockRun::Write(plan) => plan.finish(&project.root, args.dry_run.dry_run),
    }
}
