//! Machine suggestions under review: listing a suggestion coder's codings, and accepting them
//! (they become a person's codings) or rejecting them (`autocode` does not propose them again).

use std::collections::BTreeSet;

use super::kinds::CoderKind;
use super::store::{self, CodingFile, Row};
use super::{now_rfc3339, Coder, Coding};
use crate::codebook::CodePath;
use crate::corpus::{SegmentId, Source, SourceId};
use crate::error::{Error, Result};
use crate::project::txn::Transaction;
use crate::project::Project;

/// Which suggestions a command takes: AND across the kinds of filter, OR within one; an empty
/// selection takes every suggestion.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Codes (a suggestion of a code below one counts).
    pub codes: Vec<CodePath>,
    pub sources: BTreeSet<SourceId>,
    /// Segments, as character spans of their sources (a suggestion overlapping one counts).
    pub segments: Vec<(SourceId, usize, usize)>,
}

impl Selection {
    /// The spans of `segments`, checked against the project's sources.
    pub fn segments_of(sources: &[Source], segments: &[SegmentId]) -> Result<Vec<(SourceId, usize, usize)>> {
        segments
            .iter()
            .map(|id| {
                let source = sources.iter().find(|s| s.id == id.source).ok_or_else(|| Error::UnknownSource(id.source.to_string()))?;
                let segment = source
                    .segments
                    .get(id.number.wrapping_sub(1))
                    .ok_or_else(|| Error::Usage(format!("`{id}`: {} has {} segment(s)", id.source, source.segments.len())))?;
                Ok((id.source.clone(), segment.start, segment.end))
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.sources.is_empty() && self.segments.is_empty()
    }

    pub fn matches(&self, c: &Coding) -> bool {
        let code = self.codes.is_empty() || self.codes.iter().any(|p| c.code.starts_with(p));
        let source = self.sources.is_empty() || self.sources.contains(&c.source);
        let segment = self.segments.is_empty() || self.segments.iter().any(|(s, a, b)| *s == c.source && c.overlaps(*a, *b));
        code && source && segment
    }
}

/// The suggestion coders with codings (kinds from the manifest), in name order.
pub fn suggesters(project: &Project) -> Result<Vec<Coder>> {
    Ok(store::coders(project)?.into_iter().filter(|c| project.manifest.coders.kind(c) == CoderKind::Suggestion).collect())
}

/// Every pending suggestion `selection` takes, suggester after suggester, sorted.
pub fn list(project: &Project, selection: &Selection) -> Result<Vec<Coding>> {
    let mut found = Vec::new();
    for coder in suggesters(project)? {
        found.extend(store::read(&store::path(project, &coder, CodingFile::Anchored))?.into_iter().filter(|c| selection.matches(c)));
    }
    Ok(found)
}

/// What a review decided (or, in a dry run, would decide).
#[derive(Debug, Default)]
pub struct Decided {
    /// The suggestions taken, as they were.
    pub taken: Vec<Coding>,
    /// Accepting: how many became new codings of the accepting coder (the others it had already).
    pub added: usize,
}

/// Accepts the suggestions `selection` takes as codings of `to` (made now), removing them from
/// the suggestions, in one transaction; with `dry_run`, writes nothing. The caller holds the
/// project's lock.
pub fn accept(project: &Project, selection: &Selection, to: &Coder, dry_run: bool) -> Result<Decided> {
    let kind = project.manifest.coders.kind(to);
    if kind != CoderKind::Analysis {
        return Err(Error::Refused {
            location: None,
            message: format!(
                "`{to}` is not an analysis coder (kind: {kind}): suggestions are accepted as an analysis coder's codings (pass --coder NAME)"
            ),
        });
    }
    let mut tx = Transaction::new(project);
    let taken = take(project, &mut tx, selection, None)?;
    let created = now_rfc3339();
    let rows: Vec<Row<'_>> = taken.iter().map(|c| Row { coder: to, created: &created, origin: None, ..Row::of(c) }).collect();
    let added = store::stage_merged(&mut tx, project, to, rows)?;
    if !dry_run {
        tx.commit()?;
    }
    Ok(Decided { taken, added })
}

/// Rejects the suggestions `selection` takes: they leave the suggestions and are remembered, so
/// `autocode` does not propose them again. In one transaction; with `dry_run`, writes nothing.
pub fn reject(project: &Project, selection: &Selection, dry_run: bool) -> Result<Decided> {
    let mut tx = Transaction::new(project);
    let taken = take(project, &mut tx, selection, Some(CodingFile::Rejected))?;
    if !dry_run {
        tx.commit()?;
    }
    Ok(Decided { taken, added: 0 })
}

/// Stages each suggester's file without the suggestions `selection` takes (and, with `keep`,
/// their addition to that file of the suggester); returns them.
fn take(project: &Project, tx: &mut Transaction<'_>, selection: &Selection, keep: Option<CodingFile>) -> Result<Vec<Coding>> {
    let mut taken = Vec::new();
    for coder in suggesters(project)? {
        let (mut chosen, mut rest): (Vec<Coding>, Vec<Coding>) =
            store::read(&store::path(project, &coder, CodingFile::Anchored))?.into_iter().partition(|c| selection.matches(c));
        if chosen.is_empty() {
            continue;
        }
        store::stage(tx, project, &coder, CodingFile::Anchored, &mut rest);
        if let Some(kind) = keep {
            let mut kept = store::read(&store::path(project, &coder, kind))?;
            kept.extend(chosen.iter().cloned());
            store::stage(tx, project, &coder, kind, &mut kept);
        }
        taken.append(&mut chosen);
    }
    Ok(taken)
}

/// Stages the removal, from every suggester's file, of the suggestions `codings` (an analysis
/// coder's, as a sheet import leaves them) now hold: a person accepted them in the sheet. Returns
/// how many.
pub fn stage_accepted(project: &Project, tx: &mut Transaction<'_>, codings: &[Coding]) -> Result<usize> {
    let held: BTreeSet<(&SourceId, usize, usize, &CodePath)> = codings.iter().map(|c| (&c.source, c.start, c.end, &c.code)).collect();
    let mut accepted = 0;
    for coder in suggesters(project)? {
        let all = store::read(&store::path(project, &coder, CodingFile::Anchored))?;
        let before = all.len();
        let mut rest: Vec<Coding> = all.into_iter().filter(|c| !held.contains(&(&c.source, c.start, c.end, &c.code))).collect();
        if rest.len() < before {
            accepted += before - rest.len();
            store::stage(tx, project, &coder, CodingFile::Anchored, &mut rest);
        }
    }
    Ok(accepted)
}

/// The (source, start, end, code) of every coding `autocode` must not propose again for `coder`:
/// its rejected suggestions, and what any other coder already coded.
pub fn decided(project: &Project, coder: &Coder) -> Result<BTreeSet<(SourceId, usize, usize, CodePath)>> {
    let mut seen: BTreeSet<_> =
        store::read(&store::path(project, coder, CodingFile::Rejected))?.into_iter().map(|c| (c.source, c.start, c.end, c.code)).collect();
    for c in store::read_all(project)? {
        if c.coder != *coder {
            seen.insert((c.source, c.start, c.end, c.code));
        }
    }
    Ok(seen)
}
