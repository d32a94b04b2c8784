//! Searching the index: a [`QuoteQuery`] as a tantivy query, the matching quote numbers collected
//! from fast fields, and the quotes read from the quote file.

use serde::Serialize;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::Term;

use super::quotes;
use super::schema::{code_facet, Fields};
use crate::codebook::rule::Rule;
use crate::codebook::CodePath;
use crate::coding::autocode::{analyzer, stem};
use crate::coding::kinds::Counted;
use crate::coding::Coder;
use crate::corpus::Language;
use crate::error::{Error, Result};

/// A query reading more quotes than this reads them on every core.
const PARALLEL_QUOTES: usize = 16 * 1024;

/// An open, up-to-date index.
pub struct SegmentIndex {
    pub(super) reader: tantivy::IndexReader,
    pub(super) fields: Fields,
    pub(super) attributes: std::collections::BTreeSet<String>,
    /// What a quote's code numbers stand for.
    pub(super) codes: Vec<CoderCode>,
    /// How many codings each of `codes` has.
    pub(super) counts: Vec<u64>,
    /// By source number, the source's place in quote order.
    pub(super) ranks: Vec<u32>,
    /// The quote files by number (see [`super::schema::Meta::quote_files`]).
    pub(super) quotes: Vec<(u32, quotes::Quotes)>,
}

/// A coder's code on a quote, one value shared by every quote that carries it.
pub type CoderCode = std::sync::Arc<(Coder, CodePath)>;

impl SegmentIndex {
    pub fn num_segments(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    /// Every code with how many codings of it one coder made (a code comes once per coder).
    pub fn coded_counts(&self) -> impl Iterator<Item = (&CodePath, u64)> {
        self.codes.iter().map(|c| &c.1).zip(self.counts.iter().copied()).filter(|(_, n)| *n > 0)
    }

    /// The coders with codings in the index, in name order.
    pub fn coders(&self) -> Vec<Coder> {
        let set: std::collections::BTreeSet<&Coder> = self.codes.iter().zip(&self.counts).filter(|(_, n)| **n > 0).map(|(c, _)| &c.0).collect();
        set.into_iter().cloned().collect()
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
        // A code counts when one of the counted coders put it (or a code below it) on the segment.
        let facet_term = |coder: Option<&Coder>, path: &CodePath| {
            let field = if coder.is_some() { f.coder_code } else { f.code };
            (Occur::Should, Box::new(TermQuery::new(Term::from_facet(field, &code_facet(coder, path)), IndexRecordOption::Basic)) as Box<dyn Query>)
        };
        for alternatives in &query.codes {
            let any: Vec<(Occur, Box<dyn Query>)> = match &query.coders {
                None => alternatives.iter().map(|path| facet_term(None, path)).collect(),
                Some(counted) => alternatives.iter().flat_map(|path| counted.coders.iter().map(move |c| facet_term(Some(c), path))).collect(),
            };
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(counted) = query.coders.as_ref().filter(|c| c.explicit && query.codes.is_empty()) {
            let any: Vec<(Occur, Box<dyn Query>)> = counted
                .coders
                .iter()
                .map(|c| {
                    let term = Term::from_facet(f.coder_code, &Facet::from_path([c.as_str()]));
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
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
        let found = searcher.search(&BooleanQuery::new(clauses), &QuoteNumbers).map_err(|e| Error::Internal(e.to_string()))?;
        // Flagged quotes are dropped before any is read.
        let mut ordered = Vec::with_capacity(found.len());
        let mut withheld = 0;
        for (quote, flagged, src) in found {
            if flagged && !query.allow_flagged {
                withheld += 1;
                continue;
            }
            let rank = src.and_then(|s| self.ranks.get(s as usize)).copied();
            let (Some(quote), Some(rank)) = (quote, rank) else {
                return Err(Error::corrupt("the index has a respondent segment without a quote; run `quire index --rebuild`"));
            };
            // Quote order: the source's place, then the quote's (a source's quotes are one run).
            ordered.push((rank, quote));
        }
        let total = ordered.len();
        ordered.sort_unstable();
        ordered.truncate(limit.unwrap_or(usize::MAX));
        let ordered: Vec<u64> = ordered.into_iter().map(|(_, q)| q).collect();
        // The quotes, read from the quote file in order; many are read in parallel runs. For a
        // few thousand, starting the threads (and their first memory) costs more than it saves.
        use rayon::prelude::*;
        let read = |run: &[u64]| -> Result<Vec<Hit>> {
            let mut hits = Vec::with_capacity(run.len());
            for n in run {
                hits.push(self.hit(*n, query.coders.as_ref())?);
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

    /// Quote number `n` (its file's number above its place); with `coders`, only their codes,
    /// sorted (coder, then code: as a rebuild numbers them).
    fn hit(&self, n: u64, coders: Option<&Counted>) -> Result<Hit> {
        let (file, at) = ((n >> 32) as u32, (n & u64::from(u32::MAX)) as usize);
        let Some((_, quotes)) = self.quotes.iter().find(|(f, _)| *f == file) else {
            return Err(Error::corrupt(format!("the index names quote file {file}, which it does not have; run `quire index --rebuild`")));
        };
        let q = quotes.get(at)?;
        let mut codes: Vec<CoderCode> = q
            .codes
            .iter()
            .filter_map(|n| self.codes.get(*n as usize))
            .filter(|c| coders.is_none_or(|counted| counted.contains(&c.0)))
            .cloned()
            .collect();
        codes.sort();
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

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if c.is_alphanumeric() { vec![c] } else { vec!['\\', c] }).collect()
}

/// A matching document's quote number, whether the anonymisation check flags it, and its
/// source's number.
type Numbers = (Option<u64>, bool, Option<u64>);

/// Collects each matching document's [`Numbers`] from the fast fields.
struct QuoteNumbers;

struct SegmentQuoteNumbers {
    quote: tantivy::columnar::Column<u64>,
    flagged: tantivy::columnar::Column<u64>,
    src: tantivy::columnar::Column<u64>,
    found: Vec<Numbers>,
}

impl tantivy::collector::Collector for QuoteNumbers {
    type Fruit = Vec<Numbers>;
    type Child = SegmentQuoteNumbers;

    fn for_segment(&self, _ord: tantivy::SegmentOrdinal, segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentQuoteNumbers> {
        let fast = segment.fast_fields();
        Ok(SegmentQuoteNumbers { quote: fast.u64("quote")?, flagged: fast.u64("flagged")?, src: fast.u64("src")?, found: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl tantivy::collector::SegmentCollector for SegmentQuoteNumbers {
    type Fruit = Vec<Numbers>;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        self.found.push((self.quote.first(doc), self.flagged.first(doc) == Some(1), self.src.first(doc)));
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
    /// Whose codings count (every coder's if `None`): a code filter matches only their codings,
    /// and a quote lists only their codes.
    pub coders: Option<Counted>,
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
#[derive(Debug, Clone)]
pub struct Hit {
    pub segment: String,
    pub source: String,
    pub number: usize,
    pub speaker: String,
    pub citation: String,
    pub country: String,
    pub text: String,
    /// The counted coders' codes on the segment, each with its coder.
    pub codes: Vec<CoderCode>,
}

impl Hit {
    /// The codes on the quote, each once, sorted.
    pub fn code_paths(&self) -> Vec<&CodePath> {
        let mut codes: Vec<&CodePath> = self.codes.iter().map(|c| &c.1).collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// The coders whose codes are on the quote, each once, sorted.
    pub fn coders(&self) -> Vec<&Coder> {
        let mut coders: Vec<&Coder> = self.codes.iter().map(|c| &c.0).collect();
        coders.sort();
        coders.dedup();
        coders
    }
}

/// A quote in JSON: its codes as paths and the coders who put them there, each once.
impl Serialize for Hit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Hit", 8)?;
        st.serialize_field("segment", &self.segment)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("speaker", &self.speaker)?;
        st.serialize_field("citation", &self.citation)?;
        st.serialize_field("country", &self.country)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("codes", &self.code_paths().iter().map(|c| c.to_string()).collect::<Vec<_>>())?;
        st.serialize_field("coders", &self.coders())?;
        st.end()
    }
}
