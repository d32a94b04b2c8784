//! How header values are written and read back: bare when they can be, else in double quotes with
//! `\"`, `\\` and `\n` escaped. What [`quote`] writes, the header reader reads back exactly.
//!
//! Inside double quotes `\"` is a quote, `\\` a backslash and `\n` a line break; any other
//! backslash is itself (so `"C:\temp dir"` reads as written). Outside quotes nothing is escaped.

/// Drops a `# comment` that starts a line or follows whitespace, outside double quotes (a `\"`
/// inside quotes does not close them).
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut in_quotes = false;
    let mut prev_space = true;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if in_quotes => {
                chars.next();
                prev_space = false;
                continue;
            }
            '"' => in_quotes = !in_quotes,
            '#' if !in_quotes && prev_space => return &line[..i],
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// Pushes the character an escape inside quotes stands for: `\"`, `\\`, `\n`, or the backslash
/// itself followed by `next` when it is no escape.
fn unescape(next: Option<char>, out: &mut String) {
    match next {
        Some('"') => out.push('"'),
        Some('\\') => out.push('\\'),
        Some('n') => out.push('\n'),
        Some(other) => {
            out.push('\\');
            out.push(other);
        }
        None => out.push('\\'),
    }
}

/// A source-level value (comment stripped, trimmed): the text of one quoted string when the value
/// is exactly that, else the value as written.
pub(crate) fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"') else {
        return v.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => unescape(chars.next().map(|(_, c)| c), &mut out),
            '"' if i + 1 == inner.len() => return out,
            '"' => return v.to_string(),
            c => out.push(c),
        }
    }
    v.to_string()
}

/// Splits `role=PR prison="Site A"` into tokens, keeping quoted parts whole (quotes removed,
/// escapes read).
pub(crate) fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_quotes => unescape(chars.next(), &mut current),
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if in_quotes {
        return Err("unbalanced double quote".into());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

/// A value as the header reader reads it back: bare if it has no space, `#`, `"` or line break
/// and is not empty, else quoted with `\`, `"` and line breaks escaped.
pub(crate) fn quote(v: &str) -> String {
    if !v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c == '#' || c == '"') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_read_back_exactly() {
        for v in ["a\"b", "", " lead", "trail ", "line one\nline two", "C:\\temp dir", "x # y", "#", "a\\", "\\n", "\"", "k=v", "é ü"] {
            let q = quote(v);
            assert_eq!(unquote(strip_comment(&q).trim()), v, "{q}");
            assert_eq!(tokenize(&format!("k={q}")).unwrap(), [format!("k={v}")], "{q}");
        }
    }

    #[test]
    fn an_unknown_escape_is_the_backslash_itself() {
        assert_eq!(unquote(r#""C:\temp dir""#), r"C:\temp dir");
        assert_eq!(unquote(r#""a" "b""#), r#""a" "b""#, "two quoted strings are the text as written");
        assert_eq!(tokenize(r#"prison="Site \"A\"" x="""#).unwrap(), ["prison=Site \"A\"", "x="]);
    }
}
