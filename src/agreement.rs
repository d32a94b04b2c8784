//! Inter-coder agreement: the rating patterns of coders' codings (by segment or by character),
//! and from their counts percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha
//! (nominal, any number of coders, missing data allowed), as the table `quire agreement` prints.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::codebook::CodePath;
use crate::coding::store::{self, CodingFile};
use crate::coding::{Coder, Coding};
use crate::corpus::Source;
use crate::error::{Error, Result};
use crate::output::Table;
use crate::project::Project;

/// How many units showed each pattern of ratings (one entry per coder; `None` = not rated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patterns {
    pub counts: BTreeMap<Vec<Option<u32>>, u64>,
}

impl Patterns {
    pub fn add(&mut self, pattern: Vec<Option<u32>>, n: u64) {
        if n > 0 {
            *self.counts.entry(pattern).or_insert(0) += n;
        }
    }

    pub fn extend(&mut self, other: &Patterns) {
        for (p, n) in &other.counts {
            self.add(p.clone(), *n);
        }
    }

    /// Units rated by every coder.
    pub fn complete_units(&self) -> u64 {
        self.counts.iter().filter(|(p, _)| p.iter().all(Option::is_some)).map(|(_, n)| n).sum()
    }

    /// Share of the units rated by every coder on which all coders gave the same value.
    pub fn percent_agreement(&self) -> Option<f64> {
        let total = self.complete_units();
        if total == 0 {
            return None;
        }
        let agree: u64 =
            self.counts.iter().filter(|(p, _)| p.iter().all(Option::is_some) && p.windows(2).all(|w| w[0] == w[1])).map(|(_, n)| n).sum();
        Some(agree as f64 / total as f64)
    }

    /// Cohen's kappa for two coders over the units both rated; `None` when undefined
    /// (fewer or more than two coders, no units, or chance agreement of 1).
    pub fn cohen_kappa(&self) -> Option<f64> {
        let mut joint: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        for (p, n) in &self.counts {
            if p.len() != 2 {
                return None;
            }
            if let (Some(a), Some(b)) = (p[0], p[1]) {
                *joint.entry((a, b)).or_insert(0) += n;
            }
        }
        let total: u64 = joint.values().sum();
        if total == 0 {
            return None;
        }
        let t = total as f64;
        let observed = joint.iter().filter(|((a, b), _)| a == b).map(|(_, n)| *n as f64).sum::<f64>() / t;
        let mut margin_a: BTreeMap<u32, f64> = BTreeMap::new();
        let mut margin_b: BTreeMap<u32, f64> = BTreeMap::new();
        for ((a, b), n) in &joint {
            *margin_a.entry(*a).or_insert(0.0) += *n as f64 / t;
            *margin_b.entry(*b).or_insert(0.0) += *n as f64 / t;
        }
        let expected: f64 = margin_a.iter().map(|(c, pa)| pa * margin_b.get(c).copied().unwrap_or(0.0)).sum();
        if (1.0 - expected).abs() < 1e-12 {
            return None;
        }
        Some((observed - expected) / (1.0 - expected))
    }

    /// Krippendorff's alpha for nominal data: units with fewer than two ratings are left out;
    /// `None` when undefined (no pairable values, or a single category in all the data).
    pub fn krippendorff_alpha(&self) -> Option<f64> {
        // Coincidence matrix o[c][k].
        let mut o: BTreeMap<(u32, u32), f64> = BTreeMap::new();
        for (p, n) in &self.counts {
            let values: Vec<u32> = p.iter().flatten().copied().collect();
            let m = values.len();
            if m < 2 {
                continue;
            }
            for (i, a) in values.iter().enumerate() {
                for (j, b) in values.iter().enumerate() {
                    if i != j {
                        *o.entry((*a, *b)).or_insert(0.0) += *n as f64 / (m - 1) as f64;
                    }
                }
            }
        }
        let mut n_c: BTreeMap<u32, f64> = BTreeMap::new();
        for ((c, _), v) in &o {
            *n_c.entry(*c).or_insert(0.0) += v;
        }
        let n: f64 = n_c.values().sum();
        if n <= 1.0 {
            return None;
        }
        let observed: f64 = o.iter().filter(|((c, k), _)| c != k).map(|(_, v)| v).sum();
        let expected: f64 = n_c.iter().flat_map(|(c, a)| n_c.iter().filter(move |(k, _)| *k != c).map(move |(_, b)| a * b)).sum();
        if expected == 0.0 {
            return None;
        }
        Some(1.0 - (n - 1.0) * observed / expected)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
/// What a rating is given to.
pub enum Unit {
    /// A code applies to a segment if any coding of it overlaps the segment.
    Segment,
    /// Agreement over the characters of respondent segments (as NVivo's coding comparison).
    Char,
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

/// What agreement compares: each coder's codings, the codes, and the sources at least two of
/// the coders coded.
struct Compared {
    codings: Vec<Vec<Coding>>,
    codes: Vec<CodePath>,
    sources: Vec<Source>,
}

impl Compared {
    fn load(project: &Project, coders: &[Coder], codes: &[CodePath]) -> Result<Compared> {
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
            codings.push(store::read(&store::path(project, c, CodingFile::Anchored))?);
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
        Ok(Compared { codings, codes, sources })
    }

    /// Per coder, their codings in `source` (`None`: the coder did not code it).
    fn coded_by(&self, source: &Source) -> Vec<Option<Vec<&Coding>>> {
        self.codings
            .iter()
            .map(|cs| {
                let mine: Vec<&Coding> = cs.iter().filter(|c| c.source == source.id).collect();
                (!mine.is_empty()).then_some(mine)
            })
            .collect()
    }
}

/// The respondent segments where the coders differ on any of `codes` (a code's descendants
/// count for it, as in [`compare`]), in the sources at least two of them coded: the segment, its
/// citation and text, and per coder the codes (among those compared) of their codings that
/// overlap it, `;`-separated; `(source not coded)` for a coder who did not code the source.
pub fn disagreements(project: &Project, coders: &[Coder], codes: &[CodePath]) -> Result<(Table, usize)> {
    let compared = Compared::load(project, coders, codes)?;
    let mut headers = vec!["segment".to_string(), "citation".into(), "text".into()];
    headers.extend(coders.iter().map(|c| c.to_string()));
    let mut table = Table::new(headers);
    let compared_code = |code: &CodePath| compared.codes.iter().any(|c| code.starts_with(c));
    for source in &compared.sources {
        let coded_by = compared.coded_by(source);
        for (segment, respondent) in source.respondent_segments() {
            let applies =
                |codings: &Vec<&Coding>, code: &CodePath| codings.iter().any(|c| c.code.starts_with(code) && c.overlaps(segment.start, segment.end));
            let differ = compared.codes.iter().any(|code| {
                let ratings: BTreeSet<bool> = coded_by.iter().flatten().map(|codings| applies(codings, code)).collect();
                ratings.len() > 1
            });
            if !differ {
                continue;
            }
            let mut row = vec![segment.id.to_string(), respondent.citation(), crate::output::one_line(&segment.text)];
            for codings in &coded_by {
                row.push(match codings {
                    None => "(source not coded)".into(),
                    Some(codings) => codings
                        .iter()
                        .filter(|c| compared_code(&c.code) && c.overlaps(segment.start, segment.end))
                        .map(|c| c.code.to_string())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(";"),
                });
            }
            table.push(row);
        }
    }
    Ok((table, compared.sources.len()))
}

/// The agreement table of `coders` on `codes` (empty: every code they used), and how many
/// sources at least two of them coded.
pub fn compare(project: &Project, coders: &[Coder], codes: &[CodePath], unit: Unit, by_country: bool) -> Result<(Table, usize)> {
    let compared = Compared::load(project, coders, codes)?;
    let (codes, sources) = (&compared.codes, &compared.sources);
    let mut scopes: BTreeMap<String, Vec<&Source>> = BTreeMap::new();
    for s in sources {
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
        for code in codes {
            let mut p = Patterns::default();
            for source in in_scope {
                let coded_by = compared.coded_by(source);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn from_rows(rows: &[&[Option<u32>]]) -> Patterns {
        let mut p = Patterns::default();
        for r in rows {
            p.add(r.to_vec(), 1);
        }
        p
    }

    /// Krippendorff's own worked example (4 coders, 12 units, missing data): alpha = 0.743.
    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        let n = None;
        let s = Some;
        // Columns are units; rows coders A-D, transposed to one pattern per unit.
        let a = [s(1), s(2), s(3), s(3), s(2), s(1), s(4), s(1), s(2), n, n, n];
        let b = [s(1), s(2), s(3), s(3), s(2), s(2), s(4), s(1), s(2), s(5), n, s(3)];
        let c = [n, s(3), s(3), s(3), s(2), s(3), s(4), s(2), s(2), s(5), s(1), n];
        let d = [s(1), s(2), s(3), s(3), s(2), s(4), s(4), s(1), s(2), s(5), s(1), n];
        let mut p = Patterns::default();
        for u in 0..12 {
            p.add(vec![a[u], b[u], c[u], d[u]], 1);
        }
        let alpha = p.krippendorff_alpha().unwrap();
        assert!((alpha - 0.743).abs() < 0.0005, "{alpha}");
    }

    /// The textbook kappa example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> 0.4.
    #[test]
    fn kappa_matches_the_textbook_example() {
        let mut p = Patterns::default();
        p.add(vec![Some(1), Some(1)], 20);
        p.add(vec![Some(1), Some(0)], 5);
        p.add(vec![Some(0), Some(1)], 10);
        p.add(vec![Some(0), Some(0)], 15);
        assert!((p.cohen_kappa().unwrap() - 0.4).abs() < 1e-12);
        assert!((p.percent_agreement().unwrap() - 0.7).abs() < 1e-12);
    }

    /// Uneven margins for both coders (A says yes 60 times, B 70 times in 100 units), so a kappa
    /// that took one coder's margin for both would be caught: by hand, po = 0.60,
    /// pe = 0.6·0.7 + 0.4·0.3 = 0.54, kappa = 0.06 / 0.46 = 3/23; alpha from the coincidence
    /// matrix (o11 = 90, o00 = 30, o01 = o10 = 40; n1 = 130, n0 = 70) is
    /// 1 − (80/200) / (2·130·70 / (200·199)) = 57/455.
    #[test]
    fn kappa_and_alpha_with_uneven_margins() {
        let mut p = Patterns::default();
        p.add(vec![Some(1), Some(1)], 45);
        p.add(vec![Some(1), Some(0)], 15);
        p.add(vec![Some(0), Some(1)], 25);
        p.add(vec![Some(0), Some(0)], 15);
        assert!((p.percent_agreement().unwrap() - 0.6).abs() < 1e-12);
        assert!((p.cohen_kappa().unwrap() - 3.0 / 23.0).abs() < 1e-12, "{:?}", p.cohen_kappa());
        assert!((p.krippendorff_alpha().unwrap() - 57.0 / 455.0).abs() < 1e-12, "{:?}", p.krippendorff_alpha());
    }

    #[test]
    fn undefined_cases_are_none() {
        let p = from_rows(&[&[Some(0), Some(0)], &[Some(0), Some(0)]]);
        assert_eq!(p.cohen_kappa(), None);
        assert_eq!(p.krippendorff_alpha(), None);
        assert_eq!(p.percent_agreement(), Some(1.0));
        assert_eq!(Patterns::default().percent_agreement(), None);
    }
}
