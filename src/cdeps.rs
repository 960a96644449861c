//! C dependencies: what the crates in a project's Cargo.lock need from the build machine and
//! from the recipe, read from the catalog's `[build-tools]`, `[crates]` and `[sys-crates]`
//! (targets.toml). Shared by `crossflake doctor` and the check `crossflake build` runs before
//! it starts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::catalog::{Severity, Target, catalog};
use crate::tools;

/// One problem found, with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// What was checked: `crate openssl-sys`, `tool perl`, `Cargo.lock`.
    pub check: String,
    /// What goes wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

/// The packages of a Cargo.lock: crate name -> the names of its dependencies (all versions of
/// a crate merged).
#[derive(Debug, Default, Clone)]
pub struct LockedCrates {
    deps: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Deserialize)]
struct LockFile {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl LockedCrates {
    /// Parses Cargo.lock text (versions 1 to 4: `[[package]]` with `name` and `dependencies`,
    /// each dependency written `name`, `name version` or `name version (source)`).
    ///
    /// Errors: not TOML, or a package without a name; the message names `path`.
    pub fn parse(text: &str, path: &Path) -> Result<LockedCrates> {
        let lock: LockFile = toml_edit::de::from_str(text)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in lock.package {
            let entry = deps.entry(p.name).or_default();
            for d in p.dependencies {
                if let Some(name) = d.split_whitespace().next() {
                    entry.insert(name.to_string());
                }
            }
        }
        Ok(LockedCrates { deps })
    }

    /// Reads and parses the Cargo.lock at `path`.
    ///
    /// Errors: the file cannot be read or is not a Cargo.lock.
    pub fn read_file(path: &Path) -> Result<LockedCrates> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        LockedCrates::parse(&text, path)
    }

    /// Reads `root/Cargo.lock`; `None` when there is none.
    ///
    /// Errors: it cannot be read or parsed.
    pub fn read(root: &Path) -> Result<Option<LockedCrates>> {
        let path = root.join("Cargo.lock");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(LockedCrates::parse(&text, &path)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
        }
    }

    /// The crates cargo builds for `triple`, from `cargo metadata --format-version 1 --locked
    /// --filter-platform TRIPLE` in `root`: the workspace members and, followed down, their
    /// normal and build dependencies and the members' own dev-dependencies (tests and crane's
    /// dependency builds compile those), with the features the workspace turns on by default.
    /// Cargo.lock lists the crates of every optional feature too; this lists only those built.
    /// Runs in `root`, as the build does (its .cargo/config.toml and rust-toolchain.toml
    /// apply); leaves Cargo.lock unchanged (`--locked`), and may fetch the crates' sources.
    ///
    /// Errors: cargo cannot be run or fails (a Cargo.lock that needs updating, sources that
    /// cannot be fetched), or prints something that is not cargo metadata or has no
    /// workspace member.
    pub fn resolved(root: &Path, triple: &str) -> Result<LockedCrates> {
        let out = Command::new("cargo")
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--locked"])
            .args(["--filter-platform", triple, "--manifest-path"])
            .arg(root.join("Cargo.toml"))
            .output()
            .context("failed to run cargo metadata")?;
        if !out.status.success() {
            anyhow::bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("cargo metadata printed no JSON")?;
        let ids = |key: &str| -> Vec<&str> {
            meta[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect()
        };
        let names: BTreeMap<&str, &str> = meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
            .collect();
        let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
            .as_array()
            .context("cargo metadata has no resolve graph")?
            .iter()
            .filter_map(|n| Some((n["id"].as_str()?, n)))
            .collect();
        let members: BTreeSet<&str> = ids("workspace_members").into_iter().collect();
        if members.is_empty() {
            anyhow::bail!("cargo metadata lists no workspace member");
        }
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut seen: BTreeSet<&str> = members.clone();
        let mut todo: Vec<&str> = members.iter().copied().collect();
        while let Some(id) = todo.pop() {
            let name = names.get(id).copied().unwrap_or(id);
            let entry = deps.entry(name.to_string()).or_default();
            for d in nodes
                .get(id)
                .and_then(|n| n["deps"].as_array())
                .into_iter()
                .flatten()
            {
                let Some(pkg) = d["pkg"].as_str() else {
                    continue;
                };
                // a dev-dependency counts only for a workspace member; no dep_kinds (cargo
                // before 1.41): a normal dependency
                let built = match d["dep_kinds"].as_array() {
                    Some(kinds) if !kinds.is_empty() => kinds
                        .iter()
                        .any(|k| k["kind"].as_str() != Some("dev") || members.contains(id)),
                    _ => true,
                };
                if !built {
                    continue;
                }
                entry.insert(names.get(pkg).copied().unwrap_or(pkg).to_string());
                if seen.insert(pkg) {
                    todo.push(pkg);
                }
            }
        }
        Ok(LockedCrates { deps })
    }

    /// Whether the lock has a crate of this name.
    pub fn has(&self, name: &str) -> bool {
        self.deps.contains_key(name)
    }

    /// Whether `wanted` is among `name`'s dependencies, directly or further down.
    pub fn depends_on(&self, name: &str, wanted: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![name];
        while let Some(n) = todo.pop() {
            for d in self.deps.get(n).into_iter().flatten() {
                if d == wanted {
                    return true;
                }
                if seen.insert(d.as_str()) {
                    todo.push(d);
                }
            }
        }
        false
    }
}

/// Whether the catalog's crate rules apply to a target: those built with zig (not darwin).
fn zig_built(target: &Target) -> bool {
    target.zig_target.is_some()
}

/// The `[crates]` and `[sys-crates]` problems of the lock's crates for one target, in crate
/// name order.
pub fn crate_findings(lock: &LockedCrates, target: &Target) -> Vec<Finding> {
    let cat = catalog();
    let mut out = Vec::new();
    if !zig_built(target) {
        return out;
    }
    for name in lock.deps.keys() {
        if let Some(rule) = cat.crates.get(name) {
            let Some(severity) = rule.severity else {
                continue;
            };
            if !rule.libc.is_empty() && !rule.libc.contains(&target.libc) {
                continue;
            }
            let triple = target.triple.to_uppercase().replace('-', "_");
            if rule
                .unless_env
                .iter()
                .any(|v| std::env::var_os(v.replace("{TRIPLE}", &triple)).is_some())
            {
                continue;
            }
            if rule
                .unless
                .as_deref()
                .is_some_and(|u| lock.depends_on(name, u))
            {
                continue;
            }
            out.push(Finding {
                severity,
                check: format!("crate {name}"),
                problem: rule.problem.replace("{crate}", name),
                fix: rule.fix.replace("{crate}", name),
            });
        } else if name.ends_with("-sys") {
            let rule = &cat.sys_crates;
            let deps = &lock.deps[name];
            if deps.contains("pkg-config") && !rule.builds.iter().any(|b| deps.contains(b)) {
                out.push(Finding {
                    severity: rule.severity,
                    check: format!("crate {name}"),
                    problem: rule.problem.replace("{crate}", name),
                    fix: rule.fix.replace("{crate}", name),
                });
            }
        }
    }
    out
}

/// The `[build-tools]` keys the lock's crates need (each crate of `[crates]` in the lock brings
/// its `needs`), sorted, each once: nix/buildTools.nix gives the same list.
pub fn needed_tools(lock: &LockedCrates) -> Vec<String> {
    let cat = catalog();
    let mut wanted = BTreeSet::new();
    for (name, rule) in &cat.crates {
        if lock.has(name) {
            wanted.extend(rule.needs.iter().cloned());
        }
    }
    wanted
        .into_iter()
        .filter(|k| cat.build_tools.contains_key(k))
        .collect()
}

/// A libclang library found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Libclang {
    /// The directory holding it (what `LIBCLANG_PATH` is set to).
    pub dir: PathBuf,
    /// Its major version ([`libclang_major`]); 0 when nothing says it.
    pub major: u32,
}

/// The major version of zig's own clang, from `zig cc --version` (`clang version 19.1.7 ...`).
pub fn zig_clang_major(zig: &[String]) -> Option<u32> {
    let (program, rest) = zig.split_first()?;
    let out = Command::new(program)
        .args(rest)
        .args(["cc", "--version"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    clang_major(&text)
}

/// The major version in `clang version X.Y.Z` text.
pub fn clang_major(text: &str) -> Option<u32> {
    let rest = &text[text.find("clang version ")? + "clang version ".len()..];
    rest.split(['.', ' ']).next()?.parse().ok()
}

/// The major version a libclang's directory or file name says: an `llvm-19` directory above
/// it (Debian, whose `libclang.so.1` carries a soname number, not the version), a
/// `Cellar/llvm/19.1.7` one (Homebrew), then the name (`libclang-19.so.1`,
/// `libclang.so.19.1`); `None` when none says.
pub fn libclang_major(file: &Path) -> Option<u32> {
    let from_dirs = file.ancestors().skip(1).find_map(|a| {
        let name = a.file_name()?.to_string_lossy().to_string();
        let version = name.strip_prefix("llvm-").or_else(|| {
            let parent = a.parent()?.file_name()?.to_string_lossy().to_string();
            (parent == "llvm").then_some(name.as_str())
        })?;
        version.split('.').next()?.parse().ok()
    });
    let name = file.file_name()?.to_string_lossy().to_string();
    let rest = name.strip_prefix("libclang")?;
    let from_name = rest
        .strip_prefix('-')
        .and_then(|r| r.split('.').next())
        .or_else(|| rest.strip_prefix(".so.").and_then(|r| r.split('.').next()))
        .and_then(|v| v.parse().ok());
    from_dirs.or(from_name)
}

/// Whether a file name is a loadable libclang (`libclang.so`, `libclang-19.so.1`,
/// `libclang.so.19`, `libclang.dylib`), not libclang-cpp or a static archive.
fn is_libclang(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("libclang") else {
        return false;
    };
    // `-19`, `-22.1.8` before the extension
    let rest = match rest.strip_prefix('-') {
        Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'),
        None => rest.strip_prefix('.').unwrap_or(rest),
    };
    rest.starts_with("so") || rest.starts_with("dylib")
}

/// The libclangs in `dirs`, newest first.
pub fn libclangs_in(dirs: &[PathBuf]) -> Vec<Libclang> {
    let mut found: Vec<Libclang> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if !is_libclang(&name) {
                continue;
            }
            // a link (Homebrew's opt/llvm) may say the version where it points; 0: unknown
            let major = libclang_major(&path)
                .or_else(|| {
                    std::fs::canonicalize(&path)
                        .ok()
                        .and_then(|p| libclang_major(&p))
                })
                .unwrap_or(0);
            if !found.iter().any(|f| f.dir == *dir && f.major == major) {
                found.push(Libclang {
                    dir: dir.clone(),
                    major,
                });
            }
        }
    }
    found.sort_by_key(|l| std::cmp::Reverse(l.major));
    found
}

/// The directories searched for libclang: `$LIBCLANG_PATH` alone when it is set (bindgen
/// then looks nowhere else), else the catalog's `search` globs.
pub fn libclang_dirs() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("LIBCLANG_PATH") {
        // clang-sys takes the library's directory or the library itself
        let p = PathBuf::from(p);
        return vec![match p.parent() {
            Some(dir) if p.is_file() => dir.to_path_buf(),
            _ => p,
        }];
    }
    let mut dirs = Vec::new();
    for pattern in &catalog().build_tools["libclang"].search {
        if let Ok(paths) = glob::glob(pattern) {
            let mut matched: Vec<PathBuf> = paths.flatten().filter(|p| p.is_dir()).collect();
            matched.sort();
            dirs.extend(matched);
        }
    }
    dirs
}

/// Picks the libclang bindgen should load: the one whose major version is zig's clang's,
/// else the newest newer one, else one whose version nothing says (it may do; bindgen will
/// tell). `need` is zig's clang major (`None`: zig cannot be asked, any will do).
///
/// Errors: none is new enough; the message names what was found.
pub fn choose_libclang(found: &[Libclang], need: Option<u32>) -> Result<Libclang, String> {
    let exact = found.iter().find(|l| Some(l.major) == need);
    let newest = found.iter().max_by_key(|l| l.major).filter(|l| l.major > 0);
    let unknown = found.iter().find(|l| l.major == 0);
    match (exact, newest, need) {
        (Some(l), _, _) => Ok(l.clone()),
        (None, Some(l), Some(n)) if l.major >= n => Ok(l.clone()),
        (None, Some(l), None) => Ok(l.clone()),
        _ if let Some(l) = unknown => Ok(l.clone()),
        (None, Some(l), Some(n)) => Err(format!(
            "libclang {} (in {}) is older than zig's clang {n}, whose headers bindgen parses",
            l.major,
            l.dir.display()
        )),
        (None, None, _) => Err("no libclang found".to_string()),
    }
}

/// Checks the build tools the lock's crates need. Returns the findings and, when the lock
/// needs libclang and a good one was found, its directory (for `LIBCLANG_PATH`).
pub fn tool_findings(needed: &[String]) -> (Vec<Finding>, Option<Libclang>) {
    let cat = catalog();
    let mut out = Vec::new();
    let mut libclang = None;
    for key in needed {
        let tool = &cat.build_tools[key];
        if key == "libclang" {
            let need = tools::find_zig().and_then(|z| zig_clang_major(&z));
            match choose_libclang(&libclangs_in(&libclang_dirs()), need) {
                Ok(l) => libclang = Some(l),
                Err(why) => {
                    // zig cannot be asked: the clang of the oldest zig the catalog accepts (0.14: 19)
                    let major = need.map(|n| n.to_string()).unwrap_or_else(|| "19".into());
                    out.push(Finding {
                        severity: Severity::Error,
                        check: format!("tool {key}"),
                        problem: format!(
                            "{}: {why}{}",
                            tool.what,
                            match std::env::var("LIBCLANG_PATH") {
                                Ok(p) => format!(" (LIBCLANG_PATH is {p})"),
                                Err(_) => String::new(),
                            }
                        ),
                        fix: tool.install.replace("{major}", &major),
                    });
                }
            }
            continue;
        }
        let missing: Vec<&String> = tool
            .programs
            .iter()
            .filter(|p| which::which(p).is_err())
            .collect();
        if !missing.is_empty() {
            out.push(Finding {
                severity: Severity::Error,
                check: format!("tool {key}"),
                problem: format!("{} is not on PATH", tool.what),
                fix: tool.install.clone(),
            });
        }
    }
    (out, libclang)
}

/// The include directories zig's C compiler searches for `zig_target`, from
/// `zig cc -target T -E -v -x c /dev/null`; bindgen's clang is given them with
/// `-nostdlibinc`, so it parses the target's libc headers, not the host's.
pub fn zig_include_dirs(zig: &[String], zig_target: &str) -> Option<Vec<String>> {
    let (program, rest) = zig.split_first()?;
    let out = Command::new(program)
        .args(rest)
        .args([
            "cc",
            "-target",
            zig_target,
            "-E",
            "-v",
            "-x",
            "c",
            "/dev/null",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let start = text.find("#include <...> search starts here:")?;
    let dirs: Vec<String> = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .map(|l| l.trim().to_string())
        .collect();
    (!dirs.is_empty()).then_some(dirs)
}

/// The environment bindgen needs for a target when the lock has bindgen: `LIBCLANG_PATH` and
/// `BINDGEN_EXTRA_CLANG_ARGS_<triple, with _ for ->` pointing clang at zig's headers for the
/// target (bindgen adds `--target=` itself). Empty when the lock has no bindgen. Under
/// `cargo zigbuild`, bindgen reads cargo-zigbuild's own `BINDGEN_EXTRA_CLANG_ARGS_<triple>`
/// (`-` kept) before this one, so this serves plain `cargo build` (`crossflake env --shell`).
pub fn bindgen_env(
    lock: &LockedCrates,
    target: &Target,
    zig_target: Option<&str>,
    libclang: Option<&Libclang>,
) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if !lock.has("bindgen") {
        return env;
    }
    if let Some(l) = libclang {
        env.push(("LIBCLANG_PATH".into(), l.dir.display().to_string()));
    }
    if let (Some(zt), Some(zig)) = (zig_target, tools::find_zig())
        && let Some(dirs) = zig_include_dirs(&zig, zt)
    {
        let mut args = vec!["-nostdlibinc".to_string()];
        for d in dirs {
            args.push("-isystem".into());
            args.push(d);
        }
        env.push((
            format!(
                "BINDGEN_EXTRA_CLANG_ARGS_{}",
                target.triple.replace('-', "_")
            ),
            args.join(" "),
        ));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["openssl", "libgit2-sys", "zstd-sys", "rusqlite"]

[[package]]
name = "openssl"
version = "0.10.0"
dependencies = ["openssl-sys"]

[[package]]
name = "openssl-sys"
version = "0.9.0"
dependencies = ["cc", "libc", "openssl-src 300.0.0+3.0.0", "pkg-config"]

[[package]]
name = "openssl-src"
version = "300.0.0+3.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["cc"]

[[package]]
name = "libgit2-sys"
version = "0.17.0"
dependencies = ["libc", "pkg-config"]

[[package]]
name = "zstd-sys"
version = "2.0.0"
dependencies = ["cc", "pkg-config"]

[[package]]
name = "rusqlite"
version = "0.32.0"
dependencies = ["libsqlite3-sys"]

[[package]]
name = "libsqlite3-sys"
version = "0.30.0"
dependencies = ["pkg-config", "vcpkg"]
"#;

    fn lock() -> LockedCrates {
        LockedCrates::parse(LOCK, Path::new("Cargo.lock")).unwrap()
    }

    #[test]
    fn dependencies_are_followed_down_and_versions_dropped() {
        let l = lock();
        assert!(l.depends_on("openssl", "openssl-src"));
        assert!(l.depends_on("app", "cc"));
        assert!(!l.depends_on("libgit2-sys", "cc"));
        assert!(!l.depends_on("openssl-src", "openssl-sys"));
    }

    #[test]
    fn crate_rules_for_musl() {
        let t = &catalog().targets["aarch64-musl"];
        let got: Vec<(Severity, String)> = crate_findings(&lock(), t)
            .into_iter()
            .map(|f| (f.severity, f.check))
            .collect();
        // openssl-sys is vendored; zstd-sys builds with cc; libgit2-sys and libsqlite3-sys
        // (no `bundled`: no cc) look theirs up
        assert_eq!(
            got,
            vec![
                (Severity::Warning, "crate libgit2-sys".to_string()),
                (Severity::Error, "crate libsqlite3-sys".to_string()),
            ]
        );
    }

    #[test]
    fn crate_rules_skip_darwin_and_respect_libc() {
        let text = r#"
[[package]]
name = "native-tls"
version = "0.2.0"
dependencies = ["openssl"]

[[package]]
name = "openssl"
version = "0.10.0"
dependencies = ["openssl-sys"]

[[package]]
name = "openssl-sys"
version = "0.9.0"
dependencies = ["cc", "pkg-config"]
"#;
        let l = LockedCrates::parse(text, Path::new("Cargo.lock")).unwrap();
        let checks = |alias: &str| -> Vec<String> {
            crate_findings(&l, &catalog().targets[alias])
                .into_iter()
                .map(|f| f.check)
                .collect()
        };
        assert_eq!(
            checks("x86_64-musl"),
            ["crate native-tls", "crate openssl-sys"]
        );
        assert_eq!(checks("x86_64-gnu"), ["crate openssl-sys"]);
        assert!(checks("aarch64-darwin").is_empty());
        // windows-gnu and wasm: native-tls uses schannel there, and openssl-sys is never built
        assert!(checks("x86_64-windows").is_empty());
        assert!(checks("wasm32-wasip1").is_empty());
    }

    #[test]
    fn tools_needed_follow_the_catalog() {
        let mut text = LOCK.to_string();
        text.push_str("\n[[package]]\nname = \"bindgen\"\nversion = \"0.70.0\"\n");
        let l = LockedCrates::parse(&text, Path::new("Cargo.lock")).unwrap();
        assert_eq!(needed_tools(&l), ["libclang", "make", "perl"]);
        assert!(needed_tools(&LockedCrates::default()).is_empty());
    }

    #[test]
    fn libclang_versions_from_names_and_directories() {
        let cases = [
            ("/usr/lib/llvm-19/lib/libclang.so", Some(19)),
            ("/usr/lib/llvm-19/lib/libclang-19.so.19", Some(19)),
            ("/usr/lib/x86_64-linux-gnu/libclang-14.so.1", Some(14)),
            ("/usr/lib64/libclang.so.18.1", Some(18)),
            ("/usr/lib64/libclang.so", None),
            ("/usr/lib/llvm-19/lib/libclang.so.1", Some(19)),
            (
                "/opt/homebrew/Cellar/llvm/19.1.7/lib/libclang.dylib",
                Some(19),
            ),
        ];
        for (path, want) in cases {
            assert_eq!(libclang_major(Path::new(path)), want, "{path}");
        }
        assert!(is_libclang("libclang-14.so.1"));
        assert!(is_libclang("libclang-22.1.8.so"));
        assert!(is_libclang("libclang.so"));
        assert!(is_libclang("libclang.so.18.1"));
        assert!(is_libclang("libclang.dylib"));
        assert!(!is_libclang("libclang-cpp.so.14"));
        assert!(!is_libclang("libclang.a"));
        assert!(!is_libclang("libclangBasic.a"));
    }

    #[test]
    fn libclang_choice() {
        let l = |major: u32| Libclang {
            dir: PathBuf::from(format!("/usr/lib/llvm-{major}/lib")),
            major,
        };
        // (installed, zig's clang, chosen or the error's start)
        type Case = (Vec<Libclang>, Option<u32>, Result<u32, &'static str>);
        let cases: [Case; 8] = [
            (vec![l(14), l(19), l(20)], Some(19), Ok(19)),
            (vec![l(14), l(20)], Some(19), Ok(20)),
            (
                vec![l(14)],
                Some(19),
                Err("libclang 14 (in /usr/lib/llvm-14/lib) is older"),
            ),
            (vec![], Some(19), Err("no libclang found")),
            (vec![l(14), l(15)], None, Ok(15)),
            (vec![l(22), l(19)], Some(22), Ok(22)),
            // a version nothing says: tried rather than refused, after every known fit
            (vec![l(14), l(0)], Some(19), Ok(0)),
            (vec![l(0), l(20)], Some(19), Ok(20)),
        ];
        for (found, need, want) in cases {
            let got = choose_libclang(&found, need).map(|l| l.major);
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{found:?} {need:?}"),
                (Err(g), Err(w)) => assert!(g.starts_with(w), "{g}"),
                (g, w) => panic!("{found:?} {need:?}: got {g:?}, want {w:?}"),
            }
        }
        assert_eq!(
            clang_major("clang version 19.1.7 (https://github.com/ziglang/zig-bootstrap)"),
            Some(19)
        );
        assert_eq!(clang_major("zig: unknown command"), None);
    }
}
