//! `crossflake toolchain lock`: pin any channel with a small committed file.

use anyhow::{Context, Result, bail};

use crate::cli::{LockArgs, ToolchainAction, ToolchainArgs};
use crate::lock::{self, LOCK_FILE, ManifestSource};
use crate::plan::Plan;
use crate::project::Project;
use crate::toolchain::{self, ToolchainSpec};

/// Runs `crossflake toolchain ...`.
pub fn run(args: ToolchainArgs) -> Result<()> {
    match args.action {
        ToolchainAction::Lock(a) => lock(a),
    }
}

/// The part of a toolchain request `--check` compares, as TOML lines for a diff.
fn render(r: &ToolchainSpec) -> String {
    let r = r.sorted();
    let profile = match &r.profile {
        Some(p) => format!("profile = {p:?}\n"),
        None => String::new(),
    };
    format!(
        "channel = {:?}\n{profile}components = {:?}\ntargets = {:?}\n",
        r.channel, r.components, r.targets
    )
}

fn lock(args: LockArgs) -> Result<()> {
    let project = Project::load(args.manifest_path.as_deref())?;
    let root = &project.root;
    let mut plan = Plan::new();
    let req = toolchain::read(&plan, root)?;
    let lock_path = root.join(LOCK_FILE);

    if args.check && args.channel_manifest.is_none() {
        let text = plan.read(&lock_path)?.with_context(|| {
            format!(
                "there is no {}; run `crossflake toolchain lock`",
                lock_path.display()
            )
        })?;
        let (have, _, _) = lock::recorded(&text, &lock_path)?;
        if have.same_as(&req) {
            eprintln!("{LOCK_FILE} matches rust-toolchain.toml");
            return Ok(());
        }
        let diff = similar::TextDiff::from_lines(&render(&have) as &str, &render(&req) as &str)
            .unified_diff()
            .header(&format!("{LOCK_FILE} [crossflake]"), "rust-toolchain.toml")
            .to_string();
        print!("{diff}");
        bail!(
            "{LOCK_FILE} no longer matches rust-toolchain.toml; run `crossflake toolchain lock` and commit it"
        );
    }

    let (text, sha, origin) = match &args.channel_manifest {
        Some(f) => {
            let (t, s) = lock::fetch_manifest(&req.channel, ManifestSource::File(f))?;
            (t, s, f.display().to_string())
        }
        None => {
            let (t, s) = lock::fetch_manifest(&req.channel, ManifestSource::Download)?;
            (t, s, format!("the {} channel manifest", req.channel))
        }
    };
    lock::plan_lock(&mut plan, root, &req, &text, &sha, &origin)?;
    if args.check {
        if plan.is_empty() {
            eprintln!("{LOCK_FILE} is up to date");
            return Ok(());
        }
        print!("{}", plan.diff(root));
        bail!("{LOCK_FILE} is out of date; run `crossflake toolchain lock` and commit it");
    }
    super::finish(plan, root, args.dry_run)
}
