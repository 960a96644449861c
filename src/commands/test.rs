//! `crossflake test`: cargo test for a target under the host's runner.

use anyhow::Result;

use crate::cli::TestArgs;
use crate::pipeline::{self, Checkout, Mode, Request};
use crate::project::Project;

/// Runs `crossflake test`.
pub fn run(args: TestArgs) -> Result<()> {
    let b = args.build;
    let project = Project::load(b.manifest.manifest_path.as_deref())?;
    let request = Request {
        specs: pipeline::project_targets(&project, &b.targets.targets)?,
        // by default the profile builds use, so the tests run the code that ships
        profile: pipeline::profile(
            Some(&project),
            b.profile.profile.as_deref(),
            b.profile.release,
        ),
        build_std: b.build_std.build_std,
        auditable: false,
        cargo_args: b.cargo_args,
    };
    pipeline::plan(&project, request, Mode::Test)?.run(&Checkout::here(&project))?;
    Ok(())
}
