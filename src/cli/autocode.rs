//! `quire autocode`: apply each code's rule for a segment's language to every respondent segment.

use std::collections::BTreeMap;

use super::code::parse_coder;
use super::Ctx;
use crate::codebook::{rule, CodePath, Codebook};
use crate::progress::Progress;
use rayon::prelude::*;

use crate::coding::autocode::{Analysed, Analyser, Matcher, Vocabulary};
use crate::coding::store::{self, Row};
use crate::coding::{now_rfc3339, Coder};
use crate::corpus::{Language, Source};
use crate::error::{Error, Result};
use crate::output::{Format, Table};
use crate::project::txn::Transaction;

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

/// What the rules found: every (source, segment, code) that matches, in source and segment order.
pub struct Proposals {
    /// The codes that have rules, sorted; `found` refers to them by index.
    pub codes: Vec<CodePath>,
    /// (source index, segment index, code index).
    pub found: Vec<(u32, u32, u32)>,
}

/// Every (segment, code) the rules match.
pub fn propose(codebook: &Codebook, sources: &[Source], only: &[CodePath], progress: &dyn Progress) -> Proposals {
    let mut codes: Vec<CodePath> = Vec::new();
    let mut rules: BTreeMap<Language, (Vocabulary, Vec<(u32, Matcher)>)> = BTreeMap::new();
    for visit in codebook.walk() {
        if (!only.is_empty() && !only.iter().any(|o| visit.path.starts_with(o))) || !visit.code.codable {
            continue;
        }
        let compiled: Vec<(Language, rule::Rule)> =
            visit.code.rules.iter().filter_map(|(lang, text)| Some((lang.parse::<Language>().ok()?, rule::parse(text).ok()?))).collect();
        if compiled.is_empty() {
            continue;
        }
        let index = codes.len() as u32;
        codes.push(visit.path.clone());
        for (lang, rule) in compiled {
            let (vocabulary, matchers) = rules.entry(lang).or_insert_with(|| (Vocabulary::new(lang), Vec::new()));
            matchers.push((index, Matcher::new(&rule, vocabulary)));
        }
    }
    // Codes numbered in path order, so sorting by index sorts by path.
    let mut order: Vec<u32> = (0..codes.len() as u32).collect();
    order.sort_by(|a, b| codes[*a as usize].cmp(&codes[*b as usize]));
    let mut renumber = vec![0u32; codes.len()];
    for (new, old) in order.iter().enumerate() {
        renumber[*old as usize] = new as u32;
    }
    for (_, matchers) in rules.values_mut() {
        for (index, _) in matchers.iter_mut() {
            *index = renumber[*index as usize];
        }
        matchers.sort_by_key(|(index, _)| *index);
    }
    let codes = order.iter().map(|i| codes[*i as usize].clone()).collect();
    // Sources in parallel; each thread analyses a segment once and runs every rule of its language.
    progress.begin("autocoding", sources.len() as u64);
    let found = sources
        .par_iter()
        .enumerate()
        .map_init(Vec::<(Language, Analyser)>::new, |analysers, (si, source)| {
            progress.advance(1);
            let Some((vocabulary, matchers)) = rules.get(&source.language) else {
                return Vec::new();
            };
            let analyser = match analysers.iter().position(|(l, _)| *l == source.language) {
                Some(i) => &mut analysers[i].1,
                None => {
                    analysers.push((source.language, Analyser::new(vocabulary)));
                    &mut analysers.last_mut().expect("just pushed").1
                }
            };
            let mut text = Analysed::default();
            let mut found = Vec::new();
            for (gi, segment) in source.segments.iter().enumerate() {
                if source.speaker_of(segment).respondent().is_none() {
                    continue;
                }
                analyser.analyse(&segment.text, &mut text);
                for (code, m) in matchers {
                    if m.matches(&text) {
                        found.push((si as u32, gi as u32, *code));
                    }
                }
            }
            found
        })
        .flatten_iter()
        .collect();
    progress.end();
    Proposals { codes, found }
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
    let segment = |(si, gi, _): &(u32, u32, u32)| {
        let source = &sources[*si as usize];
        (source, &source.segments[*gi as usize])
    };
    if args.dry_run {
        let mut table = Table::new(["segment", "code", "citation", "text"]);
        for found in &proposals.found {
            let (source, segment) = segment(found);
            let citation = source.speaker_of(segment).respondent().map(|r| r.citation()).unwrap_or_default();
            let code = &proposals.codes[found.2 as usize];
            table.push(vec![segment.id.to_string(), code.to_string(), citation, super::quotes::one_line(&segment.text)]);
        }
        table.write(args.format, ctx.out)?;
        ctx.note(format_args!("{} coding(s) proposed (dry run: nothing written)", proposals.found.len()));
        return Ok(());
    }
    let created = now_rfc3339();
    let new: Vec<Row> = proposals
        .found
        .iter()
        .map(|found| {
            let (source, segment) = segment(found);
            Row {
                source: &source.id,
                start: segment.start,
                end: segment.end,
                code: &proposals.codes[found.2 as usize],
                coder: &args.coder,
                created: &created,
                text: &segment.text,
                origin: None,
            }
        })
        .collect();
    let mut tx = Transaction::new(&project);
    let added = store::stage_merged(&mut tx, &project, &args.coder, new)?;
    tx.commit()?;
    let matched = proposals.found.len();
    ctx.note(format_args!("{matched} segment-code match(es); {added} new coding(s) for {}, {} already there", args.coder, matched - added));
    Ok(())
}
