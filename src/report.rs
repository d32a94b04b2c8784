//! The HTML report: one self-contained file (inline CSS and SVG, no network resources) with the
//! codebook tree and counts per country, a heat map of themes × countries, the sample table, and
//! quotes per theme with citations.

use std::fmt::Write as _;

use crate::index::Hit;
use crate::output::Table;
use crate::table::render::html_escape;
use crate::table::Frequencies;

/// Everything the report shows, computed by the caller.
pub struct Report<'a> {
    pub title: &'a str,
    /// Respondents per code (all depths) and country.
    pub tree: &'a Frequencies,
    /// Respondents per top-level theme and country, as percentages of the country's respondents.
    pub heat: &'a Frequencies,
    pub sample: &'a Table,
    /// Per theme: its name and quotes.
    pub quotes: &'a [(String, Vec<Hit>)],
    pub withheld: usize,
    /// Whose codings it counts, as a caption says it (`coder fixture`).
    pub counted: &'a str,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#222;line-height:1.4}\
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.6rem 0}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.d1 td{font-weight:600;background:#f6f6f6}\
blockquote{margin:.8rem 0;padding:.4rem .8rem;border-left:4px solid #c0392b;background:#fafafa}\
.cite{color:#555;font-size:.9rem}.meta{color:#777;font-size:.85rem}";

fn cell_colour(pct: f64) -> String {
    // White to deep red by share of respondents.
    let t = (pct / 100.0).clamp(0.0, 1.0);
    let g = (255.0 - 190.0 * t) as u8;
    format!("rgb(255,{g},{g})")
}

fn heat_map(freq: &Frequencies) -> String {
    let (label_w, cell_w, cell_h, top) = (420usize, 70usize, 34usize, 30usize);
    let width = label_w + cell_w * freq.columns.len() + 10;
    let height = top + cell_h * freq.rows.len() + 10;
    let mut svg = format!(
        "<svg id=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Themes by country\" font-size=\"14\">"
    );
    for (j, country) in freq.columns.iter().enumerate() {
        let x = label_w + j * cell_w + cell_w / 2;
        let _ = write!(svg, "<text x=\"{x}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>", html_escape(country));
    }
    for (i, ((path, name), line)) in freq.rows.iter().zip(&freq.cells).enumerate() {
        let y = top + i * cell_h;
        let _ = write!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w - 8, y + cell_h / 2 + 5, html_escape(name));
        for (j, country) in freq.columns.iter().enumerate() {
            let pct = line[j];
            let x = label_w + j * cell_w;
            let _ = write!(
                svg,
                "<rect class=\"cell\" data-theme=\"{}\" data-country=\"{}\" data-percent=\"{pct:.1}\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{pct:.0}%</text>",
                html_escape(&path.to_string()),
                html_escape(country),
                cell_w,
                cell_h,
                cell_colour(pct),
                x + cell_w / 2,
                y + cell_h / 2 + 5
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn html_table(table: &Table, id: &str) -> String {
    crate::table::render::html(table, Some(id), "")
}

fn tree_table(freq: &Frequencies) -> String {
    let mut s = String::from("<table id=\"codebook\"><thead><tr><th>code</th>");
    for c in &freq.columns {
        let _ = write!(s, "<th>{}</th>", html_escape(c));
    }
    s.push_str("<th>total</th></tr></thead><tbody>");
    for ((path, name), line) in freq.rows.iter().zip(&freq.cells) {
        let depth = path.depth();
        let _ = write!(
            s,
            "<tr class=\"d{depth}\" data-code=\"{}\"><td style=\"padding-left:{}rem\">{}</td>",
            html_escape(&path.to_string()),
            0.6 + 1.2 * (depth - 1) as f64,
            html_escape(name)
        );
        for v in line {
            let _ = write!(s, "<td class=\"n\">{v:.0}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Renders the whole page.
pub fn render(r: &Report<'_>) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        html_escape(r.title)
    );
    let _ = write!(
        s,
        "<h1>{}</h1><p class=\"meta\">Made by quire {}. Counts are respondents (distinct cases) with at least one coded segment, in the codings of {}.</p>",
        html_escape(r.title),
        env!("CARGO_PKG_VERSION"),
        html_escape(r.counted)
    );
    s.push_str("<h2 id=\"sample-title\">Sample</h2>");
    s.push_str(&html_table(r.sample, "sample"));
    s.push_str("<h2 id=\"heatmap-title\">Themes by country</h2><p class=\"meta\">Share of each country's respondents mentioning the theme.</p>");
    s.push_str(&heat_map(r.heat));
    s.push_str("<h2 id=\"codebook-title\">Codebook with respondents per country</h2>");
    s.push_str(&tree_table(r.tree));
    s.push_str("<h2 id=\"quotes-title\">Quotes</h2>");
    if r.withheld > 0 {
        let _ = write!(s, "<p class=\"meta\">{} quote(s) withheld because the anonymisation check flags them.</p>", r.withheld);
    }
    for (theme, hits) in r.quotes {
        let _ = write!(s, "<section class=\"theme\"><h3>{}</h3>", html_escape(theme));
        for h in hits {
            let _ = write!(
                s,
                "<blockquote class=\"quote\" data-segment=\"{}\">“{}” <span class=\"cite\">{}</span></blockquote>",
                html_escape(&h.segment),
                html_escape(&crate::output::one_line(&h.text)),
                html_escape(&h.citation)
            );
        }
        s.push_str("</section>");
    }
    s.push_str("</body></html>\n");
    s
}
