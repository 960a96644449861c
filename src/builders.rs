//! Nix remote builders (`--builders`, `nix.buildMachines`, /etc/nix/machines): the machine
//! specs as Nix reads them, whether each builder answers, and which of a project's targets
//! each can build.
//!
//! crossflake's derivations need nothing special on a builder: a target's derivations have
//! the `system` of the host they were evaluated for (`packages.x86_64-linux.aarch64-musl` is
//! an `x86_64-linux` derivation whatever it targets) and no `requiredSystemFeatures`, so a
//! builder takes them when one of its systems is that host system and it has no mandatory
//! features. The catalog's `build-hosts` (targets.toml) say which host systems build a target.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use wait_timeout::ChildExt;

use crate::catalog::{Severity, TargetSpec};
use crate::cdeps::Finding;

/// One builder of a machine spec: the fields of a line of Nix's machines file, in order
/// (`URI SYSTEMS SSH-KEY MAX-JOBS SPEED-FACTOR SUPPORTED-FEATURES MANDATORY-FEATURES
/// HOST-KEY`, `-` for a field left at its default; Nix manual, "Remote Builds").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Builder {
    /// The store URI: `ssh-ng://user@host`, `ssh://user@host`, or any other store URI.
    pub uri: String,
    /// The systems it builds (`x86_64-linux`); empty: Nix's own system (`-`).
    pub systems: Vec<String>,
    /// The ssh private key Nix logs in with, if one is named.
    pub ssh_key: Option<String>,
    /// How many builds it runs at once (default 1).
    pub max_jobs: u32,
    /// Nix prefers faster builders: a positive number (default 1).
    pub speed_factor: f64,
    /// Features it offers (`kvm`, `big-parallel`).
    pub supported_features: Vec<String>,
    /// Features a derivation must ask for to be built there.
    pub mandatory_features: Vec<String>,
    /// The base64 of the builder's ssh public host key line, if given.
    pub host_key: Option<String>,
}

/// Reads a `--builders` value as Nix does: machines separated by `;` or newlines, `#` to the
/// end of a line a comment, `@FILE` a machines file to read (relative paths from the current
/// directory); fields separated by blanks. `what` names the value in errors.
///
/// A host with no scheme is `ssh://HOST` and a speed factor of 0 is 1, as Nix reads them.
///
/// Errors: an unreadable `@FILE`, a machine with more than eight fields, a bad number of jobs
/// or speed factor: each naming the machine and the fix.
pub fn parse(spec: &str, what: &str) -> Result<Vec<Builder>> {
    let mut out = Vec::new();
    for line in spec.split(['\n', ';']) {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(file) = line.strip_prefix('@') {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("{what}: cannot read the machines file {file}"))?;
            out.extend(parse(&text, file)?);
            continue;
        }
        out.push(parse_machine(line, what)?);
    }
    Ok(out)
}

fn parse_machine(line: &str, what: &str) -> Result<Builder> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let hint = "a machine is `URI [SYSTEMS [SSH-KEY [MAX-JOBS [SPEED-FACTOR [SUPPORTED-FEATURES [MANDATORY-FEATURES [HOST-KEY]]]]]]]`, `-` for a default, machines separated by `;`";
    if fields.len() > 8 {
        bail!(
            "{what}: `{line}` has {} fields, Nix reads at most 8; {hint}",
            fields.len()
        );
    }
    let field = |i: usize| {
        fields
            .get(i)
            .copied()
            .filter(|f| *f != "-" && !f.is_empty())
    };
    let list = |i: usize| -> Vec<String> {
        field(i)
            .map(|f| {
                f.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    // as Nix reads it: a host with no scheme is an ssh:// one
    let uri = fields[0];
    let uri = if uri.contains("://")
        || uri.starts_with('/')
        || ["auto", "daemon", "local"].contains(&uri)
    {
        uri.to_string()
    } else {
        format!("ssh://{uri}")
    };
    let max_jobs = match field(3) {
        None => 1,
        Some(n) => n.parse::<u32>().map_err(|_| {
            anyhow::anyhow!("{what}: {uri}: its number of jobs `{n}` is not a whole number; {hint}")
        })?,
    };
    let speed_factor = match field(4) {
        None => 1.0,
        Some(n) => match n.parse::<f64>() {
            // Nix counts 0 as 1
            Ok(0.0) => 1.0,
            Ok(f) if f > 0.0 && f.is_finite() => f,
            _ => bail!("{what}: {uri}: its speed factor `{n}` is not a positive number; {hint}"),
        },
    };
    Ok(Builder {
        uri,
        systems: list(1),
        ssh_key: field(2).map(String::from),
        max_jobs,
        speed_factor,
        supported_features: list(5),
        mandatory_features: list(6),
        host_key: field(7).map(String::from),
    })
}

impl Builder {
    /// The systems it builds, `local` standing for `-` (Nix's own system).
    pub fn systems_or(&self, local: &str) -> Vec<String> {
        if self.systems.is_empty() {
            vec![local.to_string()]
        } else {
            self.systems.clone()
        }
    }

    /// The store URI Nix opens for it, with the key and host key as store settings (as Nix's
    /// build hook passes them: `ssh-key`, `base64-ssh-public-host-key`).
    pub fn store_uri(&self) -> String {
        let ssh = self.uri.starts_with("ssh://") || self.uri.starts_with("ssh-ng://");
        let mut params = Vec::new();
        if ssh {
            if let Some(k) = &self.ssh_key {
                params.push(format!("ssh-key={k}"));
            }
            if let Some(h) = &self.host_key {
                params.push(format!("base64-ssh-public-host-key={h}"));
            }
        }
        if params.is_empty() {
            return self.uri.clone();
        }
        let sep = if self.uri.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.uri, params.join("&"))
    }

    /// For each of `specs`, the host system this builder builds it as (`None`: it cannot):
    /// the first of its systems in the target's `build-hosts`, none at all when it has
    /// mandatory features (crossflake's derivations ask for none).
    pub fn builds<'a>(
        &self,
        specs: &'a [TargetSpec],
        local: &str,
    ) -> Vec<(&'a TargetSpec, Option<String>)> {
        let systems = self.systems_or(local);
        specs
            .iter()
            .map(|s| {
                let system = if self.mandatory_features.is_empty() {
                    systems
                        .iter()
                        .find(|sys| s.target().build_hosts.contains(sys))
                        .cloned()
                } else {
                    None
                };
                (s, system)
            })
            .collect()
    }
}

/// What `nix store ping` said of a builder: `Ok(())`, or `Err(Nix's and ssh's last lines)`.
pub type Answer = Result<(), String>;

/// Asks a builder whether it answers: `nix store ping --store URI` (Nix's own ssh client
/// settings, `NIX_SSHOPTS` included, with `-o BatchMode=yes` so ssh never asks for a password,
/// and `ConnectTimeout`), killed after `timeout`.
///
/// Errors (as the answer's text): nix is missing, the builder refuses, is down or does not
/// answer in time.
pub fn ping(builder: &Builder, timeout: Duration) -> Answer {
    let secs = timeout.as_secs().max(1);
    let sshopts = format!(
        "{} -o BatchMode=yes -o ConnectTimeout={secs}",
        std::env::var("NIX_SSHOPTS").unwrap_or_default()
    );
    let mut child = Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "store",
            "ping",
            "--store",
        ])
        .arg(builder.store_uri())
        .env("NIX_SSHOPTS", sshopts.trim())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nix ({e}): install Nix (https://nixos.org/download)"))?;
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {secs} s"));
        }
        Err(e) => return Err(format!("waiting for nix store ping: {e}")),
    };
    let text = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    // `nix store ping` names the store before it fails; the rest is ssh's and Nix's error
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Store URL:"))
        .collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    Err(if tail.is_empty() {
        format!("nix store ping failed ({status})")
    } else {
        tail
    })
}

/// What doctor reports of one builder.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The builder as the spec gave it.
    pub builder: Builder,
    /// Whether it answered `nix store ping` (what Nix said otherwise is in `error`).
    pub answers: bool,
    /// Nix's and ssh's words when it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The project's targets it builds, each as Cargo.toml writes it with the flake attribute
    /// to build there (`packages.x86_64-linux.aarch64-musl`).
    pub targets: Vec<BuildsTarget>,
    /// The project's targets it cannot build (none of its systems is in their build-hosts).
    pub cannot_build: Vec<String>,
}

/// A target a builder builds, and the attribute that sends it there.
#[derive(Debug, Serialize)]
pub struct BuildsTarget {
    /// The target as the project names it.
    pub target: String,
    /// The host system the builder builds it as.
    pub system: String,
    /// The flake attribute whose derivations have that system.
    pub attribute: String,
}

/// Builds the report of one builder from its `answer` ([`ping`]'s).
pub fn report(builder: &Builder, answer: Answer, specs: &[TargetSpec], local: &str) -> Report {
    let mut targets = Vec::new();
    let mut cannot_build = Vec::new();
    for (spec, system) in builder.builds(specs, local) {
        match system {
            Some(system) => targets.push(BuildsTarget {
                target: spec.written.clone(),
                attribute: format!("packages.{system}.{}", spec.alias),
                system,
            }),
            None => cannot_build.push(spec.written.clone()),
        }
    }
    Report {
        builder: builder.clone(),
        answers: answer.is_ok(),
        error: answer.err(),
        targets,
        cannot_build,
    }
}

/// The findings of one builder's report, each with its fix; none when it answers and builds
/// every target.
pub fn findings(r: &Report, local: &str) -> Vec<Finding> {
    let b = &r.builder;
    let check = format!("builder {}", b.uri);
    let finding = |severity, problem: String, fix: String| Finding {
        severity,
        check: check.clone(),
        problem,
        fix,
    };
    let mut out = Vec::new();
    if let Some(why) = &r.error {
        let fix = fix_for(b, why);
        out.push(finding(
            Severity::Error,
            format!("the builder does not answer: {why}"),
            fix,
        ));
    }
    let systems = b.systems_or(local);
    if !r.targets.is_empty() && !systems.iter().any(|s| s == local) {
        out.push(finding(
            Severity::Warning,
            format!(
                "it builds {} and this machine is {local}: `nix build .#TARGET` here builds {local} derivations, which it does not take",
                systems.join(",")
            ),
            format!(
                "build the attributes of its system to send the targets there ({}), or add a builder of {local}",
                r.targets.iter().map(|t| format!(".#{}", t.attribute)).collect::<Vec<_>>().join(" ")
            ),
        ));
    }
    if !r.cannot_build.is_empty() {
        let systems = systems.join(",");
        let problem = if b.mandatory_features.is_empty() {
            format!(
                "it builds {systems} and none of these targets builds there: {}",
                r.cannot_build.join(", ")
            )
        } else {
            format!(
                "it only takes derivations that ask for {} and crossflake's ask for none: it builds none of {}",
                b.mandatory_features.join(","),
                r.cannot_build.join(", ")
            )
        };
        out.push(finding(
            if r.targets.is_empty() { Severity::Error } else { Severity::Warning },
            problem,
            "build those on this machine or on a builder of a system in their build-hosts (`crossflake targets --host SYSTEM` lists what a system builds); a target's derivations have the system of the packages.SYSTEM it is built as".into(),
        ));
    }
    out
}

/// The fix for what a builder that did not answer said (`why`, [`ping`]'s text).
fn fix_for(b: &Builder, why: &str) -> String {
    let user_host = b.uri.split_once("://").map(|(_, r)| r).unwrap_or(&b.uri);
    let user_host = user_host.split(['/', '?']).next().unwrap_or(user_host);
    let (user, host) = user_host.split_once('@').unwrap_or(("root", user_host));
    let key = b.ssh_key.as_deref().unwrap_or("your default ssh key");
    if why.contains("Permission denied") {
        format!(
            "the builder refuses the key: add the public half of {key} (its .pub) to ~{user}/.ssh/authorized_keys on {host}, or name the key it accepts in the machine's third field"
        )
    } else if why.contains("Connection refused")
        || why.contains("No route to host")
        || why.contains("timed out")
        || why.contains("no answer within")
        || why.contains("Could not resolve")
    {
        format!(
            "the builder is down or out of reach: start sshd on {host}, check the host name and port (a port other than 22 goes in NIX_SSHOPTS=\"-p PORT\" or ~/.ssh/config), then run doctor again"
        )
    } else if why.contains("Host key verification failed") || why.contains("HOST IDENTIFICATION") {
        format!(
            "ssh does not know {host}'s host key: put the base64 of its /etc/ssh/ssh_host_ed25519_key.pub line in the machine's eighth field, or add it to known_hosts"
        )
    } else if why.contains("not found") || why.contains("No such file") {
        format!(
            "Nix is not on {user}'s PATH on {host} for commands over ssh: install Nix there, or set remote-program in the URI ({}?remote-program=/nix/var/nix/profiles/default/bin/nix-daemon)",
            b.uri
        )
    } else if why.contains("cannot run nix") {
        "install Nix (https://nixos.org/download), then run doctor again".into()
    } else {
        format!(
            "run `nix store ping --store '{}'` to see the whole error",
            b.store_uri()
        )
    }
}

/// Reads `--builders`' value: the spec itself, or `@FILE`.
pub fn load(spec: &str) -> Result<Vec<Builder>> {
    let builders = parse(spec, "--builders")?;
    if builders.is_empty() {
        bail!(
            "--builders names no machine; give `ssh-ng://USER@HOST SYSTEMS KEY` (machines separated by `;`) or @FILE"
        );
    }
    for b in &builders {
        if let Some(k) = b.ssh_key.as_ref().filter(|k| !Path::new(k).is_file()) {
            bail!(
                "--builders: {}: its ssh key {k} does not exist; name a private key file in the machine's third field",
                b.uri
            );
        }
    }
    Ok(builders)
}

/// How long `doctor --builders` waits for each builder: `CROSSFLAKE_BUILDER_TIMEOUT` seconds,
/// 10 when unset.
///
/// Errors: the variable is set but not a positive number of seconds.
pub fn timeout() -> Result<Duration> {
    crate::settings::seconds(
        &crate::settings::env,
        "CROSSFLAKE_BUILDER_TIMEOUT",
        Duration::from_secs(10),
    )
}

/// One line on a builder: whether it answers and what it builds, with the attributes.
pub fn summary(r: &Report) -> String {
    let (state, verb) = if r.answers {
        ("answers", "builds")
    } else {
        ("does not answer", "would build")
    };
    let builds = if r.targets.is_empty() {
        format!("{verb} none of the targets")
    } else {
        let attrs: Vec<String> = r.targets.iter().map(|t| t.attribute.clone()).collect();
        format!("{verb} {}", attrs.join(", "))
    };
    format!("builder {}: {state}; {builds}", r.builder.uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::specs;

    /// Each case: a `--builders` value and the (uri, systems, key, jobs, mandatory, host key)
    /// of each machine Nix would read from it.
    #[test]
    fn reads_machine_specs_as_nix_does() {
        type Row = (
            &'static str,
            Vec<&'static str>,
            Option<&'static str>,
            u32,
            Vec<&'static str>,
            Option<&'static str>,
        );
        let cases: Vec<(&str, Vec<Row>)> = vec![
            (
                "ssh-ng://b@h",
                vec![("ssh-ng://b@h", vec![], None, 1, vec![], None)],
            ),
            (
                "ssh-ng://b@h x86_64-linux,aarch64-linux /k 4 2 big-parallel - SOSTRING",
                vec![(
                    "ssh-ng://b@h",
                    vec!["x86_64-linux", "aarch64-linux"],
                    Some("/k"),
                    4,
                    vec![],
                    Some("SOSTRING"),
                )],
            ),
            (
                "ssh://a@x - - - - - kvm ; ssh-ng://c@y aarch64-darwin\n# a comment\nssh-ng://d@z x86_64-linux # trailing",
                vec![
                    ("ssh://a@x", vec![], None, 1, vec!["kvm"], None),
                    (
                        "ssh-ng://c@y",
                        vec!["aarch64-darwin"],
                        None,
                        1,
                        vec![],
                        None,
                    ),
                    ("ssh-ng://d@z", vec!["x86_64-linux"], None, 1, vec![], None),
                ],
            ),
            ("  ;\n ; ", vec![]),
        ];
        for (spec, want) in cases {
            let got = parse(spec, "--builders").unwrap();
            let got: Vec<Row> = got
                .iter()
                .map(|b| {
                    (
                        leak(&b.uri),
                        b.systems.iter().map(|s| leak(s)).collect(),
                        b.ssh_key.as_deref().map(leak),
                        b.max_jobs,
                        b.mandatory_features.iter().map(|s| leak(s)).collect(),
                        b.host_key.as_deref().map(leak),
                    )
                })
                .collect();
            assert_eq!(got, want, "{spec}");
        }
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    #[test]
    fn a_machines_file_is_read_where_the_spec_says_at() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("machines");
        std::fs::write(
            &file,
            "ssh-ng://b@one x86_64-linux\nssh-ng://b@two aarch64-linux\n",
        )
        .unwrap();
        let got = parse(&format!("@{}", file.display()), "--builders").unwrap();
        let uris: Vec<&str> = got.iter().map(|b| b.uri.as_str()).collect();
        assert_eq!(uris, ["ssh-ng://b@one", "ssh-ng://b@two"]);
        let err = parse("@/no/such/machines", "--builders").unwrap_err();
        assert_eq!(
            format!("{err}"),
            "--builders: cannot read the machines file /no/such/machines"
        );
    }

    /// What Nix accepts and reads its own way: a host with no scheme, a speed factor of 0.
    #[test]
    fn a_bare_host_is_ssh_and_speed_factor_zero_is_one_as_nix_reads_them() {
        let got = parse(
            "builder.example x86_64-linux - 2 0; /srv/store; daemon",
            "t",
        )
        .unwrap();
        let read: Vec<(&str, f64)> = got
            .iter()
            .map(|b| (b.uri.as_str(), b.speed_factor))
            .collect();
        assert_eq!(
            read,
            [
                ("ssh://builder.example", 1.0),
                ("/srv/store", 1.0),
                ("daemon", 1.0)
            ]
        );
    }

    /// Bad machines: the message names the value, the machine and the fix.
    #[test]
    fn bad_machine_specs_say_which_and_how_to_fix() {
        let cases = [
            (
                "ssh-ng://b@h x86_64-linux - many",
                "--builders: ssh-ng://b@h: its number of jobs `many` is not a whole number; a machine is",
            ),
            (
                "ssh-ng://b@h x86_64-linux - 1 -2",
                "--builders: ssh-ng://b@h: its speed factor `-2` is not a positive number; a machine is",
            ),
            (
                "b@h x86_64-linux - 1 fast",
                "--builders: ssh://b@h: its speed factor `fast` is not a positive number; a machine is",
            ),
            (
                "ssh-ng://b@h a b c d e f g h",
                "--builders: `ssh-ng://b@h a b c d e f g h` has 9 fields, Nix reads at most 8",
            ),
        ];
        for (spec, want) in cases {
            let err = format!("{}", parse(spec, "--builders").unwrap_err());
            assert!(err.starts_with(want), "{spec}: {err}");
        }
        let err = format!(
            "{}",
            load("ssh-ng://b@h x86_64-linux /no/such/key").unwrap_err()
        );
        assert_eq!(
            err,
            "--builders: ssh-ng://b@h: its ssh key /no/such/key does not exist; name a private key file in the machine's third field"
        );
        assert!(format!("{}", load(" ; ").unwrap_err()).starts_with("--builders names no machine"));
    }

    #[test]
    fn the_store_uri_carries_the_key_and_host_key_as_nix_passes_them() {
        let b = &parse("ssh-ng://b@h x86_64-linux /k 1 1 - - SOSTRING", "t").unwrap()[0];
        assert_eq!(
            b.store_uri(),
            "ssh-ng://b@h?ssh-key=/k&base64-ssh-public-host-key=SOSTRING"
        );
        let b = &parse("ssh://b@h?compress=true x86_64-linux /k", "t").unwrap()[0];
        assert_eq!(b.store_uri(), "ssh://b@h?compress=true&ssh-key=/k");
        let b = &parse("https://cache.example x86_64-linux /k", "t").unwrap()[0];
        assert_eq!(b.store_uri(), "https://cache.example");
    }

    /// Which targets a builder builds follows the catalog's build-hosts: a linux builder builds
    /// every linux, windows and wasm target and no darwin one; `-` is the local system; a
    /// builder with mandatory features builds none.
    #[test]
    fn a_builder_builds_the_targets_whose_build_hosts_hold_one_of_its_systems() {
        let specs = specs(&[
            "aarch64-musl",
            "x86_64-windows",
            "wasm32-wasip1",
            "aarch64-darwin",
        ]);
        let cases = [
            (
                "ssh-ng://b@h x86_64-linux",
                "aarch64-darwin",
                vec![
                    Some("x86_64-linux"),
                    Some("x86_64-linux"),
                    Some("x86_64-linux"),
                    None,
                ],
            ),
            (
                "ssh-ng://b@h -",
                "aarch64-darwin",
                vec![Some("aarch64-darwin"); 4],
            ),
            (
                "ssh-ng://b@h aarch64-linux,aarch64-darwin",
                "x86_64-linux",
                vec![
                    Some("aarch64-linux"),
                    Some("aarch64-linux"),
                    Some("aarch64-linux"),
                    Some("aarch64-darwin"),
                ],
            ),
            (
                "ssh-ng://b@h x86_64-linux - 1 1 kvm kvm",
                "x86_64-linux",
                vec![None; 4],
            ),
            ("ssh-ng://b@h riscv64-linux", "x86_64-linux", vec![None; 4]),
        ];
        for (spec, local, want) in cases {
            let b = &parse(spec, "t").unwrap()[0];
            let got: Vec<Option<String>> = b
                .builds(&specs, local)
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            let want: Vec<Option<String>> = want.into_iter().map(|w| w.map(String::from)).collect();
            assert_eq!(got, want, "{spec}");
        }
    }

    /// Each case: what Nix said, and the words the fix must hold.
    #[test]
    fn a_builder_that_does_not_answer_gets_the_fix_for_what_went_wrong() {
        let b = parse("ssh-ng://builder@10.0.0.9 x86_64-linux", "t")
            .unwrap()
            .remove(0);
        let specs = specs(&["aarch64-musl"]);
        let cases = [
            (
                "builder@10.0.0.9: Permission denied (publickey).",
                "the builder refuses the key: add the public half of your default ssh key (its .pub) to ~builder/.ssh/authorized_keys on 10.0.0.9",
            ),
            (
                "ssh: connect to host 10.0.0.9 port 22: Connection refused",
                "the builder is down or out of reach: start sshd on 10.0.0.9",
            ),
            (
                "no answer within 10 s",
                "the builder is down or out of reach",
            ),
            (
                "Host key verification failed.",
                "ssh does not know 10.0.0.9's host key",
            ),
            (
                "sh: 1: nix-daemon: not found",
                "Nix is not on builder's PATH on 10.0.0.9",
            ),
            (
                "error: something else",
                "run `nix store ping --store 'ssh-ng://builder@10.0.0.9'`",
            ),
        ];
        for (said, fix) in cases {
            let r = report(&b, Err(said.into()), &specs, "x86_64-linux");
            let f = findings(&r, "x86_64-linux");
            assert_eq!(f.len(), 1, "{said}");
            assert_eq!(f[0].severity, Severity::Error);
            assert_eq!(f[0].check, "builder ssh-ng://builder@10.0.0.9");
            assert_eq!(f[0].problem, format!("the builder does not answer: {said}"));
            assert!(f[0].fix.starts_with(fix), "{said}: {}", f[0].fix);
        }
        assert!(findings(&report(&b, Ok(()), &specs, "x86_64-linux"), "x86_64-linux").is_empty());
    }

    #[test]
    fn a_builder_without_the_targets_system_is_an_error_and_some_missing_a_warning() {
        let specs = specs(&["aarch64-musl", "aarch64-darwin"]);
        let linux = parse("ssh-ng://b@h x86_64-linux", "t").unwrap().remove(0);
        let r = report(&linux, Ok(()), &specs, "x86_64-linux");
        assert_eq!(r.targets.len(), 1);
        assert_eq!(r.targets[0].attribute, "packages.x86_64-linux.aarch64-musl");
        let f = findings(&r, "x86_64-linux");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(
            f[0].problem,
            "it builds x86_64-linux and none of these targets builds there: aarch64-darwin"
        );
        let riscv = parse("ssh-ng://b@h riscv64-linux", "t").unwrap().remove(0);
        let f = findings(
            &report(&riscv, Ok(()), &specs, "x86_64-linux"),
            "x86_64-linux",
        );
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].problem,
            "it builds riscv64-linux and none of these targets builds there: aarch64-musl, aarch64-darwin"
        );
        assert_eq!(
            summary(&report(&riscv, Ok(()), &specs, "x86_64-linux")),
            "builder ssh-ng://b@h: answers; builds none of the targets"
        );
    }

    /// A linux builder seen from a Mac builds the linux targets only as their linux attributes.
    #[test]
    fn a_builder_of_another_system_than_this_machine_names_the_attributes_to_build() {
        let specs = specs(&["aarch64-musl"]);
        let linux = parse("ssh-ng://b@h x86_64-linux", "t").unwrap().remove(0);
        let r = report(
            &linux,
            Err("no answer within 10 s".into()),
            &specs,
            "aarch64-darwin",
        );
        let f = findings(&r, "aarch64-darwin");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[1].severity, Severity::Warning);
        assert_eq!(
            f[1].problem,
            "it builds x86_64-linux and this machine is aarch64-darwin: `nix build .#TARGET` here builds aarch64-darwin derivations, which it does not take"
        );
        assert!(f[1].fix.starts_with("build the attributes of its system to send the targets there (.#packages.x86_64-linux.aarch64-musl)"));
        assert_eq!(
            summary(&r),
            "builder ssh-ng://b@h: does not answer; would build packages.x86_64-linux.aarch64-musl"
        );
    }
}
