//! How an export writes its texts and counts its positions: Unicode code points of the
//! canonical text by default (the standard's unit), UTF-16 code units with `--positions utf16`,
//! and NVivo's own shape with `--for nvivo` (UTF-16 units, texts with a BOM and CRLF line ends,
//! as NVivo for Windows writes them; CRLF counts 2 and the BOM is not counted).

use std::borrow::Cow;

/// The unit an export counts `startPosition`/`endPosition` in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExportUnits {
    /// Unicode code points (scalar values): the QDA-XML standard.
    #[default]
    #[value(name = "code-points")]
    CodePoints,
    /// UTF-16 code units (a character outside the Basic Multilingual Plane counts 2): NVivo.
    #[value(name = "utf16")]
    Utf16,
}

/// A program an export can be shaped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// NVivo: UTF-16 positions, texts in `Sources/` with a UTF-8 BOM and CRLF line ends.
    #[value(name = "nvivo")]
    Nvivo,
}

/// The shape of an export's texts and positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub units: ExportUnits,
    /// Texts start with a UTF-8 byte order mark (not counted in positions).
    pub bom: bool,
    /// Texts have CRLF line ends (a CRLF counts 2 in positions).
    pub crlf: bool,
}

impl Shape {
    /// What `--positions` and `--for` ask for (they are not given together).
    pub fn new(units: Option<ExportUnits>, target: Option<Target>) -> Shape {
        match target {
            Some(Target::Nvivo) => Shape { units: ExportUnits::Utf16, bom: true, crlf: true },
            None => Shape { units: units.unwrap_or_default(), ..Shape::default() },
        }
    }

    /// Positions are the canonical text's code points: no table is needed.
    pub fn is_canonical(&self) -> bool {
        self.units == ExportUnits::CodePoints && !self.crlf
    }

    /// A source's text as written in the archive.
    pub fn text<'a>(&self, body: &'a str) -> Cow<'a, [u8]> {
        if !self.bom && !self.crlf {
            return Cow::Borrowed(body.as_bytes());
        }
        let mut out = Vec::with_capacity(body.len() + 3 + if self.crlf { body.len() / 16 } else { 0 });
        if self.bom {
            out.extend_from_slice("\u{FEFF}".as_bytes());
        }
        if self.crlf {
            for (i, line) in body.split('\n').enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(line.as_bytes());
            }
        } else {
            out.extend_from_slice(body.as_bytes());
        }
        Cow::Owned(out)
    }

    /// Maps offsets in code points of `body` (the canonical text) to this shape's positions.
    pub fn positions(&self, body: &str) -> Positions {
        if self.is_canonical() {
            return Positions(None);
        }
        let mut table = Vec::with_capacity(body.len() + 1);
        let mut at = 0;
        table.push(at);
        for c in body.chars() {
            at += match self.units {
                ExportUnits::CodePoints => 1,
                ExportUnits::Utf16 => c.len_utf16(),
            };
            if self.crlf && c == '\n' {
                at += 1;
            }
            table.push(at);
        }
        Positions(Some(table))
    }

    /// What the positions count, for the project's `Description` and the command's note.
    pub fn note(&self) -> String {
        let unit = match self.units {
            ExportUnits::CodePoints => "count Unicode code points (scalar values)",
            ExportUnits::Utf16 => "count UTF-16 code units (a character outside the BMP counts 2)",
        };
        let text = match (self.bom, self.crlf) {
            (false, false) => "the text has LF line ends and no BOM",
            (true, true) => "the text has CRLF line ends (a CRLF counts 2) and a UTF-8 BOM, which is not counted",
            (false, true) => "the text has CRLF line ends (a CRLF counts 2) and no BOM",
            (true, false) => "the text has LF line ends and a UTF-8 BOM, which is not counted",
        };
        format!("PlainTextSelection startPosition/endPosition {unit} of the UTF-8 plain text in Sources/, from 0, end exclusive; {text}.")
    }
}

impl Shape {
    /// What the command says about positions.
    pub fn says(&self) -> String {
        let unit = match self.units {
            ExportUnits::CodePoints => "Unicode code points (not UTF-16 units)",
            ExportUnits::Utf16 => "UTF-16 code units (as NVivo reads them)",
        };
        let text = match (self.bom, self.crlf) {
            (false, false) => "LF line ends, no BOM",
            (true, true) => "CRLF line ends counting 2, a UTF-8 BOM not counted",
            (false, true) => "CRLF line ends counting 2, no BOM",
            (true, false) => "LF line ends, a UTF-8 BOM not counted",
        };
        format!("positions are {unit} of each source's text in Sources/ ({text})")
    }

    /// The `origin` an export writes: quire's name and version, and its unit when it is not the
    /// standard's (import reads the unit back from it).
    pub fn origin(&self) -> String {
        match (self.units, self.bom || self.crlf) {
            (ExportUnits::CodePoints, false) => super::origin(),
            (ExportUnits::Utf16, true) => format!("{} (UTF-16 positions, for NVivo)", super::origin()),
            (ExportUnits::Utf16, false) => format!("{} (UTF-16 positions)", super::origin()),
            (ExportUnits::CodePoints, true) => format!("{} (code point positions, CRLF counts 2)", super::origin()),
        }
    }
}

/// Code point offsets of one text mapped to an export's positions.
pub struct Positions(Option<Vec<usize>>);

impl Positions {
    /// The position of code point offset `k` (at most the text's length).
    pub fn at(&self, k: usize) -> usize {
        match &self.0 {
            None => k,
            Some(table) => table[k],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_count_astral_characters_twice_and_crlf_twice_for_nvivo() {
        let body = "a😀b\nc";
        let utf16 = Shape::new(Some(ExportUnits::Utf16), None).positions(body);
        assert_eq!((0..=5).map(|k| utf16.at(k)).collect::<Vec<_>>(), [0, 1, 3, 4, 5, 6]);
        let nvivo = Shape::new(None, Some(Target::Nvivo)).positions(body);
        assert_eq!((0..=5).map(|k| nvivo.at(k)).collect::<Vec<_>>(), [0, 1, 3, 4, 6, 7]);
        assert_eq!(Shape::default().positions(body).at(4), 4);
    }

    #[test]
    fn nvivo_texts_have_a_bom_and_crlf_line_ends() {
        let nvivo = Shape::new(Some(ExportUnits::CodePoints), Some(Target::Nvivo));
        assert_eq!(&*nvivo.text("a\nb\n"), "\u{FEFF}a\r\nb\r\n".as_bytes());
        assert_eq!(&*Shape::new(Some(ExportUnits::Utf16), None).text("a\nb"), b"a\nb");
    }
}
