//! REFI-QDA interchange: `.qdpx` projects and `.qdc` codebooks (QDA-XML 1.0), read and written.
//!
//! The model here mirrors the parts of QDA-XML quire uses: users, the code tree, variables, cases,
//! text sources with their selections and codings. [`qde`] reads and writes the project XML,
//! [`codebook`] the codebook XML, [`archive`] the zip container; [`import`] turns a project into
//! quire's sources, codebook and codings, and [`export`] does the reverse.
//!
//! Positions. QDA-XML says `startPosition`/`endPosition` count Unicode code points from 0. Not
//! every program does: NVivo counts UTF-16 code units (an emoji is 2), with a leading BOM not
//! counted and CRLF as 2; ATLAS.ti counts CRLF as 1. [`Units`] names the conventions and
//! [`TextMap`] maps positions in each onto quire's canonical text (no BOM, LF line ends). quire
//! writes code points of that canonical text, or what [`shape`] asks for (UTF-16 units for NVivo).

pub mod archive;
pub mod cases;
pub mod codebook;
pub mod export;
pub mod import;
pub mod landing;
pub mod qde;
pub mod shape;
pub mod xml;

use std::fmt;

/// The REFI project namespace quire writes (readers accept the variants programs write).
pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";
pub const CODEBOOK_NS: &str = "urn:QDA-XML:codebook:1.0";

/// `origin` attribute quire writes.
pub fn origin() -> String {
    format!("quire {}", env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Project {
    pub name: String,
    pub origin: Option<String>,
    pub users: Vec<User>,
    pub codes: Vec<Code>,
    pub variables: Vec<Variable>,
    pub cases: Vec<Case>,
    pub sources: Vec<TextSource>,
    pub description: Option<String>,
    /// Parts of the file quire does not use, by element name, with how many there were.
    pub ignored: Vec<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub guid: String,
    pub name: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub guid: String,
    pub name: String,
    pub codable: bool,
    pub color: Option<String>,
    pub description: Option<String>,
    pub children: Vec<Code>,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableType {
    Text,
    Boolean,
    Integer,
    Float,
    Date,
    DateTime,
}

impl VariableType {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::Text => "Text",
            VariableType::Boolean => "Boolean",
            VariableType::Integer => "Integer",
            VariableType::Float => "Float",
            VariableType::Date => "Date",
            VariableType::DateTime => "DateTime",
        }
    }

    pub fn parse(s: &str) -> Option<VariableType> {
        Some(match s {
            "Text" => VariableType::Text,
            "Boolean" => VariableType::Boolean,
            "Integer" => VariableType::Integer,
            "Float" => VariableType::Float,
            "Date" => VariableType::Date,
            "DateTime" => VariableType::DateTime,
            _ => return None,
        })
    }

    /// The element holding a value of this type.
    pub fn value_element(self) -> &'static str {
        match self {
            VariableType::Text => "TextValue",
            VariableType::Boolean => "BooleanValue",
            VariableType::Integer => "IntegerValue",
            VariableType::Float => "FloatValue",
            VariableType::Date => "DateValue",
            VariableType::DateTime => "DateTimeValue",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub guid: String,
    pub name: String,
    pub kind: VariableType,
    pub description: Option<String>,
}

/// A variable's value: the variable's guid and the value as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub variable: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub guid: String,
    pub name: Option<String>,
    pub values: Vec<Value>,
    /// Guids of the sources the case is linked to.
    pub sources: Vec<String>,
}

/// Where a text source's plain text is.
#[derive(Debug, Clone, PartialEq)]
pub enum PlainText {
    /// `plainTextPath`, e.g. `internal://NAME.txt`.
    Path(String),
    /// `PlainTextContent`.
    Inline(String),
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextSource {
    pub guid: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub text: PlainText,
    pub selections: Vec<Selection>,
    pub values: Vec<Value>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub guid: String,
    pub start: i64,
    pub end: i64,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub codings: Vec<Coding>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Coding {
    pub guid: String,
    /// Guid of the code (`CodeRef targetGUID`).
    pub code: String,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub line: usize,
}

/// A guid as a comparison key: no braces, lower case.
pub fn guid_key(guid: &str) -> String {
    guid.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
}

/// A stable guid for `kind` and `key` (a UUID v5 in quire's namespace), so exports are reproducible.
pub fn stable_guid(kind: &str, key: &str) -> String {
    StableGuid::new(kind).part(key).finish()
}

/// Characters in a hyphenated guid.
pub const GUID_LEN: usize = uuid::fmt::Hyphenated::LENGTH;

/// A stable guid whose key is written in parts (the UUID v5 of `kind:` and the parts joined),
/// without building the key first. SHA-1 as UUID v5 defines it, from the `sha1` crate, which
/// uses the processor's SHA instructions where it has them: an export hashes one key per coding.
/// A clone carries on from the parts written so far (keys that share a beginning hash it once).
#[derive(Clone)]
pub struct StableGuid(sha1::Sha1);

impl StableGuid {
    pub fn new(kind: &str) -> StableGuid {
        use sha1::Digest;
        static NAMESPACE: std::sync::LazyLock<uuid::Uuid> =
            std::sync::LazyLock::new(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:quire:refi-qda"));
        let mut hash = sha1::Sha1::new();
        hash.update(NAMESPACE.as_bytes());
        hash.update(kind.as_bytes());
        hash.update(b":");
        StableGuid(hash)
    }

    pub fn part(mut self, part: &str) -> StableGuid {
        let _ = fmt::Write::write_str(&mut self, part);
        self
    }

    pub fn finish(self) -> String {
        self.finish_in(&mut [0; GUID_LEN]).to_string()
    }

    /// The guid, written into `buffer` (no allocation).
    pub fn finish_in(self, buffer: &mut [u8; GUID_LEN]) -> &str {
        let digest = sha1::Digest::finalize(self.0);
        let bytes: [u8; 16] = digest[..16].try_into().expect("SHA-1 has 20 bytes");
        uuid::Builder::from_sha1_bytes(bytes).into_uuid().hyphenated().encode_lower(buffer)
    }
}

/// Text written to a guid is hashed as it comes (`write!` of a `Display` value, no copy).
impl fmt::Write for StableGuid {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        sha1::Digest::update(&mut self.0, s.as_bytes());
        Ok(())
    }
}

/// Is `s` an `xsd:dateTime` (`2024-01-02T03:04:05`, optional fraction and zone)?
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 19
        || !(digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19))
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" => true,
        zone => {
            let z = zone.as_bytes();
            z.len() == 6
                && matches!(z[0], b'+' | b'-')
                && z[1..3].iter().all(u8::is_ascii_digit)
                && z[3] == b':'
                && z[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

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

/// CRLF and lone CR become LF.
pub fn normalise_line_ends(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

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
    fn units_are_detected_from_the_origin_and_guids_are_stable() {
        assert_eq!(Units::detect(Some("NVivo for Windows 12.6")), Units::Utf16);
        assert_eq!(Units::detect(Some("NVivo for Mac 15.0.0")), Units::Utf16);
        assert_eq!(Units::detect(Some("ATLAS.ti Win 23.4.0")), Units::CodePointsCrlfAsOne);
        assert_eq!(Units::detect(Some("MAXQDA 24 (Release 24.7.0)")), Units::CodePoints);
        assert_eq!(Units::detect(None), Units::CodePoints);
        assert_eq!(stable_guid("code", "a/b"), stable_guid("code", "a/b"));
        // The same UUID v5 as the uuid crate makes, so guids exported before stay the same.
        let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:quire:refi-qda");
        for (kind, key) in [("code", "a/b"), ("coding", "BE-PR-01@3..40:challenges/housing:anna"), ("user", "")] {
            assert_eq!(stable_guid(kind, key), uuid::Uuid::new_v5(&namespace, format!("{kind}:{key}").as_bytes()).to_string());
        }
        assert_eq!(StableGuid::new("coding").part("s@1..2").part(":").part("a/b").finish(), stable_guid("coding", "s@1..2:a/b"));
        // A clone goes on from the parts hashed so far; a guid written into a buffer is the same.
        let keyed = StableGuid::new("coding").part("s@1..2:");
        let mut buffer = [0; GUID_LEN];
        assert_eq!(keyed.clone().part("a/b/c").finish_in(&mut buffer), stable_guid("coding", "s@1..2:a/b/c"));
        assert_eq!(keyed.part("x").finish(), stable_guid("coding", "s@1..2:x"));
        assert_ne!(stable_guid("code", "a/b"), stable_guid("code", "a/c"));
        assert!(is_datetime("2026-11-23T12:39:36Z") && is_datetime("2024-01-02T03:04:05.123+02:00"));
        assert!(!is_datetime("2026-11-23") && !is_datetime(""));
    }
}
