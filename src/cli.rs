//! Command-line arguments (clap derive only; each `///` line is the --help text).
//!
//! A flag that several verbs take is declared once, in one of the groups at the end of this
//! file, and flattened into each verb (`#[command(flatten)]`), so it has one help text, one
//! value parser and one default everywhere; the tests at the end of this file walk the command
//! tree and fail when one long flag differs between verbs. A verb's first doc line is its one line in the
//! top-level `--help`; the rest is its own `--help`.

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
    /// Add crossflake to a Cargo package or workspace.
    ///
    /// Writes flake.nix, the [package.metadata.crossflake] table, rust-toolchain.toml,
    /// [profile.crossflake], .envrc and .gitignore entries. Never replaces a file crossflake
    /// did not write without --force; running it twice changes nothing. --target is
    /// repeatable; without it a project gets x86_64-musl and aarch64-musl.
    ///
    /// Example: crossflake init --target aarch64-musl --target x86_64-unknown-linux-gnu.2.28 --oci
    Init(InitArgs),
    /// Create a new Cargo package with crossflake set up.
    ///
    /// Example: crossflake new hello --target aarch64-musl
    New(NewArgs),
    /// Add or remove the project's targets.
    ///
    /// Edits the metadata table and rust-toolchain.toml (and the toolchain lock) together.
    ///
    /// Example: crossflake target add wasm32-wasip1
    Target(TargetArgs),
    /// Print the environment and cargo command of a target's recipe.
    ///
    /// The recipe on this host (or --host), with this machine's tool paths filled in.
    ///
    ///
    /// Example: eval "$(crossflake env --target aarch64-musl --shell)"
    Env(EnvArgs),
    /// Build the project's targets with zig and cargo-zigbuild.
    ///
    /// --target is repeatable; without it, the project's targets. Targets whose recipes differ
    /// only in --target build in one cargo run.
    ///
    /// Example: crossflake build --target aarch64-musl -- --bin server
    Build(BuildArgs),
    /// Run the project's tests under the host's runners.
    ///
    /// qemu-user, wine, wasmtime or the glibc loader, as the catalog says for this host.
    ///
    /// --target is repeatable; without it, the project's targets. A target with no runner on
    /// this host is reported as skipped, with the reason.
    ///
    /// Example: crossflake test --target aarch64-musl
    Test(TestArgs),
    /// Prove binaries are what their target claims.
    ///
    /// Format, machine, static linkage (musl), glibc floor (gnu).
    ///
    /// Example: crossflake verify --target x86_64-unknown-linux-gnu.2.17 target/x86_64-unknown-linux-gnu/crossflake/app
    Verify(VerifyArgs),
    /// Build OCI images from static binaries, with no container engine.
    ///
    /// Example: crossflake oci build --output image --tag 1.0 --binary aarch64-musl=target/aarch64-unknown-linux-musl/crossflake/app
    Oci(OciArgs),
    /// Build and write release archives, SBOMs and checksums.
    ///
    /// One archive per package and target, named and laid out as cargo-binstall looks for
    /// them ({name}-{target}-v{version}.tar.gz, .zip for windows), with the package's README
    /// and licence files and the licence texts of the linked dependencies; a CycloneDX SBOM
    /// beside each, from the dependency tree cargo-auditable embeds in the binaries;
    /// SHA256SUMS; crossflake-dist.json (every artifact with its target, sha256, size and
    /// verify result). Archives are byte for byte the same for the same binaries: sorted
    /// entries, owner 0:0, mtimes from SOURCE_DATE_EPOCH, else the last commit, else
    /// 1980-01-01. --target is repeatable; without it, the project's targets this host
    /// builds. The output directory defaults to target/dist in the project.
    ///
    /// Example: crossflake dist --target aarch64-musl --target x86_64-windows --output dist
    Dist(DistArgs),
    /// Report what will go wrong building, with the fix for each.
    ///
    /// Checks missing tools, C dependencies that need a build tool or cannot be linked
    /// statically, files the flake does not see, a stale toolchain lock.
    ///
    /// Exit status: 0 nothing found, 1 errors, 2 warnings only.
    ///
    /// Example: crossflake doctor --target aarch64-musl --json
    Doctor(DoctorArgs),
    /// Write the project's CI pipeline (GitHub Actions).
    ///
    /// .github/workflows/crossflake.yml: fmt, clippy, the host's tests and `nix flake check`
    /// as gates; one build job per target on a runner whose host builds it, verified and
    /// tested; on a v* tag the release archives and the image; `required`, the one check
    /// branch protection names. Settings live in [package.metadata.crossflake.ci]. Exit
    /// status: 0 written (or, with --check, up to date), 1 out of date (--check, with the
    /// diff), 2 an error.
    ///
    /// Example: crossflake ci --check
    Ci(CiArgs),
    /// Pin the toolchain in rust-toolchain.lock.toml.
    ///
    /// The flake reads the lock with no import-from-derivation.
    ///
    /// Example: crossflake toolchain lock --check
    Toolchain(ToolchainArgs),
    /// Set the project's Nix binary cache (flake.nix, CI, doctor).
    ///
    /// Records it in the crossflake metadata and writes flake.nix's nixConfig from it, both or
    /// neither. The push credential is named (a variable or CI secret), never stored.
    ///
    /// Example: crossflake cache set --kind cachix --url https://acme.cachix.org --public-key acme.cachix.org-1:BASE64
    Cache(CacheArgs),
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

/// `crossflake internal ...`: each a one-line call into the function the verbs use.
#[derive(Debug, Subcommand)]
pub enum InternalAction {
    /// The project's settings and each host's flake outputs (nix/projectConfig.nix and
    /// nix/hostOutputs.nix compute the same).
    Config {
        /// Path to Cargo.toml.
        #[command(flatten)]
        manifest: ManifestArg,
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
    #[command(flatten)]
    pub host: HostArg,
    #[command(flatten)]
    pub json: JsonArg,
}

/// Options shared by `init` and `new`.
#[derive(Debug, Args, Clone)]
pub struct InitOptions {
    #[command(flatten)]
    pub targets: TargetsArg,
    /// Rust channel for rust-toolchain.toml, as rustup spells it: stable, beta, nightly, each
    /// optionally -YYYY-MM-DD, or a version 1.N or 1.N.M; default: stable.
    #[arg(long, value_name = "CHANNEL")]
    pub toolchain: Option<String>,
    /// Add an [*.metadata.crossflake.image] table, so the flake builds OCI images.
    #[arg(long)]
    pub oci: bool,
    /// Add a [package.metadata.binstall] table, so `cargo binstall` finds the archives
    /// `crossflake dist` writes on the package's GitHub releases (tag v{version}).
    #[arg(long)]
    pub binstall: bool,
    /// Where the project's flake.nix takes crossflake from.
    #[arg(long, value_name = "URL")]
    pub flake_url: Option<String>,
    /// Write flake.nix as a flake-parts flake importing crossflake's module
    /// (`crossflake.flakeModules.default`) instead of one `crossflake.lib.mkFlake` call. Once
    /// written, later runs keep that style.
    #[arg(long, conflicts_with = "no_flake_parts")]
    pub flake_parts: bool,
    /// Write flake.nix as one `crossflake.lib.mkFlake` call again, where it is the flake-parts
    /// one.
    #[arg(long)]
    pub no_flake_parts: bool,
    #[command(flatten)]
    pub cache: InitCache,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub force: ForceArg,
}

/// What each cache option means, for `cache set` and `init` alike.
const CACHE_KIND: &str = "What serves the cache: cachix, attic, s3 (a bucket, pushed with `nix copy`) or http (a \
     binary cache that takes PUT, pushed with `nix copy`).";
const CACHE_URL: &str = "The substituter URL: https://NAME.cachix.org, https://HOST/CACHE (attic), \
     s3://BUCKET?region=REGION, or https://HOST[/PATH].";
const CACHE_PUBLIC_KEY: &str = "The cache's public key, NAME:BASE64, as `nix key convert-secret-to-public` \
     prints it or cachix shows it.";
const CACHE_SECRET: &str = "The variable (and CI secret) holding the push credential, never the credential: \
     default CACHIX_AUTH_TOKEN, ATTIC_TOKEN, or NIX_SIGNING_KEY (the secret key nix copy signs with).";

/// The binary cache `init` records: all of --cache-kind, --cache-url and --cache-public-key, or
/// none.
#[derive(Debug, Args, Clone, Default)]
pub struct InitCache {
    #[arg(long, value_name = "KIND", requires_all = ["cache_url", "cache_public_key"], help = CACHE_KIND, help_heading = "Binary cache")]
    pub cache_kind: Option<String>,
    #[arg(long, value_name = "URL", requires = "cache_kind", help = CACHE_URL, help_heading = "Binary cache")]
    pub cache_url: Option<String>,
    #[arg(long, value_name = "NAME:BASE64", requires = "cache_kind", help = CACHE_PUBLIC_KEY, help_heading = "Binary cache")]
    pub cache_public_key: Option<String>,
    #[arg(long, value_name = "VAR", requires = "cache_kind", help = CACHE_SECRET, help_heading = "Binary cache")]
    pub cache_secret: Option<String>,
}

/// `crossflake cache`.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: CacheAction,
}

/// `crossflake cache set|unset`.
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Record the binary cache and write flake.nix's nixConfig (extra-substituters,
    /// extra-trusted-public-keys) from it.
    Set(CacheSetArgs),
    /// Remove the binary cache from the metadata and from flake.nix's nixConfig.
    Unset(CacheUnsetArgs),
}

/// `crossflake cache set`.
#[derive(Debug, Args)]
pub struct CacheSetArgs {
    #[arg(long, value_name = "KIND", help = CACHE_KIND)]
    pub kind: String,
    #[arg(long, value_name = "URL", help = CACHE_URL)]
    pub url: String,
    #[arg(long, value_name = "NAME:BASE64", help = CACHE_PUBLIC_KEY)]
    pub public_key: String,
    #[arg(long, value_name = "VAR", help = CACHE_SECRET)]
    pub secret: Option<String>,
    #[command(flatten)]
    pub manifest: ManifestArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub force: ForceArg,
}

/// `crossflake cache unset`.
#[derive(Debug, Args)]
pub struct CacheUnsetArgs {
    #[command(flatten)]
    pub manifest: ManifestArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub force: ForceArg,
}

/// `crossflake init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub manifest: ManifestArg,
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
    #[command(flatten)]
    pub manifest: ManifestArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// `crossflake env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub host: HostArg,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub build_std: BuildStdArg,
    #[command(flatten)]
    pub manifest: ManifestArg,
    // --json: command, test-command, env (name, value, build-std, run), tools, scripts, runner
    #[command(flatten)]
    pub json: JsonArg,
    /// Print `export NAME='value'` lines for a POSIX shell.
    #[arg(long, conflicts_with = "json")]
    pub shell: bool,
}

/// `crossflake build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub build: BuildFlags,
}

/// `crossflake test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub build: BuildFlags,
}

/// `crossflake dist`.
#[derive(Debug, Args)]
pub struct DistArgs {
    #[command(flatten)]
    pub build: BuildFlags,
    #[command(flatten)]
    pub output: OutputArg,
    /// Package binaries built elsewhere instead of building: TARGET=DIR, DIR holding the
    /// target's executables (a Nix build's `bin/`). Repeatable; each must pass verify.
    /// Without audit data in them, pass --no-audit.
    #[arg(long, value_name = "TARGET=DIR", conflicts_with_all = ["targets", "check_reproducible", "build_std", "profile", "release", "cargo_args"])]
    pub prebuilt: Vec<String>,
    #[command(flatten)]
    pub force: ForceArg,
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
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// `crossflake doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub targets: TargetsArg,
    #[command(flatten)]
    pub build_std: BuildStdArg,
    /// Only the Cargo.lock checks `crossflake build` runs before it starts: the crates and
    /// the build tools they need (no git, no recipe tools, no toolchain files).
    #[arg(long)]
    pub fast: bool,
    /// Nix remote builders to check, as Nix's `--builders` takes them (`ssh-ng://USER@HOST
    /// SYSTEMS SSH-KEY ...`, machines separated by `;`, or @FILE): whether each answers
    /// (`nix store ping`, NIX_SSHOPTS applies) and which of the project's targets it builds.
    #[arg(long, value_name = "SPEC")]
    pub builders: Option<String>,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub manifest: ManifestArg,
}

/// `crossflake verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: TargetArg,
    /// Binaries to check.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
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
    /// `skopeo copy --all oci:DIR:TAG docker://REGISTRY/NAME:TAG`. Give --output, --archive or
    /// both.
    ///
    /// Example: crossflake oci build --output image --binary linux/arm64=rg-arm64 --binary linux/amd64=rg-amd64
    Build(OciBuildArgs),
}

/// Arguments of `crossflake oci build`.
#[derive(Debug, Args)]
pub struct OciBuildArgs {
    #[command(flatten)]
    pub output: OutputArg,
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
    #[arg(long, value_name = "NAME")]
    pub image_name: Option<String>,
    /// Tag the layout's index.json names the image by (org.opencontainers.image.ref.name).
    #[arg(long, default_value = "latest")]
    pub tag: String,
    /// A binary for a platform: a catalog alias or an OCI platform (linux/arm64, linux/arm/v7),
    /// `=`, a path. Repeatable. Default: the project's static linux targets, as `crossflake
    /// build` left them for the profile.
    #[arg(long = "binary", value_name = "PLATFORM=PATH")]
    pub binaries: Vec<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
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
    #[command(flatten)]
    pub force: ForceArg,
    #[command(flatten)]
    pub manifest: ManifestArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
}

/// `crossflake ci`.
#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub check: CheckArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub force: ForceArg,
    /// Build with crossflake's recipe (rust-toolchain.toml's Rust, zig and cargo-zigbuild at the
    /// catalog's versions, crossflake installed with cargo) instead of Nix.
    #[arg(long)]
    pub no_nix: bool,
    #[command(flatten)]
    pub manifest: ManifestArg,
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
    #[command(flatten)]
    pub check: CheckArg,
    #[command(flatten)]
    pub dry_run: DryRunArg,
    #[command(flatten)]
    pub manifest: ManifestArg,
}

// ---- flags several verbs share: each declared once, here --------------------------------

/// The help of `--target`, single or repeatable.
const TARGET_HELP: &str = "A target: a catalog alias (aarch64-musl) or a triple, with .GLIBC for a \
    glibc floor (x86_64-unknown-linux-gnu.2.28); `crossflake targets` lists them";

/// `--target`, repeatable: the verbs that act on several targets.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetsArg {
    #[arg(long = "target", value_name = "TARGET", help = TARGET_HELP)]
    pub targets: Vec<String>,
}

/// `--target`, once: the verbs that act on one target.
#[derive(Debug, Args, Clone)]
pub struct TargetArg {
    #[arg(long = "target", value_name = "TARGET", required = true, help = TARGET_HELP)]
    pub target: String,
}

/// `--profile` and `--release`.
#[derive(Debug, Args, Clone, Default)]
pub struct ProfileArgs {
    /// Cargo profile; default: crossflake when the project has [profile.crossflake], else release.
    #[arg(long, value_name = "NAME", conflicts_with = "release")]
    pub profile: Option<String>,
    /// Use the release profile (as --profile release).
    #[arg(long)]
    pub release: bool,
}

/// `--build-std`.
#[derive(Debug, Args, Clone, Default)]
pub struct BuildStdArg {
    /// Build std from rust-src (for toolchains with no rust-std for the target, and tier-3 targets).
    #[arg(long)]
    pub build_std: bool,
}

/// `--manifest-path`.
#[derive(Debug, Args, Clone, Default)]
pub struct ManifestArg {
    /// Path to the project's root Cargo.toml (default: ./Cargo.toml).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

/// What every verb that builds takes: targets, profile, --build-std, the manifest, cargo's
/// own arguments.
#[derive(Debug, Args, Clone, Default)]
pub struct BuildFlags {
    #[command(flatten)]
    pub targets: TargetsArg,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub build_std: BuildStdArg,
    #[command(flatten)]
    pub manifest: ManifestArg,
    /// Extra arguments for cargo, after `--`.
    #[arg(last = true, value_name = "CARGO_ARGS")]
    pub cargo_args: Vec<String>,
}

/// `--output`.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArg {
    /// Directory to write to: dist's archives (default: target/dist in the project), or oci
    /// build's image layout (`oci:DIR:TAG`).
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "out",
        value_name = "DIR"
    )]
    pub output: Option<PathBuf>,
}

/// `--dry-run`.
#[derive(Debug, Args, Clone, Default)]
pub struct DryRunArg {
    /// Show what would be written (a unified diff of each file, or the plan) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--force`.
#[derive(Debug, Args, Clone, Default)]
pub struct ForceArg {
    /// Replace what is in the way: a flake.nix crossflake did not write or one edited since, a
    /// non-empty output directory, an existing archive.
    #[arg(long)]
    pub force: bool,
}

/// `--json`.
#[derive(Debug, Args, Clone, Default)]
pub struct JsonArg {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--host`.
#[derive(Debug, Args, Clone, Default)]
pub struct HostArg {
    /// Host system to report for (x86_64-linux, aarch64-linux, x86_64-darwin, aarch64-darwin);
    /// default: this machine.
    #[arg(long, value_name = "SYSTEM")]
    pub host: Option<String>,
}

/// `--check`.
#[derive(Debug, Args, Clone, Default)]
pub struct CheckArg {
    /// Write nothing; exit non-zero with a diff when what is committed is not what would be
    /// written.
    #[arg(long)]
    pub check: bool,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every long flag of `cmd` and its subcommands, by flag, with where it is (`crossflake
    /// dist`) and what it means there: help, long help, value parser, default.
    fn flags(cmd: &clap::Command, path: &str, out: &mut BTreeMap<String, Vec<(String, String)>>) {
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let meaning = format!(
                "help {:?}; long help {:?}; value parser {:?}; default {:?}",
                arg.get_help().map(|h| h.to_string()),
                arg.get_long_help().map(|h| h.to_string()),
                arg.get_value_parser().type_id(),
                arg.get_default_values()
            );
            out.entry(long.to_string())
                .or_default()
                .push((path.to_string(), meaning));
        }
        for sub in cmd.get_subcommands() {
            flags(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    /// The flags whose meaning differs between two commands, each with both meanings.
    fn divergent(cmd: &clap::Command) -> Vec<String> {
        let mut all = BTreeMap::new();
        flags(cmd, cmd.get_name(), &mut all);
        let mut out = Vec::new();
        for (long, places) in &all {
            let (first_path, first) = &places[0];
            for (path, meaning) in &places[1..] {
                if meaning != first {
                    out.push(format!(
                        "--{long}: `{first_path}`: {first}\n  `{path}`: {meaning}"
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn a_long_flag_means_the_same_in_every_verb() {
        let cmd = super::Cli::command();
        let mut all = BTreeMap::new();
        flags(&cmd, "crossflake", &mut all);
        // the shared groups are really shared: these flags are in several verbs
        for (long, at_least) in [
            ("target", 7),
            ("manifest-path", 9),
            ("dry-run", 6),
            ("profile", 5),
            ("json", 4),
        ] {
            assert!(all[long].len() >= at_least, "--{long}: {:?}", all[long]);
        }
        let bad = divergent(&cmd);
        assert!(
            bad.is_empty(),
            "flags that differ between verbs:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn a_flag_declared_twice_with_other_help_is_seen() {
        let force = |help: &'static str| {
            clap::Arg::new("force")
                .long("force")
                .action(clap::ArgAction::SetTrue)
                .help(help)
        };
        let cmd = clap::Command::new("x")
            .subcommand(clap::Command::new("a").arg(force("Replace it")))
            .subcommand(clap::Command::new("b").arg(force("Replace the output")));
        let bad = divergent(&cmd);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("--force: `x a`"), "{bad:?}");
    }

    #[test]
    fn the_top_level_help_gives_each_verb_one_short_line() {
        let cmd = super::Cli::command();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            assert!(
                !about.is_empty() && !about.contains('\n') && about.len() <= 64,
                "`crossflake {}`: its line in --help is {} characters: {about:?}",
                sub.get_name(),
                about.len()
            );
        }
        let help = cmd.clone().render_help().to_string();
        let commands: Vec<&str> = help
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .collect();
        let verbs = cmd.get_subcommands().filter(|s| !s.is_hide_set()).count() + 1; // + help
        assert_eq!(commands.len(), verbs, "a verb's line wraps:\n{help}");
    }
}
