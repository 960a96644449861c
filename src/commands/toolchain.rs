//! `crossflake toolchain lock`: pin any channel with a small committed file.

use anyhow::{Result, bail};

use crate::cli::{LockArgs, ToolchainAction, ToolchainArgs};
use crate::lock::{self, LOCK_FILE};
use crate::plan::Plan;
use crate::project::Project;

/// Runs `crossflake toolchain ...`.
pub fn run(args: ToolchainArgs) -> Result<()> {
    match args.action {
        ToolchainAction::Lock(a) => lock(a),
    }
}

fn lock(args: LockArgs) -> Result<()> {
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    let root = &project.root;
    let mut plan = Plan::new();
    let check = args.check.check;
    if check && args.channel_manifest.is_none() {
        match lock::staleness(&plan, root)? {
            None => {
                eprintln!("{LOCK_FILE} matches rust-toolchain.toml");
                return Ok(());
            }
            Some(diff) => {
                print!("{diff}");
                bail!(
                    "{LOCK_FILE} no longer matches rust-toolchain.toml; run `crossflake toolchain lock` and commit it"
                );
            }
        }
    }
    lock::plan_from_manifest(&mut plan, root, args.channel_manifest.as_deref())?;
    if check {
        if plan.is_empty() {
            eprintln!("{LOCK_FILE} is up to date");
            return Ok(());
        }
        print!("{}", plan.diff(root));
        bail!("{LOCK_FILE} is out of date; run `crossflake toolchain lock` and commit it");
    }
    plan.finish(root, args.dry_run.dry_run)
}
