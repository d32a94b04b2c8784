//! Building the index: one document per segment from the project's sources and codings, written
//! in a fresh folder beside the index and swapped in under the rebuild lock.

use std::fs;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use tantivy::schema::Facet;
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::ledger::{ledger_source, respondent_segments, row_hashes};
use super::quotes;
use super::schema::{code_facet, register_tokenizers, schema, Fields, Ledger, Meta, DIR, LEDGER, META};
use super::search::SegmentIndex;
use crate::anonymise::{scan, Lists};
use crate::coding::store::{self, CodeIx, CoderIx};
use crate::corpus::Source;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::project::{open_lock_file, write_atomic, Project};

/// Held (flock) by the one process that rebuilds the index and swaps it in, beside the index
/// rather than in it: processes that find the index stale at the same moment build it once.
const REBUILD_LOCK: &str = "index.lock";
/// Prefix of the directories a rebuild builds in and moves the old index to.
pub(super) const BUILD_PREFIX: &str = ".index-";
pub(super) const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// An index error as an I/O error on the index folder: tantivy's own I/O errors keep their kind
/// (a full disk reads as one), and an indexing thread that failed is reported as such.
pub(super) fn tantivy_err(project: &Project, e: tantivy::TantivyError) -> Error {
    let dir = project.state_dir().join(DIR);
    match e {
        tantivy::TantivyError::IoError(io) => Error::io(dir, std::io::Error::new(io.kind(), io.to_string())),
        tantivy::TantivyError::ErrorInThread(_) => {
            Error::io(dir, std::io::Error::other("an indexing thread failed while writing the index (is the disk full?)"))
        }
        // A full disk can also come back wrapped in tantivy's own words (an internal error whose
        // text is the I/O error's), depending on which of its threads ran out of room first.
        e if e.to_string().contains("(os error 28)") => Error::io(dir, std::io::Error::from_raw_os_error(28)),
        e => Error::Internal(format!("{}: {e}", dir.display())),
    }
}

/// A failed indexing thread shows its own error (a full disk, say) only once the writer's threads
/// are joined: prefer that to the bare news that a thread failed.
pub(super) fn worker_err(project: &Project, writer: &mut IndexWriter, e: tantivy::TantivyError) -> Error {
    match (e, writer.commit()) {
        (tantivy::TantivyError::ErrorInThread(_), Err(cause @ tantivy::TantivyError::IoError(_))) => tantivy_err(project, cause),
        (e, _) => tantivy_err(project, e),
    }
}

/// Builds the index in a fresh directory and swaps it in; the caller holds the rebuild lock
/// (whose file is in the state directory, so that exists).
pub(super) fn rebuild(project: &Project, dir: &Path, meta: &Meta, lists: &Lists, progress: &dyn Progress) -> Result<SegmentIndex> {
    let state = project.state_dir();
    let mut builder = tempfile::Builder::new();
    builder.prefix(BUILD_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The index folder it becomes: 0777 less the user's umask, so a team's shared project
        // keeps a readable index (a temporary folder would be 0700).
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    let tmp = builder.tempdir_in(&state).map_err(|e| Error::io(&state, e))?;
    let (schema, fields) = schema();
    let index = Index::builder().schema(schema).create_in_dir(tmp.path()).map_err(|e| tantivy_err(project, e))?;
    register_tokenizers(&index);
    let mut writer: IndexWriter = index.writer(WRITER_MEMORY).map_err(|e| tantivy_err(project, e))?;
    let (fingerprint, files) = crate::project::fingerprint::file_prints(project.root())?;
    let sources = project.load_sources()?;
    let codings = store::read_spans(project)?;
    // Tables count the same sources and codings: cache them for `quire table` while they are
    // loaded. Their speakers' attributes are also the keys `--where` may name.
    let coded = crate::table::CodedUnits::build(&sources, &codings);
    coded.save(project, &fingerprint);
    let attributes = coded.attribute_keys();
    drop(coded);
    let CodePairs { numbers, pairs, counts } = CodePairs::number(&codings);
    // Each pair's facets: its code, and its coder above its code.
    let facets: Vec<(Facet, Facet)> = pairs
        .iter()
        .map(|(coder, code)| (code_facet(None, codings.code(*code)), code_facet(Some(codings.coder(*coder)), codings.code(*code))))
        .collect();
    // Quotes are listed by country, source and segment: sources are numbered in that order.
    let mut ranked: Vec<&Source> = sources.iter().collect();
    ranked.sort_by(|a, b| (&a.country, &a.id).cmp(&(&b.country, &b.id)));
    let numbered: Vec<(&Source, u32)> = ranked.iter().enumerate().map(|(i, s)| (*s, i as u32)).collect();
    let ledger = Ledger {
        generation: FIRST_GENERATION,
        files,
        rows: row_hashes(&codings),
        sources: numbered.iter().map(|(s, n)| (s.id.to_string(), ledger_source(s, *n))).collect(),
        next_number: numbered.len() as u32,
        records: numbered.iter().map(|(s, _)| respondent_segments(s)).sum(),
    };
    let meta = &Meta {
        format: meta.format,
        fingerprint,
        attributes: attributes.iter().cloned().collect(),
        lists: meta.lists.clone(),
        coders: codings.coders().iter().map(ToString::to_string).collect(),
        code_paths: codings.codes().iter().map(ToString::to_string).collect(),
        pairs: pairs.iter().map(|(coder, code)| (coder.get(), code.get())).collect(),
        counts,
        generation: FIRST_GENERATION,
        ranks: (0..numbered.len() as u32).collect(),
        quote_files: vec![0],
    };
    let build = Build { writer: &writer, fields: &fields, numbers, facets, lists };
    if let Err(e) = add_sources(build, &numbered, &codings, &tmp.path().join(quotes::FILE), 0, progress)? {
        progress.end();
        return Err(worker_err(project, &mut writer, e));
    }
    commit(project, writer, meta.generation)?;
    write_atomic(&tmp.path().join(LEDGER), &serde_json::to_vec(&ledger).expect("ledger serialises"))?;
    write_atomic(&tmp.path().join(META), &serde_json::to_vec(meta).expect("meta serialises"))?;
    swap_in(&state, tmp.keep(), dir)?;
    let opened = super::open_at(dir, meta);
    opened.ok_or_else(|| Error::corrupt_at(crate::error::Location::file(dir.join(META)), "the index just written does not read back"))
}

/// The generation of a freshly built index (updates count up from it).
const FIRST_GENERATION: u64 = 1;

/// Commits what `writer` was given with `generation` as the commit's payload, and waits for its
/// merges.
pub(super) fn commit(project: &Project, mut writer: IndexWriter, generation: u64) -> Result<()> {
    let mut prepared = writer.prepare_commit().map_err(|e| tantivy_err(project, e))?;
    prepared.set_payload(&generation.to_string());
    prepared.commit().map_err(|e| tantivy_err(project, e))?;
    writer.wait_merging_threads().map_err(|e| tantivy_err(project, e))
}

/// Every (coder, code) pair of the codings, numbered in the order of their [`CoderIx`] and
/// [`CodeIx`] (by coder, then code).
struct CodePairs {
    /// The number of each pair.
    numbers: FxHashMap<(CoderIx, CodeIx), u32>,
    /// The pairs by number.
    pairs: Vec<(CoderIx, CodeIx)>,
    /// How many codings each pair has, by number.
    counts: Vec<u64>,
}

impl CodePairs {
    fn number(codings: &store::Spans) -> CodePairs {
        let mut used: FxHashMap<(CoderIx, CodeIx), u64> = FxHashMap::default();
        for c in codings.rows() {
            *used.entry((c.coder, c.code)).or_default() += 1;
        }
        let mut pairs: Vec<(CoderIx, CodeIx)> = used.keys().copied().collect();
        pairs.sort_unstable();
        let numbers = pairs.iter().enumerate().map(|(i, pair)| (*pair, i as u32)).collect();
        let counts = pairs.iter().map(|pair| used[pair]).collect();
        CodePairs { numbers, pairs, counts }
    }
}

/// Adds the documents of the numbered sources (in the order given) and writes them as quote
/// file number `file` at `quotes_path`. A quire error (writing the quote file) is returned at
/// once; a tantivy error, from an indexing thread, is returned inside for the caller to explain
/// once the writer's threads are joined.
pub(super) fn add_sources(
    build: Build<'_>,
    sources: &[(&Source, u32)],
    codings: &store::Spans,
    quotes_path: &Path,
    file: u32,
    progress: &dyn Progress,
) -> Result<tantivy::Result<()>> {
    use rayon::prelude::*;
    let mut quotes = quotes::Writer::create(quotes_path)?;
    let base = u64::from(file) << 32;
    progress.begin("indexing", sources.len() as u64);
    // Sources a batch at a time, in parallel within it: the quotes of a batch are held
    // until they are written in order.
    for batch in sources.chunks(256) {
        let mut first = base + quotes.len() as u64;
        let firsts: Vec<u64> = batch
            .iter()
            .map(|(s, _)| {
                let at = first;
                first += respondent_segments(s);
                at
            })
            .collect();
        let encoded = batch
            .par_iter()
            .zip(firsts)
            .map(|((source, number), first)| {
                progress.advance(1);
                add_source(&build, source, *number, first, codings.rows_of(source.id.as_str()))
            })
            .collect::<tantivy::Result<Vec<_>>>();
        let encoded = match encoded {
            Ok(encoded) => encoded,
            Err(e) => return Ok(Err(e)),
        };
        for e in &encoded {
            quotes.add(e)?;
        }
    }
    progress.end();
    quotes.finish()?;
    Ok(Ok(()))
}

/// Moves the index built at `built` to `dir`, the old one (if any) out of the way first, by way
/// of a folder in `state` that a stopped swap leaves for [`remove_leftovers`].
fn swap_in(state: &Path, built: PathBuf, dir: &Path) -> Result<()> {
    crate::failpoint::hit("index-before-swap");
    if dir.exists() {
        let old = state.join(format!("{BUILD_PREFIX}old-{}", std::process::id()));
        fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
        let _ = fs::remove_dir_all(&old);
    }
    fs::rename(&built, dir).map_err(|e| Error::io(dir, e))?;
    Ok(())
}

/// Takes the rebuild lock in `state` (released when the file is dropped, also when the process
/// dies), telling `progress` while it waits for another process's rebuild to finish.
pub(super) fn rebuild_lock(state: &Path, progress: &dyn Progress) -> Result<fs::File> {
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
pub(super) fn remove_leftovers(state: &Path) {
    let Ok(entries) = fs::read_dir(state) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(BUILD_PREFIX) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// What every source's documents are made with.
pub(super) struct Build<'a> {
    pub(super) writer: &'a IndexWriter,
    pub(super) fields: &'a Fields,
    /// The number of each (coder, code) pair of the spans, and its two facets by number.
    pub(super) numbers: FxHashMap<(CoderIx, CodeIx), u32>,
    pub(super) facets: Vec<(Facet, Facet)>,
    pub(super) lists: &'a Lists,
}

/// Adds one document per segment of `source` (numbered `number`); its respondent segments are
/// quotes numbered from `first`, returned encoded for the quote file.
fn add_source(build: &Build<'_>, source: &Source, number: u32, first: u64, codings: &[store::Span]) -> tantivy::Result<quotes::Encoded> {
    let Build { writer, fields: f, numbers, facets, lists } = build;
    let text_field = f.by_language.iter().find(|(l, _)| *l == source.language).map(|(_, f)| *f).expect("every language has a field");
    let mut encoded = quotes::Encoded::default();
    for segment in &source.segments {
        let speaker = source.speaker_of(segment);
        let respondent = speaker.respondent();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.source, source.id.as_str());
        doc.add_u64(f.src, u64::from(number));
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
