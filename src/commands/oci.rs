//! `crossflake oci build`: reproducible OCI image layouts from static binaries.

use anyhow::Result;

use crate::cli::{OciAction, OciArgs, OciBuildArgs};
use crate::oci::{self, Options};

/// Runs `crossflake oci ...`.
pub fn run(args: OciArgs) -> Result<()> {
    match args.action {
        OciAction::Build(b) => build(b),
    }
}

fn build(args: OciBuildArgs) -> Result<()> {
    let dry_run = args.dry_run.dry_run;
    let opts = Options {
        output: args.output.output,
        archive: args.archive,
        sboms: args.sboms,
        name: args.image_name,
        tag: args.tag,
        binaries: args.binaries,
        entrypoint: args.entrypoint,
        ca_bundle: args.ca_bundle,
        labels: args.labels,
        source: args.source,
        revision: args.revision,
        version: args.image_version,
        licenses: args.licenses,
        allow_dynamic: args.allow_dynamic,
        force: args.force.force,
        profile: args.profile.profile,
        release: args.profile.release,
        manifest_path: args.manifest.manifest_path,
    };
    let image = oci::plan(&opts)?;
    if dry_run {
        for line in image.describe() {
            println!("{line}");
        }
        eprintln!("dry run: nothing written");
        return Ok(());
    }
    eprintln!("crossflake: {}", image.date.describe());
    let summary = image.apply()?;
    let written: Vec<String> = [
        image
            .output
            .as_ref()
            .map(|o| format!("oci:{}", o.display())),
        image
            .archive
            .as_ref()
            .map(|a| format!("oci-archive:{}", a.display())),
    ]
    .into_iter()
    .flatten()
    .collect();
    println!(
        "{}: {} ({} platform(s)), tag {}",
        written.join(" and "),
        summary.digest,
        summary.manifests.len(),
        image.spec.tag
    );
    for (platform, digest, layer) in &summary.manifests {
        println!("  {platform:<14} {digest}  layer {layer} bytes");
    }
    for (subject, referrer) in &summary.referrers {
        println!("  SBOM {referrer} refers to {subject}");
    }
    Ok(())
}
