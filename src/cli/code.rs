//! `quire code` and `quire uncode`: add or remove codings of segments, segment ranges or spans.

use super::Ctx;
use crate::coding::apply::{self, describe};
use crate::coding::{slice, Coder, Target};
use crate::error::{Error, Result};
use crate::project::Project;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SOURCE:N (a respondent segment, numbered as `quire show` prints them), SOURCE:N-M (each
    /// respondent segment of a range; interviewer paragraphs are skipped and counted) or
    /// SOURCE@START..END (characters within one speaker's turn; a span that starts or ends inside
    /// a word is widened to whole words, with a note). Interviewer text is never coded.
    #[arg(requires = "codes")]
    pub target: Option<Target>,
    /// Codes, by path or unique suffix.
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

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let Some(target) = args.target else {
        if !super::tui::on_terminal() {
            return Err(Error::Usage(
                "`quire code` needs a target and codes (SOURCE:N CODE...); with neither, on a terminal, it opens the coder".into(),
            ));
        }
        return super::tui::run(super::tui::Args { coder: args.coder }, ctx);
    };
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let done = apply::code(&project, &target, &args.codes, args.coder)?;
    if let Some(((a, b), (c, d))) = done.snapped {
        let id = &done.source.id;
        ctx.note(format_args!("note: {id}@{a}..{b} widened to whole words of respondent text: {id}@{c}..{d} \"{}\"", slice(&done.source.body, c, d)));
    }
    if done.skipped > 0 {
        ctx.note(format_args!("skipped {} interviewer paragraph(s) of {}: only respondent text is coded", done.skipped, describe(&target)));
    }
    let (added, already, coder) = (done.added, done.already, &done.coder);
    ctx.note(format_args!("{added} coding(s) added for {coder}{}", if already > 0 { format!(", {already} already there") } else { String::new() }));
    Ok(())
}

pub fn run_uncode(args: UncodeArgs, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let (coder, removed) = apply::uncode(&project, &args.target, &args.codes, args.coder)?;
    ctx.note(format_args!("{removed} coding(s) removed for {coder}"));
    Ok(())
}
