//! Bringing the index up to date in place: the sources whose file changed, or whose codings in a
//! changed coding file changed, get their documents replaced (tantivy delete by the `source`
//! term, then add) and their quotes written to a new quote file `quotes-N.bin`; the other
//! documents and quote files stay as they are. The ledger (`quire-ledger.json`) says what each
//! file and each coder's codings per source were when the index was last written.
//!
//! Order of writes: the new quote file (synced), the tantivy commit carrying the new generation,
//! the ledger, then the metadata. A reader checks that the metadata's generation is the
//! commit's, so a stop between two of them leaves an index that is rebuilt, never misread.
//! An update file no source's quotes are in any more is deleted. When there are
//! [`MAX_QUOTE_FILES`], an update also indexes again every source whose quotes are in an update
//! file (those indexed again since the last compaction), so they land in one. Replaced quotes
//! in `quotes.bin` are dead weight until a rebuild: when they outnumber the live quotes, the
//! index is rebuilt instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use rustc_hash::FxHashMap;
use tantivy::schema::Facet;
use tantivy::{Index, IndexWriter, Term};

use super::build::{add_sources, commit, tantivy_err, worker_err, Build};
use super::ledger::{ledger_source, row_hashes};
use super::schema::{code_facet, register_tokenizers, schema, Ledger, Meta, LEDGER, META};
use super::{commit_generation, quotes};
use crate::anonymise::Lists;
use crate::coding::store::{self, Spans};
use crate::coding::Coder;
use crate::corpus::{Source, SourceId};
use crate::error::Result;
use crate::progress::Progress;
use crate::project::{write_atomic, Project};

/// More quote files than this and the index is rebuilt (which writes one).
const MAX_QUOTE_FILES: usize = 32;
/// Memory of the writer that adds an update's documents (tantivy's least for one thread).
const UPDATE_MEMORY: usize = 16 * 1024 * 1024;

/// Updates the index in `dir` to the project's sources and codings (whose files have the
/// fingerprints `files`, and together `wanted.fingerprint`), if its metadata and ledger
/// are of this format and agree with its commit and the change is small; returns how many
/// sources were re-indexed, or `None` when the caller should rebuild. The caller holds the
/// rebuild lock.
pub(super) fn update(
    project: &Project,
    dir: &Path,
    wanted: &Meta,
    files: BTreeMap<String, String>,
    lists: &Lists,
    progress: &dyn Progress,
) -> Result<Option<usize>> {
    let Some((mut meta, mut ledger, index)) = read_state(dir, wanted) else { return Ok(None) };
    let live: u64 = ledger.sources.values().map(|s| s.quotes).sum();
    let live_in_base: u64 = ledger.sources.values().filter(|s| s.file == 0).map(|s| s.quotes).sum();
    let generation = meta.generation + 1;
    // Dead quotes in `quotes.bin` outnumber the live ones: a rebuild drops them.
    if ledger.records.saturating_sub(live_in_base) > live + 1024 || generation > u64::from(u32::MAX) {
        return Ok(None);
    }
    remove_unused_quote_files(dir, &meta);
    let Changes { mut dirty, changed, removed } = changes(&ledger.files, &files);
    if meta.quote_files.len() >= MAX_QUOTE_FILES {
        // Compaction: the sources whose quotes are in update files are indexed again, into one.
        dirty.extend(ledger.sources.iter().filter(|(_, s)| s.file != 0).map(|(id, _)| id.clone()));
    }
    let changed_spans = store::read_spans_of(project, &changed)?;
    let mut new_rows = row_hashes(&changed_spans);
    for coder in changed.iter().map(ToString::to_string).chain(removed.iter().cloned()) {
        let old = ledger.rows.remove(&coder).unwrap_or_default();
        let new = new_rows.remove(&coder).unwrap_or_default();
        dirty.extend(old.iter().filter(|(s, h)| new.get(*s) != Some(h)).map(|(s, _)| s.clone()));
        dirty.extend(new.iter().filter(|(s, h)| old.get(*s) != Some(h)).map(|(s, _)| s.clone()));
        if !new.is_empty() {
            ledger.rows.insert(coder, new);
        }
    }
    // Past a quarter of the sources, a rebuild costs about as much.
    if dirty.len() > ledger.sources.len() / 4 + 16 {
        return Ok(None);
    }
    let sources = load_present(project, &dirty, &files)?;
    let read = other_coders_spans(project, &ledger, &dirty, &changed)?;
    let spans = read.as_ref().unwrap_or(&changed_spans);
    recount(&mut meta, &changed, &removed, &changed_spans);
    let numbers = number_pairs(&mut meta, spans);
    let Some(facets) = facets(&meta) else { return Ok(None) };
    renumber_sources(&mut ledger, &dirty, &sources);
    meta.ranks = ranks(&ledger);
    meta.attributes = ledger.sources.values().flat_map(|s| s.keys.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let file = generation as u32;
    for s in &sources {
        ledger.sources.get_mut(s.id.as_str()).expect("just entered").file = file;
    }
    let numbered: Vec<(&Source, u32)> = sources.iter().map(|s| (s, ledger.sources[s.id.as_str()].number)).collect();

    let (_, fields) = schema();
    let mut writer: IndexWriter = index.writer_with_num_threads(1, UPDATE_MEMORY).map_err(|e| tantivy_err(project, e))?;
    // An update adds one small segment; merging them waits for the next rebuild.
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    for id in &dirty {
        writer.delete_term(Term::from_field_text(fields.source, id));
    }
    let build = Build { writer: &writer, fields: &fields, numbers, facets, lists };
    if let Err(e) = add_sources(build, &numbered, spans, &dir.join(quotes::file_name(file)), file, progress)? {
        return Err(worker_err(project, &mut writer, e));
    }
    crate::failpoint::hit("index-update-before-commit");
    commit(project, writer, generation)?;
    crate::failpoint::hit("index-update-before-meta");
    ledger.generation = generation;
    ledger.files = files;
    meta.generation = generation;
    meta.fingerprint = wanted.fingerprint.clone();
    // `quotes.bin` and the update files some source's quotes are still in.
    let used: BTreeSet<u32> = ledger.sources.values().map(|s| s.file).chain([0]).collect();
    meta.quote_files = used.into_iter().collect();
    write_atomic(&dir.join(LEDGER), &serde_json::to_vec(&ledger).expect("ledger serialises"))?;
    write_atomic(&dir.join(META), &serde_json::to_vec(&meta).expect("meta serialises"))?;
    remove_unused_quote_files(dir, &meta);
    Ok(Some(dirty.len()))
}

/// Every coding of the re-indexed sources, if other coders than the changed ones have codings
/// on them (only those sources' rows are kept from their files); `None`: the changed coders'
/// files hold them all.
fn other_coders_spans(project: &Project, ledger: &Ledger, dirty: &BTreeSet<String>, changed: &[Coder]) -> Result<Option<Spans>> {
    let mut needed: Vec<Coder> =
        ledger.rows.iter().filter(|(_, by_source)| dirty.iter().any(|s| by_source.contains_key(s))).filter_map(|(c, _)| c.parse().ok()).collect();
    if needed.iter().all(|c| changed.contains(c)) {
        return Ok(None);
    }
    needed.extend(changed.iter().cloned());
    needed.sort();
    needed.dedup();
    Ok(Some(store::read_spans_on(project, &needed, dirty)?))
}

/// The index's metadata, ledger and tantivy index, if they are of the wanted format and lists
/// and all three belong to the same write.
fn read_state(dir: &Path, wanted: &Meta) -> Option<(Meta, Ledger, Index)> {
    let meta: Meta = serde_json::from_slice(&fs::read(dir.join(META)).ok()?).ok()?;
    let ledger: Ledger = serde_json::from_slice(&fs::read(dir.join(LEDGER)).ok()?).ok()?;
    if (meta.format, &meta.lists) != (wanted.format, &wanted.lists) || ledger.generation != meta.generation {
        return None;
    }
    let index = Index::open_in_dir(dir).ok()?;
    if index.schema() != schema().0 || commit_generation(&index)? != meta.generation {
        return None;
    }
    // A quote file cut short or a segment that does not load: rebuilt, not updated.
    if meta.quote_files.iter().any(|n| quotes::Quotes::open(&dir.join(quotes::file_name(*n))).is_none()) {
        return None;
    }
    index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().ok().map(|_: tantivy::IndexReader| ())?;
    register_tokenizers(&index);
    Some((meta, ledger, index))
}

/// Removes quote files the metadata does not list: written by an update that was stopped, or
/// no longer used (every source in it was indexed again since). A reader that still maps one
/// keeps reading it; one that has not opened it yet finds the metadata changed and waits for
/// the rebuild lock.
fn remove_unused_quote_files(dir: &Path, meta: &Meta) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let number = name.strip_prefix("quotes-").and_then(|n| n.strip_suffix(".bin")).and_then(|n| n.parse::<u32>().ok());
        if number.is_some_and(|n| !meta.quote_files.contains(&n)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// What changed between two sets of file fingerprints.
struct Changes {
    /// Sources whose file was added, changed or removed.
    dirty: BTreeSet<String>,
    /// Coders whose coding file was added or changed.
    changed: Vec<Coder>,
    /// Coders whose coding file is gone.
    removed: Vec<String>,
}

fn changes(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Changes {
    let mut c = Changes { dirty: BTreeSet::new(), changed: Vec::new(), removed: Vec::new() };
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names.into_iter().filter(|n| old.get(*n) != new.get(*n)) {
        if let Some(id) = name.strip_prefix("sources/").and_then(|f| f.strip_suffix(".txt")) {
            if SourceId::parse(id).is_ok() {
                c.dirty.insert(id.to_string());
            }
        } else if let Some(file) = name.strip_prefix("codings/") {
            if file.ends_with(".orphaned.csv") || file.ends_with(".rejected.csv") {
                continue;
            }
            let Some(coder) = file.strip_suffix(".csv").and_then(|c| c.parse::<Coder>().ok()) else { continue };
            if new.contains_key(name) {
                c.changed.push(coder);
            } else {
                c.removed.push(coder.to_string());
            }
        }
    }
    c
}

/// The sources of `dirty` that have a file now, read.
fn load_present(project: &Project, dirty: &BTreeSet<String>, files: &BTreeMap<String, String>) -> Result<Vec<Source>> {
    use rayon::prelude::*;
    let present: Vec<SourceId> =
        dirty.iter().filter(|id| files.contains_key(&format!("sources/{id}.txt"))).filter_map(|id| SourceId::parse(id).ok()).collect();
    present.par_iter().map(|id| project.load_source(id)).collect()
}

/// Counts the codings of the changed and removed coders again (`changed_spans` holds the
/// changed coders' files); pairs they no longer use count none.
fn recount(meta: &mut Meta, changed: &[Coder], removed: &[String], changed_spans: &Spans) {
    for (i, (coder, _)) in meta.pairs.clone().into_iter().enumerate() {
        let name = &meta.coders[coder as usize];
        if removed.contains(name) || changed.iter().any(|c| c.as_str() == name) {
            meta.counts[i] = 0;
        }
    }
    for row in changed_spans.rows() {
        let n = pair_number(meta, changed_spans.coder(row.coder).as_str(), &changed_spans.code(row.code).to_string());
        meta.counts[n as usize] += 1;
    }
}

/// The number of the pair (coder, code) in the metadata, added at the end if new.
fn pair_number(meta: &mut Meta, coder: &str, code: &str) -> u32 {
    let position = |list: &mut Vec<String>, value: &str| match list.iter().position(|v| v == value) {
        Some(i) => i as u32,
        None => {
            list.push(value.to_string());
            list.len() as u32 - 1
        }
    };
    let pair = (position(&mut meta.coders, coder), position(&mut meta.code_paths, code));
    match meta.pairs.iter().position(|p| *p == pair) {
        Some(i) => i as u32,
        None => {
            meta.pairs.push(pair);
            meta.counts.push(0);
            meta.pairs.len() as u32 - 1
        }
    }
}

/// The metadata's number of every (coder, code) pair of `spans` (new pairs are added).
fn number_pairs(meta: &mut Meta, spans: &Spans) -> FxHashMap<(store::CoderIx, store::CodeIx), u32> {
    let mut numbers = FxHashMap::default();
    for row in spans.rows() {
        numbers.entry((row.coder, row.code)).or_insert_with(|| pair_number(meta, spans.coder(row.coder).as_str(), &spans.code(row.code).to_string()));
    }
    numbers
}

/// Each pair's facets by number: its code, and its coder above its code.
fn facets(meta: &Meta) -> Option<Vec<(Facet, Facet)>> {
    Some(meta.codes()?.iter().map(|c| (code_facet(None, &c.1), code_facet(Some(&c.0), &c.1))).collect())
}

/// Gives the re-indexed sources their ledger entries (a source keeps its number; a new one
/// gets the next) and drops those of removed sources.
fn renumber_sources(ledger: &mut Ledger, dirty: &BTreeSet<String>, present: &[Source]) {
    let mut numbers: BTreeMap<String, u32> = BTreeMap::new();
    for id in dirty {
        if let Some(old) = ledger.sources.remove(id) {
            numbers.insert(id.clone(), old.number);
        }
    }
    for s in present {
        let number = numbers.get(s.id.as_str()).copied().unwrap_or_else(|| {
            ledger.next_number += 1;
            ledger.next_number - 1
        });
        ledger.sources.insert(s.id.to_string(), ledger_source(s, number));
    }
}

/// By source number, each source's place in quote order (country, then id).
fn ranks(ledger: &Ledger) -> Vec<u32> {
    let mut order: Vec<(&str, &str, u32)> = ledger.sources.iter().map(|(id, s)| (s.country.as_str(), id.as_str(), s.number)).collect();
    order.sort_unstable();
    let mut ranks = vec![u32::MAX; ledger.next_number as usize];
    for (rank, (_, _, number)) in order.into_iter().enumerate() {
        ranks[number as usize] = rank as u32;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::schema::LedgerSource;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn changed_source_files_are_dirty_and_coding_files_name_their_coder() {
        let old = files(&[
            ("sources/PT-01.txt", "10:1"),
            ("sources/PT-02.txt", "10:1"),
            ("sources/SHA256SUMS", "50:1"),
            ("codings/ana.csv", "5:1"),
            ("codings/ben.csv", "5:1"),
            ("codings/ana.orphaned.csv", "5:1"),
        ]);
        let new = files(&[
            ("sources/PT-01.txt", "11:2"),
            ("sources/PT-03.txt", "10:2"),
            ("sources/SHA256SUMS", "70:2"),
            ("codings/ana.csv", "6:2"),
            ("codings/cid.csv", "5:2"),
            ("codings/ana.orphaned.csv", "9:2"),
        ]);
        let c = changes(&old, &new);
        assert_eq!(c.dirty.into_iter().collect::<Vec<_>>(), ["PT-01", "PT-02", "PT-03"]);
        assert_eq!(c.changed.iter().map(Coder::as_str).collect::<Vec<_>>(), ["ana", "cid"]);
        assert_eq!(c.removed, ["ben"]);
    }

    #[test]
    fn ranks_order_sources_by_country_then_id_and_unused_numbers_have_none() {
        let mut ledger = Ledger { next_number: 4, ..Ledger::default() };
        for (id, country, number) in [("PT-01", "PT", 0), ("BE-09", "BE", 3), ("AT-99", "PT", 1)] {
            ledger.sources.insert(id.into(), LedgerSource { number, country: country.into(), ..LedgerSource::default() });
        }
        assert_eq!(ranks(&ledger), [2, 1, u32::MAX, 0]);
    }

    #[test]
    fn a_new_pair_is_numbered_after_the_existing_ones_and_an_old_one_keeps_its_number() {
        let mut meta = Meta { coders: vec!["ana".into()], code_paths: vec!["a".into()], pairs: vec![(0, 0)], counts: vec![3], ..Meta::default() };
        assert_eq!(pair_number(&mut meta, "ben", "a"), 1);
        assert_eq!(pair_number(&mut meta, "ana", "b/c"), 2);
        assert_eq!(pair_number(&mut meta, "ana", "a"), 0);
        assert_eq!(
            (meta.coders, meta.code_paths, meta.pairs, meta.counts),
            (vec!["ana".to_string(), "ben".into()], vec!["a".to_string(), "b/c".into()], vec![(0, 0), (1, 0), (0, 1)], vec![3, 0, 0])
        );
    }
}
