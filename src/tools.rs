//! The tools the recipe needs on this machine: where they are, what is missing and how
//! to get it, and the generated tool scripts (written to crossflake's cache directory).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::Digest;

use crate::atomic::Staged;
use crate::catalog::{RunnerChoice, TargetSpec, catalog};
use crate::recipe::{Recipe, ToolPaths};

/// A tool the recipe needs but this machine lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing (`zig`, `rust-std for aarch64-unknown-linux-musl`).
    pub what: String,
    /// How to get it.
    pub install: String,
}

/// crossflake's cache directory: `$CROSSFLAKE_CACHE_DIR`, else `$XDG_CACHE_HOME/crossflake`,
/// else `~/.cache/crossflake`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CROSSFLAKE_CACHE_DIR") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("crossflake")
}

fn which(name: &str) -> Option<PathBuf> {
    which::which(name).ok()
}

/// The rustc the build will use: `$RUSTC`, else `rustc` on PATH.
pub fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// The zig crossflake builds with, as a command line (program, then arguments):
/// `$CARGO_ZIGBUILD_ZIG_COMMAND` (with `$CARGO_ZIGBUILD_ZIG_COMMAND_ARGS`) when it names an
/// existing file, else `$CARGO_ZIGBUILD_ZIG_PATH`, `zig` on PATH, or the `ziglang` Python
/// package (`python3 -m ziglang`). cargo-zigbuild 0.24.1 left to itself tries `python3 -m
/// ziglang` before `zig` (src/zig/locate.rs), so crossflake pins it to this one through
/// [`ToolPaths::machine_env`]: the zig whose library `ZIG_LIB_DIR` mirrors.
pub fn find_zig() -> Option<Vec<String>> {
    if let Ok(p) = std::env::var("CARGO_ZIGBUILD_ZIG_COMMAND")
        && !p.is_empty()
        && Path::new(&p).exists()
    {
        let args = std::env::var("CARGO_ZIGBUILD_ZIG_COMMAND_ARGS").unwrap_or_default();
        return Some(
            std::iter::once(p)
                .chain(args.split_whitespace().map(str::to_string))
                .collect(),
        );
    }
    if let Ok(p) = std::env::var("CARGO_ZIGBUILD_ZIG_PATH") {
        return Some(vec![p]);
    }
    if let Some(p) = which("zig") {
        return Some(vec![p.display().to_string()]);
    }
    let python = std::env::var("CARGO_ZIGBUILD_PYTHON_PATH").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import ziglang"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| vec![python, "-m".into(), "ziglang".into()])
}

/// [`find_zig`]'s command with its program as an absolute path (cargo-zigbuild ignores a
/// `CARGO_ZIGBUILD_ZIG_COMMAND` that is not an existing file); `None` when no zig is found.
fn pinned_zig() -> Option<Vec<String>> {
    let mut cmd = find_zig()?;
    let program = Path::new(&cmd[0]);
    if !program.is_absolute() {
        // a path (`./zig`, `bin/zig`) is taken from the current directory, a bare name from PATH
        cmd[0] = if cmd[0].contains('/') || program.exists() {
            std::path::absolute(program).ok()?
        } else {
            which(&cmd[0])?
        }
        .display()
        .to_string();
    }
    Some(cmd)
}

/// The trimmed standard output of a command that succeeded, else `None`.
fn output_of(cmd: &[String], args: &[&str]) -> Option<String> {
    let (program, rest) = cmd.split_first()?;
    let out = Command::new(program).args(rest).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// zig's version as `zig version` prints it (`0.17.1`, `0.16.0-dev.123+abc`).
pub fn zig_version(zig: &[String]) -> Option<String> {
    output_of(zig, &["version"])
}

/// zig's library directory, from `zig env`: ZON (`.lib_dir = "..."`, zig 0.14 and later) or
/// JSON (`"lib_dir": "..."`, older ones).
pub fn zig_lib_dir(zig: &[String]) -> Option<PathBuf> {
    let env = output_of(zig, &["env"])?;
    env.lines().find_map(|line| {
        let line = line.trim();
        let rest = line
            .strip_prefix(".lib_dir = \"")
            .or_else(|| line.strip_prefix("\"lib_dir\": \""))?;
        Some(PathBuf::from(rest.split('"').next()?))
    })
}

/// cargo-zigbuild's version (`cargo-zigbuild --version` prints `cargo-zigbuild 0.24.1`).
pub fn cargo_zigbuild_version(cargo_zigbuild: &str) -> Option<String> {
    let out = output_of(&[cargo_zigbuild.to_string()], &["--version"])?;
    out.split_whitespace().nth(1).map(str::to_string)
}

/// The numeric core of a version (`0.16.0-dev.1+abc` -> [0, 16, 0]), for comparisons.
pub fn version_core(v: &str) -> Vec<u64> {
    v.split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// A zig library directory cargo-zigbuild can write to, when zig's own is not writable (a
/// read-only install, such as the Nix store or a system package): cargo-zigbuild writes into
/// the directories targets.toml's `[cargo-zigbuild] writes` lists (`arm-features.h` for arm
/// linux targets). The directory is a mirror of zig's under crossflake's cache directory, keyed
/// by zig's library path and version; [`materialize`] creates it. `None` when zig's own is
/// writable or zig cannot be asked.
pub fn writable_zig_lib_dir() -> Option<PathBuf> {
    let zig = find_zig()?;
    let lib = zig_lib_dir(&zig)?;
    if tempfile::tempfile_in(&lib).is_ok() {
        return None;
    }
    let key = format!(
        "{}\n{}",
        lib.display(),
        zig_version(&zig).unwrap_or_default()
    );
    let digest = hex::encode(&sha2::Sha256::digest(key.as_bytes())[..8]);
    Some(cache_dir().join("zig-lib").join(digest))
}

/// Makes `mirror` a mirror of the directory `from` whose entries link to `from`'s, except that
/// each of `writable` (paths relative to `from`) and the directories above it are real
/// directories, themselves holding links; staged and renamed into place all at once
/// ([`crate::atomic`]). The same layout as nix/writable-zig-lib.sh makes.
fn mirror_tree(from: &Path, mirror: &Path, writable: &[String]) -> Result<()> {
    if mirror.join(".crossflake-mirror").is_file() {
        return Ok(());
    }
    let staged = Staged::dir(mirror)?;
    fn link_entries(from: &Path, to: &Path) -> Result<()> {
        for entry in
            fs::read_dir(from).with_context(|| format!("failed to read {}", from.display()))?
        {
            let entry = entry?;
            std::os::unix::fs::symlink(entry.path(), to.join(entry.file_name()))?;
        }
        Ok(())
    }
    let fill = || -> Result<()> {
        link_entries(from, staged.path())?;
        for sub in writable {
            let (mut src, mut dst) = (from.to_path_buf(), staged.path().to_path_buf());
            for part in Path::new(sub).components() {
                src.push(part);
                dst.push(part);
                if dst.is_symlink() {
                    fs::remove_file(&dst)?;
                    fs::create_dir(&dst)?;
                    link_entries(&src, &dst)?;
                }
            }
        }
        fs::write(
            staged.path().join(".crossflake-mirror"),
            from.display().to_string(),
        )?;
        Ok(())
    };
    fill().with_context(|| format!("failed to mirror zig's library {}", from.display()))?;
    if let Err(e) = staged.commit(mirror) {
        // another run made it first
        if !mirror.join(".crossflake-mirror").is_file() {
            return Err(e);
        }
    }
    Ok(())
}

/// The runner `kind`'s program: for a loader runner, the first of its `loader-dirs` that has
/// it; else on PATH: `program`, else `program-static` (Debian's qemu-user-static), else one of
/// the runner's `alternatives` in the catalog.
pub fn find_runner(kind: &str, program: &str) -> Option<PathBuf> {
    let runner = catalog().runners.get(kind);
    if let Some(r) = runner.filter(|r| !r.loader_dirs.is_empty()) {
        return r
            .loader_dirs
            .iter()
            .map(|d| Path::new(d).join(program))
            .find(|p| p.is_file());
    }
    let alternatives = runner
        .map(|r| r.alternatives.as_slice())
        .unwrap_or_default();
    which(program)
        .or_else(|| which(&format!("{program}-static")))
        .or_else(|| alternatives.iter().find_map(|a| which(a)))
}

/// A glibc sysroot for qemu-user: `$QEMU_LD_PREFIX`, else `/usr/<zig target>` (where
/// Debian's libc6-<arch>-cross packages put it), if it exists.
pub fn find_sysroot(spec: &TargetSpec) -> Option<String> {
    if let Ok(p) = std::env::var("QEMU_LD_PREFIX") {
        return Some(p);
    }
    let base = spec.target().zig_target.as_deref()?;
    let dir = Path::new("/usr").join(base);
    dir.join("lib").is_dir().then(|| dir.display().to_string())
}

/// Tool locations for a recipe of `spec` on `host`; tools not found are given by name
/// (see [`missing_for`] for the check that refuses to build without them).
pub fn tool_paths(spec: &TargetSpec, host: &str) -> ToolPaths {
    let runner = match catalog().runner_for(spec.target(), host) {
        RunnerChoice::Program {
            kind,
            program,
            args,
        } => {
            let found = find_runner(&kind, &program);
            let mut words = vec![
                found
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or(program),
            ];
            // a loader runs the executable with the libraries beside it
            if !catalog().runners[&kind].loader_dirs.is_empty()
                && let Some(dir) = found
                    .and_then(|p| fs::canonicalize(p).ok())
                    .and_then(|p| p.parent().map(Path::to_path_buf))
            {
                words.extend(["--library-path".to_string(), dir.display().to_string()]);
            }
            words.extend(args);
            Some(words.join(" "))
        }
        _ => None,
    };
    ToolPaths {
        cargo_zigbuild: which("cargo-zigbuild")
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "cargo-zigbuild".into()),
        scripts_dir: cache_dir().join("tools").display().to_string(),
        runner,
        sysroot: Some(find_sysroot(spec).unwrap_or_else(|| {
            format!(
                "/usr/{}",
                spec.target().zig_target.as_deref().unwrap_or("sysroot")
            )
        })),
        ssp_stubs: cache_dir().join("ssp-stubs").display().to_string(),
        // none of the CLI's own: the environment's, the project's or rustc's default
        // (ToolPaths::host_linker)
        host_linker: None,
        zig_lib_dir: spec
            .target()
            .zig_target
            .as_ref()
            .and_then(|_| writable_zig_lib_dir())
            .map(|p| p.display().to_string()),
        zig_command: spec
            .target()
            .zig_target
            .as_ref()
            .and_then(|_| pinned_zig())
            .unwrap_or_default(),
    }
}

/// What building `spec` on this machine needs and lacks. `testing` adds the runner.
pub fn missing_for(
    spec: &TargetSpec,
    host: &str,
    build_std: bool,
    testing: bool,
    cwd: &Path,
) -> Vec<Missing> {
    let target = spec.target();
    let mut missing = Vec::new();
    let dev_shell = "or enter the flake's dev shell (`nix develop`), which has every tool";
    if which("cargo").is_none() {
        missing.push(Missing {
            what: "cargo".into(),
            install: format!("install Rust with rustup, {dev_shell}"),
        });
    }
    if target.zig_target.is_some() {
        missing.extend(missing_zig_tools(dev_shell));
    }
    if build_std {
        if !has_rust_src(cwd) {
            missing.push(Missing {
                what: "rust-src (std's source, for --build-std)".into(),
                install: "rustup component add rust-src, or your distribution's rust-src package"
                    .into(),
            });
        }
    } else if !has_rust_std(&target.triple, cwd) {
        missing.push(Missing {
            what: format!("rust-std for {}", target.triple),
            install: format!(
                "rustup target add {}, or pass --build-std to build std from rust-src{}",
                target.triple,
                if target.tier == 3 {
                    " (tier-3 targets have no rust-std)"
                } else {
                    ""
                }
            ),
        });
    }
    if testing {
        missing.extend(missing_runner(spec, host));
    }
    missing
}

/// cargo-zigbuild at the pinned version and zig at the minimum one, where they are missing
/// or another version.
fn missing_zig_tools(dev_shell: &str) -> Vec<Missing> {
    let mut missing = Vec::new();
    let pin = &catalog().cargo_zigbuild;
    let install = format!(
        "{}, {dev_shell}",
        pin.install.replace("{version}", &pin.version)
    );
    match which("cargo-zigbuild") {
        None => missing.push(Missing {
            what: format!("cargo-zigbuild {}", pin.version),
            install,
        }),
        Some(path) => {
            let found = cargo_zigbuild_version(&path.display().to_string());
            if found.as_deref() != Some(pin.version.as_str()) {
                missing.push(Missing {
                    what: format!(
                        "cargo-zigbuild {} (found {} at {})",
                        pin.version,
                        found.as_deref().unwrap_or("an unknown version"),
                        path.display()
                    ),
                    install,
                });
            }
        }
    }
    let zig = &catalog().zig;
    let install = format!("{}, {dev_shell}", zig.install);
    match find_zig() {
        None => missing.push(Missing {
            what: format!("zig {} or newer", zig.min_version),
            install,
        }),
        Some(cmd) => {
            let found = zig_version(&cmd);
            if found
                .as_deref()
                .is_none_or(|v| version_core(v) < version_core(&zig.min_version))
            {
                missing.push(Missing {
                    what: format!(
                        "zig {} or newer (found {} from `{}`)",
                        zig.min_version,
                        found.as_deref().unwrap_or("an unknown version"),
                        cmd.join(" ")
                    ),
                    install,
                });
            }
        }
    }
    missing
}

/// The runner `spec`'s tests need on `host`, and for gnu targets under qemu-user the glibc
/// sysroot, where missing.
fn missing_runner(spec: &TargetSpec, host: &str) -> Vec<Missing> {
    let target = spec.target();
    let mut missing = Vec::new();
    if let RunnerChoice::Program { kind, program, .. } = catalog().runner_for(target, host) {
        let runner = &catalog().runners[&kind];
        if find_runner(&kind, &program).is_none() {
            missing.push(Missing {
                what: format!("{program} (the {kind} runner)"),
                install: runner.install.clone(),
            });
        }
        if kind == "qemu-user" && target.is_gnu() && find_sysroot(spec).is_none() {
            missing.push(Missing {
                what: format!(
                    "a glibc sysroot for {} (qemu-user needs its dynamic loader)",
                    target.triple
                ),
                install: format!(
                    "apt-get install libc6-{}-cross, or set QEMU_LD_PREFIX to a {} root filesystem",
                    debian_arch(&target.arch),
                    target.arch
                ),
            });
        }
    }
    missing
}

fn debian_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "armv7l" => "armhf",
        other => other,
    }
}

fn rustc_print(what: &str, target: Option<&str>, cwd: &Path) -> Option<PathBuf> {
    let mut cmd = Command::new(rustc());
    cmd.current_dir(cwd).args(["--print", what]);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Whether rustc has a compiled std for `triple` (a `libstd-*.rlib` in its target libdir).
pub fn has_rust_std(triple: &str, cwd: &Path) -> bool {
    let Some(dir) = rustc_print("target-libdir", Some(triple), cwd) else {
        return false;
    };
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

/// Whether rustc's sysroot has std's source (`lib/rustlib/src/rust/library/std`).
pub fn has_rust_src(cwd: &Path) -> bool {
    rustc_print("sysroot", None, cwd)
        .is_some_and(|s| s.join("lib/rustlib/src/rust/library/std").is_dir())
}

/// Refuses to go on when tools are missing, listing each with its fix.
pub fn require(missing: &[Missing], what: &str) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing
        .iter()
        .map(|m| format!("  - {}: {}", m.what, m.install))
        .collect();
    bail!(
        "{what} needs tools this machine lacks:\n{}",
        list.join("\n")
    )
}

/// Writes the recipe's tool scripts (mode 0755, only when their content changed), the libssp
/// stub archives when the environment refers to them, and the writable mirror of zig's library
/// when [`ToolPaths::zig_lib_dir`] asks for one.
pub fn materialize(recipe: &Recipe, tools: &ToolPaths) -> Result<()> {
    if let Some(mirror) = &tools.zig_lib_dir {
        let zig = find_zig().context("zig is needed to mirror its library directory")?;
        let lib = zig_lib_dir(&zig).context("`zig env` does not name zig's library directory")?;
        mirror_tree(&lib, Path::new(mirror), &catalog().cargo_zigbuild.writes)?;
    }
    for s in &recipe.scripts {
        let path = Path::new(&s.path);
        if fs::read_to_string(path).ok().as_deref() == Some(s.content.as_str()) {
            continue;
        }
        let dir = path
            .parent()
            .context("a tool script path has no directory")?;
        fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
        Staged::file(path, s.content.as_bytes(), 0o755)?.commit(path)?;
    }
    if recipe
        .env
        .iter()
        .any(|e| e.value.contains(&tools.ssp_stubs))
    {
        let dir = Path::new(&tools.ssp_stubs);
        fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
        for name in ["libssp.a", "libssp_nonshared.a"] {
            // an empty ar archive is just its magic
            crate::atomic::write_file(&dir.join(name), b"!<arch>\n", 0o644)?;
        }
    }
    Ok(())
}
