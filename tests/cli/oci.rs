//! `crossflake oci build` without external tools: layout structure, reproducibility, a
//! golden config, and bad input (each refused with nothing written).

use std::path::Path;
use std::process::Command;

use crate::support::{EM_AARCH64, EM_X86_64, ReadOnly, TempProject, elf, refuses};

fn blob(dir: &Path, digest: &str) -> serde_json::Value {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(hex)).unwrap()).unwrap()
}

/// The layout's index.json.
fn index_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap()
}

fn two_binaries(p: &TempProject) {
    std::fs::write(p.path().join("app-arm64"), elf(EM_AARCH64, None, 4096)).unwrap();
    std::fs::write(p.path().join("app-amd64"), elf(EM_X86_64, None, 4096)).unwrap();
}

const BUILD: [&str; 8] = [
    "oci",
    "build",
    "--tag",
    "1.2",
    "--binary",
    "linux/arm64=app-arm64",
    "--binary",
    "x86_64-musl=app-amd64",
];

#[test]
fn multi_platform_layout() {
    let p = TempProject::empty();
    two_binaries(&p);
    let mut args = BUILD.to_vec();
    args.extend([
        "--output",
        "img",
        "--label",
        "team=core",
        "--revision",
        "abc123",
        "--entrypoint",
        "/usr/local/bin/app-arm64",
        "--entrypoint",
        "--serve",
    ]);
    p.cmd(&args).assert().success();
    let img = p.path().join("img");
    assert_eq!(
        std::fs::read_to_string(img.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = index_json(&img);
    let top = &index["manifests"][0];
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(top["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(
        top["annotations"]["org.opencontainers.image.ref.name"],
        "1.2"
    );
    let image_index = blob(&img, top["digest"].as_str().unwrap());
    let platforms: Vec<String> = image_index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/arm64", "linux/amd64"]);
    let manifest = blob(
        &img,
        image_index["manifests"][0]["digest"].as_str().unwrap(),
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        "abc123"
    );
    let config = blob(&img, manifest["config"]["digest"].as_str().unwrap());
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/app-arm64", "--serve"])
    );
    assert_eq!(config["config"]["Labels"]["team"], "core");
    assert_eq!(config["architecture"], "arm64");
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 1);
}

#[test]
fn the_same_inputs_give_the_same_bytes_whatever_the_directory_or_umask() {
    let runs: Vec<(TempProject, &str, &str)> = vec![
        (TempProject::empty(), "022", "img"),
        (TempProject::empty(), "077", "deeper/other-name"),
    ];
    let mut layouts = Vec::new();
    for (p, umask, out) in &runs {
        two_binaries(p);
        let script = format!("umask {umask} && exec \"$0\" \"$@\"");
        let status = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_crossflake"))
            .args(BUILD)
            .args(["--output", out, "--ca-bundle", "app-amd64"])
            .current_dir(p.path())
            .env_remove("SOURCE_DATE_EPOCH")
            .status()
            .unwrap();
        assert!(status.success());
        layouts.push(TempProject::snapshot_bytes_of(&p.path().join(out)));
    }
    assert_eq!(layouts[0].len(), layouts[1].len());
    assert_eq!(
        layouts[0], layouts[1],
        "two builds of the same inputs differ"
    );
    // and a different epoch gives a different image
    let p = TempProject::empty();
    two_binaries(&p);
    let mut args = BUILD.to_vec();
    args.extend(["--output", "img"]);
    p.cmd(&args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .assert()
        .success();
    assert_ne!(
        TempProject::snapshot_bytes_of(&p.path().join("img")),
        layouts[0]
    );
}

#[test]
fn golden_config() {
    let p = TempProject::empty();
    std::fs::write(p.path().join("server"), elf(EM_AARCH64, None, 1024)).unwrap();
    std::fs::write(
        p.path().join("ca.pem"),
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    p.cmd(&[
        "oci",
        "build",
        "--output",
        "img",
        "--binary",
        "aarch64-musl=server",
        "--ca-bundle",
        "ca.pem",
        "--label",
        "b=2",
        "--label",
        "a=1",
        "--source",
        "https://example.com/server",
        "--revision",
        "0123abc",
        "--image-version",
        "1.0.0",
    ])
    .env("SOURCE_DATE_EPOCH", "1700000000")
    .assert()
    .success();
    let img = p.path().join("img");
    let index = index_json(&img);
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    assert_eq!(index["manifests"][0]["platform"]["architecture"], "arm64");
    let manifest = blob(&img, manifest_digest);
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .unwrap()
        .strip_prefix("sha256:")
        .unwrap();
    let config = std::fs::read_to_string(img.join("blobs/sha256").join(config_digest)).unwrap();
    insta::assert_snapshot!("golden_config", config);
}

#[test]
fn refuses_bad_input_and_writes_nothing() {
    let p = TempProject::empty();
    std::fs::write(p.path().join("arm"), elf(EM_AARCH64, None, 1024)).unwrap();
    std::fs::write(
        p.path().join("dyn"),
        elf(EM_X86_64, Some("/lib64/ld-linux-x86-64.so.2"), 1024),
    )
    .unwrap();
    std::fs::write(p.path().join("script"), "#!/bin/sh\n").unwrap();
    std::fs::create_dir(p.path().join("taken")).unwrap();
    std::fs::write(p.path().join("taken/keep"), "x").unwrap();
    let build = |binary: &str, output: &str| {
        vec!["oci", "build", "--output", output, "--binary", binary]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let run =
        |v: Vec<String>, m: &str| refuses(&p, &v.iter().map(String::as_str).collect::<Vec<_>>(), m);
    run(
        build("linux/s390x=arm", "out"),
        "unknown platform `linux/s390x`; platforms: linux/amd64 (x86_64-musl)",
    );
    run(
        build("x86_64-gnu=arm", "out"),
        "x86_64-gnu (x86_64-unknown-linux-gnu) has no OCI platform",
    );
    run(
        build("linux/amd64=arm", "out"),
        "machine: expected x86_64, found aarch64",
    );
    run(
        build("linux/amd64=script", "out"),
        "format: expected ELF, found no known executable format",
    );
    run(
        build("linux/amd64=dyn", "out"),
        "static: dynamically linked: PT_INTERP /lib64/ld-linux-x86-64.so.2",
    );
    run(build("linux/amd64=dyn", "out"), "--allow-dynamic");
    run(
        build("linux/arm64=arm", "taken"),
        "exists and is not empty; pass --force",
    );
    run(build("linux/arm64=missing", "out"), "failed to read");
    run(build("linux/arm64", "out"), "is not PLATFORM=PATH");
    // the current directory, or a directory above it, would be replaced
    let mut here = build("linux/arm64=arm", ".");
    here.push("--force".into());
    run(
        here,
        "holds the current directory, which the image would replace; give the image a directory of its own",
    );
    let mut above = build("linux/arm64=arm", "..");
    above.push("--force".into());
    run(above, "holds the current directory");
    // a layout and an archive on two file systems (/dev/shm is a tmpfs) are refused before
    // anything is built
    {
        use std::os::unix::fs::MetadataExt;
        let shm = tempfile::tempdir_in("/dev/shm").unwrap();
        let dev = |d: &Path| std::fs::metadata(d).unwrap().dev();
        assert_ne!(
            dev(shm.path()),
            dev(p.path()),
            "this test needs /dev/shm on another file system than the temporary directory"
        );
        let archive = shm.path().join("img.tar");
        let mut two_fs = build("linux/arm64=arm", "out");
        two_fs.extend(["--archive".into(), archive.display().to_string()]);
        run(
            two_fs,
            "are on different file systems: they are written together",
        );
        assert!(!archive.exists());
    }
    let mut two = build("linux/arm64=arm", "out");
    two.extend(["--binary".into(), "aarch64-musl=arm".into()]);
    run(two, "two binaries for linux/arm64");
    // unreadable file (a directory stands in: root reads any file)
    run(build("linux/arm64=taken", "out"), "failed to read");
    // --allow-dynamic and --force do what they say
    let mut ok = build("linux/amd64=dyn", "taken");
    ok.extend(["--allow-dynamic".into(), "--force".into()]);
    p.cmd(&ok.iter().map(String::as_str).collect::<Vec<_>>())
        .assert()
        .success();
    assert!(p.path().join("taken/index.json").is_file() && !p.path().join("taken/keep").exists());
    // a read-only parent: refused, nothing left behind
    let ro = p.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let guard = ReadOnly::new(&ro);
    run(
        build("linux/arm64=arm", "ro/img"),
        "ro does not admit new files (Operation not permitted",
    );
    drop(guard);
}

#[test]
fn without_binaries_it_takes_the_projects_static_linux_targets() {
    let p = TempProject::with(&[(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"2.0.0\"\nrepository = \"https://example.com/svc\"\nlicense = \"MIT OR Apache-2.0\"\n\n\
         [package.metadata.crossflake]\nschema = 1\ntargets = [\"aarch64-musl\", \"x86_64-gnu\", \"wasm32-wasip1\"]\n\n\
         [package.metadata.crossflake.image]\nname = \"svc\"\nentrypoint = \"svc\"\nca-bundle = false\n\n\
         [profile.crossflake]\ninherits = \"release\"\n",
    )]);
    p.cmd(&["oci", "build", "--output", "img"])
        .env_remove("CARGO_TARGET_DIR")
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "build it first with `crossflake build --target aarch64-musl`",
        ));
    p.write("target/aarch64-unknown-linux-musl/crossflake/svc", "");
    std::fs::write(
        p.path()
            .join("target/aarch64-unknown-linux-musl/crossflake/svc"),
        elf(EM_AARCH64, None, 2048),
    )
    .unwrap();
    let git = |args: &[&str]| {
        crate::support::run_ok(
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(p.path()),
        )
    };
    git(&["init", "-q"]);
    git(&["add", "Cargo.toml"]);
    git(&["commit", "-qm", "one"]);
    let head = git(&["rev-parse", "HEAD"]);
    p.cmd(&["oci", "build", "--output", "img"])
        .env_remove("CARGO_TARGET_DIR")
        .assert()
        .success();
    let img = p.path().join("img");
    let index = index_json(&img);
    assert_eq!(
        index["manifests"][0]["platform"]["architecture"], "arm64",
        "only the static linux target: {index}"
    );
    let manifest = blob(&img, index["manifests"][0]["digest"].as_str().unwrap());
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.version"],
        "2.0.0"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.source"],
        "https://example.com/svc"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.licenses"],
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        head.trim()
    );
    // a changed tracked file: no revision, as a dirty flake has no self.rev
    std::fs::write(
        p.path().join("Cargo.toml"),
        std::fs::read_to_string(p.path().join("Cargo.toml")).unwrap() + "\n",
    )
    .unwrap();
    p.cmd(&["oci", "build", "--output", "dirty"])
        .env_remove("CARGO_TARGET_DIR")
        .assert()
        .success();
    let dirty = index_json(&p.path().join("dirty"));
    let dirty = blob(
        &p.path().join("dirty"),
        dirty["manifests"][0]["digest"].as_str().unwrap(),
    );
    assert!(
        dirty["annotations"]["org.opencontainers.image.revision"].is_null(),
        "{dirty}"
    );
    let config = blob(&img, manifest["config"]["digest"].as_str().unwrap());
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/svc"])
    );
}

/// The names in `dir` that a run stages (`.crossflake-stage-*`).
fn staged_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".crossflake-stage-"))
        .collect()
}

/// `oci build --force` killed (SIGKILL) while it writes the new image keeps the old image, and
/// what it staged beside it (as big as the image) is removed by the next run.
#[test]
fn a_killed_build_keeps_the_old_image_and_the_next_run_leaves_nothing_behind() {
    let p = TempProject::empty();
    std::fs::write(p.path().join("small"), elf(EM_AARCH64, None, 4096)).unwrap();
    // pseudo-random bytes, which gzip takes seconds to compress
    let mut big = elf(EM_AARCH64, None, 4096);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    big.extend((0..300 << 20).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    std::fs::write(p.path().join("big"), big).unwrap();
    let build = |binary: &str| {
        p.cmd(&[
            "oci", "build", "--force", "--output", "img", "--binary", binary,
        ])
        .assert()
        .success();
    };
    build("linux/arm64=small");
    let old = std::fs::read(p.path().join("img/index.json")).unwrap();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crossflake"))
        .args([
            "oci",
            "build",
            "--force",
            "--output",
            "img",
            "--binary",
            "linux/arm64=big",
        ])
        .current_dir(p.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while staged_in(p.path()).len() < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the build never staged anything"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(p.path().join("img/index.json")).unwrap(),
        old,
        "the old image is intact"
    );
    assert!(
        !staged_in(p.path()).is_empty(),
        "the killed run left its staging behind"
    );

    build("linux/arm64=small");
    assert_eq!(staged_in(p.path()), Vec::<String>::new());
    assert_eq!(std::fs::read(p.path().join("img/index.json")).unwrap(), old);
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[test]
fn sboms_are_referrers_and_the_archive_is_the_same_layout() {
    let p = TempProject::empty();
    two_binaries(&p);
    let bom = |name: &str| {
        let doc = format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{{"component":{{"type":"application","name":"{name}"}}}}}}"#
        );
        std::fs::write(p.path().join(format!("{name}.cdx.json")), &doc).unwrap();
        doc
    };
    let (arm_bom, all_bom) = (bom("arm"), bom("all"));
    let mut args = BUILD.to_vec();
    args.extend([
        "--output",
        "img",
        "--archive",
        "img.tar",
        "--sbom",
        "linux/arm64=arm.cdx.json",
        "--sbom",
        "all.cdx.json",
        "--licenses",
        "MIT",
    ]);
    p.cmd(&args).assert().success();
    let img = p.path().join("img");
    let index = index_json(&img);
    let listed = index["manifests"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{index}");
    let top = &listed[0];
    assert_eq!(
        top["annotations"]["org.opencontainers.image.ref.name"],
        "1.2"
    );
    let image_index = blob(&img, top["digest"].as_str().unwrap());
    assert_eq!(
        image_index["annotations"]["org.opencontainers.image.licenses"],
        "MIT"
    );
    let arm_manifest = &image_index["manifests"][0];
    assert_eq!(arm_manifest["platform"]["architecture"], "arm64");
    assert_eq!(
        blob(&img, arm_manifest["digest"].as_str().unwrap())["annotations"]["org.opencontainers.image.licenses"],
        "MIT"
    );
    for (entry, sbom, subject) in [
        (&listed[1], &arm_bom, arm_manifest),
        (&listed[2], &all_bom, top),
    ] {
        assert_eq!(entry["artifactType"], "application/vnd.cyclonedx+json");
        assert!(entry["annotations"].is_null(), "untagged: {entry}");
        let referrer = blob(&img, entry["digest"].as_str().unwrap());
        assert_eq!(
            referrer["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(referrer["artifactType"], "application/vnd.cyclonedx+json");
        // the empty config of image-spec 1.1
        assert_eq!(
            referrer["config"],
            serde_json::json!({
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                "size": 2
            })
        );
        assert_eq!(
            std::fs::read(img.join(
                "blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
            ))
            .unwrap(),
            b"{}"
        );
        let layer = &referrer["layers"][0];
        assert_eq!(layer["mediaType"], "application/vnd.cyclonedx+json");
        assert_eq!(layer["digest"], sha256(sbom.as_bytes()));
        assert_eq!(layer["size"], sbom.len());
        assert_eq!(
            std::fs::read_to_string(
                img.join("blobs/sha256")
                    .join(&sha256(sbom.as_bytes())["sha256:".len()..])
            )
            .unwrap(),
            *sbom
        );
        // the subject is the image's own descriptor: digest, size and media type
        assert_eq!(referrer["subject"]["digest"], subject["digest"]);
        assert_eq!(referrer["subject"]["size"], subject["size"]);
        assert_eq!(referrer["subject"]["mediaType"], subject["mediaType"]);
    }

    // the archive, unpacked by GNU tar, is the layout file for file; sorted, 0:0, epoch 0
    let unpacked = p.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    crate::support::run_ok(
        Command::new("tar")
            .arg("-xf")
            .arg(p.path().join("img.tar"))
            .arg("-C")
            .arg(&unpacked),
    );
    assert!(
        TempProject::snapshot_bytes_of(&unpacked) == TempProject::snapshot_bytes_of(&img),
        "the unpacked archive differs from the layout"
    );
    let listing = crate::support::run_ok(
        Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvf"])
            .arg(p.path().join("img.tar"))
            .env("TZ", "UTC"),
    );
    let lines: Vec<&str> = listing.lines().collect();
    assert!(
        lines[0].starts_with("drwxr-xr-x 0/0") && lines[0].ends_with(" blobs/"),
        "{listing}"
    );
    assert!(lines[1].ends_with(" blobs/sha256/"), "{listing}");
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for l in &lines {
        assert!(
            l.contains(" 0/0 ") && l.contains(" 1980-01-01 00:00:00 "),
            "{l}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("-rw-r--r-- 0/0") && l.ends_with(" index.json"))
    );
}

#[test]
fn with_one_platform_a_bare_sbom_refers_to_its_manifest() {
    let p = TempProject::empty();
    two_binaries(&p);
    std::fs::write(p.path().join("s.cdx.json"), r#"{"bomFormat":"CycloneDX"}"#).unwrap();
    p.cmd(&[
        "oci",
        "build",
        "--output",
        "img",
        "--binary",
        "linux/arm64=app-arm64",
        "--sbom",
        "s.cdx.json",
    ])
    .assert()
    .success();
    let img = p.path().join("img");
    let index = index_json(&img);
    let (top, entry) = (&index["manifests"][0], &index["manifests"][1]);
    assert_eq!(
        top["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    let referrer = blob(&img, entry["digest"].as_str().unwrap());
    assert_eq!(
        referrer["subject"],
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": top["digest"],
            "size": top["size"],
        })
    );
}

#[test]
fn refuses_bad_sboms_and_archives_and_writes_nothing() {
    let p = TempProject::empty();
    two_binaries(&p);
    std::fs::write(p.path().join("spdx.json"), r#"{"spdxVersion":"SPDX-2.3"}"#).unwrap();
    std::fs::write(p.path().join("ok.cdx.json"), r#"{"bomFormat":"CycloneDX"}"#).unwrap();
    std::fs::write(p.path().join("old.tar"), "keep").unwrap();
    std::fs::create_dir(p.path().join("adir")).unwrap();
    let with = |extra: &[&'static str]| {
        let mut args = BUILD.to_vec();
        args.extend(["--output", "img"]);
        args.extend(extra);
        args
    };
    let refused: [(&[&'static str], &str); 7] = [
        (
            &["--sbom", "spdx.json"][..],
            "--sbom: spdx.json is not a CycloneDX JSON document (no \"bomFormat\": \"CycloneDX\")",
        ),
        (
            &["--sbom", "missing.json"][..],
            "--sbom: failed to read missing.json",
        ),
        (
            &["--sbom", "linux/arm/v7=ok.cdx.json"][..],
            "--sbom linux/arm/v7=ok.cdx.json: the image has no linux/arm/v7 binary; its platforms: linux/arm64, linux/amd64",
        ),
        (
            &["--sbom", "linux/amd65=ok.cdx.json"][..],
            "--sbom linux/amd65=ok.cdx.json: `linux/amd65` is not a platform of the catalog",
        ),
        (&["--archive", "img/image.tar"][..], "is inside --output"),
        (
            &["--archive", "old.tar"][..],
            "old.tar exists; pass --force to replace it",
        ),
        (
            &["--archive", "adir"][..],
            "is a directory; name the tar file to write",
        ),
    ];
    for (extra, message) in refused {
        refuses(&p, &with(extra), message);
    }
    refuses(
        &p,
        &BUILD,
        "nothing to write: give --output DIR (an image layout), --archive FILE (an oci-archive), or both",
    );
    // an archive's missing directory is created; the same SBOM twice is one referrer
    p.cmd(&with(&[
        "--archive",
        "new/dir/img.tar",
        "--sbom",
        "ok.cdx.json",
        "--sbom",
        "ok.cdx.json",
    ]))
    .assert()
    .success();
    assert!(p.path().join("new/dir/img.tar").is_file());
    let index = index_json(&p.path().join("img"));
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2, "{index}");
    // --force replaces the archive
    p.cmd(&with(&["--archive", "old.tar", "--force"]))
        .assert()
        .success();
    assert_ne!(std::fs::read(p.path().join("old.tar")).unwrap(), b"keep");
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let p = TempProject::empty();
    two_binaries(&p);
    p.write(
        "app.cdx.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#,
    );
    let before = p.snapshot_bytes();
    let mut args = BUILD.to_vec();
    args.extend([
        "--output",
        "img",
        "--archive",
        "img.tar",
        "--sbom",
        "linux/arm64=app.cdx.json",
        "--dry-run",
    ]);
    let out = p
        .cmd(&args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .assert()
        .success();
    let plan = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let root = p.path();
    assert_eq!(
        plan,
        format!(
            "crossflake oci build: source date 2023-11-14T22:13:20Z (1700000000) from SOURCE_DATE_EPOCH, tag 1.2\n\
             image linux/arm64 from app-arm64 (4096 bytes) as /usr/local/bin/app-arm64\n\
             image linux/amd64 from app-amd64 (4096 bytes) as /usr/local/bin/app-arm64\n\
             attach SBOM app.cdx.json to the linux/arm64 manifest\n\
             write the layout oci:{}:1.2\n\
             write the archive oci-archive:{}:1.2\n",
            root.join("img").display(),
            root.join("img.tar").display()
        )
    );
    assert_eq!(before, p.snapshot_bytes(), "the dry run wrote something");
}
