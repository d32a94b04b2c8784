//! Text helpers shared across quire: line ends as quire stores them (LF), and the edit distance
//! behind "did you mean", label typos and orphan similarity.

/// CRLF and lone CR become LF.
pub fn normalise_line_ends(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

/// Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn crlf_and_lone_cr_become_lf() {
        assert_eq!(super::normalise_line_ends("a\r\nb\rc\n"), "a\nb\nc\n");
        assert_eq!(super::normalise_line_ends("plain\n"), "plain\n");
    }
}
