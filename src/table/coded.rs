//! Respondent segments with the codes on them (what tables count), and their cache
//! `.quire/coded-units.bin`, so a table does not parse every source and coding file again.
//!
//! The cache is derived state, like the index: it records the project's fingerprint of sources
//! and coding files, and a missing, stale or unreadable cache is rebuilt, never an error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::codebook::CodePath;
use crate::coding::kinds::Counted;
use crate::coding::store::{self, CodeIx, CoderIx};
use crate::coding::Coder;
use crate::corpus::Source;
use crate::error::Result;
use crate::project::{write_atomic, Project};

/// Version of the cache layout; a cache of another version is rebuilt.
pub const CACHE_FORMAT: u32 = 3;
const CACHE_FILE: &str = "coded-units.bin";
const MAGIC: &[u8] = b"quire coded units\n";

/// One respondent segment: its source, case (respondent) and speaker, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RespondentSegment {
    pub source: u32,
    pub case: u32,
    pub speaker: u32,
}

/// Every respondent segment, the attributes of its speaker, and which coder put which code on it.
/// Codes and coders are numbered as the codings number them ([`store::Spans`]).
#[derive(Debug, Default, PartialEq)]
pub struct CodedUnits {
    pub units: Vec<RespondentSegment>,
    pub sources: Vec<String>,
    pub cases: Vec<String>,
    /// Attributes per speaker (the source's, overridden by the speaker's own).
    pub speakers: Vec<BTreeMap<String, String>>,
    /// Every code of the codings, by [`CodeIx`] (some may be on none of the project's sources).
    pub codes: Vec<CodePath>,
    /// How many codings (on the project's sources) each of `codes` has.
    pub coding_counts: Vec<u64>,
    /// Every coder of the codings, by [`CoderIx`].
    pub coders: Vec<Coder>,
    /// (unit, coder, code): the unit overlaps a coding of that code by that coder. Sorted, distinct.
    pub marks: Vec<(u32, CoderIx, CodeIx)>,
}

impl CodedUnits {
    /// Built from the sources and the codings (their texts are not needed).
    pub fn build(sources: &[Source], codings: &store::Spans) -> CodedUnits {
        let mut coded = CodedUnits {
            codes: codings.codes().to_vec(),
            coding_counts: vec![0; codings.codes().len()],
            coders: codings.coders().to_vec(),
            ..CodedUnits::default()
        };
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut cases: BTreeMap<String, u32> = BTreeMap::new();
        for source in sources {
            let source_index = coded.sources.len() as u32;
            coded.sources.push(source.id.to_string());
            let first = coded.units.len();
            for (speaker, respondent) in source.respondents() {
                let speaker_index = coded.speakers.len() as u32;
                coded.speakers.push(source.speaker_attributes(speaker));
                let next = cases.len() as u32;
                let case = *cases.entry(respondent.case.clone()).or_insert(next);
                for segment in source.segments.iter().filter(|s| source.speaker_of(s).label == speaker.label) {
                    coded.units.push(RespondentSegment { source: source_index, case, speaker: speaker_index });
                    spans.push((segment.start, segment.end));
                }
            }
            for c in codings.rows_of(source.id.as_str()) {
                coded.coding_counts[c.code.index()] += 1;
                for (unit, &(start, end)) in spans.iter().enumerate().skip(first) {
                    if c.overlaps(start, end) {
                        coded.marks.push((unit as u32, c.coder, c.code));
                    }
                }
            }
        }
        coded.cases = vec![String::new(); cases.len()];
        for (name, i) in cases {
            coded.cases[i as usize] = name;
        }
        coded.marks.sort_unstable();
        coded.marks.dedup();
        coded
    }

    /// From the cache if it is up to date, else built from the project and cached. Refuses a
    /// project whose sources were edited outside quire ([`crate::edits::check`]).
    pub fn load(project: &Project) -> Result<CodedUnits> {
        let fingerprint = project.fingerprint()?;
        crate::edits::check(project, &fingerprint)?;
        if let Some(coded) = std::fs::read(cache_path(project)).ok().and_then(|bytes| decode(&bytes, &fingerprint)) {
            return Ok(coded);
        }
        let coded = CodedUnits::build(&project.load_sources()?, &store::read_spans(project)?);
        coded.save(project, &fingerprint);
        Ok(coded)
    }

    /// Caches these units under the fingerprint they were built for. A cache that cannot be
    /// written (a read-only project) is only a slower next table, so failures are ignored.
    pub fn save(&self, project: &Project, fingerprint: &str) {
        let _ = write_atomic(&cache_path(project), &encode(self, fingerprint));
    }

    /// Every attribute key the speakers carry.
    pub fn attribute_keys(&self) -> BTreeSet<String> {
        self.speakers.iter().flat_map(|a| a.keys().cloned()).collect()
    }

    pub fn attribute(&self, unit: usize, key: &str) -> Option<&str> {
        self.speakers[self.units[unit].speaker as usize].get(key).map(String::as_str)
    }

    /// Only the units whose speakers pass `filters` (AND across keys, OR within a key) and only
    /// the marks of the `counted` coders.
    pub fn filtered(self, filters: &[(String, Vec<String>)], counted: &Counted) -> CodedUnits {
        let speaker_passes: Vec<bool> =
            self.speakers.iter().map(|a| filters.iter().all(|(k, vs)| a.get(k).is_some_and(|v| vs.contains(v)))).collect();
        let coder_counts: Vec<bool> = self.coders.iter().map(|c| counted.contains(c)).collect();
        let mut renumber = vec![u32::MAX; self.units.len()];
        let mut units = Vec::new();
        for (i, unit) in self.units.iter().enumerate() {
            if speaker_passes[unit.speaker as usize] {
                renumber[i] = units.len() as u32;
                units.push(*unit);
            }
        }
        let marks = self
            .marks
            .iter()
            .filter(|(u, c, _)| renumber[*u as usize] != u32::MAX && coder_counts[c.index()])
            .map(|(u, c, code)| (renumber[*u as usize], *c, *code))
            .collect();
        CodedUnits { units, marks, ..self }
    }
}

fn cache_path(project: &Project) -> PathBuf {
    project.state_dir().join(CACHE_FILE)
}

/// The parts of the cache that are not plain numbers.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    fingerprint: String,
    sources: Vec<String>,
    cases: Vec<String>,
    speakers: Vec<BTreeMap<String, String>>,
    codes: Vec<String>,
    coding_counts: Vec<u64>,
    coders: Vec<String>,
}

/// `MAGIC`, the format (u32), the JSON header's length (u64) and the header, then the units and
/// the marks, each a count (u64) and little-endian u32 triples.
fn encode(coded: &CodedUnits, fingerprint: &str) -> Vec<u8> {
    let header = Header {
        fingerprint: fingerprint.to_string(),
        sources: coded.sources.clone(),
        cases: coded.cases.clone(),
        speakers: coded.speakers.clone(),
        codes: coded.codes.iter().map(|c| c.to_string()).collect(),
        coding_counts: coded.coding_counts.clone(),
        coders: coded.coders.iter().map(|c| c.to_string()).collect(),
    };
    let header = serde_json::to_vec(&header).expect("the header serialises");
    let mut out = Vec::with_capacity(MAGIC.len() + header.len() + 12 * (coded.units.len() + coded.marks.len()) + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CACHE_FORMAT.to_le_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(coded.units.len() as u64).to_le_bytes());
    for u in &coded.units {
        for n in [u.source, u.case, u.speaker] {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out.extend_from_slice(&(coded.marks.len() as u64).to_le_bytes());
    for (unit, coder, code) in &coded.marks {
        for n in [*unit, coder.get(), code.get()] {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out
}

/// The cached units, if `bytes` is a whole cache of this format for `fingerprint` whose indices
/// all point where they should.
fn decode(bytes: &[u8], fingerprint: &str) -> Option<CodedUnits> {
    let mut r = Bytes(bytes.strip_prefix(MAGIC)?);
    if r.u32()? != CACHE_FORMAT {
        return None;
    }
    let header_len = usize::try_from(r.u64()?).ok()?;
    let header: Header = serde_json::from_slice(r.take(header_len)?).ok()?;
    if header.fingerprint != fingerprint {
        return None;
    }
    let codes = header.codes.iter().map(|c| CodePath::parse(c).ok()).collect::<Option<Vec<_>>>()?;
    let coders = header.coders.iter().map(|c| c.parse().ok()).collect::<Option<Vec<_>>>()?;
    let units = r.triples()?.map(|[source, case, speaker]| RespondentSegment { source, case, speaker }).collect::<Vec<_>>();
    let marks = r.triples()?.map(|[u, c, code]| (u, CoderIx::new(c), CodeIx::new(code))).collect::<Vec<_>>();
    let in_range = |n: u32, len: usize| (n as usize) < len;
    let units_ok = units
        .iter()
        .all(|u| in_range(u.source, header.sources.len()) && in_range(u.case, header.cases.len()) && in_range(u.speaker, header.speakers.len()));
    let marks_ok = marks.iter().all(|(u, c, code)| in_range(*u, units.len()) && in_range(c.get(), coders.len()) && in_range(code.get(), codes.len()));
    if !units_ok || !marks_ok || !r.0.is_empty() || header.coding_counts.len() != codes.len() {
        return None;
    }
    let coding_counts = header.coding_counts;
    Some(CodedUnits { units, sources: header.sources, cases: header.cases, speakers: header.speakers, codes, coding_counts, coders, marks })
}

/// A reader over the cache's bytes; every read is `None` past the end.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A count, then that many u32 triples.
    fn triples(&mut self) -> Option<impl Iterator<Item = [u32; 3]> + 'a> {
        let n = usize::try_from(self.u64()?).ok()?;
        let body = self.take(n.checked_mul(12)?)?;
        Some(body.chunks_exact(12).map(|c| {
            let n = |i: usize| u32::from_le_bytes(c[i..i + 4].try_into().expect("four bytes"));
            [n(0), n(4), n(8)]
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CodedUnits {
        let attrs = |c: &str| BTreeMap::from([("country".to_string(), c.to_string())]);
        CodedUnits {
            units: vec![RespondentSegment { source: 0, case: 0, speaker: 0 }, RespondentSegment { source: 1, case: 1, speaker: 1 }],
            sources: vec!["BE-PR-01".into(), "FR-PR-01".into()],
            cases: vec!["BE-PR-01".into(), "FR-PR-01".into()],
            speakers: vec![attrs("BE"), attrs("FR")],
            codes: vec![CodePath::parse("challenges/structural").unwrap()],
            coding_counts: vec![2],
            coders: vec!["ana".parse().unwrap(), "ben".parse().unwrap()],
            marks: vec![(0, CoderIx::new(0), CodeIx::new(0)), (1, CoderIx::new(1), CodeIx::new(0))],
        }
    }

    #[test]
    fn the_cache_reads_back_what_was_written_for_the_same_fingerprint_only() {
        let coded = sample();
        let bytes = encode(&coded, "f1");
        assert_eq!(decode(&bytes, "f1"), Some(sample()));
        assert_eq!(decode(&bytes, "f2"), None, "stale");
        for cut in [0, MAGIC.len() + 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut], "f1"), None, "truncated at {cut}");
        }
        let mut bad = bytes.clone();
        let last = bad.len() - 4;
        bad[last..].copy_from_slice(&7u32.to_le_bytes());
        assert_eq!(decode(&bad, "f1"), None, "a code index out of range");
    }

    #[test]
    fn filtering_keeps_the_units_and_marks_asked_for() {
        use crate::coding::kinds::CoderChoice;
        let choose = |choice: &str| Counted::resolve(&choice.parse::<CoderChoice>().unwrap(), &sample().coders, &Default::default());
        let fr = sample().filtered(&[("country".into(), vec!["FR".into()])], &choose("all"));
        assert_eq!(fr.units, vec![RespondentSegment { source: 1, case: 1, speaker: 1 }]);
        assert_eq!(fr.marks, vec![(0, CoderIx::new(1), CodeIx::new(0))]);
        let ana = sample().filtered(&[], &choose("ana"));
        assert_eq!((ana.units.len(), ana.marks.clone()), (2, vec![(0, CoderIx::new(0), CodeIx::new(0))]));
        let nobody = sample().filtered(&[], &choose("zed"));
        assert!(nobody.marks.is_empty());
    }
}
