//! Crash safety: `quire` is stopped at failpoints (and by SIGKILL after random delays) during
//! writes; afterwards `quire verify` passes and the project holds the old state or the new one,
//! never a mix. Two writers at once both land; readers that find the index stale at once build it
//! once, and a rebuild stopped half-way leaves nothing behind.

mod common;

use common::{copy_dir, snapshot, Workdir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The project's files without derived state and history, with the `created` column of codings
/// dropped (a command run twice stamps different times; `tests/history.rs` checks the history).
fn state(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".quire") && !p.starts_with("history"))
        .map(|(p, bytes)| {
            if p.starts_with("codings") {
                let mut r = csv::Reader::from_reader(bytes.as_slice());
                let mut w = csv::Writer::from_writer(Vec::new());
                let h = r.headers().unwrap().clone();
                w.write_record(h.iter().enumerate().filter(|(i, _)| *i != 5).map(|(_, v)| v)).unwrap();
                for rec in r.records() {
                    let rec = rec.unwrap();
                    w.write_record(rec.iter().enumerate().filter(|(i, _)| *i != 5).map(|(_, v)| v)).unwrap();
                }
                (p, w.into_inner().unwrap())
            } else {
                (p, bytes)
            }
        })
        .collect()
}

struct Scenario {
    name: &'static str,
    args: Vec<String>,
}

fn scenarios(w: &Workdir) -> Vec<Scenario> {
    // A filled coding sheet and an edited transcript, made once.
    let sheet = w.run(&["--project", "fixtures/first48/pt", "sheet", "export", "--source", "PT-PR-02"]).ok().stdout;
    let mut lines: Vec<String> = Vec::new();
    let mut r = csv::Reader::from_reader(sheet.as_bytes());
    let headers = r.headers().unwrap().clone();
    let codes = headers.iter().position(|h| h == "codes").unwrap();
    let mut wtr = csv::Writer::from_writer(Vec::new());
    wtr.write_record(&headers).unwrap();
    for (i, rec) in r.records().enumerate() {
        let mut v: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if i % 3 == 0 {
            v[codes] = "housing;stigma".into();
        }
        wtr.write_record(&v).unwrap();
    }
    w.write("sheet.csv", wtr.into_inner().unwrap());
    lines.clear();
    let original = std::fs::read_to_string(w.path("fixtures/first48/pt/sources/PT-PR-01.txt")).unwrap();
    w.write("edited/PT-PR-01.txt", original.replacen("\nI: ", "\nI: Uma pergunta nova.\nR: Uma resposta nova.\nI: ", 1));
    let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    vec![
        Scenario { name: "code", args: args("code PT-PR-01:3 housing --coder crash") },
        Scenario { name: "sheet import", args: args("sheet import ../sheet.csv --coder crash") },
        Scenario { name: "autocode", args: args("autocode --code housing") },
        Scenario { name: "ingest --replace", args: args("ingest --replace ../edited/PT-PR-01.txt") },
        Scenario { name: "codebook rename", args: args("codebook rename housing lost-home") },
        Scenario { name: "merge into", args: args("merge ../fixtures/first48/be --into .") },
    ]
}

fn quire(dir: &Path, args: &[String], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn fresh(w: &Workdir, name: &str) -> PathBuf {
    let dir = w.path(name);
    copy_dir(&w.path("fixtures/first48/pt"), &dir);
    dir
}

fn assert_old_or_new(w: &Workdir, dir: &Path, old: &BTreeMap<PathBuf, Vec<u8>>, new: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let v = quire(dir, &["verify".to_string()], &[]);
    assert!(v.status.success(), "{what}: verify failed: {}", String::from_utf8_lossy(&v.stderr));
    let now = state(dir);
    assert!(now == *old || now == *new, "{what}: the project is neither the old nor the new state");
    let _ = w;
}

#[test]
fn a_crash_at_any_failpoint_leaves_the_old_or_the_new_state() {
    let w = Workdir::new();
    let scenarios = scenarios(&w);
    let failpoints = ["atomic-before-rename", "tx-staging", "tx-before-journal", "tx-after-journal", "tx-applying", "tx-applying:2"];
    let mut runs = 0;
    let mut crashed = 0;
    for (si, s) in scenarios.iter().enumerate() {
        // The old and the new state of this command, from an uninterrupted run.
        let reference = fresh(&w, &format!("ref{si}"));
        let old = state(&reference);
        let ok = quire(&reference, &s.args, &[]);
        assert!(ok.status.success(), "{}: {}", s.name, String::from_utf8_lossy(&ok.stderr));
        let new = state(&reference);
        assert_ne!(old, new, "{} changes the project", s.name);
        for (fi, fp) in failpoints.iter().enumerate() {
            let dir = fresh(&w, &format!("run{si}-{fi}"));
            let out = quire(&dir, &s.args, &[("QUIRE_FAILPOINT", fp)]);
            if !out.status.success() {
                crashed += 1;
            }
            assert_old_or_new(&w, &dir, &old, &new, &format!("{} at {fp}", s.name));
            runs += 1;
        }
    }
    assert!(runs >= 20 && crashed >= 20, "{runs} runs, {crashed} crashed");
}

/// Did a kill stop `dir` inside a write? A journal waiting to be applied, or a staged temporary
/// file beside a target, is only there between a write's start and its end.
fn interrupted_inside_a_write(dir: &Path) -> bool {
    let staged =
        |d: &Path| std::fs::read_dir(d).is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with(".quire-tmp-")));
    dir.join(".quire/journal.json").exists()
        || [dir.to_path_buf(), dir.join("sources"), dir.join("codings"), dir.join(".quire")].iter().any(|d| staged(d))
}

#[test]
fn sigkill_after_random_delays_leaves_the_old_or_the_new_state() {
    let w = Workdir::new();
    let scenarios = scenarios(&w);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut kills, mut inside) = (0, 0);
    for (si, s) in scenarios.iter().enumerate().filter(|(_, s)| matches!(s.name, "ingest --replace" | "merge into" | "codebook rename")) {
        let reference = fresh(&w, &format!("kref{si}"));
        let old = state(&reference);
        let started = std::time::Instant::now();
        assert!(quire(&reference, &s.args, &[]).status.success());
        // Kills spread over the whole of an uninterrupted run, whose writes come at its end.
        let span = started.elapsed().as_micros() as u64 + 1;
        let new = state(&reference);
        let mut inside_here = 0;
        for k in 0..16 {
            if k >= 4 && inside_here >= 2 {
                break;
            }
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // The later half of the run more often than the earlier: that is where it writes.
            let delay = std::time::Duration::from_micros(span / 3 + seed % span);
            let dir = fresh(&w, &format!("kill{si}-{k}"));
            let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
                .args(&s.args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            kills += 1;
            if interrupted_inside_a_write(&dir) {
                inside_here += 1;
            }
            assert_old_or_new(&w, &dir, &old, &new, &format!("{} killed after {delay:?}", s.name));
        }
        inside += inside_here;
    }
    // Kills that all landed before or after the writes would prove nothing about them.
    assert!(inside >= 1, "none of {kills} kills landed inside a write");
    eprintln!("{inside} of {kills} kills landed inside a write");
}

#[test]
fn two_writers_at_once_both_land() {
    let w = Workdir::new();
    for round in 0..4 {
        let dir = fresh(&w, &format!("two{round}"));
        let spawn = |target: &str, coder: &str| {
            Command::new(env!("CARGO_BIN_EXE_quire"))
                .args(["code", target, "housing", "--coder", coder])
                .current_dir(&dir)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        // The same coder's file, from two processes at the same moment.
        let a = spawn("PT-PR-01:3", "crash");
        let b = spawn("PT-PR-02:4", "crash");
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let rows: Vec<String> = csv::Reader::from_path(dir.join("codings/crash.csv")).unwrap().records().map(|r| r.unwrap()[0].to_string()).collect();
        assert_eq!(rows, ["PT-PR-01", "PT-PR-02"], "no coding lost");
    }
}

fn quotes(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    cmd.args(["quotes", "--code", "housing", "--format", "json"]).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// The quotes `quire quotes` prints in `dir`, after checking it succeeded.
fn quotes_ok(dir: &Path, what: &str) -> Vec<u8> {
    let out = quotes(dir).output().unwrap();
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Names in the project's `.quire/` that a rebuild builds in or moves an old index to.
fn rebuild_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join(".quire"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".index-"))
        .collect()
}

/// Waits (up to 20 s) until the kernel lists process `pid` as blocked on a file lock: a waiter in
/// `/proc/locks` is a line with `->` and its pid. False if it never is.
fn blocked_on_a_lock(pid: u32) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        if locks.lines().any(|l| l.contains("->") && l.split_whitespace().any(|f| f == pid.to_string())) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

#[test]
fn readers_that_find_the_index_stale_at_once_build_it_once() {
    let w = Workdir::new();
    let dir = fresh(&w, "readers");
    let reference = quotes_ok(&dir, "reference");
    assert!(reference.len() > 100, "housing has quotes");

    // While another process holds the rebuild lock, a reader that needs the index waits for it.
    std::fs::remove_dir_all(dir.join(".quire/index")).unwrap();
    let lock = std::fs::OpenOptions::new().write(true).open(dir.join(".quire/index.lock")).unwrap();
    lock.lock().unwrap();
    let mut waiting = quotes(&dir).spawn().unwrap();
    assert!(blocked_on_a_lock(waiting.id()), "the reader waits for the rebuild lock");
    assert!(waiting.try_wait().unwrap().is_none(), "the reader waits for the rebuild lock");
    drop(lock);
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, reference);

    // Four readers at once, several times: each prints the quotes, none trips over another's swap.
    for round in 0..3 {
        std::fs::remove_dir_all(dir.join(".quire/index")).unwrap();
        let readers: Vec<_> = (0..4).map(|_| quotes(&dir).spawn().unwrap()).collect();
        for reader in readers {
            let out = reader.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.stdout, reference, "round {round}");
        }
        assert_eq!(rebuild_leftovers(&dir), Vec::<String>::new(), "round {round}");
    }
}

#[test]
fn a_rebuild_stopped_before_its_swap_is_cleared_by_the_next() {
    let w = Workdir::new();
    let dir = fresh(&w, "stopped");
    let reference = quotes_ok(&dir, "reference");
    std::fs::remove_dir_all(dir.join(".quire/index")).unwrap();
    let crashed = quotes(&dir).env("QUIRE_FAILPOINT", "index-before-swap").output().unwrap();
    assert!(!crashed.status.success(), "the failpoint stops the rebuild");
    assert_eq!(rebuild_leftovers(&dir).len(), 1, "the built index is left where it was built");
    assert_eq!(quotes_ok(&dir, "after the stopped rebuild"), reference);
    assert_eq!(rebuild_leftovers(&dir), Vec::<String>::new(), "the next rebuild removes it");
}

/// `pt` indexed, then one coding added (the index is stale by one source); returns the quotes a
/// full rebuild of that state gives.
fn stale_by_one_coding(w: &Workdir, name: &str) -> (PathBuf, Vec<u8>) {
    let dir = fresh(w, name);
    quotes_ok(&dir, "first index");
    let code = quire(&dir, &["code", "PT-PR-01:3", "housing"].map(String::from), &[]);
    assert!(code.status.success(), "{}", String::from_utf8_lossy(&code.stderr));
    let copy = w.path(&format!("{name}-rebuilt"));
    copy_dir(&dir, &copy);
    let rebuilt = quire(&copy, &["index", "--rebuild"].map(String::from), &[]);
    assert!(rebuilt.status.success());
    (dir, quotes_ok(&copy, "rebuilt copy"))
}

#[test]
fn an_update_stopped_after_its_commit_is_seen_and_rebuilt() {
    let w = Workdir::new();
    let (dir, reference) = stale_by_one_coding(&w, "after-commit");
    let crashed = quotes(&dir).env("QUIRE_FAILPOINT", "index-update-before-meta").output().unwrap();
    assert!(!crashed.status.success(), "the failpoint stops the update");
    // The tantivy commit is newer than the metadata: the generations differ, so it is rebuilt.
    let index = quire(&dir, &["index".to_string()], &[]);
    assert_eq!(String::from_utf8_lossy(&index.stderr), "index rebuilt: 251 segments\n");
    assert_eq!(quotes_ok(&dir, "after the stopped update"), reference);
}

#[test]
fn an_update_stopped_before_its_commit_leaves_the_old_index_and_is_done_again() {
    let w = Workdir::new();
    let (dir, reference) = stale_by_one_coding(&w, "before-commit");
    let crashed = quotes(&dir).env("QUIRE_FAILPOINT", "index-update-before-commit").output().unwrap();
    assert!(!crashed.status.success(), "the failpoint stops the update");
    let index = quire(&dir, &["index".to_string()], &[]);
    assert_eq!(String::from_utf8_lossy(&index.stderr), "index updated (1 source(s) re-indexed): 251 segments\n");
    assert_eq!(quotes_ok(&dir, "after the stopped update"), reference);
    // The update that was done again wrote its quote file over the one the stopped update left.
    let mut quote_files: Vec<String> = std::fs::read_dir(dir.join(".quire/index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("quotes"))
        .collect();
    quote_files.sort();
    assert_eq!(quote_files, ["quotes-2.bin", "quotes.bin"]);
}
