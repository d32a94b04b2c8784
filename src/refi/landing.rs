//! Choosing the position units of an import by how selections land: when many selections of a
//! file miss their text in the units detected from its producer, the other units are tried; one
//! that lands them all is used (and said), a clearly better one is suggested in a refusal.
//!
//! Units only differ on texts with CR (CRLF counted 1 or 2) or characters outside the Basic
//! Multilingual Plane (1 or 2 UTF-16 units), so files without either are never re-read.

use std::path::Path;

use super::model::{QdeProject, TextSource};
use super::positions::{Miss, TextMap, Units};
use crate::error::{Error, Location, Result};

/// Units tried, in order of preference when several land every selection.
pub const ALL: [Units; 3] = [Units::CodePoints, Units::CodePointsCrlfAsOne, Units::Utf16];

/// How many selections of a file fail to land when read in `units`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub units: Units,
    /// Selections outside their text, splitting a character, or cutting a word.
    pub fails: usize,
    pub selections: usize,
}

/// What to do about the units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Read as planned.
    Keep,
    /// Read in other units, which land every selection; `before` is the planned units' tally.
    Switch { to: Units, before: Tally },
    /// Neither the planned units nor any other land them all, but `better` lands clearly more.
    Suggest { before: Tally, better: Tally },
}

/// The `--positions` value that names `units`.
pub fn flag(units: Units) -> String {
    clap::ValueEnum::to_possible_value(&units).map(|v| v.get_name().to_string()).unwrap_or_default()
}

/// Is this a failure to land that other units could explain?
fn fails(landed: Option<Miss>) -> bool {
    matches!(landed, Some(Miss::SplitsCharacter | Miss::TextChanged | Miss::CutsWord))
}

/// Counts the selections of `sources` (with their texts, BOM removed) that fail in `units`.
pub fn tally(sources: &[TextSource], texts: &[&str], units: Units) -> Tally {
    let mut t = Tally { units, fails: 0, selections: 0 };
    for (source, text) in sources.iter().zip(texts) {
        if source.selections.is_empty() {
            continue;
        }
        let map = TextMap::new(text, units);
        for sel in &source.selections {
            t.selections += 1;
            match map.land(sel.start, sel.end) {
                None => t.fails += 1,
                Some(l) if fails(l.problem) => t.fails += 1,
                Some(_) => {}
            }
        }
    }
    t
}

/// Decides the units of an import planned in `planned`. Many fails: at least one selection in
/// ten (and at least one).
pub fn choose(sources: &[TextSource], texts: &[&str], planned: Units) -> Choice {
    let differ = texts.iter().any(|t| t.chars().any(|c| c == '\r' || c.len_utf16() == 2));
    if !differ {
        return Choice::Keep;
    }
    let before = tally(sources, texts, planned);
    if before.fails == 0 || before.fails * 10 < before.selections {
        return Choice::Keep;
    }
    let others: Vec<Tally> = ALL.iter().filter(|u| **u != planned).map(|u| tally(sources, texts, *u)).collect();
    if let Some(all) = others.iter().find(|t| t.fails == 0) {
        return Choice::Switch { to: all.units, before };
    }
    match others.into_iter().min_by_key(|t| t.fails) {
        Some(better) if better.fails * 2 < before.fails => Choice::Suggest { before, better },
        _ => Choice::Keep,
    }
}

/// The units to read positions in: as planned, or others that land every selection when many
/// miss in the planned ones (only when the units were detected, not told); refused with the
/// `--positions` value to use when another unit lands clearly more without landing them all.
/// `texts` are the sources' texts without BOM; `told`: the units were given, not detected.
/// Returns the units and, when they were switched, the planned units' tally.
pub fn decide(
    qde_path: &Path,
    project: &QdeProject,
    texts: &[&str],
    planned: Units,
    told: bool,
    warnings: &mut Vec<String>,
) -> Result<(Units, Option<Tally>)> {
    let origin = project.origin.as_deref().unwrap_or("none");
    match choose(&project.sources, texts, planned) {
        Choice::Keep => Ok((planned, None)),
        Choice::Switch { to, before } if told => {
            warnings.push(format!(
                "{} of {} selections do not land on their text as told ({planned}); read as {to} (--positions {}), all of them land",
                before.fails,
                before.selections,
                flag(to)
            ));
            Ok((planned, None))
        }
        Choice::Switch { to, before } => Ok((to, Some(before))),
        Choice::Suggest { before, better } if told => {
            warnings.push(format!(
                "{} of {} selections do not land on their text as told ({planned}); read as {} (--positions {}), {} do not",
                before.fails,
                before.selections,
                better.units,
                flag(better.units),
                better.fails
            ));
            Ok((planned, None))
        }
        Choice::Suggest { before, better } => Err(Error::invalid(
            Location::file(qde_path),
            format!(
                "{} of {} selections do not land on their text when positions are read as {planned} (detected from origin `{origin}`); \
read as {}, {} do not: pass --positions {} to import them so, or --positions {} to import as detected",
                before.fails,
                before.selections,
                better.units,
                better.fails,
                flag(better.units),
                flag(planned)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refi::model::{PlainText, Selection};

    fn source(selections: &[(i64, i64)]) -> TextSource {
        TextSource {
            guid: "s".into(),
            name: None,
            description: None,
            text: PlainText::Missing,
            selections: selections
                .iter()
                .map(|(start, end)| Selection {
                    guid: "x".into(),
                    start: *start,
                    end: *end,
                    creating_user: None,
                    created: None,
                    codings: vec![],
                    line: 1,
                })
                .collect(),
            values: vec![],
            line: 1,
        }
    }

    #[test]
    fn crlf_counted_once_is_found_and_texts_without_cr_or_astral_characters_are_not_reread() {
        let text = "Alpha bravo charlie.\r\nDelta echo foxtrot.\r\nGolf hotel india.\r\n";
        // "Alpha", "Delta", "Golf" counted with CRLF = 1.
        let sources = [source(&[(0, 5), (21, 26), (41, 45)])];
        let before = Tally { units: Units::CodePoints, fails: 2, selections: 3 };
        assert_eq!(tally(&sources, &[text], Units::CodePoints), before);
        assert_eq!(choose(&sources, &[text], Units::CodePoints), Choice::Switch { to: Units::CodePointsCrlfAsOne, before });
        assert_eq!(choose(&sources, &[text], Units::CodePointsCrlfAsOne), Choice::Keep);
        // The same text with LF only: every unit reads it alike, whatever lands.
        let lf = text.replace("\r\n", "\n");
        assert_eq!(choose(&[source(&[(2, 4)])], &[lf.as_str()], Units::CodePoints), Choice::Keep);
        assert_eq!(flag(Units::CodePointsCrlfAsOne), "code-points-crlf-as-one");
    }
}
