//! `quire autocode`: apply each code's rule for a segment's language to every respondent segment.

use std::collections::BTreeMap;

use super::code::parse_coder;
use super::Ctx;
use crate::codebook::{rule, CodePath, Codebook};
use rayon::prelude::*;

use crate::coding::autocode::{analyzer, Analysed, Matcher};
use crate::coding::store::{self, Kind};
use crate::coding::{now_rfc3339, Coder, Coding};
use crate::corpus::{Language, Source};
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
    /// Coder the codings are recorded under.
    #[arg(long, default_value = "auto", value_parser = parse_coder)]
    pub coder: Coder,
    /// Output of --dry-run.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Every (segment, code) the rules match, in source and segment order.
pub fn propose(codebook: &Codebook, sources: &[Source], only: &[CodePath]) -> Vec<(usize, usize, CodePath)> {
    let mut matchers: BTreeMap<(CodePath, Language), Matcher> = BTreeMap::new();
    for visit in codebook.walk() {
        if !only.is_empty() && !only.iter().any(|o| visit.path.starts_with(o)) {
            continue;
        }
        for (lang, text) in &visit.code.rules {
            let (Ok(lang), Ok(rule)) = (lang.parse::<Language>(), rule::parse(text)) else { continue };
            let mut a = analyzer(lang);
            matchers.insert((visit.path.clone(), lang), Matcher::new(&rule, &mut a));
        }
    }
    // Sources in parallel; each thread analyses a segment once and runs every rule of its language.
    sources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(si, source)| {
            let mut a = analyzer(source.language);
            let rules: Vec<(&CodePath, &Matcher)> =
                matchers.iter().filter(|((_, lang), _)| *lang == source.language).map(|((p, _), m)| (p, m)).collect();
            let mut found = Vec::new();
            for (gi, segment) in source.segments.iter().enumerate() {
                if source.speaker_of(segment).respondent().is_none() {
                    continue;
                }
                let text = Analysed::new(&mut a, &segment.text);
                for (path, m) in &rules {
                    if m.matches(&text) {
                        found.push((si, gi, (*path).clone()));
                    }
                }
            }
            found
        })
        .collect()
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let only: Vec<CodePath> = args.codes.iter().map(|c| codebook.resolve(c)).collect::<Result<_>>()?;
    if !only.is_empty() && !codebook.walk().iter().any(|v| only.iter().any(|o| v.path.starts_with(o)) && !v.code.rules.is_empty()) {
        return Err(Error::Usage("none of the given codes (or their descendants) has a rule".into()));
    }
    let sources = project.load_sources()?;
    let proposals = propose(&codebook, &sources, &only);
    if args.dry_run {
        let mut table = Table::new(["segment", "code", "citation", "text"]);
        for (si, gi, code) in &proposals {
            let (source, segment) = (&sources[*si], &sources[*si].segments[*gi]);
            let citation = source.speaker_of(segment).respondent().map(|r| r.citation()).unwrap_or_default();
            table.push(vec![segment.id.to_string(), code.to_string(), citation, super::quotes::one_line(&segment.text)]);
        }
        table.write(args.format, ctx.out)?;
        ctx.note(format_args!("{} coding(s) proposed (dry run: nothing written)", proposals.len()));
        return Ok(());
    }
    let mut codings = store::read(&store::path(&project, &args.coder, Kind::Anchored))?;
    let before = codings.len();
    let created = now_rfc3339();
    for (si, gi, code) in &proposals {
        let (source, segment) = (&sources[*si], &sources[*si].segments[*gi]);
        codings.push(Coding {
            source: source.id.clone(),
            start: segment.start,
            end: segment.end,
            code: code.clone(),
            coder: args.coder.clone(),
            created: created.clone(),
                origin: None,
            text: segment.text.clone(),
        });
    }
    store::write(&project, &args.coder, Kind::Anchored, &mut codings)?;
    let added = codings.len() - before;
    ctx.note(format_args!(
        "{} segment-code match(es); {added} new coding(s) for {}, {} already there",
        proposals.len(),
        args.coder,
        proposals.len() - added
    ));
    Ok(())
}
