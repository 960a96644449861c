//! `crossflake doctor`: what will go wrong when building the project's targets on this
//! machine or with the flake, and how to fix each problem, before any compiling.

use anyhow::Result;
use serde::Serialize;

use crate::builders;
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
    /// With --builders: what each builder answered and builds.
    #[serde(skip_serializing_if = "Option::is_none")]
    builders: Option<Vec<builders::Report>>,
    errors: usize,
    warnings: usize,
}

/// Runs `crossflake doctor`; returns the exit status: 0 clean, 1 errors, 2 warnings only.
pub fn run(args: DoctorArgs) -> Result<i32> {
    let project = Project::load(args.manifest.manifest_path.as_deref())?;
    let specs = project_targets(&project, &args.targets.targets)?;
    let host = catalog().current_host()?.to_string();
    // a bad --builders value stops doctor before any check runs
    let machines = args.builders.as_deref().map(builders::load).transpose()?;
    let timeout = match &machines {
        Some(_) => builders::timeout()?,
        None => Default::default(),
    };
    let mut sections =
        checks::doctor(&project, &specs, &host, args.build_std.build_std, args.fast)?;
    let reports = machines.map(|machines| {
        let reports: Vec<builders::Report> = machines
            .iter()
            .map(|b| {
                let answer = builders::ping(b, timeout);
                builders::report(b, answer, &specs, &host)
            })
            .collect();
        let mut findings: Vec<_> = reports
            .iter()
            .flat_map(|r| builders::findings(r, &host))
            .collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        sections.push(Section {
            scope: "builders".into(),
            target: None,
            findings,
        });
        reports
    });
    let (errors, warnings) = checks::counts(&sections);
    if args.json.json {
        let report = Report {
            manifest: project.manifest_path.display().to_string(),
            host,
            sections,
            builders: reports,
            errors,
            warnings,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        checks::print_sections(&sections);
        for r in reports.iter().flatten() {
            eprintln!("{}", builders::summary(r));
        }
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
