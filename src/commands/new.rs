//! `crossflake new`: a new Cargo package (the layout `cargo new` makes) with crossflake set up.

use anyhow::{Context, Result, bail};

use crate::cli::NewArgs;
use crate::emit::{self, PackageContext};
use crate::plan::Plan;

/// Runs `crossflake new`.
pub fn run(args: NewArgs) -> Result<()> {
    let dir = std::path::absolute(&args.path)
        .with_context(|| format!("failed to resolve {}", args.path.display()))?;
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; to set up an existing package run `crossflake init` in it",
            dir.display()
        );
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .context("the path has no final directory name; pass --name")?,
    };
    check_package_name(&name)?;
    let ctx = PackageContext { name: &name };
    let mut plan = Plan::new();
    plan.write(&dir.join("Cargo.toml"), emit::cargo_toml(&ctx)?)?;
    plan.write(&dir.join("Cargo.lock"), emit::cargo_lock(&ctx)?)?;
    if args.lib {
        plan.write(&dir.join("src/lib.rs"), emit::lib_rs()?)?;
    } else {
        plan.write(&dir.join("src/main.rs"), emit::main_rs()?)?;
    }
    plan.write(&dir.join(".gitignore"), "/target\n".into())?;
    super::init::plan_init(&mut plan, &dir.join("Cargo.toml"), &args.options)?;
    super::finish(plan, &dir, args.options.dry_run)
}

/// Checks a package name as cargo does: ASCII letters, digits, `-` and `_`, not starting
/// with a digit.
pub fn check_package_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        bail!(
            "`{name}` is not a valid package name: use ASCII letters, digits, `-` and `_`, not starting with a digit; pass --name"
        );
    }
    Ok(())
}
