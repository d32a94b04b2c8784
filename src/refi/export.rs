//! A quire project as a `.qdpx` file: users from coders, the code tree with guids, variables and
//! cases from respondent attributes, text sources with their transcript header in `Description`,
//! and every coded span as a `PlainTextSelection` per coder (each holding only that coder's codings),
//! in Unicode code points. The output is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use super::archive;
use super::codebook::{to_refi, with_guids};
use super::import::CODEBOOK_ENTRY;
use super::model::{Case, QdeCode, QdeProject, User, Value, Variable, VariableType};
use super::shape::Shape;
use super::{is_datetime, qde, stable_guid, StableGuid, GUID_LEN};
use crate::codebook::{Code, CodePath, Codebook};
use crate::coding::{store, Coder};
use crate::corpus::{transcript, Source};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::project::{write_atomic_with, Project};

/// What an export holds.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub users: usize,
    pub codes: usize,
    pub variables: usize,
    pub cases: usize,
    pub sources: usize,
    pub selections: usize,
    pub codings: usize,
}

/// Writes a project's `.qdpx` to `out` in `shape`, replacing it atomically; the archive is
/// streamed to disk.
pub fn export_to(project: &Project, out: &std::path::Path, shape: Shape, progress: &dyn Progress) -> Result<Summary> {
    // Selections are offsets: a source edited outside quire would get other text coded.
    crate::edits::check(project, &project.fingerprint()?)?;
    // Selections need spans, codes, coders and times, not the coded texts. The codebook and the
    // source texts are read and compressed while the coding files are read.
    let (loaded, codings) = rayon::join(
        || -> Result<(Codebook, Vec<Source>, Vec<archive::Prepared>)> {
            use rayon::prelude::*;
            let codebook = Codebook::load(&project.codebook_path())?;
            let sources = project.load_sources()?;
            let (texts, codebook_entry) = rayon::join(
                || sources.par_iter().map(|s| archive::prepare(&format!("Sources/{}.txt", source_guid(s)), &shape.text(&s.body))).collect::<Vec<_>>(),
                || archive::prepare(CODEBOOK_ENTRY, with_guids(&codebook).to_json().as_bytes()),
            );
            let mut after = texts;
            after.push(codebook_entry);
            Ok((codebook, sources, after))
        },
        || store::read_spans(project),
    );
    let ((codebook, sources, after), codings) = (loaded?, codings?);
    let coders = store::coders(project)?;
    let mut summary = Summary::default();
    write_atomic_with(out, |file| {
        let buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        let zip = archive::Writer::new(buffered);
        let content = Content { name: &project.manifest.name, codebook: &codebook, sources: &sources, codings: &codings, coders: &coders, shape };
        let (zip, written) = write(zip, content, after, progress)?;
        zip.into_inner().map_err(|e| Error::io(out, e.into_error()))?;
        summary = written;
        Ok(())
    })?;
    Ok(summary)
}

/// Sources to a piece of `project.qde`: small pieces keep both cores busy to the end, and each
/// costs only a sync flush and a fresh start of the deflate window.
const PIECE_SOURCES: usize = 4;

/// What an export holds, read from the project.
struct Content<'a> {
    name: &'a str,
    codebook: &'a Codebook,
    sources: &'a [Source],
    codings: &'a store::Spans,
    coders: &'a [Coder],
    shape: Shape,
}

/// A source's guid, and the name of its text in the archive.
fn source_guid(s: &Source) -> String {
    stable_guid("source", s.id.as_str())
}

/// Writes the `.qdpx` of project content: `project.qde` source by source (each source's XML
/// built in parallel), then `after`, the source texts and the codebook, compressed already.
fn write<W: std::io::Write + std::io::Seek>(
    zip: archive::Writer<W>,
    content: Content<'_>,
    after: Vec<archive::Prepared>,
    progress: &dyn Progress,
) -> Result<(W, Summary)> {
    QdeWriter::new(content)?.write(zip, after, progress)
}

/// A case: one per respondent case, with the respondent's attributes and the sources it speaks in.
struct CaseRow {
    values: BTreeMap<String, String>,
    /// Guids of its sources.
    sources: Vec<String>,
}

/// `project.qde` of project content: everything around the sources worked out once (users,
/// codes, variables, cases), and the spans' interned lists looked up once, so that the sources'
/// XML is written in parallel pieces.
struct QdeWriter<'a> {
    codebook: &'a Codebook,
    sources: &'a [Source],
    codings: &'a store::Spans,
    shape: Shape,
    /// Users, the code tree, variables and cases (no sources): the head and tail of the file.
    project: QdeProject,
    /// Per interned code of the spans: its guid (`None`: not in the codebook) and its path.
    code_guid: Vec<Option<String>>,
    code_path: Vec<String>,
    /// Per interned coder: the user's guid.
    coder_guid: Vec<String>,
    /// Per interned time: itself if it is an `xsd:dateTime`.
    time: Vec<Option<&'a str>>,
}

/// A code's guid by path, from the codebook and its REFI tree (made in the same order).
fn code_guids(codebook: &Codebook, refi: &[QdeCode]) -> BTreeMap<CodePath, String> {
    fn paths(codes: &[Code], refi: &[QdeCode], parent: &CodePath, out: &mut BTreeMap<CodePath, String>) {
        for (c, r) in codes.iter().zip(refi) {
            let p = parent.child(&c.id);
            out.insert(p.clone(), r.guid.clone());
            paths(&c.children, &r.children, &p, out);
        }
    }
    let mut out = BTreeMap::new();
    paths(&codebook.codes, refi, &CodePath::new(Vec::new()), &mut out);
    out
}

/// Users: every coder with a file or a coding; with the user guid of each of the spans' coders.
fn users(coders: &[Coder], codings: &store::Spans) -> (Vec<User>, Vec<String>) {
    let mut all_coders: BTreeSet<Coder> = coders.iter().cloned().collect();
    all_coders.extend(codings.coders().iter().cloned());
    let user_guids: BTreeMap<&Coder, String> = all_coders.iter().map(|c| (c, stable_guid("user", c.as_str()))).collect();
    let users = all_coders.iter().map(|c| User { guid: user_guids[c].clone(), name: Some(c.to_string()), id: None }).collect();
    let coder_guid = codings.coders().iter().map(|c| user_guids[c].clone()).collect();
    (users, coder_guid)
}

/// A source's own variable values: country, language, method, then its attributes.
fn source_values(s: &Source) -> Vec<(String, String)> {
    let mut v =
        vec![("country".to_string(), s.country.to_string()), ("language".into(), s.language.to_string()), ("method".into(), s.method.to_string())];
    v.extend(s.attributes.iter().cloned());
    v
}

/// Variables: source attributes and respondents' own attributes (`Integer` when every value is
/// one, else `Text`); cases: one per respondent case.
fn variables_and_cases(sources: &[Source]) -> (Vec<Variable>, BTreeMap<String, CaseRow>) {
    let mut cases: BTreeMap<String, CaseRow> = BTreeMap::new();
    let mut var_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in sources {
        for (k, v) in source_values(s) {
            var_values.entry(k).or_default().push(v);
        }
        for (speaker, r) in s.respondents() {
            let mut values: BTreeMap<String, String> = speaker.attributes.clone().into_iter().filter(|(k, _)| k != "case").collect();
            values.insert("country".into(), r.country.to_string());
            let row = cases.entry(r.case.clone()).or_insert_with(|| CaseRow { values: values.clone(), sources: Vec::new() });
            let guid = source_guid(s);
            if !row.sources.contains(&guid) {
                row.sources.push(guid);
            }
            for (k, v) in values {
                var_values.entry(k).or_default().push(v);
            }
        }
    }
    let variables = var_values
        .iter()
        .map(|(name, values)| {
            let integer = values.iter().all(|v| !v.is_empty() && v.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) && v != "-");
            Variable {
                guid: stable_guid("variable", name),
                name: name.clone(),
                kind: if integer { VariableType::Integer } else { VariableType::Text },
                description: None,
            }
        })
        .collect();
    (variables, cases)
}

/// Variable values from `(name, value)` pairs, in the order of `variables`.
fn value_list(variables: &[Variable], pairs: impl Iterator<Item = (String, String)>) -> Vec<Value> {
    let mut out: Vec<Value> = pairs.map(|(k, v)| Value { variable: stable_guid("variable", &k), value: v }).collect();
    out.sort_by(|a, b| {
        let name = |g: &str| variables.iter().position(|x| x.guid == g);
        name(&a.variable).cmp(&name(&b.variable))
    });
    out
}

impl<'a> QdeWriter<'a> {
    /// Works out users, codes, variables and cases; refused when a coding names a source the
    /// project does not have.
    fn new(content: Content<'a>) -> Result<QdeWriter<'a>> {
        let Content { name, codebook, sources, codings, coders, shape } = content;
        let codes = to_refi(codebook);
        let code_guids = code_guids(codebook, &codes);
        let (users, coder_guid) = users(coders, codings);
        let (variables, case_rows) = variables_and_cases(sources);
        let known: std::collections::HashSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        if let Some(s) = codings.sources().iter().find(|s| !known.contains(s.as_str())) {
            return Err(Error::UnknownSource(s.to_string()));
        }
        let cases = case_rows
            .iter()
            .map(|(name, row)| Case {
                guid: stable_guid("case", name),
                name: Some(name.clone()),
                values: value_list(&variables, row.values.clone().into_iter()),
                sources: row.sources.clone(),
            })
            .collect();
        let project = QdeProject {
            name: name.to_string(),
            origin: Some(shape.origin()),
            users,
            codes,
            variables,
            cases,
            sources: Vec::new(),
            description: Some(format!(
                "Exported by {}. {} Each source's Description holds its quire transcript header.",
                super::origin(),
                shape.note()
            )),
            ignored: Vec::new(),
        };
        Ok(QdeWriter {
            codebook,
            sources,
            codings,
            shape,
            project,
            code_guid: codings.codes().iter().map(|p| code_guids.get(p).cloned()).collect(),
            code_path: codings.codes().iter().map(CodePath::to_string).collect(),
            coder_guid,
            time: codings.times().iter().map(|t| Some(t.as_str()).filter(|t| is_datetime(t))).collect(),
        })
    }

    /// Writes `project.qde` into `zip` (head, the sources' pieces made in parallel, tail), then
    /// `after`; with what was written.
    fn write<W: std::io::Write + std::io::Seek>(
        self,
        mut zip: archive::Writer<W>,
        after: Vec<archive::Prepared>,
        progress: &dyn Progress,
    ) -> Result<(W, Summary)> {
        progress.begin("exporting sources", self.sources.len() as u64);
        let ([head, tail], pieces) = rayon::join(|| self.head_and_tail(), || self.source_pieces(progress));
        progress.end();
        let mut summary = Summary {
            users: self.project.users.len(),
            codes: self.codebook.len(),
            variables: self.project.variables.len(),
            cases: self.project.cases.len(),
            sources: self.sources.len(),
            ..Summary::default()
        };
        let mut qde_pieces = vec![head];
        for (piece, selections, codings) in pieces? {
            qde_pieces.push(piece);
            summary.selections += selections;
            summary.codings += codings;
        }
        qde_pieces.push(tail);
        zip.add_pieces("project.qde", &qde_pieces)?;
        for entry in &after {
            zip.add(entry)?;
        }
        Ok((zip.finish()?, summary))
    }

    /// Everything around the sources (users, codes, variables, cases), deflated as the first and
    /// last pieces of project.qde while the sources' pieces are made.
    fn head_and_tail(&self) -> [archive::Piece; 2] {
        let with_sources = !self.sources.is_empty();
        let mut head = qde::XmlOut::new();
        qde::write_head(&mut head, &self.project, with_sources);
        let mut tail = qde::XmlOut::fragment(if with_sources { qde::SOURCE_DEPTH } else { 1 });
        qde::write_tail(&mut tail, &self.project, with_sources);
        [archive::deflate_piece(head.s.as_bytes(), false), archive::deflate_piece(tail.s.as_bytes(), true)]
    }

    /// The sources' `<TextSource>`s, [`PIECE_SOURCES`] to a piece, built and deflated in
    /// parallel; each piece with its counts of selections and codings.
    fn source_pieces(&self, progress: &dyn Progress) -> Result<Vec<(archive::Piece, usize, usize)>> {
        use rayon::prelude::*;
        thread_local! {
            /// Each thread writes its pieces' XML into one buffer, which grows to the largest piece
            /// once rather than for every piece.
            static XML: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        self.sources
            .par_chunks(PIECE_SOURCES)
            .map(|chunk| -> Result<(archive::Piece, usize, usize)> {
                XML.with_borrow_mut(|buffer| {
                    let mut out = qde::XmlOut::fragment_in(std::mem::take(buffer), qde::SOURCE_DEPTH);
                    let (mut selections, mut codings) = (0, 0);
                    for s in chunk {
                        let (written, coded) = self.write_source(&mut out, s)?;
                        selections += written;
                        codings += coded;
                    }
                    progress.advance(chunk.len() as u64);
                    let piece = archive::deflate_piece(out.s.as_bytes(), false);
                    *buffer = out.s;
                    Ok((piece, selections, codings))
                })
            })
            .collect::<Result<Vec<_>>>()
    }

    /// One source's `<TextSource>`: one selection per coded span and coder, its codings sorted by
    /// code; written as it is made. Its counts of selections and codings.
    fn write_source(&self, out: &mut qde::XmlOut, s: &Source) -> Result<(usize, usize)> {
        use std::fmt::Write as _;
        let guid = source_guid(s);
        let len = s.body.chars().count();
        let positions = self.shape.positions(&s.body);
        let path = format!("internal://{guid}.txt");
        qde::open_source(out, &guid, Some(s.id.as_str()), Some(&transcript::render_header(s)), Some(&path));
        let (mut selections, mut coded) = (0, 0);
        let mut key = String::new();
        let mut scratch: Vec<store::Span> = Vec::new();
        // Sorted rows: a span's codings are a run of them.
        for group in self.codings.rows_of(s.id.as_str()).chunk_by(|a, b| (a.start, a.end) == (b.start, b.end)) {
            let (start, end) = (group[0].start, group[0].end);
            if end > len || start >= end {
                return Err(Error::corrupt(format!(
                    "{}@{start}..{end}: a coding outside its source; run `quire ingest --replace` or fix codings/",
                    s.id
                )));
            }
            key.clear();
            let _ = write!(key, "{}@{start}..{end}", s.id);
            // Rows are sorted by code, then coder: a span of one coder is used as it is, one of
            // several is sorted by coder first.
            let by_coder: &[store::Span] = if group.iter().all(|c| c.coder == group[0].coder) {
                group
            } else {
                scratch.clear();
                scratch.extend_from_slice(group);
                scratch.sort_unstable_by_key(|c| (c.coder, c.code, c.created));
                &scratch
            };
            let span = (positions.at(start) as i64, positions.at(end) as i64);
            selections += self.write_selections(out, &key, span, by_coder)?;
            coded += group.len();
        }
        qde::close_source(out, &value_list(&self.project.variables, source_values(s).into_iter()), &self.project.variables);
        Ok((selections, coded))
    }

    /// The selections of one span (`key`: `source@start..end`; `span`: its positions as
    /// exported), from its codings sorted by coder: one selection per coder, as NVivo and
    /// QualCoder write them (readers that take a selection's `creatingUser` as its codings' coder
    /// get each one right). Guids are made in a buffer on the stack. How many were written.
    fn write_selections(&self, out: &mut qde::XmlOut, key: &str, span: (i64, i64), by_coder: &[store::Span]) -> Result<usize> {
        let mut buffer = [0; GUID_LEN];
        // A selection's guid is that of `{key}:{coder}`, a coding's that of
        // `{key}:{code}:{coder}`; the key is hashed once for all of them.
        let keyed_selection = StableGuid::new("selection").part(key).part(":");
        let keyed = StableGuid::new("coding").part(key).part(":");
        let mut selections = 0;
        for run in by_coder.chunk_by(|a, b| a.coder == b.coder) {
            let coder = self.codings.coder(run[0].coder);
            let user = self.coder_guid[run[0].coder.index()].as_str();
            let selection = qde::SelectionAttrs {
                guid: keyed_selection.clone().part(coder.as_str()).finish_in(&mut buffer),
                start: span.0,
                end: span.1,
                creating_user: Some(user),
                created: run.iter().map(|c| c.created).min().and_then(|t| self.time[t as usize]),
            };
            qde::open_selection(out, &selection);
            for c in run {
                let path = &self.code_path[c.code.index()];
                let Some(code) = self.code_guid[c.code.index()].as_deref() else {
                    return Err(Error::UnknownCode { query: path.clone(), suggestions: Vec::new() });
                };
                let guid = keyed.clone().part(path).part(":").part(coder.as_str()).finish_in(&mut buffer);
                qde::write_coding(out, guid, code, Some(user), self.time[c.created as usize]);
            }
            out.close("PlainTextSelection");
            selections += 1;
        }
        Ok(selections)
    }
}
