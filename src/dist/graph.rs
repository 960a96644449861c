//! What cargo builds for a target: the packages of `cargo metadata --filter-platform TRIPLE`
//! and the normal dependency edges between them, which say which crates are linked into a
//! binary (and so whose licences ship with it).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A package of `cargo metadata`.
#[derive(Debug, Clone)]
pub struct Package {
    /// cargo's package id.
    pub id: String,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The directory of its Cargo.toml.
    pub dir: PathBuf,
    /// Its `license` expression, if any.
    pub license: Option<String>,
    /// A proc-macro crate: runs in the compiler, never linked into a binary.
    pub proc_macro: bool,
    /// The names of its `bin` targets (the executables' names without a suffix).
    pub bins: Vec<String>,
}

/// The packages cargo builds for one target triple and the normal dependency edges between
/// them, from `cargo metadata --format-version 1 --locked --filter-platform TRIPLE`.
#[derive(Debug)]
pub struct Graph {
    packages: HashMap<String, Package>,
    members: BTreeSet<String>,
    normal: HashMap<String, Vec<String>>,
}

impl Graph {
    /// Runs cargo metadata in `root` for `triple`.
    ///
    /// Errors: cargo metadata fails (its stderr is in the message) or prints something that
    /// is not cargo metadata.
    pub fn load(root: &Path, triple: &str) -> Result<Graph> {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
                "--filter-platform",
            ])
            .arg(triple)
            .current_dir(root)
            .output()
            .context("failed to run cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed in {}: {}",
                root.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("cargo metadata printed no JSON")?;
        Graph::from_metadata(&v)
    }

    /// Reads cargo metadata's JSON.
    ///
    /// Errors: no `packages` or `resolve` in it.
    pub fn from_metadata(v: &serde_json::Value) -> Result<Graph> {
        let mut packages = HashMap::new();
        for p in v["packages"]
            .as_array()
            .context("cargo metadata has no packages")?
        {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            let manifest = PathBuf::from(s("manifest_path"));
            let proc_macro = p["targets"].as_array().is_some_and(|ts| {
                ts.iter().any(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "proc-macro"))
                })
            });
            let bins = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bin"))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect();
            packages.insert(
                s("id"),
                Package {
                    id: s("id"),
                    name: s("name"),
                    version: s("version"),
                    dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
                    license: p["license"].as_str().map(str::to_string),
                    proc_macro,
                    bins,
                },
            );
        }
        let members = v["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        let mut normal: HashMap<String, Vec<String>> = HashMap::new();
        let nodes = v["resolve"]["nodes"]
            .as_array()
            .context("cargo metadata has no resolve graph")?;
        for node in nodes {
            let id = node["id"].as_str().unwrap_or_default().to_string();
            let deps = node["deps"].as_array().into_iter().flatten().filter(|d| {
                // normal edges only: build and dev dependencies are not in the binary
                d["dep_kinds"]
                    .as_array()
                    .is_none_or(|ks| ks.is_empty() || ks.iter().any(|k| k["kind"].is_null()))
            });
            normal.insert(
                id,
                deps.filter_map(|d| d["pkg"].as_str().map(str::to_string))
                    .collect(),
            );
        }
        Ok(Graph {
            packages,
            members,
            normal,
        })
    }

    /// The workspace member with a `bin` target named `bin`.
    pub fn member_with_bin(&self, bin: &str) -> Option<&Package> {
        self.members
            .iter()
            .filter_map(|m| self.packages.get(m))
            .find(|p| p.bins.iter().any(|b| b == bin))
    }

    /// The workspace members that have `bin` targets, sorted by name.
    pub fn members_with_bins(&self) -> Vec<&Package> {
        let mut out: Vec<&Package> = self
            .members
            .iter()
            .filter_map(|m| self.packages.get(m))
            .filter(|p| !p.bins.is_empty())
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// A package by id.
    pub fn package(&self, id: &str) -> Option<&Package> {
        self.packages.get(id)
    }

    /// The packages linked into `id`'s binaries: reached through normal dependencies, proc-macros
    /// (and what only they use) left out, workspace members left out; sorted by name, version.
    pub fn linked(&self, id: &str) -> Vec<&Package> {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo = vec![id];
        while let Some(at) = todo.pop() {
            for d in self.normal.get(at).into_iter().flatten() {
                if self.packages.get(d).is_some_and(|p| !p.proc_macro) && seen.insert(d) {
                    todo.push(d);
                }
            }
        }
        let mut out: Vec<&Package> = seen
            .into_iter()
            .filter(|d| !self.members.contains(*d))
            .filter_map(|d| self.packages.get(d))
            .collect();
        out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_packages_follow_normal_edges_only() {
        let node = |id: &str, deps: serde_json::Value| serde_json::json!({"id": id, "deps": deps});
        let dep = |pkg: &str, kind: serde_json::Value| serde_json::json!({"pkg": pkg, "dep_kinds": [{"kind": kind, "target": null}]});
        let pkg = |id: &str, kind: &str| {
            serde_json::json!({"id": id, "name": id, "version": "1.0.0",
                "manifest_path": format!("/src/{id}/Cargo.toml"), "license": "MIT",
                "targets": [{"kind": [kind]}]})
        };
        let v = serde_json::json!({
            "packages": [pkg("app", "bin"), pkg("lib", "lib"), pkg("cc", "lib"),
                         pkg("derive", "proc-macro"), pkg("syn", "lib"), pkg("sub", "lib"),
                         pkg("testdep", "lib")],
            "workspace_members": ["app"],
            "resolve": {"nodes": [
                node("app", serde_json::json!([dep("lib", serde_json::Value::Null),
                    dep("cc", "build".into()), dep("derive", serde_json::Value::Null),
                    dep("testdep", "dev".into())])),
                node("lib", serde_json::json!([dep("sub", serde_json::Value::Null)])),
                node("derive", serde_json::json!([dep("syn", serde_json::Value::Null)])),
            ]}
        });
        let g = Graph::from_metadata(&v).unwrap();
        let names: Vec<&str> = g.linked("app").iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["lib", "sub"]);
    }
}
