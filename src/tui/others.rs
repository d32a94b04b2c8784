//! Another coder's codings beside the current coder's (for the consensus meeting): `o` shows
//! the next coder (then none again), `]`/`[` jump to the next/previous respondent segment where
//! the two coded different codes.

use std::collections::BTreeSet;

use super::app::{App, Effect};
use crate::codebook::CodePath;
use crate::coding::kinds::CoderKind;
use crate::coding::{store, Coder, Coding};
use crate::error::Result;
use crate::project::Project;

impl App {
    /// The coders whose codings can be shown beside the current one's: every coder with codings
    /// but the current one and suggestion coders.
    pub fn other_coders(project: &Project, me: &Coder) -> Result<Vec<Coder>> {
        Ok(store::coders(project)?.into_iter().filter(|c| c != me && project.manifest.coders.kind(c) != CoderKind::Suggestion).collect())
    }

    /// Shows the next other coder (after the last, none).
    pub fn toggle_other(&mut self) -> Effect {
        self.other = match self.other {
            None if !self.others.is_empty() => Some(0),
            Some(i) if i + 1 < self.others.len() => Some(i + 1),
            _ => None,
        };
        self.status = match self.shown_other() {
            Some(c) => format!("{c}'s codings beside yours: ] / [ for the next / previous disagreement"),
            None if self.others.is_empty() => "no other coder has codings".into(),
            None => "only your codings".into(),
        };
        Effect::Reload
    }

    pub fn shown_other(&self) -> Option<&Coder> {
        self.other.and_then(|i| self.others.get(i))
    }

    /// Reads the shown other coder's codings of the current source (none when none is shown).
    pub fn reload_other(&mut self, project: &Project) -> Result<()> {
        self.other_codings.clear();
        let (Some(coder), Some(source)) = (self.shown_other(), self.current()) else { return Ok(()) };
        let id = source.id.clone();
        self.other_codings = store::read(&store::path(project, coder, store::CodingFile::Anchored))?.into_iter().filter(|c| c.source == id).collect();
        Ok(())
    }

    fn codes_on(&self, list: &[Coding], i: usize) -> BTreeSet<CodePath> {
        self.on_segment(list, i).into_iter().map(|c| c.code.clone()).collect()
    }

    /// Do the current and the shown other coder code segment `i` differently?
    pub fn disagrees(&self, i: usize) -> bool {
        self.other.is_some() && self.codes_on(&self.codings, i) != self.codes_on(&self.other_codings, i)
    }

    /// Moves to the next (`step` 1) or previous (-1) respondent segment of a disagreement.
    pub fn next_disagreement(&mut self, step: isize) -> Effect {
        let Some(other) = self.shown_other().cloned() else {
            self.status = "no other coder shown: o shows one".into();
            return Effect::None;
        };
        let Some(source) = self.current() else { return Effect::None };
        let respondent = |i: usize| source.speaker_of(&source.segments[i]).respondent().is_some();
        let mut i = self.segment as isize + step;
        while i >= 0 && (i as usize) < source.segments.len() {
            if respondent(i as usize) && self.disagrees(i as usize) {
                self.segment = i as usize;
                self.status = format!("disagreement with {other}");
                return Effect::None;
            }
            i += step;
        }
        self.status = format!("no further disagreement with {other} in {}", source.id);
        Effect::None
    }
}
