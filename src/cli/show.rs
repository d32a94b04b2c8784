//! `quire show`: print one source's segments with ids (what `quire code SOURCE:N` takes),
//! speakers, citations and the codes (with their coders) already on each.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Ctx;
use crate::coding::{store, Coding};
use crate::corpus::SourceId;
use crate::error::{Error, Result};
use crate::output::{out_err, write_json, Format, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Source id, e.g. PT-PR-01.
    pub source: String,
    /// Leave out interviewer turns.
    #[arg(long)]
    pub respondents: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Serialize)]
struct SegmentRow {
    id: String,
    speaker: String,
    citation: String,
    start: usize,
    end: usize,
    line: usize,
    text: String,
    /// The codes on (or overlapping) this segment, each with its coders.
    codes: Vec<CodeOn>,
}

#[derive(Serialize)]
struct CodeOn {
    code: String,
    coders: Vec<String>,
}

/// The codes of `codings` that overlap `[start, end)`, by code, each with its coders (sorted).
fn codes_on(codings: &[Coding], start: usize, end: usize) -> Vec<CodeOn> {
    let mut by_code: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in codings.iter().filter(|c| c.overlaps(start, end)) {
        by_code.entry(c.code.to_string()).or_default().insert(c.coder.to_string());
    }
    by_code.into_iter().map(|(code, coders)| CodeOn { code, coders: coders.into_iter().collect() }).collect()
}

fn codes_text(codes: &[CodeOn]) -> String {
    codes.iter().map(|c| format!("{} ({})", c.code, c.coders.join(", "))).collect::<Vec<_>>().join("; ")
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let id = SourceId::parse(&args.source).map_err(Error::Usage)?;
    let source = project.load_source(&id)?;
    let codings: Vec<Coding> = store::read_all(&project)?.into_iter().filter(|c| c.source == source.id).collect();
    let rows: Vec<SegmentRow> = source
        .segments
        .iter()
        .filter_map(|seg| {
            let speaker = source.speaker_of(seg);
            let citation = speaker.respondent().map(|r| r.citation());
            if args.respondents && citation.is_none() {
                return None;
            }
            Some(SegmentRow {
                id: seg.id.to_string(),
                speaker: speaker.label.to_string(),
                citation: citation.unwrap_or_default(),
                start: seg.start,
                end: seg.end,
                line: seg.line,
                text: seg.text.clone(),
                codes: codes_on(&codings, seg.start, seg.end),
            })
        })
        .collect();
    match args.format {
        Format::Json => write_json(ctx.out, &rows),
        Format::Text => {
            let respondents: Vec<String> = source.respondents().map(|(s, r)| format!("{} {}", s.label, r.citation())).collect();
            writeln!(
                ctx.out,
                "{} · {} · {} · {} segments · {}",
                source.id,
                source.method,
                source.language,
                source.segments.len(),
                respondents.join(", ")
            )
            .map_err(out_err)?;
            for r in &rows {
                let who = if r.citation.is_empty() { format!("{} (interviewer)", r.speaker) } else { format!("{} {}", r.speaker, r.citation) };
                writeln!(ctx.out, "\n{}  {who}", r.id).map_err(out_err)?;
                for line in r.text.lines() {
                    writeln!(ctx.out, "    {}", line.trim()).map_err(out_err)?;
                }
                if !r.codes.is_empty() {
                    writeln!(ctx.out, "    codes: {}", codes_text(&r.codes)).map_err(out_err)?;
                }
            }
            Ok(())
        }
        format => {
            let mut table = Table::new(["segment", "speaker", "citation", "start", "end", "line", "text", "codes"]);
            for r in rows {
                let codes = codes_text(&r.codes);
                table.push(vec![r.id, r.speaker, r.citation, r.start.to_string(), r.end.to_string(), r.line.to_string(), r.text, codes]);
            }
            table.write(format, ctx.out)
        }
    }
}
