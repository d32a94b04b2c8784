//! Codebook validation: ids, names, guids, colours and rules, each problem with its JSON location.

use std::collections::HashMap;

use super::{rule, valid_id, Codebook};
use crate::corpus::Language;
use crate::error::{CodebookIssue, Severity};

fn issue(severity: Severity, pointer: String, message: String) -> CodebookIssue {
    CodebookIssue { pointer, message, severity }
}

pub fn valid_guid(guid: &str) -> bool {
    let g = guid.trim_start_matches('{').trim_end_matches('}');
    let groups: Vec<&str> = g.split('-').collect();
    groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(s, n)| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn valid_color(color: &str) -> bool {
    color.strip_prefix('#').is_some_and(|hex| (hex.len() == 6 || hex.len() == 3) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// All problems of a codebook, errors and warnings, in tree order.
pub fn validate(codebook: &Codebook) -> Vec<CodebookIssue> {
    let mut issues = Vec::new();
    if codebook.name.trim().is_empty() {
        issues.push(issue(Severity::Error, "$.name".into(), "empty codebook name".into()));
    }
    for (i, lang) in codebook.languages.iter().enumerate() {
        if let Err(m) = lang.parse::<Language>() {
            issues.push(issue(Severity::Error, format!("$.languages[{i}]"), m));
        }
    }
    let visits = codebook.walk();
    let mut sibling_ids: HashMap<(Vec<String>, String), String> = HashMap::new();
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut guids: HashMap<String, String> = HashMap::new();
    for v in &visits {
        let code = v.code;
        let p = &v.pointer;
        if !valid_id(&code.id) {
            issues.push(issue(
                Severity::Error,
                format!("{p}.id"),
                format!("invalid id `{}` (letters, digits, `-`, `_`, `.`; no `/` or spaces)", code.id),
            ));
        }
        let parent = v.path.parent().map(|pp| pp.ids().to_vec()).unwrap_or_default();
        match sibling_ids.get(&(parent.clone(), code.id.clone())) {
            Some(first) => issues.push(issue(Severity::Error, format!("{p}.id"), format!("duplicate id `{}` (also at {first})", code.id))),
            None => match ids.get(code.id.as_str()) {
                Some(first) => issues.push(issue(
                    Severity::Warning,
                    format!("{p}.id"),
                    format!("id `{}` is also used at {first}; address these codes by a longer path", code.id),
                )),
                None => {
                    ids.insert(&code.id, p.clone());
                }
            },
        }
        sibling_ids.entry((parent, code.id.clone())).or_insert_with(|| p.clone());
        if code.name.trim().is_empty() {
            issues.push(issue(Severity::Error, format!("{p}.name"), format!("code `{}` has an empty name", v.path)));
        }
        if let Some(guid) = &code.guid {
            if !valid_guid(guid) {
                issues.push(issue(Severity::Error, format!("{p}.guid"), format!("`{guid}` is not a GUID")));
            } else {
                let key = guid.trim_matches(|c| c == '{' || c == '}').to_lowercase();
                if let Some(first) = guids.get(&key) {
                    issues.push(issue(Severity::Error, format!("{p}.guid"), format!("duplicate guid {guid} (also at {first})")));
                } else {
                    guids.insert(key, p.clone());
                }
            }
        }
        if !code.codable && !code.rules.is_empty() {
            issues.push(issue(
                Severity::Warning,
                format!("{p}.rules"),
                format!("`{}` is a folder (not codable): autocode skips its rules; put them on a code inside it", v.path),
            ));
        }
        if let Some(color) = &code.color {
            if !valid_color(color) {
                issues.push(issue(Severity::Error, format!("{p}.color"), format!("`{color}` is not a colour (#RRGGBB)")));
            }
        }
        for (lang, text) in &code.rules {
            let at = format!("{p}.rules.{lang}");
            if let Err(m) = lang.parse::<Language>() {
                issues.push(issue(Severity::Error, at.clone(), m));
            }
            if let Err(e) = rule::parse(text) {
                issues.push(issue(Severity::Error, at, format!("bad rule `{text}`: {e}")));
            }
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Code;

    #[test]
    fn reports_duplicates_empty_names_and_bad_rules_with_locations() {
        let mut cb = Codebook::empty("t");
        let mut a = Code::new("a", "A");
        a.children.push(Code::new("x", ""));
        a.children.push(Code::new("x", "X again"));
        let mut b = Code::new("b", "B");
        b.rules.insert("fr".into(), "(logement".into());
        b.children.push(Code::new("x", "X elsewhere"));
        cb.codes = vec![a, b];
        let issues = validate(&cb);
        let at = |p: &str| issues.iter().find(|i| i.pointer == p).map(|i| i.severity);
        assert_eq!(at("$.codes[0].children[0].name"), Some(Severity::Error));
        assert_eq!(at("$.codes[0].children[1].id"), Some(Severity::Error));
        assert_eq!(at("$.codes[1].rules.fr"), Some(Severity::Error));
        assert_eq!(at("$.codes[1].children[0].id"), Some(Severity::Warning));
    }
}
