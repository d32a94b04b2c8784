//! Integration tests for REFI-QDA interchange: `export qdpx`, `import qdpx`, `codebook
//! export/import` (qdc), `.qdpx` inputs of `merge`; validity against the official XSD with
//! xmllint, reading by an independent implementation (qdaPy), the real exports in
//! `../shared/refi/samples`, hand-written files in the shapes NVivo, ATLAS.ti and MAXQDA write,
//! and crafted bad files.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{entry, repo, skip, snapshot, xmllint, zip, Workdir};

fn shared() -> PathBuf {
    repo().join("../shared/refi")
}

/// Asserts two snapshots hold the same files, naming the ones that differ (not their bytes).
/// Derived state (`.quire/`: the lock, the index) is left out.
fn assert_same(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let keys: std::collections::BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    let differ: Vec<&PathBuf> = keys.into_iter().filter(|p| !p.components().any(|c| c.as_os_str() == ".quire") && a.get(*p) != b.get(*p)).collect();
    assert!(differ.is_empty(), "{what}: these files differ: {differ:?}");
}

fn csv_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap().records().map(|r| r.unwrap()).collect()
}

fn count_rows(dir: &Path) -> usize {
    fs::read_dir(dir.join("codings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| csv_rows(&p).len())
        .sum()
}

#[test]
fn export_validates_against_the_project_xsd_and_says_positions_are_code_points() {
    let w = Workdir::new();
    let r = w.run(&["--project", "fixtures/first48/de", "export", "qdpx", "de.qdpx"]).ok();
    assert!(r.stderr.contains("Unicode code points"), "{}", r.stderr);
    let qde = entry(&w.path("de.qdpx"), "project.qde");
    let text = String::from_utf8(qde.clone()).unwrap();
    assert!(text.contains("origin=\"quire ") && text.contains("count Unicode code points"), "{}", &text[..400]);
    // Users, codes with guids and colours, variables, cases, sources, selections.
    for needle in [
        "<User guid=",
        "name=\"fixture\"",
        "color=\"#",
        "<Variable guid=",
        "name=\"role\"",
        "<Case guid=",
        "<SourceRef targetGUID=",
        "plainTextPath=\"internal://",
        "<PlainTextSelection guid=",
        "<CodeRef targetGUID=",
    ] {
        assert!(text.contains(needle), "no {needle}");
    }
    // Every source's text is in Sources/, UTF-8 without BOM.
    let plain_paths: Vec<&str> = text.match_indices("plainTextPath=\"internal://").map(|(i, _)| &text[i + 26..i + 26 + 40]).collect();
    assert_eq!(plain_paths.len(), 7);
    for p in plain_paths {
        let body = entry(&w.path("de.qdpx"), &format!("Sources/{}", &p[..40]));
        assert!(!body.starts_with(b"\xEF\xBB\xBF"));
    }
    // Exporting again gives the same bytes.
    w.run(&["--project", "fixtures/first48/de", "export", "qdpx", "de2.qdpx"]).ok();
    assert_eq!(fs::read(w.path("de.qdpx")).unwrap(), fs::read(w.path("de2.qdpx")).unwrap());
    if xmllint(&w, &qde, "Project.xsd") {
        // A merged project (two coders' origins, four countries) validates too.
        let inputs = ["fixtures/first48/be", "fixtures/first48/fr", "fixtures/first48/de", "fixtures/first48/pt"];
        let mut args = vec!["merge"];
        args.extend(inputs);
        args.extend(["--into", "all"]);
        w.run(&args).ok();
        w.run(&["--project", "all", "export", "qdpx", "all.qdpx"]).ok();
        xmllint(&w, &entry(&w.path("all.qdpx"), "project.qde"), "Project.xsd");
    }
}

#[test]
fn a_coding_the_export_cannot_place_fails_it_and_writes_nothing() {
    let w = Workdir::new();
    let codings = w.path("fixtures/first48/de/codings/fixture.csv");
    let good = fs::read_to_string(&codings).unwrap();
    let export = |out: &str| w.run(&["--project", "fixtures/first48/de", "export", "qdpx", out]);
    // A code the codebook does not have, then a span past the end of its source.
    let cases = [
        ("DE-EPR-01,40,282,challenges/no-such-code,fixture,2026-11-23T12:39:36Z,x\n", "unknown code `challenges/no-such-code`", 3),
        (
            "DE-EPR-01,40,999999,challenges/structural/unexpected-release,fixture,2026-11-23T12:39:36Z,x\n",
            "DE-EPR-01@40..999999: a coding outside its source",
            5,
        ),
    ];
    for (row, message, status) in cases {
        fs::write(&codings, format!("{good}{row}")).unwrap();
        let r = export("de.qdpx").exits(status);
        assert!(r.stderr.contains(message), "{message}: {}", r.stderr);
        assert!(!w.path("de.qdpx").exists(), "{message}: no archive is left behind");
    }
    fs::write(&codings, good).unwrap();
    export("de.qdpx").ok();
}

#[test]
fn codebook_exports_as_qdc_valid_against_the_codebook_xsd_and_imports_back() {
    let w = Workdir::new();
    let qdc = w.run(&["--project", "fixtures/first48/be", "codebook", "export", "--format", "qdc"]).ok().stdout;
    assert!(qdc.contains("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\""), "{}", &qdc[..200]);
    xmllint(&w, qdc.as_bytes(), "Codebook.xsd");
    w.run(&["--project", "fixtures/first48/be", "codebook", "export", "--format", "qdc", "--out", "be.qdc"]).ok();
    assert_eq!(fs::read_to_string(w.path("be.qdc")).unwrap(), qdc);
    // Into an empty codebook: all codes, with their guids, names, colours and descriptions.
    w.run(&["init", "empty"]).ok();
    let r = w.run(&["--project", "empty", "codebook", "import", "be.qdc"]).ok();
    assert!(r.stderr.contains("takes 96 codes"), "{}", r.stderr);
    let again = w.run(&["--project", "empty", "codebook", "export", "--format", "qdc"]).ok().stdout;
    assert_eq!(again, qdc, "qdc → quire → qdc gives the same file");
    // Into a full codebook: nothing twice; a new code is added under its parent.
    let before = snapshot(&w.path("fixtures/first48/be"));
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", "be.qdc"]).ok();
    assert!(r.stderr.contains("0 code(s) added, 96 already present by guid"), "{}", r.stderr);
    let extra = qdc.replacen(
        "</Codes>",
        "  <Code guid=\"0b7a9a52-52c1-4c43-9c1b-6f3a0c1e0001\" name=\"Debts and fines\" isCodable=\"true\" color=\"#abc\"><Description>New.</Description></Code>\n  </Codes>",
        1,
    );
    w.write("extra.qdc", &extra);
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", "extra.qdc", "--dry-run"]).ok();
    assert!(r.stderr.contains("1 code(s) added") && r.stderr.contains("dry run"), "{}", r.stderr);
    assert_same(&snapshot(&w.path("fixtures/first48/be")), &before, "dry run");
    w.run(&["--project", "fixtures/first48/be", "codebook", "import", "extra.qdc"]).ok();
    let shown = w.run(&["--project", "fixtures/first48/be", "codebook", "show", "debts-and-fines", "--format", "json"]).ok().json();
    assert_eq!(shown["color"], "#abc");
    assert_eq!(shown["guid"], "0b7a9a52-52c1-4c43-9c1b-6f3a0c1e0001");
    // json and md exports.
    let json = w.run(&["--project", "empty", "codebook", "export", "--format", "json"]).ok().json();
    assert_eq!(json["codes"].as_array().unwrap().len(), 6);
    let md = w.run(&["--project", "empty", "codebook", "export", "--format", "md"]).ok().stdout;
    assert!(md.contains("- **Challenges upon release**"), "{md}");
}

#[test]
fn round_trip_export_import_export_gives_the_same_codes_sources_and_codings() {
    let w = Workdir::new();
    for country in ["be", "pt"] {
        let project = format!("fixtures/first48/{country}");
        let first = format!("{country}.qdpx");
        let back = format!("{country}-back");
        let second = format!("{country}-2.qdpx");
        w.run(&["--project", &project, "export", "qdpx", &first]).ok();
        let r = w.run(&["import", "qdpx", &first, "--into", &back]).ok();
        assert!(r.stderr.contains("not landing: 0"), "{}", r.stderr);
        w.run(&["--project", &back, "export", "qdpx", &second]).ok();
        assert_eq!(fs::read(w.path(&first)).unwrap(), fs::read(w.path(&second)).unwrap(), "{country}: export → import → export");
        // The imported project holds the same sources, codings and codebook as the original.
        let original = snapshot(&w.path(&project));
        let imported = snapshot(&w.path(&back));
        for (path, bytes) in &original {
            if path.starts_with("sources") || path.starts_with("codings") {
                assert_eq!(imported.get(path), Some(bytes), "{country}: {}", path.display());
            }
        }
        let cb = |p: &str| w.run(&["--project", p, "codebook", "export", "--format", "json"]).ok().stdout;
        assert_eq!(cb(&project), cb(&back), "{country}: codebook (ids and rules come back too)");
        let manifest = fs::read_to_string(w.path(&back).join("quire.toml")).unwrap();
        assert!(manifest.contains(&format!("name = \"first48-{country}\"")) && manifest.contains("coder = \"fixture\""), "{manifest}");
    }
    // The imported project works: quotes with citations.
    let q = w.run(&["--project", "pt-back", "quotes", "--code", "housing", "--format", "json"]).ok().json();
    assert!(!q.as_array().unwrap().is_empty());
}

#[test]
fn an_independent_reader_qdapy_reads_our_export_with_the_same_counts_and_texts() {
    let probe = Command::new("python3").args(["-c", "import qdapy"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        skip("the qdaPy reader is not available (pip install qdapy)");
        return;
    }
    let w = Workdir::new();
    let script = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
import qdapy
p = qdapy.read_qdpx(sys.argv[1], warn=False)
f = p.fragments
print(json.dumps({"codes": len(p.codebook), "sources": len(p.sources), "codings": len(f), "coders": p.coders,
  "texts": sorted([[t, int(s), int(e)] for t, s, e in zip(f["text"], f["positionStart"], f["positionEnd"])])}))
"#;
    // Belgium holds a text with an emoji (outside the BMP) before a coding: a unit mix-up in
    // the export's positions would shift that coding's text.
    for country in ["fr", "be"] {
        let project = format!("fixtures/first48/{country}");
        let archive = format!("{country}.qdpx");
        w.run(&["--project", &project, "export", "qdpx", &archive]).ok();
        let out = Command::new("python3").arg("-c").arg(script).arg(w.path(&archive)).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codings = csv_rows(&w.path(&format!("{project}/codings/fixture.csv")));
        assert_eq!(theirs["codes"], 96);
        let txt = fs::read_dir(w.path(&format!("{project}/sources")))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "txt"))
            .count();
        assert_eq!(theirs["sources"], txt);
        assert_eq!(theirs["codings"], codings.len());
        assert_eq!(theirs["coders"], serde_json::json!(["fixture"]));
        // Python slices by code points: every fragment's text is our coding's text.
        let mut ours: Vec<(String, i64, i64)> = codings.iter().map(|r| (r[6].to_string(), r[1].parse().unwrap(), r[2].parse().unwrap())).collect();
        ours.sort();
        let theirs_texts: Vec<(String, i64, i64)> = theirs["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t[0].as_str().unwrap().to_string(), t[1].as_i64().unwrap(), t[2].as_i64().unwrap()))
            .collect();
        assert_eq!(theirs_texts, ours, "{country}");
    }
}

/// Counts of one imported sample: codes, sources, codings, selections not landing.
fn imported_counts(w: &Workdir, dir: &str) -> (usize, usize, usize) {
    let codes = w.run(&["--project", dir, "codebook", "tree"]).ok().stdout;
    let codes: usize = codes.lines().last().unwrap().trim_end_matches(" codes").parse().unwrap();
    let sources =
        fs::read_dir(w.path(dir).join("sources")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "txt")).count();
    (codes, sources, count_rows(&w.path(dir)))
}

#[test]
fn every_real_export_in_the_shared_samples_imports() {
    let samples = shared().join("samples");
    if !samples.is_dir() {
        skip(&format!("{} is absent", samples.display()));
        return;
    }
    let w = Workdir::new();
    // (file prefix, codes, sources, codings, selections, landing)
    let expected = [
        ("nvivo-win-12.6", 60, 1, 97, 97, 97),
        ("nvivo-mac-15.0.0", 262, 2, 0, 0, 0),
        ("maxqda-24.7.0", 307, 10, 0, 0, 0),
        ("qc-1.3.2", 262, 2, 205, 158, 158),
    ];
    for (prefix, codes, sources, codings, selections, landing) in expected {
        let file = fs::read_dir(&samples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .unwrap();
        let r = w.run(&["import", "qdpx", file.to_str().unwrap(), "--into", prefix]).ok();
        assert!(
            r.stderr.contains(&format!("selections: {selections}, landing on text: {landing}, not landing: {}", selections - landing)),
            "{prefix}: {}",
            r.stderr
        );
        assert_eq!(imported_counts(&w, prefix), (codes, sources, codings), "{prefix}");
        // The project reads back: sources list, codebook valid.
        w.run(&["--project", prefix, "sources"]).ok();
        w.run(&["--project", prefix, "codebook", "validate"]).ok();
    }
    // NVivo counts UTF-16 units: its selections land on whole words, e.g. the first one.
    let rows = csv_rows(&w.path("nvivo-win-12.6/codings/floriansipos.csv"));
    assert!(rows.iter().any(|r| r[6].starts_with("Na mi van? Nem mertétek kötelezővé tenni?")), "{:?}", &rows[0]);
    let r = w
        .run(&[
            "import",
            "qdpx",
            fs::read_dir(&samples).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_str().unwrap().contains("nvivo-win")).unwrap().to_str().unwrap(),
            "--into",
            "naive",
            "--positions",
            "code-points",
        ])
        .ok();
    assert!(r.stderr.contains("not landing: 37 (37 starts or ends inside a word)"), "read naively, NVivo's positions cut words:\n{}", r.stderr);
    // MAXQDA keeps colours: each imported code has exactly the colour its <Code> element carries.
    let maxqda = fs::read_dir(&samples).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_str().unwrap().contains("maxqda")).unwrap();
    let qde = String::from_utf8(entry(&maxqda, "project.qde")).unwrap();
    let attr = |element: &str, name: &str| -> String {
        let at = element.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("{name} in {element}")) + name.len() + 3;
        element[at..at + element[at..].find('"').unwrap()].to_string()
    };
    let theirs: BTreeMap<String, String> = qde
        .split("<Code ")
        .skip(1)
        .map(|c| format!(" {}", &c[..c.find('>').unwrap()]))
        .map(|c| (attr(&c, "guid").to_lowercase(), attr(&c, "color").to_uppercase()))
        .collect();
    fn colours(codes: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        for c in codes.as_array().into_iter().flatten() {
            out.insert(c["guid"].as_str().unwrap().to_lowercase(), c["color"].as_str().unwrap_or("").to_uppercase());
            colours(&c["children"], out);
        }
    }
    let mut ours = BTreeMap::new();
    let codebook: serde_json::Value = serde_json::from_slice(&fs::read(w.path("maxqda-24.7.0/codebook.json")).unwrap()).unwrap();
    colours(&codebook["codes"], &mut ours);
    assert_eq!(theirs.len(), 307);
    assert_eq!(ours, theirs);
    // The codebook-only samples: ATLAS.ti and Taguette (whose empty <Sets/> is accepted with a warning).
    for (prefix, codes, warning) in [("atlasti", 1, "code set(s) ignored"), ("taguette", 3, "empty <Sets/>")] {
        let file = fs::read_dir(&samples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .unwrap();
        w.run(&["init", prefix]).ok();
        let r = w.run(&["--project", prefix, "codebook", "import", file.to_str().unwrap()]).ok();
        assert!(r.stderr.contains(&format!("takes {codes} codes")) && r.stderr.contains(warning), "{prefix}: {}", r.stderr);
    }
    let atlas = w.run(&["--project", "atlasti", "codebook", "show", "code1", "--format", "json"]).ok().json();
    assert_eq!((atlas["color"].as_str(), atlas["description"].as_str()), (Some("#46AA00"), Some("description")));
}

// ---------------------------------------------------------------------------------------------
// Hand-written files in the shapes NVivo, ATLAS.ti and MAXQDA write.

/// The interview text as the producer stores it (CRLF line ends), and the passages coded in it.
const TEXT: &str =
    "Entrevista com a Sra. Conceição\r\nEla disse: «Cheguei a São Paulo 😀 feliz.»\r\nDepois: o coração apertou 🎉🎉 outra vez.\r\nFim.";
const PASSAGES: [&str; 5] = ["São Paulo", "😀 feliz", "coração apertou", "outra vez", "feliz.»\r\nDepois"];

fn g(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// Start and end of `passage` in TEXT under a producer's counting.
fn positions(passage: &str, count: fn(&str) -> usize) -> (usize, usize) {
    let at = TEXT.find(passage).unwrap();
    (count(&TEXT[..at]), count(&TEXT[..at + passage.len()]))
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}
fn code_points(s: &str) -> usize {
    s.chars().count()
}
fn crlf_as_one(s: &str) -> usize {
    s.replace("\r\n", "\n").chars().count()
}

/// A project XML: codes `Lugares/Cidade` and `Emoções`, one case with variables linked to the
/// source, the five passages coded (cities for the first, emotions for the others).
fn project_xml(origin: &str, guid: fn(u32) -> String, count: fn(&str) -> usize, extra_selections: &str) -> String {
    let mut selections = String::new();
    for (i, p) in PASSAGES.iter().enumerate() {
        let (s, e) = positions(p, count);
        let code = if i == 0 { guid(3) } else { guid(4) };
        selections.push_str(&format!(
            r#"<PlainTextSelection guid="{}" name="" startPosition="{s}" endPosition="{e}" creatingUser="{}" creationDateTime="2025-06-08T12:42:55Z"><Description /><Coding guid="{}" creatingUser="{}" creationDateTime="2025-06-08T12:4{i}:00Z"><CodeRef targetGUID="{code}" /></Coding></PlainTextSelection>"#,
            guid(100 + i as u32),
            guid(1),
            guid(200 + i as u32),
            guid(1)
        ));
    }
    selections.push_str(extra_selections);
    format!(
        r##"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Entrevistas" origin="{origin}" creatingUserGUID="{u}" basePath="" xmlns="urn:QDA-XML:project:1.0">
  <Users><User guid="{u}" name="Ana Sousa" /></Users>
  <CodeBook><Codes>
    <Code guid="{c2}" name="Lugares" isCodable="true"><Code guid="{c3}" name="Cidade" isCodable="true" color="#F00" /></Code>
    <Code guid="{c4}" name="Emoções" isCodable="true" color="#12ab34"><Description>Sentimentos &amp; emoções</Description></Code>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{v1}" name="Role" typeOfVariable="Text" /><Variable guid="{v2}" name="Gender" typeOfVariable="Text" />
    <Variable guid="{v3}" name="Country" typeOfVariable="Text" /><Variable guid="{v4}" name="Age" typeOfVariable="Integer" />
  </Variables>
  <Cases><Case guid="{k1}" name="Conceição">
    <VariableValue><VariableRef targetGUID="{v1}" /><TextValue>EPR</TextValue></VariableValue>
    <VariableValue><VariableRef targetGUID="{v2}" /><TextValue>F</TextValue></VariableValue>
    <VariableValue><VariableRef targetGUID="{v3}" /><TextValue>PT</TextValue></VariableValue>
    <VariableValue><VariableRef targetGUID="{v4}" /><IntegerValue>54</IntegerValue></VariableValue>
    <SourceRef targetGUID="{s1}" />
  </Case></Cases>
  <Sources><TextSource guid="{s1}" name="Entrevista 1" plainTextPath="internal://{s1}.txt" creatingUser="{u}"><Description />{selections}</TextSource></Sources>
  <Description />
</Project>"##,
        u = guid(1),
        c2 = guid(2),
        c3 = guid(3),
        c4 = guid(4),
        v1 = guid(11),
        v2 = guid(12),
        v3 = guid(13),
        v4 = guid(14),
        k1 = guid(21),
        s1 = guid(31),
    )
}

fn upper(n: u32) -> String {
    g(n).to_uppercase()
}
fn braced(n: u32) -> String {
    format!("{{{}}}", g(n).to_uppercase())
}

/// Imports `qdpx` and checks every passage landed on the same text, the case's variables and the
/// codes; returns the run.
fn check_shape(w: &Workdir, name: &str, qdpx: Vec<u8>) -> common::Run {
    w.write(&format!("{name}.qdpx"), qdpx);
    let r = w.run(&["import", "qdpx", &format!("{name}.qdpx"), "--into", name]).ok();
    let rows = csv_rows(&w.path(name).join("codings/Ana-Sousa.csv"));
    let canonical = TEXT.replace("\r\n", "\n");
    let mut texts: Vec<String> = rows.iter().map(|r| r[6].to_string()).collect();
    texts.sort();
    let mut want: Vec<String> = PASSAGES.iter().map(|p| p.replace("\r\n", "\n")).collect();
    want.sort();
    assert_eq!(texts, want, "{name}: every passage lands on the same text");
    for row in &rows {
        let (s, e): (usize, usize) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let at: String = canonical.chars().skip(s).take(e - s).collect();
        assert_eq!(at, &row[6], "{name}: offsets are code points of the canonical text");
    }
    assert!(rows.iter().any(|r| &r[3] == "lugares/cidade" && &r[6] == "São Paulo"), "{name}");
    assert!(rows.iter().all(|r| &r[5] >= "2025-06-08T12:40:00Z"), "{name}: creation times kept");
    let sources = w.run(&["--project", name, "sources", "--format", "json"]).ok().stdout;
    let show = w.run(&["--project", name, "show", "Entrevista-1", "--respondents"]).ok().stdout;
    assert!(show.contains("(EPR, F, PT)"), "{name}: the case's variables make the citation:\n{show}\n{sources}");
    let source = fs::read_to_string(w.path(name).join("sources/Entrevista-1.txt")).unwrap();
    assert!(source.contains("body: plain") && source.contains("case=Conceição") && source.contains("age=54"), "{source}");
    assert!(source.ends_with(&canonical), "the body is the text, LF line ends, no BOM");
    let emo = w.run(&["--project", name, "codebook", "show", "emoções", "--format", "json"]).ok().json();
    assert_eq!(emo["description"], "Sentimentos & emoções");
    r
}

#[test]
fn nvivo_shape_utf16_positions_with_bom_crlf_accents_and_emoji_land_on_the_same_text() {
    let w = Workdir::new();
    let xml = project_xml("NVivo for Windows 12.6", g, utf16, "");
    let text = [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat();
    let qdpx = zip(&[("project.qde", xml.as_bytes()), (&format!("Sources/{}.txt", g(31)), &text), (&format!("Sources/{}.docx", g(31)), b"PK")]);
    let r = check_shape(&w, "nvivo", qdpx.clone());
    assert!(r.stderr.contains("UTF-16 code units") && r.stderr.contains("landing on text: 5, not landing: 0"), "{}", r.stderr);
    // The same file read as code points misses: that is what the detection is for.
    w.write("naive.qdpx", qdpx);
    let r = w.run(&["import", "qdpx", "naive.qdpx", "--into", "naive", "--positions", "code-points"]).ok();
    assert!(!r.stderr.contains("not landing: 0"), "{}", r.stderr);
}

#[test]
fn atlas_shape_crlf_counted_once_braced_guids_and_a_qde_named_after_the_project() {
    let w = Workdir::new();
    let xml = project_xml("ATLAS.ti Win 23.4.0", braced, crlf_as_one, "");
    let qdpx = zip(&[("Trial.qde", xml.as_bytes()), (&format!("sources/{}.txt", braced(31)), TEXT.as_bytes())]);
    let r = check_shape(&w, "atlas", qdpx);
    assert!(r.stderr.contains("CRLF = 1") && r.stderr.contains("not landing: 0"), "{}", r.stderr);
    let cidade = w.run(&["--project", "atlas", "codebook", "show", "cidade", "--format", "json"]).ok().json();
    assert_eq!(cidade["guid"], g(3).to_uppercase(), "braces are dropped");
}

#[test]
fn maxqda_shape_code_points_upper_case_guids_sets_and_selections_without_text() {
    let w = Workdir::new();
    // A selection without coding and an empty one are counted, not imported.
    let extra = format!(
        r#"<PlainTextSelection guid="{}" startPosition="3" endPosition="9" /><PlainTextSelection guid="{}" startPosition="4" endPosition="4"><Coding guid="{}"><CodeRef targetGUID="{}" /></Coding></PlainTextSelection>"#,
        upper(150),
        upper(151),
        upper(152),
        upper(4)
    );
    let xml = project_xml("MAXQDA 24 (Release 24.7.0)", upper, code_points, &extra).replace(
        "<Description />\n</Project>",
        &format!("<Sets><Set guid=\"{}\" name=\"Set\"><MemberSource targetGUID=\"{}\" /></Set></Sets>\n</Project>", upper(41), upper(31)),
    );
    let qdpx = zip(&[("project.qde", xml.as_bytes()), (&format!("sources/{}.txt", upper(31)), TEXT.as_bytes())]);
    let r = check_shape(&w, "maxqda", qdpx);
    assert!(r.stderr.contains("Unicode code points (CRLF = 2)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("selections: 7, landing on text: 5, not landing: 2 (1 empty selection, 1 starts or ends inside a word)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 selection(s) carry no coding") && r.stderr.contains("Sets not imported"), "{}", r.stderr);
    // Export again: valid, and read back by our own import with the same codings (a round trip,
    // not an independent reader: qdaPy and QualCoder check our exports elsewhere in the suite).
    w.run(&["--project", "maxqda", "export", "qdpx", "again.qdpx"]).ok();
    xmllint(&w, &entry(&w.path("again.qdpx"), "project.qde"), "Project.xsd");
    w.run(&["import", "qdpx", "again.qdpx", "--into", "again"]).ok();
    assert_eq!(fs::read(w.path("maxqda/codings/Ana-Sousa.csv")).unwrap(), fs::read(w.path("again/codings/Ana-Sousa.csv")).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Bad input: one clear error naming the entry, non-zero exit, nothing written.

fn nvivo_entries(xml: &str) -> Vec<(String, Vec<u8>)> {
    vec![("project.qde".into(), xml.as_bytes().to_vec()), (format!("Sources/{}.txt", g(31)), TEXT.as_bytes().to_vec())]
}

fn zip_owned(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    zip(&entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect::<Vec<_>>())
}

/// A zip whose entries declare more than 2 GB unpacked: 2,100 copies of 1 MiB of zeros.
fn zip_bomb() -> Vec<u8> {
    let one = zip(&[("zeros", &vec![0u8; 1 << 20])]);
    let mut source = zip::ZipArchive::new(Cursor::new(one)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("project.qde", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(project_xml("NVivo for Windows 12.6", g, utf16, "").as_bytes()).unwrap();
    for i in 0..2100 {
        w.raw_copy_file_rename(source.by_index_raw(0).unwrap(), format!("Sources/{i}.txt")).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn bad_files_are_refused_with_one_message_naming_the_entry_and_nothing_written() {
    let w = Workdir::new();
    let good = project_xml("NVivo for Windows 12.6", g, utf16, "");
    let mut cases: Vec<(&str, Vec<u8>, String)> = Vec::new();
    let mut slip = nvivo_entries(&good);
    slip.push(("../../evil.txt".into(), b"x".to_vec()));
    cases.push(("zip slip", zip_owned(&slip), "bad.qdpx!../../evil.txt: unsafe entry name".into()));
    let mut absolute = nvivo_entries(&good);
    absolute.push(("/tmp/evil.txt".into(), b"x".to_vec()));
    cases.push(("absolute path", zip_owned(&absolute), "bad.qdpx!/tmp/evil.txt: unsafe entry name".into()));
    cases.push(("zip bomb", zip_bomb(), "bad.qdpx: the archive declares 2202".into()));
    let mut many = nvivo_entries(&good);
    for i in 0..10_000 {
        many.push((format!("junk/{i}"), Vec::new()));
    }
    cases.push(("entry count", zip_owned(&many), "bad.qdpx: the archive has 10002 entries".into()));
    let doctype = good.replacen("<Project ", "<!DOCTYPE Project [<!ENTITY lol \"lol\">]>\n<Project ", 1);
    cases.push(("doctype", zip_owned(&nvivo_entries(&doctype)), "bad.qdpx!project.qde:2: a document type declaration".into()));
    let entity = good.replacen("Sentimentos &amp; emoções", "Sentimentos &lol; emoções", 1);
    cases.push(("entity", zip_owned(&nvivo_entries(&entity)), "bad.qdpx!project.qde:6: undefined entity `&lol;`".into()));
    let (s, _) = positions("outra vez", utf16);
    let outside =
        good.replacen(&format!("startPosition=\"{s}\" endPosition=\"{}\"", s + 9), &format!("startPosition=\"{s}\" endPosition=\"999\""), 1);
    assert_ne!(outside, good);
    cases.push((
        "outside",
        zip_owned(&nvivo_entries(&outside)),
        format!("bad.qdpx!project.qde:19: selection {}: positions {s}..999 fall outside source `Entrevista-1`", g(103)),
    ));
    let missing = vec![("project.qde".to_string(), good.as_bytes().to_vec())];
    cases.push(("missing source", zip_owned(&missing), format!("bad.qdpx!Sources/{}.txt: missing from the archive", g(31))));
    let duplicate = good.replacen(&format!("<Code guid=\"{}\" name=\"Emoções\"", g(4)), &format!("<Code guid=\"{}\" name=\"Emoções\"", g(3)), 1);
    cases.push(("duplicate guid", zip_owned(&nvivo_entries(&duplicate)), format!("bad.qdpx!project.qde:6: duplicate guid {}", g(3))));
    let dangling = good.replacen(&format!("<CodeRef targetGUID=\"{}\"", g(3)), &format!("<CodeRef targetGUID=\"{}\"", g(99)), 1);
    cases.push(("unknown code", zip_owned(&nvivo_entries(&dangling)), "which is not in the codebook".to_string()));
    cases.push(("not a zip", b"<Project/>".to_vec(), "bad.qdpx: not a readable zip archive".into()));

    let before = snapshot(w.dir.path());
    for (name, bytes, expected) in cases {
        fs::write(w.path("bad.qdpx"), &bytes).unwrap();
        let r = w.run(&["import", "qdpx", "bad.qdpx", "--into", "out"]).exits(3);
        assert_eq!(r.status, 3, "{name}");
        assert!(r.stderr.contains(&expected), "{name}: expected `{expected}` in:\n{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: one message:\n{}", r.stderr);
        assert!(!w.path("out").exists(), "{name}: nothing written");
        fs::remove_file(w.path("bad.qdpx")).unwrap();
        assert_same(&snapshot(w.dir.path()), &before, &format!("{name}: no file left behind"));
        // `merge` and `codebook import` refuse it the same way.
        if name == "doctype" || name == "zip slip" {
            fs::write(w.path("bad.qdpx"), &bytes).unwrap();
            let r = w.run(&["merge", "fixtures/first48/be", "bad.qdpx", "--into", "merged"]).exits(3);
            assert!(r.stderr.contains(&expected) && !w.path("merged").exists(), "{name}: {}", r.stderr);
            fs::remove_file(w.path("bad.qdpx")).unwrap();
        }
    }
    // A bad .qdc leaves the codebook as it was.
    let project = snapshot(&w.path("fixtures/first48/be"));
    w.write("bad.qdc", "<?xml version=\"1.0\"?>\n<!DOCTYPE CodeBook [<!ENTITY x \"y\">]>\n<CodeBook><Codes/></CodeBook>");
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", "bad.qdc"]).exits(3);
    assert!(r.stderr.contains("bad.qdc:2: a document type declaration"), "{}", r.stderr);
    assert_same(&snapshot(&w.path("fixtures/first48/be")), &project, "bad qdc");
    // An existing project is never imported into.
    w.run(&["--project", "fixtures/first48/be", "export", "qdpx", "be.qdpx"]).ok();
    let r = w.run(&["import", "qdpx", "be.qdpx", "--into", "fixtures/first48/de"]).exits(4);
    assert!(r.stderr.contains("already a quire project"), "{}", r.stderr);
}

#[test]
fn merge_accepts_qdpx_inputs_beside_project_directories() {
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/de", "export", "qdpx", "de.qdpx"]).ok();
    w.run(&["merge", "fixtures/first48/be", "fixtures/first48/de", "--into", "dirs/merged"]).ok();
    let r = w.run(&["merge", "fixtures/first48/be", "de.qdpx", "--into", "mixed/merged"]).ok();
    assert!(r.stdout.contains("| first48-de | 7 | 7 | 120 | 96 | 0 | 0 | 0 |"), "{}", r.stdout);
    assert!(r.stderr.contains("de.qdpx: 7 sources, 120 codings"), "{}", r.stderr);
    assert_same(&snapshot(&w.path("dirs")), &snapshot(&w.path("mixed")), "a .qdpx merges like its project");
    // A foreign file's codes differ: refused unless --allow-drift, which keeps them apart.
    let nvivo =
        fs::read_dir(shared().join("samples")).ok().and_then(|d| d.map(|e| e.unwrap().path()).find(|p| p.to_str().unwrap().contains("nvivo-win")));
    if nvivo.is_none() {
        skip(&format!("the foreign-file merge: no nvivo-win sample in {}", shared().join("samples").display()));
    }
    if let Some(nvivo) = nvivo {
        let r = w.run(&["merge", "fixtures/first48/be", nvivo.to_str().unwrap(), "--into", "foreign"]).exits(4);
        assert!(r.stderr.contains("--allow-drift"), "{}", r.stderr);
        w.run(&["merge", "fixtures/first48/be", nvivo.to_str().unwrap(), "--into", "foreign", "--allow-drift"]).ok();
        assert_eq!(count_rows(&w.path("foreign")), count_rows(&w.path("fixtures/first48/be")) + 97);
    }
}

#[test]
fn a_failed_export_leaves_the_previous_file_and_no_temporary_files() {
    let w = Workdir::new();
    let p = "fixtures/first48/de";
    w.write("out/de.qdpx", b"the previous export");
    // A coding that reaches past the end of its source.
    let codings = w.path(&format!("{p}/codings/fixture.csv"));
    let text = fs::read_to_string(&codings).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[1].splitn(4, ',').map(String::from).collect();
    fields[2] = "9999999".into();
    lines[1] = fields.join(",");
    fs::write(&codings, lines.join("\n") + "\n").unwrap();
    let r = w.run(&["--project", p, "export", "qdpx", "out/de.qdpx"]).exits(5);
    assert!(r.stderr.contains("a coding outside its source"), "{}", r.stderr);
    assert_eq!(fs::read(w.path("out/de.qdpx")).unwrap(), b"the previous export");
    let left: Vec<String> = fs::read_dir(w.path("out")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["de.qdpx"]);
}
