//! Autocoding: each code's rule for a segment's language, matched on stemmed words, and
//! [`propose`], which runs every rule over the respondent segments of a corpus.
//!
//! Rule words are numbered once per language (a [`Vocabulary`]); a segment is reduced to the
//! numbers of its words, and a rule is then a handful of bit tests. Each thread remembers what
//! every word it has seen stems to, so a word is stemmed once, not once per occurrence.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream};

use crate::codebook::rule::{self, Rule};
use crate::codebook::{CodePath, Codebook};
use crate::coding::kinds::CoderKind;
use crate::coding::store::{self, Row};
use crate::coding::{now_rfc3339, suggestions, Coder};
use crate::corpus::{Language, Segment, Source};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::project::txn::Transaction;
use crate::project::Project;

fn stemmer_language(language: Language) -> tantivy::tokenizer::Language {
    use tantivy::tokenizer::Language as L;
    match language {
        Language::English => L::English,
        Language::Dutch => L::Dutch,
        Language::French => L::French,
        Language::German => L::German,
        Language::Portuguese => L::Portuguese,
    }
}

/// The analyzer used for both the index and autocoding: split on non-alphanumerics, lower-case,
/// snowball-stem in the language.
pub fn analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(Stemmer::new(stemmer_language(language)))
        .build()
}

/// The same chain without the stemmer: the lower-cased words of a text.
fn lower_words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(60)).filter(LowerCaser).build()
}

/// A tokenizer name for the index's per-language field.
pub fn analyzer_name(language: Language) -> String {
    format!("quire_{}", language.as_str())
}

/// The stem of a rule word (the word itself if the analyzer keeps nothing of it).
pub fn stem(analyzer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = analyzer.token_stream(word);
    if stream.advance() {
        stream.token().text.clone()
    } else {
        word.to_string()
    }
}

/// The stems and prefixes the rules of one language use, numbered.
#[derive(Debug)]
pub struct Vocabulary {
    language: Language,
    stems: FxHashMap<String, u32>,
    prefixes: Vec<String>,
}

/// A word's number when no rule uses its stem.
const UNUSED: u32 = u32::MAX;

impl Vocabulary {
    pub fn new(language: Language) -> Vocabulary {
        Vocabulary { language, stems: FxHashMap::default(), prefixes: Vec::new() }
    }

    fn stem_id(&mut self, stem: String) -> u32 {
        let next = self.stems.len() as u32;
        *self.stems.entry(stem).or_insert(next)
    }

    fn prefix_id(&mut self, prefix: &str) -> u32 {
        match self.prefixes.iter().position(|p| p == prefix) {
            Some(i) => i as u32,
            None => {
                self.prefixes.push(prefix.to_string());
                (self.prefixes.len() - 1) as u32
            }
        }
    }
}

/// A rule with its words numbered in one language's vocabulary, ready to match many segments.
#[derive(Debug, Clone)]
pub enum Matcher {
    Stem(u32),
    Prefix(u32),
    Phrase(Vec<u32>),
    All(Vec<Matcher>),
    /// Matches if a positive part matches and no excluded (`Not`) part does.
    Any {
        positive: Vec<Matcher>,
        negative: Vec<Matcher>,
    },
    Not(Box<Matcher>),
}

impl Matcher {
    /// Compiles `rule`, adding its words to `vocabulary`.
    pub fn new(rule: &Rule, vocabulary: &mut Vocabulary) -> Matcher {
        let mut stemmer = analyzer(vocabulary.language);
        Self::compile(rule, vocabulary, &mut stemmer)
    }

    fn compile(rule: &Rule, vocabulary: &mut Vocabulary, stemmer: &mut TextAnalyzer) -> Matcher {
        match rule {
            Rule::Term { word, prefix: true } => Matcher::Prefix(vocabulary.prefix_id(word)),
            Rule::Term { word, prefix: false } => Matcher::Stem(vocabulary.stem_id(stem(stemmer, word))),
            Rule::Phrase(ws) => Matcher::Phrase(ws.iter().map(|w| vocabulary.stem_id(stem(stemmer, w))).collect()),
            Rule::All(parts) => Matcher::All(parts.iter().map(|p| Self::compile(p, vocabulary, stemmer)).collect()),
            Rule::Any(parts) => {
                let (negative, positive) = parts.iter().partition(|p| matches!(p, Rule::Not(_)));
                let compile_all = |rules: Vec<&Rule>, vocabulary: &mut Vocabulary, stemmer: &mut TextAnalyzer| {
                    rules.into_iter().map(|p| Self::compile(p, vocabulary, stemmer)).collect()
                };
                let positive = compile_all(positive, vocabulary, stemmer);
                let negative = compile_all(negative, vocabulary, stemmer);
                Matcher::Any { positive, negative }
            }
            Rule::Not(inner) => Matcher::Not(Box::new(Self::compile(inner, vocabulary, stemmer))),
        }
    }

    /// Does `text` match? In `All` and `Any`, a `Not` part excludes.
    pub fn matches(&self, text: &Analysed) -> bool {
        match self {
            Matcher::Stem(s) => text.has_stem(*s),
            Matcher::Prefix(p) => bit(&text.prefixes, *p),
            Matcher::Phrase(stems) => {
                !stems.is_empty() && stems.iter().all(|s| text.has_stem(*s)) && text.words.windows(stems.len()).any(|win| win == stems.as_slice())
            }
            Matcher::Not(inner) => !inner.matches(text),
            Matcher::All(parts) => parts.iter().all(|p| p.matches(text)),
            Matcher::Any { positive, negative } => positive.iter().any(|p| p.matches(text)) && negative.iter().all(|n| n.matches(text)),
        }
    }
}

fn bit(set: &[u64], i: u32) -> bool {
    set.get(i as usize / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

fn set_bit(set: &mut [u64], i: u32) {
    set[i as usize / 64] |= 1 << (i % 64);
}

/// A segment as the rules see it: the vocabulary number of each word, and which stems and
/// prefixes occur.
#[derive(Debug, Default)]
pub struct Analysed {
    words: Vec<u32>,
    stems: Vec<u64>,
    prefixes: Vec<u64>,
}

impl Analysed {
    fn has_stem(&self, s: u32) -> bool {
        bit(&self.stems, s)
    }
}

/// What a word (lower-cased) means to the rules: its stem's number and the prefixes it starts with.
struct WordClass {
    stem: u32,
    prefixes: Box<[u32]>,
}

/// Analyses segments of one language against a vocabulary; one per thread.
pub struct Analyser<'v> {
    vocabulary: &'v Vocabulary,
    words: TextAnalyzer,
    stemmer: TextAnalyzer,
    seen: FxHashMap<String, WordClass>,
}

impl<'v> Analyser<'v> {
    pub fn new(vocabulary: &'v Vocabulary) -> Analyser<'v> {
        let language = vocabulary.language;
        Analyser { vocabulary, words: lower_words(), stemmer: analyzer(language), seen: FxHashMap::default() }
    }

    /// Analyses `text` into `out`, reusing its buffers.
    pub fn analyse(&mut self, text: &str, out: &mut Analysed) {
        let v = self.vocabulary;
        out.words.clear();
        out.stems.clear();
        out.stems.resize(v.stems.len().div_ceil(64), 0);
        out.prefixes.clear();
        out.prefixes.resize(v.prefixes.len().div_ceil(64), 0);
        let mut stream = self.words.token_stream(text);
        while stream.advance() {
            let lower = stream.token().text.as_str();
            let class = match self.seen.get(lower) {
                Some(class) => class,
                None => {
                    let stem = v.stems.get(&stem(&mut self.stemmer, lower)).copied().unwrap_or(UNUSED);
                    let prefixes = (0..v.prefixes.len() as u32).filter(|&p| lower.starts_with(v.prefixes[p as usize].as_str())).collect();
                    self.seen.entry(lower.to_string()).or_insert(WordClass { stem, prefixes })
                }
            };
            out.words.push(class.stem);
            if class.stem != UNUSED {
                set_bit(&mut out.stems, class.stem);
            }
            for &p in class.prefixes.iter() {
                set_bit(&mut out.prefixes, p);
            }
        }
    }
}

/// What the rules found: every (source, segment, code) that matches, in source and segment order.
pub struct Proposals {
    /// The codes that have rules, sorted; `found` refers to them by index.
    pub codes: Vec<CodePath>,
    /// (source index, segment index, code index).
    pub found: Vec<(u32, u32, u32)>,
}

/// Every (segment, code) the rules match.
pub fn propose(codebook: &Codebook, sources: &[Source], only: &[CodePath], progress: &dyn Progress) -> Proposals {
    let mut codes: Vec<CodePath> = Vec::new();
    let mut rules: BTreeMap<Language, (Vocabulary, Vec<(u32, Matcher)>)> = BTreeMap::new();
    for visit in codebook.walk() {
        if (!only.is_empty() && !only.iter().any(|o| visit.path.starts_with(o))) || !visit.code.codable {
            continue;
        }
        let compiled: Vec<(Language, rule::Rule)> =
            visit.code.rules.iter().filter_map(|(lang, text)| Some((lang.parse::<Language>().ok()?, rule::parse(text).ok()?))).collect();
        if compiled.is_empty() {
            continue;
        }
        let index = codes.len() as u32;
        codes.push(visit.path.clone());
        for (lang, rule) in compiled {
            let (vocabulary, matchers) = rules.entry(lang).or_insert_with(|| (Vocabulary::new(lang), Vec::new()));
            matchers.push((index, Matcher::new(&rule, vocabulary)));
        }
    }
    // Codes numbered in path order, so sorting by index sorts by path.
    let mut order: Vec<u32> = (0..codes.len() as u32).collect();
    order.sort_by(|a, b| codes[*a as usize].cmp(&codes[*b as usize]));
    let mut renumber = vec![0u32; codes.len()];
    for (new, old) in order.iter().enumerate() {
        renumber[*old as usize] = new as u32;
    }
    for (_, matchers) in rules.values_mut() {
        for (index, _) in matchers.iter_mut() {
            *index = renumber[*index as usize];
        }
        matchers.sort_by_key(|(index, _)| *index);
    }
    let codes = order.iter().map(|i| codes[*i as usize].clone()).collect();
    // Sources in parallel; each thread analyses a segment once and runs every rule of its language.
    progress.begin("autocoding", sources.len() as u64);
    let found = sources
        .par_iter()
        .enumerate()
        .map_init(Vec::<(Language, Analyser)>::new, |analysers, (si, source)| {
            progress.advance(1);
            let Some((vocabulary, matchers)) = rules.get(&source.language) else {
                return Vec::new();
            };
            let analyser = match analysers.iter().position(|(l, _)| *l == source.language) {
                Some(i) => &mut analysers[i].1,
                None => {
                    analysers.push((source.language, Analyser::new(vocabulary)));
                    &mut analysers.last_mut().expect("just pushed").1
                }
            };
            let mut text = Analysed::default();
            let mut found = Vec::new();
            for (gi, segment) in source.segments.iter().enumerate() {
                if source.speaker_of(segment).respondent().is_none() {
                    continue;
                }
                analyser.analyse(&segment.text, &mut text);
                for (code, m) in matchers {
                    if m.matches(&text) {
                        found.push((si as u32, gi as u32, *code));
                    }
                }
            }
            found
        })
        .flatten_iter()
        .collect();
    progress.end();
    Proposals { codes, found }
}

impl Proposals {
    /// The source and segment of one of `found`, in the `sources` the proposals were made from.
    pub fn segment<'s>(sources: &'s [Source], (si, gi, _): &(u32, u32, u32)) -> (&'s Source, &'s Segment) {
        let source = &sources[*si as usize];
        (source, &source.segments[*gi as usize])
    }

    /// Adds the proposals as suggestions of `coder` in one transaction, each whole segment once,
    /// leaving out those rejected in review and those another coder already coded; `coder` is
    /// recorded as a suggestion coder. Refuses a coder with codings of another kind. The caller
    /// holds the project's lock.
    pub fn record(&self, project: &Project, sources: &[Source], coder: &Coder) -> Result<Recorded> {
        let kinds = &project.manifest.coders;
        let mut tx = Transaction::new(project);
        if kinds.kind(coder) != CoderKind::Suggestion {
            if store::coders(project)?.contains(coder) {
                return Err(Error::Refused {
                    location: None,
                    message: format!(
                        "`{coder}` has codings and is not a suggestion coder (kind: {}): autocode writes suggestions under a suggestion coder (the default `auto`, or first `quire coders set {coder} suggestion`)",
                        kinds.kind(coder)
                    ),
                });
            }
            let mut manifest = project.manifest.clone();
            manifest.coders.set(coder.clone(), CoderKind::Suggestion);
            tx.write_manifest(&manifest);
        }
        let decided = suggestions::decided(project, coder)?;
        let created = now_rfc3339();
        let mut left_out = 0;
        let new: Vec<Row> = self
            .found
            .iter()
            .filter(|found| {
                let (source, segment) = Self::segment(sources, found);
                let key = (source.id.clone(), segment.start, segment.end, self.codes[found.2 as usize].clone());
                let keep = !decided.contains(&key);
                left_out += usize::from(!keep);
                keep
            })
            .map(|found| {
                let (source, segment) = Self::segment(sources, found);
                Row {
                    source: &source.id,
                    start: segment.start,
                    end: segment.end,
                    code: &self.codes[found.2 as usize],
                    coder,
                    created: &created,
                    text: &segment.text,
                    origin: None,
                }
            })
            .collect();
        let added = store::stage_merged(&mut tx, project, coder, new)?;
        tx.commit()?;
        Ok(Recorded { added, left_out })
    }
}

/// What [`Proposals::record`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// New suggestions (the others were already suggested).
    pub added: usize,
    /// Proposals left out: rejected in review, or already coded by another coder.
    pub left_out: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::rule;

    fn hit(language: Language, query: &str, text: &str) -> bool {
        let mut vocabulary = Vocabulary::new(language);
        let m = Matcher::new(&rule::parse(query).unwrap(), &mut vocabulary);
        let mut analysed = Analysed::default();
        Analyser::new(&vocabulary).analyse(text, &mut analysed);
        m.matches(&analysed)
    }

    #[test]
    fn stemming_matches_inflected_forms() {
        assert!(hit(Language::French, "logement", "Je n'avais plus de logements."));
        assert!(hit(Language::German, "Wohnung", "Die Wohnungen waren alle weg."));
        assert!(hit(Language::Portuguese, "casa", "Não tinha casas para onde ir."));
        assert!(hit(Language::Dutch, "woning", "Ik verloor mijn woningen."));
        assert!(!hit(Language::German, "Wohnung", "Ich hatte Arbeit."));
    }

    #[test]
    fn phrases_prefixes_and_exclusions() {
        assert!(hit(Language::French, "\"sans abri\"", "J'étais sans-abri."));
        assert!(!hit(Language::French, "\"sans abri\"", "abri sans rien"));
        assert!(hit(Language::Dutch, "daklozen*", "De daklozenopvang zat vol."));
        assert!(!hit(Language::English, "prison -release", "prison release day"));
        assert!(hit(Language::English, "prison -release", "prison day"));
        assert!(hit(Language::English, "housing AND (eviction OR evicted)", "Housing was lost after the eviction."));
        assert!(!hit(Language::English, "housing AND (eviction OR evicted)", "Housing was fine."));
    }

    #[test]
    fn a_word_seen_twice_is_classified_the_same() {
        let mut vocabulary = Vocabulary::new(Language::English);
        let m = Matcher::new(&rule::parse("\"waiting list\"").unwrap(), &mut vocabulary);
        let mut analyser = Analyser::new(&vocabulary);
        let mut analysed = Analysed::default();
        analyser.analyse("The waiting lists were long.", &mut analysed);
        assert!(m.matches(&analysed));
        analyser.analyse("Lists of people were waiting.", &mut analysed);
        assert!(!m.matches(&analysed), "the buffers are reset between segments");
        analyser.analyse("Waiting list again.", &mut analysed);
        assert!(m.matches(&analysed));
    }
}
