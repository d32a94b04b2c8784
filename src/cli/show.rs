//! `quire show`: print one source's segments with ids, speakers and citations.

use serde::Serialize;

use super::Ctx;
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
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let id = SourceId::parse(&args.source).map_err(Error::Usage)?;
    let source = project.load_source(&id)?;
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
            }
            Ok(())
        }
        format => {
            let mut table = Table::new(["segment", "speaker", "citation", "start", "end", "line", "text"]);
            for r in rows {
                table.push(vec![r.id, r.speaker, r.citation, r.start.to_string(), r.end.to_string(), r.line.to_string(), r.text]);
            }
            table.write(format, ctx.out)
        }
    }
}
