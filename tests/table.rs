//! Integration tests for `quire table` and `quire demo`, checked against counts computed here
//! from the codings CSVs and the segments `show` prints.

mod common;

use common::{Workdir, COUNTRIES};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

struct Seg {
    source: String,
    start: usize,
    end: usize,
    case: String,
    country: String,
    role: String,
}

fn merged(w: &Workdir) -> &'static str {
    let mut args = vec!["merge".to_string()];
    args.extend(COUNTRIES.iter().map(|c| format!("fixtures/first48/{c}")));
    args.extend(["--into".to_string(), "all".to_string()]);
    w.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    "all"
}

fn respondent_segments(w: &Workdir, project: &str) -> Vec<Seg> {
    let listed = w.run(&["--project", project, "sources", "--format", "json"]).ok().json();
    let mut out = Vec::new();
    for s in listed.as_array().unwrap() {
        let id = s["source"].as_str().unwrap();
        // A respondent is a case: the speaker's `case=` when the header gives one (a person
        // interviewed twice, as BE-EPR-03's R is BE-PR-01's R), else SOURCE/LABEL.
        let case_of = |label: &str| -> String {
            let speaker = s["speakers"].as_array().unwrap().iter().find(|sp| sp["label"] == label).unwrap();
            speaker["attributes"]["case"].as_str().map_or_else(|| format!("{id}/{label}"), String::from)
        };
        let shown = w.run(&["--project", project, "show", id, "--respondents", "--format", "json"]).ok().json();
        for seg in shown.as_array().unwrap() {
            let citation = seg["citation"].as_str().unwrap().trim_matches(|c| c == '(' || c == ')').to_string();
            let parts: Vec<&str> = citation.split(", ").collect();
            out.push(Seg {
                source: id.to_string(),
                start: seg["start"].as_u64().unwrap() as usize,
                end: seg["end"].as_u64().unwrap() as usize,
                case: case_of(seg["speaker"].as_str().unwrap()),
                country: parts.last().unwrap().to_string(),
                role: parts[0].to_string(),
            });
        }
    }
    out
}

/// The codings of the coders tables count: the analysis coders (`fixture`; the fixtures'
/// `fixture2` is a reliability coder, as `quire coders` lists it).
fn codings(w: &Workdir, project: &str) -> Vec<(String, usize, usize, String)> {
    let listed = w.run(&["--project", project, "coders", "--format", "csv"]).ok().stdout;
    let counted: Vec<String> =
        listed.lines().skip(1).filter(|l| l.ends_with(",yes")).map(|l| format!("{}.csv", l.split(',').next().unwrap())).collect();
    assert_eq!(counted, ["fixture.csv"], "{listed}");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(w.path(&format!("{project}/codings"))).unwrap() {
        let path = entry.unwrap().path();
        if !counted.iter().any(|c| path.ends_with(c)) {
            continue;
        }
        for r in csv::Reader::from_path(&path).unwrap().records() {
            let r = r.unwrap();
            all.push((r[0].to_string(), r[1].parse().unwrap(), r[2].parse().unwrap(), r[3].to_string()));
        }
    }
    all
}

/// Table JSON as (code, column) -> value.
fn cells(json: &serde_json::Value, columns: &[&str]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for row in json.as_array().unwrap() {
        for c in columns {
            out.insert((row["code"].as_str().unwrap().to_string(), c.to_string()), row[*c].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn theme_by_country_counts_respondents_and_segments_like_an_independent_count() {
    let w = Workdir::new();
    let project = merged(&w);
    let segs = respondent_segments(&w, project);
    let rows = codings(&w, project);
    let themes = ["challenges", "reasons", "coping", "helpful", "barriers", "practices"];
    let countries = ["BE", "DE", "FR", "PT"];
    let covered = |seg: &Seg, theme: &str| {
        rows.iter().any(|r| r.0 == seg.source && r.1 < seg.end && seg.start < r.2 && (r.3 == theme || r.3.starts_with(&format!("{theme}/"))))
    };
    let json = w.run(&["--project", project, "table", "--rows", "code:1", "--cols", "country", "--format", "json"]).ok().json();
    let got = cells(&json, &countries);
    let seg_json =
        w.run(&["--project", project, "table", "--rows", "code:1", "--cols", "country", "--count", "segments", "--format", "json"]).ok().json();
    let got_segments = cells(&seg_json, &countries);
    for theme in themes {
        for country in countries {
            let here: Vec<&Seg> = segs.iter().filter(|s| s.country == country && covered(s, theme)).collect();
            let respondents: BTreeSet<&str> = here.iter().map(|s| s.case.as_str()).collect();
            assert_eq!(got[&(theme.to_string(), country.to_string())], respondents.len().to_string(), "{theme} × {country} respondents");
            assert_eq!(got_segments[&(theme.to_string(), country.to_string())], here.len().to_string(), "{theme} × {country} segments");
        }
    }
    // The fixtures keep what makes these counts differ from simpler ones: a person interviewed
    // twice (one case over two sources), and codings over part of a segment or over several.
    let sources_of_case: BTreeSet<&str> = segs.iter().filter(|s| s.case == "BE-PR-01/R").map(|s| s.source.as_str()).collect();
    assert_eq!(sources_of_case, BTreeSet::from(["BE-EPR-03", "BE-PR-01"]));
    let partial = rows.iter().filter(|r| segs.iter().any(|s| s.source == r.0 && s.start < r.1 && r.2 < s.end)).count();
    let spanning = rows.iter().filter(|r| segs.iter().filter(|s| s.source == r.0 && r.1 < s.end && s.start < r.2).count() > 1).count();
    assert!(partial >= 2 && spanning >= 1, "{partial} codings inside a segment, {spanning} over several");
    // Rows follow the tree, with a totals row; empty codes show 0.
    let codes: Vec<&str> = json.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, [&themes[..], &["total"]].concat());
    let deep = w.run(&["--project", project, "table", "--rows", "code:2", "--cols", "country", "--format", "json"]).ok().json();
    assert!(deep.as_array().unwrap().len() > 40);
    let md = w.run(&["--project", project, "table", "--rows", "code:2", "--cols", "country", "--format", "md"]).ok().stdout;
    assert!(md.contains("| reasons/boredom | 2 |   Boredom") && md.contains("| reasons | 1 | Reasons"), "indented names:\n{md}");
    assert!(
        md.starts_with(
            "Table: Counts: respondents (distinct cases) with a coded segment, per code and country; codings of coder fixture\n\n| code |"
        ),
        "{md}"
    );
}

#[test]
fn filters_percentages_and_the_cooccurrence_matrix() {
    let w = Workdir::new();
    let project = merged(&w);
    let segs = respondent_segments(&w, project);
    let rows = codings(&w, project);
    let covered = |seg: &Seg, theme: &str| rows.iter().any(|r| r.0 == seg.source && r.1 < seg.end && seg.start < r.2 && r.3.starts_with(theme));
    // --where narrows the units: only (ex-)prisoners.
    let json = w
        .run(&[
            "--project",
            project,
            "table",
            "--rows",
            "code:1",
            "--cols",
            "country",
            "--count",
            "segments",
            "--where",
            "role=PR,EPR",
            "--format",
            "json",
        ])
        .ok()
        .json();
    let got = cells(&json, &["DE"]);
    let expected = segs.iter().filter(|s| s.country == "DE" && (s.role == "PR" || s.role == "EPR") && covered(s, "barriers")).count();
    assert_eq!(got[&("barriers".into(), "DE".into())], expected.to_string());
    // Column percentages: of all respondents in that country.
    let json = w.run(&["--project", project, "table", "--rows", "code:1", "--cols", "country", "--percent", "col", "--format", "json"]).ok().json();
    // Belgium has a respondent nobody coded: the divisor is every respondent, not the coded ones.
    let pct = cells(&json, &["FR", "BE"]);
    for country in ["FR", "BE"] {
        let all: BTreeSet<&str> = segs.iter().filter(|s| s.country == country).map(|s| s.case.as_str()).collect();
        let coping: BTreeSet<&str> = segs.iter().filter(|s| s.country == country && covered(s, "coping")).map(|s| s.case.as_str()).collect();
        assert_eq!(pct[&("coping".into(), country.into())], format!("{:.1}", 100.0 * coping.len() as f64 / all.len() as f64), "{country}");
    }
    let be_coded: BTreeSet<&str> = segs.iter().filter(|s| s.country == "BE" && covered(s, "")).map(|s| s.case.as_str()).collect();
    let be_all: BTreeSet<&str> = segs.iter().filter(|s| s.country == "BE").map(|s| s.case.as_str()).collect();
    assert_eq!((be_coded.len(), be_all.len()), (10, 11), "the fixtures keep an uncoded Belgian respondent");
    // Co-occurrence: symmetric, and the diagonal is the code's own segment count.
    let json = w.run(&["--project", project, "table", "--rows", "code:1", "--cols", "code:1", "--count", "segments", "--format", "json"]).ok().json();
    let m = cells(&json, &["challenges", "reasons", "coping", "helpful", "barriers", "practices"]);
    for ((a, b), v) in &m {
        assert_eq!(v, &m[&(b.clone(), a.clone())], "{a} × {b}");
    }
    let challenges = segs.iter().filter(|s| covered(s, "challenges")).count();
    assert_eq!(m[&("challenges".into(), "challenges".into())], challenges.to_string());
    let both = segs.iter().filter(|s| covered(s, "challenges") && covered(s, "reasons")).count();
    assert_eq!(m[&("challenges".into(), "reasons".into())], both.to_string());
    // Other formats.
    // Other formats hold exactly the cells of the CSV, header included.
    let csv_cells = |cols: &str| -> Vec<Vec<String>> {
        let out = w.run(&["--project", project, "table", "--rows", "code:1", "--cols", cols, "--format", "csv"]).ok().stdout;
        out.lines().map(|l| l.split(',').map(String::from).collect()).collect()
    };
    // LaTeX: the cells of the CSV without its internal columns (code path, depth), unless asked.
    let tex_cells = |extra: &[&str], align: &str| -> Vec<Vec<String>> {
        let mut args = vec!["--project", project, "table", "--rows", "code:1", "--cols", "role", "--format", "tex"];
        args.extend_from_slice(extra);
        let tex = w.run(&args).ok().stdout;
        let lines: Vec<&str> = tex.lines().collect();
        assert_eq!(lines[..2], [format!("\\begin{{tabular}}{{{align}}}").as_str(), "\\toprule"]);
        assert_eq!(lines[lines.len() - 2..], ["\\bottomrule", "\\end{tabular}"]);
        lines[2..lines.len() - 2]
            .iter()
            .filter(|l| **l != "\\midrule")
            .map(|l| l.trim_end_matches(" \\\\").split(" & ").map(String::from).collect())
            .collect()
    };
    let without_internal: Vec<Vec<String>> = csv_cells("role").into_iter().map(|row| row[2..].to_vec()).collect();
    assert_eq!(tex_cells(&[], "lrrrrr"), without_internal);
    assert_eq!(tex_cells(&["--internal-columns"], "lrlrrrrr"), csv_cells("role"));
    let html = w.run(&["--project", project, "table", "--rows", "code:1", "--cols", "gender", "--format", "html"]).ok().stdout;
    assert!(html.starts_with("<table>\n<thead>") && html.ends_with("</tbody>\n</table>\n"), "{html}");
    let html_cells: Vec<Vec<String>> = html
        .lines()
        .filter(|l| l.contains("<tr>"))
        .map(|l| {
            l.split(['<', '>']).collect::<Vec<_>>().windows(2).filter(|p| p[0].starts_with("td") || p[0] == "th").map(|p| p[1].to_string()).collect()
        })
        .collect();
    assert_eq!(html_cells, csv_cells("gender"));
    // An unknown attribute: one message, non-zero exit.
    let r = w.run(&["--project", project, "table", "--cols", "shoe"]).exits(2);
    assert!(r.stderr.contains("unknown attribute `shoe`"), "{}", r.stderr);
}

#[test]
fn the_sample_and_country_tables() {
    let w = Workdir::new();
    let project = merged(&w);
    let json = w.run(&["--project", project, "table", "sample", "--format", "json"]).ok().json();
    let rows = json.as_array().unwrap();
    let total = rows.last().unwrap();
    assert_eq!(total["respondents"], "total");
    let segs = respondent_segments(&w, project);
    let cases: BTreeSet<&str> = segs.iter().map(|s| s.case.as_str()).collect();
    assert_eq!(total["total"].as_str().unwrap(), cases.len().to_string());
    for c in ["BE", "FR", "DE", "PT"] {
        let n: BTreeSet<&str> = segs.iter().filter(|s| s.country == c).map(|s| s.case.as_str()).collect();
        assert_eq!(total[c].as_str().unwrap(), n.len().to_string(), "{c}");
    }
    let women: usize = rows
        .iter()
        .filter(|r| r["respondents"].as_str().unwrap().ends_with("· F"))
        .map(|r| r["total"].as_str().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(women, 4);
    let countries = w.run(&["--project", project, "table", "countries", "--file", "fixtures/first48/countries.csv", "--format", "csv"]).ok().stdout;
    assert!(countries.starts_with("attribute,DE,FR,BE,PT\n"), "{countries}");
    assert!(
        countries.contains("Prison health care organised by,Ministry of Justice,Ministry of Justice,Ministry of Justice,Ministry of Health"),
        "{countries}"
    );
    // The same file saved by a spreadsheet (byte order mark, CRLF line ends) gives the same table.
    let original = std::fs::read_to_string(w.path("fixtures/first48/countries.csv")).unwrap();
    w.write("countries-saved.csv", format!("\u{feff}{}", original.replace('\n', "\r\n")));
    let saved = w.run(&["--project", project, "table", "countries", "--file", "countries-saved.csv", "--format", "csv"]).ok().stdout;
    assert_eq!(saved, countries);
}

#[test]
fn demo_builds_merges_and_reports() {
    let w = Workdir::new();
    let r = w.run(&["demo", "--out", "demo", "--format", "csv"]).ok();
    let tables: Vec<&str> = r.stdout.split("\n\n").collect();
    assert_eq!(tables.len(), 4, "{}", r.stdout);
    assert!(tables[0].starts_with("attribute,DE,FR,BE,PT"));
    assert!(tables[1].starts_with("respondents,BE,DE,FR,PT,total"));
    // Respondents per theme and country in the analysis coder's codings: the reliability coder
    // `fixture2` is not counted (with it, Portugal's promising practices would be 10).
    assert_eq!(
        tables[2].trim_end(),
        "code,depth,name,BE,DE,FR,PT,total\n\
         challenges,1,Challenges upon release,8,9,6,10,33\n\
         reasons,1,Reasons to use drugs at release,7,5,6,7,25\n\
         coping,1,Individual strategies to cope with risks,4,7,5,7,23\n\
         helpful,1,Positive and helpful measures at release,3,7,4,8,22\n\
         barriers,1,Barriers to continuity of care,6,7,5,5,23\n\
         practices,1,Promising practices for continuity of care,7,4,6,7,24\n\
         total,0,Any code,10,11,6,11,38"
    );
    // The demo's reliability check: fixture and fixture2 on three Portuguese sources (the
    // arithmetic is checked against independent values in tests/agreement.rs).
    assert_eq!(
        tables[3].trim_end(),
        "scope,code,units,agreement_pct,kappa,alpha\n\
         all,challenges,80,81.2,0.543,0.526\n\
         all,reasons,80,95.0,0.751,0.751\n\
         all,coping,80,90.0,0.459,0.448\n\
         all,helpful,80,97.5,0.844,0.844\n\
         all,barriers,80,93.8,0.728,0.728\n\
         all,practices,80,90.0,0.511,0.502\n\
         all,(overall),480,91.2,0.632,0.627"
    );
    for c in COUNTRIES {
        let listed = w.run(&["--project", &format!("demo/{c}"), "sources", "--format", "json"]).ok().json();
        assert!(listed.as_array().unwrap().len() >= 6, "{c}");
    }
    let merged = w.run(&["--project", "demo/first48", "sources", "--format", "json"]).ok().json();
    assert_eq!(merged.as_array().unwrap().len(), 28);
    let text = w.run(&["demo", "--out", "demo2"]).ok().stdout;
    assert!(text.contains("Respondents mentioning each theme, by country (coder fixture)\n"), "{text}");
    for theme in ["## Challenges upon release", "## Promising practices for continuity of care"] {
        assert!(text.contains(theme), "{text}");
    }
    assert!(text.matches("\" (").count() >= 12, "quotes with citations:\n{text}");
    // In tex the themes table leaves out the internal columns, as `table --format tex` does.
    let tex = w.run(&["demo", "--out", "demo3", "--format", "tex"]).ok().stdout;
    assert!(tex.contains("\nname & BE & DE & FR & PT & total \\\\\n"), "{tex}");
    let again = w.run(&["demo", "--out", "demo"]).exits(4);
    assert!(again.stderr.contains("new or empty directory"), "{}", again.stderr);
}

#[test]
fn a_damaged_or_stale_table_cache_is_rebuilt() {
    let w = Workdir::new();
    let p = w.country_project("pt");
    let table = |extra: &[&str]| {
        let mut args = vec!["--project", p.as_str(), "table", "--rows", "code:1", "--cols", "role", "--count", "segments", "--format", "json"];
        args.extend_from_slice(extra);
        w.run(&args).ok().json()
    };
    let first = table(&[]);
    let cache = w.path(&format!("{p}/.quire/coded-units.bin"));
    assert!(fs::read(&cache).unwrap().starts_with(b"quire coded units\n"), "the first table caches its units");
    fs::write(&cache, b"quire coded units\n\x01\x00\x00\x00garbage").unwrap();
    assert_eq!(table(&[]), first, "a damaged cache is rebuilt, not trusted");
    assert!(fs::read(&cache).unwrap().len() > 100);
    // A new coding makes the cache stale: the next table counts it.
    let by_ana = |json: &serde_json::Value| cells(json, &["total"])[&("challenges".to_string(), "total".to_string())].clone();
    assert_eq!(by_ana(&table(&["--coder", "ana"])), "0");
    w.run(&["--project", &p, "code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    assert_eq!(by_ana(&table(&["--coder", "ana"])), "1");
}

/// One interview, respondent segments T-1:2, :4, :6, :8.
const ONE: &str = "---\nsource: T-1\ncountry: BE\nlanguage: nl\nspeaker I: interviewer\nspeaker R: role=PR gender=M\n---\nI: Vraag?\nR: Eerste antwoord hier.\nI: Nog?\nR: Tweede antwoord hier.\nI: En?\nR: Derde antwoord hier.\n";

#[test]
fn text_and_md_tables_say_what_they_count_and_tex_has_no_internal_columns() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/T-1.txt", ONE);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.run(&["--project", "p", "code", "T-1:2", "housing"]).ok();
    w.run(&["--project", "p", "code", "T-1:4", "housing"]).ok();
    let table = |extra: &[&str]| {
        let mut args = vec!["--project", "p", "table", "--rows", "code:1"];
        if !extra.contains(&"--cols") {
            args.extend(["--cols", "country"]);
        }
        args.extend_from_slice(extra);
        w.run(&args).ok().stdout
    };
    assert_eq!(
        table(&[]),
        "Counts: respondents (distinct cases) with a coded segment, per code and country; codings of coder me\n\
         code        depth  name                                        BE  total\n\
         challenges  1      Challenges upon release                     1   1\n\
         reasons     1      Reasons to use drugs at release             0   0\n\
         coping      1      Individual strategies to cope with risks    0   0\n\
         helpful     1      Positive and helpful measures at release    0   0\n\
         barriers    1      Barriers to continuity of care              0   0\n\
         practices   1      Promising practices for continuity of care  0   0\n\
         total       0      Any code                                    1   1\n"
    );
    assert_eq!(
        table(&["--count", "segments", "--format", "md"]).lines().next().unwrap(),
        "Table: Counts: coded respondent segments, per code and country; codings of coder me"
    );
    assert_eq!(
        table(&["--count", "sources", "--percent", "col"]).lines().next().unwrap(),
        "Counts: sources with a coded segment, per code and country, as a percentage of all sources in the column; codings of coder me"
    );
    assert_eq!(
        table(&["--cols", "code:1", "--count", "segments"]).lines().next().unwrap(),
        "Counts: respondent segments coded with both the row's and the column's code; codings of coder me"
    );
    assert_eq!(
        table(&["--format", "tex"]),
        "\\begin{tabular}{lrr}\n\\toprule\nname & BE & total \\\\\n\\midrule\n\
         Challenges upon release & 1 & 1 \\\\\n\
         Reasons to use drugs at release & 0 & 0 \\\\\n\
         Individual strategies to cope with risks & 0 & 0 \\\\\n\
         Positive and helpful measures at release & 0 & 0 \\\\\n\
         Barriers to continuity of care & 0 & 0 \\\\\n\
         Promising practices for continuity of care & 0 & 0 \\\\\n\
         Any code & 1 & 1 \\\\\n\
         \\bottomrule\n\\end{tabular}\n"
    );
    // csv and json keep every column and carry no caption.
    assert!(table(&["--format", "csv"]).starts_with("code,depth,name,BE,total\n"));
    assert_eq!(
        w.run(&["--project", "p", "table", "sample"]).ok().stdout.lines().next().unwrap(),
        "Respondents (distinct cases) by method · role · gender and country"
    );
}
