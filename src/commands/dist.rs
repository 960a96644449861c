//! `crossflake dist`: plan the release archives of the project's targets, then print the plan
//! (`--dry-run`) or build and write them.

use anyhow::Result;

use crate::cli::DistArgs;
use crate::dist::{self, Options};
use crate::project::Project;

/// Runs `crossflake dist`.
pub fn run(args: DistArgs) -> Result<()> {
    let b = args.build;
    let project = Project::load(b.manifest.manifest_path.as_deref())?;
    let opts = Options {
        targets: b.targets.targets,
        out: args.output.output,
        prebuilt: args.prebuilt,
        force: args.force.force,
        check_reproducible: args.check_reproducible,
        no_audit: args.no_audit,
        sign: args.sign,
        profile: b.profile.profile,
        release: b.profile.release,
        build_std: b.build_std.build_std,
        cargo_args: b.cargo_args,
    };
    let plan = dist::plan(project, &opts)?;
    if args.dry_run.dry_run {
        for line in plan.describe()? {
            println!("{line}");
        }
        eprintln!("dry run: nothing built or written");
        return Ok(());
    }
    for (path, size) in plan.apply()? {
        println!("{}\t{size} bytes", path.display());
    }
    Ok(())
}
