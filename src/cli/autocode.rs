//! `quire autocode`: apply each code's rule for a segment's language to every respondent segment.

use super::Ctx;
use crate::codebook::{CodePath, Codebook};
use crate::coding::autocode::{propose, Proposals};
use crate::coding::Coder;
use crate::error::{Error, Result};
use crate::output::{Format, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these codes and their descendants (repeatable; default: every code with rules).
    #[arg(long = "code", value_name = "PATH")]
    pub codes: Vec<String>,
    /// Print what would be coded, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Suggestion coder the proposals are recorded under (recorded as kind `suggestion`).
    #[arg(long, default_value = "auto")]
    pub coder: Coder,
    /// Output of --dry-run.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let only: Vec<CodePath> = args.codes.iter().map(|c| codebook.resolve(c)).collect::<Result<_>>()?;
    let wanted = |v: &crate::codebook::Visit<'_>| only.is_empty() || only.iter().any(|o| v.path.starts_with(o));
    for v in codebook.walk().iter().filter(|v| wanted(v) && !v.code.codable && !v.code.rules.is_empty()) {
        ctx.note(format_args!("skipped the rules of `{}`: it is a folder (groups codes, cannot be applied)", v.path));
    }
    if !only.is_empty() && !codebook.walk().iter().any(|v| wanted(v) && v.code.codable && !v.code.rules.is_empty()) {
        return Err(Error::Usage("none of the given codes (or their descendants) has a rule".into()));
    }
    let sources = project.load_sources()?;
    let proposals = propose(&codebook, &sources, &only, ctx.progress);
    if args.dry_run {
        let mut table = Table::new(["segment", "code", "citation", "text"]);
        for found in &proposals.found {
            let (source, segment) = Proposals::segment(&sources, found);
            let citation = source.speaker_of(segment).respondent().map(|r| r.citation()).unwrap_or_default();
            let code = &proposals.codes[found.2 as usize];
            table.push(vec![segment.id.to_string(), code.to_string(), citation, crate::output::one_line(&segment.text)]);
        }
        table.write(args.format, ctx.out)?;
        ctx.note(format_args!("{} coding(s) proposed (dry run: nothing written)", proposals.found.len()));
        return Ok(());
    }
    let recorded = proposals.record(&project, &sources, &args.coder)?;
    let matched = proposals.found.len();
    let already = matched - recorded.added - recorded.left_out;
    ctx.note(format_args!(
        "{matched} segment-code match(es); {} new suggestion(s) of {}, {already} already suggested, {} rejected or already coded by another coder",
        recorded.added, args.coder, recorded.left_out
    ));
    if recorded.added > 0 {
        ctx.note(format_args!("suggestions are not counted or quoted until accepted: see `quire suggestions list`"));
    }
    Ok(())
}
