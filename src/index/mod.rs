//! The tantivy index under `.quire/index`: one document per segment, its text in a stemmed field
//! for its language and in a plain one, every attribute, and code paths as facets; each
//! respondent segment's quote (what a query prints) is in the quote file beside it
//! (`quotes.bin`), found by its number. It is derived state: a fingerprint of sources and codings,
//! and a key of the anonymisation lists, say when it is stale, and a missing, stale or corrupt
//! index is rebuilt, never a failure. Each respondent segment carries whether the anonymisation
//! check flags it, so a query withholds flagged quotes without reading them.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::{Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STRING};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use crate::anonymise::{scan, Lists};
use crate::codebook::rule::Rule;
use crate::codebook::CodePath;
use crate::coding::autocode::{analyzer, analyzer_name, stem};
use crate::coding::store;
use crate::coding::Coder;
use crate::corpus::{Language, Source};
use crate::error::{Error, Result};
use crate::progress::{Progress, Silent};
use crate::project::{open_lock_file, write_atomic, Project};

mod quotes;

/// Version of the index layout; a different version is rebuilt.
pub const INDEX_FORMAT: u32 = 5;
const DIR: &str = "index";
/// Held (flock) by the one process that rebuilds the index and swaps it in, beside the index
/// rather than in it: processes that find the index stale at the same moment build it once.
const REBUILD_LOCK: &str = "index.lock";
/// Prefix of the directories a rebuild builds in and moves the old index to.
const BUILD_PREFIX: &str = ".index-";
const META: &str = "quire-index.json";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// A query reading more quotes than this reads them on every core.
const PARALLEL_QUOTES: usize = 16 * 1024;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Meta {
    format: u32,
    fingerprint: String,
    /// Attribute keys of the respondents, for checking `--where` without reading every source.
    #[serde(default)]
    attributes: Vec<String>,
    /// [`Lists::key`] of the allow- and deny-lists the `flagged` field was computed with.
    #[serde(default)]
    lists: String,
    /// Every (coder, code) pair of the codings, as `coder code/path`: a document stores the
    /// positions in this list of the pairs on its segment.
    #[serde(default)]
    codes: Vec<String>,
    /// How many codings each pair of `codes` has (for the warning about codes not in the codebook).
    #[serde(default)]
    counts: Vec<u64>,
}

struct Fields {
    /// A respondent segment's number in `quotes.bin` (quote order); interviewers have none.
    quote: Field,
    flagged: Field,
    kind: Field,
    raw: Field,
    attr: Field,
    code: Field,
    coder_code: Field,
    by_language: Vec<(Language, Field)>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = |lang: Language| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(&analyzer_name(lang)).set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let by_language = Language::ALL.iter().map(|l| (*l, b.add_text_field(&format!("text_{l}"), stemmed(*l)))).collect();
    let raw = b.add_text_field(
        "raw",
        TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer("quire_raw").set_index_option(IndexRecordOption::Basic)),
    );
    let fields = Fields {
        quote: b.add_u64_field("quote", tantivy::schema::FAST),
        flagged: b.add_u64_field("flagged", tantivy::schema::FAST),
        kind: b.add_text_field("kind", STRING),
        raw,
        attr: b.add_text_field("attr", STRING),
        code: b.add_facet_field("code", FacetOptions::default()),
        coder_code: b.add_facet_field("coder_code", FacetOptions::default()),
        by_language,
    };
    (b.build(), fields)
}

fn register_tokenizers(index: &Index) {
    for lang in Language::ALL {
        index.tokenizers().register(&analyzer_name(*lang), analyzer(*lang));
    }
    let raw =
        tantivy::tokenizer::TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default()).filter(tantivy::tokenizer::LowerCaser).build();
    index.tokenizers().register("quire_raw", raw);
}

/// An index error as an I/O error on the index folder: tantivy's own I/O errors keep their kind
/// (a full disk reads as one), and an indexing thread that failed is reported as such.
fn tantivy_err(project: &Project, e: tantivy::TantivyError) -> Error {
    let dir = project.state_dir().join(DIR);
    match e {
        tantivy::TantivyError::IoError(io) => Error::io(dir, std::io::Error::new(io.kind(), io.to_string())),
        tantivy::TantivyError::ErrorInThread(_) => {
            Error::io(dir, std::io::Error::other("an indexing thread failed while writing the index (is the disk full?)"))
        }
        e => Error::io(dir, std::io::Error::other(e.to_string())),
    }
}

/// A failed indexing thread shows its own error (a full disk, say) only once the writer's threads
/// are joined: prefer that to the bare news that a thread failed.
fn worker_err(project: &Project, writer: &mut IndexWriter, e: tantivy::TantivyError) -> Error {
    match (e, writer.commit()) {
        (tantivy::TantivyError::ErrorInThread(_), Err(cause @ tantivy::TantivyError::IoError(_))) => tantivy_err(project, cause),
        (e, _) => tantivy_err(project, e),
    }
}

/// An open, up-to-date index.
pub struct SegmentIndex {
    reader: tantivy::IndexReader,
    fields: Fields,
    attributes: std::collections::BTreeSet<String>,
    /// What a quote's code numbers stand for.
    codes: Vec<CoderCode>,
    /// How many codings each of `codes` has.
    counts: Vec<u64>,
    quotes: quotes::Quotes,
}

/// A coder's code on a quote, one value shared by every quote that carries it.
pub type CoderCode = std::sync::Arc<(Coder, CodePath)>;

/// `coder code/path`, as [`Meta::codes`] lists them.
fn code_line(coder: &Coder, code: &CodePath) -> String {
    format!("{coder} {code}")
}

/// The facet of a code (field `code`), or of a coder's code, the coder above the code's ids
/// (field `coder_code`): what documents carry and queries ask for.
fn code_facet(coder: Option<&Coder>, code: &CodePath) -> Facet {
    Facet::from_path(coder.map(Coder::as_str).into_iter().chain(code.ids().iter().map(String::as_str)))
}

fn parse_code_line(line: &str) -> Option<(Coder, CodePath)> {
    let (coder, path) = line.split_once(' ')?;
    Some((coder.parse().ok()?, CodePath::parse(path).ok()?))
}

/// How `open` found the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    UpToDate,
    Rebuilt,
}

impl SegmentIndex {
    /// Opens the index, rebuilding it first if it is missing, stale, of another format or unreadable.
    pub fn open(project: &Project, force_rebuild: bool) -> Result<(SegmentIndex, Freshness)> {
        Self::open_reporting(project, force_rebuild, &Silent)
    }

    /// As [`SegmentIndex::open`], reporting the progress of a rebuild.
    /// Refuses a project whose sources were edited outside quire ([`crate::edits::check`]).
    pub fn open_reporting(project: &Project, force_rebuild: bool, progress: &dyn Progress) -> Result<(SegmentIndex, Freshness)> {
        Self::open_checked(project, force_rebuild, progress, true)
    }

    /// As [`SegmentIndex::open`] without the check for edited sources: for `verify`, which
    /// reports them itself.
    pub fn open_unchecked(project: &Project) -> Result<(SegmentIndex, Freshness)> {
        Self::open_checked(project, false, &Silent, false)
    }

    fn open_checked(project: &Project, force_rebuild: bool, progress: &dyn Progress, check: bool) -> Result<(SegmentIndex, Freshness)> {
        let dir = project.state_dir().join(DIR);
        let lists = Lists::read(project.root())?;
        let fingerprint = project.fingerprint()?;
        if check {
            crate::edits::check(project, &fingerprint)?;
        }
        let wanted = Meta { format: INDEX_FORMAT, fingerprint, attributes: Vec::new(), lists: lists.key(), codes: Vec::new(), counts: Vec::new() };
        if !force_rebuild {
            if let Some(index) = Self::try_open(&dir, &wanted) {
                return Ok((index, Freshness::UpToDate));
            }
        }
        let _rebuilding = rebuild_lock(&project.state_dir(), progress)?;
        if !force_rebuild {
            // Another process may have built it while this one waited for the lock.
            if let Some(index) = Self::try_open(&dir, &wanted) {
                return Ok((index, Freshness::UpToDate));
            }
        }
        remove_leftovers(&project.state_dir());
        // A failure to write the index (a full disk) names the index, not the folder it was built in.
        let built = Self::rebuild(project, &dir, &wanted, &lists, progress).map_err(|e| match e {
            Error::Io { location, source } if location.path.components().any(|c| c.as_os_str().to_string_lossy().starts_with(BUILD_PREFIX)) => {
                Error::io(&dir, source)
            }
            e => e,
        })?;
        Ok((built, Freshness::Rebuilt))
    }

    fn try_open(dir: &Path, wanted: &Meta) -> Option<SegmentIndex> {
        let raw_meta = fs::read(dir.join(META)).ok()?;
        let meta: Meta = serde_json::from_slice(&raw_meta).ok()?;
        if (meta.format, &meta.fingerprint, &meta.lists) != (wanted.format, &wanted.fingerprint, &wanted.lists) {
            return None;
        }
        let index = Index::open_in_dir(dir).ok()?;
        let (schema, fields) = schema();
        if index.schema() != schema {
            return None;
        }
        let codes = meta.codes.iter().map(|l| parse_code_line(l).map(CoderCode::new)).collect::<Option<_>>()?;
        if meta.counts.len() != meta.codes.len() {
            return None;
        }
        register_tokenizers(&index);
        // A corrupt segment shows when the reader loads. One process reads one state: no reloading.
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().ok()?;
        let quotes = quotes::Quotes::open(&dir.join(quotes::FILE))?;
        // The segments and the quote file are open (they stay readable if the directory is
        // replaced now). If another process swapped in a new index while they were opened, they
        // may come from two builds: the metadata, read again, says so, and this one waits for the
        // rebuild lock instead.
        if fs::read(dir.join(META)).ok()? != raw_meta {
            return None;
        }
        Some(SegmentIndex { reader, fields, attributes: meta.attributes.into_iter().collect(), codes, counts: meta.counts, quotes })
    }

    /// Builds the index in a fresh directory and swaps it in; the caller holds the rebuild lock
    /// (whose file is in the state directory, so that exists).
    fn rebuild(project: &Project, dir: &Path, meta: &Meta, lists: &Lists, progress: &dyn Progress) -> Result<SegmentIndex> {
        let state = project.state_dir();
        let tmp = tempfile::Builder::new().prefix(BUILD_PREFIX).tempdir_in(&state).map_err(|e| Error::io(&state, e))?;
        let (schema, fields) = schema();
        let index = Index::builder().schema(schema).create_in_dir(tmp.path()).map_err(|e| tantivy_err(project, e))?;
        register_tokenizers(&index);
        let mut writer: IndexWriter = index.writer(WRITER_MEMORY).map_err(|e| tantivy_err(project, e))?;
        let sources = project.load_sources()?;
        let codings = store::read_spans(project)?;
        // Tables count the same sources and codings: cache them for `quire table` while they are
        // loaded. Their speakers' attributes are also the keys `--where` may name.
        let coded = crate::table::CodedUnits::build(&sources, &codings);
        coded.save(project, &meta.fingerprint);
        let attributes = coded.attribute_keys();
        drop(coded);
        // Every (coder, code) pair numbered, in the order of their lines.
        let mut used: HashMap<(u32, u32), u64> = HashMap::new();
        for c in &codings.rows {
            *used.entry((c.coder, c.code)).or_default() += 1;
        }
        let mut pairs: Vec<(String, (u32, u32))> =
            used.keys().map(|&(coder, code)| (code_line(&codings.coders[coder as usize], &codings.codes[code as usize]), (coder, code))).collect();
        pairs.sort();
        let numbers: HashMap<(u32, u32), u32> = pairs.iter().enumerate().map(|(i, (_, pair))| (*pair, i as u32)).collect();
        let codes: Vec<(Coder, CodePath)> =
            pairs.iter().map(|(_, (coder, code))| (codings.coders[*coder as usize].clone(), codings.codes[*code as usize].clone())).collect();
        // Each pair's facets: its code, and its coder above its code.
        let facets: Vec<(Facet, Facet)> = codes.iter().map(|(coder, code)| (code_facet(None, code), code_facet(Some(coder), code))).collect();
        let meta = &Meta {
            format: meta.format,
            fingerprint: meta.fingerprint.clone(),
            attributes: attributes.iter().cloned().collect(),
            lists: meta.lists.clone(),
            counts: pairs.iter().map(|(_, pair)| used[pair]).collect(),
            codes: pairs.into_iter().map(|(line, _)| line).collect(),
        };
        let mut by_source: HashMap<&str, Vec<&store::Span>> = HashMap::new();
        for c in &codings.rows {
            by_source.entry(codings.sources[c.source as usize].as_str()).or_default().push(c);
        }
        let indexed = 'indexing: {
            use rayon::prelude::*;
            let build = Build { writer: &writer, fields: &fields, numbers, facets, lists };
            // Quotes are listed by country, source and segment: respondent segments are numbered
            // in that order, and `quotes.bin` holds them in it.
            let mut ranked: Vec<&Source> = sources.iter().collect();
            ranked.sort_by(|a, b| (&a.country, &a.id).cmp(&(&b.country, &b.id)));
            let mut quotes = quotes::Writer::create(&tmp.path().join(quotes::FILE))?;
            progress.begin("indexing", ranked.len() as u64);
            // Sources a batch at a time, in parallel within it: the quotes of a batch are held
            // until they are written in order.
            for batch in ranked.chunks(256) {
                let mut first = quotes.len() as u64;
                let firsts: Vec<u64> = batch
                    .iter()
                    .map(|s| {
                        let at = first;
                        first += s.segments.iter().filter(|g| s.speaker_of(g).respondent().is_some()).count() as u64;
                        at
                    })
                    .collect();
                let encoded = batch
                    .par_iter()
                    .zip(firsts)
                    .map(|(source, first)| {
                        let coded = by_source.get(source.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                        progress.advance(1);
                        add_source(&build, source, first, coded)
                    })
                    .collect::<tantivy::Result<Vec<_>>>();
                let encoded = match encoded {
                    Ok(encoded) => encoded,
                    Err(e) => break 'indexing Err(e),
                };
                for e in &encoded {
                    quotes.add(e)?;
                }
            }
            progress.end();
            quotes.finish()?;
            Ok(())
        };
        if let Err(e) = indexed {
            progress.end();
            return Err(worker_err(project, &mut writer, e));
        }
        writer.commit().map_err(|e| tantivy_err(project, e))?;
        writer.wait_merging_threads().map_err(|e| tantivy_err(project, e))?;
        write_atomic(&tmp.path().join(META), &serde_json::to_vec(meta).expect("meta serialises"))?;
        let built = tmp.keep();
        crate::failpoint::hit("index-before-swap");
        if dir.exists() {
            let old = state.join(format!("{BUILD_PREFIX}old-{}", std::process::id()));
            fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
            let _ = fs::remove_dir_all(&old);
        }
        fs::rename(&built, dir).map_err(|e| Error::io(dir, e))?;
        let index = Index::open_in_dir(dir).map_err(|e| tantivy_err(project, e))?;
        register_tokenizers(&index);
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().map_err(|e| tantivy_err(project, e))?;
        let codes = codes.into_iter().map(CoderCode::new).collect();
        let quotes = quotes::Quotes::open(&dir.join(quotes::FILE))
            .ok_or_else(|| Error::invalid(crate::error::Location::file(dir.join(quotes::FILE)), "the quote file just written does not read back"))?;
        Ok(SegmentIndex { reader, fields, attributes, codes, counts: meta.counts.clone(), quotes })
    }

    pub fn num_segments(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    /// Every code with how many codings of it one coder made (a code comes once per coder).
    pub fn coded_counts(&self) -> impl Iterator<Item = (&CodePath, u64)> {
        self.codes.iter().map(|c| &c.1).zip(self.counts.iter().copied())
    }

    /// Attribute keys respondents carry (what `--where` may name).
    pub fn attribute_keys(&self) -> &std::collections::BTreeSet<String> {
        &self.attributes
    }

    /// Respondent segments matching `query`, ordered by country, source and segment number.
    pub fn search(&self, query: &QuoteQuery) -> Result<Found> {
        self.search_limited(query, None)
    }

    /// The first `limit` matches (all if `None`), how many there are in all and how many were
    /// withheld; only the documents returned are read.
    pub fn search_limited(&self, query: &QuoteQuery, limit: Option<usize>) -> Result<Found> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(TermQuery::new(Term::from_field_text(f.kind, "respondent"), IndexRecordOption::Basic)))];
        if let Some(rule) = &query.text {
            clauses.push((Occur::Must, self.text_query(rule)));
        }
        for alternatives in &query.codes {
            let any: Vec<(Occur, Box<dyn Query>)> = alternatives
                .iter()
                .map(|path| {
                    let field = if query.coder.is_some() { f.coder_code } else { f.code };
                    let term = Term::from_facet(field, &code_facet(query.coder.as_ref(), path));
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(coder) = &query.coder {
            if query.codes.is_empty() {
                let term = Term::from_facet(f.coder_code, &Facet::from_path([coder.as_str()]));
                clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
            }
        }
        for (key, values) in &query.filters {
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let term = Term::from_field_text(f.attr, &format!("{key}={v}"));
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let searcher = self.reader.searcher();
        let found = searcher.search(&BooleanQuery::new(clauses), &QuoteNumbers).map_err(|e| Error::Usage(e.to_string()))?;
        // Flagged quotes are dropped before any is read.
        let mut ordered = Vec::with_capacity(found.len());
        let mut withheld = 0;
        for (quote, flagged) in found {
            if flagged && !query.allow_flagged {
                withheld += 1;
                continue;
            }
            let Some(quote) = quote else {
                return Err(Error::Usage("the index has a respondent segment without a quote; run `quire index --rebuild`".into()));
            };
            ordered.push(quote as usize);
        }
        let total = ordered.len();
        ordered.sort_unstable();
        ordered.truncate(limit.unwrap_or(usize::MAX));
        // The quotes, read from the quote file in order; many are read in parallel runs. For a
        // few thousand, starting the threads (and their first memory) costs more than it saves.
        use rayon::prelude::*;
        let read = |run: &[usize]| -> Result<Vec<Hit>> {
            let mut hits = Vec::with_capacity(run.len());
            for n in run {
                hits.push(self.hit(*n, query.coder.as_ref())?);
            }
            Ok(hits)
        };
        let hits = if ordered.len() <= PARALLEL_QUOTES {
            read(&ordered)?
        } else {
            ordered.par_chunks(1024).map(read).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect()
        };
        Ok(Found { hits, total, withheld })
    }

    /// Quote number `n`; with `coder`, only that coder's codes.
    fn hit(&self, n: usize, coder: Option<&Coder>) -> Result<Hit> {
        let q = self.quotes.get(n)?;
        let codes =
            q.codes.iter().filter_map(|n| self.codes.get(*n as usize)).filter(|c| coder.is_none_or(|wanted| *wanted == c.0)).cloned().collect();
        Ok(Hit {
            segment: q.segment.to_string(),
            source: q.source.to_string(),
            number: q.number as usize,
            speaker: q.speaker.to_string(),
            citation: q.citation.to_string(),
            country: q.country.to_string(),
            text: q.text.to_string(),
            codes,
        })
    }

    /// The rule as a query over every language's stemmed field (each document has one).
    fn text_query(&self, rule: &Rule) -> Box<dyn Query> {
        let per_language: Vec<(Occur, Box<dyn Query>)> =
            self.fields.by_language.iter().map(|(lang, field)| (Occur::Should, self.rule_query(rule, *lang, *field))).collect();
        Box::new(BooleanQuery::new(per_language))
    }

    /// `parts` joined with `occur`; a `Not` part excludes what it matches.
    fn boolean(&self, parts: &[Rule], occur: Occur, lang: Language, field: Field) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            parts
                .iter()
                .map(|p| match p {
                    Rule::Not(inner) => (Occur::MustNot, self.rule_query(inner, lang, field)),
                    _ => (occur, self.rule_query(p, lang, field)),
                })
                .collect(),
        ))
    }

    fn rule_query(&self, rule: &Rule, lang: Language, field: Field) -> Box<dyn Query> {
        let mut a = analyzer(lang);
        match rule {
            Rule::Term { word, prefix: false } => {
                Box::new(TermQuery::new(Term::from_field_text(field, &stem(&mut a, word)), IndexRecordOption::Basic))
            }
            Rule::Term { word, prefix: true } => {
                let pattern = format!("{}.*", regex_escape(word));
                let raw = RegexQuery::from_pattern(&pattern, self.fields.raw).expect("escaped pattern is valid");
                // Restrict the unstemmed match to documents of this language.
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(raw) as Box<dyn Query>),
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(Term::from_field_text(self.fields.attr, &format!("language={lang}")), IndexRecordOption::Basic)),
                    ),
                ]))
            }
            Rule::Phrase(ws) => {
                let terms = ws.iter().map(|w| Term::from_field_text(field, &stem(&mut a, w))).collect();
                Box::new(PhraseQuery::new(terms))
            }
            Rule::All(parts) => self.boolean(parts, Occur::Must, lang, field),
            Rule::Any(parts) => self.boolean(parts, Occur::Should, lang, field),
            // A lone NOT is refused by the rule parser; inside All/Any it is handled above.
            Rule::Not(inner) => Box::new(BooleanQuery::new(vec![(Occur::MustNot, self.rule_query(inner, lang, field))])),
        }
    }
}

/// Takes the rebuild lock in `state` (released when the file is dropped, also when the process
/// dies), telling `progress` while it waits for another process's rebuild to finish.
fn rebuild_lock(state: &Path, progress: &dyn Progress) -> Result<fs::File> {
    let path = state.join(REBUILD_LOCK);
    let file = open_lock_file(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            progress.begin("waiting for another quire process to finish the index", 0);
            let locked = file.lock();
            progress.end();
            locked.map_err(|e| Error::io(&path, e))?;
        }
        Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    Ok(file)
}

/// Removes what rebuilds that were stopped (killed, power cut) left in `state`: half-built
/// indexes and old ones not yet removed. Only the holder of the rebuild lock may call it.
fn remove_leftovers(state: &Path) {
    let Ok(entries) = fs::read_dir(state) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(BUILD_PREFIX) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if c.is_alphanumeric() { vec![c] } else { vec!['\\', c] }).collect()
}

/// What every source's documents are made with.
struct Build<'a> {
    writer: &'a IndexWriter,
    fields: &'a Fields,
    /// The number of each (coder, code) pair of the spans, and its two facets by number.
    numbers: HashMap<(u32, u32), u32>,
    facets: Vec<(Facet, Facet)>,
    lists: &'a Lists,
}

/// Adds one document per segment of `source`; its respondent segments are quotes numbered from
/// `first`, returned encoded for the quote file.
fn add_source(build: &Build<'_>, source: &Source, first: u64, codings: &[&store::Span]) -> tantivy::Result<quotes::Encoded> {
    let Build { writer, fields: f, numbers, facets, lists } = build;
    let text_field = f.by_language.iter().find(|(l, _)| *l == source.language).map(|(_, f)| *f).expect("every language has a field");
    let mut encoded = quotes::Encoded::default();
    for segment in &source.segments {
        let speaker = source.speaker_of(segment);
        let respondent = speaker.respondent();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, if respondent.is_some() { "respondent" } else { "interviewer" });
        doc.add_text(text_field, &segment.text);
        doc.add_text(f.raw, &segment.text);
        for (k, v) in source.speaker_attributes(speaker) {
            doc.add_text(f.attr, format!("{k}={v}"));
        }
        let mut codes: Vec<u32> = codings.iter().filter(|c| c.overlaps(segment.start, segment.end)).map(|c| numbers[&(c.coder, c.code)]).collect();
        codes.sort_unstable();
        codes.dedup();
        for n in &codes {
            let (code, coder_code) = &facets[*n as usize];
            doc.add_facet(f.code, code.clone());
            doc.add_facet(f.coder_code, coder_code.clone());
        }
        // Only respondents are quoted: only their segments are checked and written as quotes.
        if let Some(r) = respondent {
            doc.add_u64(f.quote, first + encoded.len() as u64);
            doc.add_u64(f.flagged, u64::from(!scan(&segment.text, lists).is_empty()));
            encoded.push(&quotes::Record {
                segment: &segment.id.to_string(),
                source: source.id.as_str(),
                number: segment.id.number as u32,
                speaker: speaker.label.as_str(),
                citation: &r.citation(),
                country: r.country.as_str(),
                text: &segment.text,
                codes: &codes,
            });
        }
        writer.add_document(doc)?;
    }
    Ok(encoded)
}

/// Collects each matching document's quote number and whether the anonymisation check flags
/// it, from the fast fields.
struct QuoteNumbers;

struct SegmentQuoteNumbers {
    quote: tantivy::columnar::Column<u64>,
    flagged: tantivy::columnar::Column<u64>,
    found: Vec<(Option<u64>, bool)>,
}

impl tantivy::collector::Collector for QuoteNumbers {
    type Fruit = Vec<(Option<u64>, bool)>;
    type Child = SegmentQuoteNumbers;

    fn for_segment(&self, _ord: tantivy::SegmentOrdinal, segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentQuoteNumbers> {
        let fast = segment.fast_fields();
        Ok(SegmentQuoteNumbers { quote: fast.u64("quote")?, flagged: fast.u64("flagged")?, found: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl tantivy::collector::SegmentCollector for SegmentQuoteNumbers {
    type Fruit = Vec<(Option<u64>, bool)>;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        self.found.push((self.quote.first(doc), self.flagged.first(doc) == Some(1)));
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}

/// What to look for: AND across the lists, OR within each.
#[derive(Debug, Clone, Default)]
pub struct QuoteQuery {
    pub text: Option<Rule>,
    /// Each inner list is one `--code` (alternatives); a segment must match every list.
    pub codes: Vec<Vec<CodePath>>,
    pub filters: Vec<(String, Vec<String>)>,
    pub coder: Option<Coder>,
    /// Also return segments the anonymisation check flags (withheld by default).
    pub allow_flagged: bool,
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// The quotes returned, in quote order (at most the limit asked for).
    pub hits: Vec<Hit>,
    /// How many match in all, not counting those withheld.
    pub total: usize,
    /// How many match but were withheld: the anonymisation check flags them.
    pub withheld: usize,
}

/// One respondent segment found.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub segment: String,
    pub source: String,
    #[serde(skip)]
    pub number: usize,
    pub speaker: String,
    pub citation: String,
    pub country: String,
    pub text: String,
    #[serde(serialize_with = "codes_as_strings")]
    pub codes: Vec<CoderCode>,
}

fn codes_as_strings<S: serde::Serializer>(codes: &[CoderCode], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut unique: Vec<String> = codes.iter().map(|c| c.1.to_string()).collect();
    unique.sort();
    unique.dedup();
    let mut seq = s.serialize_seq(Some(unique.len()))?;
    for c in unique {
        seq.serialize_element(&c)?;
    }
    seq.end()
}
