//! Anonymisation check: finds likely identifiers in transcripts (e-mail addresses, phone numbers,
//! national ID-like numbers, exact dates, street addresses, personal names, and names from a
//! project deny-list), with an allow-list for words that only look like identifiers.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

/// Project file of words and phrases never reported (one per line, `#` comments).
pub const ALLOW_FILE: &str = "check-allow.txt";
/// Project file of names always reported, e.g. prisons and towns (one per line).
pub const DENY_FILE: &str = "check-deny.txt";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierKind {
    Email,
    Phone,
    IdNumber,
    Date,
    Address,
    PersonalName,
    DenyListed,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::Email => "e-mail",
            IdentifierKind::Phone => "phone",
            IdentifierKind::IdNumber => "id-number",
            IdentifierKind::Date => "date",
            IdentifierKind::Address => "address",
            IdentifierKind::PersonalName => "personal-name",
            IdentifierKind::DenyListed => "deny-listed",
        })
    }
}

/// One likely identifier: its kind, text, and position as character offsets into the scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: IdentifierKind,
    pub text: String,
    pub start: usize,
    pub end: usize,
}

const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december|\
januari|februari|maart|mei|juni|juli|augustus|oktober|\
janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|\
januar|jänner|februar|märz|maerz|dezember|\
janeiro|fevereiro|março|marco|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro";

/// Common given names in the study's languages (a name is reported only when capitalised).
const FIRST_NAMES: &str = "Adam Adrian Ahmed Alain Alexander Alexandre Alice Amélie Ana Anabela André Andreas Andrea Anja Anna Anne Annick Antoine António Antonio Arnaud Aurélie \
Beatriz Benoît Bernard Bram Bruno Carla Carlos Carolina Catarina Caroline Céline Christian Christophe Claire Claudia Cristina \
Daniel Daniela David Dennis Didier Diogo Dirk Dominique Eduardo Elias Emma Eric Erik Eva Fabian Fabienne Fatima Felix Fernando Filipe Florian Francisco François Frank Frédéric \
Gabriel Geert Gert Gilles Gonçalo Guillaume Hannah Hans Heinz Helena Hendrik Henrique Hugo Inês Isabel Isabelle Jacques Jan Jasper Jean Jens Jeroen Joana Joaquim João Joel Johan Johannes Jonas Jorge José Joseph Julia Julie Julien Jürgen Karim Karin Katrin Kevin Klaus Koen \
Lara Laura Laurent Lea Léa Leonie Lieven Lisa Luc Lucas Luís Luis Lukas Luna Manuel Manon Marc Marcel Marco Margarida Maria Mariana Marie Marina Mario Mário Martin Mathieu Matthias Maxime Mehmet Michael Michel Miguel Mohamed Monika Nadia Nadine Nathalie Nicolas Niels Nina Nuno \
Olivier Pascal Patrick Paula Paulo Pedro Peter Petra Philippe Pieter Pierre Rafael Raquel Ricardo Rita Robert Rui Sabine Samir Sandra Sara Sarah Sebastian Sébastien Sérgio Simon Sofia Sophie Stefan Stefanie Stéphane Susana Sven Teresa Thomas Thierry Tiago Tim Tobias Tom Ursula \
Valérie Vasco Vincent Vítor Wim Wolfgang Yannick Youssef Yves";

fn regex(cell: &'static OnceLock<Regex>, pattern: impl FnOnce() -> String) -> &'static Regex {
    cell.get_or_init(|| Regex::new(&pattern()).expect("built-in pattern compiles"))
}

/// The built-in patterns of the kinds `wanted` says a text could hold, each compiled on first use.
fn patterns(wanted: impl Fn(IdentifierKind) -> bool) -> Vec<(IdentifierKind, &'static Regex)> {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    static PHONE: OnceLock<Regex> = OnceLock::new();
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    static NUMERIC_DATE: OnceLock<Regex> = OnceLock::new();
    static TEXT_DATE: OnceLock<Regex> = OnceLock::new();
    static EN_DATE: OnceLock<Regex> = OnceLock::new();
    static STREET_BEFORE: OnceLock<Regex> = OnceLock::new();
    static STREET_AFTER: OnceLock<Regex> = OnceLock::new();
    static COMPOUND_STREET: OnceLock<Regex> = OnceLock::new();
    static TITLE_NAME: OnceLock<Regex> = OnceLock::new();
    type Pattern = (IdentifierKind, &'static OnceLock<Regex>, fn() -> String);
    let all: [Pattern; 10] = [
        (IdentifierKind::Email, &EMAIL, || r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+".into()),
        (IdentifierKind::Phone, &PHONE, || r"(?:\+|\b00|\b0)\d{1,4}(?:[ ./-]?\(?\d{1,4}\)?){2,6}\b".into()),
        (IdentifierKind::IdNumber, &NUMBER, || r"\b\d(?:[ .-]?\d){8,14}\b".into()),
        (IdentifierKind::Date, &NUMERIC_DATE, || r"\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b".into()),
        (IdentifierKind::Date, &TEXT_DATE, || format!(r"(?i)\b\d{{1,2}}(?:er|\.)?\s+(?:de\s+)?(?:{MONTHS})\b(?:\s+(?:de\s+)?\d{{4}})?")),
        (IdentifierKind::Date, &EN_DATE, || format!(r"(?i)\b(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b")),
        (IdentifierKind::Address, &STREET_BEFORE, || {
            r"(?i)\b\d{1,4}\s*,?\s+(?:rue|avenue|boulevard|chemin|impasse|allée|rua|avenida|travessa|largo|praça)\s+[\p{L}' -]{2,40}".into()
        }),
        (IdentifierKind::Address, &STREET_AFTER, || {
            r"\b(?i:rue|avenue|boulevard|chemin|rua|avenida|travessa)\s+(?:d[aeo]s?\s+|de\s+la\s+|du\s+|des\s+)?\p{Lu}[\p{L}' -]{1,40}?,?\s+\d{1,4}\b"
                .into()
        }),
        (IdentifierKind::Address, &COMPOUND_STREET, || {
            r"\b\p{Lu}\p{Ll}+(?:straat|laan|weg|plein|dreef|steenweg|straße|strasse|gasse|allee|platz|ring| Street| Road| Avenue| Lane)\s+\d{1,4}[a-z]?\b".into()
        }),
        (IdentifierKind::PersonalName, &TITLE_NAME, || {
            r"\b(?:Mr|Mrs|Ms|Dr|Herr|Frau|Monsieur|Madame|Mme|Mlle|Senhor|Senhora|Sr|Sra|Dona|Meneer|Mevrouw|meneer|mevrouw|Doktor|Docteur)\.?\s+\p{Lu}\p{Ll}+(?:\s+\p{Lu}\p{Ll}+)?".into()
        }),
    ];
    all.into_iter().filter(|(kind, _, _)| wanted(*kind)).map(|(kind, cell, pattern)| (kind, regex(cell, pattern))).collect()
}

fn first_names() -> &'static BTreeSet<&'static str> {
    static NAMES: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| FIRST_NAMES.split_whitespace().collect())
}

/// Allow- and deny-lists of a project (missing files are empty lists).
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub allow: BTreeSet<String>,
    pub deny: Vec<String>,
    /// The deny-list as one pattern, compiled on first use.
    denied: OnceLock<Option<Regex>>,
}

fn read_list(path: &Path) -> Result<Vec<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(|l| l.split(" #").next().unwrap_or("").trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

impl Lists {
    pub fn read(project_root: &Path) -> Result<Lists> {
        Ok(Lists {
            allow: read_list(&project_root.join(ALLOW_FILE))?.into_iter().map(|s| s.to_lowercase()).collect(),
            deny: read_list(&project_root.join(DENY_FILE))?,
            denied: OnceLock::new(),
        })
    }

    /// Lists from words to allow and names to deny.
    pub fn new(allow: impl IntoIterator<Item = String>, deny: Vec<String>) -> Lists {
        Lists { allow: allow.into_iter().map(|s| s.to_lowercase()).collect(), deny, denied: OnceLock::new() }
    }

    /// Changes with the lists and with the quire release (whose patterns may differ): derived
    /// state holding what the check flagged records it to know when it is stale.
    pub fn key(&self) -> String {
        let mut h = crate::project::Fnv::new();
        h.write(env!("CARGO_PKG_VERSION").as_bytes());
        for (tag, words) in [(b"allow", self.allow.iter().collect::<Vec<_>>()), (b"deny\0", self.deny.iter().collect())] {
            h.write(tag);
            for w in words {
                h.write(w.as_bytes());
                h.write(b"\n");
            }
        }
        h.hex()
    }

    /// Any deny-listed name as a whole word, ignoring case.
    fn denied(&self) -> Option<&Regex> {
        self.denied
            .get_or_init(|| {
                // Longest first, so at one position the longest name is the one found.
                let mut names: Vec<String> = self.deny.iter().map(|n| regex::escape(n)).collect();
                names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
                (!names.is_empty()).then(|| Regex::new(&format!(r"(?i)\b(?:{})\b", names.join("|"))).ok()).flatten()
            })
            .as_ref()
    }

    fn allowed(&self, text: &str) -> bool {
        let lower = text.to_lowercase();
        self.allow.contains(&lower) || lower.split_whitespace().any(|w| self.allow.contains(w.trim_matches(|c: char| !c.is_alphanumeric())))
    }
}

/// Every likely identifier in `text`, sorted by position; overlapping findings keep the first kind.
pub fn scan(text: &str, lists: &Lists) -> Vec<Finding> {
    let mut found: Vec<(usize, usize, IdentifierKind)> = Vec::new(); // byte offsets
                                                                     // Most patterns need a digit (`\d`, a Unicode decimal digit, is numeric) or an `@`: a text
                                                                     // without one is spared running them.
    let has_digit = text.chars().any(char::is_numeric);
    let has_at = text.contains('@');
    let possible = |kind| match kind {
        IdentifierKind::Email => has_at,
        IdentifierKind::PersonalName => true,
        _ => has_digit,
    };
    for (kind, re) in patterns(possible) {
        for m in re.find_iter(text) {
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            let keep = match kind {
                IdentifierKind::Phone => (8..=15).contains(&digits),
                IdentifierKind::IdNumber => !m.as_str().starts_with('0') && (9..=15).contains(&digits),
                _ => true,
            };
            if keep && !lists.allowed(m.as_str()) {
                found.push((m.start(), m.end(), kind));
            }
        }
    }
    // A given name as a whole word: the names are literals, so only their occurrences are checked.
    static NAME: OnceLock<Regex> = OnceLock::new();
    let name = regex(&NAME, || format!(r"\b(?:{})\b", first_names().iter().map(|n| regex::escape(n)).collect::<Vec<_>>().join("|")));
    for m in name.find_iter(text) {
        if !lists.allowed(m.as_str()) {
            found.push((m.start(), m.end(), IdentifierKind::PersonalName));
        }
    }
    if let Some(denied) = lists.denied() {
        for m in denied.find_iter(text) {
            found.push((m.start(), m.end(), IdentifierKind::DenyListed));
        }
    }
    // Earliest first; at one position the longer match; drop findings inside an earlier one.
    // At one span, the more specific kind wins (a date is not a phone number).
    let rank = |k: &IdentifierKind| match k {
        IdentifierKind::Email => 0,
        IdentifierKind::Date => 1,
        IdentifierKind::Address => 2,
        IdentifierKind::PersonalName => 3,
        IdentifierKind::DenyListed => 4,
        IdentifierKind::IdNumber => 5,
        IdentifierKind::Phone => 6,
    };
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(rank(&a.2).cmp(&rank(&b.2))));
    let mut kept: Vec<(usize, usize, IdentifierKind)> = Vec::new();
    for f in found {
        if kept.last().is_none_or(|k| f.0 >= k.1) {
            kept.push(f);
        }
    }
    kept.into_iter()
        .map(|(s, e, kind)| Finding { kind, text: text[s..e].to_string(), start: text[..s].chars().count(), end: text[..e].chars().count() })
        .collect()
}

/// 1-based line and column (in characters) of a character offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(IdentifierKind, String)> {
        scan(text, &Lists::default()).into_iter().map(|f| (f.kind, f.text)).collect()
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(kinds("Mail me at jan.peeters@example.be please."), [(IdentifierKind::Email, "jan.peeters@example.be".into())]);
        assert_eq!(
            kinds("Bel 0470 12 34 56 of +32 2 555 12 34."),
            [(IdentifierKind::Phone, "0470 12 34 56".into()), (IdentifierKind::Phone, "+32 2 555 12 34".into())]
        );
        assert_eq!(kinds("Rijksregister 85.07.30-033.61 dus."), [(IdentifierKind::IdNumber, "85.07.30-033.61".into())]);
        assert_eq!(
            kinds("Sorti le 12 mars 2018, puis le 03/04/2018."),
            [(IdentifierKind::Date, "12 mars 2018".into()), (IdentifierKind::Date, "03/04/2018".into())]
        );
        assert_eq!(kinds("am 3. März kam ich raus"), [(IdentifierKind::Date, "3. März".into())]);
        assert_eq!(kinds("Ich wohnte in der Lindenstraße 14 damals."), [(IdentifierKind::Address, "Lindenstraße 14".into())]);
        assert_eq!(kinds("Il habite 12 rue des Lilas maintenant"), [(IdentifierKind::Address, "12 rue des Lilas maintenant".into())]);
        assert_eq!(kinds("Moro na Rua das Flores, 23 com a minha mãe."), [(IdentifierKind::Address, "Rua das Flores, 23".into())]);
        assert_eq!(kinds("Toen kwam Sofie niet, wel Koen."), [(IdentifierKind::PersonalName, "Koen".into())]);
        assert_eq!(kinds("Frau Schneider hat mir geholfen."), [(IdentifierKind::PersonalName, "Frau Schneider".into())]);
    }

    #[test]
    fn ordinary_speech_is_not_flagged() {
        for text in [
            "Ich war drei Jahre drin und kam im März raus, nach 5 Monaten.",
            "Ik kreeg 3 dagen methadon mee, 40 mg per dag, voor 2017.",
            "Eine Frau am Schalter hat gesagt, ich soll wiederkommen.",
            "Fiquei na rua durante duas semanas em 2017.",
            "J'ai fait 19 mois, et on m'a donné 800 euros.",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn allow_and_deny_lists() {
        let lists = Lists::new(["koen".to_string()], vec!["Wortel".into(), "Oostende".into()]);
        let found: Vec<IdentifierKind> = scan("Koen zat in Wortel, niet in wortels.", &lists).into_iter().map(|f| f.kind).collect();
        assert_eq!(found, [IdentifierKind::DenyListed]);
        let lists = Lists::new([], vec!["Sint".into(), "Sint-Gillis".into()]);
        let found: Vec<String> = scan("In Sint-Gillis, dan in sint Jacob.", &lists).into_iter().map(|f| f.text).collect();
        assert_eq!(found, ["Sint-Gillis", "sint"], "the longest name at a position");
    }
}
