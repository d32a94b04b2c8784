//! Integration tests for `init`, `ingest`, `sources` and `show` on copies of the fixtures.

mod common;

use common::{snapshot, Workdir, COUNTRIES};
use std::collections::BTreeMap;
use std::fs;

/// Counts paragraphs of a transcript independently of quire's parser: a paragraph starts at a
/// line that opens a turn (`LABEL: text`) and at a non-blank line after a blank one.
fn count_paragraphs(text: &str) -> usize {
    let mut parts = text.splitn(3, "---\n");
    parts.next();
    let header = parts.next().unwrap();
    let body = parts.next().unwrap();
    let labels: Vec<String> =
        header.lines().filter_map(|l| l.strip_prefix("speaker ")).map(|l| l.split(':').next().unwrap().trim().to_string()).collect();
    let mut count = 0;
    let mut in_paragraph = false;
    for line in body.lines() {
        if line.trim().is_empty() {
            in_paragraph = false;
            continue;
        }
        let opens_turn = labels.iter().any(|l| line.starts_with(&format!("{l}: ")));
        if opens_turn || !in_paragraph {
            count += 1;
        }
        in_paragraph = true;
    }
    count
}

#[test]
fn all_four_countries_ingest_with_the_right_segment_counts() {
    let w = Workdir::new();
    for country in COUNTRIES {
        let project = w.country_project(country);
        let listed = w.run(&["--project", &project, "sources", "--format", "json"]).ok().json();
        let listed = listed.as_array().unwrap();
        let dir = w.path(&format!("fixtures/first48/{country}/sources"));
        let mut expected = BTreeMap::new();
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            expected.insert(path.file_stem().unwrap().to_str().unwrap().to_string(), count_paragraphs(&text));
        }
        let got: BTreeMap<String, usize> =
            listed.iter().map(|s| (s["source"].as_str().unwrap().to_string(), s["segments"].as_u64().unwrap() as usize)).collect();
        assert_eq!(got, expected, "segment counts for {country}");
        for s in listed {
            assert_eq!(s["country"].as_str().unwrap(), country.to_uppercase());
        }
    }
}

#[test]
fn show_prints_segments_with_study_citations() {
    let w = Workdir::new();
    w.country_project("de");
    let out = w.run(&["--project", "de", "show", "DE-EPR-02"]).ok().stdout;
    assert!(out.contains("DE-EPR-02:2  R (EPR, F, DE)"), "{out}");
    assert!(out.contains("DE-EPR-02:1  I (interviewer)"), "{out}");
    let pro = w.run(&["--project", "de", "show", "DE-PI-01", "--respondents", "--format", "json"]).ok().json();
    let rows = pro.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["citation"] == "(PI, DE)"), "professionals carry no gender");
    // Segment text is exactly the body slice at [start, end).
    let body = {
        let t = fs::read_to_string(w.path("de/sources/DE-PI-01.txt")).unwrap();
        t.splitn(3, "---\n").nth(2).unwrap().chars().collect::<Vec<char>>()
    };
    for r in rows {
        let (s, e) = (r["start"].as_u64().unwrap() as usize, r["end"].as_u64().unwrap() as usize);
        assert_eq!(body[s..e].iter().collect::<String>(), r["text"].as_str().unwrap());
    }
    let fg = w.run(&["--project", "de", "show", "DE-FG-01", "--format", "csv", "--respondents"]).ok().stdout;
    assert!(fg.lines().nth(1).unwrap().contains("\"(PR, M, DE)\""), "{fg}");
}

#[test]
fn reingest_unchanged_is_a_noop_changed_is_refused_unless_replace() {
    let w = Workdir::new();
    w.country_project("pt");
    let before = snapshot(&w.path("pt"));
    let again = w.run(&["--project", "pt", "ingest", "fixtures/first48/pt"]).ok();
    assert!(again.stderr.contains("7 unchanged"), "{}", again.stderr);
    assert_eq!(snapshot(&w.path("pt")), before);

    let original = fs::read_to_string(w.path("fixtures/first48/pt/sources/PT-PR-01.txt")).unwrap();
    let changed = original.replacen("\nR: ", "\nR: Bem. ", 1);
    w.write("changed/PT-PR-01.txt", &changed);
    let refused = w.run(&["--project", "pt", "ingest", "changed/PT-PR-01.txt"]).exits(4);
    assert!(refused.stderr.contains("changed/PT-PR-01.txt") && refused.stderr.contains("--replace"), "{}", refused.stderr);
    assert_eq!(snapshot(&w.path("pt")), before);

    let replaced = w.run(&["--project", "pt", "ingest", "--replace", "changed/PT-PR-01.txt"]).ok();
    assert!(replaced.stderr.contains("replaced"), "{}", replaced.stderr);
    let show = w.run(&["--project", "pt", "show", "PT-PR-01", "--respondents"]).ok().stdout;
    assert!(show.contains("Bem. "), "{show}");
}

#[test]
fn bom_and_crlf_are_normalised() {
    let w = Workdir::new();
    w.init("p", "fr");
    let lf = fs::read_to_string(w.path("fixtures/first48/fr/sources/FR-PR-02.txt")).unwrap();
    let mut crlf = b"\xEF\xBB\xBF".to_vec();
    crlf.extend(lf.replace('\n', "\r\n").into_bytes());
    w.write("in/FR-PR-02.txt", &crlf);
    w.run(&["--project", "p", "ingest", "in/FR-PR-02.txt"]).ok();
    let stored = fs::read(w.path("p/sources/FR-PR-02.txt")).unwrap();
    assert!(!stored.contains(&b'\r') && !stored.starts_with(b"\xEF\xBB\xBF"));
    // The LF original is the same source: ingesting it changes nothing.
    let same = w.run(&["--project", "p", "ingest", "fixtures/first48/fr/sources/FR-PR-02.txt"]).ok();
    assert!(same.stderr.contains("1 unchanged"), "{}", same.stderr);
    let segs = w.run(&["--project", "p", "show", "FR-PR-02", "--format", "json"]).ok().json();
    assert_eq!(segs.as_array().unwrap().len(), count_paragraphs(&lf));
}

const SMALL: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: nl\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Vraag?\nR: Eerste alinea\nloopt door.\n\nTweede alinea.\nI: Nog een vraag?\nR: Antwoord.\n";

#[test]
fn paragraphs_continuations_and_offsets_on_a_small_transcript() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", SMALL);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    let segs = w.run(&["--project", "p", "show", "XX-1", "--format", "json"]).ok().json();
    let texts: Vec<&str> = segs.as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Vraag?", "Eerste alinea\nloopt door.", "Tweede alinea.", "Nog een vraag?", "Antwoord."]);
    let ids: Vec<&str> = segs.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["XX-1:1", "XX-1:2", "XX-1:3", "XX-1:4", "XX-1:5"]);
    assert_eq!(segs[1]["start"], 13);
    assert_eq!(segs[1]["citation"], "(EPR, M, BE)");
}

#[test]
fn cases_csv_supplies_and_overrides_attributes() {
    let w = Workdir::new();
    w.init("p", "nl");
    let no_gender = SMALL.replace("speaker R: role=EPR gender=M", "speaker R: role=EPR").replace("country: BE\n", "");
    w.write("in/XX-1.txt", no_gender);
    w.write("cases.csv", "source,speaker,country,gender,detentions\nXX-1,,BE,,\nXX-1,R,,F,4\n");
    w.run(&["--project", "p", "ingest", "in", "--cases", "cases.csv"]).ok();
    let listed = w.run(&["--project", "p", "sources", "--format", "json"]).ok().json();
    let speaker = &listed[0]["speakers"][1];
    assert_eq!(speaker["citation"], "(EPR, F, BE)");
    assert_eq!(speaker["attributes"]["detentions"], "4");
    // A row naming an undeclared speaker is reported at its CSV line, and nothing is written.
    w.write("bad.csv", "source,speaker,gender\nXX-1,R,M\nXX-1,Q,F\n");
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "ingest", "in", "--cases", "bad.csv", "--replace"]).exits(3);
    assert!(r.stderr.contains("bad.csv:3") && r.stderr.contains("`Q`"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("p")), before);
}

/// Each bad input: one message naming file and line, non-zero exit, project byte-for-byte unchanged.
#[test]
fn bad_inputs_name_file_and_line_and_change_nothing() {
    let w = Workdir::new();
    w.country_project("be");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed-header", SMALL.replacen("method: interview", "method interview", 1).into_bytes(), "bad/XX-1.txt:5: malformed header"),
        ("unclosed-header", SMALL.split("---\nI:").next().unwrap().as_bytes().to_vec(), "bad/XX-1.txt:1: header opened here is never closed"),
        ("unknown-speaker", SMALL.replacen("R: Antwoord.", "R2: Antwoord.", 1).into_bytes(), "bad/XX-1.txt:15: unknown speaker label `R2`"),
        ("missing-country", SMALL.replacen("country: BE\n", "", 1).into_bytes(), "bad/XX-1.txt:7: header has no `country:`"),
        ("unknown-role", SMALL.replacen("role=EPR", "role=INMATE", 1).into_bytes(), "bad/XX-1.txt:7: unknown role `INMATE`"),
        ("unknown-gender", SMALL.replacen("gender=M", "gender=W", 1).into_bytes(), "bad/XX-1.txt:7: unknown gender `W`"),
        (
            "invalid-utf8",
            {
                let mut b = SMALL.as_bytes().to_vec();
                let at = SMALL.find("Tweede").unwrap();
                b[at] = 0xFF;
                b
            },
            "bad/XX-1.txt:13: invalid UTF-8",
        ),
        ("text-before-turn", SMALL.replacen("I: Vraag?", "Vraag?", 1).into_bytes(), "bad/XX-1.txt:9: text before the first speaker turn"),
    ];
    let before = snapshot(&w.path("be"));
    for (name, bytes, expected) in cases {
        let _ = fs::remove_dir_all(w.path("bad"));
        w.write("bad/XX-1.txt", &bytes);
        // A good file beside the bad one must not be written either.
        w.write("bad/XX-0.txt", SMALL.replace("XX-1", "XX-0"));
        let r = w.run(&["--project", "be", "ingest", "bad"]).exits(3);
        assert!(r.stderr.contains(expected), "{name}: expected `{expected}` in:\n{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: one message:\n{}", r.stderr);
        assert_eq!(snapshot(&w.path("be")), before, "{name}: project changed");
    }
    // Duplicate source id inside one batch, and against a different stored source.
    let _ = fs::remove_dir_all(w.path("bad"));
    w.write("bad/a.txt", SMALL);
    w.write("bad/b.txt", SMALL);
    let r = w.run(&["--project", "be", "ingest", "bad"]).exits(3);
    assert!(r.stderr.contains("source id `XX-1` appears in both") && r.stderr.contains("a.txt") && r.stderr.contains("b.txt"), "{}", r.stderr);
    let clash = fs::read_to_string(w.path("fixtures/first48/be/sources/BE-PR-01.txt")).unwrap().replace("source: BE-PR-01", "source: BE-PR-02");
    w.write("clash/x.txt", clash);
    let r = w.run(&["--project", "be", "ingest", "clash"]).exits(4);
    assert!(r.stderr.contains("clash/x.txt: source `BE-PR-02` is already in the project"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("be")), before);
}

#[test]
fn a_second_writer_is_stopped_by_the_lock() {
    let w = Workdir::new();
    w.init("p", "nl");
    let lock = fs::OpenOptions::new().write(true).open(w.path("p/.quire/lock")).unwrap();
    lock.try_lock().unwrap();
    w.write("in/XX-1.txt", SMALL);
    let started = std::time::Instant::now();
    let r = w.run_env(&[("QUIRE_LOCK_WAIT", "0.5")], &["--project", "p", "ingest", "in"]);
    assert!(started.elapsed() >= std::time::Duration::from_millis(500), "it waited for the lock first");
    assert_eq!(r.status, 4);
    assert!(r.stderr.contains("another quire process is writing"), "{}", r.stderr);
    assert!(!w.path("p/sources/XX-1.txt").exists());
    drop(lock);
    w.run(&["--project", "p", "ingest", "in"]).ok();
}

#[test]
fn the_project_is_found_from_a_subdirectory_or_named() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", SMALL);
    let sub = w.path("p/memos");
    w.run_in(&sub, &["ingest", "../../in"]).ok();
    assert!(w.path("p/sources/XX-1.txt").exists());
    let r = w.run(&["sources"]).exits(2);
    assert!(r.stderr.contains("no quire project"), "{}", r.stderr);
    let again = w.run(&["init", "p"]).exits(4);
    assert!(again.stderr.contains("already a quire project"), "{}", again.stderr);
}

#[test]
fn init_writes_a_versioned_manifest_and_the_layout() {
    let w = Workdir::new();
    w.init("p", "pt");
    let manifest = fs::read_to_string(w.path("p/quire.toml")).unwrap();
    assert!(manifest.contains("format = 1") && manifest.contains("language = \"pt\""), "{manifest}");
    for dir in ["sources", "codings", "memos", ".quire"] {
        assert!(w.path("p").join(dir).is_dir(), "{dir}");
    }
    assert_eq!(fs::read(w.path("p/codebook.json")).unwrap(), fs::read(w.path("codebook/first48.json")).unwrap());
    w.write("q/quire.toml", manifest.replace("format = 1", "format = 99"));
    let r = w.run(&["--project", "q", "sources"]).exits(5);
    assert!(r.stderr.contains("format 99 is newer"), "{}", r.stderr);
}

#[test]
fn every_command_has_help_with_an_example() {
    let w = Workdir::new();
    let top = w.run(&["--help"]).ok().stdout;
    assert!(top.contains("Examples:"), "{top}");
    for cmd in [
        "init", "ingest", "sources", "show", "codebook", "code", "uncode", "sheet", "autocode", "quotes", "export", "import", "index", "demo",
        "merge", "table", "coders", "log", "undo", "tui",
    ] {
        let help = w.run(&[cmd, "--help"]).ok().stdout;
        assert!(help.contains("Example"), "{cmd}:\n{help}");
    }
    for sub in ["tree", "show", "validate", "add", "rename", "move", "merge", "remove", "export", "import"] {
        let help = w.run(&["codebook", sub, "--help"]).ok().stdout;
        assert!(help.contains("Example:\n  quire codebook"), "codebook {sub}:\n{help}");
    }
    for (cmd, sub) in [
        ("sheet", "export"),
        ("sheet", "import"),
        ("export", "quotes"),
        ("export", "qdpx"),
        ("import", "qdpx"),
        ("table", "sample"),
        ("table", "countries"),
        ("suggestions", "list"),
        ("suggestions", "accept"),
        ("suggestions", "reject"),
        ("orphans", "list"),
        ("orphans", "attach"),
        ("coders", "set"),
    ] {
        let help = w.run(&[cmd, sub, "--help"]).ok().stdout;
        let first = |word: &str| help.contains(&format!("{word}:\n  quire {cmd} {sub}"));
        assert!(first("Example") || first("Examples"), "{cmd} {sub}:\n{help}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let w = Workdir::new();
    w.country_project("fr");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["--project", "fr", "show", "FR-PE-01"])
        .current_dir(w.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The fixtures have the composition the study needs: per country at least four (former)
/// prisoner interviews, women in FR and DE only, one professional inside and one outside prison,
/// a focus group of four or more in BE, DE and PT (none in FR); each transcript 700-2,000 words.
#[test]
fn fixtures_have_the_study_composition() {
    let w = Workdir::new();
    for country in COUNTRIES {
        w.country_project(country);
        let listed = w.run(&["--project", country, "sources", "--format", "json"]).ok().json();
        let (mut prisoner_interviews, mut women, mut pi, mut pe, mut focus_group) = (0, 0, 0, 0, 0);
        for s in listed.as_array().unwrap() {
            let words = s["words"].as_u64().unwrap();
            assert!((700..=2000).contains(&words), "{} has {words} words", s["source"]);
            let respondents: Vec<&serde_json::Value> =
                s["speakers"].as_array().unwrap().iter().filter(|sp| !sp["interviewer"].as_bool().unwrap()).collect();
            let roles: Vec<&str> = respondents.iter().map(|r| r["attributes"]["role"].as_str().unwrap()).collect();
            women += respondents.iter().filter(|r| r["attributes"]["gender"] == "F").count();
            match s["method"].as_str().unwrap() {
                "focus-group" => focus_group = focus_group.max(respondents.len()),
                _ => match roles[0] {
                    "PR" | "EPR" => prisoner_interviews += 1,
                    "PI" => pi += 1,
                    "PE" => pe += 1,
                    other => panic!("unexpected role {other}"),
                },
            }
        }
        assert!(prisoner_interviews >= 4, "{country}: {prisoner_interviews} (ex-)prisoner interviews");
        assert!(pi >= 1 && pe >= 1, "{country}: professionals inside {pi}, outside {pe}");
        match country {
            "fr" | "de" => assert!(women >= 1, "{country}: women interviewed"),
            _ => assert_eq!(women, 0, "{country}: women were recruited only in FR and DE"),
        }
        match country {
            "fr" => assert_eq!(focus_group, 0, "no focus group in FR"),
            _ => assert!(focus_group >= 4, "{country}: focus group of {focus_group}"),
        }
    }
}

/// Records what a long step reports.
#[derive(Default)]
struct Recorder {
    steps: std::sync::Mutex<Vec<(String, u64)>>,
    done: std::sync::atomic::AtomicU64,
    ended: std::sync::atomic::AtomicUsize,
}

impl quire::progress::Progress for Recorder {
    fn begin(&self, step: &str, total: u64) {
        self.steps.lock().unwrap().push((step.to_string(), total));
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn end(&self) {
        self.ended.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn checking_transcripts_reports_progress_file_by_file() {
    use std::sync::atomic::Ordering;
    let w = Workdir::new();
    w.init("p", "pt");
    let project = quire::project::Project::open(&w.path("p")).unwrap();
    let files = quire::ingest::collect_files(&[w.path("fixtures/first48/pt")]).unwrap();
    let recorder = Recorder::default();
    let (planned, _warnings) = quire::ingest::plan(&project, &files, None, false, &recorder).unwrap();
    assert_eq!(*recorder.steps.lock().unwrap(), [("checking transcripts".to_string(), files.len() as u64)]);
    assert_eq!(recorder.done.load(Ordering::SeqCst), files.len() as u64);
    assert_eq!(recorder.ended.load(Ordering::SeqCst), 1);
    assert_eq!(planned.len(), files.len());
}

/// A project not found by search and a `--project` directory without a manifest are one kind of
/// error (usage, exit 2), each with its own message.
#[test]
fn a_missing_project_is_named_and_exits_2_however_it_was_looked_for() {
    let w = Workdir::new();
    let searched = w.run(&["sources"]).exits(2);
    assert_eq!(
        searched.stderr,
        format!(
            "quire: no quire project here or in any parent directory of {} (run `quire init DIR`, or pass --project DIR)\n",
            std::fs::canonicalize(w.path("")).unwrap().display()
        )
    );
    let named = w.run(&["--project", "nowhere", "sources"]).exits(2);
    assert_eq!(named.stderr, "quire: nowhere/quire.toml: No such file or directory (os error 2)\n");
}
