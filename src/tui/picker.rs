//! The code picker of the terminal coder: the codebook tree with a letter per codable code (the
//! margin labels), filtered by what is typed over ids, names, paths and descriptions, recent
//! codes first.

use crate::codebook::{CodePath, Codebook};

/// The symbols given to codable codes in codebook order; codes past them are shown as `*`.
const SYMBOLS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// One code of the codebook as the picker lists it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: CodePath,
    pub name: String,
    pub description: String,
    pub codable: bool,
    /// The margin label of a codable code (`None` for a folder).
    pub symbol: Option<char>,
}

/// The codebook, flattened in tree order.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    pub entries: Vec<Entry>,
}

impl Codes {
    pub fn of(codebook: &Codebook) -> Codes {
        let mut symbols = SYMBOLS.chars();
        let entries = codebook
            .walk()
            .into_iter()
            .map(|v| Entry {
                name: v.code.name.clone(),
                description: v.code.description.clone(),
                codable: v.code.codable,
                symbol: if v.code.codable { Some(symbols.next().unwrap_or('*')) } else { None },
                path: v.path,
            })
            .collect();
        Codes { entries }
    }

    /// The margin label of `code` (`*` for a code the codebook does not hold, or past the symbols).
    pub fn symbol(&self, code: &CodePath) -> char {
        self.entries.iter().find(|e| &e.path == code).and_then(|e| e.symbol).unwrap_or('*')
    }

    /// The entries matching `filter` (every word of it, case-insensitive, in the id, name, path or
    /// description): recent codes first (most recent first), then codes whose id or name
    /// matches, then those matched by path or description, each in tree order. Folders are
    /// listed only while nothing is typed. With `only`, just those codes.
    pub fn filtered(&self, filter: &str, recent: &[CodePath], only: Option<&[CodePath]>) -> Vec<usize> {
        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let rank = |e: &Entry| -> Option<u8> {
            if only.is_some_and(|o| !o.contains(&e.path)) || !(e.codable || words.is_empty() && only.is_none()) {
                return None;
            }
            let name = format!("{} {}", e.path.leaf(), e.name).to_lowercase();
            let all = format!("{} {} {}", e.path, e.name, e.description).to_lowercase();
            if words.iter().all(|w| name.contains(w.as_str())) {
                Some(1)
            } else if words.iter().all(|w| all.contains(w.as_str())) {
                Some(2)
            } else {
                None
            }
        };
        let mut ranked: Vec<(u8, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if let Some(r) = rank(e) {
                let recent = recent.iter().rev().position(|c| c == &e.path).filter(|_| e.codable);
                ranked.push((recent.map_or(r, |_| 0), recent.map_or(i, |p| p)));
            }
        }
        ranked.sort();
        ranked.into_iter().map(|(r, i)| if r == 0 { self.position_of_recent(recent, i) } else { i }).collect()
    }

    /// The entry of the `back`-th most recent code.
    fn position_of_recent(&self, recent: &[CodePath], back: usize) -> usize {
        let code = &recent[recent.len() - 1 - back];
        self.entries.iter().position(|e| &e.path == code).unwrap_or(0)
    }
}

/// An open picker: what it does, what is typed, which line is chosen.
#[derive(Debug, Clone)]
pub struct Picker {
    pub purpose: Purpose,
    pub filter: String,
    pub selected: usize,
}

/// What Enter in the picker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Applies the chosen code to the segment.
    Apply,
    /// Removes the segment's coding of the chosen code.
    Remove,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Code;

    fn code(id: &str, name: &str, description: &str, children: Vec<Code>) -> Code {
        Code { description: description.into(), children, ..Code::new(id, name) }
    }

    #[test]
    fn names_rank_before_descriptions_and_recent_codes_come_first() {
        let mut book = Codebook::empty("t");
        book.codes = vec![
            code("work", "Work", "jobs and a home of one's own", vec![]),
            code("home", "A home", "", vec![code("flat", "Own flat", "", vec![])]),
        ];
        let codes = Codes::of(&book);
        let symbols: Vec<Option<char>> = codes.entries.iter().map(|e| e.symbol).collect();
        assert_eq!(symbols, [Some('a'), Some('b'), Some('c')]);
        let paths = |v: Vec<usize>| v.into_iter().map(|i| codes.entries[i].path.to_string()).collect::<Vec<_>>();
        assert_eq!(paths(codes.filtered("home", &[], None)), ["home", "work", "home/flat"]);
        let recent = [CodePath::parse("home/flat").unwrap()];
        assert_eq!(paths(codes.filtered("", &recent, None)), ["home/flat", "work", "home"]);
        assert_eq!(paths(codes.filtered("OWN", &recent, None)), ["home/flat", "work"]);
        assert_eq!(paths(codes.filtered("", &[], Some(&recent))), ["home/flat"]);
    }
}
