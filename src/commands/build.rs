//! `crossflake build`: the flake's recipe, run outside Nix.

use anyhow::Result;

use crate::cli::BuildArgs;
use crate::pipeline::{self, Checkout, Mode, Request};
use crate::project::Project;

/// Runs `crossflake build`.
pub fn run(args: BuildArgs) -> Result<()> {
    let b = args.build;
    let project = Project::load(b.manifest.manifest_path.as_deref())?;
    let request = Request {
        specs: pipeline::project_targets(&project, &b.targets.targets)?,
        profile: pipeline::profile(
            Some(&project),
            b.profile.profile.as_deref(),
            b.profile.release,
        ),
        build_std: b.build_std.build_std,
        auditable: false,
        cargo_args: b.cargo_args,
    };
    pipeline::plan(&project, request, Mode::Build)?.run(&Checkout::here(&project))?;
    Ok(())
}
