//! Integration tests for `quire sheet import`: a blank cell changes nothing unless `--sync`,
//! `--dry-run` previews per segment and writes nothing, and sheets saved by a European Excel
//! (`;` separators, Windows-1252) are read or refused naming both.

mod common;

use common::{project_files, Workdir};

const PT: &str = "fixtures/first48/pt";

/// The sheet's rows as records, with the header.
fn parse(sheet: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let headers = reader.headers().unwrap().clone();
    (headers, reader.records().map(|r| r.unwrap()).collect())
}

fn write_sheet(w: &Workdir, name: &str, headers: &csv::StringRecord, rows: &[csv::StringRecord], separator: u8) -> Vec<u8> {
    let mut wtr = csv::WriterBuilder::new().delimiter(separator).from_writer(Vec::new());
    wtr.write_record(headers).unwrap();
    for r in rows {
        wtr.write_record(r).unwrap();
    }
    let bytes = wtr.into_inner().unwrap();
    w.write(name, &bytes);
    bytes
}

fn with_codes(rec: &csv::StringRecord, col: usize, codes: &str) -> csv::StringRecord {
    let mut v: Vec<String> = rec.iter().map(String::from).collect();
    v[col] = codes.to_string();
    csv::StringRecord::from(v)
}

/// Whole-segment codings of the project's coder `fixture` on PT-PR-02, by an independent count
/// over the segments `show` prints and the coding file.
fn whole_segment_codings(w: &Workdir) -> usize {
    let shown = w.run(&["--project", PT, "show", "PT-PR-02", "--respondents", "--format", "json"]).ok().json();
    let spans: Vec<(u64, u64)> = shown.as_array().unwrap().iter().map(|s| (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap())).collect();
    csv::Reader::from_path(w.path(&format!("{PT}/codings/fixture.csv")))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[0] == "PT-PR-02" && spans.contains(&(r[1].parse().unwrap(), r[2].parse().unwrap())))
        .count()
}

#[test]
fn importing_a_sheet_exported_with_defaults_removes_nothing() {
    let w = Workdir::new();
    let sheet = w.run(&["--project", PT, "sheet", "export", "--source", "PT-PR-02"]).ok().stdout;
    w.write("sheet.csv", &sheet);
    let whole = whole_segment_codings(&w);
    assert!(whole > 0, "the fixture has whole-segment codings the blank cells could delete");
    let before = project_files(&w, PT);
    let r = w.run(&["--project", PT, "sheet", "import", "sheet.csv"]).exits(0);
    assert_eq!(project_files(&w, PT), before, "nothing changed, nothing written");
    let rows = parse(&sheet).1.len();
    assert_eq!(
        r.stderr,
        format!(
            "sheet.csv: {rows} segment(s) read; 0 coding(s) added, 0 removed for fixture\n\
             {whole} whole-segment coding(s) of fixture not listed in the sheet were kept (--sync would remove them)\n"
        )
    );
}

#[test]
fn sync_removes_what_blank_cells_leave_out_and_its_dry_run_lists_it_without_writing() {
    let w = Workdir::new();
    let sheet = w.run(&["--project", PT, "sheet", "export", "--source", "PT-PR-02"]).ok().stdout;
    w.write("sheet.csv", &sheet);
    let whole = whole_segment_codings(&w);
    let before = project_files(&w, PT);
    let r = w.run(&["--project", PT, "sheet", "import", "sheet.csv", "--sync", "--dry-run"]).exits(0);
    assert_eq!(project_files(&w, PT), before, "a dry run writes nothing");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), whole, "{}", r.stdout);
    assert!(lines.iter().all(|l| l.starts_with("PT-PR-02:") && l.split('\t').nth(1) == Some("-")), "{}", r.stdout);
    assert!(r.stderr.contains(&format!("0 coding(s) would be added, {whole} removed for fixture (dry run: nothing written)")), "{}", r.stderr);
    // The same import for real removes exactly those.
    let r = w.run(&["--project", PT, "sheet", "import", "sheet.csv", "--sync"]).exits(0);
    assert!(r.stderr.contains(&format!("0 coding(s) added, {whole} removed for fixture")), "{}", r.stderr);
    assert_eq!(whole_segment_codings(&w), 0);
}

#[test]
fn a_filled_sheet_adds_by_default_and_sync_makes_the_cells_exact() {
    let w = Workdir::new();
    w.country_project("be");
    let sheet = w.run(&["--project", "be", "sheet", "export", "--source", "BE-PR-01"]).ok().stdout;
    let (headers, mut rows) = parse(&sheet);
    let codes = headers.iter().position(|h| h == "codes").unwrap();
    rows[0] = with_codes(&rows[0], codes, "housing;stigma");
    rows[1] = with_codes(&rows[1], codes, "craving");
    write_sheet(&w, "filled.csv", &headers, &rows, b',');
    let r = w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana", "--dry-run"]).exits(0);
    assert_eq!(
        r.stdout,
        "BE-PR-01:2\t+\tchallenges/individual/stigma\nBE-PR-01:2\t+\tchallenges/structural/housing\nBE-PR-01:3\t+\treasons/craving\n"
    );
    assert!(!w.path("be/codings/ana.csv").exists(), "a dry run creates no coding file");
    w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana"]).ok();
    // Without --sync, a cell that lists fewer codes removes none.
    rows[0] = with_codes(&rows[0], codes, "housing");
    write_sheet(&w, "filled.csv", &headers, &rows, b',');
    let before = project_files(&w, "be");
    let r = w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana"]).exits(0);
    assert_eq!(project_files(&w, "be"), before);
    assert!(r.stderr.contains("1 whole-segment coding(s) of ana not listed in the sheet were kept"), "{}", r.stderr);
    // With --sync it goes.
    let r = w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana", "--sync", "--dry-run"]).exits(0);
    assert_eq!(r.stdout, "BE-PR-01:2\t-\tchallenges/individual/stigma\n");
    w.run(&["--project", "be", "sheet", "import", "filled.csv", "--coder", "ana", "--sync"]).ok();
    let again = w.run(&["--project", "be", "sheet", "export", "--source", "BE-PR-01", "--coder", "ana"]).ok().stdout;
    let (_, refilled) = parse(&again);
    assert_eq!((&refilled[0][codes], &refilled[1][codes]), ("challenges/structural/housing", "reasons/craving"));
}

#[test]
fn a_sheet_saved_by_a_european_excel_is_read() {
    let w = Workdir::new();
    w.country_project("fr");
    let sheet = w.run(&["--project", "fr", "sheet", "export", "--source", "FR-PR-01"]).ok().stdout;
    let (headers, mut rows) = parse(&sheet);
    let codes = headers.iter().position(|h| h == "codes").unwrap();
    let text = headers.iter().position(|h| h == "text").unwrap();
    let accented = rows.iter().position(|r| r[text].chars().any(|c| "éèàçê".contains(c))).expect("a French segment with an accent");
    rows[accented] = with_codes(&rows[accented], codes, "housing;stigma");
    // `;` separators (the codes cell is quoted), Windows-1252 bytes, CRLF line ends.
    let utf8 = String::from_utf8(write_sheet(&w, "unused.csv", &headers, &rows, b';')).unwrap();
    assert!(utf8.contains("\"housing;stigma\""));
    let cp1252: Vec<u8> = utf8
        .replace('\n', "\r\n")
        .chars()
        .map(|c| match c {
            '’' => 0x92,
            '€' => 0x80,
            '…' => 0x85,
            c if (c as u32) < 0x100 => c as u8,
            c => panic!("{c} is not in Windows-1252"),
        })
        .collect();
    assert!(cp1252.iter().any(|b| *b >= 0xE0), "the file has accented letters as single bytes");
    w.write("excel.csv", &cp1252);
    let r = w.run(&["--project", "fr", "sheet", "import", "excel.csv", "--coder", "ana"]).exits(0);
    assert_eq!(
        r.stderr,
        format!(
            "excel.csv: read as Windows-1252 (cp1252) with `;` separators (as a spreadsheet saves \"CSV\" in some locales)\n\
             excel.csv: {} segment(s) read; 2 coding(s) added, 0 removed for ana\n",
            rows.len()
        )
    );
}

#[test]
fn a_sheet_in_another_encoding_is_refused_naming_the_encodings_and_nothing_is_written() {
    let w = Workdir::new();
    w.country_project("fr");
    let before = project_files(&w, "fr");
    // 0x81 is defined neither in UTF-8 (alone) nor in Windows-1252: e.g. a Mac Roman or UTF-16 file.
    w.write("other.csv", b"segment;text;codes\nFR-PR-01:2;caf\x81;housing\n");
    let r = w.run(&["--project", "fr", "sheet", "import", "other.csv", "--coder", "ana"]).exits(3);
    assert_eq!(
        r.stderr.trim_end(),
        "quire: other.csv:2: byte 0x81 is neither UTF-8 nor Windows-1252 (cp1252), the encodings read; save the sheet as \"CSV UTF-8\""
    );
    // Read, but without the columns a sheet needs: the message says how it was read.
    w.write("tabs.csv", "segment\ttext\tcodes\nFR-PR-01:2\tx\thousing\n");
    let r = w.run(&["--project", "fr", "sheet", "import", "tabs.csv", "--coder", "ana"]).exits(3);
    assert!(
        r.stderr.contains("a coding sheet needs `segment`, `text` and `codes` columns (read with separator `,`, encoding UTF-8)"),
        "{}",
        r.stderr
    );
    assert_eq!(project_files(&w, "fr"), before);
}
