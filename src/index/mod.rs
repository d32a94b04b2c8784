//! The tantivy index under `.quire/index`: one document per segment, its text in a stemmed field
//! for its language and in a plain one, every attribute, and code paths as facets; each
//! respondent segment's quote (what a query prints) is in the quote file beside it
//! (`quotes.bin`), found by its number. It is derived state: a fingerprint of sources and codings,
//! and a key of the anonymisation lists, say when it is stale, and a missing, stale or corrupt
//! index is rebuilt, never a failure. Each respondent segment carries whether the anonymisation
//! check flags it, so a query withholds flagged quotes without reading them.
//!
//! A stale index is first updated in place (`update`: only the sources whose file or codings
//! changed are indexed again); it is rebuilt when that is not possible.
//!
//! This file opens the index and decides whether it is fresh; `schema` holds its layout and
//! metadata, `build` builds and swaps it in, `update` updates it in place, `ledger` is what both
//! record of the project for the next update, `search` answers queries, `quotes` is the quote file.

use std::fs;
use std::path::Path;

use tantivy::Index;

use crate::anonymise::Lists;
use crate::error::{Error, Result};
use crate::progress::{Progress, Silent};
use crate::project::Project;

mod build;
mod ledger;
mod quotes;
mod schema;
mod search;
mod update;

use build::{rebuild, rebuild_lock, remove_leftovers, BUILD_PREFIX};
pub use schema::INDEX_FORMAT;
use schema::{register_tokenizers, schema, Meta, DIR, META};
pub use search::{CoderCode, Found, Hit, QuoteQuery, SegmentIndex};

/// How `open` found the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    UpToDate,
    /// Brought up to date in place: the documents of this many sources were replaced.
    Updated(usize),
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
        // Each file's own fingerprint too: an update compares them with the ledger's.
        let (fingerprint, files) = crate::project::fingerprint::file_prints(project.root())?;
        if check {
            crate::edits::check(project, &fingerprint)?;
        }
        let wanted = Meta { format: INDEX_FORMAT, fingerprint, lists: lists.key(), ..Meta::default() };
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
        if !force_rebuild {
            // Only what changed since the index was written, if its state allows.
            if let Some(n) = update::update(project, &dir, &wanted, files, &lists, progress)? {
                if let Some(index) = Self::try_open(&dir, &wanted) {
                    return Ok((index, Freshness::Updated(n)));
                }
            }
        }
        remove_leftovers(&project.state_dir());
        // A failure to write the index (a full disk) names the index, not the folder it was built in.
        let built = rebuild(project, &dir, &wanted, &lists, progress).map_err(|e| match e {
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
        let index = open_at(dir, &meta)?;
        // The segments and the quote file are open (they stay readable if the directory is
        // replaced now). If another process swapped in a new index while they were opened, they
        // may come from two builds: the metadata, read again, says so, and this one waits for the
        // rebuild lock instead.
        if fs::read(dir.join(META)).ok()? != raw_meta {
            return None;
        }
        Some(index)
    }
}

/// The index in `dir` as `meta` describes it, if its layout and commit are the ones `meta` was
/// written for and its quote files read.
fn open_at(dir: &Path, meta: &Meta) -> Option<SegmentIndex> {
    let index = Index::open_in_dir(dir).ok()?;
    let (schema, fields) = schema();
    if index.schema() != schema || commit_generation(&index)? != meta.generation {
        return None;
    }
    let codes = meta.codes()?;
    if meta.counts.len() != codes.len() {
        return None;
    }
    register_tokenizers(&index);
    // A corrupt segment shows when the reader loads. One process reads one state: no reloading.
    let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().ok()?;
    let quotes = meta.quote_files.iter().map(|n| Some((*n, quotes::Quotes::open(&dir.join(quotes::file_name(*n)))?))).collect::<Option<Vec<_>>>()?;
    Some(SegmentIndex {
        reader,
        fields,
        attributes: meta.attributes.iter().cloned().collect(),
        codes,
        counts: meta.counts.clone(),
        ranks: meta.ranks.clone(),
        quotes,
    })
}

/// The generation the index's last tantivy commit carries.
fn commit_generation(index: &Index) -> Option<u64> {
    index.load_metas().ok()?.payload?.parse().ok()
}
