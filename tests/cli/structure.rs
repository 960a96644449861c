//! The shape of src/: data flows catalog -> recipe -> tools -> pipeline -> verbs, so no module
//! imports one that imports it back, and no verb (a file in src/commands/) uses another. The
//! module graph is read from every `crate::` and `super::` path in the code, inline paths and
//! `use` groups alike, not only `use` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The module graph of the crate at `src`: node -> the nodes it names. A node is a top-level
/// module (`src/dist.rs` or everything under `src/dist/` is `dist`), except that each file in
/// `src/commands/` is a node of its own (`commands/build`). `main` is the root and left out.
pub fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let mut module: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        if module == ["main"] {
            continue;
        }
        let node = node_of(&module);
        let code = strip_comments_and_strings(&fs::read_to_string(&file).unwrap());
        // `super::` inside an inline `mod tests { ... }` is one level deeper
        let tests_at = code.find("mod tests {").unwrap_or(code.len());
        let mut named = BTreeSet::new();
        for (at, path) in paths(&code) {
            let resolved = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super") => {
                    let mut base = module.clone();
                    if at > tests_at {
                        base.push("tests".into());
                    }
                    let mut rest = path.as_slice();
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                _ => continue,
            };
            if resolved.is_empty() || resolved[0] == "main" {
                continue;
            }
            named.insert(node_of(&resolved));
        }
        named.remove(&node);
        graph.entry(node).or_default().extend(named);
    }
    graph
}

/// The graph node of a module path.
fn node_of(module: &[String]) -> String {
    match module {
        [c, verb, ..] if c == "commands" => format!("commands/{verb}"),
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The code without comments (line, doc and block) and with string and char literals emptied,
/// so that a path in a message or a doc link does not count.
fn strip_comments_and_strings(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1).copied()) {
            ('/', Some('/')) => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('r', Some('#')) | ('r', Some('"')) if i == 0 || !b[i - 1].is_alphanumeric() => {
                let mut hashes = 0;
                let mut j = i + 1;
                while j < b.len() && b[j] == '#' {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&'"') {
                    out.push(b[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while j < b.len() && !b[j..].iter().collect::<String>().starts_with(&close) {
                    j += 1;
                }
                out.push_str("\"\"");
                i = j + close.len();
            }
            ('"', _) => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    i += if b[i] == '\\' { 2 } else { 1 };
                }
                out.push_str("\"\"");
                i += 1;
            }
            ('\'', _) if b.get(i + 2) == Some(&'\'') || b.get(i + 1) == Some(&'\\') => {
                // a char literal ('a', '\n', '\''); lifetimes ('a) have no closing quote
                let mut j = i + 1;
                while j < b.len() && b[j] != '\'' {
                    j += if b[j] == '\\' { 2 } else { 1 };
                }
                out.push_str("' '");
                i = j + 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Every path that starts with `crate` or `super`, with where it starts: `crate::a::b` gives
/// `[crate, a, b]`, and a `use` group `crate::{a, b::{c}}` gives `[crate, a]` and `[crate, b, c]`.
fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start).map(|i| i + from) {
            from = i + start.len();
            let boundary =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            if !boundary {
                continue;
            }
            let head = start.trim_end_matches("::").to_string();
            expand(&code[i + start.len()..], vec![head], &mut |p| {
                out.push((i, p))
            });
        }
    }
    out
}

/// Expands the path that continues at `rest` after `prefix`: segments joined by `::`, and
/// `{...}` groups whose comma-separated members each continue the path.
fn expand(rest: &str, prefix: Vec<String>, emit: &mut impl FnMut(Vec<String>)) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut end = inner.len();
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let body = &inner[..end];
        let mut depth = 0;
        let mut last = 0;
        for (i, c) in body
            .char_indices()
            .chain(std::iter::once((body.len(), ',')))
        {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let member = body[last..i].trim();
                    if !member.is_empty() && member != "self" && member != "*" {
                        expand(member, prefix.clone(), emit);
                    } else if member == "self" {
                        emit(prefix.clone());
                    }
                    last = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let ident: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() {
        emit(prefix);
        return;
    }
    let mut path = prefix;
    path.push(ident.clone());
    let after = &rest[ident.len()..];
    match after.strip_prefix("::") {
        Some(more) if ident.starts_with(|c: char| c.is_ascii_lowercase()) => {
            expand(more, path, emit)
        }
        _ => emit(path),
    }
}

/// The cycles of `graph` (each as `a -> b -> a`, one per set of modules) and the edges from
/// one verb to another.
pub fn violations(graph: &BTreeMap<String, BTreeSet<String>>) -> (Vec<String>, Vec<String>) {
    let mut cycles: BTreeMap<BTreeSet<String>, String> = BTreeMap::new();
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        found: &mut BTreeMap<BTreeSet<String>, String>,
    ) {
        let at = path.last().unwrap().clone();
        for next in g.get(&at).into_iter().flatten() {
            if let Some(i) = path.iter().position(|p| p == next) {
                let mut cycle = path[i..].to_vec();
                cycle.push(next.clone());
                found
                    .entry(path[i..].iter().cloned().collect())
                    .or_insert_with(|| cycle.join(" -> "));
            } else if path.len() < 12 {
                path.push(next.clone());
                walk(g, path, found);
                path.pop();
            }
        }
    }
    for start in graph.keys() {
        walk(graph, &mut vec![start.clone()], &mut cycles);
    }
    let verb_edges = graph
        .iter()
        .filter(|(from, _)| from.starts_with("commands/"))
        .flat_map(|(from, tos)| {
            tos.iter()
                .filter(|to| to.starts_with("commands/"))
                .map(move |to| format!("{from} -> {to}"))
        })
        .collect();
    (cycles.into_values().collect(), verb_edges)
}

#[test]
fn src_has_no_import_cycle_and_no_verb_uses_another() {
    let graph = module_graph(&crate::support::repo().join("src"));
    // the graph is read for real: the verbs reach the pipeline, the pipeline the recipe
    assert!(graph["commands/build"].contains("pipeline"), "{graph:#?}");
    assert!(graph["pipeline"].contains("prepare"), "{graph:#?}");
    assert!(graph["dist"].contains("archive"), "{graph:#?}");
    assert!(graph["oci"].contains("archive"), "{graph:#?}");
    let (cycles, verb_edges) = violations(&graph);
    assert!(cycles.is_empty(), "import cycles in src/: {cycles:#?}");
    assert!(
        verb_edges.is_empty(),
        "verbs that use other verbs (give the shared code a module below commands/): {verb_edges:#?}"
    );
}

#[test]
fn planted_inline_references_make_a_cycle_and_a_verb_call() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    write(
        "main.rs",
        "mod a; mod b; mod commands;\nfn main() { commands::x::run(); }\n",
    );
    write(
        "a.rs",
        "use crate::{catalog::{self, Target}, plan};\npub fn f() {}\n",
    );
    // an inline path, not a `use` line, closes the circle
    write("b.rs", "pub fn g() { let _ = crate::a::f(); }\n");
    write("plan.rs", "pub fn p() { crate::b::g() }\n");
    write(
        "catalog.rs",
        "// crate::a::f() in a comment does not count\npub fn c() { let _ = \"crate::b\"; }\n",
    );
    write("commands/mod.rs", "pub mod x;\npub mod y;\n");
    write(
        "commands/x.rs",
        "pub fn run() { super::y::run() }\n#[cfg(test)]\nmod tests { use super::*; }\n",
    );
    write("commands/y.rs", "pub fn run() { crate::plan::p() }\n");
    let graph = module_graph(src);
    assert_eq!(
        graph["a"],
        BTreeSet::from(["catalog".to_string(), "plan".to_string()])
    );
    assert!(graph["catalog"].is_empty(), "{graph:#?}");
    let (cycles, verb_edges) = violations(&graph);
    assert_eq!(cycles, ["a -> plan -> b -> a"]);
    assert_eq!(verb_edges, ["commands/x -> commands/y"]);
}

/// The files under the repository root that `src/` embeds (`include_str!`/`include_bytes!`
/// paths, resolved from the file naming them), outside `src/` itself.
fn embedded_outside_src(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in rust_files(&root.join("src")) {
        let text = fs::read_to_string(&file).unwrap();
        for part in text.split("include_").skip(1) {
            let Some(rest) = part
                .strip_prefix("str!(\"")
                .or_else(|| part.strip_prefix("bytes!(\""))
            else {
                continue;
            };
            let rel = &rest[..rest.find('"').unwrap()];
            let mut path = file.parent().unwrap().to_path_buf();
            for c in Path::new(rel).components() {
                match c {
                    std::path::Component::ParentDir => {
                        path.pop();
                    }
                    other => path.push(other),
                }
            }
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            if !shown.starts_with("src/") {
                out.insert(shown);
            }
        }
    }
    out
}

/// The files nix/crossflakeSource.nix keeps outside `src/` (its list of names).
fn kept_by_the_flake_source(text: &str) -> BTreeSet<String> {
    let list = text
        .split("builtins.elem rel [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect(
            "nix/crossflakeSource.nix lists the files it keeps with `builtins.elem rel [ ... ]`",
        );
    list.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !["Cargo.toml", "Cargo.lock"].contains(s))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_flake_builds_the_cli_from_every_file_it_embeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let embedded = embedded_outside_src(root);
    assert!(
        embedded.contains("targets.toml"),
        "the embedded files were not found: {embedded:?}"
    );
    let kept = kept_by_the_flake_source(
        &fs::read_to_string(root.join("nix/crossflakeSource.nix")).unwrap(),
    );
    assert_eq!(
        embedded, kept,
        "src/ embeds these files from outside src/; nix/crossflakeSource.nix must keep exactly them"
    );
    // a file it leaves out is found
    let without = kept_by_the_flake_source(
        "builtins.elem rel [ \"Cargo.toml\" \"Cargo.lock\" \"targets.toml\" ]",
    );
    assert_ne!(embedded, without);
}
