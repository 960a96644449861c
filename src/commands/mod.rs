//! One module per verb: load, plan, apply.

pub mod build;
pub mod dist;
pub mod doctor;
pub mod env;
pub mod init;
pub mod internal;
pub mod new;
pub mod oci;
pub mod target;
pub mod targets;
pub mod test;
pub mod toolchain;
pub mod verify;

use std::path::Path;

use anyhow::Result;

use crate::plan::Plan;

/// Prints a plan's diff (`--dry-run`) or applies it, then the plan's notes.
pub fn finish(plan: Plan, base: &Path, dry_run: bool) -> Result<()> {
    if dry_run {
        print!("{}", plan.diff(base));
        eprintln!(
            "dry run: nothing written ({} file(s) would change)",
            plan.changes().count()
        );
    } else if plan.is_empty() {
        eprintln!("nothing to change: the project is up to date");
    } else {
        plan.apply()?;
        for (path, c) in plan.changes() {
            let shown = path.strip_prefix(base).unwrap_or(path).display();
            eprintln!(
                "{} {shown}",
                if c.old.is_some() {
                    "updated"
                } else {
                    "created"
                }
            );
        }
    }
    for note in &plan.notes {
        eprintln!("note: {note}");
    }
    Ok(())
}
