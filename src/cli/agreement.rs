//! `quire agreement`: compare coders per code and overall, by segment or by character.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Ctx;
use crate::agreement::Patterns;
use crate::codebook::{CodePath, Codebook};
use crate::coding::store::{self, Kind};
use crate::coding::{Coder, Coding};
use crate::corpus::Source;
use crate::error::{Error, Result};
use crate::output::{Format, Table};
use crate::project::Project;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unit {
    /// A code applies to a segment if any coding of it overlaps the segment.
    Segment,
    /// Agreement over the characters of respondent segments (as NVivo's coding comparison).
    Char,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Coders to compare, comma-separated (two or more).
    #[arg(long, value_delimiter = ',', required = true)]
    pub coders: Vec<String>,
    /// Codes to compare (descendants count for them); default: every code any of them used.
    #[arg(long = "code", value_name = "PATH")]
    pub codes: Vec<String>,
    #[arg(long, value_enum, default_value = "segment")]
    pub unit: Unit,
    /// Also report each value of this attribute separately (only `country` so far).
    #[arg(long, value_name = "ATTR")]
    pub by: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Ratings of one code in one source: per coder who coded the source, the covered character spans.
fn patterns_for(source: &Source, code: &CodePath, coded_by: &[Option<Vec<&Coding>>], unit: Unit) -> Patterns {
    let mut p = Patterns::default();
    let applies = |codings: &Vec<&Coding>, start: usize, end: usize| codings.iter().any(|c| c.code.starts_with(code) && c.overlaps(start, end));
    match unit {
        Unit::Segment => {
            for (segment, _) in source.respondent_segments() {
                let pattern = coded_by.iter().map(|c| c.as_ref().map(|codings| u32::from(applies(codings, segment.start, segment.end)))).collect();
                p.add(pattern, 1);
            }
        }
        Unit::Char => {
            // For each coder, the characters the code covers; then count patterns per character.
            let len = source.segments.last().map_or(0, |s| s.end);
            let masks: Vec<Option<Vec<bool>>> = coded_by
                .iter()
                .map(|c| {
                    c.as_ref().map(|codings| {
                        let mut m = vec![false; len];
                        for x in codings.iter().filter(|x| x.code.starts_with(code)) {
                            m[x.start.min(len)..x.end.min(len)].iter_mut().for_each(|b| *b = true);
                        }
                        m
                    })
                })
                .collect();
            let mut counts: HashMap<Vec<Option<u32>>, u64> = HashMap::new();
            for (segment, _) in source.respondent_segments() {
                for i in segment.start..segment.end {
                    let pattern: Vec<Option<u32>> = masks.iter().map(|m| m.as_ref().map(|m| u32::from(m[i]))).collect();
                    *counts.entry(pattern).or_insert(0) += 1;
                }
            }
            for (pattern, n) in counts {
                p.add(pattern, n);
            }
        }
    }
    p
}

fn fmt(v: Option<f64>, percent: bool) -> String {
    match v {
        Some(x) if percent => format!("{:.1}", 100.0 * x),
        Some(x) => format!("{x:.3}"),
        None => "n/a".into(),
    }
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let coders: Vec<Coder> = args.coders.iter().map(|c| c.parse().map_err(Error::Usage)).collect::<Result<_>>()?;
    if let Some(by) = &args.by {
        if by != "country" {
            return Err(Error::Usage(format!("--by `{by}`: only `country` is supported")));
        }
    }
    let codebook = Codebook::load(&project.codebook_path())?;
    let codes: Vec<CodePath> = args.codes.iter().map(|c| codebook.resolve(c)).collect::<Result<_>>()?;
    let (table, shared) = compare(&project, &coders, &codes, args.unit, args.by.is_some())?;
    table.write(args.format, ctx.out)?;
    ctx.note(format_args!(
        "{} coders, {shared} shared source(s), unit: {}",
        coders.len(),
        match args.unit {
            Unit::Segment => "segment",
            Unit::Char => "character",
        }
    ));
    Ok(())
}

/// The agreement table of `coders` on `codes` (empty: every code they used), and how many
/// sources at least two of them coded.
pub fn compare(project: &Project, coders: &[Coder], codes: &[CodePath], unit: Unit, by_country: bool) -> Result<(Table, usize)> {
    if coders.len() < 2 || coders.iter().collect::<BTreeSet<_>>().len() != coders.len() {
        return Err(Error::Usage("--coders needs two or more different coders".into()));
    }
    let known = store::coders(project)?;
    let mut codings: Vec<Vec<Coding>> = Vec::new();
    for c in coders {
        if !known.contains(c) {
            return Err(Error::Usage(format!(
                "no codings of coder `{c}` (coders: {})",
                known.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        codings.push(store::read(&store::path(project, c, Kind::Anchored))?);
    }
    let codes: Vec<CodePath> = if codes.is_empty() {
        codings.iter().flatten().map(|c| c.code.clone()).collect::<BTreeSet<_>>().into_iter().collect()
    } else {
        codes.to_vec()
    };
    // Agreement compares offsets: not on sources edited outside quire.
    crate::edits::check(project, &project.fingerprint()?)?;
    // Sources coded by at least two of the coders; a coder who did not code a source is missing there.
    let sources: Vec<Source> =
        project.load_sources()?.into_iter().filter(|s| codings.iter().filter(|cs| cs.iter().any(|c| c.source == s.id)).count() >= 2).collect();
    if sources.is_empty() {
        return Err(Error::Usage("the coders have no source in common".into()));
    }
    let mut scopes: BTreeMap<String, Vec<&Source>> = BTreeMap::new();
    for s in &sources {
        scopes.entry("all".into()).or_default().push(s);
        if by_country {
            scopes.entry(s.country.to_string()).or_default().push(s);
        }
    }
    let mut headers = vec!["scope", "code", "units", "agreement_pct"];
    if coders.len() == 2 {
        headers.push("kappa");
    }
    headers.push("alpha");
    let mut table = Table::new(headers);
    for (scope, in_scope) in &scopes {
        let mut overall = Patterns::default();
        let mut rows = Vec::new();
        for code in &codes {
            let mut p = Patterns::default();
            for source in in_scope {
                let coded_by: Vec<Option<Vec<&Coding>>> = codings
                    .iter()
                    .map(|cs| {
                        let mine: Vec<&Coding> = cs.iter().filter(|c| c.source == source.id).collect();
                        (!mine.is_empty()).then_some(mine)
                    })
                    .collect();
                p.extend(&patterns_for(source, code, &coded_by, unit));
            }
            overall.extend(&p);
            rows.push((code.to_string(), p));
        }
        rows.push(("(overall)".into(), overall));
        for (code, p) in rows {
            let mut row = vec![scope.clone(), code, p.complete_units().to_string(), fmt(p.percent_agreement(), true)];
            if coders.len() == 2 {
                row.push(fmt(p.cohen_kappa(), false));
            }
            row.push(fmt(p.krippendorff_alpha(), false));
            table.push(row);
        }
    }
    Ok((table, sources.len()))
}
