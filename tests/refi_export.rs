//! Integration tests for the shape of `export qdpx`: one selection per span and coder, positions
//! in UTF-16 code units for NVivo (`--positions utf16`, `--for nvivo`), and the limits that keep
//! a hostile `.qdpx` from taking the machine's memory on import.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{entry, xmllint, zip, Workdir};

/// The value of attribute `name` in one line of XML as quire writes it (one element a line).
fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let at = line.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&line[at..at + line[at..].find('"')?])
}

/// Distinct codings (source, start, end, code) per coder in a project's coding files.
fn codings_per_coder(dir: &Path) -> BTreeMap<String, usize> {
    let mut distinct: BTreeMap<String, std::collections::BTreeSet<(String, String, String, String)>> = BTreeMap::new();
    for file in fs::read_dir(dir.join("codings")).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") || path.to_str().unwrap().ends_with(".orphaned.csv") {
            continue;
        }
        for row in csv::Reader::from_path(&path).unwrap().records() {
            let r = row.unwrap();
            distinct.entry(r[4].to_string()).or_default().insert((r[0].to_string(), r[1].to_string(), r[2].to_string(), r[3].to_string()));
        }
    }
    distinct.into_iter().map(|(coder, set)| (coder, set.len())).collect()
}

/// Per selection of a project XML: its creatingUser's name and its codings' creatingUsers' names.
fn selections_by_user(qde: &str) -> Vec<(String, Vec<String>)> {
    let users: BTreeMap<&str, &str> =
        qde.lines().filter(|l| l.trim_start().starts_with("<User ")).map(|l| (attr(l, "guid").unwrap(), attr(l, "name").unwrap())).collect();
    let name = |line: &str| users[attr(line, "creatingUser").expect("a creatingUser")].to_string();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in qde.lines().map(str::trim_start) {
        if line.starts_with("<PlainTextSelection ") {
            out.push((name(line), Vec::new()));
        } else if line.starts_with("<Coding ") {
            out.last_mut().unwrap().1.push(name(line));
        }
    }
    out
}

#[test]
fn export_writes_one_selection_per_span_and_coder() {
    let w = Workdir::new();
    let r = w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    let qde = String::from_utf8(entry(&w.path("pt.qdpx"), "project.qde")).unwrap();
    let selections = selections_by_user(&qde);
    // Every selection's codings are its own coder's, and it holds at least one.
    for (user, codings) in &selections {
        assert!(!codings.is_empty() && codings.iter().all(|c| c == user), "a selection of {user} holds codings of {codings:?}");
    }
    let mut exported: BTreeMap<String, usize> = BTreeMap::new();
    for (user, codings) in &selections {
        *exported.entry(user.clone()).or_default() += codings.len();
    }
    let expected = codings_per_coder(&w.path("fixtures/first48/pt"));
    assert_eq!(expected, BTreeMap::from([("fixture".to_string(), 123), ("fixture2".to_string(), 114)]));
    assert_eq!(exported, expected);
    // 107 coded spans, 31 of them coded by both coders: 138 selections.
    let mut spans = std::collections::BTreeSet::new();
    let mut source = "";
    for line in qde.lines().map(str::trim_start) {
        if line.starts_with("<TextSource ") {
            source = attr(line, "guid").unwrap();
        } else if line.starts_with("<PlainTextSelection ") {
            spans.insert((source, attr(line, "startPosition").unwrap(), attr(line, "endPosition").unwrap()));
        }
    }
    assert_eq!(selections.len(), 138, "{}", r.stderr);
    assert_eq!(spans.len(), 107);
    assert!(r.stderr.contains(": 2 users, 96 codes, 10 variables, 11 cases, 7 sources, 138 selections, 237 codings\n"), "{}", r.stderr);
    // Deterministic, and valid against the schema.
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt2.qdpx"]).ok();
    assert_eq!(fs::read(w.path("pt.qdpx")).unwrap(), fs::read(w.path("pt2.qdpx")).unwrap());
    xmllint(&w, qde.as_bytes(), "Project.xsd");
    // Imported back: the same codings, each with its coder.
    w.run(&["import", "qdpx", "pt.qdpx", "--into", "back"]).ok();
    assert_eq!(codings_per_coder(&w.path("back")), expected);
    for coder in ["fixture", "fixture2"] {
        let file = format!("codings/{coder}.csv");
        assert_eq!(fs::read(w.path("back").join(&file)).unwrap(), fs::read(w.path("fixtures/first48/pt").join(&file)).unwrap(), "{file}");
    }
}

#[test]
fn a_selection_holding_codings_of_two_users_imports_each_with_its_own_coder() {
    // The shape quire wrote before: one selection per span, codings of several users in it.
    let g = |n: u32| format!("{n:08x}-0000-4000-8000-000000000000");
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="dois" origin="hand">
  <Users><User guid="{ua}" name="ana" /><User guid="{ub}" name="rui" /></Users>
  <CodeBook><Codes><Code guid="{c1}" name="Casa" isCodable="true" /><Code guid="{c2}" name="Trabalho" isCodable="true" /></Codes></CodeBook>
  <Sources><TextSource guid="{s}" name="Entrevista" plainTextPath="internal://{s}.txt">
    <PlainTextSelection guid="{p}" startPosition="0" endPosition="10" creatingUser="{ua}">
      <Coding guid="{k1}" creatingUser="{ua}"><CodeRef targetGUID="{c1}" /></Coding>
      <Coding guid="{k2}" creatingUser="{ub}"><CodeRef targetGUID="{c1}" /></Coding>
      <Coding guid="{k3}" creatingUser="{ub}"><CodeRef targetGUID="{c2}" /></Coding>
    </PlainTextSelection>
  </TextSource></Sources>
</Project>
"#,
        ua = g(1),
        ub = g(2),
        c1 = g(3),
        c2 = g(4),
        s = g(5),
        p = g(6),
        k1 = g(7),
        k2 = g(8),
        k3 = g(9),
    );
    let w = Workdir::new();
    let text = "Uma frase. Outra frase.\n";
    w.write("dois.qdpx", zip(&[("project.qde", xml.as_bytes()), (&format!("Sources/{}.txt", g(5)), text.as_bytes())]));
    w.run(&["import", "qdpx", "dois.qdpx", "--into", "dois"]).ok();
    assert_eq!(codings_per_coder(&w.path("dois")), BTreeMap::from([("ana".to_string(), 1), ("rui".to_string(), 2)]));
    // Exported again, each coder's codings are a selection of their own.
    let r = w.run(&["--project", "dois", "export", "qdpx", "again.qdpx"]).ok();
    assert!(r.stderr.contains("2 users, 2 codes, 4 variables, 1 cases, 1 sources, 2 selections, 3 codings"), "{}", r.stderr);
    let qde = String::from_utf8(entry(&w.path("again.qdpx"), "project.qde")).unwrap();
    let shape: Vec<(String, Vec<String>)> = selections_by_user(&qde);
    assert_eq!(shape, vec![("ana".to_string(), vec!["ana".to_string()]), ("rui".to_string(), vec!["rui".to_string(), "rui".to_string()])]);
}

/// A text with characters outside the BMP before its codings, on two lines.
const ASTRAL: &str = "Uma frase 😀 e outra 🎉🎉 frase.\nSegunda linha 🌾 aqui.\n";

/// A hand-made `.qdpx` (code points) of ASTRAL coded by `ana` on "e outra", "frase." and "aqui".
fn astral_qdpx() -> Vec<u8> {
    let g = |n: u32| format!("{n:08x}-0000-4000-8000-000000000000");
    let selection = |n: u32, start: usize, end: usize| {
        format!(
            r#"<PlainTextSelection guid="{}" startPosition="{start}" endPosition="{end}" creatingUser="{u}"><Coding guid="{}" creatingUser="{u}"><CodeRef targetGUID="{c}" /></Coding></PlainTextSelection>"#,
            g(100 + n),
            g(200 + n),
            u = g(1),
            c = g(3),
        )
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="astral" origin="hand">
  <Users><User guid="{u}" name="ana" /></Users>
  <CodeBook><Codes><Code guid="{c}" name="Marca" isCodable="true" /></Codes></CodeBook>
  <Sources><TextSource guid="{s}" name="Chat" plainTextPath="internal://{s}.txt">{a}{b}{c2}</TextSource></Sources>
</Project>
"#,
        u = g(1),
        c = g(3),
        s = g(5),
        a = selection(1, 12, 19),
        b = selection(2, 23, 29),
        c2 = selection(3, 46, 50),
    );
    zip(&[("project.qde", xml.as_bytes()), (&format!("Sources/{}.txt", g(5)), ASTRAL.as_bytes())])
}

/// (start, end) of every selection of a project XML, in order.
fn selection_positions(qde: &str) -> Vec<(usize, usize)> {
    qde.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("<PlainTextSelection "))
        .map(|l| (attr(l, "startPosition").unwrap().parse().unwrap(), attr(l, "endPosition").unwrap().parse().unwrap()))
        .collect()
}

/// The one plain text entry of an archive.
fn source_text(qdpx: &Path) -> Vec<u8> {
    let archive = zip::ZipArchive::new(fs::File::open(qdpx).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().to_string()).filter(|n| n.starts_with("Sources/")).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    entry(qdpx, &names[0])
}

#[test]
fn utf16_positions_count_characters_outside_the_bmp_twice() {
    let w = Workdir::new();
    w.write("astral.qdpx", astral_qdpx());
    let r = w.run(&["import", "qdpx", "astral.qdpx", "--into", "astral"]).ok();
    assert!(r.stderr.contains("selections: 3, landing on text: 3, not landing: 0"), "{}", r.stderr);
    let r = w.run(&["--project", "astral", "export", "qdpx", "utf16.qdpx", "--positions", "utf16"]).ok();
    assert!(
        r.stderr.contains("positions are UTF-16 code units (as NVivo reads them) of each source's text in Sources/ (LF line ends, no BOM)"),
        "{}",
        r.stderr
    );
    let qde = String::from_utf8(entry(&w.path("utf16.qdpx"), "project.qde")).unwrap();
    assert_eq!(selection_positions(&qde), [(13, 20), (26, 32), (50, 54)]);
    assert!(qde.contains("count UTF-16 code units (a character outside the BMP counts 2)"), "{qde}");
    assert_eq!(source_text(&w.path("utf16.qdpx")), ASTRAL.as_bytes(), "the text itself is unchanged");
    xmllint(&w, qde.as_bytes(), "Project.xsd");
    // The default is still code points.
    w.run(&["--project", "astral", "export", "qdpx", "cp.qdpx"]).ok();
    let qde = String::from_utf8(entry(&w.path("cp.qdpx"), "project.qde")).unwrap();
    assert_eq!(selection_positions(&qde), [(12, 19), (23, 29), (46, 50)]);
}

#[test]
fn for_nvivo_writes_utf16_positions_over_a_text_with_a_bom_and_crlf() {
    let w = Workdir::new();
    w.write("astral.qdpx", astral_qdpx());
    w.run(&["import", "qdpx", "astral.qdpx", "--into", "astral"]).ok();
    let r = w.run(&["--project", "astral", "export", "qdpx", "nvivo.qdpx", "--for", "nvivo"]).ok();
    assert!(
        r.stderr.contains("positions are UTF-16 code units (as NVivo reads them) of each source's text in Sources/ (CRLF line ends counting 2, a UTF-8 BOM not counted)"),
        "{}",
        r.stderr
    );
    let qde = String::from_utf8(entry(&w.path("nvivo.qdpx"), "project.qde")).unwrap();
    // CRLF counts 2: "aqui", on the second line, is one further on than in utf16 alone.
    assert_eq!(selection_positions(&qde), [(13, 20), (26, 32), (51, 55)]);
    let text = format!("\u{FEFF}{}", ASTRAL.replace('\n', "\r\n"));
    assert_eq!(source_text(&w.path("nvivo.qdpx")), text.as_bytes());
    xmllint(&w, qde.as_bytes(), "Project.xsd");
    let r = w.run(&["--project", "astral", "export", "qdpx", "x.qdpx", "--for", "nvivo", "--positions", "code-points"]).exits(2);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("error: the argument '--for <PROGRAM>' cannot be used with '--positions <UNIT>'\n"), "{}", r.stderr);
}

#[test]
fn astral_text_round_trips_exactly_through_each_unit() {
    let w = Workdir::new();
    w.write("astral.qdpx", astral_qdpx());
    w.run(&["import", "qdpx", "astral.qdpx", "--into", "astral"]).ok();
    let original = fs::read(w.path("astral/codings/ana.csv")).unwrap();
    let source = fs::read(w.path("astral/sources/Chat.txt")).unwrap();
    // (export flags, import --positions)
    let cases: [(&[&str], &str); 3] = [(&[], "code-points"), (&["--positions", "utf16"], "utf16"), (&["--for", "nvivo"], "utf16")];
    for (n, (flags, units)) in cases.iter().enumerate() {
        let file = format!("out{n}.qdpx");
        let mut args = vec!["--project", "astral", "export", "qdpx", &file];
        args.extend_from_slice(flags);
        w.run(&args).ok();
        for (into, positions) in [(format!("back{n}"), Some(*units)), (format!("detected{n}"), None)] {
            let mut args = vec!["import", "qdpx", &file, "--into", &into];
            if let Some(p) = positions {
                args.extend(["--positions", p]);
            }
            let r = w.run(&args).ok();
            assert!(r.stderr.contains("selections: 3, landing on text: 3, not landing: 0"), "{flags:?} {positions:?}: {}", r.stderr);
            assert_eq!(fs::read(w.path(&into).join("codings/ana.csv")).unwrap(), original, "{flags:?} {positions:?}: the same codings");
            assert_eq!(fs::read(w.path(&into).join("sources/Chat.txt")).unwrap(), source, "{flags:?} {positions:?}: the same source");
        }
    }
    // Read in the wrong unit, the utf16 export's last selection is past the text's end.
    let r = w.run(&["import", "qdpx", "out1.qdpx", "--into", "wrong", "--positions", "code-points"]).exits(3);
    assert!(r.stderr.contains("positions 50..54 fall outside source `Chat` (52 code points long)"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Hostile archives: refused quickly, with one message naming the entry (and the element), and
// nothing written. Built here without holding what they unpack to.

/// One entry of a zip archive, already deflated: (name, deflated bytes, CRC-32, unpacked size).
struct Raw {
    name: String,
    deflated: Vec<u8>,
    crc: u32,
    size: u64,
}

/// An entry that unpacks to `head`, `repeat` copies of `chunk`, then `tail`: `chunk` is deflated
/// once, ending on a sync flush, and its deflated bytes repeated (they refer to nothing before
/// them), so a gigabyte costs a few kilobytes and no time.
fn repeated(name: &str, head: &[u8], chunk: &[u8], repeat: usize, tail: &[u8]) -> Raw {
    use flate2::{Compress, Compression, FlushCompress};
    let deflate = |bytes: &[u8], flush: FlushCompress| {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(bytes.len() + 1024);
        c.compress_vec(bytes, &mut out, flush).unwrap();
        assert_eq!(c.total_in() as usize, bytes.len());
        out
    };
    let (head_d, chunk_d, tail_d) = (deflate(head, FlushCompress::Sync), deflate(chunk, FlushCompress::Sync), deflate(tail, FlushCompress::Finish));
    let mut deflated = head_d;
    for _ in 0..repeat {
        deflated.extend_from_slice(&chunk_d);
    }
    deflated.extend_from_slice(&tail_d);
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    let mut one = crc32fast::Hasher::new();
    one.update(chunk);
    for _ in 0..repeat {
        crc.combine(&one);
    }
    crc.update(tail);
    Raw { name: name.into(), deflated, crc: crc.finalize(), size: (head.len() + chunk.len() * repeat + tail.len()) as u64 }
}

/// A zip archive (no Zip64: every size under 4 GiB) of raw entries, with honest headers.
fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let fields = |h: &mut Vec<u8>| {
            for v in [20u16, 0, 8, 0, 0x21] {
                h.extend_from_slice(&v.to_le_bytes()); // version needed, flags, deflated, time, date
            }
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.deflated.len() as u32).to_le_bytes());
            h.extend_from_slice(&u32::try_from(e.size).unwrap().to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.deflated);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut central);
        for v in [0u16, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes()); // comment length, disk, internal attributes
        }
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, entries.len() as u16, entries.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

const MIB: usize = 1 << 20;
const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"bomba\" origin=\"hand\">\n";

/// Imports `bytes` as `bad.qdpx`: it fails with exit 3 and exactly `message`, within `seconds`,
/// leaving the work directory as it was.
fn refused(w: &Workdir, bytes: &[u8], message: &str, seconds: u64) {
    w.write("bad.qdpx", bytes);
    let before = common::snapshot(w.dir.path());
    let started = std::time::Instant::now();
    let r = w.run(&["import", "qdpx", "bad.qdpx", "--into", "out"]).exits(3);
    let took = started.elapsed();
    assert_eq!((r.status, r.stderr.as_str()), (3, format!("quire: {message}\n").as_str()));
    assert!(took.as_secs() < seconds, "refused in {took:?}");
    assert!(!w.path("out").exists());
    assert!(common::snapshot(w.dir.path()) == before, "the work directory is as it was");
    fs::remove_file(w.path("bad.qdpx")).unwrap();
}

#[test]
fn a_small_qdpx_declaring_a_huge_project_qde_is_refused_before_unpacking() {
    // The issue's file: 1.9 GiB of one <Description>, deflated to a few megabytes, its size
    // honestly declared (under the 2 GiB the whole archive was once allowed).
    let chunk = vec![b'a'; 4 * MIB];
    let qde = repeated("project.qde", format!("{HEAD}  <Description>").as_bytes(), &chunk, 1900 / 4, b"</Description>\n</Project>\n");
    let size = qde.size;
    assert!(size > 1900 * MIB as u64 - MIB as u64);
    let bytes = raw_zip(&[qde]);
    assert!(bytes.len() < 4 * MIB, "{} bytes", bytes.len());
    let w = Workdir::new();
    refused(
        &w,
        &bytes,
        &format!("bad.qdpx!project.qde: declares {size} unpacked bytes, more than the 96 MiB one entry may hold (a zip bomb?); nothing was read"),
        5,
    );
}

#[test]
fn one_field_larger_than_16_mib_or_a_text_larger_than_8_mib_is_refused_naming_it() {
    let w = Workdir::new();
    let chunk = vec![b'a'; MIB];
    // A project's <Description> on line 3, and an attribute.
    let description = repeated("project.qde", format!("{HEAD}  <Description>").as_bytes(), &chunk, 17, b"</Description>\n</Project>\n");
    refused(
        &w,
        &raw_zip(&[description]),
        "bad.qdpx!project.qde:3: the text of <Description> holds more than 16 MiB, the most quire reads in one field; refused",
        20,
    );
    let head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"urn:QDA-XML:project:1.0\" origin=\"hand\">\n  <Users><User guid=\"00000000-0000-4000-8000-000000000001\" name=\"";
    let attribute = repeated("project.qde", head.as_bytes(), &chunk, 17, b"\" /></Users>\n</Project>\n");
    refused(
        &w,
        &raw_zip(&[attribute]),
        "bad.qdpx!project.qde:3: attribute `name` of <User> holds more than 16 MiB, the most quire reads in one field; refused",
        20,
    );
    // A source's plain text (17 MiB, more than the 8 MiB of one source).
    let g = "00000000-0000-4000-8000-000000000005";
    let xml = format!("{HEAD}  <Sources><TextSource guid=\"{g}\" name=\"Longa\" plainTextPath=\"internal://{g}.txt\" /></Sources>\n</Project>\n");
    let qde = repeated("project.qde", xml.as_bytes(), b"", 0, b"");
    let text = repeated(&format!("Sources/{g}.txt"), b"", &chunk, 17, b"");
    refused(
        &w,
        &raw_zip(&[qde, text]),
        &format!("bad.qdpx!Sources/{g}.txt: the plain text of source `Longa` holds more than 8 MiB, the most quire reads for one source; refused"),
        20,
    );
}

#[test]
fn selections_whose_texts_add_up_past_128_mib_are_refused() {
    // A text of 1 MiB and 100 selections of all of it, each with a coding: 2 MiB each (the
    // selection's text and its coding's), past 128 MiB at the 65th.
    let g = |n: usize| format!("{n:08x}-0000-4000-8000-000000000000");
    let mut xml = format!(
        "{HEAD}  <Users><User guid=\"{}\" name=\"ana\" /></Users>\n  <CodeBook><Codes><Code guid=\"{}\" name=\"Tudo\" isCodable=\"true\" /></Codes></CodeBook>\n  <Sources><TextSource guid=\"{}\" name=\"Texto\" plainTextPath=\"internal://{}.txt\">\n",
        g(1),
        g(2),
        g(3),
        g(3)
    );
    for i in 0..100 {
        xml.push_str(&format!(
            "    <PlainTextSelection guid=\"{}\" startPosition=\"0\" endPosition=\"{MIB}\" creatingUser=\"{}\"><Coding guid=\"{}\"><CodeRef targetGUID=\"{}\" /></Coding></PlainTextSelection>\n",
            g(1000 + i),
            g(1),
            g(2000 + i),
            g(2)
        ));
    }
    xml.push_str("  </TextSource></Sources>\n</Project>\n");
    // Line 1 is the declaration, 2 the project, 3 users, 4 codes, 5 the source: the 65th
    // selection is on line 70.
    let text = "palavra ".repeat(MIB / 8);
    let bytes =
        raw_zip(&[repeated("project.qde", xml.as_bytes(), b"", 0, b""), repeated(&format!("Sources/{}.txt", g(3)), text.as_bytes(), b"", 0, b"")]);
    let w = Workdir::new();
    refused(
        &w,
        &bytes,
        &format!("bad.qdpx!project.qde:70: selection {}: the selected texts add up to more than 128 MiB, the most quire imports; refused", g(1064)),
        30,
    );
}

#[test]
fn a_qdc_codebook_larger_than_96_mib_is_refused_unread() {
    let w = Workdir::new();
    // A sparse file: 200 MiB long, no disk used.
    let big = w.path("big.qdc");
    fs::File::create(&big).unwrap().set_len(200 * MIB as u64).unwrap();
    // The project's files, derived state (`.quire/`: its lock) left out.
    let files = || {
        let mut all = common::snapshot(&w.path("fixtures/first48/be"));
        all.retain(|p, _| !p.starts_with(".quire"));
        all
    };
    let before = files();
    let r = w.run(&["--project", "fixtures/first48/be", "codebook", "import", "big.qdc"]).exits(3);
    assert_eq!((r.status, r.stderr.as_str()), (3, "quire: big.qdc: larger than the 96 MiB quire reads of a codebook; refused\n"));
    assert!(files() == before, "the project is as it was");
}
