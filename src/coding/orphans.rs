//! Orphaned codings (`codings/<coder>.orphaned.csv`, written by `ingest --replace` and
//! `verify --repair`): listing them with the best place for each in its source's current text
//! ([`super::similar`]), and re-attaching them there (or where a person says), in one
//! transaction that moves them from the orphan file to the coder's codings.

use std::collections::BTreeMap;

use super::similar::{self, Candidate};
use super::store::{self, CodingFile};
use super::{slice, Coder, Coding, Target};
use crate::corpus::{Source, SourceId};
use crate::error::{Error, Result};
use crate::project::txn::Transaction;
use crate::project::Project;

/// One orphan: its number (over every coder's orphans, coder by coder in file order), its coding
/// as it was, and the best place for it now (`None` if its source is gone or has no respondent
/// text).
#[derive(Debug, Clone)]
pub struct Orphan {
    pub number: usize,
    pub coding: Coding,
    pub best: Option<Candidate>,
    /// Its row among its coder's orphans (0-based, file order).
    row: usize,
}

/// Which orphans: one coder's, one source's (both when both are given).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub coder: Option<Coder>,
    pub source: Option<SourceId>,
}

impl Filter {
    fn takes(&self, c: &Coding) -> bool {
        self.coder.as_ref().is_none_or(|k| *k == c.coder) && self.source.as_ref().is_none_or(|s| *s == c.source)
    }
}

/// Every orphan `filter` takes, numbered over all orphans, with its best candidate. Refuses a
/// project whose sources were edited outside quire (offsets would be wrong).
pub fn list(project: &Project, filter: &Filter) -> Result<Vec<Orphan>> {
    use rayon::prelude::*;
    crate::edits::check(project, &project.fingerprint()?)?;
    let mut taken: Vec<Orphan> = list_plain(project)?.into_iter().filter(|o| filter.takes(&o.coding)).collect();
    let mut sources: BTreeMap<SourceId, Option<Source>> = BTreeMap::new();
    for o in &taken {
        if !sources.contains_key(&o.coding.source) {
            let source = match project.load_source(&o.coding.source) {
                Ok(s) => Some(s),
                Err(Error::UnknownSource(_)) => None,
                Err(e) => return Err(e),
            };
            sources.insert(o.coding.source.clone(), source);
        }
    }
    taken.par_iter_mut().for_each(|o| {
        if let Some(source) = &sources[&o.coding.source] {
            o.best = similar::best(source, &o.coding.text, o.coding.start);
        }
    });
    Ok(taken)
}

/// One orphan placed: the orphan as it was, and its coding at the new place.
#[derive(Debug, Clone)]
pub struct Placed {
    pub orphan: Orphan,
    pub coding: Coding,
    pub score: f64,
    /// The place as given, when it was widened to whole words (`attach --at`).
    pub widened_from: Option<(usize, usize)>,
}

/// What an attach did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Attached {
    pub placed: Vec<Placed>,
    /// Orphans left, best score below the threshold (or no candidate at all).
    pub kept: Vec<Orphan>,
    /// Placed codings the coder already had at that place with that code (the orphan is dropped).
    pub already: usize,
}

/// Re-attaches every orphan `filter` takes whose best candidate scores at least `min`; the
/// others stay. With `dry_run`, writes nothing. The caller holds the project's lock.
pub fn attach(project: &Project, filter: &Filter, min: f64, dry_run: bool) -> Result<Attached> {
    let mut attached = Attached::default();
    for orphan in list(project, filter)? {
        match orphan.best.clone().filter(|b| b.score >= min) {
            Some(best) => {
                let coding = Coding { start: best.start, end: best.end, text: best.text, ..orphan.coding.clone() };
                attached.placed.push(Placed { orphan, coding, score: best.score, widened_from: None });
            }
            None => attached.kept.push(orphan),
        }
    }
    attached.already = write(project, &attached.placed, dry_run)?;
    Ok(attached)
}

/// Re-attaches orphan `number` at the span `target` names (checked as `quire code` checks a
/// span: respondent text of one turn, widened to whole words). The caller holds the lock.
pub fn attach_at(project: &Project, number: usize, target: &Target, dry_run: bool) -> Result<Attached> {
    let Target::Span { source: id, .. } = target else {
        return Err(Error::Usage("--at takes a character span, SOURCE@START..END".into()));
    };
    crate::edits::check(project, &project.fingerprint()?)?;
    let all = list_plain(project)?;
    let count = all.len();
    let orphan = all
        .into_iter()
        .find(|o| o.number == number)
        .ok_or_else(|| Error::Usage(format!("there is no orphan {number} ({count} orphan(s); `quire orphans list` numbers them)")))?;
    let source = project.load_source(id)?;
    let codable = crate::targets::codable(&source, &project.source_path(id), target)?;
    let (start, end) = codable.spans[0];
    let text = slice(&source.body, start, end);
    let score = similar::similarity(&orphan.coding.text, &text);
    let coding = Coding { source: id.clone(), start, end, text, ..orphan.coding.clone() };
    let widened_from = codable.snapped.map(|(given, _)| given);
    let placed = vec![Placed { orphan, coding, score, widened_from }];
    let already = write(project, &placed, dry_run)?;
    Ok(Attached { placed, kept: Vec::new(), already })
}

/// Every orphan, numbered, without looking for candidates.
fn list_plain(project: &Project) -> Result<Vec<Orphan>> {
    let mut all = Vec::new();
    for coder in store::coders(project)? {
        for (row, coding) in store::read(&store::path(project, &coder, CodingFile::Orphaned))?.into_iter().enumerate() {
            all.push(Orphan { number: all.len() + 1, coding, best: None, row });
        }
    }
    Ok(all)
}

/// Moves the placed orphans from their coders' orphan files to their codings, in one
/// transaction (nothing with `dry_run`). Returns how many were already coded there.
fn write(project: &Project, placed: &[Placed], dry_run: bool) -> Result<usize> {
    let mut by_coder: BTreeMap<&Coder, Vec<&Placed>> = BTreeMap::new();
    for p in placed {
        by_coder.entry(&p.coding.coder).or_default().push(p);
    }
    let mut tx = Transaction::new(project);
    let mut already = 0;
    for (coder, placed) in by_coder {
        let mut codings = store::read(&store::path(project, coder, CodingFile::Anchored))?;
        store::normalise(&mut codings);
        let before = codings.len();
        codings.extend(placed.iter().map(|p| p.coding.clone()));
        store::normalise(&mut codings);
        already += before + placed.len() - codings.len();
        let mut orphans: Vec<Coding> = store::read(&store::path(project, coder, CodingFile::Orphaned))?
            .into_iter()
            .enumerate()
            .filter(|(row, _)| !placed.iter().any(|p| p.orphan.row == *row))
            .map(|(_, c)| c)
            .collect();
        store::stage(&mut tx, project, coder, CodingFile::Anchored, &mut codings);
        store::stage(&mut tx, project, coder, CodingFile::Orphaned, &mut orphans);
    }
    if !dry_run {
        tx.commit()?;
    }
    Ok(already)
}
