//! Lines that look like speaker labels. A line opens a turn only with a declared label and `:`;
//! one that is almost a label (undeclared, other case, `;` for `:`, a role word) is an error, and
//! one that is plausibly prose (`Note: ...`, `Yes: we tried.`) is read as text with a warning.

use std::fmt;

use super::Speaker;
use crate::error::Location;

/// Something ingest accepted but the user should look at; the library returns these, the
/// command line prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}

/// Words that name a speaker's role: written as a label they are always meant as one.
const ROLE_WORDS: [&str; 12] =
    ["interviewer", "interviewee", "moderator", "respondent", "participant", "facilitator", "speaker", "question", "answer", "int", "resp", "mod"];

/// Longest token read as a label-like word before `:`.
const MAX_TOKEN: usize = 20;

/// What one body line is, as far as speaker labels go.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'l> {
    /// Opens a turn of the declared speaker `index`; `rest` follows the `:`.
    Turn { index: usize, rest: &'l str },
    /// Text of the current speaker.
    Text,
    /// Text, but it starts like a label (`Note:`): read as text, with a warning.
    Prose { token: &'l str },
    /// A label that is not declared: an error. `written` is the label as written (`R;`), `hint` a
    /// sentence to append to the message (empty or starting with `; `).
    Wrong { written: &'l str, hint: String },
}

/// Splits `TOKEN:` or `TOKEN;` off the start of a line when followed by a space or the line end.
fn token(line: &str) -> Option<(&str, char, &str)> {
    let at = line.find([':', ';'])?;
    let (token, rest) = (&line[..at], &line[at + 1..]);
    let sep = line[at..].chars().next()?;
    let mut chars = token.chars();
    let shaped = chars.next().is_some_and(char::is_alphabetic) && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (shaped && token.chars().count() <= MAX_TOKEN && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some((token, sep, rest))
}

/// Classifies a body line (without its line end) against the declared speakers.
pub(crate) fn classify<'l>(line: &'l str, speakers: &[Speaker]) -> Line<'l> {
    let Some((token, sep, rest)) = token(line) else {
        return Line::Text;
    };
    if sep == ':' {
        if let Some(index) = speakers.iter().position(|s| s.label.as_str() == token) {
            return Line::Turn { index, rest };
        }
    }
    let written = if sep == ';' { &line[..token.len() + 1] } else { token };
    if let Some(declared) = speakers.iter().find(|s| s.label.as_str().eq_ignore_ascii_case(token)) {
        let label = declared.label.as_str();
        let why = match (sep == ';', label == token) {
            (true, true) => "a label ends with `:`",
            (false, _) => "labels are case-sensitive",
            (true, false) => "a label ends with `:` and labels are case-sensitive",
        };
        return Line::Wrong { written, hint: format!("; {why}: did you mean `{label}:`?") };
    }
    let lower = token.to_lowercase();
    if ROLE_WORDS.contains(&lower.as_str()) {
        return Line::Wrong { written, hint: "; declare this speaker in the header or write its declared label".into() };
    }
    if sep == ';' {
        return Line::Text;
    }
    let upper_or_digits = token.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if upper_or_digits || token.chars().any(|c| c.is_ascii_digit()) || token.chars().count() == 1 {
        return Line::Wrong { written: token, hint: String::new() };
    }
    if token.chars().count() <= 3 {
        if let Some(near) = speakers.iter().find(|s| within_one_edit(&lower, &s.label.as_str().to_lowercase())) {
            return Line::Wrong { written: token, hint: format!("; did you mean `{}:`?", near.label) };
        }
    }
    Line::Prose { token }
}

/// Do `a` and `b` differ by at most one inserted, deleted or replaced character?
fn within_one_edit(a: &str, b: &str) -> bool {
    crate::text::edit_distance(a, b) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{SpeakerKind, SpeakerLabel};

    fn speakers(labels: &[&str]) -> Vec<Speaker> {
        labels
            .iter()
            .map(|l| Speaker { label: SpeakerLabel::parse(l).unwrap(), kind: SpeakerKind::Interviewer, attributes: Default::default() })
            .collect()
    }

    #[test]
    fn lines_are_turns_text_prose_or_wrong() {
        let s = speakers(&["I", "R"]);
        assert_eq!(classify("R: yes", &s), Line::Turn { index: 1, rest: " yes" });
        assert_eq!(classify("I:", &s), Line::Turn { index: 0, rest: "" });
        assert_eq!(classify("Yes: we tried.", &s), Line::Prose { token: "Yes" });
        assert_eq!(classify("Note: later", &s), Line::Prose { token: "Note" });
        assert_eq!(classify("Também: isso", &s), Line::Prose { token: "Também" });
        for text in ["12:30 we met", "R:x", "Yes, I said: fine", "ok; then", "a long sentence: then more"] {
            assert_eq!(classify(text, &s), Line::Text, "{text}");
        }
        for (line, written) in [
            ("R; yes", "R;"),
            ("r: yes", "r"),
            ("Interviewer: so?", "Interviewer"),
            ("Rr: yes", "Rr"),
            ("P6: hi", "P6"),
            ("p6: hi", "p6"),
            ("Q: hm", "Q"),
        ] {
            assert!(matches!(classify(line, &s), Line::Wrong { written: w, .. } if w == written), "{line}");
        }
    }

    #[test]
    fn one_edit_apart() {
        assert!(within_one_edit("rr", "r") && within_one_edit("r", "rr") && within_one_edit("ab", "ac") && within_one_edit("p", "p"));
        assert!(!within_one_edit("abc", "a") && !within_one_edit("ab", "ba"));
    }
}
