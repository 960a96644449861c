//! A Cargo project as crossflake sees it: the root manifest, its kind, and the
//! `[package.metadata.crossflake]` (or `[workspace.metadata.crossflake]`) table that holds
//! the project's targets and image settings.
//!
//! The manifest is only ever parsed and edited with toml_edit, so comments, key order and
//! formatting survive.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use toml_edit::{DocumentMut, Item, Table, Value};

use crate::catalog::{TargetSpec, catalog};
use crate::plan::read_if_exists;
use crate::run_lock::RunLock;
use crate::toml_doc;

/// The metadata table schema this build reads and writes.
pub const METADATA_SCHEMA: i64 = 1;

/// The profile crossflake adds and builds with.
pub const PROFILE: &str = "crossflake";

/// What the root manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// A `[package]` with no `[workspace]`.
    Package,
    /// A `[package]` that is also a workspace root (the metadata goes in the package).
    PackageWorkspace,
    /// A `[workspace]` with no `[package]`.
    VirtualWorkspace,
}

/// The root manifest of a project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Absolute path of Cargo.toml.
    pub manifest_path: PathBuf,
    /// The directory holding it.
    pub root: PathBuf,
    /// The parsed manifest (edits go here, then into a plan).
    pub doc: DocumentMut,
    /// Package or workspace.
    pub kind: ManifestKind,
}

/// Adds `requested` to `listed`, the one rule for `init` and `target add`: a target that is not
/// listed is appended; one that is (the same triple, however spelled) replaces the listed entry
/// only when it names a glibc floor, so naming a target again without a floor keeps the
/// listed entry, floor included.
pub fn merge_targets(listed: &mut Vec<TargetSpec>, requested: Vec<TargetSpec>) {
    for r in requested {
        match listed.iter_mut().find(|t| t.alias == r.alias) {
            Some(t) if r.glibc_given => *t = r,
            Some(_) => {}
            None => listed.push(r),
        }
    }
}

/// The project's crossflake settings, from its metadata table.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    /// Targets in the order written.
    pub targets: Vec<TargetSpec>,
    /// Image settings, when the project builds OCI images.
    pub image: Option<ImageConfig>,
}

/// `[*.metadata.crossflake.image]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfig {
    /// Image name (`ghcr.io/me/app` or a bare `app`).
    pub name: String,
    /// The binary the image runs.
    pub entrypoint: String,
    /// Whether the image carries a CA bundle (and SSL_CERT_FILE).
    pub ca_bundle: bool,
}

/// Finds the manifest: `--manifest-path`, else `Cargo.toml` in the current directory; first
/// finishes or undoes what a killed run left there ([`sweep`]).
///
/// Errors: no Cargo.toml there (with the fix).
pub fn locate(manifest_path: Option<&Path>) -> Result<PathBuf> {
    let path = match manifest_path {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir()
            .context("failed to read the current directory")?
            .join("Cargo.toml"),
    };
    let path = if path.is_dir() {
        path.join("Cargo.toml")
    } else {
        path
    };
    if !path.is_file() {
        bail!(
            "no Cargo.toml at {}\nrun crossflake in a Cargo package or workspace root, pass \
             --manifest-path PATH/Cargo.toml, or start one with `crossflake new PATH`",
            path.display()
        );
    }
    let path = std::path::absolute(&path)
        .with_context(|| format!("failed to resolve {}", path.display()))?;
    if let Some(root) = path.parent() {
        sweep(root);
    }
    Ok(path)
}

/// Finishes or undoes what a killed run left in the project at `root`: in the root's own files,
/// in dist's default output (`target/dist`), and in the directory above (where `crossflake
/// new` stages the project it makes); see [`crate::atomic::clean_stale`].
pub fn sweep(root: &Path) {
    crate::atomic::clean_stale(root);
    crate::atomic::clean_stale(&root.join("target"));
    if let Some(parent) = root.parent() {
        crate::atomic::clean_stale(parent);
    }
}

/// What a writing verb holds from reading the project to writing it: the [`RunLock`] on the
/// project root (see [`locate`]), so that a second writer waits instead of planning on files the
/// first is about to replace. `None` for a dry run, which writes nothing.
///
/// Errors: see [`locate`]; the lock file cannot be locked.
pub fn lock_for_writing(manifest_path: Option<&Path>, dry_run: bool) -> Result<Option<RunLock>> {
    if dry_run {
        return Ok(None);
    }
    let manifest = locate(manifest_path)?;
    let root = manifest.parent().context("the manifest has no directory")?;
    RunLock::acquire(root).map(Some)
}

impl Project {
    /// Loads and checks the root manifest (see [`locate`]).
    ///
    /// Errors: not valid TOML (line and column), neither package nor workspace, or a
    /// member of a workspace whose root is elsewhere.
    pub fn load(manifest_path: Option<&Path>) -> Result<Project> {
        let path = locate(manifest_path)?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let project = Project::parse(&path, &text)?;
        project.check_not_a_member()?;
        Ok(project)
    }

    /// Parses manifest text that lives (or will live) at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Project> {
        let doc = toml_doc::parse(text, &path.display().to_string())?;
        let package = doc.get("package").is_some_and(Item::is_table_like);
        let workspace = doc.get("workspace").is_some_and(Item::is_table_like);
        let kind = match (package, workspace) {
            (true, false) => ManifestKind::Package,
            (true, true) => ManifestKind::PackageWorkspace,
            (false, true) => ManifestKind::VirtualWorkspace,
            (false, false) => bail!(
                "{} has neither a [package] nor a [workspace] table, so it is not a Cargo package; \
                 add a [package] with name and version, or start one with `crossflake new PATH`",
                path.display()
            ),
        };
        let root = path
            .parent()
            .context("Cargo.toml has no directory")?
            .to_path_buf();
        Ok(Project {
            manifest_path: path.to_path_buf(),
            root,
            doc,
            kind,
        })
    }

    fn check_not_a_member(&self) -> Result<()> {
        if self.kind != ManifestKind::Package {
            return Ok(());
        }
        for dir in self.root.ancestors().skip(1) {
            let candidate = dir.join("Cargo.toml");
            let Some(text) = read_if_exists(&candidate)? else {
                continue;
            };
            let Ok(doc) = text.parse::<DocumentMut>() else {
                continue;
            };
            let Some(ws) = doc.get("workspace").and_then(Item::as_table_like) else {
                continue;
            };
            let rel = self
                .root
                .strip_prefix(dir)
                .unwrap_or(&self.root)
                .to_string_lossy()
                .to_string();
            let excluded = ws.get("exclude").and_then(Item::as_array).is_some_and(|a| {
                a.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.trim_end_matches('/') == rel))
            });
            if !excluded {
                bail!(
                    "{} is a member of the workspace at {}; crossflake settings live in the workspace \
                     root: run it there or pass --manifest-path {}",
                    self.manifest_path.display(),
                    candidate.display(),
                    candidate.display()
                );
            }
        }
        Ok(())
    }

    /// `package` or `workspace`: the table whose `metadata.crossflake` holds the settings.
    pub fn metadata_owner(&self) -> &'static str {
        match self.kind {
            ManifestKind::VirtualWorkspace => "workspace",
            _ => "package",
        }
    }

    /// The dotted key of the metadata table, for messages.
    pub fn metadata_key(&self) -> String {
        format!("{}.metadata.crossflake", self.metadata_owner())
    }

    /// The table `[OWNER.metadata.crossflake.NAME]` (`ci`, `cache`, `sccache`) as it is in
    /// Cargo.toml; `None` when it is not there.
    pub fn crossflake_item(&self, name: &str) -> Option<&Item> {
        self.doc
            .get(self.metadata_owner())?
            .get("metadata")?
            .get("crossflake")?
            .get(name)
    }

    /// The package name (`None` for a virtual workspace or a workspace-inherited name).
    pub fn package_name(&self) -> Option<String> {
        self.doc
            .get("package")?
            .get("name")?
            .as_str()
            .map(str::to_string)
    }

    /// Whether `[package]` sets `key` (a value, or `key.workspace = true`).
    pub fn package_has(&self, key: &str) -> bool {
        self.doc.get("package").and_then(|p| p.get(key)).is_some()
    }

    /// The name used for images and the like: the package name, else the directory name.
    pub fn display_name(&self) -> String {
        self.package_name().unwrap_or_else(|| {
            self.root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "app".into())
        })
    }

    /// The binary an image runs by default: the first `[[bin]]` target's name, else the
    /// package name (cargo's default binary), else the directory name.
    pub fn default_binary(&self) -> String {
        self.doc
            .get("bin")
            .and_then(Item::as_array_of_tables)
            .and_then(|bins| {
                bins.iter()
                    .find_map(|b| b.get("name").and_then(Item::as_str))
            })
            .map(str::to_string)
            .unwrap_or_else(|| self.display_name())
    }

    /// Whether `[profile.NAME]` exists.
    pub fn has_profile(&self, name: &str) -> bool {
        self.doc.get("profile").and_then(|p| p.get(name)).is_some()
    }

    /// Reads the metadata table; `Ok(None)` when there is none.
    ///
    /// Errors name the file and the key: a table of the wrong type, an unknown schema
    /// version, an unknown target, an unknown key.
    pub fn config(&self) -> Result<Option<ProjectConfig>> {
        let key = self.metadata_key();
        let Some(item) = self
            .doc
            .get(self.metadata_owner())
            .and_then(|o| o.get("metadata"))
            .and_then(|m| m.get("crossflake"))
        else {
            return Ok(None);
        };
        let at = |k: &str| format!("{}: {key}.{k}", self.manifest_path.display());
        let table = item
            .as_table_like()
            .with_context(|| format!("{}: {key} must be a table", self.manifest_path.display()))?;
        match table.get("schema") {
            None => bail!(
                "{}: missing; add `schema = {METADATA_SCHEMA}`",
                at("schema")
            ),
            Some(v) => match v.as_integer() {
                Some(METADATA_SCHEMA) => {}
                Some(n) => bail!(
                    "{}: schema {n} is not one this crossflake reads (it reads schema {METADATA_SCHEMA}); \
                     upgrade crossflake, or set `schema = {METADATA_SCHEMA}` if the table was written by hand",
                    at("schema")
                ),
                None => bail!(
                    "{}: must be an integer; set `schema = {METADATA_SCHEMA}`",
                    at("schema")
                ),
            },
        }
        let mut config = ProjectConfig::default();
        for (k, v) in table.iter() {
            match k {
                "schema" => {}
                "targets" => {
                    let arr = v.as_array().with_context(|| {
                        format!("{}: must be an array of target names", at("targets"))
                    })?;
                    for (i, t) in arr.iter().enumerate() {
                        let name = t
                            .as_str()
                            .with_context(|| format!("{}[{i}]: must be a string", at("targets")))?;
                        let spec = catalog()
                            .resolve(name)
                            .with_context(|| format!("{}[{i}]", at("targets")))?;
                        // flake outputs are named by alias: one target triple, one entry
                        if let Some(j) = config.targets.iter().position(|s| s.alias == spec.alias) {
                            bail!(
                                "{}[{i}]: `{name}` is the same target as targets[{j}] `{}` ({}); \
                                 list each target once",
                                at("targets"),
                                config.targets[j].written,
                                spec.target().triple
                            );
                        }
                        config.targets.push(spec);
                    }
                }
                "image" => config.image = Some(self.image_config(v, &at("image"))?),
                // read by `crossflake ci` (src/ci/settings.rs)
                "ci" => {}
                // read by `crossflake cache`, doctor and ci (src/cache.rs)
                "cache" => {}
                // read by build, test, dist and doctor (src/sccache.rs)
                "sccache" => {}
                other => bail!(
                    "{}: unknown key; {key} takes schema, targets, image, ci, cache and sccache",
                    at(other)
                ),
            }
        }
        Ok(Some(config))
    }

    fn image_config(&self, item: &Item, at: &str) -> Result<ImageConfig> {
        let table = item
            .as_table_like()
            .with_context(|| format!("{at}: must be a table"))?;
        // defaults the flake can compute too (it cannot see the directory's name): the
        // package name, else "app"; the first [[bin]], else that
        let name = self.package_name().unwrap_or_else(|| "app".into());
        let first_bin = self
            .doc
            .get("bin")
            .and_then(Item::as_array_of_tables)
            .and_then(|bins| {
                bins.iter()
                    .find_map(|b| b.get("name").and_then(Item::as_str))
            })
            .map(str::to_string);
        let mut image = ImageConfig {
            entrypoint: first_bin.unwrap_or_else(|| name.clone()),
            name,
            ca_bundle: false,
        };
        for (k, v) in table.iter() {
            match k {
                "name" => {
                    image.name = v
                        .as_str()
                        .with_context(|| format!("{at}.name: must be a string"))?
                        .into()
                }
                "entrypoint" => {
                    image.entrypoint = v
                        .as_str()
                        .with_context(|| format!("{at}.entrypoint: must be a binary name"))?
                        .into()
                }
                "ca-bundle" => {
                    image.ca_bundle = v
                        .as_bool()
                        .with_context(|| format!("{at}.ca-bundle: must be true or false"))?
                }
                other => bail!(
                    "{at}.{other}: unknown key; the image table takes name, entrypoint and ca-bundle"
                ),
            }
        }
        Ok(image)
    }

    /// The project's targets: the metadata table's, or `None` when it has no table.
    pub fn targets(&self) -> Result<Option<Vec<TargetSpec>>> {
        Ok(self.config()?.map(|c| c.targets))
    }

    /// Sets the metadata table's `targets` to `written` (the strings users wrote),
    /// creating the table (with `schema`) when it is missing, and keeping the array's
    /// formatting and the comments around it when it exists.
    pub fn set_targets(&mut self, written: &[String], comment: &str) -> Result<()> {
        let table = self.metadata_table_mut(comment)?;
        match table.get_mut("targets").and_then(Item::as_array_mut) {
            Some(arr) => {
                // drop entries no longer wanted, then append new ones, keeping decor
                let mut i = 0;
                while i < arr.len() {
                    let keep = arr
                        .get(i)
                        .and_then(Value::as_str)
                        .is_some_and(|s| written.iter().any(|w| w == s));
                    if keep {
                        i += 1
                    } else {
                        toml_doc::remove_keeping_layout(arr, i);
                    }
                }
                for w in written {
                    if !arr.iter().any(|v| v.as_str() == Some(w)) {
                        toml_doc::push_like_siblings(arr, w);
                    }
                }
                // keep the written order
                let current: Vec<String> = arr
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if current != written {
                    let decor: Vec<_> = arr.iter().map(|v| v.decor().clone()).collect();
                    arr.clear();
                    for (w, d) in written.iter().zip(decor) {
                        let mut v = Value::from(w.as_str());
                        *v.decor_mut() = d;
                        arr.push_formatted(v);
                    }
                }
            }
            None => {
                let arr: toml_edit::Array = written.iter().map(String::as_str).collect();
                table.insert("targets", toml_edit::value(arr));
            }
        }
        Ok(())
    }

    /// Sets the image table, creating it when missing; existing keys are kept.
    pub fn ensure_image(&mut self, image: &ImageConfig, comment: &str) -> Result<()> {
        let end = end_position(&self.doc) + 1;
        let table = self.metadata_table_mut(comment)?;
        if !table.contains_key("image") {
            let mut t = Table::new();
            t.set_position(Some(end));
            t.insert("name", toml_edit::value(image.name.as_str()));
            t.insert("entrypoint", toml_edit::value(image.entrypoint.as_str()));
            t.insert("ca-bundle", toml_edit::value(image.ca_bundle));
            table.insert("image", Item::Table(t));
        }
        Ok(())
    }

    /// Adds `[package.metadata.binstall]` naming the archives `crossflake dist` writes, as a
    /// GitHub release holds them: `pkg-url` = `{ repo }/releases/download/v{ version }/{ name
    /// }-{ target }-v{ version }{ archive-suffix }`, `bin-dir` = the archive's top directory,
    /// `pkg-fmt` = `tgz`, and a `zip` override for each triple in `zip_triples` (windows).
    /// An existing binstall table is left as it is. Returns false when the manifest has no
    /// `[package]` (a virtual workspace: each binary package needs its own table).
    pub fn ensure_binstall(&mut self, zip_triples: &[String], comment: &str) -> Result<bool> {
        let end = end_position(&self.doc) + 1;
        if !self.doc.contains_key("package") {
            return Ok(false);
        }
        let metadata = self.metadata_of("package")?;
        if metadata.contains_key("binstall") {
            return Ok(true);
        }
        let mut t = Table::new();
        t.set_position(Some(end));
        t.decor_mut().set_prefix(format!("\n# {comment}\n"));
        t.insert(
            "pkg-url",
            toml_edit::value(
                "{ repo }/releases/download/v{ version }/{ name }-{ target }-v{ version }{ archive-suffix }",
            ),
        );
        t.insert(
            "bin-dir",
            toml_edit::value("{ name }-{ target }-v{ version }/{ bin }{ binary-ext }"),
        );
        t.insert("pkg-fmt", toml_edit::value("tgz"));
        if !zip_triples.is_empty() {
            let mut overrides = Table::new();
            overrides.set_implicit(true);
            for (i, triple) in zip_triples.iter().enumerate() {
                let mut o = Table::new();
                o.set_position(Some(end + 1 + i as isize));
                o.insert("pkg-fmt", toml_edit::value("zip"));
                overrides.insert(triple, Item::Table(o));
            }
            t.insert("overrides", Item::Table(overrides));
        }
        metadata.insert("binstall", Item::Table(t));
        Ok(true)
    }

    /// `[OWNER.metadata]` (`package` or `workspace`), created implicit when missing.
    ///
    /// Errors name the manifest: `[OWNER]` or its metadata is not a table.
    fn metadata_of(&mut self, owner: &str) -> Result<&mut Table> {
        let path = self.manifest_path.display().to_string();
        let owner_table = self.doc[owner]
            .as_table_mut()
            .with_context(|| format!("{path}: [{owner}] must be a table, not an inline table"))?;
        if !owner_table.contains_key("metadata") {
            let mut m = Table::new();
            m.set_implicit(true);
            owner_table.insert("metadata", Item::Table(m));
        }
        owner_table["metadata"]
            .as_table_mut()
            .with_context(|| format!("{path}: {owner}.metadata must be a table"))
    }

    fn metadata_table_mut(&mut self, comment: &str) -> Result<&mut Table> {
        let owner = self.metadata_owner();
        let end = end_position(&self.doc);
        let path = self.manifest_path.display().to_string();
        let metadata = self.metadata_of(owner)?;
        if !metadata.contains_key("crossflake") {
            let mut t = Table::new();
            t.set_position(Some(end));
            t.decor_mut().set_prefix(format!("\n# {comment}\n"));
            t.insert("schema", toml_edit::value(METADATA_SCHEMA));
            metadata.insert("crossflake", Item::Table(t));
        }
        metadata["crossflake"]
            .as_table_mut()
            .with_context(|| format!("{path}: {owner}.metadata.crossflake must be a table"))
    }

    /// Adds `[profile.crossflake]`: the shipping profile (inherits release; fat LTO, one
    /// codegen unit, symbols stripped; the panic strategy is left as release has it).
    /// Keys the user already set are kept.
    pub fn ensure_profile(&mut self, comment: &str) -> Result<()> {
        let path = self.manifest_path.display().to_string();
        let end = end_position(&self.doc);
        if !self.doc.contains_key("profile") {
            let mut p = Table::new();
            p.set_implicit(true);
            self.doc.insert("profile", Item::Table(p));
        }
        let profiles = self.doc["profile"]
            .as_table_mut()
            .with_context(|| format!("{path}: [profile] must be a table"))?;
        if !profiles.contains_key(PROFILE) {
            let mut t = Table::new();
            t.set_position(Some(end));
            t.decor_mut().set_prefix(format!("\n# {comment}\n"));
            profiles.insert(PROFILE, Item::Table(t));
        }
        let t = profiles[PROFILE]
            .as_table_mut()
            .with_context(|| format!("{path}: profile.{PROFILE} must be a table"))?;
        for (k, v) in [
            ("inherits", Value::from("release")),
            ("lto", Value::from(true)),
            ("codegen-units", Value::from(1)),
            ("strip", Value::from(true)),
        ] {
            if !t.contains_key(k) {
                t.insert(k, Item::Value(v));
            }
        }
        Ok(())
    }

    /// The manifest text as edited.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }
}

/// A document position after every table in `doc`, so a new table is written last.
fn end_position(doc: &DocumentMut) -> isize {
    fn max_in(t: &Table) -> isize {
        t.iter()
            .filter_map(|(_, v)| v.as_table())
            .map(|sub| sub.position().unwrap_or(0).max(max_in(sub)))
            .max()
            .unwrap_or(0)
    }
    max_in(doc.as_table()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Project {
        Project::parse(Path::new("/p/Cargo.toml"), text).unwrap()
    }

    #[test]
    fn kinds() {
        assert_eq!(parse("[package]\nname='a'\n").kind, ManifestKind::Package);
        assert_eq!(
            parse("[package]\nname='a'\n[workspace]\n").kind,
            ManifestKind::PackageWorkspace
        );
        assert_eq!(
            parse("[workspace]\nmembers=[]\n").kind,
            ManifestKind::VirtualWorkspace
        );
        let e = Project::parse(Path::new("/p/Cargo.toml"), "").unwrap_err();
        assert!(format!("{e:#}").contains("neither a [package] nor a [workspace]"));
        let e = Project::parse(Path::new("/p/Cargo.toml"), "[package\n").unwrap_err();
        assert!(format!("{e:#}").contains("line 1, column 9"), "{e:#}");
    }

    #[test]
    fn reads_targets_and_rejects_bad_tables() {
        let p = parse(
            "[package]\nname='a'\n[package.metadata.crossflake]\nschema=1\ntargets=['aarch64-musl','x86_64-unknown-linux-gnu.2.31']\n",
        );
        let c = p.config().unwrap().unwrap();
        assert_eq!(
            c.targets.iter().map(|t| t.key()).collect::<Vec<_>>(),
            ["aarch64-musl", "x86_64-gnu.2.31"]
        );
        let bad = |t: &str| format!("{:#}", parse(t).config().unwrap_err());
        assert!(
            bad("[package]\n[package.metadata.crossflake]\nschema=2\n")
                .contains("schema 2 is not one this crossflake reads")
        );
        assert!(
            bad("[package]\n[package.metadata.crossflake]\nschema=1\ntargets=['x']\n")
                .contains("package.metadata.crossflake.targets[0]")
        );
        assert!(
            bad("[package]\n[package.metadata.crossflake]\nschema=1\ntarget=[]\n")
                .contains("crossflake.target: unknown key")
        );
        assert!(
            bad("[workspace]\n[workspace.metadata.crossflake]\ntargets=[]\n")
                .contains("workspace.metadata.crossflake.schema: missing")
        );
    }

    #[test]
    fn edits_keep_comments_and_are_idempotent() {
        let text = "# top\n[package]\nname = 'a' # name\n\n[package.metadata.crossflake]\nschema = 1\ntargets = [\n  'x86_64-musl', # first\n]\n";
        let mut p = parse(text);
        p.set_targets(&["x86_64-musl".into(), "aarch64-musl".into()], "c")
            .unwrap();
        let once = p.text();
        assert!(
            once.contains("targets = [\n  'x86_64-musl', # first\n  \"aarch64-musl\",\n]"),
            "{once}"
        );
        assert!(
            once.contains("# top\n") && once.contains("# name"),
            "{once}"
        );
        let mut p2 = parse(&once);
        p2.set_targets(&["x86_64-musl".into(), "aarch64-musl".into()], "c")
            .unwrap();
        assert_eq!(p2.text(), once);
        p2.set_targets(&["aarch64-musl".into()], "c").unwrap();
        assert!(!p2.text().contains("x86_64-musl"), "{}", p2.text());
    }

    #[test]
    fn the_default_binary_is_the_first_bin_target() {
        assert_eq!(
            parse("[package]\nname = 'ripgrep'\n[[bin]]\nname = 'rg'\npath = 'main.rs'\n")
                .default_binary(),
            "rg"
        );
        assert_eq!(
            parse("[package]\nname = 'hexyl'\n").default_binary(),
            "hexyl"
        );
    }

    #[test]
    fn profile_keeps_user_keys() {
        let mut p = parse("[package]\nname='a'\n[profile.crossflake]\nlto = 'thin'\n");
        p.ensure_profile("c").unwrap();
        let t = p.text();
        assert!(
            t.contains("lto = 'thin'")
                && t.contains("codegen-units = 1")
                && !t.contains("lto = true"),
            "{t}"
        );
    }

    #[test]
    fn one_rule_merges_targets_for_init_and_target_add() {
        let specs = |names: &[&str]| -> Vec<TargetSpec> {
            names
                .iter()
                .map(|n| catalog().resolve(n).unwrap())
                .collect()
        };
        let written = |v: &[TargetSpec]| v.iter().map(|t| t.written.clone()).collect::<Vec<_>>();
        let mut listed = specs(&["aarch64-musl", "x86_64-unknown-linux-gnu.2.28"]);
        // named again without a floor, in either spelling: the listed entry stays
        merge_targets(
            &mut listed,
            specs(&["x86_64-gnu", "aarch64-unknown-linux-musl"]),
        );
        assert_eq!(
            written(&listed),
            ["aarch64-musl", "x86_64-unknown-linux-gnu.2.28"]
        );
        // with a floor: it replaces the listed entry in place; a new target is appended
        merge_targets(&mut listed, specs(&["x86_64-gnu.2.31", "wasm32-wasip1"]));
        assert_eq!(
            written(&listed),
            ["aarch64-musl", "x86_64-gnu.2.31", "wasm32-wasip1"]
        );
    }

    #[test]
    fn the_same_triple_twice_is_refused_naming_both_entries() {
        let p = parse(
            "[package]\nname = \"a\"\n[package.metadata.crossflake]\nschema = 1\n\
             targets = [\"aarch64-musl\", \"x86_64-gnu\", \"x86_64-unknown-linux-gnu.2.31\"]\n",
        );
        let e = format!("{:#}", p.config().unwrap_err());
        assert!(
            e.contains(
                "package.metadata.crossflake.targets[2]: `x86_64-unknown-linux-gnu.2.31` is the same \
                 target as targets[1] `x86_64-gnu` (x86_64-unknown-linux-gnu); list each target once"
            ),
            "{e}"
        );
    }
}
