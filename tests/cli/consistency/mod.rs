//! The Rust and Nix sides compute the same things from one catalog: for each table below, one
//! file of cases that both sides run, through the code the verbs use (`crossflake env`,
//! `toolchain lock --check`, and the `internal` commands, each a one-line call into the
//! function its verb calls) and through the Nix library (evaluated by nix-instantiate).
//!
//! - [`recipe`]: the environment, commands, tool scripts and runner of every target on every host;
//! - [`resolve`]: target resolution;
//! - [`config`]: the project's settings, the profile, and each host's outputs;
//! - [`lock`]: toolchain lock staleness;
//! - [`build_tools`] and [`bindgen`]: what the C dependencies need.

mod bindgen;
mod build_tools;
mod config;
mod lock;
mod recipe;
mod resolve;

use std::process::Command;

use serde_json::Value;

use crate::support::{TempProject, require_tool};

/// `nix-instantiate --eval --strict --json` of `expr` with `p` bound to the pure library:
/// the value, or Nix's error message.
pub fn nix_eval(expr: &str) -> Result<Value, String> {
    let nix = require_tool("nix-instantiate", "apt-get install nix-bin");
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "-E"])
        .arg(format!(
            "let p = import {}/nix/pure.nix {{ }}; in {expr}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .env("NIX_CONFIG", "build-users-group =")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// A Nix string literal.
pub fn nix_str(s: &str) -> String {
    serde_json::to_string(s).unwrap().replace("${", "\\${")
}

/// `crossflake ARGS` in `p`: the JSON it prints, or its error output.
pub fn cli_json(p: &TempProject, args: &[&str]) -> Result<Value, String> {
    let out = p.cmd(args).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// What a row expects of both sides: these fields with these values, or an error containing
/// this text.
pub enum Want {
    Fields(Value),
    Error(&'static str),
}

/// `got` has every field `want` has, with the same value (objects compared key by key).
pub fn has_fields(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| has_fields(gv, wv))),
        _ => got == want,
    }
}

pub fn check_row(side: &str, row: &str, got: &Result<Value, String>, want: &Want) {
    match (got, want) {
        (Ok(v), Want::Fields(w)) => {
            assert!(has_fields(v, w), "{side}, {row}:\ngot {v:#}\nwant {w:#}")
        }
        (Err(e), Want::Error(m)) => assert!(e.contains(m), "{side}, {row}: `{m}` not in:\n{e}"),
        (Ok(v), Want::Error(m)) => panic!("{side}, {row}: expected an error with `{m}`, got {v:#}"),
        (Err(e), Want::Fields(w)) => panic!("{side}, {row}: expected {w:#}, got the error:\n{e}"),
    }
}
