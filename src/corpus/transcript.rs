//! Reader and canonical writer of the transcript format: a `---` header, then speaker turns.
//!
//! ```text
//! ---
//! source: PT-PR-03
//! country: PT
//! language: pt
//! method: interview
//! speaker I: interviewer
//! speaker R: role=PR gender=M detentions=5
//! ---
//! I: question
//! R: answer, first paragraph
//! continued on a second line.
//!
//! Second paragraph of the same turn.
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::cases::CaseSheet;
/// Reading a user's text file lives in `header`; kept here for the callers that read transcripts.
pub use super::header::decode;
use super::header::{is_key, RawHeader, RawSpeaker, Value};
use super::labels::{classify, Line, Warning};
use super::quoting::{quote, strip_comment, tokenize, unquote};
use super::{Country, Gender, Language, Method, Respondent, Role, Segment, SegmentId, Source, SourceId, Speaker, SpeakerKind, SpeakerLabel};
use crate::error::{Error, Location, Result, TranscriptProblem};

/// Parses a transcript file. `cases` may add or override attributes (an NVivo-style sheet).
pub fn parse(path: &Path, bytes: &[u8], default_language: Language, cases: Option<&CaseSheet>) -> Result<Source> {
    parse_warning(path, bytes, default_language, cases).map(|(source, _)| source)
}

/// [`parse`], with the warnings about what was accepted but may be misread: lines that look
/// like a speaker label but are read as text, declared respondents who never speak, and a
/// source without a respondent segment.
pub fn parse_warning(path: &Path, bytes: &[u8], default_language: Language, cases: Option<&CaseSheet>) -> Result<(Source, Vec<Warning>)> {
    let overlay = cases.map(|sheet| move |id: &SourceId, header: &mut RawHeader| sheet.apply(id, path, header));
    let mut warnings = Vec::new();
    let source = parse_with(path, bytes, default_language, overlay, &mut warnings)?;
    warnings.extend(silent_respondents(path, &source));
    Ok((source, warnings))
}

/// Declared respondents who never speak, and a source in which no respondent speaks.
fn silent_respondents(path: &Path, source: &Source) -> Vec<Warning> {
    let at = Location::file(path);
    let mut warnings: Vec<Warning> = source
        .speakers
        .iter()
        .enumerate()
        .filter(|(i, s)| s.respondent().is_some() && !source.segments.iter().any(|g| g.speaker == *i))
        .map(|(_, s)| Warning { location: at.clone(), message: format!("respondent `{}` is declared but never speaks", s.label) })
        .collect();
    if source.respondent_segments().next().is_none() {
        warnings.push(Warning { location: at, message: format!("{} has no respondent segment: nothing in it can be coded or quoted", source.id) });
    }
    warnings
}

/// Parses a transcript file; `overlay`, if given, may change the header as written (its values
/// and speakers) before the values are checked, given the source's id.
pub(crate) fn parse_with(
    path: &Path,
    bytes: &[u8],
    default_language: Language,
    overlay: Option<impl FnOnce(&SourceId, &mut RawHeader) -> Result<()>>,
    warnings: &mut Vec<Warning>,
) -> Result<Source> {
    let text = decode(path, bytes)?;
    let (mut header, body_line, body) = split_header(path, &text)?;
    if let Some(overlay) = overlay {
        let id = source_id_of(path, &header)?;
        overlay(&id, &mut header)?;
    }
    build(path, header, body_line, body, default_language, warnings)
}

fn problem(path: &Path, line: usize, problem: TranscriptProblem) -> Error {
    Error::Transcript { location: Location::line(path, line), problem }
}

fn value_error(at: &Location, message: String) -> Error {
    Error::Transcript { location: at.clone(), problem: TranscriptProblem::Value(message) }
}

/// Splits the text into the parsed header, the 1-based line where the body starts, and the body.
fn split_header<'t>(path: &Path, text: &'t str) -> Result<(RawHeader, usize, &'t str)> {
    let mut lines = text.split_inclusive('\n');
    let mut offset = 0;
    let mut line_no = 0;
    // Blank lines may precede the header.
    let open_line = loop {
        let Some(line) = lines.next() else {
            return Err(problem(
                path,
                line_no.max(1),
                TranscriptProblem::MalformedHeader("the file is empty; a transcript starts with a `---` header".into()),
            ));
        };
        line_no += 1;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed != "---" {
            return Err(problem(
                path,
                line_no,
                TranscriptProblem::MalformedHeader("a transcript starts with a `---` line, then `key: value` lines, then `---`".into()),
            ));
        }
        break line_no;
    };
    let mut header = RawHeader::default();
    loop {
        let Some(line) = lines.next() else {
            return Err(problem(path, open_line, TranscriptProblem::HeaderNotClosed));
        };
        line_no += 1;
        offset += line.len();
        let content = strip_comment(line.trim_end_matches('\n')).trim();
        if content == "---" {
            break;
        }
        if content.is_empty() {
            continue;
        }
        parse_header_line(path, line_no, content, &mut header)?;
    }
    Ok((header, line_no + 1, &text[offset..]))
}

fn parse_header_line(path: &Path, line: usize, content: &str, header: &mut RawHeader) -> Result<()> {
    let malformed = |msg: String| problem(path, line, TranscriptProblem::MalformedHeader(msg));
    let Some((key, value)) = content.split_once(':') else {
        return Err(malformed(format!("`{content}` is not a `key: value` line")));
    };
    let key = key.trim();
    let value = value.trim();
    if let Some(label) = key.strip_prefix("speaker ").map(str::trim) {
        if SpeakerLabel::parse(label).is_none() {
            return Err(malformed(format!("`{label}` is not a speaker label (a letter, then letters, digits, `_` or `-`)")));
        }
        if header.speakers.iter().any(|s| s.label == label) {
            return Err(problem(path, line, TranscriptProblem::DuplicateSpeaker(label.to_string())));
        }
        let mut speaker = RawSpeaker { label: label.to_string(), interviewer: false, attributes: Vec::new(), line };
        for token in tokenize(value).map_err(&malformed)? {
            match token.split_once('=') {
                Some((k, v)) if is_key(k) => {
                    if speaker.attributes.iter().any(|(have, _)| have == k) {
                        return Err(malformed(format!("speaker `{label}` sets `{k}` twice")));
                    }
                    speaker.attributes.push((k.to_string(), Value { text: v.to_string(), at: Location::line(path, line) }));
                }
                None if token == "interviewer" || token == "moderator" => speaker.interviewer = true,
                _ => return Err(malformed(format!("speaker `{label}`: `{token}` is neither `key=value` nor `interviewer`"))),
            }
        }
        header.speakers.push(speaker);
        return Ok(());
    }
    if !is_key(key) {
        return Err(malformed(format!("`{key}` is not a valid key (letters, digits, `_`, `-`, `.`)")));
    }
    if header.get(key).is_some() {
        return Err(malformed(format!("`{key}` is given twice")));
    }
    let value = unquote(value);
    header.entries.push((key.to_string(), Value { text: value, at: Location::line(path, line) }));
    Ok(())
}

fn source_id_of(path: &Path, header: &RawHeader) -> Result<SourceId> {
    match header.get("source") {
        Some(v) => SourceId::parse(&v.text).map_err(|m| value_error(&v.at, m)),
        None => {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            SourceId::parse(stem)
                .map_err(|m| problem(path, 1, TranscriptProblem::Value(format!("no `source:` in the header and the file name is no id: {m}"))))
        }
    }
}

fn typed<T: std::str::FromStr<Err = String>>(v: &Value) -> Result<T> {
    v.text.parse().map_err(|m| value_error(&v.at, m))
}

/// Source-level keys with typed fields of their own; everything else is a free attribute.
const RESERVED: [&str; 5] = ["source", "country", "language", "method", "body"];

fn build(path: &Path, header: RawHeader, body_line: usize, body: &str, default_language: Language, warnings: &mut Vec<Warning>) -> Result<Source> {
    let id = source_id_of(path, &header)?;
    let header_line = body_line.saturating_sub(1).max(1);
    let country: Country = match header.get("country") {
        Some(v) => typed(v)?,
        None => return Err(problem(path, header_line, TranscriptProblem::MissingKey("country"))),
    };
    let language = match header.get("language") {
        Some(v) => typed(v)?,
        None => default_language,
    };
    let method = match header.get("method") {
        Some(v) => typed(v)?,
        None => Method::Interview,
    };
    let plain = match header.get("body") {
        None => false,
        Some(v) if v.text == "turns" => false,
        Some(v) if v.text == "plain" => true,
        Some(v) => return Err(value_error(&v.at, format!("unknown body layout `{}` (expected `turns` or `plain`)", v.text))),
    };
    let attributes: Vec<(String, String)> =
        header.entries.iter().filter(|(k, _)| !RESERVED.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.text.clone())).collect();

    let mut speakers = Vec::new();
    for raw in &header.speakers {
        speakers.push(build_speaker(path, &id, &country, raw)?);
    }
    if speakers.is_empty() {
        return Err(problem(
            path,
            header_line,
            TranscriptProblem::MalformedHeader("no `speaker LABEL: ...` lines; declare every speaker of the body".into()),
        ));
    }
    let segments = if plain {
        if speakers.len() != 1 {
            return Err(problem(
                path,
                header_line,
                TranscriptProblem::MalformedHeader("a `body: plain` transcript declares exactly one speaker, who speaks the whole body".into()),
            ));
        }
        segment_lines(&id, body_line, body)
    } else {
        segment_body(path, &speakers, (&id, body_line, body), warnings)?
    };
    Ok(Source { id, country, language, method, plain, attributes, speakers, body: body.to_string(), segments })
}

fn build_speaker(path: &Path, id: &SourceId, source_country: &Country, raw: &RawSpeaker) -> Result<Speaker> {
    let label = SpeakerLabel::parse(&raw.label).expect("checked when the header was read");
    let find = |key: &str| raw.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let attributes: BTreeMap<String, String> = raw.attributes.iter().map(|(k, v)| (k.clone(), v.text.clone())).collect();
    let kind = if raw.interviewer {
        SpeakerKind::Interviewer
    } else {
        let role: Role = match find("role") {
            Some(v) => typed(v)?,
            None => {
                return Err(problem(
                    path,
                    raw.line,
                    TranscriptProblem::Speaker { label: raw.label.clone(), problem: "no role (add role=PR|EPR|PI|PE, or `interviewer`)".into() },
                ))
            }
        };
        let gender: Option<Gender> = find("gender").map(typed).transpose()?;
        let country: Country = match find("country") {
            Some(v) => typed(v)?,
            None => source_country.clone(),
        };
        let case = find("case").map(|v| v.text.clone()).unwrap_or_else(|| format!("{id}/{}", raw.label));
        SpeakerKind::Respondent(Respondent { role, gender, country, case })
    };
    Ok(Speaker { label, kind, attributes })
}

/// A segment being read: its span in characters (what codings count) and in bytes.
struct Open {
    speaker: usize,
    start: usize,
    end: usize,
    bytes: std::ops::Range<usize>,
    line: usize,
}

/// Where a line starts in the body, in characters and in bytes.
#[derive(Clone, Copy)]
struct At {
    chars: usize,
    bytes: usize,
}

/// Splits a `turns` body into segments; `at` is the source id, the body's first line and the body.
fn segment_body(path: &Path, speakers: &[Speaker], at: (&SourceId, usize, &str), warnings: &mut Vec<Warning>) -> Result<Vec<Segment>> {
    let (id, body_line, body) = at;
    let mut segments: Vec<Segment> = Vec::new();
    let mut current: Option<usize> = None;
    let mut open: Option<Open> = None;
    let mut offset = At { chars: 0, bytes: 0 };
    let close = |open: &mut Option<Open>, segments: &mut Vec<Segment>| {
        if let Some(o) = open.take() {
            let text = body[o.bytes].to_string();
            segments.push(Segment {
                id: SegmentId { source: id.clone(), number: segments.len() + 1 },
                speaker: o.speaker,
                start: o.start,
                end: o.end,
                line: o.line,
                text,
            });
        }
    };
    for (i, raw_line) in body.split_inclusive('\n').enumerate() {
        let line_no = body_line + i;
        let line = raw_line.trim_end_matches('\n');
        let line_chars = raw_line.chars().count();
        let trimmed_end = line.trim_end();
        if trimmed_end.trim_start().is_empty() {
            close(&mut open, &mut segments);
        } else {
            match classify(trimmed_end, speakers) {
                Line::Turn { index, rest } => {
                    close(&mut open, &mut segments);
                    current = Some(index);
                    let text = rest.trim_start();
                    if !text.is_empty() {
                        let lead = trimmed_end[..trimmed_end.len() - text.len()].chars().count();
                        open = Some(Open {
                            speaker: index,
                            start: offset.chars + lead,
                            end: offset.chars + lead + text.chars().count(),
                            bytes: offset.bytes + trimmed_end.len() - text.len()..offset.bytes + trimmed_end.len(),
                            line: line_no,
                        });
                    }
                }
                Line::Wrong { written, hint } => {
                    let declared = speakers.iter().map(|s| s.label.as_str()).collect::<Vec<_>>().join(", ");
                    return Err(problem(path, line_no, TranscriptProblem::UnknownSpeaker { label: written.to_string(), declared, hint }));
                }
                Line::Prose { token } => {
                    continue_paragraph(path, line_no, offset, trimmed_end, current, &mut open)?;
                    let declared = speakers.iter().map(|s| s.label.as_str()).collect::<Vec<_>>().join(", ");
                    let speaker = current.map(|i| speakers[i].label.as_str()).unwrap_or_default();
                    warnings.push(Warning {
                        location: Location::line(path, line_no),
                        message: format!(
                            "`{token}:` looks like a speaker label but is not declared (declared: {declared}); read as text of {speaker}"
                        ),
                    });
                }
                Line::Text => continue_paragraph(path, line_no, offset, trimmed_end, current, &mut open)?,
            }
        }
        offset = At { chars: offset.chars + line_chars, bytes: offset.bytes + raw_line.len() };
    }
    close(&mut open, &mut segments);
    if segments.is_empty() {
        return Err(problem(path, body_line, TranscriptProblem::EmptyBody));
    }
    Ok(segments)
}

/// A line that continues the open paragraph (or opens one) of the `current` speaker.
fn continue_paragraph(path: &Path, line_no: usize, offset: At, trimmed_end: &str, current: Option<usize>, open: &mut Option<Open>) -> Result<()> {
    let Some(speaker) = current else {
        return Err(problem(path, line_no, TranscriptProblem::TextBeforeFirstTurn));
    };
    let end = offset.chars + trimmed_end.chars().count();
    let end_byte = offset.bytes + trimmed_end.len();
    match open {
        Some(o) => {
            o.end = end;
            o.bytes.end = end_byte;
        }
        None => {
            let text = trimmed_end.trim_start();
            let lead = trimmed_end.len() - text.len();
            *open = Some(Open { speaker, start: end - text.chars().count(), end, bytes: offset.bytes + lead..end_byte, line: line_no });
        }
    }
    Ok(())
}

/// A `body: plain` body (text imported from another program): no speaker labels, every non-empty
/// line is one segment of the one speaker; an empty body has no segments.
fn segment_lines(id: &SourceId, body_line: usize, body: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut offset = 0;
    for (i, raw_line) in body.split_inclusive('\n').enumerate() {
        let line = raw_line.trim_end_matches('\n');
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let lead = line.chars().count() - line.trim_start().chars().count();
            let start = offset + lead;
            let end = start + trimmed.chars().count();
            segments.push(Segment {
                id: SegmentId { source: id.clone(), number: segments.len() + 1 },
                speaker: 0,
                start,
                end,
                line: body_line + i,
                text: trimmed.to_string(),
            });
        }
        offset += raw_line.chars().count();
    }
    segments
}

/// Writes the canonical form stored under `sources/`: typed keys first, attributes in order, body unchanged.
pub fn render(source: &Source) -> String {
    let mut out = render_header(source);
    out.push_str(&source.body);
    out
}

/// The canonical header alone, from the opening `---` line to the closing one (with its line end).
pub fn render_header(source: &Source) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("source: {}\n", source.id));
    out.push_str(&format!("country: {}\n", source.country));
    out.push_str(&format!("language: {}\n", source.language));
    out.push_str(&format!("method: {}\n", source.method));
    if source.plain {
        out.push_str("body: plain\n");
    }
    for (k, v) in &source.attributes {
        out.push_str(&format!("{k}: {}\n", quote(v)));
    }
    for speaker in &source.speakers {
        out.push_str(&format!("speaker {}:", speaker.label));
        if speaker.respondent().is_none() {
            out.push_str(" interviewer");
        }
        for (k, v) in &speaker.attributes {
            out.push_str(&format!(" {k}={}", quote(v)));
        }
        out.push('\n');
    }
    out.push_str("---\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "---\nsource: X-1\ncountry: PT\nlanguage: pt\nmethod: interview\nbody: plain\nspeaker R: gender=F role=EPR\n---\nPrimeira linha, São Paulo.\n\n  Segunda: R2: não é um rótulo.\nTerceira\n";

    #[test]
    fn a_plain_body_is_one_speaker_and_a_segment_per_non_empty_line() {
        let s = parse(Path::new("X-1.txt"), PLAIN.as_bytes(), Language::Portuguese, None).unwrap();
        assert!(s.plain);
        let texts: Vec<&str> = s.segments.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(texts, ["Primeira linha, São Paulo.", "Segunda: R2: não é um rótulo.", "Terceira"]);
        let second = &s.segments[1];
        assert_eq!(crate::coding::slice(&s.body, second.start, second.end), second.text);
        assert_eq!((second.line, second.speaker), (11, 0));
        assert_eq!(render(&s), PLAIN, "canonical form round-trips");
        // An empty plain body is allowed; two speakers or an unknown layout are not.
        let empty = parse(Path::new("X-1.txt"), PLAIN.split("---\nPrimeira").next().unwrap().as_bytes(), Language::English, None);
        assert!(empty.is_err(), "the header must be closed");
        let empty = parse(Path::new("X-1.txt"), format!("{}---\n", PLAIN.split("---\nPrimeira").next().unwrap()).as_bytes(), Language::English, None)
            .unwrap();
        assert!(empty.segments.is_empty() && empty.body.is_empty());
        let two = PLAIN.replace("speaker R:", "speaker I: interviewer\nspeaker R:");
        assert!(parse(Path::new("X-1.txt"), two.as_bytes(), Language::English, None).unwrap_err().to_string().contains("exactly one speaker"));
        let odd = PLAIN.replace("body: plain", "body: prose");
        assert!(parse(Path::new("X-1.txt"), odd.as_bytes(), Language::English, None).unwrap_err().to_string().contains("unknown body layout"));
    }
}
