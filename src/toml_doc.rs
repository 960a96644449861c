//! TOML documents as crossflake reads and edits them (toml_edit, so the user's comments, order
//! and formatting stay): parsing with an error that names the file, and the array edits that
//! Cargo.toml's metadata table and rust-toolchain.toml's `targets` share.

use anyhow::{Context, Result};
use toml_edit::{DocumentMut, Value};

/// Parses `text`, the TOML of `what` (a path or a name for messages).
///
/// Errors: "failed to parse WHAT: it is not valid TOML", with toml_edit's message (line,
/// column, what was expected) as the cause.
pub fn parse(text: &str, what: &str) -> Result<DocumentMut> {
    text.parse::<DocumentMut>()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("failed to parse {what}: it is not valid TOML"))
}

/// Removes element `i` of `arr`; when it was the first, the new first element takes its
/// leading whitespace, so `["a", "b"]` becomes `["b"]`, not `[ "b"]`.
pub fn remove_keeping_layout(arr: &mut toml_edit::Array, i: usize) {
    let prefix = arr
        .get(i)
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    arr.remove(i);
    if i == 0
        && let Some(first) = arr.get_mut(0)
    {
        first.decor_mut().set_prefix(prefix);
    }
}

/// Appends `value` to `arr` laid out like its existing elements (one per line when they
/// are), so a hand-formatted array stays formatted.
pub fn push_like_siblings(arr: &mut toml_edit::Array, value: &str) {
    let prefix = arr
        .iter()
        .last()
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .map(str::to_string);
    let mut v = Value::from(value);
    if let Some(p) = prefix.filter(|p| p.contains('\n')) {
        // one element per line: a comment after the last element's comma belongs to it
        let indent = &p[p.rfind('\n').map_or(0, |i| i + 1)..];
        let trailing = arr.trailing().as_str().unwrap_or("").to_string();
        match trailing.rfind('\n') {
            Some(nl) => {
                v.decor_mut()
                    .set_prefix(format!("{}\n{indent}", &trailing[..nl]));
                arr.set_trailing(&trailing[nl..]);
            }
            None => v.decor_mut().set_prefix(p.clone()),
        }
        arr.set_trailing_comma(true);
    }
    arr.push_formatted(v);
}
