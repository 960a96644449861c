//! `rust-toolchain.toml`: the channel, components and targets rustup (and the flake,
//! through fenix) install. Its `targets` follow the project's metadata table: crossflake
//! owns the catalog triples in that list and leaves any other triple alone.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::catalog::{TargetSpec, catalog};
use crate::plan::Plan;
use crate::toml_doc;

/// The file name rustup reads.
pub const FILE: &str = "rust-toolchain.toml";
/// The legacy file name (plain channel or TOML); rustup prefers it when both exist.
pub const LEGACY_FILE: &str = "rust-toolchain";
/// The components a project gets when rust-toolchain.toml has no `components` key (or there
/// is no rust-toolchain.toml), and that a new rust-toolchain.toml lists: targets.toml's
/// `[toolchain] default-components`, which the flake reads too (nix/toolchainRequest.nix).
pub fn default_components() -> Vec<String> {
    crate::catalog::catalog()
        .toolchain
        .default_components
        .clone()
}

/// What a project's rust-toolchain.toml says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolchainSpec {
    /// `stable`, `beta`, `nightly`, `1.x.y`, `nightly-YYYY-MM-DD`.
    pub channel: String,
    /// rustup profile (`minimal`, `default`, `complete`); `None` if not given.
    pub profile: Option<String>,
    /// Components as written (`clippy`, `rustfmt`, `rust-src`), or [`default_components`]
    /// when the file has no `components` key.
    pub components: Vec<String>,
    /// Target triples.
    pub targets: Vec<String>,
}

impl ToolchainSpec {
    /// The same request with components and targets sorted and deduplicated.
    pub fn sorted(&self) -> ToolchainSpec {
        let sort = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        ToolchainSpec {
            channel: self.channel.clone(),
            profile: self.profile.clone(),
            components: sort(&self.components),
            targets: sort(&self.targets),
        }
    }

    /// Whether two specs ask for the same toolchain (order does not matter).
    pub fn same_as(&self, other: &ToolchainSpec) -> bool {
        self.sorted() == other.sorted()
    }
}

/// The triples a list of project targets needs, deduplicated, in order.
pub fn triples(targets: &[TargetSpec]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in targets {
        let triple = &t.target().triple;
        if !out.contains(triple) {
            out.push(triple.clone());
        }
    }
    out
}

/// The channel forms the flake and the toolchain lock can pin, as rustup spells them.
pub const CHANNEL_FORMS: &str = "stable, beta or nightly, each optionally dated \
    (nightly-2026-01-02), or a Rust version 1.N or 1.N.M (1.85, 1.85.0)";

/// Checks a Rust channel as rustup spells it: `stable`, `beta`, `nightly`, each optionally
/// `-YYYY-MM-DD` (a real date), or a version `1.N` or `1.N.M`. Host-suffixed names
/// (`stable-x86_64-unknown-linux-gnu`) and custom toolchain names are refused: a flake builds
/// the same toolchain on every host, from the channel server.
///
/// Errors: any other form; the message names `what` (the file and key, or the flag) and lists
/// the accepted forms.
pub fn check_channel(channel: &str, what: &str) -> Result<()> {
    let number = |s: &str| !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit());
    let date = |d: &str| {
        let p: Vec<&str> = d.split('-').collect();
        p.len() == 3
            && p[0].len() == 4
            && p[1].len() == 2
            && p[2].len() == 2
            && p.iter().all(|x| number(x))
            && (1..=12).contains(&p[1].parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&p[2].parse::<u32>().unwrap_or(0))
    };
    let named = ["stable", "beta", "nightly"];
    let ok = named.contains(&channel)
        || channel
            .split_once('-')
            .is_some_and(|(n, d)| named.contains(&n) && date(d))
        || {
            let parts: Vec<&str> = channel.split('.').collect();
            (parts.len() == 2 || parts.len() == 3)
                && parts[0] == "1"
                && parts[1..].iter().all(|p| number(p))
        };
    if !ok {
        let hint = if channel.contains("-x86_64-") || channel.contains("-aarch64-") {
            " (drop the host: the flake builds one toolchain for every host)"
        } else {
            ""
        };
        bail!(
            "{what}: `{channel}` is not a Rust channel crossflake can pin{hint}; use {CHANNEL_FORMS}"
        );
    }
    Ok(())
}

/// Reads the channel from a legacy `rust-toolchain` file (a bare channel or TOML).
pub fn read_legacy(path: &Path, text: &str) -> Result<String> {
    let trimmed = text.trim();
    if !trimmed.contains('[') && !trimmed.contains('=') {
        if trimmed.is_empty() {
            bail!(
                "{} is empty; it should name a channel such as stable",
                path.display()
            );
        }
        return Ok(trimmed.lines().next().unwrap_or("").trim().to_string());
    }
    let doc = toml_doc::parse(text, &path.display().to_string())?;
    doc.get("toolchain")
        .and_then(|t| t.get("channel"))
        .and_then(Item::as_str)
        .map(str::to_string)
        .with_context(|| format!("{}: no toolchain.channel", path.display()))
}

/// Parses rust-toolchain.toml text. Errors: not TOML, a `path` toolchain, keys of the
/// wrong type.
pub fn parse(path: &Path, text: &str) -> Result<(DocumentMut, ToolchainSpec)> {
    let doc = toml_doc::parse(text, &path.display().to_string())?;
    let t = doc.get("toolchain");
    if t.and_then(|t| t.get("path")).is_some() {
        bail!(
            "{}: toolchain.path pins a local toolchain, which the flake cannot reproduce; \
             replace `path` with a `channel` (stable, 1.x.y, nightly-YYYY-MM-DD)",
            path.display()
        );
    }
    let strs = |key: &str| -> Result<Vec<String>> {
        match t.and_then(|t| t.get(key)) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_array()
                .with_context(|| {
                    format!(
                        "{}: toolchain.{key} must be an array of strings",
                        path.display()
                    )
                })?
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).with_context(|| {
                        format!(
                            "{}: toolchain.{key} must be an array of strings",
                            path.display()
                        )
                    })
                })
                .collect(),
        }
    };
    let str_key = |key: &str| -> Result<Option<String>> {
        match t.and_then(|t| t.get(key)) {
            None => Ok(None),
            Some(v) => Ok(Some(
                v.as_str()
                    .with_context(|| {
                        format!("{}: toolchain.{key} must be a string", path.display())
                    })?
                    .to_string(),
            )),
        }
    };
    let spec = ToolchainSpec {
        channel: str_key("channel")?.unwrap_or_else(|| "stable".into()),
        profile: str_key("profile")?,
        components: match t.and_then(|t| t.get("components")) {
            Some(_) => strs("components")?,
            None => default_components(),
        },
        targets: strs("targets")?,
    };
    Ok((doc, spec))
}

/// The project's toolchain as the toolchain lock needs it ([`read`]), its channel checked
/// ([`check_channel`], the error naming the file and key).
///
/// Errors: see [`read`] and [`check_channel`].
pub fn read_pinnable(plan: &Plan, root: &Path) -> Result<ToolchainSpec> {
    let spec = read(plan, root)?;
    let origin = if plan.read(&root.join(FILE))?.is_some() {
        format!("{}: toolchain.channel", root.join(FILE).display())
    } else {
        root.join(LEGACY_FILE).display().to_string()
    };
    check_channel(&spec.channel, &origin)?;
    Ok(spec)
}

/// Reads the project's toolchain: rust-toolchain.toml, else the legacy file, else stable
/// with the default components. Targets are the file's own.
pub fn read(plan: &Plan, root: &Path) -> Result<ToolchainSpec> {
    let path = root.join(FILE);
    if let Some(text) = plan.read(&path)? {
        return Ok(parse(&path, &text)?.1);
    }
    let legacy = root.join(LEGACY_FILE);
    let channel = match plan.read(&legacy)? {
        Some(text) => read_legacy(&legacy, &text)?,
        None => "stable".into(),
    };
    Ok(ToolchainSpec {
        channel,
        profile: None,
        components: default_components(),
        targets: Vec::new(),
    })
}

/// Plans rust-toolchain.toml for `targets`: creates it, or merges into the existing file
/// (channel set only when `channel` is given or missing; components added only when the
/// key is missing; catalog triples made to follow `targets`, other triples kept). A new
/// file gets `profile = "minimal"`, so rustup installs what the flake's toolchain has.
///
/// Returns the path written. A legacy `rust-toolchain` file is read for the channel and
/// reported in the plan's notes.
pub fn plan_file(
    plan: &mut Plan,
    root: &Path,
    channel: Option<&str>,
    targets: &[TargetSpec],
    comment: &str,
) -> Result<PathBuf> {
    let path = root.join(FILE);
    let legacy = root.join(LEGACY_FILE);
    let existing = plan.read(&path)?;
    let mut legacy_channel = None;
    if existing.is_none()
        && let Some(text) = plan.read(&legacy)?
    {
        let c = read_legacy(&legacy, &text)?;
        plan.notes.push(format!(
            "read the legacy {} file (channel {c}); rustup prefers it over {FILE}, so remove it once {FILE} is in place",
            legacy.display()
        ));
        legacy_channel = Some(c);
    }
    let mut doc = match &existing {
        Some(text) => parse(&path, text)?.0,
        None => {
            let mut d = DocumentMut::new();
            d.decor_mut().set_prefix(format!("# {comment}\n"));
            d
        }
    };
    if !doc.contains_key("toolchain") {
        doc.insert("toolchain", Item::Table(Table::new()));
    }
    let t = doc["toolchain"]
        .as_table_mut()
        .with_context(|| format!("{}: [toolchain] must be a table", path.display()))?;
    match channel {
        Some(c) => {
            if t.get("channel").and_then(Item::as_str) != Some(c) {
                t.insert("channel", toml_edit::value(c));
            }
        }
        None => {
            if !t.contains_key("channel") {
                t.insert(
                    "channel",
                    toml_edit::value(legacy_channel.as_deref().unwrap_or("stable")),
                );
            }
        }
    }
    // a new file pins rustup's profile too, so rustup installs exactly what the flake's
    // toolchain has (rustup's own default profile varies by user, and adds rust-docs)
    if existing.is_none() && !t.contains_key("profile") {
        t.insert("profile", toml_edit::value("minimal"));
    }
    if !t.contains_key("components") {
        t.insert(
            "components",
            toml_edit::value(
                default_components()
                    .iter()
                    .map(String::as_str)
                    .collect::<Array>(),
            ),
        );
    }
    follow_targets(t, &triples(targets));
    plan.write(&path, doc.to_string())?;
    Ok(path)
}

/// Makes `[toolchain] targets` list `wanted`: catalog triples not wanted are removed, wanted
/// ones added (in the array's own layout), other triples kept; a missing key is created.
fn follow_targets(t: &mut Table, wanted: &[String]) {
    let catalog_triples: Vec<&str> = catalog()
        .targets
        .values()
        .map(|t| t.triple.as_str())
        .collect();
    match t.get_mut("targets").and_then(Item::as_array_mut) {
        Some(arr) => {
            let mut i = 0;
            while i < arr.len() {
                let s = arr.get(i).and_then(Value::as_str).unwrap_or("").to_string();
                if catalog_triples.contains(&s.as_str()) && !wanted.contains(&s) {
                    toml_doc::remove_keeping_layout(arr, i);
                } else {
                    i += 1;
                }
            }
            for w in wanted {
                if !arr.iter().any(|v| v.as_str() == Some(w)) {
                    toml_doc::push_like_siblings(arr, w);
                }
            }
        }
        None => {
            t.insert(
                "targets",
                toml_edit::value(wanted.iter().map(String::as_str).collect::<Array>()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::specs;

    #[test]
    fn channels_are_taken_as_rustup_spells_them_and_nothing_else() {
        for ok in [
            "stable",
            "beta",
            "nightly",
            "nightly-2026-01-02",
            "beta-2025-12-31",
            "stable-2024-02-29",
            "1.85",
            "1.85.0",
            "1.999.0",
        ] {
            assert!(check_channel(ok, "--toolchain").is_ok(), "{ok}");
        }
        for bad in [
            "banana",
            "",
            "Stable",
            "stable-x86_64-unknown-linux-gnu",
            "nightly-2026-13-01",
            "nightly-26-01-02",
            "2.0.0",
            "1",
            "1.85.0.1",
            "1.x",
            "1.85.0-beta.1",
            "my-toolchain",
        ] {
            let err = check_channel(bad, "--toolchain").unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--toolchain: `{bad}` is not a Rust channel"))
                    && err.ends_with(CHANNEL_FORMS),
                "{bad}: {err}"
            );
        }
        let err = check_channel("stable-x86_64-unknown-linux-gnu", "f").unwrap_err();
        assert!(err.to_string().contains("drop the host"), "{err}");
    }

    #[test]
    fn merges_and_follows_the_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        std::fs::write(
            &path,
            "# mine\n[toolchain]\nchannel = \"1.90.0\" # pinned\ntargets = [\"wasm32-unknown-unknown\", \"x86_64-unknown-linux-musl\"]\n",
        )
        .unwrap();
        let mut plan = Plan::new();
        plan_file(&mut plan, dir.path(), None, &specs(&["aarch64-musl"]), "c").unwrap();
        let text = plan.read(&path).unwrap().unwrap();
        assert!(text.contains("channel = \"1.90.0\" # pinned"), "{text}");
        assert!(
            text.contains("\"wasm32-unknown-unknown\""),
            "user triple kept: {text}"
        );
        assert!(
            !text.contains("x86_64-unknown-linux-musl"),
            "catalog triple follows metadata: {text}"
        );
        assert!(text.contains("\"aarch64-unknown-linux-musl\""), "{text}");
        assert!(
            text.contains("components = [\"clippy\", \"rustfmt\", \"rust-src\"]"),
            "{text}"
        );
    }

    #[test]
    fn legacy_files_and_path_toolchains() {
        assert_eq!(read_legacy(Path::new("x"), "1.80.0\n").unwrap(), "1.80.0");
        assert_eq!(
            read_legacy(Path::new("x"), "[toolchain]\nchannel = \"beta\"\n").unwrap(),
            "beta"
        );
        let e = parse(Path::new("r.toml"), "[toolchain]\npath = \"/opt/rust\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("toolchain.path pins a local toolchain"));
    }

    /// tests/fixtures/toolchain-requests.toml: each case's files read by [`read`] and by the
    /// flake's nix/toolchainRequest.nix (nix-instantiate, which CI installs) must give the
    /// case's request.
    #[test]
    fn rust_and_nix_read_the_same_toolchain_request() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc: DocumentMut =
            std::fs::read_to_string(repo.join("tests/fixtures/toolchain-requests.toml"))
                .unwrap()
                .parse()
                .unwrap();
        let nix = which::which("nix-instantiate")
            .expect("nix-instantiate (apt-get install nix-bin) runs the Nix side of this test");
        let cases = doc["case"].as_array_of_tables().unwrap();
        assert!(cases.len() >= 13, "{} cases", cases.len());
        let mut errors = 0;
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let text = |key: &str| case.get(key).map(|v| v.as_str().unwrap().to_string());
            let list = |key: &str| -> Vec<String> {
                case[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            let dir = tempfile::tempdir().unwrap();
            for (key, file) in [("toml", FILE), ("legacy", LEGACY_FILE)] {
                if let Some(t) = text(key) {
                    std::fs::write(dir.path().join(file), t).unwrap();
                }
            }
            let rust = read(&crate::plan::Plan::new(), dir.path());
            let arg = |key: &str| match text(key) {
                Some(t) => serde_json::to_string(&t).unwrap(),
                None => "null".into(),
            };
            let expr = format!(
                "(import (/. + {}) {{ }}).toolchainRequest {{ toml = {}; legacy = {}; }}",
                serde_json::to_string(&repo.join("nix/pure.nix").display().to_string()).unwrap(),
                arg("toml"),
                arg("legacy")
            );
            let out = std::process::Command::new(&nix)
                .args(["--eval", "--strict", "--json", "-E", &expr])
                .env("NIX_CONFIG", "build-users-group =")
                .output()
                .unwrap();
            if let Some(error) = text("error") {
                let rust = format!("{:#}", rust.expect_err(name));
                assert!(rust.contains(&error), "Rust side, case `{name}`: {rust}");
                let nix_err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    !out.status.success() && nix_err.contains(&error),
                    "Nix side, case `{name}`: {nix_err}"
                );
                errors += 1;
                continue;
            }
            let want = ToolchainSpec {
                channel: case["channel"].as_str().unwrap().to_string(),
                profile: text("profile"),
                components: list("components"),
                targets: list("targets"),
            };

            assert_eq!(rust.unwrap(), want, "Rust side, case `{name}`");
            assert!(
                out.status.success(),
                "Nix side, case `{name}`: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let got = ToolchainSpec {
                channel: got["channel"].as_str().unwrap().to_string(),
                profile: got["profile"].as_str().map(str::to_string),
                components: serde_json::from_value(got["components"].clone()).unwrap(),
                targets: serde_json::from_value(got["targets"].clone()).unwrap(),
            };
            assert_eq!(got, want, "Nix side, case `{name}`");
        }
        assert!(errors >= 5, "{errors} refusal cases");
    }
}
