//! `crossflake test`: cargo test for the project's targets under the host's runners.

use anyhow::Result;

use crate::cli::TestArgs;
use crate::pipeline::{self, Checkout, Mode, Request};
use crate::project::Project;

/// Runs `crossflake test` (by default with the profile builds use, so the tests run the code
/// that ships).
pub fn run(args: TestArgs) -> Result<()> {
    let project = Project::load(args.build.manifest.manifest_path.as_deref())?;
    let request = Request::from_flags(&project, &args.build, false)?;
    pipeline::plan(&project, request, Mode::Test)?.run(&Checkout::here(&project))?;
    Ok(())
}
