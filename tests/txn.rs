//! Transactions, locks and paths: a journal naming paths outside the project is refused and
//! never acted on; readers see one state while a writer commits; `merge --into` an existing
//! project reads it under the lock; staging folders of killed runs are cleared; links and
//! manifest paths leading out of the project are refused.

mod common;

use common::{copy_dir, snapshot, Workdir};
use std::fs;
use std::path::Path;
use std::process::Command;

/// A copy of the Portuguese fixture project at `p/`.
fn project(w: &Workdir) -> &'static str {
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("p"));
    "p"
}

fn journal(w: &Workdir, ops: serde_json::Value) {
    w.write("p/.quire/journal.json", serde_json::to_vec_pretty(&serde_json::json!({ "format": 1, "ops": ops })).unwrap());
}

fn refusal(entry: usize, named: &str) -> String {
    format!(
        "quire: p/.quire/journal.json: entry {entry} names `{named}`, which is not a file quire writes inside this project; \
         nothing in the journal was applied: move the journal away and run `quire verify`\n"
    )
}

#[test]
fn a_journal_naming_a_parent_path_is_refused_and_nothing_in_it_is_applied() {
    let w = Workdir::new();
    project(&w);
    w.write("victim", "not quire's\n");
    w.write("p/memos/note.md", "a memo\n");
    // A removal inside the project first: not applied either, since the journal is refused whole.
    journal(&w, serde_json::json!([[null, "memos/note.md"], [null, "../victim"]]));
    let r = w.run(&["--project", "p", "sources"]).exits(5);
    assert_eq!((r.status, r.stderr.as_str(), r.stdout.as_str()), (5, refusal(2, "../victim").as_str(), ""));
    assert_eq!(fs::read_to_string(w.path("victim")).unwrap(), "not quire's\n");
    assert_eq!(fs::read_to_string(w.path("p/memos/note.md")).unwrap(), "a memo\n");
    assert!(w.path("p/.quire/journal.json").is_file(), "the journal is left for the user to move away");
    // A writer is refused the same way.
    let r = w.run(&["--project", "p", "code", "PT-PR-01:3", "housing"]).exits(5);
    assert_eq!(r.stderr, refusal(2, "../victim"));
    assert_eq!(fs::read_to_string(w.path("victim")).unwrap(), "not quire's\n");
}

#[test]
fn a_journal_naming_an_absolute_path_is_refused_and_the_file_survives() {
    let w = Workdir::new();
    project(&w);
    let victim = w.write("victim", "not quire's\n");
    let victim = victim.to_str().unwrap();
    journal(&w, serde_json::json!([[null, victim]]));
    let r = w.run(&["--project", "p", "table"]).exits(5);
    assert_eq!((r.status, r.stderr), (5, refusal(1, victim)));
    assert_eq!(fs::read_to_string(victim).unwrap(), "not quire's\n");
    // Renamed onto a project file from an absolute path: the source file stays too.
    journal(&w, serde_json::json!([[victim, "codebook.json"]]));
    let before = fs::read(w.path("p/codebook.json")).unwrap();
    let r = w.run(&["--project", "p", "table"]).exits(5);
    assert_eq!((r.status, r.stderr), (5, refusal(1, victim)));
    assert_eq!(fs::read_to_string(victim).unwrap(), "not quire's\n");
    assert_eq!(fs::read(w.path("p/codebook.json")).unwrap(), before);
}

#[test]
fn a_journal_renaming_anything_but_a_temporary_file_beside_its_target_is_refused() {
    let w = Workdir::new();
    project(&w);
    let before = snapshot(&w.path("p/sources"));
    // A source file moved onto the codebook: not one of quire's temporary files.
    journal(&w, serde_json::json!([["sources/PT-PR-01.txt", "codebook.json"]]));
    let r = w.run(&["--project", "p", "sources"]).exits(5);
    assert_eq!(r.stderr, refusal(1, "sources/PT-PR-01.txt"));
    // A temporary name, but in another folder than its target.
    w.write("p/sources/.quire-tmp-abc", "x");
    journal(&w, serde_json::json!([["sources/.quire-tmp-abc", "codebook.json"]]));
    let r = w.run(&["--project", "p", "sources"]).exits(5);
    assert_eq!(r.stderr, refusal(1, "sources/.quire-tmp-abc"));
    fs::remove_file(w.path("p/sources/.quire-tmp-abc")).unwrap();
    assert_eq!(snapshot(&w.path("p/sources")), before);
}

#[test]
fn a_journal_writing_through_a_folder_linked_from_outside_is_refused() {
    let w = Workdir::new();
    project(&w);
    let outside = w.path("outside");
    w.write("outside/.quire-tmp-abc", "planted\n");
    std::os::unix::fs::symlink(&outside, w.path("p/notes")).unwrap();
    journal(&w, serde_json::json!([["notes/.quire-tmp-abc", "notes/x.txt"]]));
    let r = w.run(&["--project", "p", "sources"]).exits(5);
    assert_eq!(r.stderr, refusal(1, "notes/x.txt"));
    assert!(!outside.join("x.txt").exists());
    assert_eq!(fs::read_to_string(outside.join(".quire-tmp-abc")).unwrap(), "planted\n");
}

#[test]
fn a_journal_of_quires_own_shape_is_still_finished() {
    let w = Workdir::new();
    project(&w);
    w.write("p/codings/.quire-tmp-new", "x\n");
    w.write("p/memos/old.md", "old\n");
    journal(&w, serde_json::json!([["codings/.quire-tmp-new", "codings/new.txt"], [null, "memos/old.md"]]));
    w.run(&["--project", "p", "sources"]).ok();
    assert_eq!(fs::read_to_string(w.path("p/codings/new.txt")).unwrap(), "x\n");
    assert!(!w.path("p/memos/old.md").exists());
    assert!(!w.path("p/.quire/journal.json").exists());
}

fn quire(w: &Workdir, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    cmd.args(args).current_dir(w.dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn readers_see_one_state_while_a_code_is_renamed_back_and_forth() {
    let w = Workdir::new();
    project(&w);
    let table = ["--project", "p", "table", "--rows", "code:1", "--format", "csv"];
    let before = w.run(&table).ok().stdout;
    w.run(&["--project", "p", "codebook", "rename", "challenges", "chall"]).ok();
    let renamed = w.run(&table).ok().stdout;
    w.run(&["--project", "p", "codebook", "rename", "chall", "challenges"]).ok();
    assert_ne!(before, renamed);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let done = done.clone();
        let dir = w.dir.path().to_path_buf();
        std::thread::spawn(move || {
            for i in 0..20 {
                let (from, to) = if i % 2 == 0 { ("challenges", "chall") } else { ("chall", "challenges") };
                let out = Command::new(env!("CARGO_BIN_EXE_quire"))
                    .args(["--project", "p", "codebook", "rename", from, to])
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "rename {from} {to}: {}", String::from_utf8_lossy(&out.stderr));
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let (mut seen_before, mut seen_renamed) = (0, 0);
    for _ in 0..40 {
        let r = w.run(&table);
        assert_eq!(r.status, 0, "table failed during the renames: {}", r.stderr);
        if r.stdout == before {
            seen_before += 1;
        } else if r.stdout == renamed {
            seen_renamed += 1;
        } else {
            panic!("a table of neither state:\n{}\n(before:\n{before}\nrenamed:\n{renamed})", r.stdout);
        }
        if done.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
    }
    writer.join().unwrap();
    assert!(seen_before + seen_renamed > 0);
    // After an even number of renames, the first state.
    assert_eq!(w.run(&table).ok().stdout, before);
}

fn wait_for(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !path.exists() {
        assert!(std::time::Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The binary under test (`QUIRE_BIN` may name another build, to show a test fails on it).
fn bin() -> std::path::PathBuf {
    std::env::var_os("QUIRE_BIN").map(Into::into).unwrap_or_else(|| env!("CARGO_BIN_EXE_quire").into())
}

#[test]
fn a_coding_added_while_a_merge_into_an_existing_project_is_under_way_is_kept() {
    let w = Workdir::new();
    project(&w);
    fs::create_dir_all(w.path("pause")).unwrap();
    let pause = w.path("pause");
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(bin());
        cmd.args(args).current_dir(w.dir.path()).envs(env.iter().copied());
        cmd
    };
    // The merge stops once it has merged, before it writes.
    let merge =
        run(&[("QUIRE_PAUSE", "merge-before-write"), ("QUIRE_PAUSE_DIR", pause.to_str().unwrap())], &["merge", "fixtures/first48/be", "--into", "p"])
            .output_in_background();
    wait_for(&pause.join("paused"));
    // Meanwhile a coder adds a coding to a file the merge rewrites: it waits for the merge.
    let mut code = run(&[("QUIRE_LOCK_WAIT", "60")], &["--project", "p", "code", "PT-PR-01:3", "coping", "--coder", "fixture"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let waited = code.try_wait().unwrap().is_none();
    fs::write(pause.join("resume"), "").unwrap();
    let out = merge.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let coded = code.wait_with_output().unwrap();
    assert_eq!((coded.status.code(), String::from_utf8_lossy(&coded.stderr).as_ref()), (Some(0), "1 coding(s) added for fixture\n"));
    let merged = fs::read_to_string(w.path("p/codings/fixture.csv")).unwrap();
    assert!(merged.lines().any(|l| l.starts_with("PT-PR-01,") && l.contains(",coping,fixture,")), "the coding added during the merge is kept");
    assert!(waited, "the coding waited for the merge's lock");
}

trait Background {
    fn output_in_background(self) -> std::thread::JoinHandle<std::process::Output>;
}

impl Background for Command {
    fn output_in_background(mut self) -> std::thread::JoinHandle<std::process::Output> {
        std::thread::spawn(move || self.output().unwrap())
    }
}

/// The staging folders (`.quire-merge-*`, `.quire-import-*`) in `dir`.
fn staging(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".quire-merge-") || n.starts_with(".quire-import-"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_merge_killed_while_it_builds_a_new_project_leaves_a_staging_folder_the_next_run_removes() {
    let w = Workdir::new();
    let out = quire(&w, &[("QUIRE_FAILPOINT", "tx-after-journal")], &["merge", "fixtures/first48/pt", "fixtures/first48/be", "--into", "out"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(staging(w.dir.path()).len(), 1, "the killed run left its staging folder");
    assert!(!w.path("out").exists());
    w.run(&["merge", "fixtures/first48/pt", "fixtures/first48/be", "--into", "out"]).ok();
    assert_eq!(staging(w.dir.path()), Vec::<String>::new());
    w.run(&["--project", "out", "verify"]).ok();
}

#[test]
fn an_import_killed_while_it_builds_leaves_a_staging_folder_the_next_run_removes() {
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    let out = quire(&w, &[("QUIRE_FAILPOINT", "atomic-before-rename:3")], &["import", "qdpx", "pt.qdpx", "--into", "imported"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(staging(w.dir.path()).len(), 1, "the killed run left its staging folder");
    w.run(&["import", "qdpx", "pt.qdpx", "--into", "imported"]).ok();
    assert_eq!(staging(w.dir.path()), Vec::<String>::new());
    w.run(&["--project", "imported", "verify"]).ok();
}

#[test]
fn a_staging_folder_whose_builder_is_alive_is_left_alone() {
    let w = Workdir::new();
    fs::create_dir_all(w.path("pause")).unwrap();
    let pause = w.path("pause");
    let first =
        quire(&w, &[("QUIRE_PAUSE", "tx-staging"), ("QUIRE_PAUSE_DIR", pause.to_str().unwrap())], &["merge", "fixtures/first48/pt", "--into", "one"])
            .output_in_background();
    wait_for(&pause.join("paused"));
    w.run(&["merge", "fixtures/first48/be", "--into", "two"]).ok();
    assert_eq!(staging(w.dir.path()).len(), 1, "the paused merge keeps its staging folder");
    fs::write(pause.join("resume"), "").unwrap();
    let out = first.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(staging(w.dir.path()), Vec::<String>::new());
    w.run(&["--project", "one", "verify"]).ok();
    assert!(!w.path("one/.quire/staging.lock").exists());
}

#[test]
fn a_merge_into_a_regular_file_is_refused_before_anything_is_built() {
    let w = Workdir::new();
    w.write("somefile", "mine\n");
    let r = w.run(&["merge", "fixtures/first48/pt", "--into", "somefile"]).exits(4);
    assert_eq!((r.status, r.stderr.as_str()), (4, "quire: somefile: exists and is not a directory\n"));
    assert_eq!(fs::read_to_string(w.path("somefile")).unwrap(), "mine\n");
    assert_eq!(staging(w.dir.path()), Vec::<String>::new());
    w.write("full/a.txt", "mine\n");
    let r = w.run(&["merge", "fixtures/first48/pt", "--into", "full"]).exits(4);
    assert_eq!((r.status, r.stderr.as_str()), (4, "quire: full: exists and is neither a quire project nor an empty directory\n"));
    assert_eq!(staging(w.dir.path()), Vec::<String>::new());
}

fn link_refusal(path: &str, target: &Path) -> String {
    format!(
        "quire: {path}: a link to {}, outside the project; quire does not read or write through links that leave the project (put the file or folder itself here)\n",
        target.display()
    )
}

#[test]
fn a_source_linked_from_outside_the_project_is_not_exported() {
    let w = Workdir::new();
    project(&w);
    let outside = w.write("outside/PT-PR-01.txt", fs::read(w.path("p/sources/PT-PR-01.txt")).unwrap());
    fs::remove_file(w.path("p/sources/PT-PR-01.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, w.path("p/sources/PT-PR-01.txt")).unwrap();
    let r = w.run(&["--project", "p", "export", "qdpx", "out.qdpx"]).exits(4);
    assert_eq!((r.status, r.stderr), (4, link_refusal("p/sources/PT-PR-01.txt", &outside)));
    assert!(!w.path("out.qdpx").exists());
}

#[test]
fn a_codings_folder_linked_from_outside_receives_no_writes() {
    let w = Workdir::new();
    project(&w);
    let outside = w.path("outside-codings");
    fs::rename(w.path("p/codings"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, w.path("p/codings")).unwrap();
    let before = snapshot(&outside);
    let r = w.run(&["--project", "p", "code", "PT-PR-01:3", "coping"]).exits(4);
    assert_eq!((r.status, r.stderr), (4, link_refusal("p/codings", &outside)));
    assert_eq!(snapshot(&outside), before);
}

#[test]
fn a_state_folder_linked_from_outside_receives_no_writes() {
    let w = Workdir::new();
    project(&w);
    let outside = w.path("outside-state");
    fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, w.path("p/.quire")).unwrap();
    for args in [&["--project", "p", "table"][..], &["--project", "p", "code", "PT-PR-01:3", "coping"]] {
        let r = w.run(args).exits(4);
        assert_eq!((r.status, r.stderr), (4, link_refusal("p/.quire", &outside)));
    }
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn a_manifest_codebook_outside_the_project_is_refused_and_not_rewritten() {
    let w = Workdir::new();
    project(&w);
    w.write("shared.json", fs::read(w.path("p/codebook.json")).unwrap());
    let manifest = fs::read_to_string(w.path("p/quire.toml")).unwrap().replace("codebook = \"codebook.json\"", "codebook = \"../shared.json\"");
    w.write("p/quire.toml", &manifest);
    let before = fs::read(w.path("shared.json")).unwrap();
    let r = w.run(&["--project", "p", "codebook", "add", "coping/new-one", "--name", "New one"]).exits(4);
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (4, "quire: p/quire.toml:6: `codebook = \"../shared.json\"` is not a path inside the project; keep the codebook in the project directory\n")
    );
    assert_eq!(fs::read(w.path("shared.json")).unwrap(), before);
}

#[test]
fn a_mapping_row_for_an_unknown_project_is_refused_with_its_line() {
    let w = Workdir::new();
    w.write("map.csv", "project,from,to\nfirst48-pt,x,challenges\nfirst48-xx,y,challenges\n");
    let r = w.run(&["merge", "fixtures/first48/pt", "fixtures/first48/be", "--into", "out", "--map", "map.csv"]).exits(3);
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (3, "quire: map.csv:3: `project`: no input is named `first48-xx` (the inputs are first48-pt, first48-be)\n")
    );
    assert!(!w.path("out").exists());
}

#[test]
fn an_empty_merge_input_is_said_not_to_be_a_project() {
    let w = Workdir::new();
    fs::create_dir_all(w.path("empty")).unwrap();
    let r = w.run(&["merge", "fixtures/first48/pt", "empty", "--into", "out"]).exits(2);
    assert_eq!((r.status, r.stderr.as_str()), (2, "quire: empty: not a quire project (it has no quire.toml) nor a .qdpx file\n"));
    assert!(!w.path("out").exists());
}

/// A small tmpfs mounted for one test; `None` (and the test says it is skipped) where this process
/// may not mount one (it needs root).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            common::skip("the disk-full check: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system, then frees `free_kb` kilobytes.
    fn fill_leaving(&self, free_kb: u64) {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(free_kb * 1024)).unwrap();
        f.sync_all().unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Files under `dir` whose name starts with one of `prefixes`.
fn leftovers(dir: &Path, prefixes: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            found.push(entry.path().display().to_string());
        } else if entry.file_type().unwrap().is_dir() {
            found.extend(leftovers(&entry.path(), prefixes));
        }
    }
    found
}

fn run_at(dir: &Path, args: &[&str]) -> common::Run {
    Command::new(env!("CARGO_BIN_EXE_quire")).args(args).current_dir(dir).output().unwrap().into()
}

#[test]
fn a_full_disk_during_a_transaction_leaves_the_project_and_no_temporary_files() {
    let Some(fs_) = Tmpfs::mount("1M") else { return };
    copy_dir(&common::repo().join("fixtures/first48/pt"), &fs_.path().join("p"));
    let before = snapshot(&fs_.path().join("p"));
    // Room for some of the files the rename rewrites (the codebook and two coding files), not all.
    fs_.fill_leaving(60);
    let r = run_at(fs_.path(), &["--project", "p", "codebook", "rename", "challenges", "chall"]);
    assert_eq!(r.status, 74, "{}", r.stderr);
    assert!(r.stderr.starts_with("quire: p/") && r.stderr.ends_with(": No space left on device (os error 28)\n"), "{}", r.stderr);
    assert_eq!(leftovers(fs_.path(), &[".quire-tmp-"]), Vec::<String>::new());
    let after: std::collections::BTreeMap<_, _> = snapshot(&fs_.path().join("p")).into_iter().filter(|(p, _)| !p.starts_with(".quire")).collect();
    assert_eq!(after, before);
}

#[test]
fn a_full_disk_while_indexing_is_reported_as_an_io_error_on_the_index() {
    let Some(fs_) = Tmpfs::mount("1M") else { return };
    copy_dir(&common::repo().join("fixtures/first48/pt"), &fs_.path().join("p"));
    // Too little room for the index (about 190 kB here), from hardly any to most of it.
    for free in [60, 100, 140] {
        let _ = fs::remove_file(fs_.path().join("filler"));
        fs_.fill_leaving(free);
        let r = run_at(fs_.path(), &["--project", "p", "quotes", "--code", "coping"]);
        assert_eq!(
            (r.status, r.stderr.as_str(), r.stdout.as_str()),
            (74, "quire: p/.quire/index: No space left on device (os error 28)\n", ""),
            "{free} kB free"
        );
        assert_eq!(leftovers(fs_.path(), &[".quire-tmp-", ".index-"]), Vec::<String>::new(), "{free} kB free");
    }
}

#[test]
fn a_transaction_cut_short_in_a_project_named_dot_is_finished_by_the_next_command() {
    let w = Workdir::new();
    project(&w);
    let p = w.path("p");
    let table = ["--project", ".", "table", "--rows", "code:1", "--format", "csv"];
    let cut = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["--project", ".", "codebook", "rename", "challenges", "chall"])
        .env("QUIRE_FAILPOINT", "tx-after-journal")
        .current_dir(&p)
        .output()
        .unwrap();
    assert!(!cut.status.success());
    let journal: serde_json::Value = serde_json::from_slice(&fs::read(p.join(".quire/journal.json")).unwrap()).unwrap();
    for op in journal["ops"].as_array().unwrap() {
        assert!(!op[1].as_str().unwrap().starts_with('/') && !op[0].as_str().unwrap_or("").starts_with('/'), "{op}");
    }
    let r = w.run_in(&p, &table).ok();
    assert!(r.stdout.lines().nth(1).unwrap().starts_with("chall,1,"), "{}", r.stdout);
    assert!(!p.join(".quire/journal.json").exists());
}
