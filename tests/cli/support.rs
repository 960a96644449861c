//! Test helpers: temp projects, running the CLI, snapshots of whole file sets.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;

/// A temporary project directory.
pub struct TempProject {
    pub dir: tempfile::TempDir,
}

impl TempProject {
    /// An empty directory.
    pub fn empty() -> Self {
        TempProject {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A directory holding `files` (relative path -> content).
    pub fn with(files: &[(&str, &str)]) -> Self {
        let p = Self::empty();
        for (path, content) in files {
            p.write(path, content);
        }
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// `crossflake ARGS` run in the project directory, without a zig pinned by the caller's
    /// environment (crossflake's own dev shell exports CARGO_ZIGBUILD_ZIG_COMMAND): a test
    /// that wants one sets it.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = cargo_bin_cmd!("crossflake");
        c.current_dir(self.path())
            .args(args)
            .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND")
            .env_remove("CARGO_ZIGBUILD_ZIG_COMMAND_ARGS");
        c
    }

    /// Every file under the directory (relative path -> bytes), for before/after checks.
    pub fn snapshot_bytes(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    /// Every file under `dir` (relative path -> bytes).
    pub fn snapshot_bytes_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    /// The text files as one reviewable string: `=== path` headers, then content.
    pub fn render(&self, rels: &[&str]) -> String {
        let mut s = String::new();
        for rel in rels {
            s.push_str(&format!("=== {rel}\n{}", self.read(rel)));
        }
        s
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.insert(
                p.strip_prefix(root).unwrap().to_path_buf(),
                fs::read(&p).unwrap(),
            );
        }
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// This machine's host system as the catalog names it (`x86_64-linux`, `aarch64-darwin`).
pub fn host_system() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs `crossflake ARGS` in `p`, expects failure with `message` on stderr, and checks that
/// every file under `p` is byte-for-byte unchanged.
pub fn refuses(p: &TempProject, args: &[&str], message: &str) {
    let before = p.snapshot_bytes();
    let out = p.cmd(args).assert().failure().get_output().stderr.clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains(message), "expected `{message}` in:\n{err}");
    assert_eq!(
        before,
        p.snapshot_bytes(),
        "`crossflake {}` changed files",
        args.join(" ")
    );
}

/// Runs `cmd`; fails the test, with its output, unless it succeeds. Returns its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Serves `files` (URL path -> body) over HTTP/1.1 on 127.0.0.1 until the test ends.
pub fn serve(files: BTreeMap<String, Vec<u8>>) -> String {
    let routes = files
        .into_iter()
        .map(|(path, body)| (path, vec![crate::faulty_http::Answer::Body(body)]))
        .collect();
    crate::faulty_http::serve_faulty(routes).url
}

/// Fails the test when a tool CI installs is missing (never a silent pass).
pub fn require_tool(name: &str, install: &str) -> PathBuf {
    which::which(name).unwrap_or_else(|_| {
        panic!("this test needs `{name}` on PATH ({install}; .ci/run installs it)")
    })
}

/// `nix-instantiate --parse FILE` succeeds.
pub fn assert_nix_parses(file: &Path) {
    let nix = require_tool("nix-instantiate", "apt-get install nix-bin");
    let out = Command::new(nix).arg("--parse").arg(file).output().unwrap();
    assert!(
        out.status.success(),
        "{} does not parse: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes `dir` refuse new files, even for root (`chattr +i` where chmod is not enough).
pub struct ReadOnly(PathBuf, bool);

impl ReadOnly {
    pub fn new(dir: &Path) -> ReadOnly {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.join(".probe");
        let mut guard = ReadOnly(dir.to_path_buf(), false);
        if fs::File::create(&probe).is_ok() {
            fs::remove_file(&probe).unwrap();
            let ok = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "cannot make {} read-only: running as root and chattr +i failed",
                dir.display()
            );
            guard.1 = true;
        }
        assert!(
            fs::File::create(&probe).is_err(),
            "{} is still writable",
            dir.display()
        );
        guard
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

/// ELF machine numbers (the ELF gABI).
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;

/// A minimal ELF64 little-endian executable for `machine`, `size` bytes long: one PT_LOAD,
/// plus a PT_INTERP naming `interp` when given (a dynamically linked binary). The rest is
/// deterministic filler. Enough for crossflake's binary checks, not for running.
pub fn elf(machine: u16, interp: Option<&str>, size: usize) -> Vec<u8> {
    let phnum: u16 = if interp.is_some() { 2 } else { 1 };
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b.extend_from_slice(&machine.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&0x400000u64.to_le_bytes()); // e_entry
    b.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    b.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    b.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, phnum, 64, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    let interp_off = 64 + 56 * phnum as u64;
    let mut ph = |kind: u32, flags: u32, off: u64, len: u64| {
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&off.to_le_bytes());
        b.extend_from_slice(&(0x400000 + off).to_le_bytes());
        b.extend_from_slice(&(0x400000 + off).to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&0x1000u64.to_le_bytes());
    };
    if let Some(i) = interp {
        ph(3, 4, interp_off, i.len() as u64 + 1); // PT_INTERP
    }
    ph(1, 5, 0, size as u64); // PT_LOAD
    if let Some(i) = interp {
        b.extend_from_slice(i.as_bytes());
        b.push(0);
    }
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while b.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.push(x as u8);
    }
    b
}
