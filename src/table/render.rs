//! Table formats beyond the shared ones: LaTeX (booktabs) and a self-contained HTML table.

use std::io::Write;

use crate::error::Result;
use crate::output::{out_err, Format, Table};

/// Formats of `quire table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Text,
    Md,
    Csv,
    Json,
    /// LaTeX tabular (booktabs).
    Tex,
    /// An HTML table.
    Html,
}

fn tex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            _ => out.push(c),
        }
    }
    out
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An HTML table (numbers in cells of class `n`), with an `id` if given; `separator` goes after
/// each part and row (`"\n"` for a file of its own, `""` inside the report).
pub fn html(table: &Table, id: Option<&str>, separator: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("<table");
    if let Some(id) = id {
        let _ = write!(s, " id=\"{id}\"");
    }
    let _ = write!(s, ">{separator}<thead><tr>");
    for h in &table.headers {
        let _ = write!(s, "<th>{}</th>", html_escape(h));
    }
    let _ = write!(s, "</tr></thead>{separator}<tbody>{separator}");
    for row in &table.rows {
        s.push_str("<tr>");
        for c in row {
            let class = if numeric(c) { " class=\"n\"" } else { "" };
            let _ = write!(s, "<td{class}>{}</td>", html_escape(c));
        }
        let _ = write!(s, "</tr>{separator}");
    }
    let _ = write!(s, "</tbody>{separator}</table>{separator}");
    s
}

/// Is this cell a number (right-aligned)?
fn numeric(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok()
}

/// Columns of a frequency table that serve other programs (`code`: the code's path, `depth`: its
/// level), not a reader: `.tex` output leaves them out unless asked.
pub const INTERNAL_COLUMNS: [&str; 2] = ["code", "depth"];

/// `table` without the columns named `names`.
pub fn without_columns(table: &Table, names: &[&str]) -> Table {
    let keep: Vec<usize> = (0..table.headers.len()).filter(|i| !names.contains(&table.headers[*i].as_str())).collect();
    Table {
        headers: keep.iter().map(|i| table.headers[*i].clone()).collect(),
        rows: table.rows.iter().map(|r| keep.iter().map(|i| r[*i].clone()).collect()).collect(),
    }
}

/// [`write`] with a caption saying what the cells count: a line before the table in text, a
/// pandoc `Table:` caption line (and a blank line) before it in Markdown; csv, json, tex and
/// html carry no caption (they are read by programs, or placed in a document that captions).
pub fn write_captioned(table: &Table, format: TableFormat, caption: &str, out: &mut dyn Write) -> Result<()> {
    match format {
        TableFormat::Text => writeln!(out, "{caption}").map_err(out_err)?,
        TableFormat::Md => writeln!(out, "Table: {caption}\n").map_err(out_err)?,
        _ => {}
    }
    write(table, format, out)
}

pub fn write(table: &Table, format: TableFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        TableFormat::Text => table.write(Format::Text, out),
        TableFormat::Md => table.write(Format::Md, out),
        TableFormat::Csv => table.write(Format::Csv, out),
        TableFormat::Json => table.write(Format::Json, out),
        TableFormat::Tex => {
            let align: String =
                table.headers.iter().enumerate().map(|(i, _)| if table.rows.iter().all(|r| numeric(&r[i])) { 'r' } else { 'l' }).collect();
            writeln!(out, "\\begin{{tabular}}{{{align}}}\n\\toprule").map_err(out_err)?;
            let line = |cells: &[String]| cells.iter().map(|c| tex_escape(c)).collect::<Vec<_>>().join(" & ");
            writeln!(out, "{} \\\\\n\\midrule", line(&table.headers)).map_err(out_err)?;
            for row in &table.rows {
                writeln!(out, "{} \\\\", line(row)).map_err(out_err)?;
            }
            writeln!(out, "\\bottomrule\n\\end{{tabular}}").map_err(out_err)
        }
        TableFormat::Html => out.write_all(html(table, None, "\n").as_bytes()).map_err(out_err),
    }
}
