//! Codings: coded character spans of sources, one CSV per coder, and the targets that address them.

pub mod anchor;
pub mod apply;
pub mod autocode;
pub mod coder;
pub mod kinds;
pub mod layout;
pub mod orphans;
mod plain_csv;
pub mod records;
pub mod sheet;
pub mod similar;
pub mod spans;
pub mod store;
pub mod suggestions;
pub mod unknown;

pub use coder::Coder;

use std::str::FromStr;

use crate::codebook::CodePath;
use crate::corpus::{SegmentId, Source, SourceId};
use crate::error::{Error, Result};

/// One coded span: `[start, end)` in Unicode characters of the source body, with its exact text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coding {
    pub source: SourceId,
    pub start: usize,
    pub end: usize,
    pub code: CodePath,
    pub coder: Coder,
    /// RFC 3339 UTC time the coding was made.
    pub created: String,
    pub text: String,
    /// The project a merged coding came from (`origin` column, merged projects only).
    pub origin: Option<String>,
}

impl Coding {
    /// Identity of a coding regardless of when it was made: the same span and code by the same
    /// coder is one coding (two coders' codings of it are two).
    pub fn key(&self) -> (&SourceId, usize, usize, &CodePath, &Coder) {
        (&self.source, self.start, self.end, &self.code, &self.coder)
    }

    /// Does this coding overlap the half-open span `[start, end)`?
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.start < end && start < self.end
    }
}

/// What `quire code` addresses: a segment, a range of segments, or a character span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Segment(SegmentId),
    Segments { source: SourceId, first: usize, last: usize },
    Span { source: SourceId, start: usize, end: usize },
}

impl FromStr for Target {
    type Err = String;
    /// `PT-PR-03:14`, `PT-PR-03:14-16`, `PT-PR-03@120..388`.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some((source, span)) = s.split_once('@') {
            let (a, b) = span.split_once("..").ok_or_else(|| format!("`{s}`: a span is SOURCE@START..END"))?;
            let parse = |v: &str| v.parse::<usize>().map_err(|_| format!("`{s}`: `{v}` is not a character offset"));
            return Ok(Target::Span { source: SourceId::parse(source)?, start: parse(a)?, end: parse(b)? });
        }
        let (source, n) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not a target (SOURCE:N, SOURCE:N-M or SOURCE@START..END)"))?;
        if let Some((a, b)) = n.split_once('-') {
            let parse = |v: &str| v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| format!("`{s}`: `{v}` is not a segment number"));
            let (first, last) = (parse(a)?, parse(b)?);
            if first > last {
                return Err(format!("`{s}`: the range runs backwards"));
            }
            return Ok(Target::Segments { source: SourceId::parse(source)?, first, last });
        }
        Ok(Target::Segment(s.parse()?))
    }
}

impl Target {
    pub fn source(&self) -> &SourceId {
        match self {
            Target::Segment(id) => &id.source,
            Target::Segments { source, .. } | Target::Span { source, .. } => source,
        }
    }

    /// The character spans this target covers in `source`, checked against it.
    pub fn spans(&self, source: &Source) -> Result<Vec<(usize, usize)>> {
        let segment = |n: usize| {
            source
                .segments
                .get(n.wrapping_sub(1))
                .map(|s| (s.start, s.end))
                .ok_or_else(|| Error::Usage(format!("{}:{n}: no such segment ({} has {} segments)", source.id, source.id, source.segments.len())))
        };
        match self {
            Target::Segment(id) => Ok(vec![segment(id.number)?]),
            Target::Segments { first, last, .. } => (*first..=*last).map(segment).collect(),
            Target::Span { start, end, .. } => {
                let len = source.body.chars().count();
                if start >= end || *end > len {
                    return Err(Error::Usage(format!(
                        "{}@{start}..{end}: span out of range (the body has {len} characters; start < end)",
                        source.id
                    )));
                }
                Ok(vec![(*start, *end)])
            }
        }
    }
}

/// The text of `[start, end)` in characters.
pub fn slice(body: &str, start: usize, end: usize) -> String {
    body.chars().skip(start).take(end - start).collect()
}

pub use crate::clock::now_rfc3339;

/// A coding for unit tests: five characters from `start`, its text holding a comma, quotes and a
/// line break (what a CSV writer must quote).
#[cfg(test)]
pub(crate) fn test_coding(source: &str, start: usize, code: &str, coder: &str, created: &str) -> Coding {
    Coding {
        source: crate::corpus::SourceId::parse(source).unwrap(),
        start,
        end: start + 5,
        code: CodePath::parse(code).unwrap(),
        coder: coder.parse().unwrap(),
        created: created.into(),
        text: "a, \"quoted\"\nline".into(),
        origin: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let id = |s: &str| SourceId::parse(s).unwrap();
        assert_eq!("PT-PR-03:14".parse::<Target>().unwrap(), Target::Segment(SegmentId { source: id("PT-PR-03"), number: 14 }));
        assert_eq!("PT-PR-03:14-16".parse::<Target>().unwrap(), Target::Segments { source: id("PT-PR-03"), first: 14, last: 16 });
        assert_eq!("PT-PR-03@120..388".parse::<Target>().unwrap(), Target::Span { source: id("PT-PR-03"), start: 120, end: 388 });
        assert!("PT-PR-03:16-14".parse::<Target>().is_err());
        assert!("PT-PR-03".parse::<Target>().is_err());
        assert!("PT-PR-03:0".parse::<Target>().is_err());
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
