//! The cross recipe: the environment and cargo command lines for one target on one host,
//! derived from the catalog by filling its placeholders.
//!
//! This is the computation `nix/crossEnv.nix` performs too; `tests/cli/consistency/recipe.rs`
//! proves that both give the same result for every target and host. Nothing here touches
//! the machine: tool locations come in as [`ToolPaths`].

use anyhow::{Context, Result};
use indexmap::IndexMap;
use serde::Serialize;

use crate::catalog::{EnvTemplate, RunnerChoice, TargetSpec, catalog, fill, target_placeholders};

/// Where the machine-dependent tools are, as the strings that go into the environment.
#[derive(Debug, Clone, Serialize)]
pub struct ToolPaths {
    /// The cargo-zigbuild executable.
    pub cargo_zigbuild: String,
    /// The directory generated tool scripts are written to.
    pub scripts_dir: String,
    /// The runner command for this target and host, if it uses a runner program (the
    /// program path plus the runner's arguments, space-separated).
    pub runner: Option<String>,
    /// The glibc sysroot for qemu-user, if the target needs one.
    pub sysroot: Option<String>,
    /// The directory with empty libssp archives.
    pub ssp_stubs: String,
    /// The linker of host artifacts (build scripts, proc-macros) when the target is the
    /// host's own triple, as cargo's `[host] linker` and `[host.<triple>] linker` (the
    /// catalog's `{host-linker}`). `None` leaves both variables out: build scripts get a
    /// project's own `[host]` linker, else one the environment already sets (the flake's
    /// target dev shells do), else rustc's default. The Nix library gives its host cc on
    /// linux hosts (nix/mkLib.nix).
    pub host_linker: Option<String>,
    /// A writable mirror of zig's library directory, given to cargo-zigbuild and zig as
    /// `ZIG_LIB_DIR` when zig's own is read-only (not part of the recipe's environment: it
    /// only makes up for this machine's zig install).
    pub zig_lib_dir: Option<String>,
    /// The zig cargo-zigbuild runs, as a command line (`["/usr/bin/zig"]`,
    /// `["/usr/bin/python3", "-m", "ziglang"]`): the one `zig_lib_dir` mirrors; empty for
    /// recipes without zig or when no zig is found (not part of the recipe's environment).
    pub zig_command: Vec<String>,
}

impl ToolPaths {
    /// The variables that fit the recipe to this machine's zig, as (name, value) pairs:
    /// `ZIG_LIB_DIR` (the writable mirror), and `CARGO_ZIGBUILD_ZIG_COMMAND` with
    /// `CARGO_ZIGBUILD_ZIG_COMMAND_ARGS` (space-separated), which cargo-zigbuild 0.24.1 reads
    /// before looking for `python3 -m ziglang` and `zig` itself (src/zig/locate.rs): so a
    /// PyPI ziglang on PATH cannot swap in another zig than the one whose library is mirrored.
    pub fn machine_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(dir) = &self.zig_lib_dir {
            env.push(("ZIG_LIB_DIR", dir.clone()));
        }
        if let Some((program, args)) = self.zig_command.split_first() {
            env.push(("CARGO_ZIGBUILD_ZIG_COMMAND", program.clone()));
            env.push(("CARGO_ZIGBUILD_ZIG_COMMAND_ARGS", args.join(" ")));
        }
        env
    }
}

/// Options that change the recipe.
#[derive(Debug, Clone)]
pub struct RecipeOptions {
    /// The cargo profile to build with.
    pub profile: String,
    /// Build std from source (adds the catalog's build-std arguments and environment).
    pub build_std: bool,
}

/// One environment variable of the recipe.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Value with tool paths filled in.
    pub value: String,
    /// Set only because std is built from source.
    pub build_std: bool,
    /// Set only where the target's executables run (tests, dev shells), not for building.
    pub run: bool,
    /// It switches an unstable cargo or rustc feature on (targets.toml's `unstable = true`).
    pub unstable: bool,
}

/// A generated tool script.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ToolScript {
    /// Catalog tool name (`zig-cc`).
    pub tool: String,
    /// Where it is written.
    pub path: String,
    /// Full file content, `#!/bin/sh` line included.
    pub content: String,
}

/// The recipe for one target on one host.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recipe {
    /// Catalog alias.
    pub alias: String,
    /// rustc target triple.
    pub target: String,
    /// Host system (`x86_64-linux`).
    pub host: String,
    /// The build command line, profile and build-std arguments included.
    pub command: Vec<String>,
    /// The test command line, likewise.
    pub test_command: Vec<String>,
    /// The environment, in catalog order (recipe, then target, then build-std).
    pub env: Vec<EnvVar>,
    /// Tool scripts the environment refers to.
    pub scripts: Vec<ToolScript>,
    /// How the host runs the target's executables.
    pub runner: RunnerChoice,
}

impl Recipe {
    /// The whole environment as `(name, value)` pairs: for tests and shells.
    pub fn env_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().map(|e| (e.name.as_str(), e.value.as_str()))
    }

    /// The environment a build gets: without the run-only entries (runner, sysroot).
    pub fn build_env_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env
            .iter()
            .filter(|e| !e.run)
            .map(|e| (e.name.as_str(), e.value.as_str()))
    }
}

/// Derives the recipe for `spec` built on `host`.
///
/// Errors only when the catalog names a placeholder that does not exist.
pub fn derive(
    spec: &TargetSpec,
    host: &str,
    opts: &RecipeOptions,
    tools: &ToolPaths,
) -> Result<Recipe> {
    let cat = catalog();
    let target = spec.target();
    let recipe = &cat.recipes[&target.recipe];
    let runner = cat.runner_for(target, host);
    let values = Values::new(spec, &runner, opts, tools);
    let value_of = |name: &str| values.get(name);
    let host_is_target = cat
        .hosts
        .get(host)
        .is_some_and(|h| h.triple == target.triple);
    let mut env = Vec::new();
    let mut scripts: Vec<ToolScript> = Vec::new();
    for (name_t, t) in &env_templates(spec, opts) {
        if t.build_std && !opts.build_std || t.host_is_target && !host_is_target {
            continue;
        }
        let name = fill(name_t, &value_of)?.context("an environment variable name has no value")?;
        let Some(value) = fill(&t.value, &value_of)? else {
            continue;
        };
        for tool in referenced_tools(&t.value) {
            if scripts.iter().any(|s| s.tool == tool) {
                continue;
            }
            let body = fill(&cat.tools[&tool].script, &value_of)?
                .with_context(|| format!("tool script {tool} has a placeholder with no value"))?;
            let path = values
                .script_path(&tool)
                .context("tool scripts need a zig target")?;
            scripts.push(ToolScript {
                tool,
                path,
                content: format!("#!/bin/sh\n{body}"),
            });
        }
        env.push(EnvVar {
            name,
            value,
            build_std: t.build_std,
            run: t.run,
            unstable: t.unstable,
        });
    }
    let command_of = |template: &[String]| -> Result<Vec<String>> {
        let mut cmd = Vec::new();
        for arg in template {
            cmd.push(fill(arg, &value_of)?.context("a command argument has no value")?);
        }
        cmd.extend(["--profile".to_string(), opts.profile.clone()]);
        if opts.build_std {
            cmd.extend(cat.build_std.args.iter().cloned());
        }
        Ok(cmd)
    };
    Ok(Recipe {
        alias: spec.alias.clone(),
        target: target.triple.clone(),
        host: host.to_string(),
        command: command_of(&recipe.build)?,
        test_command: command_of(&recipe.test)?,
        env,
        scripts,
        runner,
    })
}

/// The environment templates of `spec`'s recipe, in catalog order: the recipe's, then the
/// target's (same name: the target's wins), then with `build_std` the build-std ones.
fn env_templates(spec: &TargetSpec, opts: &RecipeOptions) -> IndexMap<String, EnvTemplate> {
    let cat = catalog();
    let target = spec.target();
    let mut templates: IndexMap<String, EnvTemplate> = cat.recipes[&target.recipe].env.clone();
    for (name, t) in &target.env {
        templates.insert(name.clone(), t.clone());
    }
    if opts.build_std {
        for (name, t) in &cat.build_std.env {
            templates.insert(name.clone(), t.clone());
        }
    }
    templates
}

/// The values of the catalog's placeholders for one target, host and tool set: `Some(None)`
/// for a placeholder with no value here (its entry is left out), `None` for an unknown one.
struct Values<'a> {
    fixed: std::collections::BTreeMap<&'static str, String>,
    zig_target: Option<String>,
    runner: Option<String>,
    sysroot: Option<String>,
    opts: &'a RecipeOptions,
    tools: &'a ToolPaths,
}

impl<'a> Values<'a> {
    fn new(
        spec: &TargetSpec,
        runner: &RunnerChoice,
        opts: &'a RecipeOptions,
        tools: &'a ToolPaths,
    ) -> Values<'a> {
        let target = spec.target();
        Values {
            fixed: target_placeholders(spec),
            zig_target: spec.zig_target(),
            runner: match runner {
                RunnerChoice::Program { .. } => tools.runner.clone(),
                _ => None,
            },
            sysroot: match runner {
                RunnerChoice::Program { kind, .. } if kind == "qemu-user" && target.is_gnu() => {
                    tools.sysroot.clone()
                }
                _ => None,
            },
            opts,
            tools,
        }
    }

    /// Where the generated script of catalog tool `tool` goes (targets zig builds only).
    fn script_path(&self, tool: &str) -> Option<String> {
        let zig = self.zig_target.as_deref()?;
        Some(format!(
            "{}/{tool}-{zig}",
            self.tools.scripts_dir.trim_end_matches('/')
        ))
    }

    fn get(&self, name: &str) -> Option<Option<String>> {
        if let Some(v) = self.fixed.get(name) {
            return Some(Some(v.clone()));
        }
        match name {
            "profile" => Some(Some(self.opts.profile.clone())),
            "cargo-zigbuild" => Some(Some(self.tools.cargo_zigbuild.clone())),
            "runner" => Some(self.runner.clone()),
            "sysroot" => Some(self.sysroot.clone()),
            "ssp-stubs" => Some(Some(self.tools.ssp_stubs.clone())),
            "host-linker" => Some(self.tools.host_linker.clone()),
            tool if catalog().tools.contains_key(tool) => Some(self.script_path(tool)),
            _ => None,
        }
    }
}

/// The catalog tools a template refers to, in order of appearance.
fn referenced_tools(template: &str) -> Vec<String> {
    let cat = catalog();
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if cat.tools.contains_key(name) && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools() -> ToolPaths {
        ToolPaths {
            cargo_zigbuild: "/bin/cargo-zigbuild".into(),
            scripts_dir: "/cache/tools".into(),
            runner: Some("/bin/qemu-aarch64".into()),
            sysroot: Some("/usr/aarch64-linux-gnu".into()),
            ssp_stubs: "/cache/ssp".into(),
            host_linker: None,
            zig_lib_dir: None,
            zig_command: Vec::new(),
        }
    }

    fn opts(build_std: bool) -> RecipeOptions {
        RecipeOptions {
            profile: "crossflake".into(),
            build_std,
        }
    }

    fn get<'a>(r: &'a Recipe, name: &str) -> Option<&'a str> {
        r.env
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.value.as_str())
    }

    #[test]
    fn aarch64_musl_on_x86_64_linux() {
        let spec = catalog().resolve("aarch64-musl").unwrap();
        let r = derive(&spec, "x86_64-linux", &opts(false), &tools()).unwrap();
        assert_eq!(
            r.command,
            [
                "cargo",
                "zigbuild",
                "--target",
                "aarch64-unknown-linux-musl",
                "--profile",
                "crossflake"
            ]
        );
        let names: Vec<&str> = r.env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER",
                "CC_aarch64_unknown_linux_musl",
                "CXX_aarch64_unknown_linux_musl",
                "AR_aarch64_unknown_linux_musl",
                "RANLIB_aarch64_unknown_linux_musl",
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER",
            ]
        );
        assert_eq!(
            get(&r, "CC_aarch64_unknown_linux_musl"),
            Some("/cache/tools/zig-cc-aarch64-linux-musl")
        );
        assert_eq!(
            get(&r, "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER"),
            Some("/bin/qemu-aarch64")
        );
        let cc = r.scripts.iter().find(|s| s.tool == "zig-cc").unwrap();
        assert_eq!(
            cc.content,
            "#!/bin/sh\nexec \"/bin/cargo-zigbuild\" zig cc -- -target aarch64-linux-musl -g -fno-sanitize=all  \"$@\"\n"
        );
    }

    #[test]
    fn build_std_adds_tagged_flags() {
        let spec = catalog().resolve("aarch64-musl").unwrap();
        let r = derive(&spec, "x86_64-linux", &opts(true), &tools()).unwrap();
        assert_eq!(r.command.last().unwrap(), "-Zbuild-std=std,panic_abort");
        let flags = r
            .env
            .iter()
            .find(|e| e.name.ends_with("_RUSTFLAGS"))
            .unwrap();
        assert_eq!(flags.value, "-C link-self-contained=no");
        assert!(flags.build_std);
        assert!(
            r.env
                .iter()
                .any(|e| e.name == "RUSTC_BOOTSTRAP" && e.build_std)
        );
    }

    #[test]
    fn gnu_floor_reaches_the_command_and_zig() {
        let spec = catalog().resolve("x86_64-unknown-linux-gnu.2.28").unwrap();
        let r = derive(&spec, "aarch64-linux", &opts(false), &tools()).unwrap();
        assert_eq!(r.command[3], "x86_64-unknown-linux-gnu.2.28");
        assert_eq!(
            r.test_command[..4],
            ["cargo", "test", "--target", "x86_64-unknown-linux-gnu"]
        );
        assert_eq!(get(&r, "QEMU_LD_PREFIX"), Some("/usr/aarch64-linux-gnu"));
        let cc = r.scripts.iter().find(|s| s.tool == "zig-cc").unwrap();
        assert!(
            cc.content.contains("-target x86_64-linux-gnu.2.28 "),
            "{}",
            cc.content
        );
    }

    #[test]
    fn native_runs_drop_runner_and_sysroot() {
        let spec = catalog().resolve("x86_64-musl").unwrap();
        let r = derive(&spec, "x86_64-linux", &opts(false), &tools()).unwrap();
        assert_eq!(
            get(&r, "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUNNER"),
            None
        );
        assert_eq!(get(&r, "QEMU_LD_PREFIX"), None);
        assert_eq!(r.runner, RunnerChoice::Native);
    }

    #[test]
    fn the_hosts_own_gnu_triple_keeps_host_artifacts_off_zig_and_runs_through_the_loader() {
        let spec = catalog().resolve("x86_64-gnu").unwrap();
        let r = derive(&spec, "x86_64-linux", &opts(false), &tools()).unwrap();
        assert_eq!(get(&r, "CARGO_TARGET_APPLIES_TO_HOST"), Some("false"));
        assert_eq!(
            get(&r, "CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST"),
            Some("true")
        );
        assert_eq!(
            get(&r, "__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS"),
            Some("nightly")
        );
        assert_eq!(
            r.runner,
            RunnerChoice::Program {
                kind: "glibc-loader".into(),
                program: "ld-linux-x86-64.so.2".into(),
                args: vec![],
            }
        );
        // the runner is for tests only; a build never sees it
        let build: Vec<&str> = r.build_env_pairs().map(|(n, _)| n).collect();
        assert!(
            !build.contains(&"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER"),
            "{build:?}"
        );
        assert!(
            r.env_pairs()
                .any(|(n, _)| n == "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER")
        );
        // cargo's host-config: build scripts get the host linker where there is one, and
        // rustc's default where there is none (the CLI's case)
        assert_eq!(get(&r, "CARGO_UNSTABLE_HOST_CONFIG"), Some("true"));
        assert_eq!(get(&r, "CARGO_HOST_LINKER"), None);
        assert_eq!(get(&r, "CARGO_HOST_X86_64_UNKNOWN_LINUX_GNU_LINKER"), None);
        let with_host_cc = ToolPaths {
            host_linker: Some("/nix/store/x-crossflake-host-cc".into()),
            ..tools()
        };
        let r = derive(&spec, "x86_64-linux", &opts(false), &with_host_cc).unwrap();
        for name in [
            "CARGO_HOST_LINKER",
            "CARGO_HOST_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        ] {
            assert_eq!(
                get(&r, name),
                Some("/nix/store/x-crossflake-host-cc"),
                "{name}"
            );
        }
        assert!(
            get(&r, "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER")
                .is_some_and(|l| l.ends_with("/zig-cc-x86_64-linux-gnu.2.17")),
            "{:?}",
            r.env
        );
        // another host's triple: cargo's default already keeps the target's linker off
        let r = derive(&spec, "aarch64-linux", &opts(false), &with_host_cc).unwrap();
        assert_eq!(get(&r, "CARGO_TARGET_APPLIES_TO_HOST"), None);
        assert_eq!(get(&r, "CARGO_UNSTABLE_HOST_CONFIG"), None);
        assert_eq!(get(&r, "CARGO_HOST_LINKER"), None);
    }

    #[test]
    fn wasm_uses_the_filtering_linker_and_cargo() {
        let spec = catalog().resolve("wasm32-wasip1").unwrap();
        let mut t = tools();
        t.runner = Some("/bin/wasmtime run".into());
        let r = derive(&spec, "aarch64-darwin", &opts(false), &t).unwrap();
        assert_eq!(r.command[..2], ["cargo", "build"]);
        assert_eq!(
            get(&r, "CARGO_TARGET_WASM32_WASIP1_LINKER"),
            Some("/cache/tools/zig-wasm-ld-wasm32-wasi")
        );
        assert_eq!(
            get(&r, "CARGO_TARGET_WASM32_WASIP1_RUNNER"),
            Some("/bin/wasmtime run")
        );
        let ld = r.scripts.iter().find(|s| s.tool == "zig-wasm-ld").unwrap();
        assert!(ld.content.contains("-Wl,--stack-first"));
        assert!(ld.content.contains("-Wl,--allow-undefined"));
    }

    #[test]
    fn darwin_builds_natively_with_no_tools() {
        let spec = catalog().resolve("x86_64-darwin").unwrap();
        let r = derive(&spec, "aarch64-darwin", &opts(false), &tools()).unwrap();
        assert_eq!(
            r.command,
            [
                "cargo",
                "build",
                "--target",
                "x86_64-apple-darwin",
                "--profile",
                "crossflake"
            ]
        );
        assert!(r.env.is_empty() && r.scripts.is_empty());
        assert_eq!(r.runner.label(), "rosetta");
    }
}
