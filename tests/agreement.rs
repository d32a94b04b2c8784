//! Integration tests for `quire agreement`, checked against values computed here by hand and by
//! the independent `krippendorff` Python package (skipped with a reason where it is missing).

mod common;

use common::{skip, Workdir};
use std::collections::BTreeMap;
use std::process::Command;

/// (segment id -> (source, start, end)) of respondent segments.
fn segments(w: &Workdir, project: &str, sources: &[&str]) -> Vec<(String, String, usize, usize)> {
    let mut out = Vec::new();
    for s in sources {
        let shown = w.run(&["--project", project, "show", s, "--respondents", "--format", "json"]).ok().json();
        for seg in shown.as_array().unwrap() {
            out.push((
                seg["id"].as_str().unwrap().to_string(),
                s.to_string(),
                seg["start"].as_u64().unwrap() as usize,
                seg["end"].as_u64().unwrap() as usize,
            ));
        }
    }
    out
}

fn codings(w: &Workdir, file: &str) -> Vec<(String, usize, usize, String)> {
    csv::Reader::from_path(w.path(file))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].parse().unwrap(), r[2].parse().unwrap(), r[3].to_string())
        })
        .collect()
}

fn table(w: &Workdir, args: &[&str]) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut all = vec!["agreement", "--format", "json"];
    all.extend_from_slice(args);
    let json = w.run(&all).ok().json();
    json.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let o = row.as_object().unwrap();
            let key = (o["scope"].as_str().unwrap().to_string(), o["code"].as_str().unwrap().to_string());
            (key, o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
        })
        .collect()
}

/// Krippendorff's alpha (nominal) by the `krippendorff` package, rows = coders, None = missing.
fn python_alpha(rows: &[Vec<Option<u32>>]) -> Option<f64> {
    let data: Vec<String> = rows
        .iter()
        .map(|r| format!("[{}]", r.iter().map(|v| v.map_or("np.nan".to_string(), |x| x.to_string())).collect::<Vec<_>>().join(",")))
        .collect();
    let script = format!(
        "import numpy as np, krippendorff\nprint(krippendorff.alpha(reliability_data=np.array([{}], dtype=float), level_of_measurement='nominal'))",
        data.join(",")
    );
    let out = match Command::new("python3").args(["-c", &script]).output() {
        Ok(out) => out,
        Err(e) => {
            skip(&format!("the krippendorff package check: python3 does not run ({e})"));
            return None;
        }
    };
    if !out.status.success() {
        skip(&format!("the krippendorff package check: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")));
        return None;
    }
    // Once the package ran, its answer must be a number: a parse failure is a failure, not a skip.
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.trim().parse().unwrap_or_else(|e| panic!("the krippendorff package printed {text:?}: {e}")))
}

#[test]
fn two_fixture_coders_kappa_and_alpha_match_independent_values() {
    let w = Workdir::new();
    let project = "fixtures/first48/pt";
    let shared = ["PT-EPR-01", "PT-FG-01", "PT-PI-01"];
    let segs = segments(&w, project, &shared);
    let a = codings(&w, &format!("{project}/codings/fixture.csv"));
    let b = codings(&w, &format!("{project}/codings/fixture2.csv"));
    let got = table(&w, &["--project", project, "--coders", "fixture,fixture2", "--code", "challenges", "--code", "coping"]);
    for theme in ["challenges", "coping"] {
        let applies = |cs: &[(String, usize, usize, String)], s: &(String, String, usize, usize)| {
            u32::from(cs.iter().any(|c| c.0 == s.1 && c.1 < s.3 && s.2 < c.2 && c.3.starts_with(theme)))
        };
        let ra: Vec<u32> = segs.iter().map(|s| applies(&a, s)).collect();
        let rb: Vec<u32> = segs.iter().map(|s| applies(&b, s)).collect();
        // Cohen's kappa by hand from the 2x2 table.
        let n = ra.len() as f64;
        let both = |x: u32, y: u32| ra.iter().zip(&rb).filter(|(p, q)| **p == x && **q == y).count() as f64;
        let po = (both(1, 1) + both(0, 0)) / n;
        let pa1 = (both(1, 1) + both(1, 0)) / n;
        let pb1 = (both(1, 1) + both(0, 1)) / n;
        let pe = pa1 * pb1 + (1.0 - pa1) * (1.0 - pb1);
        let kappa = (po - pe) / (1.0 - pe);
        let row = &got[&("all".to_string(), theme.to_string())];
        assert_eq!(row["units"], segs.len().to_string());
        assert_eq!(row["agreement_pct"], format!("{:.1}", 100.0 * po), "{theme}");
        assert_eq!(row["kappa"], format!("{kappa:.3}"), "{theme}");
        if let Some(alpha) = python_alpha(&[ra.iter().map(|v| Some(*v)).collect(), rb.iter().map(|v| Some(*v)).collect()]) {
            assert_eq!(row["alpha"], format!("{alpha:.3}"), "{theme}");
        }
    }
    // By country: the only country is PT, and it equals the overall figures.
    let by = table(&w, &["--project", project, "--coders", "fixture,fixture2", "--by", "country"]);
    assert_eq!(by[&("PT".into(), "(overall)".into())], {
        let mut r = by[&("all".into(), "(overall)".into())].clone();
        r.insert("scope".into(), "PT".into());
        r
    });
}

const ONE: &str = "---\nsource: T-1\ncountry: BE\nlanguage: nl\nspeaker I: interviewer\nspeaker R: role=PR gender=M\n---\nI: Vraag?\nR: Eerste antwoord hier.\nI: Nog?\nR: Tweede antwoord hier.\nI: En?\nR: Derde antwoord hier.\nI: Verder?\nR: Vierde antwoord hier.\n";

#[test]
fn three_coders_with_missing_data_and_the_character_unit() {
    let w = Workdir::new();
    w.init("p", "nl");
    for n in 1..=2 {
        w.write(&format!("in/T-{n}.txt"), ONE.replace("T-1", &format!("T-{n}")));
    }
    w.run(&["--project", "p", "ingest", "in"]).ok();
    let code = |target: &str, coder: &str| w.run(&["--project", "p", "code", target, "housing", "--coder", coder]).ok();
    // Segments 2,4,6,8 are the respondent's. Coder c codes only T-1 (missing on T-2).
    code("T-1:2", "a");
    code("T-1:4", "a");
    code("T-2:2", "a");
    code("T-1:2", "b");
    code("T-2:6", "b");
    code("T-2:2", "b");
    code("T-1:2", "c");
    code("T-1:6", "c");
    let got = table(&w, &["--project", "p", "--coders", "a,b,c", "--code", "housing"]);
    let row = &got[&("all".to_string(), "challenges/structural/housing".to_string())];
    // Units rated by all three: the 4 segments of T-1; all agree on 2 of them (T-1:2 yes, T-1:8 no).
    assert_eq!(row["units"], "4");
    assert_eq!(row["agreement_pct"], "50.0");
    assert!(!row.contains_key("kappa"), "kappa is for two coders");
    let s = Some;
    let rows = vec![
        vec![s(1), s(1), s(0), s(0), s(1), s(0), s(0), s(0)],
        vec![s(1), s(0), s(0), s(0), s(1), s(0), s(1), s(0)],
        vec![s(1), s(0), s(1), s(0), None, None, None, None],
    ];
    // By hand (coincidence matrix): o11 = 5, o10 = o01 = 3, o00 = 9; n1 = 8, n0 = 12, n = 20;
    // alpha = 1 - (n-1) * (o10 + o01) / (2 * n0 * n1) = 1 - 19 * 6 / 192 = 0.406.
    assert_eq!(row["alpha"], "0.406");
    if let Some(alpha) = python_alpha(&rows) {
        assert_eq!(format!("{alpha:.3}"), "0.406");
    }

    // Character unit: the respondent paragraphs have these lengths, in both sources.
    let len = |s: &str| s.chars().count() as f64;
    let (s2, s4, s6, s8) = (len("Eerste antwoord hier."), len("Tweede antwoord hier."), len("Derde antwoord hier."), len("Vierde antwoord hier."));
    let chars = table(&w, &["--project", "p", "--coders", "a,b", "--code", "housing", "--unit", "char"]);
    let row = &chars[&("all".to_string(), "challenges/structural/housing".to_string())];
    let total = 2.0 * (s2 + s4 + s6 + s8);
    assert_eq!(row["units"], total.to_string());
    // a covers T-1:2, T-1:4, T-2:2; b covers T-1:2, T-2:2, T-2:6.
    let both = 2.0 * s2;
    let (a_only, b_only) = (s4, s6);
    let agree = (total - a_only - b_only) / total;
    assert_eq!(row["agreement_pct"], format!("{:.1}", 100.0 * agree));
    let (pa, pb) = ((both + a_only) / total, (both + b_only) / total);
    let pe = pa * pb + (1.0 - pa) * (1.0 - pb);
    assert_eq!(row["kappa"], format!("{:.3}", (agree - pe) / (1.0 - pe)));

    let r = w.run(&["--project", "p", "agreement", "--coders", "a"]).exits(2);
    assert!(r.stderr.contains("two or more"), "{}", r.stderr);
    let r = w.run(&["--project", "p", "agreement", "--coders", "a,zed"]).exits(2);
    assert!(r.stderr.contains("no codings of coder `zed`"), "{}", r.stderr);
}

#[test]
fn codes_may_be_given_comma_separated_as_in_quotes() {
    let w = Workdir::new();
    let project = "fixtures/first48/pt";
    let run = |codes: &[&str]| {
        let mut args = vec!["--project", project, "agreement", "--coders", "fixture,fixture2", "--format", "csv"];
        args.extend_from_slice(codes);
        w.run(&args).ok().stdout
    };
    let repeated = run(&["--code", "challenges", "--code", "coping"]);
    assert_eq!(run(&["--code", "challenges,coping"]), repeated);
    assert_eq!(run(&["--code", "challenges, coping"]), repeated);
    assert_eq!(repeated.lines().count(), 4, "header, two codes, overall:\n{repeated}");
}

/// Two coders on one source: they agree on T-1:2 (housing), differ on T-1:4 (a: housing,
/// b: housing and stigma), T-1:6 (only a) and T-1:8 (only b); T-1:8 is housing for b.
fn two_coders_differing(w: &Workdir) {
    w.init("p", "nl");
    w.write("in/T-1.txt", ONE);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    let code = |target: &str, codes: &[&str], coder: &str| {
        let mut args = vec!["--project", "p", "code", target];
        args.extend_from_slice(codes);
        args.extend(["--coder", coder]);
        w.run(&args).ok();
    };
    code("T-1:2", &["housing"], "a");
    code("T-1:2", &["housing"], "b");
    code("T-1:4", &["housing"], "a");
    code("T-1:4", &["housing", "stigma"], "b");
    code("T-1:6", &["stigma"], "a");
    code("T-1:8", &["housing"], "b");
}

#[test]
fn disagreements_list_each_segment_where_the_coders_differ_with_text_and_codes() {
    let w = Workdir::new();
    two_coders_differing(&w);
    let r = w.run(&["--project", "p", "agreement", "--coders", "a,b", "--disagreements", "--format", "csv"]).exits(0);
    assert_eq!(
        r.stdout,
        "segment,citation,text,a,b\n\
         T-1:4,\"(PR, M, BE)\",Tweede antwoord hier.,challenges/structural/housing,challenges/individual/stigma;challenges/structural/housing\n\
         T-1:6,\"(PR, M, BE)\",Derde antwoord hier.,challenges/individual/stigma,\n\
         T-1:8,\"(PR, M, BE)\",Vierde antwoord hier.,,challenges/structural/housing\n"
    );
    assert_eq!(r.stderr, "3 segment(s) where the 2 coders differ, in 1 shared source(s)\n");
    // On one code: T-1:4 agrees on housing (stigma is not compared) and T-1:6 has no housing.
    let md = w.run(&["--project", "p", "agreement", "--coders", "a,b", "--code", "housing", "--disagreements", "--format", "md"]).ok().stdout;
    assert_eq!(md, "| segment | citation | text | a | b |\n|---|---|---|---|---|\n| T-1:8 | (PR, M, BE) | Vierde antwoord hier. |  | challenges/structural/housing |\n");
}
