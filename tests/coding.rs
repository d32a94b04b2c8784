//! Integration tests for coding, the coding sheet, re-anchoring, autocoding, the index and quotes.

mod common;

use common::{snapshot, Workdir, COUNTRIES};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// Rows of a codings CSV as (source, start, end, code, text), read independently of quire.
fn codings(path: &std::path::Path) -> Vec<(String, usize, usize, String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), ["source", "start", "end", "code", "coder", "created", "text"]);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse().unwrap(), rec[2].parse().unwrap(), rec[3].to_string(), rec[6].to_string())
        })
        .collect()
}

fn body_of(w: &Workdir, project: &str, source: &str) -> Vec<char> {
    let t = fs::read_to_string(w.path(&format!("{project}/sources/{source}.txt"))).unwrap();
    t.splitn(3, "---\n").nth(2).unwrap().chars().collect()
}

/// Respondent segments of a project as id -> (source, start, end, attributes), from `show --format json`.
fn segments(w: &Workdir, project: &str) -> BTreeMap<String, (String, usize, usize, String)> {
    let listed = w.run(&["--project", project, "sources", "--format", "json"]).ok().json();
    let mut out = BTreeMap::new();
    for s in listed.as_array().unwrap() {
        let id = s["source"].as_str().unwrap();
        let shown = w.run(&["--project", project, "show", id, "--respondents", "--format", "json"]).ok().json();
        for seg in shown.as_array().unwrap() {
            out.insert(
                seg["id"].as_str().unwrap().to_string(),
                (
                    id.to_string(),
                    seg["start"].as_u64().unwrap() as usize,
                    seg["end"].as_u64().unwrap() as usize,
                    seg["citation"].as_str().unwrap().to_string(),
                ),
            );
        }
    }
    out
}

fn quote_ids(w: &Workdir, project: &str, args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["--project", project, "quotes", "--format", "json"];
    all.extend_from_slice(args);
    let json = w.run(&all).ok().json();
    json.as_array().unwrap().iter().map(|q| q["segment"].as_str().unwrap().to_string()).collect()
}

#[test]
fn code_and_uncode_segments_ranges_and_spans() {
    let w = Workdir::new();
    w.country_project("pt");
    let p = |args: &[&str]| {
        let mut all = vec!["--project", "pt"];
        all.extend_from_slice(args);
        w.run(&all)
    };
    p(&["code", "PT-PR-01:5", "housing", "--coder", "ana"]).ok();
    // Segment 7 is an interviewer turn: the range codes 6 and 8.
    let r = p(&["code", "PT-PR-01:6-8", "stigma", "loneliness", "--coder", "ana"]).ok();
    assert_eq!(r.stderr, "skipped 1 interviewer paragraph(s) of PT-PR-01:6-8: only respondent text is coded\n4 coding(s) added for ana\n");
    // Whole words of the first answer ("saio em outubro"): a span is coded as given.
    p(&["code", "PT-PR-01@70..85", "boredom", "--coder", "ana"]).ok();
    let rows = codings(&w.path("pt/codings/ana.csv"));
    assert_eq!(rows.len(), 1 + 2 * 2 + 1);
    let body = body_of(&w, "pt", "PT-PR-01");
    for (_, start, end, _, text) in &rows {
        assert_eq!(&body[*start..*end].iter().collect::<String>(), text, "text is the exact span");
    }
    assert!(rows.iter().any(|r| r.1 == 70 && r.2 == 85 && r.3 == "reasons/boredom" && r.4 == "saio em outubro"));
    // Rows are sorted deterministically.
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| (&a.0, a.1, a.2, &a.3).cmp(&(&b.0, b.1, b.2, &b.3)));
    assert_eq!(rows, sorted);

    p(&["uncode", "PT-PR-01:6-8", "stigma", "--coder", "ana"]).ok();
    assert_eq!(codings(&w.path("pt/codings/ana.csv")).len(), 4);

    // Bad input: one message, non-zero exit, nothing written.
    let before = snapshot(&w.path("pt"));
    for (args, expected, status) in [
        (vec!["code", "PT-PR-01:4", "no-such-code"], "unknown code `no-such-code`", 3),
        (vec!["code", "PT-PR-01:999", "housing"], "PT-PR-01:999: no such segment", 2),
        (vec!["code", "PT-XX-01:1", "housing"], "unknown source `PT-XX-01`", 3),
        (vec!["code", "PT-PR-01@10..999999", "housing"], "span out of range", 2),
        (vec!["code", "PT-PR-01@30..10", "housing"], "span out of range", 2),
        (vec!["code", "PT-PR-01:3-2", "housing"], "range runs backwards", 2),
    ] {
        let r = p(&args).exits(status);
        assert!(r.stderr.contains(expected), "{args:?}: expected `{expected}` in {}", r.stderr);
        assert_eq!(snapshot(&w.path("pt")), before, "{args:?} changed the project");
    }
}

#[test]
fn codebook_edits_keep_codings_attached() {
    let w = Workdir::new();
    w.country_project("be");
    w.run(&["--project", "be", "code", "BE-PR-01:2", "housing"]).ok();
    w.run(&["--project", "be", "codebook", "rename", "housing", "lost-flat"]).ok();
    w.run(&["--project", "be", "codebook", "move", "lost-flat", "challenges/individual"]).ok();
    let rows = codings(&w.path("be/codings/me.csv"));
    assert_eq!(rows[0].3, "challenges/individual/lost-flat");
    w.run(&["--project", "be", "codebook", "merge", "lost-flat", "stigma"]).ok();
    assert_eq!(codings(&w.path("be/codings/me.csv"))[0].3, "challenges/individual/stigma");
    let r = w.run(&["--project", "be", "codebook", "remove", "stigma"]).exits(4);
    assert!(r.stderr.contains("1 coding(s) use"), "{}", r.stderr);
    w.run(&["--project", "be", "codebook", "remove", "stigma", "--force"]).ok();
    assert!(codings(&w.path("be/codings/me.csv")).is_empty());
}

#[test]
fn quotes_on_a_parent_code_include_descendants_and_match_the_codings() {
    let w = Workdir::new();
    let project = "fixtures/first48/de";
    let segs = segments(&w, project);
    let rows = codings(&w.path(&format!("{project}/codings/fixture.csv")));
    // Independent count: respondent segments overlapped by a coding under `challenges`.
    let expected: BTreeSet<String> = segs
        .iter()
        .filter(|(_, (src, s, e, _))| rows.iter().any(|r| &r.0 == src && r.1 < *e && *s < r.2 && r.3.starts_with("challenges/")))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(quote_ids(&w, project, &["--code", "challenges"]), expected);
    // Nothing is coded on the parent itself, so all of these come from descendants.
    assert!(rows.iter().all(|r| r.3 != "challenges"));
    // A limit returns the first quotes of the full, ordered list (read without the others).
    let all = w.run(&["--project", project, "quotes", "--code", "challenges", "--allow-flagged", "--format", "json"]).ok().json();
    let first = w.run(&["--project", project, "quotes", "--code", "challenges", "--allow-flagged", "--limit", "4", "--format", "json"]).ok();
    assert_eq!(first.json().as_array().unwrap()[..], all.as_array().unwrap()[..4]);
    assert!(first.stderr.contains(&format!("4 of {} quote(s)", all.as_array().unwrap().len())), "{}", first.stderr);
    let text = w.run(&["--project", project, "quotes", "--code", "challenges", "--limit", "1"]).ok().stdout;
    assert!(text.starts_with('"') && text.contains("\" (") && text.contains("DE-"), "{text}");
}

#[test]
fn attribute_filters_and_across_keys_or_within_a_key() {
    let w = Workdir::new();
    let project = "fixtures/first48/de";
    let segs = segments(&w, project);
    let rows = codings(&w.path(&format!("{project}/codings/fixture.csv")));
    let coded: BTreeSet<&String> =
        segs.iter().filter(|(_, (src, s, e, _))| rows.iter().any(|r| &r.0 == src && r.1 < *e && *s < r.2)).map(|(id, _)| id).collect();
    let expected: BTreeSet<String> = coded
        .iter()
        .filter(|id| {
            let c = &segs[id.as_str()].3;
            (c.starts_with("(PR, F") || c.starts_with("(EPR, F")) && c.ends_with("DE)")
        })
        .map(|id| id.to_string())
        .collect();
    assert!(!expected.is_empty());
    let got = quote_ids(&w, project, &["--coder", "fixture", "--where", "role=PR,EPR", "--where", "gender=F"]);
    assert_eq!(got, expected);
    // OR within a key widens, AND across keys narrows.
    let women = quote_ids(&w, project, &["--coder", "fixture", "--where", "gender=F"]);
    let pros = quote_ids(&w, project, &["--coder", "fixture", "--where", "role=PI,PE"]);
    assert!(women.is_superset(&got) && pros.is_disjoint(&got) && !pros.is_empty());
    let r = w.run(&["--project", project, "quotes", "--where", "shoe=42"]).exits(2);
    assert!(r.stderr.contains("unknown attribute `shoe`"), "{}", r.stderr);
}

#[test]
fn text_queries_are_stemmed_in_the_segment_language() {
    let w = Workdir::new();
    let fr = quote_ids(&w, "fixtures/first48/fr", &["logements"]);
    let single = quote_ids(&w, "fixtures/first48/fr", &["logement"]);
    assert!(!fr.is_empty() && fr == single, "singular and plural find the same segments");
    let de = quote_ids(&w, "fixtures/first48/de", &["Wohnungen"]);
    assert!(!de.is_empty());
    let phrase = quote_ids(&w, "fixtures/first48/pt", &["\"equipa de rua\""]);
    assert!(!phrase.is_empty());
    let r = w.run(&["--project", "fixtures/first48/pt", "quotes", "(casa"]).exits(2);
    assert!(r.stderr.contains("unbalanced parenthesis"), "{}", r.stderr);
}

/// Respondent segments whose text (read from the stored transcript) holds a word starting with
/// `stem`, ignoring case: the fixtures hold only `logement` and `Wohnung`/`Wohnungen` of these.
fn segments_with_word(w: &Workdir, project: &str, stem: &str) -> BTreeSet<String> {
    let mut bodies = BTreeMap::new();
    segments(w, project)
        .into_iter()
        .filter(|(_, (src, s, e, _))| {
            let body = bodies.entry(src.clone()).or_insert_with(|| body_of(w, project, src));
            let text: String = body[*s..*e].iter().collect::<String>().to_lowercase();
            text.split(|c: char| !c.is_alphanumeric()).any(|word| word.starts_with(stem))
        })
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn a_text_query_returns_exactly_the_segments_holding_the_word_in_any_inflection() {
    let w = Workdir::new();
    let project = "fixtures/first48/fr";
    let expected = segments_with_word(&w, project, "logement");
    let all = quote_ids(&w, project, &["--allow-flagged"]);
    assert!(!expected.is_empty() && expected.len() < all.len(), "{} of {}", expected.len(), all.len());
    // The plural is not in the text: it finds the singular through the French stemmer.
    assert_eq!(quote_ids(&w, project, &["logements"]), expected);
    assert_eq!(quote_ids(&w, "fixtures/first48/de", &["Wohnungen"]), segments_with_word(&w, "fixtures/first48/de", "wohnung"));
}

#[test]
fn two_code_options_require_both_codes() {
    let w = Workdir::new();
    let project = "fixtures/first48/be";
    let challenges = quote_ids(&w, project, &["--code", "challenges"]);
    let reasons = quote_ids(&w, project, &["--code", "reasons"]);
    let both: BTreeSet<String> = challenges.intersection(&reasons).cloned().collect();
    assert!(!both.is_empty() && both.len() < challenges.len() && both.len() < reasons.len(), "{both:?}");
    assert_eq!(quote_ids(&w, project, &["--code", "challenges", "--code", "reasons"]), both);
    // A comma is OR: either code.
    let either: BTreeSet<String> = challenges.union(&reasons).cloned().collect();
    assert_eq!(quote_ids(&w, project, &["--code", "challenges,reasons"]), either);
}

const TRANSCRIPTS: [(&str, &str, &str); 3] = [
    ("FR-T-01", "fr", "R: Je n'avais plus de logements, tout était perdu.\nI: Et après?\nR: Rien à signaler.\n"),
    ("DE-T-01", "de", "R: Die Wohnungen in der Stadt sind zu teuer.\nI: Und dann?\nR: Nichts weiter.\n"),
    ("PT-T-01", "pt", "R: Não tinha casas para onde ir.\nI: E depois?\nR: Nada de especial.\n"),
];

/// Three transcripts in three languages and a code with a rule in each.
fn home_test_project(w: &Workdir) {
    w.init("p", "en");
    for (id, lang, body) in TRANSCRIPTS {
        let country = &id[..2];
        w.write(
            &format!("in/{id}.txt"),
            format!("---\nsource: {id}\ncountry: {country}\nlanguage: {lang}\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\n{body}"),
        );
    }
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.run(&[
        "--project",
        "p",
        "codebook",
        "add",
        "structural/home-test",
        "--name",
        "Home test",
        "--rule",
        "fr=logement",
        "--rule",
        "de=Wohnung",
        "--rule",
        "pt=casa",
    ])
    .ok();
}

#[test]
fn autocoding_matches_stemmed_words_in_three_languages() {
    let w = Workdir::new();
    home_test_project(&w);
    let dry = w.run(&["--project", "p", "autocode", "--code", "home-test", "--dry-run", "--format", "csv"]).ok();
    assert!(!w.path("p/codings/auto.csv").exists(), "dry run writes nothing");
    let proposed: BTreeSet<String> = csv::Reader::from_reader(dry.stdout.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(proposed, ["DE-T-01:1", "FR-T-01:1", "PT-T-01:1"].map(String::from).into_iter().collect());
    w.run(&["--project", "p", "autocode", "--code", "home-test"]).ok();
    let rows = codings(&w.path("p/codings/auto.csv"));
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.3 == "challenges/structural/home-test"));
    // Running again adds nothing.
    let again = w.run(&["--project", "p", "autocode", "--code", "home-test"]).ok();
    assert!(again.stderr.contains("0 new suggestion(s) of auto, 3 already suggested"), "{}", again.stderr);
}

/// The autocoding project of the test above, autocoded once; returns the coding file's lines.
fn autocoded(w: &Workdir) -> Vec<String> {
    home_test_project(w);
    w.run(&["--project", "p", "autocode", "--code", "home-test"]).ok();
    fs::read_to_string(w.path("p/codings/auto.csv")).unwrap().lines().map(String::from).collect()
}

/// Rewrites a coding file's data rows: `edit` gets them as CSV records and returns the new rows.
fn rewrite_codings(path: &std::path::Path, edit: impl FnOnce(Vec<Vec<String>>) -> Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&header).unwrap();
    for row in edit(rows) {
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn autocoding_again_keeps_existing_codings_and_their_times() {
    let w = Workdir::new();
    let first = autocoded(&w);
    assert_eq!(first.len(), 4, "{first:?}");
    let file = w.path("p/codings/auto.csv");
    // Sorted, as quire writes it, with one coding lost and the others made earlier.
    rewrite_codings(&file, |mut rows| {
        rows.remove(1);
        rows.iter_mut().for_each(|r| r[5] = "2020-01-01T00:00:00Z".into());
        rows
    });
    let r = w.run(&["--project", "p", "autocode", "--code", "home-test"]).ok();
    assert!(r.stderr.contains("1 new suggestion(s) of auto, 2 already suggested"), "{}", r.stderr);
    let after: Vec<String> = fs::read_to_string(&file).unwrap().lines().map(String::from).collect();
    assert_eq!(after.len(), 4);
    assert!(after[1].contains(",2020-01-01T00:00:00Z,") && after[3].contains(",2020-01-01T00:00:00Z,"), "{after:?}");
    // The lost coding is back, in its place (with the time of this run, which may be a later second).
    let without_time = |line: &str| line.split(',').enumerate().filter(|(i, _)| *i != 5).map(|(_, f)| f.to_string()).collect::<Vec<_>>();
    assert_eq!(without_time(&after[2]), without_time(&first[2]), "{after:?}");
    // Edited out of order, with a coding of another span: read whole, sorted, nothing lost.
    rewrite_codings(&file, |mut rows| {
        rows.reverse();
        let mut extra = rows[0].clone();
        (extra[1], extra[2]) = ("0".into(), "2".into());
        rows.push(extra);
        rows
    });
    let r = w.run(&["--project", "p", "autocode", "--code", "home-test"]).ok();
    assert!(r.stderr.contains("0 new suggestion(s) of auto, 3 already suggested"), "{}", r.stderr);
    let rows = codings(&file);
    assert_eq!(rows.len(), 4);
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted, "written in order");
    assert!(rows.iter().any(|r| (r.1, r.2) == (0, 2)));
}

#[test]
fn a_rule_with_invalid_syntax_stops_autocode_with_its_location() {
    let w = Workdir::new();
    w.country_project("fr");
    let path = w.path("fr/codebook.json");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    json["codes"][0]["children"][1]["children"][0]["rules"]["fr"] = "logement OR (foyer".into();
    fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let before = snapshot(&w.path("fr"));
    let r = w.run(&["--project", "fr", "autocode"]).exits(3);
    assert!(r.stderr.contains("codebook.json") && r.stderr.contains("$.codes[0].children[1].children[0].rules.fr"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("fr")), before);
}

#[test]
fn the_coding_sheet_round_trips_and_rejects_bad_rows() {
    let w = Workdir::new();
    w.country_project("be");
    let sheet = w.run(&["--project", "be", "sheet", "export", "--source", "BE-PR-01"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert!(["segment", "citation", "role", "gender", "country", "text", "codes"].iter().all(|h| headers.iter().any(|x| x == *h)), "{headers:?}");
    let mut records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(records.iter().all(|r| r[1] == *"(PR, M, BE)"));
    let codes_col = headers.iter().position(|h| h == "codes").unwrap();
    let text_col = headers.iter().position(|h| h == "text").unwrap();
    let fill = |rec: &csv::StringRecord, codes: &str| {
        let mut v: Vec<String> = rec.iter().map(String::from).collect();
        v[codes_col] = codes.to_string();
        csv::StringRecord::from(v)
    };
    records[0] = fill(&records[0], "housing;challenges/individual/stigma");
    records[2] = fill(&records[2], "craving");
    let write = |name: &str, records: &[csv::StringRecord]| {
        let mut wtr = csv::Writer::from_path(w.path(name)).unwrap();
        wtr.write_record(&headers).unwrap();
        for r in records {
            wtr.write_record(r).unwrap();
        }
        wtr.flush().unwrap();
    };
    write("filled.csv", &records);
    w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana"]).ok();
    let rows = codings(&w.path("be/codings/ana.csv"));
    let got: BTreeSet<(String, String)> = rows.iter().map(|r| (r.0.clone(), r.3.clone())).collect();
    assert_eq!(rows.len(), 3);
    assert!(got.contains(&("BE-PR-01".into(), "challenges/structural/housing".into())));
    assert_eq!(rows.iter().find(|r| r.3 == "reasons/craving").unwrap().4, records[2][text_col]);
    // Export with the coder pre-fills the same codes: the round trip is stable.
    let again = w.run(&["--project", "be", "sheet", "export", "--source", "BE-PR-01", "--coder", "ana"]).ok().stdout;
    let refilled: Vec<csv::StringRecord> = csv::Reader::from_reader(again.as_bytes()).records().map(|r| r.unwrap()).collect();
    assert_eq!(&refilled[0][codes_col], "challenges/individual/stigma;challenges/structural/housing");
    assert_eq!(&refilled[2][codes_col], "reasons/craving");
    // Removing a code in the sheet removes the coding with --sync (tests/sheet.rs: not without).
    records[2] = fill(&records[2], "");
    write("filled.csv", &records);
    w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana", "--sync"]).ok();
    assert_eq!(codings(&w.path("be/codings/ana.csv")).len(), 2);

    // Bad sheets: each problem named by line, nothing written.
    let before = snapshot(&w.path("be"));
    let mut edited = records.clone();
    let mut v: Vec<String> = edited[3].iter().map(String::from).collect();
    v[text_col] = format!("{} (edited)", v[text_col]);
    v[codes_col] = "housing".into();
    edited[3] = csv::StringRecord::from(v);
    edited[4] = fill(&edited[4], "no-such-code");
    write("bad.csv", &edited);
    let r = w.run(&["--project", "be", "sheet", "import", "bad.csv", "--coder", "ana"]).exits(3);
    assert!(r.stderr.contains("bad.csv:5: the text of BE-PR-01:"), "{}", r.stderr);
    // Line numbers are where a row starts (a quoted text may span lines).
    let line: usize =
        r.stderr.lines().find(|l| l.contains("unknown code `no-such-code`")).unwrap()["bad.csv:".len()..].split(':').next().unwrap().parse().unwrap();
    assert!(line > 5, "{}", r.stderr);
    w.write("malformed.csv", format!("{}\nBE-PR-01:2,only,three\n", headers.iter().collect::<Vec<_>>().join(",")));
    let r = w.run(&["--project", "be", "sheet", "import", "malformed.csv", "--coder", "ana"]).exits(3);
    assert!(r.stderr.contains("malformed.csv:2: malformed row"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("be")), before);
}

#[test]
fn a_coding_file_saved_by_a_spreadsheet_reads_the_same_and_a_bad_row_is_named_by_its_line() {
    let w = Workdir::new();
    let project = "fixtures/first48/pt";
    let path = w.path(&format!("{project}/codings/fixture.csv"));
    let quotes = || w.run(&["--project", project, "quotes", "--code", "housing", "--format", "json"]);
    let reference = quotes().ok().stdout;
    let original = fs::read_to_string(&path).unwrap();
    // Saved on Windows by a spreadsheet: a byte order mark, CRLF line ends, a blank line.
    let saved = |text: &str| {
        let (header, body) = text.split_once('\n').unwrap();
        format!("\u{feff}{header}\n\n{body}").replace('\n', "\r\n")
    };
    fs::write(&path, saved(&original)).unwrap();
    assert_eq!(quotes().ok().stdout, reference);
    // The last row, after rows whose quoted text spans lines, gets a reversed span.
    let mut reader = csv::Reader::from_reader(original.as_bytes());
    let last = reader.records().last().unwrap().unwrap();
    let at = last.position().unwrap().byte() as usize;
    let row = &original[at..];
    let (source, rest) = row.split_once(',').unwrap();
    let (start, rest) = rest.split_once(',').unwrap();
    let (end, rest) = rest.split_once(',').unwrap();
    let broken = format!("{}{source},{end},{start},{rest}", &original[..at]);
    // Its line: the lines before it in the original, the blank line, and its own.
    let line = original[..at].matches('\n').count() + 2;
    assert!(line > last.position().unwrap().record() as usize + 2, "quoted texts span lines before it");
    fs::write(&path, saved(&broken)).unwrap();
    let r = quotes().exits(3);
    assert!(r.stderr.contains(&format!("fixture.csv:{line}: ")) && r.stderr.contains("reversed span"), "line {line}: {}", r.stderr);
}

#[test]
fn replacing_a_source_reanchors_codings_by_text_and_keeps_orphans() {
    let w = Workdir::new();
    w.country_project("fr");
    let segs = segments(&w, "fr");
    let ids: Vec<&String> = segs.keys().filter(|k| k.starts_with("FR-PR-02:")).collect();
    let (first, second) = (ids[0].clone(), ids[1].clone());
    let (_, s4, e4, _) = segs[&first].clone();
    let (_, s6, _, _) = segs[&second].clone();
    w.run(&["--project", "fr", "code", &first, "housing"]).ok();
    w.run(&["--project", "fr", "code", &format!("FR-PR-02@{s6}..{}", s6 + 12), "stigma"]).ok();
    let before = codings(&w.path("fr/codings/me.csv"));
    let gone_text = before.iter().find(|r| r.3.ends_with("stigma")).unwrap().4.clone();
    let kept_text = before.iter().find(|r| r.3.ends_with("housing")).unwrap().4.clone();
    assert_eq!(kept_text, body_of(&w, "fr", "FR-PR-02")[s4..e4].iter().collect::<String>());

    let original = fs::read_to_string(w.path("fixtures/first48/fr/sources/FR-PR-02.txt")).unwrap();
    let edited = original.replacen("\nI: ", "\nI: Une question ajoutée ici.\nR: Une réponse ajoutée.\nI: ", 1).replacen(&gone_text, "", 1);
    w.write("edited/FR-PR-02.txt", &edited);
    let r = w.run(&["--project", "fr", "ingest", "--replace", "edited/FR-PR-02.txt"]).ok();
    assert!(r.stderr.contains("1 re-anchored by their text, 1 orphaned"), "{}", r.stderr);
    assert!(r.stderr.contains("orphaned  FR-PR-02@"), "{}", r.stderr);
    let after = codings(&w.path("fr/codings/me.csv"));
    assert_eq!(after.len(), 1);
    let moved = &after[0];
    assert_eq!(moved.4, kept_text);
    assert!(moved.1 > s4, "the coding moved with its text");
    assert_eq!(body_of(&w, "fr", "FR-PR-02")[moved.1..moved.2].iter().collect::<String>(), kept_text);
    let orphans = codings(&w.path("fr/codings/me.orphaned.csv"));
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].4, gone_text);
}

#[test]
fn a_missing_or_corrupt_index_is_rebuilt() {
    let w = Workdir::new();
    w.country_project("pt");
    w.run(&["--project", "pt", "code", "PT-PR-01:2", "housing"]).ok();
    let first = quote_ids(&w, "pt", &["--code", "housing"]);
    assert_eq!(first, BTreeSet::from(["PT-PR-01:2".to_string()]));
    // The index follows changes.
    w.run(&["--project", "pt", "code", "PT-PR-02:2", "housing"]).ok();
    assert_eq!(quote_ids(&w, "pt", &["--code", "housing"]).len(), 2);
    // Corrupt every file of the index: the next query rebuilds it.
    for entry in fs::read_dir(w.path("pt/.quire/index")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::write(&path, b"garbage").unwrap();
        }
    }
    assert_eq!(quote_ids(&w, "pt", &["--code", "housing"]).len(), 2);
    fs::remove_dir_all(w.path("pt/.quire/index")).unwrap();
    assert_eq!(quote_ids(&w, "pt", &["--code", "housing"]).len(), 2);
    let r = w.run(&["--project", "pt", "index", "--rebuild"]).ok();
    let respondent_and_interviewer: usize = w
        .run(&["--project", "pt", "sources", "--format", "json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segments"].as_u64().unwrap() as usize)
        .sum();
    assert!(r.stderr.contains(&format!("index rebuilt: {respondent_and_interviewer} segments")), "{}", r.stderr);
    assert!(w.run(&["--project", "pt", "index"]).ok().stderr.contains("index up to date"));
    // An index written by an earlier quire is rebuilt rather than read, even with the project
    // unchanged: format 2 stored codes as text and had no flags; format 3 kept quotes in
    // tantivy's doc store and has no quote file.
    let meta_path = w.path("pt/.quire/index/quire-index.json");
    let current: serde_json::Value = serde_json::from_slice(&fs::read(&meta_path).unwrap()).unwrap();
    for (format, extra) in [(2, serde_json::json!({})), (3, serde_json::json!({ "lists": current["lists"], "codes": current["codes"] }))] {
        let mut meta = serde_json::json!({ "format": format, "fingerprint": current["fingerprint"], "attributes": current["attributes"] });
        meta.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        fs::write(&meta_path, meta.to_string()).unwrap();
        if format == 3 {
            fs::remove_file(w.path("pt/.quire/index/quotes.bin")).unwrap();
        }
        assert!(w.run(&["--project", "pt", "index"]).ok().stderr.contains("index rebuilt"), "format {format}");
        assert_eq!(quote_ids(&w, "pt", &["--code", "housing"]).len(), 2);
    }
    // A quote file cut short is noticed when the index opens, and the index rebuilt.
    let quotes = w.path("pt/.quire/index/quotes.bin");
    let bytes = fs::read(&quotes).unwrap();
    fs::write(&quotes, &bytes[..bytes.len() / 2]).unwrap();
    assert!(w.run(&["--project", "pt", "index"]).ok().stderr.contains("index rebuilt"));
    assert_eq!(fs::read(&quotes).unwrap(), bytes, "the same quote file again");
}

#[test]
fn export_quotes_writes_one_file_per_theme_grouped_and_ordered() {
    let w = Workdir::new();
    // Two countries in one project so the ordering by country shows.
    w.init("p", "en");
    w.run(&["--project", "p", "ingest", "fixtures/first48/pt", "fixtures/first48/de"]).ok();
    for c in ["pt", "de"] {
        fs::copy(w.path(&format!("fixtures/first48/{c}/codings/fixture.csv")), w.path(&format!("p/codings/{c}.csv"))).unwrap();
    }
    w.run(&["--project", "p", "export", "quotes", "--by-theme", "--out", "out", "--format", "json"]).ok();
    let files: BTreeSet<String> = fs::read_dir(w.path("out")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let expected: BTreeSet<String> =
        ["challenges", "reasons", "coping", "helpful", "barriers", "practices"].iter().map(|t| format!("{t}.json")).collect();
    assert_eq!(files, expected);
    let json: serde_json::Value = serde_json::from_slice(&fs::read(w.path("out/challenges.json")).unwrap()).unwrap();
    let groups = json["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["code"].as_str().unwrap()).collect();
    assert_eq!(names, ["challenges/individual", "challenges/structural"]);
    for g in groups {
        let keys: Vec<(String, String)> = g["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["country"].as_str().unwrap().to_string(), q["source"].as_str().unwrap().to_string()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "ordered by country then source");
        assert!(keys.iter().any(|k| k.0 == "DE") && keys.iter().any(|k| k.0 == "PT"));
    }
    w.run(&["--project", "p", "export", "quotes", "--by-theme", "--out", "out2", "--depth", "2"]).ok();
    assert!(w.path("out2/challenges--structural.md").exists());
    let md = fs::read_to_string(w.path("out2/challenges--structural.md")).unwrap();
    assert!(md.starts_with("# ") && md.contains("## Housing") && md.contains("(EPR, M, DE)"), "{md}");
}

#[test]
fn fixture_projects_ship_human_codings_of_every_theme_in_every_country() {
    let w = Workdir::new();
    let shared = fs::read(w.path("codebook/first48.json")).unwrap();
    let mut coded_segments = 0;
    for country in COUNTRIES {
        let project = format!("fixtures/first48/{country}");
        assert_eq!(fs::read(w.path(&format!("{project}/codebook.json"))).unwrap(), shared, "{country} uses the shared codebook");
        let rows = codings(&w.path(&format!("{project}/codings/fixture.csv")));
        let spans: BTreeSet<(String, usize, usize)> = rows.iter().map(|r| (r.0.clone(), r.1, r.2)).collect();
        coded_segments += spans.len();
        let themes: BTreeSet<&str> = rows.iter().map(|r| r.3.split('/').next().unwrap()).collect();
        assert_eq!(themes.len(), 6, "{country}: {themes:?}");
        for r in &rows {
            let body = body_of(&w, &project, &r.0);
            assert_eq!(body[r.1..r.2].iter().collect::<String>(), r.4, "{country}: coding text matches its source");
        }
        w.run(&["codebook", "validate", &format!("{project}/codebook.json")]).ok();
    }
    assert_eq!(coded_segments, 289, "coded spans in the four fixture projects");
}
