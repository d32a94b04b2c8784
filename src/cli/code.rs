//! `quire code` and `quire uncode`: add or remove codings of segments, segment ranges or spans.

use super::Ctx;
use crate::codebook::{CodePath, Codebook};
use crate::coding::store::{self, CodingFile};
use crate::coding::{now_rfc3339, slice, Coder, Coding, Target};
use crate::corpus::Source;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::targets::Codable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SOURCE:N (a respondent segment, numbered as `quire show` prints them), SOURCE:N-M (each
    /// respondent segment of a range; interviewer paragraphs are skipped and counted) or
    /// SOURCE@START..END (characters within one speaker's turn; a span that starts or ends inside
    /// a word is widened to whole words, with a note). Interviewer text is never coded.
    pub target: Target,
    /// Codes, by path or unique suffix.
    #[arg(required = true)]
    pub codes: Vec<String>,
    /// Coder (default: the project's coder).
    #[arg(long)]
    pub coder: Option<Coder>,
}

#[derive(Debug, clap::Args)]
pub struct UncodeArgs {
    pub target: Target,
    /// Codes to remove (default: every code of this coder inside the target).
    pub codes: Vec<String>,
    #[arg(long)]
    pub coder: Option<Coder>,
}

/// The coder a command was given, else the project's default.
pub fn coder_or_default(project: &Project, coder: Option<Coder>) -> Result<Coder> {
    match coder {
        Some(c) => Ok(c),
        None => Ok(project.manifest.coder.clone()),
    }
}

fn resolve_all(codebook: &Codebook, codes: &[String], codable: bool) -> Result<Vec<CodePath>> {
    codes.iter().map(|c| if codable { codebook.resolve_codable(c) } else { codebook.resolve(c) }).collect()
}

/// What `code` and `uncode` both need, read under the project's lock.
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
    let coder = coder_or_default(project, coder)?;
    let codings = store::read(&store::path(project, &coder, CodingFile::Anchored))?;
    Ok(Edit { codes, source, target, coder, codings })
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let Edit { codes, source, target, coder, mut codings } = prepare(&project, &args.target, &args.codes, args.coder, true)?;
    let spans = target.spans;
    let before = codings.len();
    let created = now_rfc3339();
    for (start, end) in &spans {
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
    store::write(&project, &coder, CodingFile::Anchored, &mut codings)?;
    if let Some(((a, b), (c, d))) = target.snapped {
        let id = &source.id;
        ctx.note(format_args!("note: {id}@{a}..{b} widened to whole words of respondent text: {id}@{c}..{d} \"{}\"", slice(&source.body, c, d)));
    }
    if target.skipped > 0 {
        ctx.note(format_args!("skipped {} interviewer paragraph(s) of {}: only respondent text is coded", target.skipped, describe(&args.target)));
    }
    let added = codings.len() - before;
    let already = spans.len() * codes.len() - added;
    ctx.note(format_args!("{added} coding(s) added for {coder}{}", if already > 0 { format!(", {already} already there") } else { String::new() }));
    Ok(())
}

pub fn run_uncode(args: UncodeArgs, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let Edit { codes, source, target, coder, mut codings } = prepare(&project, &args.target, &args.codes, args.coder, false)?;
    let spans = target.spans;
    let before = codings.len();
    codings.retain(|c| {
        let inside = c.source == source.id && spans.iter().any(|(s, e)| c.start >= *s && c.end <= *e);
        let named = codes.is_empty() || codes.contains(&c.code);
        !(inside && named)
    });
    let removed = before - codings.len();
    if removed == 0 {
        return Err(Error::Usage(format!("no coding of {coder} matches {} in the given codes", describe(&args.target))));
    }
    store::write(&project, &coder, CodingFile::Anchored, &mut codings)?;
    ctx.note(format_args!("{removed} coding(s) removed for {coder}"));
    Ok(())
}

fn describe(target: &Target) -> String {
    match target {
        Target::Segment(id) => id.to_string(),
        Target::Segments { source, first, last } => format!("{source}:{first}-{last}"),
        Target::Span { source, start, end } => format!("{source}@{start}..{end}"),
    }
}
