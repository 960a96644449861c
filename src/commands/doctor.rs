//! `crossflake doctor`: what will go wrong when building the project's targets on this
//! machine or with the flake, and how to fix each problem, before any compiling.

use anyhow::Result;
use serde::Serialize;

use crate::catalog::catalog;
use crate::checks::{self, Section};
use crate::cli::DoctorArgs;
use crate::pipeline::project_targets;
use crate::project::Project;

/// `crossflake doctor --json`.
#[derive(Debug, Serialize)]
struct Report {
    manifest: String,
    host: String,
    sections: Vec<Section>,
    errors: usize,
    warnings: usize,
}

/// Runs `crossflake doctor`; returns the exit status: 0 clean, 1 errors, 2 warnings only.
pub fn run(args: DoctorArgs) -> Result<i32> {
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    let specs = project_targets(&project, &args.targets.targets)?;
    let host = catalog().current_host()?.to_string();
    let sections = checks::doctor(&project, &specs, &host, args.build_std.build_std, args.fast)?;
    let (errors, warnings) = checks::counts(&sections);
    if args.json.json {
        let report = Report {
            manifest: project.manifest_path.display().to_string(),
            host,
            sections,
            errors,
            warnings,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        checks::print_sections(&sections);
        eprintln!(
            "crossflake doctor: {} on {host}: {errors} error(s), {warnings} warning(s)",
            project.manifest_path.display()
        );
    }
    Ok(if errors > 0 {
        1
    } else if warnings > 0 {
        2
    } else {
        0
    })
}
