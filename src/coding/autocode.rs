//! Autocoding: each code's rule for a segment's language, matched on stemmed words.

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream};

use crate::codebook::rule::Rule;
use crate::corpus::Language;

/// A word of a text: as written (lower-cased) and stemmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub lower: String,
    pub stem: String,
}

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

/// A tokenizer name for the index's per-language field.
pub fn analyzer_name(language: Language) -> String {
    format!("quire_{}", language.as_str())
}

/// The words of `text`, each lower-cased and stemmed.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut stems = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        stems.push((token.offset_from, token.offset_to, token.text.clone()));
    }
    stems
        .into_iter()
        .map(|(from, to, stem)| Word { lower: text[from..to].to_lowercase(), stem })
        .collect()
}

/// The stem of a rule word (the word itself if the analyzer keeps nothing of it).
pub fn stem(analyzer: &mut TextAnalyzer, word: &str) -> String {
    words(analyzer, word).into_iter().next().map(|w| w.stem).unwrap_or_else(|| word.to_string())
}

/// A rule with its words stemmed in one language, ready to match many segments.
#[derive(Debug, Clone)]
pub enum Matcher {
    Stem(String),
    Prefix(String),
    Phrase(Vec<String>),
    All(Vec<Matcher>),
    Any(Vec<Matcher>),
    Not(Box<Matcher>),
}

impl Matcher {
    pub fn new(rule: &Rule, analyzer: &mut TextAnalyzer) -> Matcher {
        match rule {
            Rule::Term { word, prefix: true } => Matcher::Prefix(word.clone()),
            Rule::Term { word, prefix: false } => Matcher::Stem(stem(analyzer, word)),
            Rule::Phrase(ws) => Matcher::Phrase(ws.iter().map(|w| stem(analyzer, w)).collect()),
            Rule::All(parts) => Matcher::All(parts.iter().map(|p| Matcher::new(p, analyzer)).collect()),
            Rule::Any(parts) => Matcher::Any(parts.iter().map(|p| Matcher::new(p, analyzer)).collect()),
            Rule::Not(inner) => Matcher::Not(Box::new(Matcher::new(inner, analyzer))),
        }
    }

    /// Does `text` match? In `All` and `Any`, a `Not` part excludes.
    pub fn matches(&self, text: &Analysed) -> bool {
        match self {
            Matcher::Stem(s) => text.stems.contains(s.as_str()),
            Matcher::Prefix(p) => text.words.iter().any(|w| w.lower.starts_with(p.as_str())),
            Matcher::Phrase(stems) => {
                !stems.is_empty()
                    && stems.iter().all(|s| text.stems.contains(s.as_str()))
                    && text.words.windows(stems.len()).any(|win| win.iter().zip(stems).all(|(w, s)| &w.stem == s))
            }
            Matcher::Not(inner) => !inner.matches(text),
            Matcher::All(parts) => parts.iter().all(|p| p.matches(text)),
            Matcher::Any(parts) => {
                let (negative, positive): (Vec<&Matcher>, Vec<&Matcher>) =
                    parts.iter().partition(|p| matches!(p, Matcher::Not(_)));
                positive.iter().any(|p| p.matches(text)) && negative.iter().all(|n| n.matches(text))
            }
        }
    }
}

/// A text's words, and the set of their stems for fast look-up.
pub struct Analysed {
    pub words: Vec<Word>,
    pub stems: std::collections::HashSet<String>,
}

impl Analysed {
    pub fn new(analyzer: &mut TextAnalyzer, text: &str) -> Analysed {
        let words = words(analyzer, text);
        let stems = words.iter().map(|w| w.stem.clone()).collect();
        Analysed { words, stems }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::rule;

    fn hit(language: Language, query: &str, text: &str) -> bool {
        let mut a = analyzer(language);
        let m = Matcher::new(&rule::parse(query).unwrap(), &mut a);
        m.matches(&Analysed::new(&mut a, text))
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
    }
}
