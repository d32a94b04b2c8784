//! Re-anchoring: when a source is replaced, each coding is found again by its exact text, at the
//! occurrence nearest its old position; codings whose text is gone become orphans.

use super::Coding;

/// Where `coding` lands in `body` (character offsets), or `None` if its text is not there.
pub fn find(coding: &Coding, body: &str) -> Option<(usize, usize)> {
    let len = coding.text.chars().count();
    if len == 0 {
        return None;
    }
    // Byte offset -> character offset, walking the body once.
    let mut best: Option<(usize, usize)> = None;
    let mut chars_before = 0;
    let mut last_byte = 0;
    for (byte, _) in body.match_indices(coding.text.as_str()) {
        chars_before += body[last_byte..byte].chars().count();
        last_byte = byte;
        let distance = chars_before.abs_diff(coding.start);
        if best.is_none_or(|(_, d)| distance < d) {
            best = Some((chars_before, distance));
        }
    }
    best.map(|(start, _)| (start, start + len))
}

/// Splits codings of one source into those re-anchored in `body` and those orphaned.
pub fn reanchor(codings: Vec<Coding>, body: &str) -> (Vec<Coding>, Vec<Coding>) {
    let mut anchored = Vec::new();
    let mut orphaned = Vec::new();
    for mut c in codings {
        match find(&c, body) {
            Some((start, end)) => {
                c.start = start;
                c.end = end;
                anchored.push(c);
            }
            None => orphaned.push(c),
        }
    }
    (anchored, orphaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::CodePath;
    use crate::corpus::SourceId;

    fn coding(start: usize, text: &str) -> Coding {
        Coding {
            source: SourceId::parse("S").unwrap(),
            start,
            end: start + text.chars().count(),
            code: CodePath::parse("a").unwrap(),
            coder: "me".parse().unwrap(),
            created: String::new(),
            origin: None,
            text: text.into(),
        }
    }

    #[test]
    fn finds_the_nearest_occurrence_in_characters() {
        let body = "één casa, duas casas, três casa";
        assert_eq!(find(&coding(0, "casa"), body), Some((4, 8)));
        assert_eq!(find(&coding(30, "casa"), body), Some((27, 31)));
        assert_eq!(find(&coding(3, "gone"), body), None);
    }
}
