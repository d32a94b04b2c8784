//! Applying and removing codings of a target (`quire code`, `quire uncode` and the terminal
//! coder all go through here): one transactional write of the coder's file, recorded in the
//! project's history. The caller holds the project's lock.

use super::store::{self, CodingFile};
use super::{now_rfc3339, slice, Coder, Coding, Target};
use crate::codebook::{CodePath, Codebook};
use crate::corpus::Source;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::targets::Codable;

/// What a `code` did.
#[derive(Debug)]
pub struct Coded {
    pub source: Source,
    pub coder: Coder,
    /// The spans coded (a segment range gives one per respondent segment).
    pub spans: Vec<(usize, usize)>,
    /// Interviewer paragraphs of a range that were skipped.
    pub skipped: usize,
    /// A span widened to whole words: (asked, coded).
    pub snapped: Option<((usize, usize), (usize, usize))>,
    /// New codings written.
    pub added: usize,
    /// Codings asked for that the coder already had.
    pub already: usize,
}

fn resolve_all(codebook: &Codebook, codes: &[String], codable: bool) -> Result<Vec<CodePath>> {
    codes.iter().map(|c| if codable { codebook.resolve_codable(c) } else { codebook.resolve(c) }).collect()
}

/// What `code` and `uncode` both need.
struct Edit {
    codes: Vec<CodePath>,
    source: Source,
    /// For `code`, the respondent text of the target; for `uncode`, all of it.
    target: Codable,
    coder: Coder,
    codings: Vec<Coding>,
}

/// `codable`: the codes are to be applied (a folder is refused); `uncode` may name any code.
fn prepare(project: &Project, target: &Target, codes: &[String], coder: Option<Coder>, codable: bool) -> Result<Edit> {
    let codebook = Codebook::load(&project.codebook_path())?;
    let codes = resolve_all(&codebook, codes, codable)?;
    let source = project.load_source(target.source())?;
    let target = if codable {
        crate::targets::codable(&source, &project.source_path(&source.id), target)?
    } else {
        Codable { spans: target.spans(&source)?, skipped: 0, snapped: None }
    };
    let coder = coder.unwrap_or_else(|| project.manifest.coder.clone());
    let codings = store::read(&store::path(project, &coder, CodingFile::Anchored))?;
    Ok(Edit { codes, source, target, coder, codings })
}

/// Codes the respondent text of `target` with `codes` (by path or unique suffix) as `coder`
/// (default: the project's coder).
pub fn code(project: &Project, target: &Target, codes: &[String], coder: Option<Coder>) -> Result<Coded> {
    let Edit { codes, source, target, coder, mut codings } = prepare(project, target, codes, coder, true)?;
    let before = codings.len();
    let created = now_rfc3339();
    for (start, end) in &target.spans {
        for code in &codes {
            codings.push(Coding {
                source: source.id.clone(),
                start: *start,
                end: *end,
                code: code.clone(),
                coder: coder.clone(),
                created: created.clone(),
                origin: None,
                text: slice(&source.body, *start, *end),
            });
        }
    }
    store::write(project, &coder, CodingFile::Anchored, &mut codings)?;
    let added = codings.len() - before;
    let already = target.spans.len() * codes.len() - added;
    Ok(Coded { source, coder, spans: target.spans, skipped: target.skipped, snapped: target.snapped, added, already })
}

/// Removes the codings of `coder` inside `target` (of the codes named, or every code); returns
/// the coder and how many were removed. Refused as a usage error when none matches.
pub fn uncode(project: &Project, target: &Target, codes: &[String], coder: Option<Coder>) -> Result<(Coder, usize)> {
    let Edit { codes, source, target: codable, coder, mut codings } = prepare(project, target, codes, coder, false)?;
    let spans = codable.spans;
    let before = codings.len();
    codings.retain(|c| {
        let inside = c.source == source.id && spans.iter().any(|(s, e)| c.start >= *s && c.end <= *e);
        let named = codes.is_empty() || codes.contains(&c.code);
        !(inside && named)
    });
    let removed = before - codings.len();
    if removed == 0 {
        return Err(Error::Usage(format!("no coding of {coder} matches {} in the given codes", describe(target))));
    }
    store::write(project, &coder, CodingFile::Anchored, &mut codings)?;
    Ok((coder, removed))
}

/// A target as the command line writes it.
pub fn describe(target: &Target) -> String {
    match target {
        Target::Segment(id) => id.to_string(),
        Target::Segments { source, first, last } => format!("{source}:{first}-{last}"),
        Target::Span { source, start, end } => format!("{source}@{start}..{end}"),
    }
}
