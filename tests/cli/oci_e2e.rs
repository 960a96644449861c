//! OCI images end to end, with real tools: real static binaries of tests/fixtures/cross-hello
//! (aarch64-musl, x86_64-musl) in a two-platform image; skopeo reads the index and each
//! platform; each platform copied out unpacks with umoci into a rootfs whose binary runs
//! and whose passwd, group and ownership are as specified; a push to a registry on
//! 127.0.0.1 (Debian's docker-registry) and a pull back keep every digest.

use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::e2e::artifact;
use crate::support::{EM_X86_64, TempProject, elf, require_tool, run_ok};

/// `crossflake oci build ARGS` in `dir`; fails the test unless it succeeds.
fn oci_build(dir: &Path, args: &[String]) {
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_crossflake"))
            .args(["oci", "build"])
            .args(args)
            .current_dir(dir),
    );
}

/// The two static binaries, built by `crossflake build --build-std` (shared with e2e.rs).
fn binaries() -> (PathBuf, PathBuf) {
    let built = crate::e2e::crossflake(&[
        "build",
        "--build-std",
        "--target",
        "aarch64-musl",
        "--target",
        "x86_64-musl",
    ]);
    crate::e2e::ok(&built, "crossflake build");
    (
        artifact("aarch64-unknown-linux-musl", "cross-hello"),
        artifact("x86_64-unknown-linux-musl", "cross-hello"),
    )
}

struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_registry(dir: &Path) -> (Registry, String) {
    let bin = require_tool("docker-registry", "apt-get install docker-registry");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let child = Command::new(bin).arg("serve").arg(&config).spawn().unwrap();
    let registry = Registry(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (registry, format!("127.0.0.1:{port}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("docker-registry did not listen on 127.0.0.1:{port}");
}

fn inspect(skopeo: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run_ok(Command::new(skopeo).args(args))).unwrap()
}

#[test]
fn images_inspect_unpack_run_and_survive_a_registry_round_trip() {
    let skopeo = require_tool("skopeo", "apt-get install skopeo");
    let umoci = require_tool("umoci", "apt-get install umoci");
    let qemu = require_tool("qemu-aarch64-static", "apt-get install qemu-user-static");
    let (arm64, amd64) = binaries();
    let p = TempProject::empty();
    let img = p.path().join("img");
    let archive = p.path().join("img.tar");
    // SBOM referrers in the layout must not get in the way of copying the image
    let sbom = p.path().join("sbom.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1}"#,
    )
    .unwrap();
    oci_build(
        p.path(),
        &[
            format!("--output={}", img.display()),
            format!("--archive={}", archive.display()),
            "--tag=v1".into(),
            format!("--binary=linux/arm64={}", arm64.display()),
            format!("--binary=linux/amd64={}", amd64.display()),
            format!("--sbom=linux/arm64={}", sbom.display()),
            format!("--sbom={}", sbom.display()),
        ],
    );
    let reference = format!("oci:{}:v1", img.display());

    // the index names both platforms
    let raw = inspect(&skopeo, &["inspect", "--raw", &reference]);
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
    let archs: Vec<&str> = raw["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["arm64", "amd64"]);

    for (arch, runs_under) in [("arm64", Some(qemu.clone())), ("amd64", None)] {
        let info = inspect(&skopeo, &["--override-arch", arch, "inspect", &reference]);
        assert_eq!(
            (info["Os"].as_str(), info["Architecture"].as_str()),
            (Some("linux"), Some(arch))
        );
        // one platform copied out, unpacked by umoci
        let single = p.path().join(format!("single-{arch}"));
        run_ok(
            Command::new(&skopeo)
                .args(["--override-arch", arch, "copy", &reference])
                .arg(format!("oci:{}:v1", single.display())),
        );
        let bundle = p.path().join(format!("bundle-{arch}"));
        run_ok(
            Command::new(&umoci)
                .args(["unpack", "--image"])
                .arg(format!("{}:v1", single.display()))
                .arg(&bundle),
        );
        let rootfs = bundle.join("rootfs");
        let bin = rootfs.join("usr/local/bin/cross-hello");
        let out = match &runs_under {
            Some(q) => run_ok(Command::new(q).arg(&bin)),
            None => run_ok(&mut Command::new(&bin)),
        };
        let machine = if arch == "arm64" { "aarch64" } else { "x86_64" };
        assert_eq!(out, format!("cross-hello on {machine}: 2+3=5\n"));
        assert_eq!(
            std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap(),
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(
            std::fs::read_to_string(rootfs.join("etc/group")).unwrap(),
            "root:x:0:\nnonroot:x:65532:\n"
        );
        let meta = |rel: &str| std::fs::metadata(rootfs.join(rel)).unwrap();
        assert_eq!(meta("tmp").permissions().mode() & 0o7777, 0o1777);
        assert_eq!(
            (meta("home/nonroot").uid(), meta("home/nonroot").gid()),
            (65532, 65532)
        );
        assert_eq!(
            (
                meta("usr/local/bin/cross-hello").uid(),
                meta("usr/local/bin/cross-hello").permissions().mode() & 0o777
            ),
            (0, 0o755)
        );
        let runtime: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
        assert_eq!(runtime["process"]["user"]["uid"], 65532);
        assert_eq!(
            runtime["process"]["args"],
            serde_json::json!(["/usr/local/bin/cross-hello"])
        );
    }

    // push the index to a registry on loopback and pull it back: digests unchanged
    let (_registry, addr) = start_registry(p.path());
    let remote = format!("docker://{addr}/cross-hello:v1");
    run_ok(Command::new(&skopeo).args([
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &reference,
        &remote,
    ]));
    let pushed =
        run_ok(Command::new(&skopeo).args(["inspect", "--raw", "--tls-verify=false", &remote]));
    let local = run_ok(Command::new(&skopeo).args(["inspect", "--raw", &reference]));
    assert_eq!(pushed, local, "the registry holds the same index bytes");
    // the oci-archive holds the same image: the same index bytes pushed from it
    let from_archive = format!("oci-archive:{}:v1", archive.display());
    let remote_archive = format!("docker://{addr}/cross-hello:v1-archive");
    run_ok(Command::new(&skopeo).args([
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &from_archive,
        &remote_archive,
    ]));
    assert_eq!(
        run_ok(Command::new(&skopeo).args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &remote_archive
        ])),
        local,
        "pushed from the oci-archive"
    );
    let pulled = p.path().join("pulled");
    run_ok(
        Command::new(&skopeo)
            .args(["copy", "--all", "--src-tls-verify=false", &remote])
            .arg(format!("oci:{}:v1", pulled.display())),
    );
    let digest_of = |dir: &Path| -> String {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        index["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(digest_of(&pulled), digest_of(&img));
    for m in raw["manifests"].as_array().unwrap() {
        let hex = m["digest"]
            .as_str()
            .unwrap()
            .strip_prefix("sha256:")
            .unwrap();
        assert_eq!(
            std::fs::read(pulled.join("blobs/sha256").join(hex)).unwrap(),
            std::fs::read(img.join("blobs/sha256").join(hex)).unwrap()
        );
    }
}

#[test]
fn a_large_layer_in_several_gzip_members_copies_and_unpacks_whole() {
    let skopeo = require_tool("skopeo", "apt-get install skopeo");
    let umoci = require_tool("umoci", "apt-get install umoci");
    let p = TempProject::empty();
    // over two of the writer's 8 MiB compression pieces
    let binary = elf(EM_X86_64, None, 20_000_000);
    std::fs::write(p.path().join("big"), &binary).unwrap();
    let img = p.path().join("img");
    oci_build(
        p.path(),
        &[
            format!("--output={}", img.display()),
            "--binary=linux/amd64=big".into(),
        ],
    );
    let copy = p.path().join("copy");
    run_ok(
        Command::new(&skopeo)
            .arg("copy")
            .arg(format!("oci:{}:latest", img.display()))
            .arg(format!("oci:{}:latest", copy.display())),
    );
    let bundle = p.path().join("bundle");
    run_ok(
        Command::new(&umoci)
            .args(["unpack", "--image"])
            .arg(format!("{}:latest", copy.display()))
            .arg(&bundle),
    );
    assert!(
        std::fs::read(bundle.join("rootfs/usr/local/bin/big")).unwrap() == binary,
        "the unpacked binary differs"
    );
}
