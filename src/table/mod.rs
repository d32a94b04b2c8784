//! Frequency tables with polars: codes × attribute (segments, respondents or sources), the code
//! co-occurrence matrix, the sample table and the country table; rendered as text, md, csv, json,
//! LaTeX or HTML.

pub mod coded;
pub mod render;

pub use coded::CodedUnits;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::*;

use crate::codebook::{CodePath, Codebook};
use crate::corpus::Source;
use crate::csv_rows::Rows;
use crate::error::{Error, Result};
use crate::output::Table;

/// What a cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Count {
    /// Coded segments.
    Segments,
    /// Distinct respondents (cases) with at least one coded segment.
    Respondents,
    /// Distinct sources with at least one coded segment.
    Sources,
}

/// Percentages instead of counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Percent {
    /// Of the row's total.
    Row,
    /// Of all units (coded or not) in the column: "x % of the respondents in BE".
    Col,
    /// Of all units in the corpus.
    Total,
}

/// The code paths shown as rows: every code down to `depth`, in tree order.
pub fn row_codes(codebook: &Codebook, depth: Option<usize>) -> Vec<CodePath> {
    codebook.walk().into_iter().map(|v| v.path).filter(|p| depth.is_none_or(|d| p.depth() <= d)).collect()
}

/// (unit, code, level) triples: a unit carries a code if any coding of the code, or of a
/// descendant, overlaps it. Codes deeper than `depth` count for their ancestor at `depth`.
/// The codes shown (coded paths and their ancestors) are numbered here, by their ids.
struct Pairs<'a> {
    units: Vec<u32>,
    codes: Vec<u32>,
    levels: Vec<u32>,
    /// The number of each code path carried, by its ids.
    numbers: HashMap<&'a [String], u32>,
}

impl<'a> Pairs<'a> {
    fn of(coded: &'a CodedUnits, depth: Option<usize>) -> Pairs<'a> {
        let mut numbers: HashMap<&'a [String], u32> = HashMap::new();
        let mut levels_by_number: Vec<u32> = Vec::new();
        // Per coded path (by `CodeIx`): the numbers of it and its ancestors, down to `depth`.
        let lineage: Vec<Vec<u32>> = coded
            .codes
            .iter()
            .map(|path| {
                let ids = path.ids();
                let deepest = depth.map_or(ids.len(), |d| d.min(ids.len()));
                (1..=deepest)
                    .map(|n| {
                        *numbers.entry(&ids[..n]).or_insert_with(|| {
                            levels_by_number.push(n as u32);
                            (levels_by_number.len() - 1) as u32
                        })
                    })
                    .collect()
            })
            .collect();
        // Marks are sorted by unit: each unit's codes are deduplicated on their own.
        let mut pairs = Pairs { units: Vec::new(), codes: Vec::new(), levels: Vec::new(), numbers };
        let mut numbers_here: Vec<u32> = Vec::new();
        for marks in coded.marks.chunk_by(|a, b| a.0 == b.0) {
            numbers_here.clear();
            numbers_here.extend(marks.iter().flat_map(|(_, _, code)| lineage[code.index()].iter().copied()));
            numbers_here.sort_unstable();
            numbers_here.dedup();
            for n in &numbers_here {
                pairs.units.push(marks[0].0);
                pairs.codes.push(*n);
                pairs.levels.push(levels_by_number[*n as usize]);
            }
        }
        pairs
    }

    /// A code path's number, if a coded path is it or lies below it.
    fn number(&self, path: &CodePath) -> Option<u32> {
        self.numbers.get(path.ids()).copied()
    }
}

impl Count {
    /// What a unit counts as: itself, its respondent or its source.
    fn key(self, coded: &CodedUnits, unit: u32) -> u32 {
        match self {
            Count::Segments => unit,
            Count::Respondents => coded.units[unit as usize].case,
            Count::Sources => coded.units[unit as usize].source,
        }
    }
}

/// A finished table: row labels (code paths with depth), column labels, counts or percentages.
pub struct Frequencies {
    pub rows: Vec<(CodePath, String)>,
    pub columns: Vec<String>,
    /// cells[row][col], the last column being the row total.
    pub cells: Vec<Vec<f64>>,
    /// The totals row (distinct units coded with any shown code, per column).
    pub totals: Vec<f64>,
    pub percent: bool,
}

/// How many distinct `unit`s each combination of the text columns `keys` has.
fn counts_by(frame: LazyFrame, keys: &[&str], unit: &str) -> PolarsResult<BTreeMap<Vec<String>, u64>> {
    let (out, n) = grouped(frame, keys, unit)?;
    let key_cols: Vec<_> = keys.iter().map(|k| out.column(k).and_then(|c| c.str().cloned())).collect::<PolarsResult<_>>()?;
    let mut map = BTreeMap::new();
    for i in 0..out.height() {
        let key = key_cols.iter().map(|c| c.get(i).unwrap_or("").to_string()).collect();
        map.insert(key, n.get(i).unwrap_or(0));
    }
    Ok(map)
}

/// How many distinct `unit`s each combination of the number (u32) columns `keys` has.
fn counts_by_number<const N: usize>(frame: LazyFrame, keys: [&str; N], unit: &str) -> PolarsResult<HashMap<[u32; N], u64>> {
    let (out, n) = grouped(frame, &keys, unit)?;
    let key_cols: Vec<_> =
        keys.iter().map(|k| out.column(k).and_then(|c| c.cast(&DataType::UInt32)).and_then(|c| c.u32().cloned())).collect::<PolarsResult<_>>()?;
    let mut map = HashMap::with_capacity(out.height());
    for i in 0..out.height() {
        let key = std::array::from_fn(|k| key_cols[k].get(i).unwrap_or(u32::MAX));
        map.insert(key, n.get(i).unwrap_or(0));
    }
    Ok(map)
}

/// The frame grouped by `keys`, and each group's count of distinct `unit`s.
fn grouped(frame: LazyFrame, keys: &[&str], unit: &str) -> PolarsResult<(DataFrame, UInt64Chunked)> {
    let exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let out = frame.group_by(exprs).agg([col(unit).n_unique().cast(DataType::UInt64).alias("n")]).collect()?;
    let n = out.column("n")?.u64()?.clone();
    Ok((out, n))
}

/// Codes × attribute values.
pub fn code_by_attribute(
    codebook: &Codebook,
    coded: &CodedUnits,
    depth: Option<usize>,
    attribute: &str,
    count: Count,
    percent: Option<Percent>,
) -> Result<Frequencies> {
    let pairs = Pairs::of(coded, depth);
    // The attribute's values, numbered; units without it get the number past the last.
    let columns: Vec<String> = (0..coded.units.len())
        .filter_map(|i| coded.attribute(i, attribute))
        .filter(|v| !v.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let value_of: Vec<u32> = (0..coded.units.len())
        .map(|i| coded.attribute(i, attribute).and_then(|v| columns.binary_search_by(|c| c.as_str().cmp(v)).ok()).unwrap_or(columns.len()) as u32)
        .collect();
    let column_keys: Vec<u32> = (0..columns.len() as u32).collect();
    let result = (|| -> PolarsResult<_> {
        // Each pair carries its unit's count key and column, gathered here rather than joined.
        let counted: Vec<u32> = pairs.units.iter().map(|u| count.key(coded, *u)).collect();
        let column: Vec<u32> = pairs.units.iter().map(|u| value_of[*u as usize]).collect();
        let coded_lf = df!("code" => &pairs.codes, "level" => &pairs.levels, "n" => counted, "col" => column)?.lazy();
        let every: Vec<u32> = (0..coded.units.len() as u32).map(|u| count.key(coded, u)).collect();
        let units_lf = df!("n" => every, "col" => &value_of)?.lazy();
        let cells = counts_by_number(coded_lf.clone(), ["code", "col"], "n")?;
        let row_totals = counts_by_number(coded_lf.clone(), ["code"], "n")?;
        // Units coded with any shown code, per column and overall.
        let top = coded_lf.filter(col("level").eq(lit(1u32)));
        let col_coded = counts_by_number(top.clone(), ["col"], "n")?;
        let all_coded = counts_by_number(top.with_column(lit(0u32).alias("all")), ["all"], "n")?;
        // Every unit, coded or not, per column and overall (denominators for percentages).
        let col_all = counts_by_number(units_lf.clone(), ["col"], "n")?;
        let grand = counts_by_number(units_lf.with_column(lit(0u32).alias("all")), ["all"], "n")?;
        Ok((cells, row_totals, col_coded, all_coded, col_all, grand))
    })()?;
    let (cells, row_totals, col_coded, all_coded, col_all, grand) = result;
    let grand_total = grand.values().next().copied().unwrap_or(0) as f64;
    let rows: Vec<(CodePath, String)> =
        row_codes(codebook, depth).into_iter().map(|p| (p.clone(), codebook.get(&p).map(|c| c.name.clone()).unwrap_or_default())).collect();
    let mut table = Vec::new();
    for (path, _) in &rows {
        let count = |key: Option<&u64>| key.copied().unwrap_or(0) as f64;
        let number = pairs.number(path);
        let total = count(number.and_then(|n| row_totals.get(&[n])));
        let mut line: Vec<f64> = column_keys.iter().map(|c| count(number.and_then(|n| cells.get(&[n, *c])))).collect();
        line.push(total);
        table.push(line);
    }
    let mut totals: Vec<f64> = column_keys.iter().map(|c| col_coded.get(&[*c]).copied().unwrap_or(0) as f64).collect();
    totals.push(all_coded.values().next().copied().unwrap_or(0) as f64);
    if let Some(p) = percent {
        let denominators: Vec<f64> = column_keys.iter().map(|c| col_all.get(&[*c]).copied().unwrap_or(0) as f64).chain([grand_total]).collect();
        let pct = |n: f64, d: f64| if d > 0.0 { 100.0 * n / d } else { 0.0 };
        for line in table.iter_mut().chain(std::iter::once(&mut totals)) {
            let row_total = *line.last().expect("total column");
            for (i, v) in line.iter_mut().enumerate() {
                *v = match p {
                    Percent::Row => pct(*v, row_total),
                    Percent::Col => pct(*v, denominators[i]),
                    Percent::Total => pct(*v, grand_total),
                };
            }
        }
    }
    Ok(Frequencies { rows, columns, cells: table, totals, percent: percent.is_some() })
}

/// The co-occurrence matrix: units coded with both the row code and the column code.
pub fn cooccurrence(codebook: &Codebook, coded: &CodedUnits, depth: Option<usize>, count: Count) -> Result<Frequencies> {
    let pairs = Pairs::of(coded, depth);
    // Counted directly rather than by a self-join, which grows with the square of the codes per
    // unit: units are grouped by what they count as, and a group counts once per pair of codes
    // found together on any of its units.
    let k = pairs.numbers.len();
    let mut matrix = vec![0u64; k * k];
    let mut stamp = vec![u32::MAX; k * k];
    let mut spans: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    let mut start = 0;
    for run in pairs.units.chunk_by(|a, b| a == b) {
        spans.push((count.key(coded, run[0]), start..start + run.len()));
        start += run.len();
    }
    spans.sort_by_key(|(key, _)| *key);
    for (group, units) in spans.chunk_by(|a, b| a.0 == b.0).enumerate() {
        for (_, range) in units {
            let codes = &pairs.codes[range.clone()];
            for a in codes {
                for b in codes {
                    let cell = *a as usize * k + *b as usize;
                    if stamp[cell] != group as u32 {
                        stamp[cell] = group as u32;
                        matrix[cell] += 1;
                    }
                }
            }
        }
    }
    let paths = row_codes(codebook, depth);
    let rows: Vec<(CodePath, String)> = paths.iter().map(|p| (p.clone(), codebook.get(p).map(|c| c.name.clone()).unwrap_or_default())).collect();
    let columns: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let numbers: Vec<Option<usize>> = paths.iter().map(|p| pairs.number(p).map(|n| n as usize)).collect();
    let cells = numbers.iter().map(|r| numbers.iter().map(|c| r.zip(*c).map_or(0, |(r, c)| matrix[r * k + c]) as f64).collect()).collect();
    Ok(Frequencies { rows, columns, cells, totals: Vec::new(), percent: false })
}

impl Frequencies {
    /// As a plain table; `indent` prefixes names with two spaces per level below the top.
    pub fn to_table(&self, indent: bool, with_totals_column: bool) -> Table {
        let fmt = |v: f64| {
            if self.percent {
                format!("{v:.1}")
            } else {
                format!("{v:.0}")
            }
        };
        let mut headers = vec!["code".to_string(), "depth".to_string(), "name".to_string()];
        headers.extend(self.columns.iter().cloned());
        if with_totals_column {
            headers.push("total".into());
        }
        let mut table = Table { headers, rows: Vec::new() };
        for ((path, name), line) in self.rows.iter().zip(&self.cells) {
            let label = if indent { format!("{}{name}", "  ".repeat(path.depth() - 1)) } else { name.clone() };
            let mut row = vec![path.to_string(), path.depth().to_string(), label];
            row.extend(line.iter().map(|v| fmt(*v)));
            table.rows.push(row);
        }
        if !self.totals.is_empty() {
            let mut row = vec!["total".to_string(), "0".to_string(), "Any code".to_string()];
            row.extend(self.totals.iter().map(|v| fmt(*v)));
            table.rows.push(row);
        }
        table
    }
}

/// Respondents by country (columns) and method × role × gender (rows), with totals.
pub fn sample(sources: &[Source]) -> Result<Table> {
    let mut case = Vec::new();
    let mut country = Vec::new();
    let mut group = Vec::new();
    for source in sources {
        for (_, r) in source.respondents() {
            case.push(r.case.clone());
            country.push(r.country.to_string());
            let who = match r.gender {
                Some(g) if !r.role.is_professional() => {
                    format!("{} · {} · {}", source.method, r.role, g)
                }
                _ => format!("{} · {}", source.method, r.role),
            };
            group.push(who);
        }
    }
    let (cells, by_group, by_country, total) = (|| -> PolarsResult<_> {
        let frame = df!("case" => case, "country" => country, "group" => group)?.lazy();
        Ok((
            counts_by(frame.clone(), &["group", "country"], "case")?,
            counts_by(frame.clone(), &["group"], "case")?,
            counts_by(frame.clone(), &["country"], "case")?,
            counts_by(frame.with_column(lit("").alias("all")), &["all"], "case")?,
        ))
    })()?;
    let countries: Vec<String> = by_country.keys().map(|k| k[0].clone()).collect();
    let mut headers = vec!["respondents".to_string()];
    headers.extend(countries.iter().cloned());
    headers.push("total".into());
    let mut table = Table { headers, rows: Vec::new() };
    for (g, n) in &by_group {
        let mut row = vec![g[0].clone()];
        row.extend(countries.iter().map(|c| cells.get(&vec![g[0].clone(), c.clone()]).copied().unwrap_or(0).to_string()));
        row.push(n.to_string());
        table.rows.push(row);
    }
    let mut row = vec!["total".to_string()];
    row.extend(countries.iter().map(|c| by_country[&vec![c.clone()]].to_string()));
    row.push(total.values().next().copied().unwrap_or(0).to_string());
    table.rows.push(row);
    Ok(table)
}

/// Country attributes side by side from a long CSV `country,attribute,value`.
pub fn countries(path: &std::path::Path) -> Result<Table> {
    let mut input = Rows::open(path, &csv::ReaderBuilder::new())?;
    let headers: Vec<String> = input.headers()?.iter().map(|h| h.trim().to_string()).collect();
    if headers != ["country", "attribute", "value"] {
        return Err(Error::invalid(crate::error::Location::line(path, 1), "a country attributes CSV has the columns `country,attribute,value`"));
    }
    let mut attributes: Vec<String> = Vec::new();
    let mut countries: Vec<String> = Vec::new();
    let mut values: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    while input.read(&mut record)?.is_some() {
        let (c, a, v) = (record[0].to_string(), record[1].to_string(), record[2].to_string());
        if !countries.contains(&c) {
            countries.push(c.clone());
        }
        if !attributes.contains(&a) {
            attributes.push(a.clone());
        }
        values.insert((a, c), v);
    }
    let mut table = Table { headers: std::iter::once("attribute".to_string()).chain(countries.iter().cloned()).collect(), rows: Vec::new() };
    for a in &attributes {
        let mut row = vec![a.clone()];
        row.extend(countries.iter().map(|c| values.get(&(a.clone(), c.clone())).cloned().unwrap_or_default()));
        table.rows.push(row);
    }
    Ok(table)
}
