//! `quire sources`: list sources with their attributes and segment counts.

use serde::Serialize;

use super::Ctx;
use crate::corpus::Source;
use crate::error::Result;
use crate::output::{write_json, Format, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Serialize)]
struct SpeakerRow {
    label: String,
    interviewer: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    citation: Option<String>,
    segments: usize,
    attributes: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct SourceRow {
    source: String,
    country: String,
    language: String,
    method: String,
    segments: usize,
    respondent_segments: usize,
    words: usize,
    attributes: std::collections::BTreeMap<String, String>,
    speakers: Vec<SpeakerRow>,
}

fn row(source: &Source) -> SourceRow {
    let speakers = source
        .speakers
        .iter()
        .enumerate()
        .map(|(i, sp)| SpeakerRow {
            label: sp.label.to_string(),
            interviewer: sp.respondent().is_none(),
            citation: sp.respondent().map(|r| r.citation()),
            segments: source.segments.iter().filter(|s| s.speaker == i).count(),
            attributes: sp.attributes.clone(),
        })
        .collect();
    SourceRow {
        source: source.id.to_string(),
        country: source.country.to_string(),
        language: source.language.to_string(),
        method: source.method.to_string(),
        segments: source.segments.len(),
        respondent_segments: source.respondent_segments().count(),
        words: source.word_count(),
        attributes: source.attributes.iter().cloned().collect(),
        speakers,
    }
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let sources = project.load_sources()?;
    let rows: Vec<SourceRow> = sources.iter().map(row).collect();
    if args.format == Format::Json {
        return write_json(ctx.out, &rows);
    }
    let mut table = Table::new(["source", "country", "language", "method", "segments", "respondent_segments", "words", "respondents", "attributes"]);
    for r in &rows {
        let respondents: Vec<String> = r.speakers.iter().filter_map(|s| s.citation.as_ref().map(|c| format!("{} {c}", s.label))).collect();
        let attributes: Vec<String> = r.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        table.push(vec![
            r.source.clone(),
            r.country.clone(),
            r.language.clone(),
            r.method.clone(),
            r.segments.to_string(),
            r.respondent_segments.to_string(),
            r.words.to_string(),
            respondents.join("; "),
            attributes.join("; "),
        ]);
    }
    table.write(args.format, ctx.out)
}
