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
    /// description), recent codes first (most recent first), then the rest in tree order. With
    /// `only`, just those codes.
    pub fn filtered(&self, filter: &str, recent: &[CodePath], only: Option<&[CodePath]>) -> Vec<usize> {
        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let matches = |e: &Entry| {
            let hay = format!("{} {} {}", e.path, e.name, e.description).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str())) && only.is_none_or(|o| o.contains(&e.path))
        };
        let mut out: Vec<usize> = Vec::new();
        for code in recent.iter().rev() {
            if let Some(i) = self.entries.iter().position(|e| &e.path == code && e.codable && matches(e)) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        for (i, e) in self.entries.iter().enumerate() {
            if matches(e) && !out.contains(&i) && (e.codable || words.is_empty() && only.is_none()) {
                out.push(i);
            }
        }
        out
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
