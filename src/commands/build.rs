//! `crossflake build`: the flake's recipe, run outside Nix.

use anyhow::Result;

use crate::cli::BuildArgs;
use crate::pipeline::{self, Checkout, Mode, Request};
use crate::project::Project;

/// Runs `crossflake build`.
pub fn run(args: BuildArgs) -> Result<()> {
    let project = Project::load(args.build.manifest.manifest_path.as_deref())?;
    let request = Request::from_flags(&project, &args.build, false)?;
    pipeline::plan(&project, request, Mode::Build)?.run(&Checkout::here(&project))?;
    Ok(())
}
