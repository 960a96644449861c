//! Command-line arguments (clap derive only; each `///` line is the --help text).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Reproducible static Rust builds for every platform, with zig as the cross linker.
#[derive(Debug, Parser)]
#[command(name = "crossflake", version, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// crossflake's verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the target catalog and what a host can build and run.
    ///
    /// Example: crossflake targets --host aarch64-darwin
    Targets(TargetsArgs),
    /// Add crossflake to an existing Cargo package or workspace.
    ///
    /// Writes flake.nix, the [package.metadata.crossflake] table, rust-toolchain.toml,
    /// [profile.crossflake], .envrc and .gitignore entries. Never replaces a file crossflake
    /// did not write without --force; running it twice changes nothing.
    ///
    /// Example: crossflake init --target aarch64-musl --target x86_64-unknown-linux-gnu.2.28 --oci
    Init(InitArgs),
    /// Create a new Cargo package with crossflake set up.
    ///
    /// Example: crossflake new hello --target aarch64-musl
    New(NewArgs),
    /// Add or remove the project's targets (the metadata table and rust-toolchain.toml together).
    ///
    /// Example: crossflake target add wasm32-wasip1
    Target(TargetArgs),
    /// Print the environment and cargo command the recipe uses for a target on this host.
    ///
    /// Example: eval "$(crossflake env --target aarch64-musl --shell)"
    Env(EnvArgs),
    /// Build the project for its targets with the catalog's recipe (cargo-zigbuild and zig).
    ///
    /// Example: crossflake build --target aarch64-musl -- --bin server
    Build(BuildArgs),
    /// Run the project's tests for a target under the host's runner (qemu-user, wine, wasmtime).
    ///
    /// Example: crossflake test --target aarch64-musl
    Test(TestArgs),
    /// Prove that binaries are what a target claims: format, machine, static linkage, glibc floor.
    ///
    /// Example: crossflake verify --target x86_64-unknown-linux-gnu.2.17 target/x86_64-unknown-linux-gnu/crossflake/app
    Verify(VerifyArgs),
    /// Build OCI images from static binaries, with no container engine.
    ///
    /// Example: crossflake oci build --output image --tag 1.0 --binary aarch64-musl=target/aarch64-unknown-linux-musl/crossflake/app
    Oci(OciArgs),
    /// Build the project's targets and write release archives: one per package and target,
    /// named and laid out as cargo-binstall looks for them ({name}-{target}-v{version}.tar.gz,
    /// .zip for windows), with the package's README and licence files and the licence texts
    /// of the linked dependencies; a CycloneDX SBOM beside each, from the dependency tree
    /// cargo-auditable embeds in the binaries; SHA256SUMS; crossflake-dist.json (every
    /// artifact with its target, sha256, size and verify result). Archives are byte for byte
    /// the same for the same binaries: sorted entries, owner 0:0, mtimes from
    /// SOURCE_DATE_EPOCH or the last commit. Targets that can share a cargo run build in one.
    ///
    /// Example: crossflake dist --target aarch64-musl --target x86_64-windows --out dist
    Dist(DistArgs),
    /// Report what will go wrong building the project's targets here or with the flake, and
    /// the fix for each: missing tools, C dependencies that need a build tool or cannot be
    /// linked statically, files the flake does not see, a stale toolchain lock.
    ///
    /// Exit status: 0 nothing found, 1 errors, 2 warnings only.
    ///
    /// Example: crossflake doctor --target aarch64-musl --json
    Doctor(DoctorArgs),
    /// Pin the toolchain: write rust-toolchain.lock.toml, which the flake reads with no IFD.
    ///
    /// Example: crossflake toolchain lock --check
    Toolchain(ToolchainArgs),
    /// What crossflake computes that the Nix library computes too, as JSON, for the tests that
    /// hold both to the same answers (not for users).
    #[command(hide = true)]
    Internal(InternalArgs),
}

/// `crossflake internal`.
#[derive(Debug, Args)]
pub struct InternalArgs {
    #[command(subcommand)]
    pub action: InternalAction,
}

/// `crossflake internal ...`.
#[derive(Debug, Subcommand)]
pub enum InternalAction {
    /// The project's settings and each host's flake outputs (nix/projectConfig.nix and
    /// nix/hostOutputs.nix compute the same).
    Config {
        /// Path to Cargo.toml (default: ./Cargo.toml).
        #[arg(long, value_name = "PATH")]
        manifest_path: Option<PathBuf>,
    },
    /// The `[build-tools]` keys the crates of a Cargo.lock need (nix/buildTools.nix).
    BuildTools {
        /// Path to the Cargo.lock.
        lock: PathBuf,
    },
    /// Target names resolved as a project or a user writes them (nix/resolveTarget.nix).
    Resolve {
        /// Aliases or triples, with an optional glibc floor.
        names: Vec<String>,
    },
}

/// `crossflake targets`.
#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// Host system to report for (x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin); default: this machine.
    #[arg(long, value_name = "SYSTEM")]
    pub host: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options shared by `init` and `new`.
#[derive(Debug, Args, Clone)]
pub struct InitOptions {
    /// A target to build for: a catalog alias (aarch64-musl) or a triple, with .GLIBC for a glibc floor
    /// (x86_64-unknown-linux-gnu.2.28). Repeatable. Default: x86_64-musl and aarch64-musl.
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Rust channel for rust-toolchain.toml (stable, beta, 1.85.0, nightly-2026-01-01); default: stable.
    #[arg(long, value_name = "CHANNEL")]
    pub toolchain: Option<String>,
    /// Add an [*.metadata.crossflake.image] table, so the flake builds OCI images.
    #[arg(long)]
    pub oci: bool,
    /// Add a [package.metadata.binstall] table, so `cargo binstall` finds the archives
    /// `crossflake dist` writes on the package's GitHub releases (tag v{version}).
    #[arg(long)]
    pub release: bool,
    /// Where the project's flake.nix takes crossflake from.
    #[arg(long, value_name = "URL")]
    pub flake_url: Option<String>,
    /// Show the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace a flake.nix that crossflake did not write.
    #[arg(long)]
    pub force: bool,
}

/// `crossflake init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Path to the Cargo.toml of the package or workspace root (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// What to set up.
    #[command(flatten)]
    pub options: InitOptions,
}

/// `crossflake new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Directory to create.
    pub path: PathBuf,
    /// Package name (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// Create a library package (src/lib.rs) instead of a binary.
    #[arg(long)]
    pub lib: bool,
    /// What to set up.
    #[command(flatten)]
    pub options: InitOptions,
}

/// `crossflake target`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// add or remove.
    #[command(subcommand)]
    pub action: TargetAction,
}

/// `crossflake target add|remove`.
#[derive(Debug, Subcommand)]
pub enum TargetAction {
    /// Add targets (aliases or triples, .GLIBC for a glibc floor).
    ///
    /// Example: crossflake target add armv7-musl x86_64-unknown-linux-gnu.2.31
    Add(TargetEditArgs),
    /// Remove targets.
    ///
    /// Example: crossflake target remove armv7-musl
    Remove(TargetEditArgs),
}

/// Arguments of `target add` and `target remove`.
#[derive(Debug, Args)]
pub struct TargetEditArgs {
    /// Targets: aliases or triples.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Show the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `crossflake env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The target (alias or triple, .GLIBC for a glibc floor).
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// Host system to derive the recipe for; default: this machine (tool paths are this machine's).
    #[arg(long, value_name = "SYSTEM")]
    pub host: Option<String>,
    /// Cargo profile; default: crossflake when the project has it, else release.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Include what building std from source adds.
    #[arg(long)]
    pub build_std: bool,
    /// Path to the project's root Cargo.toml (only read for the default profile).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Print JSON: command, test-command, env (name, value, build-std), tools, scripts, runner.
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
    /// Print `export NAME='value'` lines for a POSIX shell.
    #[arg(long)]
    pub shell: bool,
}

/// `crossflake build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Targets to build (default: the project's metadata table). Repeatable.
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Cargo profile; default: crossflake when the project has it, else release.
    #[arg(long, value_name = "NAME", conflicts_with = "release")]
    pub profile: Option<String>,
    /// Build with the release profile.
    #[arg(long)]
    pub release: bool,
    /// Build std from rust-src (no rust-std for the target needed; tier-3 targets).
    #[arg(long)]
    pub build_std: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Extra arguments for cargo, after `--`.
    #[arg(last = true, value_name = "CARGO_ARGS")]
    pub cargo_args: Vec<String>,
}

/// `crossflake dist`.
#[derive(Debug, Args)]
pub struct DistArgs {
    /// Targets to ship (default: the project's targets this host can build). Repeatable.
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Directory to write to (default: target/dist in the project).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Package binaries built elsewhere instead of building: TARGET=DIR, DIR holding the
    /// target's executables (a Nix build's `bin/`). Repeatable; each must pass verify.
    /// Without audit data in them, pass --no-audit.
    #[arg(long, value_name = "TARGET=DIR", conflicts_with_all = ["targets", "check_reproducible", "build_std", "profile", "cargo_args"])]
    pub prebuilt: Vec<String>,
    /// Replace an existing non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// Build everything a second time from a clone of the last commit at another path, with
    /// another HOME and CARGO_HOME, umask 077 and one job, and fail unless every file is the
    /// same, naming the first binary section that differs. Needs a clean git work tree.
    #[arg(long)]
    pub check_reproducible: bool,
    /// Do not embed the dependency tree in the binaries (by default dist builds with
    /// `cargo auditable`, so `rust-audit-info` and cargo-audit can read it from them).
    #[arg(long)]
    pub no_audit: bool,
    /// Sign every file with this minisign secret key: FILE.minisig beside each, which
    /// `minisign -Vm FILE -p KEY.pub` checks. An encrypted key's password comes from
    /// CROSSFLAKE_MINISIGN_PASSWORD, else from a prompt on the terminal.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Cargo profile; default: crossflake when the project has it, else release.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Build std from rust-src (no rust-std for the target needed).
    #[arg(long)]
    pub build_std: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Extra arguments for cargo, after `--`.
    #[arg(last = true, value_name = "CARGO_ARGS")]
    pub cargo_args: Vec<String>,
}

/// `crossflake doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Targets to check (default: the project's metadata table). Repeatable.
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Check for building std from rust-src (as `crossflake build --build-std`).
    #[arg(long)]
    pub build_std: bool,
    /// Only the Cargo.lock checks `crossflake build` runs before it starts: the crates and
    /// the build tools they need (no git, no recipe tools, no toolchain files).
    #[arg(long)]
    pub fast: bool,
    /// Print JSON instead of a report.
    #[arg(long)]
    pub json: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// `crossflake test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The target to test.
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// Cargo profile; default: the one builds use (crossflake when the project has it,
    /// else release), so the tests run the code that ships.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Build std from rust-src.
    #[arg(long)]
    pub build_std: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Extra arguments for cargo test, after `--`.
    #[arg(last = true, value_name = "CARGO_ARGS")]
    pub cargo_args: Vec<String>,
}

/// `crossflake verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The target the binaries claim to be for (alias or triple; .GLIBC sets the floor to prove).
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// Binaries to check.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print JSON reports.
    #[arg(long)]
    pub json: bool,
}

/// `crossflake oci`.
#[derive(Debug, Args)]
pub struct OciArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: OciAction,
}

/// `crossflake oci build`.
#[derive(Debug, Subcommand)]
pub enum OciAction {
    /// Write a reproducible OCI image layout: one image per platform, an image index over them.
    ///
    /// The image holds the binary (/usr/local/bin), an optional CA bundle, /etc/passwd and
    /// /etc/group with the non-root user 65532 it runs as, and /tmp. Push it with
    /// `skopeo copy --all oci:DIR:TAG docker://REGISTRY/NAME:TAG`.
    ///
    /// Example: crossflake oci build --output image --binary linux/arm64=rg-arm64 --binary linux/amd64=rg-amd64
    Build(OciBuildArgs),
}

/// Arguments of `crossflake oci build`.
#[derive(Debug, Args)]
pub struct OciBuildArgs {
    /// Directory to write the OCI image layout to (`oci:DIR:TAG`).
    #[arg(long, value_name = "DIR", required_unless_present = "archive")]
    pub output: Option<PathBuf>,
    /// Also (or instead) write the whole layout as one tar, an `oci-archive:FILE:TAG`.
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
    /// A CycloneDX JSON SBOM to attach as an OCI 1.1 referrer (artifactType
    /// application/vnd.cyclonedx+json): `PLATFORM=FILE` refers to that platform's image
    /// manifest, a bare `FILE` to the tagged image (the index when there are several
    /// platforms). Repeatable; `crossflake dist` writes one per target (`*.cdx.json`).
    #[arg(long = "sbom", value_name = "[PLATFORM=]FILE")]
    pub sboms: Vec<String>,
    /// Image name (the title annotation; default: the project's image name or package name).
    #[arg(long)]
    pub name: Option<String>,
    /// Tag the layout's index.json names the image by (org.opencontainers.image.ref.name).
    #[arg(long, default_value = "latest")]
    pub tag: String,
    /// A binary for a platform: a catalog alias or an OCI platform (linux/arm64, linux/arm/v7),
    /// `=`, a path. Repeatable. Default: the project's static linux targets, as `crossflake build` left them.
    #[arg(long = "binary", value_name = "PLATFORM=PATH")]
    pub binaries: Vec<String>,
    /// Entrypoint, one argument each (repeatable); default: the binary.
    #[arg(long = "entrypoint", value_name = "ARG", allow_hyphen_values = true)]
    pub entrypoint: Vec<String>,
    /// PEM CA bundle to install as /etc/ssl/certs/ca-certificates.crt (sets SSL_CERT_FILE).
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
    /// A config label (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// org.opencontainers.image.source (default: the package's repository).
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// org.opencontainers.image.revision (default: the project's git HEAD commit, when it has one).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// org.opencontainers.image.version (default: the package's version).
    #[arg(long, value_name = "VERSION")]
    pub image_version: Option<String>,
    /// org.opencontainers.image.licenses, an SPDX expression (default: the package's license).
    #[arg(long, value_name = "SPDX")]
    pub licenses: Option<String>,
    /// Accept dynamically linked binaries (they will not run from a scratch image without their libraries).
    #[arg(long)]
    pub allow_dynamic: bool,
    /// Replace an existing non-empty output directory.
    #[arg(long)]
    pub force: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// `crossflake toolchain`.
#[derive(Debug, Args)]
pub struct ToolchainArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ToolchainAction,
}

/// `crossflake toolchain lock`.
#[derive(Debug, Subcommand)]
pub enum ToolchainAction {
    /// Write rust-toolchain.lock.toml: rust-toolchain.toml's channel manifest pruned to cargo,
    /// rustc, its components for the four host systems, and rust-std for the hosts and targets.
    ///
    /// The manifest is downloaded from the dist server (RUSTUP_DIST_SERVER, default
    /// https://static.rust-lang.org) and checked against its published .sha256.
    ///
    /// Example: crossflake toolchain lock --channel-manifest channel-rust-1.90.0.toml
    Lock(LockArgs),
}

/// Arguments of `crossflake toolchain lock`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Use this channel manifest instead of downloading it (FILE.sha256 is checked when present).
    #[arg(long, value_name = "FILE")]
    pub channel_manifest: Option<PathBuf>,
    /// Exit non-zero with a diff when the lock no longer matches rust-toolchain.toml; write nothing.
    #[arg(long)]
    pub check: bool,
    /// Show the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
