//! Integration tests for the study codebook and `quire codebook` commands.

mod common;

use common::{snapshot, Workdir};
use std::fs;

fn codes(node: &serde_json::Value, depth: usize, out: &mut Vec<(usize, serde_json::Value)>) {
    for c in node.as_array().unwrap() {
        out.push((depth, c.clone()));
        if let Some(children) = c.get("children") {
            codes(children, depth + 1, out);
        }
    }
}

#[test]
fn the_study_codebook_is_valid_and_complete() {
    let w = Workdir::new();
    let r = w.run(&["codebook", "validate", "codebook/first48.json"]).ok();
    assert_eq!(r.stderr, "codebook/first48.json: 96 codes, valid (0 warning(s))\n");
    let json: serde_json::Value = serde_json::from_slice(&fs::read(w.path("codebook/first48.json")).unwrap()).unwrap();
    let mut all = Vec::new();
    codes(&json["codes"], 1, &mut all);
    assert!(all.len() >= 45, "{} codes", all.len());
    assert!(all.iter().all(|(d, _)| *d <= 3));
    let top: Vec<&str> = json["codes"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(top, ["challenges", "reasons", "coping", "helpful", "barriers", "practices"]);
    for (_, code) in &all {
        assert!(!code["description"].as_str().unwrap().trim().is_empty(), "{}", code["id"]);
        let leaf = code.get("children").is_none_or(|c| c.as_array().unwrap().is_empty());
        if leaf {
            for lang in ["en", "nl", "fr", "de", "pt"] {
                let rule = code["rules"][lang].as_str().unwrap_or("");
                assert!(!rule.trim().is_empty(), "{} has no {lang} rule", code["id"]);
            }
        }
    }
    // The tree command shows the same number of codes.
    let tree = w.run(&["codebook", "tree", "--file", "codebook/first48.json"]).ok().stdout;
    assert!(tree.trim_end().ends_with(&format!("{} codes", all.len())), "{tree}");
}

#[test]
fn codes_are_addressed_by_path_or_unique_suffix() {
    let w = Workdir::new();
    w.init("p", "en");
    let full = w.run(&["--project", "p", "codebook", "show", "challenges/structural/housing", "--format", "json"]).ok().json();
    let suffix = w.run(&["--project", "p", "codebook", "show", "housing", "--format", "json"]).ok().json();
    assert_eq!(full, suffix);
    assert_eq!(full["path"], "challenges/structural/housing");
    let r = w.run(&["--project", "p", "codebook", "show", "no-such-code"]).exits(3);
    assert!(r.stderr.contains("unknown code `no-such-code`"), "{}", r.stderr);
}

#[test]
fn edits_add_rename_move_merge_remove() {
    let w = Workdir::new();
    w.init("p", "en");
    let q = |args: &[&str]| {
        let mut all = vec!["--project", "p", "codebook"];
        all.extend_from_slice(args);
        w.run(&all)
    };
    q(&["add", "structural/debts", "--name", "Debts", "--rule", "fr=dette OR dettes", "--color", "#aa3300"]).ok();
    let shown = q(&["show", "debts", "--format", "json"]).ok().json();
    assert_eq!(shown["path"], "challenges/structural/debts");
    assert_eq!(shown["rules"]["fr"], "dette OR dettes");
    assert!(shown["guid"].as_str().unwrap().len() == 36);

    q(&["rename", "debts", "money-owed", "--name", "Money owed"]).ok();
    assert_eq!(q(&["show", "money-owed", "--format", "json"]).ok().json()["name"], "Money owed");

    q(&["move", "money-owed", "challenges/individual"]).ok();
    assert_eq!(q(&["show", "money-owed", "--format", "json"]).ok().json()["path"], "challenges/individual/money-owed");

    q(&["add", "challenges/individual/money-owed/fines", "--name", "Fines"]).ok();
    q(&["add", "challenges/structural/arrears", "--name", "Arrears"]).ok();
    q(&["merge", "money-owed", "arrears"]).ok();
    assert_eq!(q(&["show", "fines", "--format", "json"]).ok().json()["path"], "challenges/structural/arrears/fines");
    q(&["show", "money-owed"]).exits(3);

    let before = snapshot(&w.path("p"));
    let r = q(&["remove", "arrears"]).exits(4);
    assert!(r.stderr.contains("--recursive"), "{}", r.stderr);
    let r = q(&["add", "structural/bad id", "--name", "X"]).exits(2);
    assert!(r.stderr.contains("invalid code id"), "{}", r.stderr);
    let r = q(&["add", "structural/arrears", "--name", "Again"]).exits(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let r = q(&["add", "structural/x", "--name", "X", "--rule", "fr=(dette"]).exits(3);
    assert!(r.stderr.contains("$.codes[0]") && r.stderr.contains("rules.fr"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("p")), before, "failed edits change nothing");

    q(&["remove", "arrears", "--recursive"]).ok();
    q(&["show", "fines"]).exits(3);
    let cb = w.run(&["codebook", "validate", "p/codebook.json"]).ok();
    assert!(cb.stderr.starts_with("p/codebook.json: ") && cb.stderr.ends_with(" codes, valid (0 warning(s))\n"), "{}", cb.stderr);
}

#[test]
fn validate_reports_duplicates_empty_names_and_bad_rules_with_json_locations() {
    let w = Workdir::new();
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(w.path("codebook/first48.json")).unwrap()).unwrap();
    let structural = &mut json["codes"][0]["children"][1]["children"];
    let first_id = structural[0]["id"].clone();
    structural[1]["id"] = first_id.clone();
    structural[2]["name"] = "".into();
    structural[3]["rules"]["de"] = "Wohnung OR (Obdach".into();
    w.write("bad.json", serde_json::to_string_pretty(&json).unwrap());
    let r = w.run(&["codebook", "validate", "bad.json"]).exits(3);
    assert!(r.stdout.contains(&format!("$.codes[0].children[1].children[1].id: error: duplicate id {first_id}").replace('"', "`")), "{}", r.stdout);
    assert!(r.stdout.contains("$.codes[0].children[1].children[2].name: error"), "{}", r.stdout);
    assert!(r.stdout.contains("$.codes[0].children[1].children[3].rules.de: error: bad rule"), "{}", r.stdout);
    let r = w.run(&["init", "p", "--codebook", "bad.json"]).exits(3);
    assert!(r.stderr.contains("bad.json: codebook is invalid"), "{}", r.stderr);
    assert!(!w.path("p").exists(), "nothing created for an invalid codebook");

    w.write("broken.json", "{\n  \"format\": 1,\n  \"name\": \"x\",\n  \"codes\": [ { \"id\": \"a\" \"name\": \"b\" } ]\n}\n");
    let r = w.run(&["codebook", "validate", "broken.json"]).exits(3);
    assert!(r.stderr.contains("broken.json:4:"), "{}", r.stderr);
}
