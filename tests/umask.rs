//! Files and project folders are created with the user's umask (0666 / 0777 less it), not the
//! 0600 / 0700 of temporary files, so a project on a shared drive stays readable by the team;
//! a rewritten file keeps its own mode.
#![cfg(unix)]

mod common;

use common::Workdir;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// `quire ARGS` run by `sh -c 'umask MASK; exec quire ...'` in the work directory.
fn run_with_umask(w: &Workdir, mask: &str, args: &[&str]) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {mask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .current_dir(w.dir.path())
        .env_remove("QUIRE_FAILPOINT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn mode(w: &Workdir, rel: &str) -> u32 {
    std::fs::metadata(w.path(rel)).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_files_follow_the_umask_and_rewritten_files_keep_their_mode() {
    let w = Workdir::new();
    run_with_umask(&w, "022", &["init", "p", "--codebook", "codebook/first48.json", "--language", "nl"]);
    run_with_umask(&w, "022", &["--project", "p", "ingest", "fixtures/first48/be"]);
    run_with_umask(&w, "022", &["--project", "p", "code", "BE-PR-01:2", "housing", "--coder", "ana"]);
    for file in ["p/quire.toml", "p/codebook.json", "p/sources/BE-PR-01.txt", "p/sources/SHA256SUMS", "p/codings/ana.csv"] {
        assert_eq!(mode(&w, file), 0o644, "{file}");
    }
    // Another umask for a new file.
    run_with_umask(&w, "027", &["--project", "p", "code", "BE-PR-01:2", "housing", "--coder", "bob"]);
    assert_eq!(mode(&w, "p/codings/bob.csv"), 0o640);
    // A file the user gave another mode keeps it when quire rewrites it.
    std::fs::set_permissions(w.path("p/codings/ana.csv"), std::fs::Permissions::from_mode(0o664)).unwrap();
    run_with_umask(&w, "077", &["--project", "p", "code", "BE-PR-01:5", "housing", "--coder", "ana"]);
    assert_eq!(mode(&w, "p/codings/ana.csv"), 0o664);
    let rows = csv::Reader::from_path(w.path("p/codings/ana.csv")).unwrap().records().count();
    assert_eq!(rows, 2, "the file was rewritten");
}

#[test]
fn a_project_built_beside_its_target_gets_the_umask_too() {
    let w = Workdir::new();
    run_with_umask(&w, "022", &["merge", "fixtures/first48/be", "--into", "merged"]);
    assert_eq!(mode(&w, "merged"), 0o755);
    assert_eq!(mode(&w, "merged/codings/fixture.csv"), 0o644);
    assert_eq!(mode(&w, "merged/merge-report.md"), 0o644);
}

#[test]
fn the_index_folder_gets_the_umask_too() {
    let w = Workdir::new();
    run_with_umask(&w, "022", &["merge", "fixtures/first48/be", "--into", "merged"]);
    run_with_umask(&w, "022", &["--project", "merged", "index", "--rebuild"]);
    assert_eq!(mode(&w, "merged/.quire/index"), 0o755);
}
