//! Output formats and a small table renderer (aligned text, CSV, Markdown, JSON).

use std::io::Write;

use crate::error::{Error, Result};

/// How a command prints data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// Markdown.
    Md,
    /// JSON.
    Json,
}

/// Turns a write failure on the output stream into an error `main` can recognise (a closed pipe
/// is not a failure).
pub fn out_err(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// A rectangular table of strings with a header.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table { headers: headers.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    pub fn write(&self, format: Format, out: &mut dyn Write) -> Result<()> {
        match format {
            Format::Text => self.write_text(out),
            Format::Csv => self.write_csv(out),
            Format::Md => self.write_md(out),
            Format::Json => self.write_json(out),
        }
    }

    fn write_text(&self, out: &mut dyn Write) -> Result<()> {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| self.rows.iter().map(|r| r[i].chars().count()).chain(std::iter::once(self.headers[i].chars().count())).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(cell);
                } else {
                    let pad = widths[i] - cell.chars().count();
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_string()
        };
        writeln!(out, "{}", line(&self.headers)).map_err(out_err)?;
        for row in &self.rows {
            writeln!(out, "{}", line(row)).map_err(out_err)?;
        }
        Ok(())
    }

    fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        write_csv(out, &self.headers, &self.rows)
    }

    fn write_md(&self, out: &mut dyn Write) -> Result<()> {
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        writeln!(out, "| {} |", self.headers.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | ")).map_err(out_err)?;
        writeln!(out, "|{}", "---|".repeat(self.headers.len())).map_err(out_err)?;
        for row in &self.rows {
            writeln!(out, "| {} |", row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")).map_err(out_err)?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> Result<()> {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            self.rows.iter().map(|r| self.headers.iter().zip(r).map(|(h, c)| (h.clone(), serde_json::Value::String(c.clone()))).collect()).collect();
        write_json(out, &rows)
    }
}

/// CSV: a header row, then each row as it comes (nothing is collected first).
pub fn write_csv<R>(out: &mut dyn Write, headers: &[impl AsRef<[u8]>], rows: impl IntoIterator<Item = R>) -> Result<()>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => out_err(io),
        other => Error::Internal(format!("CSV output failed: {other:?}")),
    };
    w.write_record(headers).map_err(csv_err)?;
    for row in rows {
        w.write_record(row).map_err(csv_err)?;
    }
    w.flush().map_err(out_err)
}

/// Pretty JSON followed by a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| out_err(e.into()))?;
    writeln!(out).map_err(out_err)
}

/// Collapses a paragraph's line breaks for one-line display.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
