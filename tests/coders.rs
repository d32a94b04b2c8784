//! Coder kinds: only analysis coders are counted and quoted by default; autocode writes
//! suggestions that count only once a person accepts them.

mod common;

use common::{copy_dir, repo, snapshot, Workdir};

/// The Portuguese fixture project: coder `fixture` (analysis) and `fixture2` (reliability).
fn pt(w: &Workdir) -> &'static str {
    copy_dir(&repo().join("fixtures/first48/pt"), &w.path("pt"));
    "pt"
}

const ANALYSIS_THEMES: &str = "\
code,depth,name,PT,total
challenges,1,Challenges upon release,10,10
reasons,1,Reasons to use drugs at release,7,7
coping,1,Individual strategies to cope with risks,7,7
helpful,1,Positive and helpful measures at release,8,8
barriers,1,Barriers to continuity of care,5,5
practices,1,Promising practices for continuity of care,7,7
total,0,Any code,11,11
";

fn themes(w: &Workdir, extra: &[&str]) -> String {
    let mut args = vec!["--project", "pt", "table", "--rows", "code:1", "--format", "csv"];
    args.extend_from_slice(extra);
    w.run(&args).ok().stdout
}

#[test]
fn a_table_counts_the_analysis_coder_not_the_reliability_coder() {
    let w = Workdir::new();
    pt(&w);
    assert_eq!(themes(&w, &[]), ANALYSIS_THEMES);
    assert_eq!(themes(&w, &["--coder", "fixture"]), ANALYSIS_THEMES);
}

#[test]
fn coder_all_widens_a_table_to_every_coder() {
    let w = Workdir::new();
    pt(&w);
    let all = themes(&w, &["--coder", "all"]);
    assert_eq!(all.lines().nth(6), Some("practices,1,Promising practices for continuity of care,10,10"), "{all}");
    assert_eq!(all, themes(&w, &["--coder", "fixture,fixture2"]));
}

#[test]
fn coders_lists_kinds_and_counts() {
    let w = Workdir::new();
    pt(&w);
    let out = w.run(&["--project", "pt", "coders"]).ok().stdout;
    assert_eq!(
        out,
        "coder     kind         codings  counted\n\
         fixture   analysis     123      yes\n\
         fixture2  reliability  114      no\n"
    );
}

#[test]
fn quotes_say_which_coder_coded_them() {
    let w = Workdir::new();
    pt(&w);
    let csv = w.run(&["--project", "pt", "quotes", "--code", "practices/employment-programme", "--format", "csv"]).ok().stdout;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("segment,citation,country,speaker,text,codes,coders"));
    let coders: Vec<&str> = lines.map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(coders, ["fixture", "fixture"]);
    let text = w.run(&["--project", "pt", "quotes", "--code", "practices/employment-programme", "--coder", "fixture2", "--limit", "1"]).ok().stdout;
    assert!(text.ends_with("    PT-FG-01:24 · practices/employment-programme · by fixture2\n\n"), "{text}");
    let json = w.run(&["--project", "pt", "quotes", "--code", "practices/employment-programme", "--format", "json"]).ok().json();
    assert_eq!(json[0]["coders"], serde_json::json!(["fixture"]));
}

#[test]
fn autocode_writes_suggestions_that_tables_and_quotes_leave_out() {
    let w = Workdir::new();
    pt(&w);
    let quotes_before = w.run(&["--project", "pt", "quotes", "--code", "barriers", "--format", "csv"]).ok().stdout;
    let r = w.run(&["--project", "pt", "autocode"]).ok();
    assert!(r.stderr.contains("suggestions are not counted or quoted until accepted"), "{}", r.stderr);
    assert_eq!(themes(&w, &[]), ANALYSIS_THEMES);
    assert_eq!(w.run(&["--project", "pt", "quotes", "--code", "barriers", "--format", "csv"]).ok().stdout, quotes_before);
    let listed = w.run(&["--project", "pt", "coders"]).ok().stdout;
    assert!(listed.starts_with("coder     kind         codings  counted\nauto      suggestion"), "{listed}");
    assert!(listed.lines().nth(1).unwrap().ends_with("  no"), "{listed}");
}

#[test]
fn an_accepted_suggestion_becomes_the_coders_coding() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--code", "barriers/insurance-delay"]).ok();
    let query = ["--project", "pt", "quotes", "--code", "barriers/insurance-delay", "--format", "csv"];
    assert!(!w.run(&query).ok().stdout.contains("PT-PR-01:2,"));
    let listed = w.run(&["--project", "pt", "suggestions", "list", "--segment", "PT-PR-01:2", "--format", "csv"]).ok();
    assert!(
        listed.stdout.starts_with("segment,code,suggested by,citation,text\nPT-PR-01:2,barriers/insurance-delay,auto,\"(PR, M, PT)\","),
        "{}",
        listed.stdout
    );
    let r = w.run(&["--project", "pt", "suggestions", "accept", "--segment", "PT-PR-01:2", "--coder", "fixture"]).ok();
    assert_eq!(r.stderr, "accepted 1 suggestion(s) as codings of fixture: 1 new, 0 already coded\n");
    let after = w.run(&query).ok().stdout;
    assert!(after.lines().any(|l| l.starts_with("PT-PR-01:2,") && l.ends_with(",barriers/insurance-delay,fixture")), "{after}");
    let gone = w.run(&["--project", "pt", "suggestions", "list", "--segment", "PT-PR-01:2"]).ok();
    assert_eq!(gone.stderr, "0 pending suggestion(s)\n");
}

#[test]
fn a_rejected_suggestion_is_not_proposed_again() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--code", "practices"]).ok();
    let pending = w.run(&["--project", "pt", "suggestions", "list", "--code", "practices"]).ok().stderr;
    let n: usize = pending.split(' ').next().unwrap().parse().unwrap();
    assert!(n > 10, "{pending}");
    let r = w.run(&["--project", "pt", "suggestions", "reject", "--code", "practices"]).ok();
    assert_eq!(r.stderr, format!("rejected {n} suggestion(s)\n"));
    w.run(&["--project", "pt", "autocode", "--code", "practices"]).ok();
    assert_eq!(w.run(&["--project", "pt", "suggestions", "list", "--code", "practices"]).ok().stderr, "0 pending suggestion(s)\n");
    assert!(w.path("pt/codings/auto.rejected.csv").is_file());
}

#[test]
fn a_dry_run_review_writes_nothing() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--code", "practices"]).ok();
    let before = snapshot(&w.path("pt"));
    let r = w.run(&["--project", "pt", "suggestions", "accept", "--all", "--dry-run"]).ok();
    assert!(r.stderr.starts_with("would accept ") && r.stderr.ends_with(" (dry run: nothing written)\n"), "{}", r.stderr);
    w.run(&["--project", "pt", "suggestions", "reject", "--all", "--dry-run"]).ok();
    assert_eq!(snapshot(&w.path("pt")), before);
}

#[test]
fn suggestions_are_accepted_only_as_an_analysis_coder() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--code", "practices"]).ok();
    let before = snapshot(&w.path("pt"));
    let r = w.run(&["--project", "pt", "suggestions", "accept", "--all", "--coder", "fixture2"]).exits(4);
    assert_eq!(
        r.stderr,
        "quire: `fixture2` is not an analysis coder (kind: reliability): suggestions are accepted as an analysis coder's codings (pass --coder NAME)\n"
    );
    assert_eq!(snapshot(&w.path("pt")), before);
}

#[test]
fn accept_and_reject_need_to_be_told_which() {
    let w = Workdir::new();
    pt(&w);
    let r = w.run(&["--project", "pt", "suggestions", "reject"]).exits(2);
    assert_eq!(r.stderr, "quire: say which suggestions: --code, --source, --segment, or --all\n");
}

#[test]
fn autocode_refuses_to_write_into_an_analysis_coders_codings() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--dry-run"]).ok();
    let before = snapshot(&w.path("pt"));
    let r = w.run(&["--project", "pt", "autocode", "--coder", "fixture"]).exits(4);
    assert_eq!(
        r.stderr,
        "quire: `fixture` has codings and is not a suggestion coder (kind: analysis): autocode writes suggestions under a suggestion coder \
(the default `auto`, or first `quire coders set fixture suggestion`)\n"
    );
    assert_eq!(snapshot(&w.path("pt")), before);
}

#[test]
fn autocode_under_a_new_name_records_it_as_a_suggestion_coder() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--coder", "rules-v2", "--code", "practices"]).ok();
    let manifest = std::fs::read_to_string(w.path("pt/quire.toml")).unwrap();
    assert!(manifest.ends_with("[coders]\nfixture2 = \"reliability\"\nrules-v2 = \"suggestion\"\n"), "{manifest}");
    assert_eq!(themes(&w, &[]), ANALYSIS_THEMES);
}

#[test]
fn setting_a_kind_writes_manifest_format_2_and_changes_what_is_counted() {
    let w = Workdir::new();
    copy_dir(&repo().join("tests/compat/v1"), &w.path("v1"));
    w.run(&["--project", "v1", "code", "BE-X-01:2", "housing", "--coder", "ana"]).ok();
    let counted = |w: &Workdir| w.run(&["--project", "v1", "table", "--rows", "code:1", "--format", "csv"]).ok().stdout;
    assert!(counted(&w).contains("\nchallenges,1,Challenges upon release,1,1\n"), "{}", counted(&w));
    assert!(std::fs::read_to_string(w.path("v1/quire.toml")).unwrap().contains("format = 1\n"));
    let r = w.run(&["--project", "v1", "coders", "set", "ana", "reliability"]).ok();
    assert_eq!(r.stderr, "ana: analysis → reliability\n");
    let manifest = std::fs::read_to_string(w.path("v1/quire.toml")).unwrap();
    assert!(manifest.contains("format = 2\n") && manifest.ends_with("[coders]\nana = \"reliability\"\n"), "{manifest}");
    assert!(counted(&w).contains("\nchallenges,1,Challenges upon release,0,0\n"), "{}", counted(&w));
}

#[test]
fn a_merge_keeps_each_inputs_coder_kinds() {
    let w = Workdir::new();
    w.run(&["merge", "fixtures/first48/be", "fixtures/first48/pt", "--into", "both"]).ok();
    let manifest = std::fs::read_to_string(w.path("both/quire.toml")).unwrap();
    assert!(manifest.ends_with("[coders]\nfixture2 = \"reliability\"\n"), "{manifest}");
    let listed = w.run(&["--project", "both", "coders"]).ok().stdout;
    assert!(listed.ends_with("fixture2  reliability  114      no\n"), "{listed}");
}

#[test]
fn the_report_says_whose_codings_it_counts() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "report", "--out", "r.html"]).ok();
    let html = std::fs::read_to_string(w.path("r.html")).unwrap();
    assert!(html.contains("with at least one coded segment, in the codings of coder fixture.</p>"), "{html}");
    w.run(&["--project", "pt", "report", "--out", "all.html", "--coder", "all"]).ok();
    let html = std::fs::read_to_string(w.path("all.html")).unwrap();
    assert!(html.contains("in the codings of coders fixture, fixture2.</p>"));
}

#[test]
fn suggestions_are_reviewed_in_the_coding_sheet() {
    let w = Workdir::new();
    pt(&w);
    w.run(&["--project", "pt", "autocode", "--code", "barriers/insurance-delay"]).ok();
    let sheet = w.run(&["--project", "pt", "sheet", "export", "--source", "PT-PR-01", "--coder", "fixture", "--suggestions"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().rev().take(3).collect::<Vec<_>>(), ["suggested", "codes", "text"]);
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let row = rows.iter_mut().find(|r| &r[0] == "PT-PR-01:2").unwrap();
    let (codes, suggested) = (row.len() - 2, row.len() - 1);
    assert_eq!((&row[codes], &row[suggested]), ("", "barriers/insurance-delay"));
    // The reviewer accepts it by copying it into `codes`.
    let mut fields: Vec<String> = row.iter().map(String::from).collect();
    fields[codes] = fields[suggested].clone();
    *row = csv::StringRecord::from(fields);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for r in &rows {
        out.write_record(r).unwrap();
    }
    w.write("review.csv", out.into_inner().unwrap());
    let r = w.run(&["--project", "pt", "sheet", "import", "review.csv", "--coder", "fixture"]).ok();
    assert!(r.stderr.contains("1 pending suggestion(s) the sheet gave fixture were accepted (no longer suggested)\n"), "{}", r.stderr);
    assert_eq!(w.run(&["--project", "pt", "suggestions", "list", "--segment", "PT-PR-01:2"]).ok().stderr, "0 pending suggestion(s)\n");
    let quotes = w.run(&["--project", "pt", "quotes", "--code", "barriers/insurance-delay", "--format", "csv"]).ok().stdout;
    assert!(quotes.lines().any(|l| l.starts_with("PT-PR-01:2,") && l.ends_with(",fixture")), "{quotes}");
}
