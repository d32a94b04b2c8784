//! Autocoding rules: a small query language (words, "phrases", prefix*, AND, OR, NOT, -word,
//! parentheses; adjacent terms mean OR), parsed into a typed tree.

use std::fmt;

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// One word; `prefix` for `word*`.
    Term { word: String, prefix: bool },
    /// Words that must follow each other.
    Phrase(Vec<String>),
    /// Every part must match (`a AND b`).
    All(Vec<Rule>),
    /// Any part may match (`a OR b`, `a b`).
    Any(Vec<Rule>),
    /// Excludes what matches (`NOT a`, `-a`); only meaningful beside a positive part.
    Not(Box<Rule>),
}

/// A syntax error in a rule, with the 1-based character column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for RuleError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Minus,
    Word(String),
    Phrase(String),
}

fn err(column: usize, message: impl Into<String>) -> RuleError {
    RuleError { column, message: message.into() }
}

fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, RuleError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push((column, Token::Open));
                i += 1;
            }
            ')' => {
                tokens.push((column, Token::Close));
                i += 1;
            }
            '"' => {
                let close = chars[i + 1..].iter().position(|c| *c == '"').ok_or_else(|| err(column, "unbalanced double quote"))?;
                let text: String = chars[i + 1..i + 1 + close].iter().collect();
                tokens.push((column, Token::Phrase(text)));
                i += close + 2;
            }
            '-' | '+' if chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) => {
                if c == '-' {
                    tokens.push((column, Token::Minus));
                }
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let token = match word.as_str() {
                    "AND" | "&&" => Token::And,
                    "OR" | "||" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word(word),
                };
                tokens.push((column, token));
            }
        }
    }
    Ok(tokens)
}

/// Splits text into lower-case words the way rules and matching see them.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    end_column: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.pos).map(|(c, _)| *c).unwrap_or(self.end_column)
    }

    fn any(&mut self) -> Result<Rule, RuleError> {
        let mut parts = vec![self.all()?];
        loop {
            match self.peek() {
                None | Some(Token::Close) => break,
                Some(Token::Or) => {
                    self.pos += 1;
                    parts.push(self.all()?);
                }
                Some(_) => parts.push(self.all()?),
            }
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one part") } else { Rule::Any(parts) })
    }

    fn all(&mut self) -> Result<Rule, RuleError> {
        let mut parts = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one part") } else { Rule::All(parts) })
    }

    fn unary(&mut self) -> Result<Rule, RuleError> {
        let column = self.column();
        let Some(token) = self.tokens.get(self.pos).map(|(_, t)| t.clone()) else {
            return Err(err(column, "the rule ends where a word was expected"));
        };
        self.pos += 1;
        match token {
            Token::Not | Token::Minus => Ok(Rule::Not(Box::new(self.unary()?))),
            Token::Open => {
                if self.peek() == Some(&Token::Close) {
                    return Err(err(column, "empty parentheses"));
                }
                let inner = self.any()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(err(column, "unbalanced parenthesis: `(` is never closed"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Token::Close => Err(err(column, "unbalanced parenthesis: `)` without `(`")),
            Token::And | Token::Or => Err(err(column, "operator without a word before it")),
            Token::Phrase(text) => {
                let ws = words(&text);
                match ws.len() {
                    0 => Err(err(column, "empty phrase")),
                    1 => Ok(Rule::Term { word: ws.into_iter().next().expect("one word"), prefix: false }),
                    _ => Ok(Rule::Phrase(ws)),
                }
            }
            Token::Word(w) => term(column, &w),
        }
    }
}

fn term(column: usize, raw: &str) -> Result<Rule, RuleError> {
    if raw.contains(':') {
        return Err(err(column, format!("`{raw}`: field queries are not supported in rules")));
    }
    let (body, prefix) = match raw.strip_suffix('*') {
        Some(body) => (body, true),
        None => (raw, false),
    };
    if body.contains('*') || body.contains('?') {
        return Err(err(column, format!("`{raw}`: a wildcard may only end a word (`woon*`)")));
    }
    let ws = words(body);
    match ws.len() {
        0 => Err(err(column, format!("`{raw}` has no letters or digits"))),
        1 => Ok(Rule::Term { word: ws.into_iter().next().expect("one word"), prefix }),
        // `sans-abri` is the phrase "sans abri".
        _ if !prefix => Ok(Rule::Phrase(ws)),
        _ => Err(err(column, format!("`{raw}`: a prefix must be a single word"))),
    }
}

fn has_positive(rule: &Rule) -> bool {
    match rule {
        Rule::Term { .. } | Rule::Phrase(_) => true,
        Rule::Not(_) => false,
        Rule::All(parts) | Rule::Any(parts) => parts.iter().any(has_positive),
    }
}

/// Parses a rule; an error names the column.
pub fn parse(input: &str) -> Result<Rule, RuleError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(err(1, "empty rule"));
    }
    let mut parser = Parser { tokens, pos: 0, end_column: input.chars().count() + 1 };
    let rule = parser.any()?;
    if let Some((column, _)) = parser.tokens.get(parser.pos) {
        return Err(err(*column, "unbalanced parenthesis: `)` without `(`"));
    }
    if !has_positive(&rule) {
        return Err(err(1, "a rule made only of NOT matches nothing; add a word to match"));
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: &str) -> Rule {
        Rule::Term { word: w.into(), prefix: false }
    }

    #[test]
    fn adjacent_terms_mean_or_and_binds_tighter() {
        assert_eq!(parse("a b AND c").unwrap(), Rule::Any(vec![t("a"), Rule::All(vec![t("b"), t("c")])]));
    }

    #[test]
    fn phrases_prefixes_and_negation() {
        assert_eq!(
            parse(r#""sans abri" woon* -prison"#).unwrap(),
            Rule::Any(vec![
                Rule::Phrase(vec!["sans".into(), "abri".into()]),
                Rule::Term { word: "woon".into(), prefix: true },
                Rule::Not(Box::new(t("prison"))),
            ])
        );
        assert_eq!(parse("Wohnung").unwrap(), t("wohnung"));
    }

    #[test]
    fn syntax_errors_name_the_column() {
        assert_eq!(parse("(a OR b").unwrap_err().column, 1);
        assert_eq!(parse("a OR \"b").unwrap_err().column, 6);
        assert_eq!(parse("a )").unwrap_err().column, 3);
        assert!(parse("NOT a").is_err());
        assert!(parse("").is_err());
        assert!(parse("a OR").is_err());
        assert!(parse("wo*ning").is_err());
        assert!(parse("text:foo").is_err());
    }
}
