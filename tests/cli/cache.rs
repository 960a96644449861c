//! `crossflake cache set|unset` and `init --cache-*`: the metadata table and flake.nix's
//! nixConfig change together (read back by Nix's own evaluator), bad input refused with nothing
//! written, a hand-edited flake.nix kept; doctor's cache findings against a server on
//! 127.0.0.1 and a Nix configuration of the test's own.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{TempProject, refuses, require_tool, run_ok, serve};

pub(crate) const KEY: &str = "cache.example.org-1:Gt35ybLEj/QrvSRmVUDRFcAdK7ieMaQVXaeDiXS2R9I=";

/// A package set up by `crossflake new`, with a comment of the user's in Cargo.toml.
pub(crate) fn project() -> TempProject {
    let p = TempProject::empty();
    p.cmd(&["new", "app"]).assert().success();
    let q = TempProject {
        dir: tempfile::Builder::new().tempdir().unwrap(),
    };
    crate::support::copy_dir(&p.path().join("app"), q.path());
    let manifest = q.read("Cargo.toml").replace(
        "[package.metadata.crossflake]",
        "# the team's comment\n[package.metadata.crossflake]",
    );
    q.write("Cargo.toml", &manifest);
    q
}

/// flake.nix's nixConfig as Nix evaluates it (`null` when it has none).
fn nix_config(p: &TempProject) -> Value {
    let nix = require_tool("nix-instantiate", "apt-get install nix-bin");
    let out = run_ok(
        Command::new(nix)
            .args(["--eval", "--strict", "--json", "-E"])
            .arg(format!(
                "(import {}).nixConfig or null",
                p.path().join("flake.nix").display()
            )),
    );
    serde_json::from_str(&out).unwrap()
}

/// The metadata's cache table as JSON (`null` when it has none).
fn cache_table(p: &TempProject) -> Value {
    let doc: toml_edit::DocumentMut = p.read("Cargo.toml").parse().unwrap();
    match doc["package"]["metadata"]["crossflake"].get("cache") {
        Some(t) => {
            let t = t.as_table().unwrap();
            Value::Object(
                t.iter()
                    .map(|(k, v)| (k.to_string(), json!(v.as_str().unwrap())))
                    .collect(),
            )
        }
        None => Value::Null,
    }
}

/// What flake.nix's nixConfig must be for the metadata's cache table.
fn config_for(table: &Value) -> Value {
    if table.is_null() {
        return Value::Null;
    }
    json!({
        "extra-substituters": [table["url"]],
        "extra-trusted-public-keys": [table["public-key"]],
    })
}

#[test]
fn set_and_unset_change_the_metadata_and_flake_nix_together() {
    let p = project();
    let (manifest, flake) = (p.read("Cargo.toml"), p.read("flake.nix"));
    assert_eq!(nix_config(&p), Value::Null);
    for (kind, url, secret, stored_url, stored_secret) in [
        (
            "http",
            "http://127.0.0.1:8080/",
            None,
            "http://127.0.0.1:8080",
            "NIX_SIGNING_KEY",
        ),
        (
            "cachix",
            "https://acme.cachix.org",
            None,
            "https://acme.cachix.org",
            "CACHIX_AUTH_TOKEN",
        ),
        (
            "attic",
            "https://attic.example.org/acme",
            Some("ACME_ATTIC"),
            "https://attic.example.org/acme",
            "ACME_ATTIC",
        ),
        (
            "s3",
            "s3://acme-nix?region=eu-west-1",
            None,
            "s3://acme-nix?region=eu-west-1",
            "NIX_SIGNING_KEY",
        ),
    ] {
        let mut args = vec![
            "cache",
            "set",
            "--kind",
            kind,
            "--url",
            url,
            "--public-key",
            KEY,
        ];
        if let Some(s) = secret {
            args.extend(["--secret", s]);
        }
        p.cmd(&args).assert().success();
        let table = cache_table(&p);
        assert_eq!(
            table,
            json!({"kind": kind, "url": stored_url, "public-key": KEY, "secret": stored_secret}),
            "{kind}"
        );
        assert_eq!(
            nix_config(&p),
            config_for(&table),
            "{kind}: flake.nix and Cargo.toml differ"
        );
        assert!(p.read("Cargo.toml").contains("# the team's comment\n"));
        // a second run changes nothing
        let before = p.snapshot_bytes();
        p.cmd(&args).assert().success();
        assert_eq!(before, p.snapshot_bytes(), "{kind}: a second run wrote");
    }
    p.cmd(&["cache", "unset"]).assert().success();
    assert_eq!(
        (cache_table(&p), nix_config(&p)),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        p.read("Cargo.toml"),
        manifest,
        "unset did not give Cargo.toml back"
    );
    assert_eq!(
        p.read("flake.nix"),
        flake,
        "unset did not give flake.nix back"
    );
}

#[test]
fn init_takes_the_same_cache_options() {
    let p = project();
    p.cmd(&[
        "init",
        "--cache-kind",
        "http",
        "--cache-url",
        "https://nix.example.org",
        "--cache-public-key",
        KEY,
    ])
    .assert()
    .success();
    let table = cache_table(&p);
    assert_eq!(table["url"], "https://nix.example.org");
    assert_eq!(nix_config(&p), config_for(&table));
    refuses(
        &p,
        &[
            "init",
            "--cache-kind",
            "http",
            "--cache-url",
            "ftp://x",
            "--cache-public-key",
            KEY,
        ],
        "error: --cache-url: `ftp://x` is not the URL of a http cache; write it as https://HOST[/PATH]",
    );
    refuses(
        &p,
        &["init", "--cache-url", "https://x"],
        "--cache-kind <KIND>",
    );
}

#[test]
fn bad_input_is_refused_with_nothing_written() {
    let p = project();
    let set = |kind: &'static str, url: &'static str, key: &'static str| -> Vec<&'static str> {
        vec![
            "cache",
            "set",
            "--kind",
            kind,
            "--url",
            url,
            "--public-key",
            key,
        ]
    };
    for (args, message) in [
        (
            set("nix-serve", "https://x", KEY),
            "error: --kind: `nix-serve` is not a kind of cache crossflake knows; use one of cachix, attic, s3, http",
        ),
        (
            set("http", "not a url", KEY),
            "error: --url: `not a url` is not the URL of a http cache; write it as https://HOST[/PATH]",
        ),
        (
            set("cachix", "https://nix.example.org", KEY),
            "error: --url: `https://nix.example.org` is not the URL of a cachix cache; write it as https://NAME.cachix.org",
        ),
        (
            set("http", "https://x", "cache.example.org-1"),
            "error: --public-key: `cache.example.org-1` is not a Nix public key; it is NAME:BASE64 of 32 bytes",
        ),
        (
            set("http", "https://x", "k:c2hvcnQ="),
            "error: --public-key: `k:c2hvcnQ=` is not a Nix public key",
        ),
    ] {
        refuses(&p, &args, message);
    }
    let mut with_token = set("cachix", "https://acme.cachix.org", KEY);
    with_token.extend(["--secret", "eyJhbGciOiJIUzI1NiJ9"]);
    refuses(
        &p,
        &with_token,
        "error: --secret: `eyJhbGciOiJIUzI1NiJ9` is not the name of a variable or CI secret",
    );

    // a bad table in Cargo.toml names the file and key
    let manifest = p.read("Cargo.toml");
    p.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.crossflake.cache]\nkind = \"http\"\nurl = \"https://x\"\npublic-key = \"k\"\n"),
    );
    refuses(
        &p,
        &["cache", "unset"],
        &format!(
            "error: {}: package.metadata.crossflake.cache.public-key: `k` is not a Nix public key",
            p.path().join("Cargo.toml").display()
        ),
    );
    p.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.crossflake.cache]\nkind = \"http\"\nurl = \"https://x\"\npublic-key = \"{KEY}\"\ntoken = \"t\"\n"),
    );
    refuses(
        &p,
        &["cache", "unset"],
        "package.metadata.crossflake.cache.token: unknown key; the cache table takes kind, url, public-key, secret",
    );
}

#[test]
fn a_flake_nix_edited_by_hand_is_kept_without_force() {
    let p = project();
    let args = [
        "cache",
        "set",
        "--kind",
        "http",
        "--url",
        "https://nix.example.org",
        "--public-key",
        KEY,
    ];
    let edited = p
        .read("flake.nix")
        .replace("{ inherit self;", "{ inherit self; # ours\n");
    p.write("flake.nix", &edited);
    refuses(
        &p,
        &args,
        &format!(
            "error: {} was edited since crossflake wrote it; set its nixConfig by hand (extra-substituters = [ \"https://nix.example.org\" ]; extra-trusted-public-keys = [ \"{KEY}\" ];), or pass --force to replace it",
            p.path().join("flake.nix").display()
        ),
    );
    p.write("flake.nix", "{ outputs = _: { }; }\n");
    refuses(
        &p,
        &args,
        "flake.nix exists and was not written by crossflake; set its nixConfig by hand",
    );

    // --dry-run shows both files' diffs and writes nothing
    let before = p.snapshot_bytes();
    let out = p
        .cmd(&[&args[..], &["--force", "--dry-run"]].concat())
        .assert()
        .success();
    let diff = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        diff.contains("+++ b/Cargo.toml") && diff.contains("+++ b/flake.nix"),
        "{diff}"
    );
    assert!(
        diff.contains("+    extra-substituters = [ \"https://nix.example.org\" ];"),
        "{diff}"
    );
    assert_eq!(before, p.snapshot_bytes());

    p.cmd(&[&args[..], &["--force"]].concat())
        .assert()
        .success();
    assert_eq!(nix_config(&p), config_for(&cache_table(&p)));
    // written by crossflake now: set again needs no --force, and the cache changes
    set_http_cache(&p, "https://other.example.org");
    assert_eq!(
        nix_config(&p)["extra-substituters"],
        json!(["https://other.example.org"])
    );
}

/// `cache set --kind http --url URL --public-key KEY`.
pub(crate) fn http_cache_args(url: &str) -> Vec<String> {
    [
        "cache",
        "set",
        "--kind",
        "http",
        "--url",
        url,
        "--public-key",
        KEY,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// [`http_cache_args`] run in `p`, which must succeed.
pub(crate) fn set_http_cache(p: &TempProject, url: &str) {
    let args = http_cache_args(url);
    p.cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .assert()
        .success();
}

/// `crossflake doctor --json`'s cache findings (`severity: problem`) and exit status, with
/// `conf` as the machine's nix.conf.
pub(crate) fn doctor_cache(p: &TempProject, conf: &str) -> (Vec<String>, i32) {
    require_tool("nix", "apt-get install nix-bin");
    let conf_dir = tempfile::tempdir().unwrap();
    std::fs::write(conf_dir.path().join("nix.conf"), conf).unwrap();
    let out = p
        .cmd(&["doctor", "--json"])
        .env("CROSSFLAKE_DOWNLOAD_BACKOFF_SECS", "0.05")
        .env("CROSSFLAKE_DOWNLOAD_STALL_SECS", "2")
        .env("NIX_CONF_DIR", conf_dir.path())
        .env("NIX_USER_CONF_FILES", conf_dir.path().join("nix.conf"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let findings = report["sections"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "cache")
        .map(|f| {
            format!(
                "{}: {}",
                f["severity"].as_str().unwrap(),
                f["problem"].as_str().unwrap()
            )
        })
        .collect();
    (findings, out.status.code().unwrap())
}

#[test]
fn doctor_reports_whether_the_cache_answers_and_is_trusted() {
    let up = serve(BTreeMap::from([(
        "/nix-cache-info".to_string(),
        b"StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n".to_vec(),
    )]));
    let p = project();
    set_http_cache(&p, &up);
    let trusted = format!("extra-substituters = {up}\nextra-trusted-public-keys = {KEY}\n");
    let (findings, _) = doctor_cache(&p, &trusted);
    assert_eq!(findings, Vec::<String>::new());
    let (findings, _) = doctor_cache(&p, "accept-flake-config = false\n");
    assert_eq!(
        findings,
        [format!(
            "warning: Nix asks before it uses flake.nix's nixConfig (accept-flake-config is off): answer y, or builds here do not use {up}"
        )]
    );
    let (findings, _) = doctor_cache(&p, "accept-flake-config = true\n");
    assert_eq!(findings, Vec::<String>::new());

    // a server that is not a binary cache, and one that is not there
    let other = serve(BTreeMap::new());
    set_http_cache(&p, &other);
    let (findings, status) = doctor_cache(&p, "accept-flake-config = true\n");
    assert_eq!(
        findings,
        [format!(
            "error: the binary cache does not answer: failed to download {other}/nix-cache-info: HTTP 404 Not Found (not retried)"
        )]
    );
    assert_eq!(status, 1);
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    set_http_cache(&p, &gone);
    let (findings, status) = doctor_cache(&p, "accept-flake-config = true\n");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with(&format!(
            "error: the binary cache does not answer: failed to download {gone}/nix-cache-info: "
        )) && findings[0].ends_with(
            "Connection refused (os error 111); gave up after 2 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=1)"
        ),
        "{findings:?}"
    );
    assert_eq!(status, 1);
}
