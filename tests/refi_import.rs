//! REFI-QDA import defects from issue 16: folders (`isCodable="false"`), positions counted in
//! other units, cases whose SourceRef points nowhere, guids rewritten by another program, and
//! the smaller message fixes. Every archive here is built in the test from synthetic words.

mod common;

use std::io::{Cursor, Write};

use common::{snapshot, Workdir};

/// Builds a zip archive from (name, bytes).
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}


const FOLDER_GUID: &str = "0b7f3c52-6a1e-4d3e-9c1a-5f2b8e4d7a10";
const LEAF_GUID: &str = "0b7f3c52-6a1e-4d3e-9c1a-5f2b8e4d7a11";

/// The five-line codebook of the issue: a Folder (not codable) holding a Leaf.
fn folder_qdc() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"hand\"><Codes>\n\
<Code guid=\"{FOLDER_GUID}\" name=\"Folder\" isCodable=\"false\">\n\
<Code guid=\"{LEAF_GUID}\" name=\"Leaf\" isCodable=\"true\"/></Code>\n\
</Codes></CodeBook>\n"
    )
}

/// A project `p` with one Portuguese transcript and the folder codebook imported.
fn folder_project(w: &Workdir) {
    w.run(&["init", "p", "--language", "pt"]).ok();
    w.run(&["--project", "p", "ingest", "fixtures/first48/pt/sources/PT-EPR-01.txt"]).ok();
    w.write("folder.qdc", folder_qdc());
    let r = w.run(&["--project", "p", "codebook", "import", "folder.qdc"]).ok();
    assert_eq!(r.stderr, "folder.qdc: the empty codebook takes 2 codes\n");
}

#[test]
fn a_qdc_folder_is_imported_not_codable_and_exported_with_is_codable_false() {
    let w = Workdir::new();
    folder_project(&w);
    let tree = w.run(&["--project", "p", "codebook", "tree"]).ok().stdout;
    assert_eq!(tree, "folder  Folder  (folder)\n  leaf  Leaf\n2 codes\n");
    let shown = w.run(&["--project", "p", "codebook", "show", "folder", "--format", "json"]).ok().json();
    assert_eq!(shown["codable"], false);
    assert_eq!(w.run(&["--project", "p", "codebook", "show", "leaf", "--format", "json"]).ok().json().get("codable"), None);
    let json = std::fs::read_to_string(w.path("p/codebook.json")).unwrap();
    assert!(json.starts_with("{\n  \"format\": 2,"), "{json}");

    let qdc = w.run(&["--project", "p", "codebook", "export", "--format", "qdc"]).ok().stdout;
    let folder = qdc.lines().find(|l| l.contains("name=\"Folder\"")).unwrap();
    let leaf = qdc.lines().find(|l| l.contains("name=\"Leaf\"")).unwrap();
    assert!(folder.contains("isCodable=\"false\"") && folder.contains(FOLDER_GUID), "{qdc}");
    assert!(leaf.contains("isCodable=\"true\""), "{qdc}");

    // And back into a new project: the folder is still a folder.
    w.write("again.qdc", &qdc);
    w.run(&["init", "q", "--language", "pt"]).ok();
    w.run(&["--project", "q", "codebook", "import", "again.qdc"]).ok();
    assert_eq!(w.run(&["--project", "q", "codebook", "show", "folder", "--format", "json"]).ok().json()["codable"], false);
}

#[test]
fn code_refuses_a_folder_with_exit_2_and_leaves_the_project_as_it_was() {
    let w = Workdir::new();
    folder_project(&w);
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "code", "PT-EPR-01:2", "folder"]);
    assert_eq!(r.status, 2);
    assert_eq!(r.stderr, "quire: `folder` is a folder: it groups codes but cannot be applied; apply one of its codes instead (folder/leaf)\n");
    assert_eq!(snapshot(&w.path("p")).into_iter().filter(|(p, _)| !p.starts_with(".quire")).collect::<Vec<_>>(), {
        before.into_iter().filter(|(p, _)| !p.starts_with(".quire")).collect::<Vec<_>>()
    });
}

#[test]
fn a_table_counts_the_codings_of_a_folders_codes_under_the_folder() {
    let w = Workdir::new();
    folder_project(&w);
    w.run(&["--project", "p", "code", "PT-EPR-01:2", "leaf"]).ok();
    w.run(&["--project", "p", "code", "PT-EPR-01:4", "leaf"]).ok();
    let table = w.run(&["--project", "p", "table", "--rows", "code:1", "--count", "segments", "--format", "csv"]).ok().stdout;
    let folder_row = table.lines().find(|l| l.starts_with("folder")).unwrap_or_else(|| panic!("{table}"));
    assert!(folder_row.ends_with(",2"), "{table}");
}

#[test]
fn a_folder_made_with_codebook_add_is_refused_by_a_coding_sheet_and_skipped_by_autocode() {
    let w = Workdir::new();
    w.run(&["init", "p", "--language", "pt"]).ok();
    w.run(&["--project", "p", "ingest", "fixtures/first48/pt/sources/PT-EPR-01.txt"]).ok();
    let r = w.run(&["--project", "p", "codebook", "add", "themes", "--name", "Themes", "--folder"]).ok();
    assert_eq!(r.stderr, "added folder themes\n");
    w.run(&["--project", "p", "codebook", "add", "themes/work", "--name", "Work", "--rule", "pt=trabalho"]).ok();
    assert_eq!(w.run(&["--project", "p", "codebook", "tree"]).ok().stdout, "themes  Themes  (folder)\n  work  Work\n2 codes\n");
    // A rule cannot be given to a folder.
    w.run(&["--project", "p", "codebook", "add", "other", "--name", "Other", "--folder", "--rule", "pt=x"]).fails();

    // A coding sheet naming the folder is refused on its line.
    let sheet = w.run(&["--project", "p", "sheet", "export"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let header = reader.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let last = rows[0].len() - 1;
    rows[0] = rows[0].iter().enumerate().map(|(i, f)| if i == last { "themes" } else { f }).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for row in &rows {
        out.write_record(row).unwrap();
    }
    w.write("sheet.csv", out.into_inner().unwrap());
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "sheet", "import", "sheet.csv"]).fails();
    assert_eq!(r.status, 1);
    assert_eq!(r.stderr, "quire: sheet.csv:2: `themes` is a folder: it groups codes but cannot be applied; apply one of its codes instead (themes/work)\n");
    assert_eq!(snapshot(&w.path("p")), before);

    // A rule put on a folder by hand is skipped by autocode, which says so; its codes still run.
    let json = std::fs::read_to_string(w.path("p/codebook.json")).unwrap();
    let json = json.replacen("\"codable\": false", "\"rules\": {\"pt\": \"casa\"},\n      \"codable\": false", 1);
    w.write("p/codebook.json", json);
    let r = w.run(&["--project", "p", "autocode", "--dry-run", "--format", "csv"]).ok();
    assert!(r.stderr.starts_with("skipped the rules of `themes`: it is a folder (groups codes, cannot be applied)\n"), "{}", r.stderr);
    assert!(r.stdout.lines().skip(1).all(|l| l.contains(",themes/work,")), "{}", r.stdout);
    assert!(r.stdout.lines().count() > 1, "{}", r.stdout);
}

const USER: &str = "5d0c1a2b-3e4f-4a5b-8c6d-7e8f9a0b1c01";
const CODE: &str = "5d0c1a2b-3e4f-4a5b-8c6d-7e8f9a0b1c02";
const SOURCE: &str = "5d0c1a2b-3e4f-4a5b-8c6d-7e8f9a0b1c03";

/// A `.qdpx` written by `origin` with one text source (`talk.txt`, bytes as given) and one
/// coded selection per `(start, end)`, of one code by one user.
fn one_source_qdpx(origin: &str, text: &[u8], selections: &[(usize, usize)]) -> Vec<u8> {
    let mut sels = String::new();
    for (i, (start, end)) in selections.iter().enumerate() {
        sels.push_str(&format!(
            "<PlainTextSelection guid=\"5d0c1a2b-3e4f-4a5b-8c6d-00000000a{i:03}\" startPosition=\"{start}\" endPosition=\"{end}\" creatingUser=\"{USER}\">\
<Coding guid=\"5d0c1a2b-3e4f-4a5b-8c6d-00000000b{i:03}\" creatingUser=\"{USER}\"><CodeRef targetGUID=\"{CODE}\"/></Coding></PlainTextSelection>\n"
        ));
    }
    let qde = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"crlf\" origin=\"{origin}\">\n\
<Users><User guid=\"{USER}\" name=\"ana\"/></Users>\n\
<CodeBook><Codes><Code guid=\"{CODE}\" name=\"Word\" isCodable=\"true\"/></Codes></CodeBook>\n\
<Sources><TextSource guid=\"{SOURCE}\" name=\"talk\" plainTextPath=\"internal://talk.txt\">\n{sels}</TextSource></Sources>\n\
</Project>\n"
    );
    zip(&[("project.qde", qde.as_bytes()), ("sources/talk.txt", text)])
}

/// CRLF text, as QualCoder writes it with "line endings for MAXQDA".
const CRLF_TEXT: &str = "Alpha bravo charlie.\r\nDelta echo foxtrot.\r\nGolf hotel india.\r\n";

/// The texts of coder `ana`'s codings in a project, sorted by start.
fn coded_texts(w: &Workdir, project: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(w.path(&format!("{project}/codings/ana.csv"))).unwrap();
    let mut rows: Vec<(usize, String)> = reader.records().map(|r| r.unwrap()).map(|r| (r[1].parse().unwrap(), r[6].to_string())).collect();
    rows.sort();
    rows.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn crlf_counted_once_by_qualcoder_is_read_so_and_the_report_says_it() {
    let w = Workdir::new();
    // "Alpha", "Delta", "Golf", counted with CRLF = 1.
    w.write("qc.qdpx", one_source_qdpx("QualCoder 3.6", CRLF_TEXT.as_bytes(), &[(0, 5), (21, 26), (41, 45)]));
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p"]).ok();
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines[1],
        "positions read as Unicode code points (CRLF = 1), where every selection lands: read as Unicode code points (CRLF = 2) \
(detected from origin `QualCoder 3.6`), 2 of 3 did not",
        "{}",
        r.stderr
    );
    assert_eq!(lines[2], "selections: 3, landing on text: 3, not landing: 0");
    assert_eq!(coded_texts(&w, "p"), ["Alpha", "Delta", "Golf"]);
}

#[test]
fn positions_told_on_the_command_line_are_kept_with_a_warning_naming_the_units_that_land() {
    let w = Workdir::new();
    w.write("qc.qdpx", one_source_qdpx("QualCoder 3.6", CRLF_TEXT.as_bytes(), &[(0, 5), (21, 26), (41, 45)]));
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p", "--positions", "code-points"]).ok();
    assert!(
        r.stderr.lines().any(|l| l
            == "warning: 2 of 3 selections do not land on their text as told (Unicode code points (CRLF = 2)); \
read as Unicode code points (CRLF = 1) (--positions code-points-crlf-as-one), all of them land"),
        "{}",
        r.stderr
    );
}

#[test]
fn when_no_units_land_every_selection_but_others_land_clearly_more_the_import_is_refused_with_the_flag_to_use() {
    let w = Workdir::new();
    // As above, plus one selection that cuts a word in every unit ("ph" of "Alpha").
    w.write("qc.qdpx", one_source_qdpx("QualCoder 3.6", CRLF_TEXT.as_bytes(), &[(0, 5), (21, 26), (41, 45), (2, 4), (27, 31)]));
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p"]).fails();
    assert_eq!(r.status, 1);
    assert_eq!(
        r.stderr,
        "quire: qc.qdpx!project.qde: 4 of 5 selections do not land on their text when positions are read as Unicode code points \
(CRLF = 2) (detected from origin `QualCoder 3.6`); read as Unicode code points (CRLF = 1), 1 do not: pass --positions \
code-points-crlf-as-one to import them so, or --positions code-points to import as detected\n"
    );
    assert!(!w.path("p").exists());
    // As suggested: imported, the one bad selection reported.
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p", "--positions", "code-points-crlf-as-one"]).ok();
    assert!(r.stderr.contains("selections: 5, landing on text: 4, not landing: 1 (1 starts or ends inside a word)"), "{}", r.stderr);
}
