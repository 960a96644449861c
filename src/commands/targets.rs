//! `crossflake targets`: the catalog, and what a host can build and run.

use anyhow::Result;
use serde::Serialize;

use crate::catalog::{OciPlatform, RunnerChoice, Target, catalog};
use crate::cli::TargetsArgs;

/// One row of `crossflake targets --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Row<'a> {
    alias: &'a str,
    #[serde(flatten)]
    target: &'a Target,
    host: &'a str,
    can_build: bool,
    runner_on_host: RunnerChoice,
}

/// Runs `crossflake targets`.
pub fn run(args: TargetsArgs) -> Result<()> {
    let cat = catalog();
    let host = match &args.host.host {
        Some(h) => {
            cat.host(h)?;
            h.as_str()
        }
        None => cat.current_host()?,
    };
    let rows: Vec<Row> = cat
        .targets
        .iter()
        .map(|(alias, t)| Row {
            alias,
            target: t,
            host,
            can_build: t.build_hosts.iter().any(|h| h == host),
            runner_on_host: cat.runner_for(t, host),
        })
        .collect();
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    print_table(host, &rows);
    Ok(())
}

/// The rows as an aligned table under a header line.
fn print_table(host: &str, rows: &[Row]) {
    let table: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let t = r.target;
            let libc = match &t.glibc {
                Some(g) => format!("glibc {g}+"),
                None => t.libc.clone(),
            };
            [
                r.alias.to_string(),
                t.triple.clone(),
                t.tier.to_string(),
                format!(
                    "{libc}, {}",
                    if t.linkage == crate::catalog::Linkage::Static {
                        "static"
                    } else {
                        "dynamic"
                    }
                ),
                t.format.to_string(),
                t.oci
                    .as_ref()
                    .map(OciPlatform::to_string)
                    .unwrap_or_else(|| "-".into()),
                if r.can_build {
                    "yes".into()
                } else {
                    "no".into()
                },
                if r.can_build {
                    r.runner_on_host.label().to_string()
                } else {
                    "-".into()
                },
            ]
        })
        .collect();
    let header = [
        "ALIAS", "TRIPLE", "TIER", "LIBC", "FORMAT", "OCI", "BUILD", "RUN",
    ]
    .map(String::from);
    let widths: Vec<usize> = (0..8)
        .map(|i| {
            std::iter::once(&header)
                .chain(&table)
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    println!("targets on {host} (BUILD: this host can build it; RUN: how its tests run here)");
    for row in std::iter::once(&header).chain(&table) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
