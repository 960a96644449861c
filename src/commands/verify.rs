//! `crossflake verify`: prove binaries are what their target claims.

use anyhow::{Result, bail};

use crate::catalog::catalog;
use crate::cli::VerifyArgs;
use crate::verify::{self, Report};

/// Runs `crossflake verify`; exits non-zero (through the error) when a claim fails.
pub fn run(args: VerifyArgs) -> Result<()> {
    let spec = catalog().resolve(&args.target.target)?;
    let reports: Vec<Report> = args
        .paths
        .iter()
        .map(|p| verify::verify_file(&spec, p))
        .collect::<Result<_>>()?;
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{}: {} for {}",
                r.path,
                if r.ok { "ok" } else { "FAILED" },
                r.target
            );
            for c in &r.checks {
                println!(
                    "  {} {:<12} {}",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.claim,
                    c.detail
                );
            }
        }
    }
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            let why: Vec<String> = r
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("{}: {}", c.claim, c.detail))
                .collect();
            format!("{} ({})", r.path, why.join("; "))
        })
        .collect();
    if !failed.is_empty() {
        bail!("not a {} binary: {}", spec.key(), failed.join(", "));
    }
    Ok(())
}
