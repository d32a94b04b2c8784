//! Text helpers every reader shares: line ends as quire stores them (LF).

/// CRLF and lone CR become LF.
pub fn normalise_line_ends(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crlf_and_lone_cr_become_lf() {
        assert_eq!(super::normalise_line_ends("a\r\nb\rc\n"), "a\nb\nc\n");
        assert_eq!(super::normalise_line_ends("plain\n"), "plain\n");
    }
}
