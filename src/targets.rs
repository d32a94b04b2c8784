//! What `quire code` codes of a target: only respondent text. A segment spoken by the
//! interviewer is refused, a range keeps its respondent segments (counting the interviewer
//! paragraphs it skips), and a character span must stay within one speaker's turn; one that
//! starts or ends inside a word is widened to whole words.

use std::path::Path;

use crate::coding::Target;
use crate::corpus::{Segment, Source};
use crate::error::{Error, Location, Result};

/// The spans to code, and what was left out or changed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codable {
    pub spans: Vec<(usize, usize)>,
    /// Interviewer paragraphs of a range that were not coded.
    pub skipped: usize,
    /// A span widened to whole words: the span as given, then as coded.
    pub snapped: Option<((usize, usize), (usize, usize))>,
}

/// The respondent text of `target` in `source` (stored at `path`, for messages).
pub fn codable(source: &Source, path: &Path, target: &Target) -> Result<Codable> {
    let spans = target.spans(source)?;
    let respondent = |seg: &Segment| source.speaker_of(seg).respondent().is_some();
    match target {
        Target::Segment(id) => {
            let seg = &source.segments[id.number - 1];
            if !respondent(seg) {
                return Err(interviewer_only(source, path, &id.to_string(), seg));
            }
            Ok(Codable { spans, skipped: 0, snapped: None })
        }
        Target::Segments { first, last, .. } => {
            let segs = &source.segments[first - 1..*last];
            let kept: Vec<(usize, usize)> = segs.iter().filter(|s| respondent(s)).map(|s| (s.start, s.end)).collect();
            if kept.is_empty() {
                return Err(interviewer_only(source, path, &format!("{}:{first}-{last}", source.id), &segs[0]));
            }
            Ok(Codable { skipped: segs.len() - kept.len(), spans: kept, snapped: None })
        }
        Target::Span { start, end, .. } => span(source, path, *start, *end),
    }
}

fn interviewer_only(source: &Source, path: &Path, what: &str, seg: &Segment) -> Error {
    let speaker = &source.speaker_of(seg).label;
    Error::invalid(
        Location::line(path, seg.line),
        format!(
            "`{what}` is only interviewer text (speaker `{speaker}`): only respondent text is coded (`quire show {} --respondents` lists its respondent segments)",
            source.id
        ),
    )
}

/// A character span: inside the text of one speaker's turn(s) and a respondent's, widened to
/// whole words.
fn span(source: &Source, path: &Path, start: usize, end: usize) -> Result<Codable> {
    let what = format!("{}@{start}..{end}", source.id);
    let touched: Vec<&Segment> = source.segments.iter().filter(|s| s.start < end && start < s.end).collect();
    let Some((first, last)) = touched.first().zip(touched.last()) else {
        return Err(Error::invalid(Location::file(path), format!("`{what}` holds no segment text (only labels or blank lines)")));
    };
    if let Some(change) = touched.windows(2).find(|w| w[0].speaker != w[1].speaker) {
        let (from, to) = (&source.speaker_of(change[0]).label, &source.speaker_of(change[1]).label);
        return Err(Error::invalid(
            Location::line(path, change[1].line),
            format!("`{what}` crosses a speaker turn (from `{from}` to `{to}`); code each speaker's text separately"),
        ));
    }
    if source.speaker_of(first).respondent().is_none() {
        return Err(interviewer_only(source, path, &what, first));
    }
    let chars: Vec<char> = source.body.chars().collect();
    let word = |i: usize| chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let mut coded = (start.max(first.start), end.min(last.end));
    while coded.0 > first.start && word(coded.0 - 1) && word(coded.0) {
        coded.0 -= 1;
    }
    while coded.1 < last.end && word(coded.1 - 1) && word(coded.1) {
        coded.1 += 1;
    }
    let snapped = (coded != (start, end)).then_some(((start, end), coded));
    Ok(Codable { spans: vec![coded], skipped: 0, snapped })
}
