//! The corpus model: sources, speakers (cases), segments, and the typed values they carry.

pub mod cases;
pub mod filter;
pub mod header;
pub mod labels;
mod quoting;
pub mod transcript;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Id of a source, e.g. `PT-PR-03`. Letters, digits, `-`, `_`, `.`; no `:` or `@`,
/// which address segments and spans.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

impl SourceId {
    pub fn parse(s: &str) -> Result<SourceId, String> {
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(SourceId(s.to_string()))
        } else {
            Err(format!("invalid source id `{s}` (use letters, digits, `-`, `_` and `.`, starting with a letter or digit)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SourceId {
    type Err = String;
    fn from_str(s: &str) -> Result<SourceId, String> {
        SourceId::parse(s)
    }
}

impl TryFrom<String> for SourceId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SourceId::parse(&s)
    }
}

impl From<SourceId> for String {
    fn from(id: SourceId) -> String {
        id.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Id of a segment: `SOURCE:N`, N counting the source's paragraphs from 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId {
    pub source: SourceId,
    pub number: usize,
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.number)
    }
}

impl FromStr for SegmentId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (source, n) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not a segment id (expected SOURCE:N)"))?;
        let number: usize = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("`{s}`: segment number must be a positive integer"))?;
        Ok(SegmentId { source: SourceId::parse(source)?, number })
    }
}

/// Label of a speaker inside one source (`I`, `R`, `P3`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SpeakerLabel(String);

impl SpeakerLabel {
    /// A label: a letter, then up to 15 letters, digits, `_` or `-`.
    pub fn parse(s: &str) -> Option<SpeakerLabel> {
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        (first_ok && rest_ok && s.len() <= 16).then(|| SpeakerLabel(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpeakerLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} `{}` (expected one of: {})",
                        $what,
                        s,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// The study's respondent roles.
    Role, "role", {
        Prisoner => "PR",
        FormerPrisoner => "EPR",
        ProfessionalInside => "PI",
        ProfessionalOutside => "PE",
    }
);

impl Role {
    /// Professionals' quotes carry no gender in the citation.
    pub fn is_professional(self) -> bool {
        matches!(self, Role::ProfessionalInside | Role::ProfessionalOutside)
    }
}

string_enum!(Gender, "gender", { Male => "M", Female => "F" });

string_enum!(
    /// Interview languages with a stemmer.
    Language, "language", {
        English => "en",
        Dutch => "nl",
        French => "fr",
        German => "de",
        Portuguese => "pt",
    }
);

string_enum!(Method, "method", { Interview => "interview", FocusGroup => "focus-group" });

/// A country code: two upper-case letters (`BE`, `FR`, `DE`, `PT`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Country(String);

impl FromStr for Country {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Country(s.to_string()))
        } else {
            Err(format!("invalid country `{s}` (expected a two-letter code such as BE, FR, DE, PT)"))
        }
    }
}

impl Country {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a speaker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeakerKind {
    /// Interviewer or moderator: never quoted.
    Interviewer,
    Respondent(Respondent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    pub role: Role,
    pub gender: Option<Gender>,
    pub country: Country,
    /// The case (person) this speaker is; `SOURCE/LABEL` unless a `case=` attribute names it.
    pub case: String,
}

impl Respondent {
    /// The study's citation: `(PR, M, PT)`, `(PI, DE)`.
    pub fn citation(&self) -> String {
        match (self.role.is_professional(), self.gender) {
            (false, Some(g)) => format!("({}, {}, {})", self.role, g, self.country),
            _ => format!("({}, {})", self.role, self.country),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    pub label: SpeakerLabel,
    pub kind: SpeakerKind,
    /// The speaker's own `key=value` attributes as written (role and gender included).
    pub attributes: BTreeMap<String, String>,
}

impl Speaker {
    pub fn respondent(&self) -> Option<&Respondent> {
        match &self.kind {
            SpeakerKind::Respondent(r) => Some(r),
            SpeakerKind::Interviewer => None,
        }
    }
}

/// One paragraph of one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: SegmentId,
    /// Index into `Source::speakers`.
    pub speaker: usize,
    /// Half-open range of Unicode scalar values in the source body.
    pub start: usize,
    pub end: usize,
    /// 1-based line in the canonical file where the paragraph starts.
    pub line: usize,
    pub text: String,
}

/// An ingested transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: SourceId,
    pub country: Country,
    pub language: Language,
    pub method: Method,
    /// `body: plain`: the body has no speaker labels (text imported from another program); the one
    /// declared speaker speaks all of it and every non-empty line is a segment.
    pub plain: bool,
    /// Further source-level attributes in header order (`setting`, `prison`, ...).
    pub attributes: Vec<(String, String)>,
    pub speakers: Vec<Speaker>,
    /// The transcript body after the header, normalised (no BOM, LF line ends).
    pub body: String,
    pub segments: Vec<Segment>,
}

impl Source {
    pub fn speaker_of(&self, segment: &Segment) -> &Speaker {
        &self.speakers[segment.speaker]
    }

    /// Segments spoken by respondents (the quotable ones).
    pub fn respondent_segments(&self) -> impl Iterator<Item = (&Segment, &Respondent)> {
        self.segments.iter().filter_map(|s| self.speakers[s.speaker].respondent().map(|r| (s, r)))
    }

    /// Does `[start, end)` overlap the text of a respondent segment? A coding that does not
    /// counts nowhere (never quoted, never in a table).
    pub fn on_respondent_text(&self, start: usize, end: usize) -> bool {
        self.respondent_segments().any(|(s, _)| s.start < end && start < s.end)
    }

    pub fn respondents(&self) -> impl Iterator<Item = (&Speaker, &Respondent)> {
        self.speakers.iter().filter_map(|s| s.respondent().map(|r| (s, r)))
    }

    /// All attributes of a speaker: the source's, overridden by the speaker's own.
    pub fn speaker_attributes(&self, speaker: &Speaker) -> BTreeMap<String, String> {
        let mut all: BTreeMap<String, String> = BTreeMap::new();
        all.insert("source".into(), self.id.to_string());
        all.insert("country".into(), self.country.to_string());
        all.insert("language".into(), self.language.to_string());
        all.insert("method".into(), self.method.to_string());
        for (k, v) in &self.attributes {
            all.insert(k.clone(), v.clone());
        }
        all.insert("speaker".into(), speaker.label.to_string());
        for (k, v) in &speaker.attributes {
            all.insert(k.clone(), v.clone());
        }
        if let Some(r) = speaker.respondent() {
            all.insert("case".into(), r.case.clone());
        }
        all
    }

    pub fn word_count(&self) -> usize {
        self.segments.iter().map(|s| s.text.split_whitespace().count()).sum()
    }
}
