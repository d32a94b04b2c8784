//! Quotes for output: picking a few per theme, spread over countries, and writing quotes as
//! text, Markdown, CSV or JSON (`quotes`, `export quotes`, `demo`, `report`).

use std::io::Write;

use crate::error::Result;
use crate::index::Hit;
use crate::output::{one_line, out_err, write_csv, write_json, Format};

/// How to pick a few quotes from a theme's hits: the first quote of each country in turn, then
/// the second of each, and so on, until `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Spread<'a> {
    /// At most this many quotes.
    pub limit: usize,
    /// The countries, in order (`None`: those of the hits, in the order they first appear).
    pub countries: Option<&'a [&'a str]>,
    /// Only quotes shorter than this many characters.
    pub shorter_than: Option<usize>,
    /// At most this many quotes of one country (`None`: as many as it takes to reach `limit`).
    pub per_country: Option<usize>,
}

impl Spread<'_> {
    /// Picks from `hits` (ordered by country, as the index returns them).
    pub fn pick(&self, hits: &[Hit]) -> Vec<Hit> {
        let fits = |h: &&Hit| self.shorter_than.is_none_or(|n| h.text.chars().count() < n);
        let candidates: Vec<&Hit> = hits.iter().filter(fits).collect();
        let countries: Vec<&str> = match self.countries {
            Some(list) => list.to_vec(),
            None => {
                let mut seen: Vec<&str> = candidates.iter().map(|h| h.country.as_str()).collect();
                seen.dedup();
                seen
            }
        };
        let rounds = self.per_country.map_or(candidates.len(), |n| n.min(candidates.len()));
        let mut picked = Vec::new();
        let mut round = 0;
        while picked.len() < self.limit && round < rounds {
            for c in &countries {
                if let Some(h) = candidates.iter().filter(|h| h.country == *c).nth(round) {
                    if picked.len() < self.limit {
                        picked.push((*h).clone());
                    }
                }
            }
            round += 1;
        }
        picked
    }
}

/// The codes on a quote, each once, sorted, joined with `; `.
pub fn codes_of(hit: &Hit) -> String {
    joined(hit.code_paths(), "; ")
}

/// The coders of the codes on a quote, each once, sorted, joined with `, `.
pub fn coders_of(hit: &Hit) -> String {
    joined(hit.coders(), ", ")
}

fn joined<T: std::fmt::Display>(items: Vec<T>, separator: &str) -> String {
    let mut joined = String::new();
    for (i, item) in items.into_iter().enumerate() {
        use std::fmt::Write as _;
        let _ = write!(joined, "{}{item}", if i > 0 { separator } else { "" });
    }
    joined
}

/// ` · by CODERS` after a quote's codes, or nothing when no counted coder coded it.
fn by(hit: &Hit) -> String {
    match coders_of(hit) {
        c if c.is_empty() => String::new(),
        c => format!(" · by {c}"),
    }
}

/// Writes quotes in a format (shared with `export quotes`).
pub fn write_hits(hits: &[Hit], format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json => write_json(out, hits),
        Format::Text => {
            for h in hits {
                writeln!(out, "\"{}\" {}\n    {} · {}{}\n", one_line(&h.text), h.citation, h.segment, codes_of(h), by(h)).map_err(out_err)?;
            }
            Ok(())
        }
        Format::Md => {
            for h in hits {
                writeln!(out, "> \"{}\" {}\n>\n> — `{}` · {}{}\n", one_line(&h.text), h.citation, h.segment, codes_of(h), by(h)).map_err(out_err)?;
            }
            Ok(())
        }
        Format::Csv => {
            use std::borrow::Cow;
            let rows = hits.iter().map(|h| {
                let fields = [&h.segment, &h.citation, &h.country, &h.speaker, &h.text].map(|s| Cow::Borrowed(s.as_bytes()));
                fields.into_iter().chain([Cow::Owned(codes_of(h).into_bytes()), Cow::Owned(coders_of(h).into_bytes())])
            });
            write_csv(out, &["segment", "citation", "country", "speaker", "text", "codes", "coders"], rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(segment: &str, country: &str, chars: usize) -> Hit {
        Hit {
            segment: segment.into(),
            source: String::new(),
            number: 0,
            speaker: String::new(),
            citation: String::new(),
            country: country.into(),
            text: "x".repeat(chars),
            codes: Vec::new(),
        }
    }

    fn segments(picked: &[Hit]) -> Vec<&str> {
        picked.iter().map(|h| h.segment.as_str()).collect()
    }

    #[test]
    fn countries_in_turn_until_the_limit() {
        let hits = [hit("b1", "BE", 10), hit("b2", "BE", 10), hit("b3", "BE", 10), hit("f1", "FR", 10)];
        let spread = Spread { limit: 3, countries: None, shorter_than: None, per_country: None };
        assert_eq!(segments(&spread.pick(&hits)), ["b1", "f1", "b2"]);
    }

    #[test]
    fn short_quotes_once_per_listed_country() {
        let hits = [hit("b1", "BE", 500), hit("b2", "BE", 10), hit("d1", "DE", 10), hit("f1", "FR", 10), hit("p1", "PT", 10)];
        let countries = ["BE", "FR", "DE", "PT"];
        let spread = Spread { limit: 3, countries: Some(&countries), shorter_than: Some(400), per_country: Some(1) };
        assert_eq!(segments(&spread.pick(&hits)), ["b2", "f1", "d1"]);
    }
}
