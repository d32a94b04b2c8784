//! REFI-QDA import defects from issue 16: folders (`isCodable="false"`), positions counted in
//! other units, cases whose SourceRef points nowhere, guids rewritten by another program, and
//! the smaller message fixes. Every archive here is built in the test from synthetic words.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::{snapshot, zip, Workdir};

/// A project's files and bytes, without its derived state (`.quire/`: the lock, the index).
fn files(w: &Workdir, dir: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(&w.path(dir)).into_iter().filter(|(p, _)| !p.starts_with(".quire")).collect()
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
    let csv = w.run(&["--project", "p", "codebook", "tree", "--format", "csv"]).ok().stdout;
    assert_eq!(csv, "path,depth,name,description,codable\nfolder,1,Folder,,false\nfolder/leaf,2,Leaf,,true\n");
    let tree = w.run(&["--project", "p", "codebook", "tree", "--format", "json"]).ok().json();
    assert_eq!((&tree[0]["codable"], tree[0]["children"][0].get("codable")), (&serde_json::Value::Bool(false), None));
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
    let before = files(&w, "p");
    let r = w.run(&["--project", "p", "code", "PT-EPR-01:2", "folder"]);
    assert_eq!(r.status, 2);
    assert_eq!(r.stderr, "quire: `folder` is a folder: it groups codes but cannot be applied; apply one of its codes instead (folder/leaf)\n");
    assert_eq!(files(&w, "p"), before);
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
    w.run(&["--project", "p", "codebook", "add", "other", "--name", "Other", "--folder", "--rule", "pt=x"]).exits(2);

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
    let before = files(&w, "p");
    let r = w.run(&["--project", "p", "sheet", "import", "sheet.csv"]).exits(3);
    assert_eq!(r.status, 3);
    assert_eq!(
        r.stderr,
        "quire: sheet.csv:2: `themes` is a folder: it groups codes but cannot be applied; apply one of its codes instead (themes/work)\n"
    );
    assert_eq!(files(&w, "p"), before);

    // A rule put on a folder by hand is skipped by autocode, which says so; its codes still run.
    // `codebook validate` warns about it.
    let json = std::fs::read_to_string(w.path("p/codebook.json")).unwrap();
    let json = json.replacen("\"codable\": false", "\"rules\": {\"pt\": \"casa\"},\n      \"codable\": false", 1);
    w.write("p/codebook.json", json);
    let v = w.run(&["--project", "p", "codebook", "validate"]).ok();
    assert_eq!(
        v.stdout,
        "p/codebook.json: $.codes[0].rules: warning: `themes` is a folder (not codable): autocode skips its rules; put them on a code inside it\n"
    );
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
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p"]).exits(3);
    assert_eq!(r.status, 3);
    assert_eq!(
        r.stderr,
        "quire: qc.qdpx!project.qde: 4 of 5 selections do not land on their text when positions are read as Unicode code points \
(CRLF = 2) (detected from origin `QualCoder 3.6`); read as Unicode code points (CRLF = 1), 1 do not: pass --positions \
code-points-crlf-as-one to import them so, or --positions code-points to import as detected\n"
    );
    assert!(!w.path("p").exists());
    // As detected, when told so: imported, with a warning naming the better units.
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "as-detected", "--positions", "code-points"]).ok();
    assert!(
        r.stderr.lines().any(|l| l
            == "warning: 4 of 5 selections do not land on their text as told (Unicode code points (CRLF = 2)); \
read as Unicode code points (CRLF = 1) (--positions code-points-crlf-as-one), 1 do not"),
        "{}",
        r.stderr
    );
    // As suggested: imported, the one bad selection reported.
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "p", "--positions", "code-points-crlf-as-one"]).ok();
    assert!(r.stderr.contains("selections: 5, landing on text: 4, not landing: 1 (1 starts or ends inside a word)"), "{}", r.stderr);
}

/// Every entry of a zip archive on disk, in order.
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().to_string(), bytes)
        })
        .collect()
}

/// What another program's round trip does to a quire export: every code gets a new guid (and
/// every reference follows), and quire's own `quire/codebook.json` entry is gone.
fn rewrite_code_guids(xml: &str) -> String {
    let mut out = xml.to_string();
    for (i, piece) in xml.split("<Code guid=\"").skip(1).enumerate() {
        let old = &piece[..piece.find('"').unwrap()];
        out = out.replace(old, &format!("6e1f0000-0000-4000-8000-{i:012}"));
    }
    out
}

fn round_tripped(w: &Workdir, from: &str, to: &str) {
    let entries = unzip(&w.path(from));
    let kept: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .filter(|(name, _)| name != "quire/codebook.json")
        .map(
            |(name, bytes)| {
                if name == "project.qde" {
                    (name, rewrite_code_guids(std::str::from_utf8(&bytes).unwrap()).into_bytes())
                } else {
                    (name, bytes)
                }
            },
        )
        .collect();
    let refs: Vec<(&str, &[u8])> = kept.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    w.write(to, zip(&refs));
}

#[test]
fn codebook_import_finds_codes_whose_guids_were_rewritten_by_the_path_of_their_names() {
    let w = Workdir::new();
    let qdc = w.run(&["--project", "fixtures/first48/be", "codebook", "export", "--format", "qdc"]).ok().stdout;
    w.write("rewritten.qdc", rewrite_code_guids(&qdc));
    let before = files(&w, "fixtures/first48/be");
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", "rewritten.qdc"]).ok();
    let last = r.stderr.lines().last().unwrap();
    assert_eq!(last, "rewritten.qdc: 0 code(s) added, 0 already present by guid, 16 by path, 80 by name path", "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "80 code(s) found only by the names of their path (their guids differ: another program may have rewritten them):\n  \
challenges-upon-release taken for challenges\n"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(files(&w, "fixtures/first48/be"), before, "nothing to add, nothing written");
}

#[test]
fn merge_aligns_an_input_whose_guids_were_rewritten_by_the_path_of_names_and_reports_it() {
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    round_tripped(&w, "pt.qdpx", "pt-qc.qdpx");
    let r = w.run(&["merge", "fixtures/first48/be", "pt-qc.qdpx", "--into", "out"]).ok();
    let row = r.stdout.lines().find(|l| l.starts_with("| first48-pt ")).unwrap_or_else(|| panic!("{}", r.stdout));
    // input | sources | new sources | codings | codes by path | by guid | by mapping | unaligned
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(&cells[5..9], ["0", "0", "0", "0"], "{row}");
    assert!(
        r.stdout.contains(
            "## first48-pt\n\n96 code(s) aligned by the names of their path only (their guids differ: another program may have rewritten them):\n\n\
- by name path (guids differ): `barriers-to-continuity-of-care` taken for `barriers`\n"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(w.run(&["--project", "out", "codebook", "tree"]).ok().stdout.lines().last(), Some("96 codes"));
}

#[test]
fn a_merge_refused_for_drift_is_summarised_and_the_full_list_written_to_a_named_file() {
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    // Another program renamed every code (and its guid): nothing aligns.
    let entries = unzip(&w.path("pt.qdpx"));
    let kept: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .filter(|(name, _)| name != "quire/codebook.json")
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes).unwrap_or_default();
            let bytes = if name == "project.qde" { rewrite_code_guids(&text).replace("\" name=\"", "\" name=\"Z ") } else { text };
            (name, bytes.into_bytes())
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = kept.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    w.write("renamed.qdpx", zip(&refs));
    let r = w.run(&["merge", "fixtures/first48/be", "renamed.qdpx", "--into", "out"]).exits(4);
    assert_eq!(r.status, 4);
    let message: Vec<&str> =
        r.stderr.lines().filter(|l| !l.starts_with("renamed.qdpx:") && !l.starts_with("positions ") && !l.starts_with("selections:")).collect();
    assert_eq!(
        message[0],
        "quire: the inputs' codebooks differ from the merged codebook (pass --allow-drift to merge anyway, or --map to align renamed codes):"
    );
    assert_eq!(message[1], "  Z first48-pt (renamed.qdpx): 192 difference(s): 96 code(s) only in the input, 96 missing from it");
    assert_eq!(message[7], "    ... and 187 more");
    let listed = message[8].strip_prefix("the full list: ").unwrap_or_else(|| panic!("{}", r.stderr));
    let full = std::fs::read_to_string(listed).unwrap();
    assert_eq!(full.lines().count(), 193);
    assert_eq!(full.lines().next(), Some("# Z first48-pt (renamed.qdpx)"));
    assert_eq!(message.len(), 9, "{}", r.stderr);
    let _ = std::fs::remove_file(listed);
    assert!(!w.path("out").exists());
}

/// A `.qdpx` with sources `anna` and `ben` (no selections) and the cases given as XML.
fn cases_qdpx(cases: &str) -> Vec<u8> {
    let qde = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"cases\" origin=\"QualCoder 3.6\">\n\
<Variables>\n\
<Variable guid=\"7a000000-0000-4000-8000-000000000001\" name=\"role\" typeOfVariable=\"Text\"/>\n\
<Variable guid=\"7a000000-0000-4000-8000-000000000002\" name=\"gender\" typeOfVariable=\"Text\"/>\n\
</Variables>\n\
<Cases>\n{cases}</Cases>\n\
<Sources>\n\
<TextSource guid=\"7a000000-0000-4000-8000-0000000000a1\" name=\"Anna\" plainTextPath=\"internal://anna.txt\"/>\n\
<TextSource guid=\"7a000000-0000-4000-8000-0000000000b1\" name=\"Ben\" plainTextPath=\"internal://ben.txt\"/>\n\
</Sources>\n\
</Project>\n"
    );
    zip(&[
        ("project.qde", qde.as_bytes()),
        ("sources/anna.txt", b"We talked about the garden.\n"),
        ("sources/ben.txt", b"He spoke of the harbour.\n"),
    ])
}

/// A case with a role and a gender, linked to the source guid `to`.
fn case(guid: &str, name: &str, role: &str, gender: &str, to: &str) -> String {
    format!(
        "<Case guid=\"{guid}\" name=\"{name}\">\
<VariableValue><VariableRef targetGUID=\"7a000000-0000-4000-8000-000000000001\"/><TextValue>{role}</TextValue></VariableValue>\
<VariableValue><VariableRef targetGUID=\"7a000000-0000-4000-8000-000000000002\"/><TextValue>{gender}</TextValue></VariableValue>\
<SourceRef targetGUID=\"{to}\"/></Case>\n"
    )
}

#[test]
fn a_case_whose_source_ref_points_nowhere_is_reported_and_linked_by_its_name_when_that_is_unambiguous() {
    let w = Workdir::new();
    let cases = [
        case("7a000000-0000-4000-8000-0000000000c1", "anna", "EPR", "F", "7a000000-0000-4000-8000-00000000dead"),
        case("7a000000-0000-4000-8000-0000000000c2", "carl", "PR", "M", "7a000000-0000-4000-8000-00000000beef"),
        case("7a000000-0000-4000-8000-0000000000c3", "ben", "PR", "M", "7a000000-0000-4000-8000-0000000000b1"),
    ]
    .concat();
    w.write("cases.qdpx", cases_qdpx(&cases));
    let r = w.run(&["import", "qdpx", "cases.qdpx", "--into", "p"]).ok();
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(
        warnings,
        [
            "warning: case `anna` (guid 7a000000-0000-4000-8000-0000000000c1) refers to source 7a000000-0000-4000-8000-00000000dead, \
which is not in the file; linked to source `Anna` by its name",
            "warning: case `carl` (guid 7a000000-0000-4000-8000-0000000000c2) refers to source 7a000000-0000-4000-8000-00000000beef, \
which is not in the file; no source has its name, so its variables are not imported",
        ],
        "{}",
        r.stderr
    );
    let anna = std::fs::read_to_string(w.path("p/sources/Anna.txt")).unwrap();
    assert!(anna.contains("\nspeaker R: case=anna gender=F role=EPR\n"), "{anna}");
    let ben = std::fs::read_to_string(w.path("p/sources/Ben.txt")).unwrap();
    assert!(ben.contains("\nspeaker R: case=ben gender=M role=PR\n"), "{ben}");
}

#[test]
fn a_dangling_case_whose_name_matches_two_sources_keeps_no_variables_and_says_why() {
    let w = Workdir::new();
    let qdpx = cases_qdpx(&case("7a000000-0000-4000-8000-0000000000c1", "anna", "EPR", "F", "7a000000-0000-4000-8000-00000000dead"));
    // A second source called `ANNA` (its file is `ben.txt`).
    let entries: Vec<(String, Vec<u8>)> = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.qdpx");
        std::fs::write(&path, &qdpx).unwrap();
        unzip(&path)
    };
    let fixed: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .map(
            |(n, b)| {
                if n == "project.qde" {
                    (n, String::from_utf8(b).unwrap().replace("name=\"Ben\"", "name=\"ANNA\"").into_bytes())
                } else {
                    (n, b)
                }
            },
        )
        .collect();
    let refs: Vec<(&str, &[u8])> = fixed.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    w.write("two.qdpx", zip(&refs));
    let r = w.run(&["import", "qdpx", "two.qdpx", "--into", "p"]).ok();
    assert!(
        r.stderr.lines().any(|l| l
            == "warning: case `anna` (guid 7a000000-0000-4000-8000-0000000000c1) refers to source 7a000000-0000-4000-8000-00000000dead, \
which is not in the file; its name matches several sources (Anna, ANNA), so its variables are not imported"),
        "{}",
        r.stderr
    );
    let anna = std::fs::read_to_string(w.path("p/sources/Anna.txt")).unwrap();
    assert!(anna.contains("\nspeaker R: role=PR\n"), "default role, no case: {anna}");
}

#[test]
fn a_project_qde_in_another_namespace_is_refused_and_the_known_variants_are_read() {
    let w = Workdir::new();
    let text = b"Some words.\n";
    let qde = |ns: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"{ns}\" name=\"n\">\n<Sources><TextSource guid=\"7a000000-0000-4000-8000-0000000000a1\" name=\"a\" plainTextPath=\"internal://a.txt\"/></Sources>\n</Project>\n"
        )
    };
    for (i, ns) in ["urn:QDA-XML:project:1.0", "urn:QDA-XML:project:0:4", "urn:QDA-XML:project:1:0"].iter().enumerate() {
        w.write("ok.qdpx", zip(&[("project.qde", qde(ns).as_bytes()), ("sources/a.txt", text)]));
        let into = format!("ok-{i}");
        w.run(&["import", "qdpx", "ok.qdpx", "--into", &into]).ok();
    }
    w.write("bad.qdpx", zip(&[("project.qde", qde("http://example.org/other").as_bytes()), ("sources/a.txt", text)]));
    let r = w.run(&["import", "qdpx", "bad.qdpx", "--into", "bad"]).exits(3);
    assert_eq!(r.status, 3);
    assert_eq!(
        r.stderr,
        "quire: bad.qdpx!project.qde:2: not a REFI-QDA project file: the root element's namespace is `http://example.org/other`, \
not `urn:QDA-XML:project:1.0` (or another version of it)\n"
    );
    assert!(!w.path("bad").exists());
    // A codebook namespace on a .qdc is checked the same way.
    w.write("bad.qdc", folder_qdc().replace("urn:QDA-XML:codebook:1.0", "urn:QDA-XML:project:1.0"));
    w.run(&["init", "q"]).ok();
    let r = w.run(&["--project", "q", "codebook", "import", "bad.qdc"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: bad.qdc:2: not a REFI-QDA codebook file: the root element's namespace is `urn:QDA-XML:project:1.0`, \
not `urn:QDA-XML:codebook:1.0` (or another version of it)\n"
    );
}

#[test]
fn invalid_utf8_in_the_project_xml_and_in_a_source_text_is_reported_by_line() {
    let w = Workdir::new();
    let qde = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"n\">\n\
<Sources><TextSource guid=\"7a000000-0000-4000-8000-0000000000a1\" name=\"a\" plainTextPath=\"internal://a.txt\"/></Sources>\n</Project>\n";
    let mut bad_qde = qde.as_bytes().to_vec();
    // "name=\"n\"" on line 2 becomes "name=\"\xFF\"".
    let at = bad_qde.windows(8).position(|x| x == b"name=\"n\"").unwrap() + 6;
    bad_qde[at] = 0xFF;
    w.write("badxml.qdpx", zip(&[("project.qde", &bad_qde), ("sources/a.txt", b"Some words.\n")]));
    let r = w.run(&["import", "qdpx", "badxml.qdpx", "--into", "p"]).exits(3);
    assert_eq!(r.stderr, format!("quire: badxml.qdpx!project.qde:2: invalid UTF-8 at column 48 (byte {at}); save the file as UTF-8\n"));
    // The column counts characters: "Ligne é" is 7 characters before the bad byte (8 bytes).
    let mut text = "Line one.\nLigne é".as_bytes().to_vec();
    text.extend_from_slice(b"\xC3two.\n");
    w.write("badtext.qdpx", zip(&[("project.qde", qde.as_bytes()), ("sources/a.txt", &text)]));
    let r = w.run(&["import", "qdpx", "badtext.qdpx", "--into", "p"]).exits(3);
    assert_eq!(r.stderr, "quire: badtext.qdpx!sources/a.txt:2: invalid UTF-8 at column 8 (byte 18); save the text as UTF-8\n");
    assert!(!w.path("p").exists());
}

#[test]
fn import_into_a_file_says_it_is_a_file() {
    let w = Workdir::new();
    w.write("qc.qdpx", one_source_qdpx("QualCoder 3.6", b"Some words.\n", &[(0, 4)]));
    w.write("taken", "x");
    let r = w.run(&["import", "qdpx", "qc.qdpx", "--into", "taken"]).exits(4);
    assert_eq!(r.status, 4);
    assert_eq!(r.stderr, "quire: taken: is a file, not a directory; import into a new directory\n");
    assert_eq!(std::fs::read_to_string(w.path("taken")).unwrap(), "x");
}

#[test]
fn a_folder_survives_export_qdpx_and_import_qdpx_and_codings_of_a_folder_are_kept_as_a_code() {
    let w = Workdir::new();
    folder_project(&w);
    w.run(&["--project", "p", "code", "PT-EPR-01:2", "leaf"]).ok();
    w.run(&["--project", "p", "export", "qdpx", "p.qdpx"]).ok();
    let entries = unzip(&w.path("p.qdpx"));
    let qde = String::from_utf8(entries.iter().find(|(n, _)| n == "project.qde").unwrap().1.clone()).unwrap();
    let folder = qde.lines().find(|l| l.contains("name=\"Folder\"")).unwrap();
    assert!(folder.contains("isCodable=\"false\""), "{folder}");
    w.run(&["import", "qdpx", "p.qdpx", "--into", "back"]).ok();
    assert_eq!(w.run(&["--project", "back", "codebook", "tree"]).ok().stdout, "folder  Folder  (folder)\n  leaf  Leaf\n2 codes\n");

    // A producer that coded its folder anyway: the coding is kept and the folder made codable.
    let coded_folder: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .filter(|(n, _)| n != "quire/codebook.json")
        .map(|(n, b)| {
            if n == "project.qde" {
                (
                    n,
                    String::from_utf8(b)
                        .unwrap()
                        .replace(LEAF_GUID, "X")
                        .replace("targetGUID=\"X\"", &format!("targetGUID=\"{FOLDER_GUID}\""))
                        .replace("guid=\"X\"", &format!("guid=\"{LEAF_GUID}\""))
                        .into_bytes(),
                )
            } else {
                (n, b)
            }
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = coded_folder.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    w.write("coded.qdpx", zip(&refs));
    let r = w.run(&["import", "qdpx", "coded.qdpx", "--into", "coded"]).ok();
    assert!(
        r.stderr.lines().any(|l| l == "warning: `folder` is marked not codable (isCodable=\"false\") but has codings; imported as a codable code"),
        "{}",
        r.stderr
    );
    assert_eq!(w.run(&["--project", "coded", "codebook", "tree"]).ok().stdout, "folder  Folder\n  leaf  Leaf\n2 codes\n");
}

/// `(start, end, code, coder, text)` of every coding of a project, sorted.
fn codings(w: &Workdir, project: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(w.path(&format!("{project}/codings"))).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            for r in csv::Reader::from_path(&path).unwrap().records() {
                let r = r.unwrap();
                out.push([0, 1, 2, 3, 4, 6].iter().map(|i| r[*i].to_string()).collect());
            }
        }
    }
    out.sort();
    out
}

fn qualcoder_file(name: &str) -> String {
    common::repo().join("tests/data/qualcoder").join(name).to_str().unwrap().to_string()
}

#[test]
fn qualcoders_export_with_maxqda_line_endings_lands_every_selection_like_its_plain_export() {
    let w = Workdir::new();
    w.run(&["import", "qdpx", &qualcoder_file("qualcoder-export.qdpx"), "--into", "plain"]).ok();
    let r = w.run(&["import", "qdpx", &qualcoder_file("qualcoder-export-maxqda-endings.qdpx"), "--into", "crlf"]).ok();
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines[1..3],
        [
            "positions read as Unicode code points (CRLF = 1), where every selection lands: read as Unicode code points (CRLF = 2) \
(detected from origin `QualCoder 4.0 Beta`), 7 of 7 did not",
            "selections: 7, landing on text: 7, not landing: 0"
        ],
        "{}",
        r.stderr
    );
    let plain = codings(&w, "plain");
    assert_eq!(plain.len(), 7);
    assert_eq!(codings(&w, "crlf"), plain);
}

#[test]
fn qualcoders_category_comes_back_as_a_folder_and_its_unlinked_cases_are_reported() {
    let w = Workdir::new();
    let r = w.run(&["import", "qdpx", &qualcoder_file("qualcoder-export.qdpx"), "--into", "p"]).ok();
    let tree = w.run(&["--project", "p", "codebook", "tree"]).ok().stdout;
    assert!(tree.contains("lugares  Lugares  (folder)\n  casa  Casa\n  aldeia  Aldeia\n"), "{tree}");
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning: case")).collect();
    assert_eq!(
        warnings,
        [
            "warning: case `Pessoa A` (guid 27a2b79e-899e-4cf8-a071-70fa7a910fee) is linked to no source; no source has its name, so its variables are not imported",
            "warning: case `Pessoa B` (guid 85bb8369-9d55-46b2-b086-dda303eb49fc) is linked to no source; no source has its name, so its variables are not imported",
        ]
    );
    let r = w.run(&["--project", "p", "code", "Entrevista-A:1", "lugares"]).exits(2);
    assert_eq!(
        r.stderr,
        "quire: `lugares` is a folder: it groups codes but cannot be applied; apply one of its codes instead (lugares/casa, lugares/aldeia)\n"
    );
    w.run(&["--project", "p", "export", "qdpx", "back.qdpx"]).ok();
    let qde = String::from_utf8(unzip(&w.path("back.qdpx")).into_iter().find(|(n, _)| n == "project.qde").unwrap().1).unwrap();
    let folder = qde.lines().find(|l| l.contains("name=\"Lugares\"")).unwrap();
    assert!(folder.contains("isCodable=\"false\""), "{folder}");
}

/// The BE fixture after QualCoder's own import and export (`tests/data/qualcoder-roundtrip`).
fn be_roundtrip() -> String {
    common::repo().join("tests/data/qualcoder-roundtrip/be-roundtrip.qdpx").to_str().unwrap().to_string()
}

#[test]
fn after_a_real_qualcoder_round_trip_codebook_import_adds_nothing_and_merge_aligns_every_code() {
    let w = Workdir::new();
    let before = files(&w, "fixtures/first48/be");
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", &be_roundtrip()]).ok();
    assert!(r.stderr.ends_with(": 0 code(s) added, 0 already present by guid, 16 by path, 80 by name path\n"), "{}", r.stderr);
    assert_eq!(files(&w, "fixtures/first48/be"), before);

    let r = w.run(&["merge", "fixtures/first48/pt", &be_roundtrip(), "--into", "out"]).ok();
    assert!(r.stdout.contains("| proj.qda | 7 | 7 | 111 | 0 | 0 | 0 | 0 |\n"), "{}", r.stdout);
    assert!(r.stdout.contains("Merged project: 14 sources, 348 codings, 96 codes."), "{}", r.stdout);
    assert!(r.stdout.contains("\n96 code(s) aligned by the names of their path only"), "{}", r.stdout);
    // Its cases lost their SourceRefs; quire's `SOURCE/SPEAKER` case names link them back.
    assert!(
        r.stderr.lines().any(|l| l
            == "warning: case `BE-EPR-01/R` (guid 16430a97-407a-426c-b2a6-63c26e188298) is linked to no source; \
linked to source `BE-EPR-01` by its name"),
        "{}",
        r.stderr
    );
}
