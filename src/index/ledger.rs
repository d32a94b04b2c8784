//! What the index's ledger records of the project (see [`super::schema::Ledger`]): each source's
//! entry and each coder's codings per source as a hash, computed alike by a rebuild and an update.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::schema::LedgerSource;
use crate::coding::store::{self, Spans};
use crate::corpus::Source;
use crate::project::Fnv;

/// How many quotes a source has: its respondent segments.
pub(super) fn respondent_segments(s: &Source) -> u64 {
    s.segments.iter().filter(|g| s.speaker_of(g).respondent().is_some()).count() as u64
}

/// What the ledger records of a source indexed as number `number`.
pub(super) fn ledger_source(s: &Source, number: u32) -> LedgerSource {
    let keys: BTreeSet<String> = s.respondents().flat_map(|(speaker, _)| s.speaker_attributes(speaker).into_keys()).collect();
    LedgerSource { number, file: 0, country: s.country.to_string(), keys: keys.into_iter().collect(), quotes: respondent_segments(s) }
}

/// By coder and source, a hash of that coder's codings on that source (their spans and codes,
/// in order): what says which sources a changed coding file changed.
pub(super) fn row_hashes(spans: &Spans) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut hashes: FxHashMap<(store::CoderIx, store::SourceIx), Fnv> = FxHashMap::default();
    for row in spans.rows() {
        let h = hashes.entry((row.coder, row.source)).or_insert_with(Fnv::new);
        h.write(&(row.start as u64).to_le_bytes());
        h.write(&(row.end as u64).to_le_bytes());
        h.write(spans.code(row.code).to_string().as_bytes());
        h.write(b"\n");
    }
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for ((coder, source), h) in hashes {
        out.entry(spans.coder(coder).to_string()).or_default().insert(spans.source(source).to_string(), h.value());
    }
    out
}
