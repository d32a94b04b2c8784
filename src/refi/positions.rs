//! Position units: how a producer counts `startPosition`/`endPosition` ([`Units`]: code points,
//! UTF-16 code units, code points with CRLF counting 1), and [`TextMap`], which maps positions in
//! those units onto quire's canonical text (no BOM, LF line ends) and says how a selection lands
//! ([`Landed`], [`Miss`]). Choosing other units when many selections miss is `refi::landing`;
//! the positions an export writes are `refi::shape`.

use std::fmt;

/// How a producer counts `startPosition`/`endPosition` in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Units {
    /// Unicode code points (scalar values), CRLF counting 2: the QDA-XML standard; MAXQDA,
    /// QualCoder, qc, Taguette, quire.
    #[value(name = "code-points")]
    CodePoints,
    /// UTF-16 code units (a character outside the BMP counts 2), CRLF counting 2: NVivo.
    #[value(name = "utf16")]
    Utf16,
    /// Unicode code points with CRLF counting 1: ATLAS.ti.
    #[value(name = "code-points-crlf-as-one")]
    CodePointsCrlfAsOne,
}

impl Units {
    /// The convention of the program named by a project's `origin` attribute.
    pub fn detect(origin: Option<&str>) -> Units {
        let o = origin.unwrap_or("").to_ascii_lowercase();
        // quire's own exports name their unit when it is not the standard's (`shape::Shape::origin`).
        if o.contains("nvivo") || (o.starts_with("quire ") && o.contains("utf-16 positions")) {
            Units::Utf16
        } else if o.contains("atlas.ti") || o.contains("atlasti") || o.contains("atlas ti") {
            Units::CodePointsCrlfAsOne
        } else {
            Units::CodePoints
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Units::CodePoints => "Unicode code points (CRLF = 2)",
            Units::Utf16 => "UTF-16 code units (CRLF = 2)",
            Units::CodePointsCrlfAsOne => "Unicode code points (CRLF = 1)",
        }
    }
}

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Where a position falls in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// Between two characters.
    Exact,
    /// Between the CR and the LF of a CRLF (the text is the same either way once line ends are LF).
    InLineBreak,
    /// Inside one character (between the two UTF-16 units of a surrogate pair).
    InCharacter,
}

/// A producer's text (BOM removed, line ends as written) and its canonical form (LF line ends),
/// with every position in the producer's units mapped onto canonical character offsets.
#[derive(Debug, Clone)]
pub struct TextMap {
    pub canonical: String,
    canonical_chars: Vec<char>,
    /// For every position 0..=len in the producer's units: canonical offset, and how exact.
    positions: Vec<(usize, Boundary)>,
    /// The original text as a sequence of the producer's units, for the independent check.
    original: Original,
}

#[derive(Debug, Clone)]
enum Original {
    Utf16(Vec<u16>),
    Chars(Vec<char>),
}

/// A selection mapped onto the canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Why the selection does not land cleanly on text, if it does not.
    pub problem: Option<Miss>,
}

/// Ways a selection can miss the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Miss {
    /// Zero length: no text at all (not imported).
    Empty,
    /// A position falls inside a character (half of a UTF-16 surrogate pair).
    SplitsCharacter,
    /// The text differs before and after conversion (should not happen).
    TextChanged,
    /// Only white space is selected.
    Blank,
    /// A position falls inside a word: the usual sign of positions counted in other units.
    CutsWord,
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Miss::Empty => "empty selection",
            Miss::SplitsCharacter => "splits a character",
            Miss::TextChanged => "text changed in conversion",
            Miss::Blank => "only white space",
            Miss::CutsWord => "starts or ends inside a word",
        })
    }
}

/// Drops a leading BOM (U+FEFF), which no producer counts.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

pub use crate::text::normalise_line_ends;

impl TextMap {
    /// Maps `original` (BOM already removed) counted in `units`.
    pub fn new(original: &str, units: Units) -> TextMap {
        let mut positions = Vec::with_capacity(original.len() + 1);
        let mut canonical = String::with_capacity(original.len());
        let mut k = 0usize;
        let mut chars = original.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\r' {
                canonical.push('\n');
                if chars.peek() == Some(&'\n') {
                    chars.next();
                    positions.push((k, Boundary::Exact));
                    if units != Units::CodePointsCrlfAsOne {
                        positions.push((k, Boundary::InLineBreak));
                    }
                } else {
                    positions.push((k, Boundary::Exact));
                }
                k += 1;
                continue;
            }
            canonical.push(c);
            positions.push((k, Boundary::Exact));
            if units == Units::Utf16 && c.len_utf16() == 2 {
                positions.push((k, Boundary::InCharacter));
            }
            k += 1;
        }
        positions.push((k, Boundary::Exact));
        let canonical_chars = canonical.chars().collect();
        let original = match units {
            Units::Utf16 => Original::Utf16(original.encode_utf16().collect()),
            Units::CodePoints => Original::Chars(original.chars().collect()),
            // CRLF is one unit: keep it as the CR, which normalises to the same LF.
            Units::CodePointsCrlfAsOne => Original::Chars(original.replace("\r\n", "\r").chars().collect()),
        };
        TextMap { canonical, canonical_chars, positions, original }
    }

    /// Length of the text in the producer's units.
    pub fn len(&self) -> usize {
        self.positions.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Maps `[start, end)` in the producer's units; `None` if outside the text or reversed.
    pub fn land(&self, start: i64, end: i64) -> Option<Landed> {
        if start < 0 || end < start || end as u64 > self.len() as u64 {
            return None;
        }
        let (s, e) = (start as usize, end as usize);
        let (cs, sb) = self.positions[s];
        let (mut ce, eb) = self.positions[e];
        // A position inside a CRLF or a surrogate pair: the start stays before, the end moves after.
        if eb != Boundary::Exact {
            ce += 1;
        }
        let text: String = self.canonical_chars[cs..ce.max(cs)].iter().collect();
        let problem = if s == e {
            Some(Miss::Empty)
        } else if sb == Boundary::InCharacter || eb == Boundary::InCharacter {
            Some(Miss::SplitsCharacter)
        } else if self.original_slice(s, e).map(|o| normalise_line_ends(&o)) != Some(text.clone()) {
            Some(Miss::TextChanged)
        } else if text.trim().is_empty() {
            Some(Miss::Blank)
        } else if self.cuts_word(cs) || self.cuts_word(ce) {
            Some(Miss::CutsWord)
        } else {
            None
        };
        Some(Landed { start: cs, end: ce, text, problem })
    }

    /// The original text of `[s, e)` counted directly in the producer's units (independently of
    /// the position table, as a check on it).
    fn original_slice(&self, s: usize, e: usize) -> Option<String> {
        match &self.original {
            Original::Utf16(units) => String::from_utf16(units.get(s..e)?).ok(),
            Original::Chars(chars) => Some(chars.get(s..e)?.iter().collect()),
        }
    }

    fn cuts_word(&self, at: usize) -> bool {
        at > 0 && at < self.canonical_chars.len() && self.canonical_chars[at - 1].is_alphanumeric() && self.canonical_chars[at].is_alphanumeric()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_with_emoji_accents_and_crlf_land_on_the_same_text() {
        let original = "Olá 😀 são\r\nJoão disse: «não»";
        let map = TextMap::new(original, Units::Utf16);
        assert_eq!(map.canonical, "Olá 😀 são\nJoão disse: «não»");
        // "são" in UTF-16 units: O l á ␠ 😀(2) ␠ → 7.
        let s = map.land(7, 10).unwrap();
        assert_eq!((s.text.as_str(), s.start, s.end, s.problem), ("são", 6, 9, None));
        // "João": after CRLF (2 units) → 12.
        let j = map.land(12, 16).unwrap();
        assert_eq!((j.text.as_str(), j.problem), ("João", None));
        // Inside the emoji.
        assert_eq!(map.land(5, 10).unwrap().problem, Some(Miss::SplitsCharacter));
        // Code points read naively would cut words.
        let naive = TextMap::new(original, Units::CodePoints);
        assert_eq!(naive.land(12, 16).unwrap().text, "oão ");
        assert_eq!(naive.land(12, 16).unwrap().problem, Some(Miss::CutsWord));
        assert!(map.land(0, 99).is_none());
        assert!(map.land(5, 4).is_none());
    }

    #[test]
    fn atlas_counts_crlf_as_one_and_a_position_inside_crlf_keeps_the_line_break() {
        let map = TextMap::new("ab\r\ncd", Units::CodePointsCrlfAsOne);
        assert_eq!(map.len(), 5);
        assert_eq!(map.land(3, 5).unwrap().text, "cd");
        let cp = TextMap::new("ab\r\ncd", Units::CodePoints);
        assert_eq!(cp.land(0, 3).unwrap().text, "ab\n");
        assert_eq!(cp.land(4, 6).unwrap().text, "cd");
    }

    #[test]
    fn units_are_detected_from_the_origin() {
        assert_eq!(Units::detect(Some("NVivo for Windows 12.6")), Units::Utf16);
        assert_eq!(Units::detect(Some("NVivo for Mac 15.0.0")), Units::Utf16);
        assert_eq!(Units::detect(Some("ATLAS.ti Win 23.4.0")), Units::CodePointsCrlfAsOne);
        assert_eq!(Units::detect(Some("MAXQDA 24 (Release 24.7.0)")), Units::CodePoints);
        assert_eq!(Units::detect(None), Units::CodePoints);
    }
}
