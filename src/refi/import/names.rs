//! Names and values an import makes from a file's: source ids, coder names and attribute keys
//! from names, header values quoted when they need it, variable values as attributes.

use std::collections::HashMap;

use crate::corpus::SourceId;
use crate::refi::guid_key;
use crate::refi::model::Value;

/// A source id from a name: letters, digits, `-`, `_`, `.`; other characters become `-`.
pub fn source_id_from(name: &str) -> Option<String> {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') || (c == '-' && !s.ends_with('-')) {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).trim_end_matches('-').chars().take(100).collect();
    let s = s.trim_end_matches('-').to_string();
    SourceId::parse(&s).ok().map(|_| s)
}

/// A coder name from a user name: ASCII letters, digits, `-`, `_`.
pub(super) fn coder_from(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').chars().take(60).collect()
}

/// An attribute key from a variable name: lower case letters, digits, `-`, `_`, `.`.
fn key_from(name: &str) -> Option<String> {
    let mut s = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    match s.chars().next() {
        None => None,
        Some(c) if c.is_ascii_alphabetic() || c == '_' => Some(s),
        Some(_) => Some(format!("v{s}")),
    }
}

/// A header or speaker value: one line, quoted when it has spaces, `#` or quotes.
pub(super) fn header_value(v: &str) -> String {
    let v: String = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().replace('"', "'");
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '#') {
        format!("\"{v}\"")
    } else {
        v
    }
}

/// A plain source's attribute values: its own variables' and its speaker's (from its case).
pub(super) struct Attributes {
    pub(super) source: Vec<(String, String)>,
    pub(super) speaker: Vec<(String, String)>,
}

/// Variable values as `(key, value)` pairs, keys made attribute keys, in the variables' order.
pub(super) fn values_of(values: &[Value], names: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in values {
        let Some(key) = names.get(&guid_key(&v.variable)).and_then(|n| key_from(n)) else { continue };
        if !v.value.trim().is_empty() && !out.iter().any(|(k, _)| *k == key) {
            out.push((key, v.value.trim().to_string()));
        }
    }
    out
}
