//! Downloads against a misbehaving server on 127.0.0.1 (tests/cli/faulty_http.rs): `toolchain
//! lock`, `init` bringing a lock back in step, and doctor's cache probe retry what is worth
//! retrying (5xx, a body cut short, a connection closed, a stall, a timeout) a bounded number
//! of times and nothing else (a checksum mismatch, a redirect loop, 404); every failure names
//! the URL and writes nothing. The policy's environment overrides keep each case under a few
//! seconds.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::faulty_http::{Answer, FaultyServer, serve_faulty};
use crate::lock::{fixture, manifest_text, standard};
use crate::support::TempProject;

const MANIFEST: &str = "/dist/channel-rust-1.95.0.toml";
const SUMS: &str = "/dist/channel-rust-1.95.0.toml.sha256";

/// Two retries, a twentieth of a second apart; two seconds of silence is a stall (long
/// enough that a busy machine's pauses are not).
const FAST: &[(&str, &str)] = &[
    ("CROSSFLAKE_DOWNLOAD_RETRIES", "2"),
    ("CROSSFLAKE_DOWNLOAD_BACKOFF_SECS", "0.05"),
    ("CROSSFLAKE_DOWNLOAD_STALL_SECS", "2"),
    ("CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS", "20"),
];

fn sums() -> Vec<u8> {
    std::fs::read(fixture("channel-rust-1.95.0.toml.sha256")).unwrap()
}

/// `crossflake ARGS` in `p` against `server` under [`FAST`] and `env`: (success, stderr).
fn run(
    p: &TempProject,
    args: &[&str],
    server: &FaultyServer,
    env: &[(&str, &str)],
) -> (bool, String) {
    let out = p
        .cmd(args)
        .env("RUSTUP_DIST_SERVER", &server.url)
        .envs(FAST.iter().copied())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One `toolchain lock` against a server: the manifest's and the checksum file's answers,
/// what stderr must hold (`{u}` is the manifest's URL), whether the lock is written, and how
/// many times each file was asked for.
struct Case {
    name: &'static str,
    manifest: Vec<Answer>,
    sums: Vec<Answer>,
    env: &'static [(&'static str, &'static str)],
    locked: bool,
    stderr: &'static str,
    manifest_hits: usize,
    sums_hits: usize,
}

#[test]
fn toolchain_lock_retries_what_is_worth_retrying_and_names_the_url() {
    let body = manifest_text().into_bytes();
    let ok = || vec![Answer::Body(body.clone())];
    let then_ok = |first: Answer| vec![first, Answer::Body(body.clone())];
    let half = body.len() / 2;
    let cases = [
        Case {
            name: "a 503, then the manifest",
            manifest: then_ok(Answer::Status(503)),
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: true,
            stderr: "warning: {u}: HTTP 503 Service Unavailable; retry 1 of 2 in 0.05 s",
            manifest_hits: 2,
            sums_hits: 1,
        },
        Case {
            name: "a body cut short, then the manifest",
            manifest: then_ok(Answer::Truncated(body.clone(), half)),
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: true,
            stderr: "warning: {u}: the server closed the connection before the whole answer arrived; retry 1 of 2 in 0.05 s",
            manifest_hits: 2,
            sums_hits: 1,
        },
        Case {
            name: "a connection closed unanswered, then the manifest",
            manifest: then_ok(Answer::Close),
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: true,
            stderr: "warning: {u}: the server closed the connection before the whole answer arrived; retry 1 of 2 in 0.05 s",
            manifest_hits: 2,
            sums_hits: 1,
        },
        Case {
            name: "a stall, then the checksum file",
            manifest: ok(),
            sums: vec![Answer::Stall(sums(), 10), Answer::Body(sums())],
            env: &[],
            locked: true,
            stderr: "warning: {u}.sha256: the server sent nothing for 2 s (CROSSFLAKE_DOWNLOAD_STALL_SECS); retry 1 of 2 in 0.05 s",
            manifest_hits: 1,
            sums_hits: 2,
        },
        Case {
            name: "503 every time",
            manifest: vec![Answer::Status(503)],
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: false,
            stderr: "error: failed to download {u}: HTTP 503 Service Unavailable; gave up after 3 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=2)",
            manifest_hits: 3,
            sums_hits: 0,
        },
        Case {
            name: "a body cut short every time",
            manifest: vec![Answer::Truncated(body.clone(), half)],
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: false,
            stderr: "error: failed to download {u}: the server closed the connection before the whole answer arrived; gave up after 3 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=2)",
            manifest_hits: 3,
            sums_hits: 0,
        },
        Case {
            name: "a stall every time",
            manifest: vec![Answer::Stall(body.clone(), half)],
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: false,
            stderr: "error: failed to download {u}: the server sent nothing for 2 s (CROSSFLAKE_DOWNLOAD_STALL_SECS); gave up after 3 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=2)",
            manifest_hits: 3,
            sums_hits: 0,
        },
        Case {
            name: "a server never done within the timeout",
            manifest: vec![Answer::Trickle(body.clone(), Duration::from_millis(50))],
            sums: vec![Answer::Body(sums())],
            env: &[
                ("CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS", "1"),
                ("CROSSFLAKE_DOWNLOAD_RETRIES", "1"),
            ],
            locked: false,
            stderr: "error: failed to download {u}: no complete answer within 1 s (CROSSFLAKE_DOWNLOAD_TIMEOUT_SECS); gave up after 2 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=1)",
            manifest_hits: 2,
            sums_hits: 0,
        },
        Case {
            name: "no retries asked for",
            manifest: then_ok(Answer::Status(502)),
            sums: vec![Answer::Body(sums())],
            env: &[("CROSSFLAKE_DOWNLOAD_RETRIES", "0")],
            locked: false,
            stderr: "error: failed to download {u}: HTTP 502 Bad Gateway; gave up after 1 attempt (CROSSFLAKE_DOWNLOAD_RETRIES=0)",
            manifest_hits: 1,
            sums_hits: 0,
        },
        Case {
            name: "a checksum that does not match: fetched once",
            manifest: ok(),
            sums: vec![Answer::Body(
                format!("{}  x\n", "f".repeat(64)).into_bytes(),
            )],
            env: &[],
            locked: false,
            stderr: "error: the channel manifest {u} does not match its published checksum",
            manifest_hits: 1,
            sums_hits: 1,
        },
        Case {
            name: "a redirect loop: not retried",
            manifest: vec![Answer::Redirect(MANIFEST.to_string())],
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: false,
            stderr: "error: failed to download {u}: more than 10 redirects (a redirect loop?) (not retried)",
            manifest_hits: 11,
            sums_hits: 0,
        },
        Case {
            name: "a 403: not retried",
            manifest: then_ok(Answer::Status(403)),
            sums: vec![Answer::Body(sums())],
            env: &[],
            locked: false,
            stderr: "error: failed to download {u}: HTTP 403 Forbidden (not retried)",
            manifest_hits: 1,
            sums_hits: 0,
        },
        Case {
            name: "a retry count that is not a number",
            manifest: ok(),
            sums: vec![Answer::Body(sums())],
            env: &[("CROSSFLAKE_DOWNLOAD_RETRIES", "many")],
            locked: false,
            stderr: "error: CROSSFLAKE_DOWNLOAD_RETRIES=many: not a whole number of retries; give one such as 3, or unset it",
            manifest_hits: 0,
            sums_hits: 0,
        },
    ];
    let want_lock = std::fs::read_to_string(fixture("rust-toolchain.lock.toml")).unwrap();
    for case in cases {
        let server = serve_faulty(BTreeMap::from([
            (MANIFEST.to_string(), case.manifest),
            (SUMS.to_string(), case.sums),
        ]));
        let p = standard();
        let before = p.snapshot_bytes();
        let (ok, err) = run(&p, &["toolchain", "lock"], &server, case.env);
        let name = case.name;
        let want = case
            .stderr
            .replace("{u}", &format!("{}{MANIFEST}", server.url));
        assert!(err.contains(&want), "{name}: expected `{want}` in:\n{err}");
        assert_eq!(ok, case.locked, "{name}:\n{err}");
        if case.locked {
            assert_eq!(p.read("rust-toolchain.lock.toml"), want_lock, "{name}");
        } else {
            assert_eq!(before, p.snapshot_bytes(), "{name}: files changed");
        }
        assert_eq!(
            (server.hits(MANIFEST), server.hits(SUMS)),
            (case.manifest_hits, case.sums_hits),
            "{name}: requests (manifest, checksum file)\n{err}"
        );
    }
}

#[test]
fn init_retries_the_manifest_a_new_target_needs_and_otherwise_says_which_url_failed() {
    let lock_needing_armv7 = || {
        let p = standard();
        p.cmd(&["toolchain", "lock", "--channel-manifest", "manifest.toml"])
            .assert()
            .success();
        let dead = serve_faulty(BTreeMap::new());
        let (ok, err) = run(&p, &["target", "add", "armv7-musl"], &dead, &[]);
        assert!(
            ok && err.contains("run `crossflake toolchain lock`"),
            "{err}"
        );
        p
    };
    let armv7 = "rust-std-1.95.0-armv7-unknown-linux-musleabihf.tar.gz";

    // a connection closed unanswered, then the manifest: init brings the lock in step
    let p = lock_needing_armv7();
    let body = manifest_text().into_bytes();
    let server = serve_faulty(BTreeMap::from([
        (
            MANIFEST.to_string(),
            vec![Answer::Close, Answer::Body(body)],
        ),
        (SUMS.to_string(), vec![Answer::Body(sums())]),
    ]));
    let (ok, err) = run(&p, &["init"], &server, &[]);
    assert!(ok, "{err}");
    assert!(p.read("rust-toolchain.lock.toml").contains(armv7));
    assert_eq!(server.hits(MANIFEST), 2, "{err}");

    // 503 every time: init goes on, says which URL failed, and leaves the lock as it was
    let p = lock_needing_armv7();
    let lock_before = p.read("rust-toolchain.lock.toml");
    let server = serve_faulty(BTreeMap::from([(
        MANIFEST.to_string(),
        vec![Answer::Status(503)],
    )]));
    let (ok, err) = run(&p, &["init"], &server, &[]);
    let want = format!(
        "could not be updated here (failed to download {}{MANIFEST}: HTTP 503 Service Unavailable; gave up after 3 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=2)); run `crossflake toolchain lock`",
        server.url
    );
    assert!(ok && err.contains(&want), "expected `{want}` in:\n{err}");
    assert_eq!(p.read("rust-toolchain.lock.toml"), lock_before);
    assert_eq!(server.hits(MANIFEST), 3);
}

#[test]
fn doctor_retries_the_cache_probe_and_names_a_stalled_cache() {
    crate::support::require_tool("nix", "apt-get install nix-bin");
    let info = b"StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n".to_vec();
    for (answers, want, hits) in [
        (
            vec![Answer::Status(502), Answer::Body(info.clone())],
            Vec::<String>::new(),
            2,
        ),
        (
            vec![Answer::Stall(info.clone(), 5)],
            vec![
                "error: the binary cache does not answer: failed to download {u}/nix-cache-info: the server sent nothing for 2 s (CROSSFLAKE_DOWNLOAD_STALL_SECS); gave up after 2 attempts (CROSSFLAKE_DOWNLOAD_RETRIES=1)".to_string(),
            ],
            2,
        ),
    ] {
        let server = serve_faulty(BTreeMap::from([("/nix-cache-info".to_string(), answers)]));
        let p = crate::cache::project();
        crate::cache::set_http_cache(&p, &server.url);
        let conf = "accept-flake-config = true\n";
        let (findings, _) = crate::cache::doctor_cache(&p, conf);
        let want: Vec<String> = want
            .iter()
            .map(|w| w.replace("{u}", &server.url))
            .collect();
        assert_eq!(findings, want);
        // a probe retries once (Policy::probe), not the three times of a download
        assert_eq!(server.hits("/nix-cache-info"), hits);
    }
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let openssl = crate::support::require_tool("openssl", "apt-get install openssl");
    let out = std::process::Command::new(openssl)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A dist server mirror behind a private certificate authority (an HTTPS server on
/// 127.0.0.1, its certificate signed by a CA made here): `toolchain lock` trusts the CA the
/// system trusts (here through SSL_CERT_FILE, as curl and cargo do), and without it refuses
/// the server, naming the URL and writing nothing.
#[test]
fn toolchain_lock_trusts_the_systems_certificate_authorities() {
    let python = crate::support::require_tool("python3", "apt-get install python3");
    let tls = tempfile::tempdir().unwrap();
    let d = tls.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=crossflake test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.cnf",
            "-out",
            "server.pem",
        ],
    );
    let root = d.join("www/dist");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("channel-rust-1.95.0.toml"), manifest_text()).unwrap();
    std::fs::write(root.join("channel-rust-1.95.0.toml.sha256"), sums()).unwrap();
    let server = r#"
import http.server, os, ssl, sys
os.chdir(sys.argv[1])
httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"#;
    let mut child = std::process::Command::new(python)
        .arg("-c")
        .arg(server)
        .arg(d.join("www"))
        .arg(d.join("server.pem"))
        .arg(d.join("server.key"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    let url = format!("https://127.0.0.1:{}", port.trim());
    let lock = |env: &[(&str, &str)]| {
        let p = standard();
        let out = p
            .cmd(&["toolchain", "lock"])
            .env("RUSTUP_DIST_SERVER", &url)
            .env_remove("SSL_CERT_DIR")
            .envs(FAST.iter().copied())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let written = p.path().join("rust-toolchain.lock.toml").exists();
        (
            out.status.success(),
            written,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ca = d.join("ca.pem");
    let (ok, written, err) = lock(&[("SSL_CERT_FILE", ca.to_str().unwrap())]);
    let (ok_without, written_without, err_without) =
        lock(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ok && written, "with the CA trusted: {err}");
    assert!(
        !ok_without && !written_without,
        "without the CA: {err_without}"
    );
    assert!(
        err_without.contains("warning: reading the system's certificate authorities")
            && err_without.contains("/nonexistent/ca.pem"),
        "a certificate file that cannot be read is said: {err_without}"
    );
    assert!(
        err_without.contains(&format!("{url}/dist/channel-rust-1.95.0.toml"))
            && err_without.contains("certificate"),
        "{err_without}"
    );
}
