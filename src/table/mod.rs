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

impl Count {
    fn column(self) -> &'static str {
        match self {
            Count::Segments => "segment",
            Count::Respondents => "case",
            Count::Sources => "source",
        }
    }
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
    codebook
        .walk()
        .into_iter()
        .map(|v| v.path)
        .filter(|p| depth.is_none_or(|d| p.depth() <= d))
        .collect()
}

/// (unit, code, level) triples: a unit carries a code if any coding of the code, or of a
/// descendant, overlaps it. Codes deeper than `depth` count for their ancestor at `depth`.
/// Codes are numbered; the names are returned beside the triples.
struct Pairs {
    units: Vec<u32>,
    codes: Vec<u32>,
    levels: Vec<u32>,
    /// Code path (as written) by number.
    names: Vec<String>,
}

impl Pairs {
    fn of(coded: &CodedUnits, depth: Option<usize>) -> Pairs {
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        // Per coded path: the numbers of it and its ancestors, down to `depth`.
        let lineage: Vec<Vec<u32>> = coded
            .codes
            .iter()
            .map(|path| {
                let ids = path.ids();
                let deepest = depth.map_or(ids.len(), |d| d.min(ids.len()));
                (1..=deepest)
                    .map(|n| {
                        let name = ids[..n].join("/");
                        *numbers.entry(name.clone()).or_insert_with(|| {
                            names.push(name);
                            (names.len() - 1) as u32
                        })
                    })
                    .collect()
            })
            .collect();
        let mut pairs: Vec<(u32, u32)> = coded
            .marks
            .iter()
            .flat_map(|(unit, _, code)| lineage[*code as usize].iter().map(move |n| (*unit, *n)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let levels_by_number: Vec<u32> =
            names.iter().map(|n| n.split('/').count() as u32).collect();
        Pairs {
            units: pairs.iter().map(|(u, _)| *u).collect(),
            codes: pairs.iter().map(|(_, c)| *c).collect(),
            levels: pairs
                .iter()
                .map(|(_, c)| levels_by_number[*c as usize])
                .collect(),
            names,
        }
    }

    /// The key `counts_by` gives a code path's cells, if any unit carries it.
    fn key(&self, path: &CodePath) -> Option<String> {
        let name = path.to_string();
        self.names
            .iter()
            .position(|n| *n == name)
            .map(|i| i.to_string())
    }
}

fn polars_err(e: PolarsError) -> Error {
    Error::Usage(format!("table computation failed: {e}"))
}

fn unit_frame(coded: &CodedUnits, col_attr: Option<&str>) -> PolarsResult<DataFrame> {
    let idx: Vec<u32> = (0..coded.units.len() as u32).collect();
    let source: Vec<u32> = coded.units.iter().map(|r| r.source).collect();
    let case: Vec<u32> = coded.units.iter().map(|r| r.case).collect();
    let col: Vec<&str> = (0..coded.units.len())
        .map(|i| col_attr.and_then(|a| coded.attribute(i, a)).unwrap_or(""))
        .collect();
    df!("unit" => idx.clone(), "segment" => idx, "source" => source, "case" => case, "col" => col)
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

fn counts_by(
    frame: LazyFrame,
    keys: &[&str],
    unit: &str,
) -> PolarsResult<BTreeMap<Vec<String>, u64>> {
    let exprs: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let out = frame
        .group_by(exprs)
        .agg([col(unit).n_unique().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let mut map = BTreeMap::new();
    // Keys may be numbers (code numbers) or text; both are compared as text.
    let key_cols: Vec<_> = keys
        .iter()
        .map(|k| {
            out.column(k)
                .and_then(|c| c.cast(&DataType::String))
                .and_then(|c| c.str().cloned())
        })
        .collect::<PolarsResult<_>>()?;
    let n = out.column("n")?.u64()?.clone();
    for i in 0..out.height() {
        let key = key_cols
            .iter()
            .map(|c| c.get(i).unwrap_or("").to_string())
            .collect();
        map.insert(key, n.get(i).unwrap_or(0));
    }
    Ok(map)
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
    let unit_col = count.column();
    let result = (|| -> PolarsResult<_> {
        let units_df = unit_frame(coded, Some(attribute))?;
        let coded_df =
            df!("unit" => &pairs.units, "code" => &pairs.codes, "level" => &pairs.levels)?;
        let joined = coded_df.lazy().join(
            units_df.clone().lazy(),
            [col("unit")],
            [col("unit")],
            JoinArgs::new(JoinType::Inner),
        );
        let cells = counts_by(joined.clone(), &["code", "col"], unit_col)?;
        let row_totals = counts_by(joined.clone(), &["code"], unit_col)?;
        // Units coded with any shown code, per column and overall.
        let top = joined.clone().filter(col("level").eq(lit(1u32)));
        let col_coded = counts_by(top.clone(), &["col"], unit_col)?;
        let all_coded = counts_by(top.with_column(lit("").alias("all")), &["all"], unit_col)?;
        // Every unit, coded or not, per column and overall (denominators for percentages).
        let col_all = counts_by(units_df.clone().lazy(), &["col"], unit_col)?;
        let grand = counts_by(
            units_df.lazy().with_column(lit("").alias("all")),
            &["all"],
            unit_col,
        )?;
        Ok((cells, row_totals, col_coded, all_coded, col_all, grand))
    })()
    .map_err(polars_err)?;
    let (cells, row_totals, col_coded, all_coded, col_all, grand) = result;
    let mut columns: Vec<String> = (0..coded.units.len())
        .filter_map(|i| coded.attribute(i, attribute))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    columns.retain(|c| !c.is_empty());
    let grand_total = grand.values().next().copied().unwrap_or(0) as f64;
    let rows: Vec<(CodePath, String)> = row_codes(codebook, depth)
        .into_iter()
        .map(|p| {
            (
                p.clone(),
                codebook.get(&p).map(|c| c.name.clone()).unwrap_or_default(),
            )
        })
        .collect();
    let mut table = Vec::new();
    for (path, _) in &rows {
        let key = pairs.key(path).unwrap_or_default();
        let total = row_totals.get(&vec![key.clone()]).copied().unwrap_or(0) as f64;
        let mut line: Vec<f64> = columns
            .iter()
            .map(|c| {
                cells
                    .get(&vec![key.clone(), c.clone()])
                    .copied()
                    .unwrap_or(0) as f64
            })
            .collect();
        line.push(total);
        table.push(line);
    }
    let mut totals: Vec<f64> = columns
        .iter()
        .map(|c| col_coded.get(&vec![c.clone()]).copied().unwrap_or(0) as f64)
        .collect();
    totals.push(all_coded.values().next().copied().unwrap_or(0) as f64);
    if let Some(p) = percent {
        let denominators: Vec<f64> = columns
            .iter()
            .map(|c| col_all.get(&vec![c.clone()]).copied().unwrap_or(0) as f64)
            .chain([grand_total])
            .collect();
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
    Ok(Frequencies {
        rows,
        columns,
        cells: table,
        totals,
        percent: percent.is_some(),
    })
}

/// The co-occurrence matrix: units coded with both the row code and the column code.
pub fn cooccurrence(
    codebook: &Codebook,
    coded: &CodedUnits,
    depth: Option<usize>,
    count: Count,
) -> Result<Frequencies> {
    let pairs = Pairs::of(coded, depth);
    let unit_col = count.column();
    let counts = (|| -> PolarsResult<_> {
        let units_df = unit_frame(coded, None)?;
        let a = df!("unit" => &pairs.units, "code" => &pairs.codes)?.lazy();
        let b = df!("unit" => &pairs.units, "code_b" => &pairs.codes)?.lazy();
        let both = a
            .join(
                b,
                [col("unit")],
                [col("unit")],
                JoinArgs::new(JoinType::Inner),
            )
            .join(
                units_df.lazy(),
                [col("unit")],
                [col("unit")],
                JoinArgs::new(JoinType::Inner),
            );
        counts_by(both, &["code", "code_b"], unit_col)
    })()
    .map_err(polars_err)?;
    let paths = row_codes(codebook, depth);
    let rows: Vec<(CodePath, String)> = paths
        .iter()
        .map(|p| {
            (
                p.clone(),
                codebook.get(p).map(|c| c.name.clone()).unwrap_or_default(),
            )
        })
        .collect();
    let columns: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let keys: Vec<String> = paths
        .iter()
        .map(|p| pairs.key(p).unwrap_or_default())
        .collect();
    let cells = keys
        .iter()
        .map(|r| {
            keys.iter()
                .map(|c| {
                    counts
                        .get(&vec![r.clone(), c.clone()])
                        .copied()
                        .unwrap_or(0) as f64
                })
                .collect()
        })
        .collect();
    Ok(Frequencies {
        rows,
        columns,
        cells,
        totals: Vec::new(),
        percent: false,
    })
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
        let mut table = Table {
            headers,
            rows: Vec::new(),
        };
        for ((path, name), line) in self.rows.iter().zip(&self.cells) {
            let label = if indent {
                format!("{}{name}", "  ".repeat(path.depth() - 1))
            } else {
                name.clone()
            };
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
    })()
    .map_err(polars_err)?;
    let countries: Vec<String> = by_country.keys().map(|k| k[0].clone()).collect();
    let mut headers = vec!["respondents".to_string()];
    headers.extend(countries.iter().cloned());
    headers.push("total".into());
    let mut table = Table {
        headers,
        rows: Vec::new(),
    };
    for (g, n) in &by_group {
        let mut row = vec![g[0].clone()];
        row.extend(countries.iter().map(|c| {
            cells
                .get(&vec![g[0].clone(), c.clone()])
                .copied()
                .unwrap_or(0)
                .to_string()
        }));
        row.push(n.to_string());
        table.rows.push(row);
    }
    let mut row = vec!["total".to_string()];
    row.extend(
        countries
            .iter()
            .map(|c| by_country[&vec![c.clone()]].to_string()),
    );
    row.push(total.values().next().copied().unwrap_or(0).to_string());
    table.rows.push(row);
    Ok(table)
}

/// Country attributes side by side from a long CSV `country,attribute,value`.
pub fn countries(path: &std::path::Path) -> Result<Table> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid(crate::error::Location::line(path, 1), e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers != ["country", "attribute", "value"] {
        return Err(Error::invalid(
            crate::error::Location::line(path, 1),
            "a country attributes CSV has the columns `country,attribute,value`",
        ));
    }
    let mut attributes: Vec<String> = Vec::new();
    let mut countries: Vec<String> = Vec::new();
    let mut values: BTreeMap<(String, String), String> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            Error::invalid(
                crate::error::Location {
                    path: path.to_path_buf(),
                    line: e.position().map(|p| p.line() as usize),
                },
                format!("malformed row: {e}"),
            )
        })?;
        let (c, a, v) = (
            record[0].to_string(),
            record[1].to_string(),
            record[2].to_string(),
        );
        if !countries.contains(&c) {
            countries.push(c.clone());
        }
        if !attributes.contains(&a) {
            attributes.push(a.clone());
        }
        values.insert((a, c), v);
    }
    let mut table = Table {
        headers: std::iter::once("attribute".to_string())
            .chain(countries.iter().cloned())
            .collect(),
        rows: Vec::new(),
    };
    for a in &attributes {
        let mut row = vec![a.clone()];
        row.extend(countries.iter().map(|c| {
            values
                .get(&(a.clone(), c.clone()))
                .cloned()
                .unwrap_or_default()
        }));
        table.rows.push(row);
    }
    Ok(table)
}
