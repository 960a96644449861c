//! The flake's templates (`nix flake init -t`) are exactly what the CLI emits: templates/default
//! is `crossflake new app`, templates/flake-parts is `crossflake new app --flake-parts`,
//! templates/workspace is `crossflake init` on tests/fixtures/templates/workspace-input.
//! Regenerate them with those commands.

use std::path::Path;

use crate::support::{TempProject, assert_nix_parses, copy_dir, repo};

fn tree(dir: &Path) -> TempProject {
    let p = TempProject::empty();
    copy_dir(dir, p.path());
    p
}

fn assert_same_files(emitted: &TempProject, template: &Path) {
    let want = tree(template).snapshot_bytes();
    let got = emitted.snapshot_bytes();
    let names = |m: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>| {
        m.keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(
        names(&got),
        names(&want),
        "file sets differ from {}",
        template.display()
    );
    for (path, bytes) in &want {
        assert_eq!(
            String::from_utf8_lossy(&got[path]),
            String::from_utf8_lossy(bytes),
            "{} drifted from what the CLI emits",
            template.join(path).display()
        );
    }
    assert_nix_parses(&template.join("flake.nix"));
}

#[test]
fn default_template_is_crossflake_new() {
    let p = TempProject::empty();
    p.cmd(&["new", "app"]).assert().success();
    let app = TempProject {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_dir(&p.path().join("app"), app.path());
    assert_same_files(&app, &repo().join("templates/default"));
}

#[test]
fn flake_parts_template_is_crossflake_new_flake_parts() {
    let p = TempProject::empty();
    p.cmd(&["new", "app", "--flake-parts"]).assert().success();
    let app = TempProject {
        dir: tempfile::tempdir().unwrap(),
    };
    copy_dir(&p.path().join("app"), app.path());
    assert_same_files(&app, &repo().join("templates/flake-parts"));
}

#[test]
fn workspace_template_is_crossflake_init_on_a_workspace() {
    let p = tree(&repo().join("tests/fixtures/templates/workspace-input"));
    p.cmd(&["init"]).assert().success();
    assert_same_files(&p, &repo().join("templates/workspace"));
}
