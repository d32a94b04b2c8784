//! The layout of the index: its fields and tokenizers, the facets codes are stored as, and its
//! metadata file (format, fingerprint, the (coder, code) pairs it numbers).

use serde::{Deserialize, Serialize};
use tantivy::schema::{Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STRING};
use tantivy::Index;

use crate::codebook::CodePath;
use crate::coding::autocode::{analyzer, analyzer_name};
use crate::coding::Coder;
use crate::corpus::Language;

/// Version of the index layout; a different version is rebuilt.
pub const INDEX_FORMAT: u32 = 7;
/// The index folder, in the state directory.
pub(super) const DIR: &str = "index";
pub(super) const META: &str = "quire-index.json";
/// What an incremental update compares with the project: [`Ledger`], beside the metadata.
pub(super) const LEDGER: &str = "quire-ledger.json";

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub(super) struct Meta {
    pub(super) format: u32,
    pub(super) fingerprint: String,
    /// Attribute keys of the respondents, for checking `--where` without reading every source.
    #[serde(default)]
    pub(super) attributes: Vec<String>,
    /// [`Lists::key`] of the allow- and deny-lists the `flagged` field was computed with.
    #[serde(default)]
    pub(super) lists: String,
    /// The coders of the codings, sorted (numbered as the spans number them).
    #[serde(default)]
    pub(super) coders: Vec<String>,
    /// The codes of the codings, sorted (numbered as the spans number them).
    #[serde(default)]
    pub(super) code_paths: Vec<String>,
    /// Every (coder, code) pair of the codings, as positions in `coders` and `code_paths`: a
    /// document stores the positions in this list of the pairs on its segment.
    #[serde(default)]
    pub(super) pairs: Vec<(u32, u32)>,
    /// How many codings each of `pairs` has (for the warning about codes not in the codebook);
    /// an update may leave a pair with none (it then counts as absent).
    #[serde(default)]
    pub(super) counts: Vec<u64>,
    /// Counts the index's writes: the tantivy commit carries it as its payload, so metadata
    /// older (or newer) than the commit is seen, and the index rebuilt.
    #[serde(default)]
    pub(super) generation: u64,
    /// By a document's source number (field `src`), the source's place in quote order
    /// (country, then id); `u32::MAX` for a number no longer used.
    #[serde(default)]
    pub(super) ranks: Vec<u32>,
    /// The quote files in use, by number: 0 is `quotes.bin`, N is `quotes-N.bin` (written by the
    /// update of generation N). A quote's number is its file's number times 2^32 plus its place.
    #[serde(default)]
    pub(super) quote_files: Vec<u32>,
}

/// Per-file state an incremental update compares with the project (read only when the index
/// is stale): each source and coding file's own fingerprint, each coder's codings per source
/// as a hash, and each source's number, country, attribute keys and quote count.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Ledger {
    /// Equal to [`Meta::generation`] when both belong to the same write.
    pub(super) generation: u64,
    /// `sources/NAME` or `codings/NAME` → its size and time.
    pub(super) files: std::collections::BTreeMap<String, String>,
    /// Coder → source → hash of that coder's codings (spans and codes) on that source.
    pub(super) rows: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
    pub(super) sources: std::collections::BTreeMap<String, LedgerSource>,
    /// The next unused source number.
    pub(super) next_number: u32,
    /// How many records `quotes.bin` holds, live or not (dead ones are dropped by a rebuild).
    pub(super) records: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct LedgerSource {
    pub(super) number: u32,
    /// The quote file that holds its quotes (0: `quotes.bin`). Required: a ledger without it
    /// cannot say which update files are still in use, and is rebuilt.
    pub(super) file: u32,
    pub(super) country: String,
    pub(super) keys: Vec<String>,
    pub(super) quotes: u64,
}

pub(super) struct Fields {
    /// The source id, for deleting a source's documents.
    pub(super) source: Field,
    /// The source's number (see [`Meta::ranks`]).
    pub(super) src: Field,
    /// A respondent segment's number in `quotes.bin` (quote order); interviewers have none.
    pub(super) quote: Field,
    pub(super) flagged: Field,
    pub(super) kind: Field,
    pub(super) raw: Field,
    pub(super) attr: Field,
    pub(super) code: Field,
    pub(super) coder_code: Field,
    pub(super) by_language: Vec<(Language, Field)>,
}

pub(super) fn schema() -> (Schema, Fields) {
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
        source: b.add_text_field("source", STRING),
        src: b.add_u64_field("src", tantivy::schema::FAST),
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

pub(super) fn register_tokenizers(index: &Index) {
    for lang in Language::ALL {
        index.tokenizers().register(&analyzer_name(*lang), analyzer(*lang));
    }
    let raw =
        tantivy::tokenizer::TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default()).filter(tantivy::tokenizer::LowerCaser).build();
    index.tokenizers().register("quire_raw", raw);
}

/// The facet of a code (field `code`), or of a coder's code, the coder above the code's ids
/// (field `coder_code`): what documents carry and queries ask for.
pub(super) fn code_facet(coder: Option<&Coder>, code: &CodePath) -> Facet {
    Facet::from_path(coder.map(Coder::as_str).into_iter().chain(code.ids().iter().map(String::as_str)))
}

impl Meta {
    /// What each of [`Meta::pairs`] stands for (each coder and code parsed once), if every
    /// position is in range and every name valid.
    pub(super) fn codes(&self) -> Option<Vec<super::CoderCode>> {
        let coders = self.coders.iter().map(|c| c.parse::<Coder>().ok()).collect::<Option<Vec<_>>>()?;
        let codes = self.code_paths.iter().map(|c| CodePath::parse(c).ok()).collect::<Option<Vec<_>>>()?;
        self.pairs
            .iter()
            .map(|(coder, code)| Some(super::CoderCode::new((coders.get(*coder as usize)?.clone(), codes.get(*code as usize)?.clone()))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: Vec<(u32, u32)>) -> Meta {
        Meta { coders: vec!["ana".into(), "ben".into()], code_paths: vec!["a".into(), "a/b".into()], pairs, ..Meta::default() }
    }

    #[test]
    fn pairs_name_their_coder_and_code_by_position_and_one_out_of_range_is_refused() {
        let named = |m: &Meta| m.codes().map(|cs| cs.iter().map(|c| format!("{} {}", c.0, c.1)).collect::<Vec<_>>());
        assert_eq!(named(&meta(vec![(0, 1), (1, 0)])), Some(vec!["ana a/b".to_string(), "ben a".to_string()]));
        assert_eq!(named(&meta(vec![(2, 0)])), None, "no third coder");
        assert_eq!(named(&meta(vec![(0, 2)])), None, "no third code");
        let mut bad = meta(vec![(0, 0)]);
        bad.code_paths[0] = "a//b".into();
        assert_eq!(named(&bad), None, "not a code path");
    }
}
