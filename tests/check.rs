//! Integration tests for the anonymisation check: planted identifiers found, fixtures clean,
//! flagged quotes withheld, `ingest --strict` refusing.

mod common;

use common::{snapshot, Workdir, COUNTRIES};

const PLANTED: &str = "---\nsource: XX-P-01\ncountry: FR\nlanguage: fr\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Comment ça s'est passé?\nR: Je suis sorti le 14 mars 2018, et Karim m'attendait.\n\nMon éducatrice, Madame Lefebvre, m'a donné son mail: c.lefebvre@asso-exemple.fr et son numéro 06 12 34 56 78.\nI: Et le logement?\nR: J'ai dormi au 12 rue des Acacias, puis à Fleury.\n\nMon numéro de sécu, 1 85 07 75 123 456 78, je le connais par coeur.\nI: Merci.\nR: De rien, c'était le 03/04/2018.\n";

#[test]
fn every_planted_identifier_is_found_with_its_line_and_column() {
    let w = Workdir::new();
    w.init("p", "fr");
    w.write("in/XX-P-01.txt", PLANTED);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.write("p/check-deny.txt", "# prisons and towns\nFleury\n");
    let r = w.run(&["--project", "p", "check", "--format", "json"]).ok();
    let hits = r.json();
    let found: Vec<(String, String, u64, u64)> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap().to_string(),
                h["text"].as_str().unwrap().to_string(),
                h["line"].as_u64().unwrap(),
                h["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("date", "14 mars 2018", 10, 21),
        ("personal-name", "Karim", 10, 38),
        ("personal-name", "Madame Lefebvre", 12, 17),
        ("email", "c.lefebvre@asso-exemple.fr", 12, 54),
        ("phone", "06 12 34 56 78", 12, 95),
        ("address", "12 rue des Acacias", 14, 18),
        ("deny-listed", "Fleury", 14, 45),
        ("id-number", "1 85 07 75 123 456 78", 16, 21),
        ("date", "03/04/2018", 18, 24),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected.iter().map(|(k, t, l, c)| (k.to_string(), t.to_string(), *l, *c)).collect();
    assert_eq!(found, expected);
    // Each position really points at the text, in the stored file.
    let stored = std::fs::read_to_string(w.path("p/sources/XX-P-01.txt")).unwrap();
    for (_, text, line, col) in &found {
        let l: String = stored.lines().nth(*line as usize - 1).unwrap().chars().skip(*col as usize - 1).collect();
        assert!(l.starts_with(text.as_str()), "{text} at {line}:{col}: {l}");
    }
    // --strict turns findings into a failure; the allow-list silences a word.
    let strict = w.run(&["--project", "p", "check", "--strict"]).exits(1);
    assert_eq!(strict.stderr.lines().last(), Some("quire: 9 likely identifier(s) found (--strict)"));
    w.write("p/check-allow.txt", "Karim\n");
    let r = w.run(&["--project", "p", "check", "--format", "csv"]).ok();
    assert!(!r.stdout.contains("Karim") && r.stdout.contains("Lefebvre"), "{}", r.stdout);
}

#[test]
fn the_fixtures_raise_no_false_alarm() {
    let w = Workdir::new();
    for c in COUNTRIES {
        let r = w.run(&["--project", &format!("fixtures/first48/{c}"), "check", "--strict"]).ok();
        assert!(r.stdout.is_empty() && r.stderr.starts_with("0 likely identifier(s)"), "{c}: {}{}", r.stdout, r.stderr);
    }
}

#[test]
fn flagged_segments_are_withheld_from_quotes_and_strict_ingest_refuses() {
    let w = Workdir::new();
    w.init("p", "fr");
    w.write("in/XX-P-01.txt", PLANTED);
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "ingest", "--strict", "in"]).exits(4);
    assert!(r.stderr.contains("in/XX-P-01.txt:9: column 21: likely identifier (date) `14 mars 2018`, 8 in this file"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("p")), before);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    // The range codes the respondent segments 2, 3, 5 and 6 (4 is an interviewer turn, skipped).
    w.run(&["--project", "p", "code", "XX-P-01:2-6", "housing"]).ok();
    // Segments 2, 3, 5, 6, 8 hold identifiers.
    let r = w.run(&["--project", "p", "quotes", "--code", "housing", "--format", "json"]).ok();
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    assert!(r.stderr.contains("4 quote(s) withheld"), "{}", r.stderr);
    let all = w.run(&["--project", "p", "quotes", "--code", "housing", "--allow-flagged", "--format", "json"]).ok().json();
    assert_eq!(all.as_array().unwrap().len(), 4);
    // The index records what the check flagged with the lists of that moment: allowing segment
    // 2's date and name releases it at once, with no change to sources or codings.
    w.write("p/check-allow.txt", "Karim\n14 mars 2018\n");
    let r = w.run(&["--project", "p", "quotes", "--code", "housing", "--format", "json"]).ok();
    let released = r.json();
    assert_eq!(released.as_array().unwrap().len(), 1, "{released}");
    assert_eq!(released[0]["segment"], "XX-P-01:2");
    assert!(r.stderr.contains("3 quote(s) withheld"), "{}", r.stderr);
    std::fs::remove_file(w.path("p/check-allow.txt")).unwrap();
    let r = w.run(&["--project", "p", "export", "quotes", "--by-theme", "--out", "out"]).ok();
    assert!(r.stderr.contains("quote(s) withheld"), "{}", r.stderr);
    let md = std::fs::read_to_string(w.path("out/challenges.md")).unwrap();
    assert!(md.contains("0 quote(s)") && !md.contains("Lefebvre"), "{md}");
}
