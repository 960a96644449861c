//! Reading a binary and proving what its target claims: executable format and machine;
//! for static targets no dynamic loader and no shared libraries; for gnu targets every
//! GLIBC_ symbol version at or below the floor.
//!
//! Facts come from the binary alone (goblin): ELF `e_machine`, PT_INTERP, DT_NEEDED and
//! the version-needs section (`.gnu.version_r`); PE COFF `Machine`; Mach-O `cputype`;
//! the wasm magic (`\0asm`, version 1).

use std::path::Path;

use anyhow::{Context, Result};
use goblin::Object;
use serde::Serialize;

use crate::catalog::{Format, Linkage, TargetSpec, parse_version};

/// What a binary is, as read from its bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct BinaryFacts {
    /// Executable format, `None` when not one crossflake knows.
    pub format: Option<Format>,
    /// Machine in catalog spelling (`x86_64`, `aarch64`, `arm`, `riscv64`, `wasm32`), or
    /// the raw number for others.
    pub machine: Option<String>,
    /// ELF PT_INTERP (the dynamic loader), if any.
    pub interpreter: Option<String>,
    /// ELF DT_NEEDED entries, PE imported DLLs, Mach-O load dylibs.
    pub needed: Vec<String>,
    /// The newest GLIBC_x.y symbol version the binary needs (ELF only).
    pub max_glibc: Option<String>,
}

/// One claim and whether it holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// `format`, `machine`, `static`, `glibc-floor`.
    pub claim: String,
    /// Whether the binary satisfies it.
    pub ok: bool,
    /// What was expected and what was found.
    pub detail: String,
}

/// The verdict on one binary.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file checked.
    pub path: String,
    /// The target alias it was checked against (with `.GLIBC` when a floor was given).
    pub target: String,
    /// What it is.
    pub facts: BinaryFacts,
    /// Each claim.
    pub checks: Vec<Check>,
    /// All claims hold.
    pub ok: bool,
}

/// Reads the facts of a binary from its bytes (ELF, PE, Mach-O or wasm, parsed with goblin).
/// Never fails: bytes that are none of these give facts with every field empty, which
/// [`check`] then reports as a wrong format.
pub fn facts(bytes: &[u8]) -> BinaryFacts {
    let mut f = BinaryFacts {
        format: None,
        machine: None,
        interpreter: None,
        needed: Vec::new(),
        max_glibc: None,
    };
    if bytes.len() >= 8 && &bytes[..4] == b"\0asm" && bytes[4..8] == [1, 0, 0, 0] {
        f.format = Some(Format::Wasm);
        f.machine = Some("wasm32".into());
        return f;
    }
    match Object::parse(bytes) {
        Ok(Object::Elf(elf)) => {
            use goblin::elf::header::*;
            f.format = Some(Format::Elf);
            f.machine = Some(match elf.header.e_machine {
                EM_X86_64 => "x86_64".into(),
                EM_AARCH64 => "aarch64".into(),
                EM_ARM => "arm".into(),
                EM_RISCV if elf.is_64 => "riscv64".into(),
                EM_RISCV => "riscv32".into(),
                EM_386 => "x86".into(),
                other => format!("elf-machine-{other}"),
            });
            f.interpreter = elf.interpreter.map(str::to_string);
            f.needed = elf.libraries.iter().map(|s| s.to_string()).collect();
            f.max_glibc = newest_glibc(&elf);
        }
        Ok(Object::PE(pe)) => {
            use goblin::pe::header::*;
            f.format = Some(Format::Pe);
            f.machine = Some(match pe.header.coff_header.machine {
                COFF_MACHINE_X86_64 => "x86_64".into(),
                COFF_MACHINE_ARM64 => "aarch64".into(),
                COFF_MACHINE_X86 => "x86".into(),
                other => format!("pe-machine-{other:#x}"),
            });
            f.needed = pe.libraries.iter().map(|s| s.to_string()).collect();
        }
        Ok(Object::Mach(goblin::mach::Mach::Binary(m))) => {
            use goblin::mach::cputype::*;
            f.format = Some(Format::Macho);
            f.machine = Some(match m.header.cputype {
                CPU_TYPE_X86_64 => "x86_64".into(),
                CPU_TYPE_ARM64 => "aarch64".into(),
                other => format!("macho-cpu-{other}"),
            });
            f.needed = m
                .libs
                .iter()
                .filter(|l| **l != "self")
                .map(|s| s.to_string())
                .collect();
        }
        Ok(Object::Mach(goblin::mach::Mach::Fat(_))) => {
            f.format = Some(Format::Macho);
            f.machine = Some("universal".into());
        }
        _ => {}
    }
    f
}

/// The newest `GLIBC_x.y` version an ELF file's version-needs section (`.gnu.version_r`) asks
/// for, as written (`2.17`).
fn newest_glibc(elf: &goblin::elf::Elf) -> Option<String> {
    let mut max: Option<(Vec<u32>, String)> = None;
    for need in elf.verneed.iter().flat_map(|v| v.iter()) {
        for aux in need.iter() {
            let Some(v) = elf
                .dynstrtab
                .get_at(aux.vna_name)
                .and_then(|n| n.strip_prefix("GLIBC_"))
            else {
                continue;
            };
            let Ok(parsed) = parse_version(v) else {
                continue;
            };
            if max.as_ref().is_none_or(|(m, _)| parsed > *m) {
                max = Some((parsed, v.to_string()));
            }
        }
    }
    max.map(|(_, s)| s)
}

/// Checks `bytes` against what `spec` claims: format, machine, static linking (static ELF
/// targets) and the glibc floor (glibc targets). Returns the facts and one [`Check`] per
/// claim, in that order.
pub fn check(spec: &TargetSpec, bytes: &[u8]) -> (BinaryFacts, Vec<Check>) {
    let t = spec.target();
    let f = facts(bytes);
    let mut checks = Vec::new();
    let found_format = f
        .format
        .map(|x| x.to_string())
        .unwrap_or_else(|| "no known executable format".into());
    checks.push(Check {
        claim: "format".into(),
        ok: f.format == Some(t.format),
        detail: format!("expected {}, found {found_format}", t.format),
    });
    let found_machine = f.machine.clone().unwrap_or_else(|| "unknown".into());
    checks.push(Check {
        claim: "machine".into(),
        ok: f.machine.as_deref() == Some(t.machine.as_str()),
        detail: format!("expected {}, found {found_machine}", t.machine),
    });
    if t.format == Format::Elf && t.linkage == Linkage::Static {
        let mut problems = Vec::new();
        if let Some(i) = &f.interpreter {
            problems.push(format!("PT_INTERP {i}"));
        }
        if !f.needed.is_empty() {
            problems.push(format!("DT_NEEDED {}", f.needed.join(", ")));
        }
        checks.push(Check {
            claim: "static".into(),
            ok: problems.is_empty(),
            detail: if problems.is_empty() {
                "no PT_INTERP, no DT_NEEDED".into()
            } else {
                format!("dynamically linked: {}", problems.join("; "))
            },
        });
    }
    if let Some(floor) = &spec.glibc {
        let ok = match &f.max_glibc {
            None => true,
            Some(found) => match (parse_version(found), parse_version(floor)) {
                (Ok(a), Ok(b)) => a <= b,
                _ => false,
            },
        };
        checks.push(Check {
            claim: "glibc-floor".into(),
            ok,
            detail: match &f.max_glibc {
                Some(found) => format!("newest GLIBC_ symbol version {found}, floor {floor}"),
                None => format!("no GLIBC_ symbol versions, floor {floor}"),
            },
        });
    }
    (f, checks)
}

/// Reads and checks one file.
///
/// # Errors
/// When the file cannot be read (the message names the path).
pub fn verify_file(spec: &TargetSpec, path: &Path) -> Result<Report> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    let (facts, checks) = check(spec, &bytes);
    let ok = checks.iter().all(|c| c.ok);
    Ok(Report {
        path: path.display().to_string(),
        target: spec.key(),
        facts,
        checks,
        ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn wasm_magic_and_garbage() {
        let spec = catalog().resolve("wasm32-wasip1").unwrap();
        let (_, checks) = check(&spec, b"\0asm\x01\0\0\0rest");
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        let (f, checks) = check(&spec, b"#!/bin/sh\necho hi\n");
        assert_eq!(f.format, None);
        assert!(!checks[0].ok && checks[0].detail.contains("no known executable format"));
    }

    #[test]
    fn this_test_binary_is_not_static_musl() {
        // the test runner itself: a glibc-linked host executable
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let spec = catalog().resolve("x86_64-musl").unwrap();
        let (f, checks) = check(&spec, &me);
        assert_eq!(f.format, Some(Format::Elf));
        let stat = checks.iter().find(|c| c.claim == "static").unwrap();
        assert!(!stat.ok, "{stat:?}");
        assert!(stat.detail.contains("PT_INTERP"), "{stat:?}");
        assert!(f.max_glibc.is_some());
    }
}
