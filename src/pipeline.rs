//! What every building verb calls (`build`, `test`, `dist`, `oci build`): which targets and
//! profile, whether this host can build them, the preflight (tools, C dependencies), one cargo
//! run for each group of targets that can share one, and the proof that each binary is what
//! its target promises. Verbs plan with [`plan`], print or apply the plan, and never call each
//! other.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::archive;
use crate::catalog::{RunnerChoice, TargetSpec, catalog};
use crate::checks;
use crate::cli::BuildFlags;
pub use crate::prepare::Prepared;
use crate::prepare::{self, PathMap};
pub use crate::prepare::{Artifact, Checkout};
use crate::project::{PROFILE, Project};
use crate::recipe::RecipeOptions;
use crate::sccache::{self, Sccache};
use crate::tools;
use crate::verify::{self, Report};

/// The targets to act on here: those given (aliases or triples; each must build on this host,
/// [`Plan`] checks), else the project's metadata table's that `host` builds ([`HostTargets`]),
/// with the line saying why each of the others is left out.
///
/// Errors: a given target is unknown; none is given and the project lists none, or none that
/// `host` builds.
pub fn targets_here(
    project: &Project,
    given: &[String],
    host: &str,
) -> Result<(Vec<TargetSpec>, Vec<String>)> {
    let specs = project_targets(project, given)?;
    if !given.is_empty() {
        return Ok((specs, Vec::new()));
    }
    let split = HostTargets::split(&specs, host);
    if split.build.is_empty() {
        bail!(
            "none of the targets of {} builds on {host} ({}); pass --target",
            project.manifest_path.display(),
            split
                .skipped
                .iter()
                .map(|(_, why)| why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let lines = split
        .skipped
        .iter()
        .map(|(s, why)| format!("crossflake: skipping {}: {why}", s.key()))
        .collect();
    Ok((split.build, lines))
}

/// The targets given (aliases or triples), else the project's metadata table.
///
/// Errors: a given target is unknown, or none is given and the project lists none.
pub fn project_targets(project: &Project, given: &[String]) -> Result<Vec<TargetSpec>> {
    if !given.is_empty() {
        return given.iter().map(|t| catalog().resolve(t)).collect();
    }
    match project.targets()? {
        Some(t) if !t.is_empty() => Ok(t),
        _ => bail!(
            "{} lists no targets in [{}]; pass --target or run `crossflake init`",
            project.manifest_path.display(),
            project.metadata_key()
        ),
    }
}

/// The cargo profile a build uses: `release` with `--release`, else the one given, else
/// `crossflake` when the project has `[profile.crossflake]`, else `release` (as the flake
/// chooses, nix/projectConfig.nix).
pub fn profile(project: Option<&Project>, given: Option<&str>, release: bool) -> String {
    if release {
        return "release".into();
    }
    if let Some(p) = given {
        return p.to_string();
    }
    match project {
        Some(p) if p.has_profile(PROFILE) => PROFILE.into(),
        _ => "release".into(),
    }
}

/// The directory cargo puts a target's executables in: `<target-dir>/<triple>/<profile dir>`
/// (`debug` for the `dev` profile), the target directory being CARGO_TARGET_DIR or the
/// project's `target`.
pub fn artifact_dir(project: &Project, triple: &str, profile: &str) -> PathBuf {
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    Checkout::here(project)
        .target_dir()
        .join(triple)
        .join(profile_dir)
}

/// A project's targets split by whether `host` builds them, as the flake splits its outputs
/// (nix/hostOutputs.nix): the flake builds the first on `host` and gives the second as packages
/// whose build stops with the reason; `dist` ships the first and names the second.
#[derive(Debug, Clone)]
pub struct HostTargets {
    /// Targets `host` builds, in the project's order.
    pub build: Vec<TargetSpec>,
    /// Targets it cannot build, each with the reason.
    pub skipped: Vec<(TargetSpec, String)>,
}

impl HostTargets {
    /// Splits `specs` for `host`.
    pub fn split(specs: &[TargetSpec], host: &str) -> HostTargets {
        let (build, skipped): (Vec<_>, Vec<_>) = specs
            .iter()
            .cloned()
            .partition(|s| s.target().build_hosts.iter().any(|h| h == host));
        let skipped = skipped
            .into_iter()
            .map(|s| {
                let reason = format!(
                    "{} ({}) builds only on {}",
                    s.alias,
                    s.target().triple,
                    s.target().build_hosts.join(", ")
                );
                (s, reason)
            })
            .collect();
        HostTargets { build, skipped }
    }

    /// The targets built here that have an OCI platform: what the project's images hold.
    pub fn images(&self) -> Vec<&TargetSpec> {
        self.build
            .iter()
            .filter(|s| s.target().oci.is_some())
            .collect()
    }

    /// The names of the flake's packages on this host besides `default` and the package's
    /// own name (nix/mkFlake.nix): each target built here, with an image table (`image`) each
    /// image target's `<alias>-oci` and the index `oci`, and `dist` when anything builds here.
    pub fn flake_packages(&self, image: bool) -> Vec<String> {
        let images: Vec<&TargetSpec> = if image { self.images() } else { vec![] };
        let mut names: Vec<String> = self.build.iter().map(|s| s.alias.clone()).collect();
        names.extend(images.iter().map(|s| format!("{}-oci", s.alias)));
        if !images.is_empty() {
            names.push("oci".into());
        }
        if !self.build.is_empty() {
            names.push("dist".into());
        }
        names
    }
}

/// Refuses targets this host cannot build, naming the hosts that can.
pub fn check_buildable(specs: &[TargetSpec], host: &str) -> Result<()> {
    for s in specs {
        let t = s.target();
        if !t.build_hosts.iter().any(|h| h == host) {
            bail!(
                "{} ({}) cannot be built on {host}; it builds on {}{}",
                s.alias,
                t.triple,
                t.build_hosts.join(", "),
                if t.os == "darwin" {
                    " (it needs Apple's SDK)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

/// What a building verb asks for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The targets, in the order given.
    pub specs: Vec<TargetSpec>,
    /// Lines saying which of the project's targets are left out on this host, and why
    /// ([`targets_here`]).
    pub left_out: Vec<String>,
    /// The cargo profile ([`profile`]).
    pub profile: String,
    /// Build std from rust-src.
    pub build_std: bool,
    /// Run cargo as `cargo auditable SUBCOMMAND` (cargo-auditable's `.dep-v0` section in each
    /// binary, which `dist` turns into SBOMs).
    pub auditable: bool,
    /// Extra arguments for cargo.
    pub cargo_args: Vec<String>,
}

impl Request {
    /// The request of `build` and `test` (and `dist`, with `auditable`) from their shared
    /// flags: the targets here ([`targets_here`]), the profile ([`profile`]).
    ///
    /// Errors: see [`targets_here`].
    pub fn from_flags(project: &Project, flags: &BuildFlags, auditable: bool) -> Result<Request> {
        let host = catalog().current_host()?;
        let (specs, left_out) = targets_here(project, &flags.targets.targets, host)?;
        Ok(Request {
            specs,
            left_out,
            profile: profile(
                Some(project),
                flags.profile.profile.as_deref(),
                flags.profile.release,
            ),
            build_std: flags.build_std.build_std,
            auditable,
            cargo_args: flags.cargo_args.clone(),
        })
    }
}

/// Build the targets, or run their tests under the host's runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo zigbuild` (or the target's build command); targets that can share a run share one.
    Build,
    /// `cargo test` under the runner, one target at a time; targets with no runner here are
    /// skipped with the reason.
    Test,
}

/// A planned build or test run: checked and its recipes derived; nothing written or compiled
/// yet (the recipes' tool scripts are written when it runs).
#[derive(Debug, Clone)]
pub struct Plan {
    /// What was asked.
    pub request: Request,
    /// Build or test.
    pub mode: Mode,
    /// Each cargo run: the indices (in `request.specs`) of the targets it builds, and its recipe.
    runs: Vec<(Vec<usize>, Prepared)>,
    /// The lines saying which targets are left out here and why: the project's that this host
    /// does not build ([`Request::left_out`]) and, for tests, those with no runner here.
    pub skipped: Vec<String>,
    /// The project's compiler cache ([`Sccache`]) and the sccache executable, when it sets
    /// one.
    pub compiler_cache: Option<(Sccache, PathBuf)>,
}

/// Plans `request` for the project on this host: checks that the host can build every target
/// and has the tools (the runners too for tests), runs the Cargo.lock preflight
/// ([`checks::preflight`]), and derives each target's recipe, joining those that can share a
/// cargo run ([`Prepared::merge`]) when building.
///
/// Errors: a target this host cannot build, a missing tool, a C dependency the target cannot
/// build, a compiler cache setting that is not one or sccache missing with it on, each naming
/// the fix.
pub fn plan(project: &Project, request: Request, mode: Mode) -> Result<Plan> {
    let host = catalog().current_host()?.to_string();
    check_buildable(&request.specs, &host)?;
    let compiler_cache = match Sccache::of(project)? {
        Some(setting) => {
            let exe = sccache::find(project)?;
            Some((setting, exe))
        }
        None => None,
    };
    let testing = mode == Mode::Test;
    let mut skipped = request.left_out.clone();
    let mut active = Vec::new();
    for (i, s) in request.specs.iter().enumerate() {
        match skip_line(s, &host).filter(|_| testing) {
            Some(line) => skipped.push(line),
            None => active.push(i),
        }
    }
    let mut missing = Vec::new();
    for &i in &active {
        let s = &request.specs[i];
        for m in tools::missing_for(s, &host, request.build_std, testing, &project.root) {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
    }
    if request.auditable && which::which("cargo-auditable").is_err() {
        missing.push(tools::Missing {
            what: "cargo-auditable".into(),
            install: "cargo install --locked cargo-auditable (0.7.3 or newer: older ones pass zig a linker flag it rejects), or pass --no-audit".into(),
        });
    }
    tools::require(&missing, if testing { "testing" } else { "building" })?;
    let specs: Vec<TargetSpec> = active.iter().map(|&i| request.specs[i].clone()).collect();
    let c_deps = checks::preflight(project, &specs, &host, &request.cargo_args)?;
    let mut prepared = Vec::new();
    for spec in &specs {
        let mut p = prepare::derive(
            spec,
            &host,
            &RecipeOptions {
                profile: request.profile.clone(),
                build_std: request.build_std,
            },
        )?;
        p.add_env(c_deps.env_for(spec));
        if request.auditable && p.recipe.command.first().is_some_and(|c| c == "cargo") {
            p.recipe.command.insert(1, "auditable".into());
        }
        prepared.push(p);
    }
    let runs = match mode {
        Mode::Build => Prepared::merge(prepared),
        Mode::Test => prepared
            .into_iter()
            .enumerate()
            .map(|(i, p)| (vec![i], p))
            .collect(),
    }
    .into_iter()
    .map(|(members, p)| (members.into_iter().map(|m| active[m]).collect(), p))
    .collect();
    Ok(Plan {
        request,
        mode,
        runs,
        skipped,
        compiler_cache,
    })
}

/// The line a test run prints, and goes on after, when `host` has no way to run `spec`'s
/// executables; `None` when it has one.
fn skip_line(spec: &TargetSpec, host: &str) -> Option<String> {
    match catalog().runner_for(spec.target(), host) {
        RunnerChoice::Unavailable { reason } => Some(format!(
            "crossflake: SKIPPED tests for {} on {host}: {reason}",
            spec.alias
        )),
        _ => None,
    }
}

impl Plan {
    /// One line per cargo run: the targets it builds and its command line (the targets left
    /// out, and why, are [`Plan::skipped`]).
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (_, p) in &self.runs {
            let command = match self.mode {
                Mode::Build => &p.recipe.command,
                Mode::Test => &p.recipe.test_command,
            };
            let mut words = command.clone();
            words.extend(self.request.cargo_args.iter().cloned());
            lines.push(format!(
                "{}: {}",
                p.recipe.alias.replace(' ', ", "),
                words.join(" ")
            ));
        }
        lines
    }

    /// Runs the plan in `checkout`: each cargo run with the recipe's environment, the path
    /// remapping of that checkout ([`PathMap`]), SOURCE_DATE_EPOCH (the source date of the
    /// checkout, [`archive::source_date`], unless set: the linkers that stamp an executable
    /// with a time, lld's PE/COFF `TimeDateStamp` on windows-gnu, take it instead of the
    /// link's, so a relink gives the same bytes) and the checkout's own variables, printing a
    /// start and an end line per target on stderr. Returns, per target (in the request's
    /// order), the executables cargo built for it (none for tests), with the checkout's target
    /// directory still locked ([`TargetDirLock`]).
    ///
    /// Errors: the target directory cannot be locked; SOURCE_DATE_EPOCH is not a number; a
    /// cargo run fails (naming the targets it built).
    pub fn run(&self, checkout: &Checkout) -> Result<Built> {
        let target_dir = target_dir_of(checkout, &self.request.cargo_args);
        let lock = TargetDirLock::acquire(&target_dir)?;
        let mut checkout = checkout.clone();
        checkout.env.push((
            LOCKED_TARGET_DIR.into(),
            Some(target_dir.display().to_string()),
        ));
        if checkout.var("SOURCE_DATE_EPOCH").is_none() {
            let date = archive::source_date(checkout.root())?;
            checkout
                .env
                .push(("SOURCE_DATE_EPOCH".into(), Some(date.epoch.to_string())));
        }
        let checkout = &checkout;
        let server = self
            .compiler_cache
            .as_ref()
            .and_then(|(setting, exe)| start_compiler_cache(setting, exe));
        for line in &self.skipped {
            eprintln!("{line}");
        }
        let built = self.run_cargo(checkout, server.as_ref());
        if let Some(server) = &server {
            match server.stats() {
                Ok(stats) => eprintln!("crossflake: {}", stats.line()),
                Err(e) => eprintln!("crossflake: sccache's statistics: {e:#}"),
            }
        }
        Ok(Built {
            executables: built?,
            lock,
        })
    }

    /// [`Plan::run`]'s cargo runs, through `server` when there is one.
    fn run_cargo(
        &self,
        checkout: &Checkout,
        server: Option<&sccache::Server>,
    ) -> Result<Vec<(TargetSpec, Vec<Artifact>)>> {
        let paths = PathMap::for_checkout(checkout);
        let mut built: Vec<(TargetSpec, Vec<Artifact>)> = self
            .request
            .specs
            .iter()
            .map(|s| (s.clone(), Vec::new()))
            .collect();
        let testing = self.mode == Mode::Test;
        for (members, group) in &self.runs {
            group.materialize()?;
            let mut group = group.clone();
            match server {
                // the Rust flags through sccache's rustc, out of its keys (see sccache.rs)
                Some(server) => {
                    group.remap_c_paths(&paths);
                    let rustc = checkout.var("RUSTC").unwrap_or_else(|| "rustc".into());
                    group.add_env(server.cargo_env(&rustc, &paths.rustflags()));
                }
                None => group.remap_paths(&paths),
            }
            let aliases = group.recipe.alias.clone();
            announce(&group, testing);
            let start = Instant::now();
            let artifacts = group
                .run_cargo(testing, checkout, &self.request.cargo_args)
                .with_context(|| {
                    format!(
                        "failed to {} {aliases}",
                        if testing { "test" } else { "build" }
                    )
                })?;
            let secs = start.elapsed().as_secs_f64();
            for &i in members {
                let (spec, out) = &mut built[i];
                if testing {
                    eprintln!("crossflake: tests for {} passed in {secs:.1} s", spec.alias);
                    continue;
                }
                out.extend(artifacts_of(&artifacts, &spec.target().triple));
                let list: Vec<String> = out.iter().map(|a| a.path.display().to_string()).collect();
                eprintln!(
                    "crossflake: built {} in {secs:.1} s{}",
                    spec.alias,
                    if list.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", list.join(" "))
                    }
                );
            }
        }
        Ok(built)
    }
}

/// What [`Plan::run`] built: per target (in the request's order), the executables cargo
/// built for it, and the lock on the target directory they are in. Read the executables
/// before dropping the lock.
pub struct Built {
    /// Per target, its executables (none for tests).
    pub executables: Vec<(TargetSpec, Vec<Artifact>)>,
    /// Held until the executables have been read.
    pub lock: TargetDirLock,
}

/// An exclusive lock on a cargo target directory (`<target-dir>/.crossflake-lock`), taken
/// before crossflake's cargo runs and held until their executables have been read. cargo
/// locks its build directory only while it runs, and writes every project's executable of
/// one name to the same `<target-dir>/<triple>/<profile>/NAME`: two crossflake runs sharing a
/// CARGO_TARGET_DIR would otherwise pack or verify each other's binaries. Released when
/// dropped. The cargo runs under it get [`LOCKED_TARGET_DIR`], so a crossflake started by
/// them (a test that runs crossflake) on the same directory stops instead of waiting forever.
pub struct TargetDirLock {
    _file: std::fs::File,
}

/// The variable naming the target directory a crossflake run holds, set for its cargo runs.
pub const LOCKED_TARGET_DIR: &str = "CROSSFLAKE_LOCKED_TARGET_DIR";

impl TargetDirLock {
    /// Locks `target_dir` (created if missing), waiting, with a line on stderr saying so,
    /// while another crossflake run holds it. Where the file system has no file locks, says
    /// so and goes on unlocked.
    ///
    /// Errors: a crossflake run started under one holding `target_dir`; the directory or its
    /// lock file cannot be created, or locking fails, naming the lock file.
    pub fn acquire(target_dir: &Path) -> Result<TargetDirLock> {
        std::fs::create_dir_all(target_dir).with_context(|| {
            format!(
                "cannot create the target directory {}",
                target_dir.display()
            )
        })?;
        let path = target_dir.join(".crossflake-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        Self::lock(file, target_dir, &path)
    }

    /// Locks `target_dir` as [`TargetDirLock::acquire`] does, for a run that only reads
    /// executables there (`oci build`), creating nothing: `None` when no crossflake run has
    /// used the directory (it has no lock file).
    ///
    /// Errors: as [`TargetDirLock::acquire`].
    pub fn acquire_if_used(target_dir: &Path) -> Result<Option<TargetDirLock>> {
        let path = target_dir.join(".crossflake-lock");
        match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(file) => Self::lock(file, target_dir, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => {
                Err(e).with_context(|| format!("cannot open the lock file {}", path.display()))
            }
        }
    }

    fn lock(file: std::fs::File, target_dir: &Path, path: &Path) -> Result<TargetDirLock> {
        let held = std::env::var_os(LOCKED_TARGET_DIR);
        if held.as_deref() == Some(target_dir.as_os_str()) {
            bail!(
                "this crossflake run was started by another that holds the target directory {} (a test or build script running crossflake): give it another CARGO_TARGET_DIR",
                target_dir.display()
            );
        }
        let unsupported = |e: &std::io::Error| {
            e.kind() == std::io::ErrorKind::Unsupported || e.raw_os_error() == Some(libc_enolck())
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "crossflake: waiting for another crossflake run building in {} (it holds {})",
                    target_dir.display(),
                    path.display()
                );
                file.lock()
                    .with_context(|| format!("cannot lock {}", path.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) if unsupported(&e) => {
                eprintln!(
                    "crossflake: {} cannot be locked here ({e}): runs sharing {} are not kept apart",
                    path.display(),
                    target_dir.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        Ok(TargetDirLock { _file: file })
    }
}

/// ENOLCK, "no locks available" (Linux, the BSDs and macOS all number it 37 or 77): what
/// flock gives on file systems without locks.
fn libc_enolck() -> i32 {
    if cfg!(target_os = "linux") { 37 } else { 77 }
}

/// The target directory cargo uses for a run in `checkout` with `cargo_args`: a
/// `--target-dir` among the arguments (relative to the checkout's root), else
/// [`Checkout::target_dir`].
pub fn target_dir_of(checkout: &Checkout, cargo_args: &[String]) -> PathBuf {
    let mut given = None;
    let mut args = cargo_args.iter();
    while let Some(a) = args.next() {
        if a == "--" {
            break;
        } else if a == "--target-dir" {
            given = args.next().cloned();
        } else if let Some(v) = a.strip_prefix("--target-dir=") {
            given = Some(v.to_string());
        }
    }
    match given.map(PathBuf::from) {
        Some(t) if t.is_absolute() => t,
        Some(t) => checkout.root().join(t),
        None => checkout.target_dir(),
    }
}

/// Starts the compiler cache's server for one run, saying so first; `None`, said once, when
/// its backend does not answer or the server does not start (the build goes on uncached).
fn start_compiler_cache(setting: &Sccache, exe: &Path) -> Option<sccache::Server> {
    let uncached = |why: String| {
        eprintln!(
            "crossflake: sccache's cache at {} cannot be used ({why}); building without it",
            setting.describe()
        );
        None
    };
    if let Some(Err(why)) = setting.probe(std::time::Duration::from_secs(3)) {
        return uncached(why);
    }
    match sccache::Server::start(exe, setting) {
        Ok(server) => {
            eprintln!(
                "crossflake: compiling Rust through sccache, its cache at {} (keys prefixed {})",
                setting.describe(),
                setting.key_prefix
            );
            Some(server)
        }
        Err(e) => uncached(format!("{e:#}")),
    }
}

/// The start line of a cargo run, one per target it builds or tests.
fn announce(group: &Prepared, testing: bool) {
    let aliases = &group.recipe.alias;
    for alias in aliases.split(' ') {
        if testing {
            eprintln!(
                "crossflake: testing {alias} under {}: {}",
                group.recipe.runner.label(),
                group.recipe.test_command.join(" ")
            );
        } else {
            eprintln!(
                "crossflake: building {alias}{}: {}",
                if aliases.contains(' ') {
                    format!(" (one cargo run for {aliases})")
                } else {
                    String::new()
                },
                group.recipe.command.join(" ")
            );
        }
    }
}

/// The executables of `artifacts` built for `triple`: cargo puts them in
/// `<target-dir>/<triple>/<profile>/`.
fn artifacts_of(artifacts: &[Artifact], triple: &str) -> Vec<Artifact> {
    artifacts
        .iter()
        .filter(|a| {
            a.path
                .parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|n| n == triple)
        })
        .cloned()
        .collect()
}

/// The recipe of `spec` on `host` with this machine's tools, plus what the C dependencies of
/// `project`'s Cargo.lock need (bindgen's libclang and headers) when there is one: what `env`
/// prints and `env --shell` exports. No preflight: a shell is for finding out what fails.
///
/// Errors: see [`prepare::recipe`].
pub fn environment(
    project: Option<&Project>,
    spec: &TargetSpec,
    host: &str,
    profile: &str,
    build_std: bool,
) -> Result<Prepared> {
    let mut prepared = prepare::recipe(
        spec,
        host,
        &RecipeOptions {
            profile: profile.to_string(),
            build_std,
        },
    )?;
    if let Some(c) = project.and_then(|p| checks::CDeps::of(p).ok().flatten()) {
        prepared.add_env(c.env_for(spec));
    }
    Ok(prepared)
}

/// `crossflake verify`'s report on a binary built for `spec`, required to hold.
///
/// Errors: the file cannot be read, or a claim fails (each failed claim named).
pub fn verified(spec: &TargetSpec, path: &Path) -> Result<Report> {
    let report = verify::verify_file(spec, path)?;
    if !report.ok {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.claim, c.detail))
            .collect();
        bail!(
            "{} is not what {} promises ({})",
            path.display(),
            spec.key(),
            failed.join("; ")
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(t: &str) -> TargetSpec {
        catalog().resolve(t).unwrap()
    }

    #[test]
    fn tests_with_no_runner_on_the_host_are_reported_skipped_with_the_reason() {
        assert_eq!(
            skip_line(&spec("x86_64-windows"), "aarch64-linux").as_deref(),
            Some(
                "crossflake: SKIPPED tests for x86_64-windows on aarch64-linux: wine is needed to \
                 run x86_64-pc-windows-gnu binaries and exists only on x86_64-linux, x86_64-darwin"
            )
        );
        assert!(skip_line(&spec("aarch64-musl"), "x86_64-darwin").is_some_and(|l| l.contains(
            "qemu-user is needed to run aarch64-unknown-linux-musl binaries and exists only on x86_64-linux, aarch64-linux"
        )));
        assert_eq!(skip_line(&spec("x86_64-windows"), "x86_64-linux"), None);
    }

    #[test]
    fn targets_split_by_host_with_the_reason_and_images_are_the_static_linux_ones() {
        let specs = [
            spec("aarch64-musl"),
            spec("aarch64-darwin"),
            spec("wasm32-wasip1"),
        ];
        let linux = HostTargets::split(&specs, "x86_64-linux");
        let aliases = |v: &[TargetSpec]| v.iter().map(|s| s.alias.clone()).collect::<Vec<_>>();
        assert_eq!(aliases(&linux.build), ["aarch64-musl", "wasm32-wasip1"]);
        assert_eq!(linux.skipped.len(), 1);
        assert_eq!(
            linux.skipped[0].1,
            "aarch64-darwin (aarch64-apple-darwin) builds only on x86_64-darwin, aarch64-darwin"
        );
        let images: Vec<&str> = linux.images().iter().map(|s| s.alias.as_str()).collect();
        assert_eq!(images, ["aarch64-musl"]);
        let mac = HostTargets::split(&specs, "aarch64-darwin");
        assert_eq!(mac.build.len(), 3);
    }

    #[test]
    fn the_target_directory_is_the_argument_else_the_environment_else_the_roots() {
        let checkout = Checkout {
            manifest_path: "/p/Cargo.toml".into(),
            env: vec![
                ("CARGO_TARGET_DIR".into(), None),
                ("CARGO_BUILD_TARGET_DIR".into(), Some("/b".into())),
            ],
            umask: None,
        };
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (given, want) in [
            (args(&["--target-dir", "/t"]), "/t"),
            (args(&["--target-dir=out", "--release"]), "/p/out"),
            (args(&["--bin", "x"]), "/b"),
            // after `--` the arguments are the program's
            (args(&["--", "--target-dir", "/t"]), "/b"),
        ] {
            assert_eq!(
                target_dir_of(&checkout, &given),
                Path::new(want),
                "{given:?}"
            );
        }
        let plain = Checkout {
            env: vec![
                ("CARGO_TARGET_DIR".into(), None),
                ("CARGO_BUILD_TARGET_DIR".into(), None),
            ],
            ..checkout
        };
        assert_eq!(target_dir_of(&plain, &[]), Path::new("/p/target"));
    }

    #[test]
    fn the_profile_is_release_when_asked_else_given_else_the_projects() {
        let with = Project::parse(
            Path::new("/p/Cargo.toml"),
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[profile.crossflake]\ninherits = \"release\"\n",
        )
        .unwrap();
        let without = Project::parse(
            Path::new("/p/Cargo.toml"),
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        assert_eq!(profile(Some(&with), None, false), "crossflake");
        assert_eq!(profile(Some(&without), None, false), "release");
        assert_eq!(profile(None, None, false), "release");
        assert_eq!(profile(Some(&with), Some("dev"), false), "dev");
        assert_eq!(profile(Some(&with), None, true), "release");
        let t = "aarch64-unknown-linux-musl";
        assert!(artifact_dir(&with, t, "dev").ends_with("aarch64-unknown-linux-musl/debug"));
        assert!(
            artifact_dir(&with, t, "crossflake").ends_with("aarch64-unknown-linux-musl/crossflake")
        );
    }
}
