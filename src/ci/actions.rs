//! The actions the generated workflows use, each pinned to a commit (ci-actions.toml).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// One pinned action (a row of ci-actions.toml).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// `owner/repository` of the action.
    pub uses: String,
    /// The release tag the commit is.
    pub tag: String,
    /// The 40-hex commit.
    pub commit: String,
    /// Where and when the commit was read.
    pub read: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pins {
    actions: BTreeMap<String, Action>,
}

/// Every pinned action by key (`checkout`, `install-nix`, ...), read from ci-actions.toml,
/// embedded at compile time.
///
/// Panics: the embedded table does not parse, or a commit is not 40 hex digits (a unit test
/// holds it).
pub fn pins() -> &'static BTreeMap<String, Action> {
    static PINS: OnceLock<BTreeMap<String, Action>> = OnceLock::new();
    PINS.get_or_init(|| {
        let pins: Pins = toml_edit::de::from_str(include_str!("../../ci-actions.toml"))
            .expect("ci-actions.toml parses");
        pins.actions
    })
}

/// The pinned action `key`: (`owner/repo@commit`, its tag).
///
/// Panics: `key` is not in ci-actions.toml (the callers name fixed keys).
pub fn pinned(key: &str) -> (String, String) {
    let a = &pins()[key];
    (format!("{}@{}", a.uses, a.commit), a.tag.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_a_full_commit_with_its_tag_and_where_it_was_read() {
        assert!(pins().len() >= 4);
        for (key, a) in pins() {
            assert!(
                a.commit.len() == 40 && a.commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{key}: {}",
                a.commit
            );
            assert!(a.tag.starts_with('v'), "{key}: {}", a.tag);
            assert!(a.read.contains(&a.tag), "{key}: {}", a.read);
        }
        assert_eq!(
            pinned("checkout").0,
            format!("actions/checkout@{}", pins()["checkout"].commit)
        );
    }
}
