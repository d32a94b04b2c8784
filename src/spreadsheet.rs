//! CSV files saved by spreadsheet programs: the text encoding (UTF-8, with or without a byte
//! order mark, or the Windows-1252 of "CSV" in a European Excel) and the field separator (`,`,
//! or the `;` of locales whose decimal mark is a comma), detected from the bytes.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Location, Result};

/// The text encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows-1252 (cp1252): Latin-1 with printable characters in 0x80–0x9F.
    Windows1252,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252 (cp1252)",
        })
    }
}

/// A spreadsheet's text (line ends made `\n`) and how it was read.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// `b','` or `b';'`.
    pub separator: u8,
}

impl Decoded {
    /// "separator `;`, encoding Windows-1252 (cp1252)", for messages.
    pub fn describe(&self) -> String {
        format!("separator `{}`, encoding {}", self.separator as char, self.encoding)
    }
}

/// Characters of bytes 0x80–0x9F in Windows-1252; `None` for the five bytes it leaves undefined.
/// (Bytes 0xA0–0xFF are the Unicode characters of the same number, as in Latin-1.)
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// Decodes Windows-1252; the offset of the first byte it does not define, if any.
fn from_cp1252(bytes: &[u8]) -> std::result::Result<String, usize> {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for (at, &b) in bytes.iter().enumerate() {
        let c = match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].ok_or(at)?,
            _ => char::from(b),
        };
        text.push(c);
    }
    Ok(text)
}

/// The separator of a CSV whose first line is `header`: `;` when it has more `;` than `,`
/// outside quotes (what Excel writes in locales with a decimal comma), else `,`.
fn separator(header: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Reads a spreadsheet's bytes: UTF-8 (a leading byte order mark dropped), else Windows-1252;
/// bytes that are neither (or a NUL byte) are refused with the line they are on.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line_of = |at: usize| bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    if let Some(at) = memchr::memchr(0, bytes) {
        return Err(Error::invalid(
            Location::line(path, line_of(at)),
            "a NUL byte: this is not a CSV text file (save the sheet as \"CSV UTF-8\")".to_string(),
        ));
    }
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => match from_cp1252(bytes) {
            Ok(text) => (text, Encoding::Windows1252),
            Err(at) => {
                return Err(Error::invalid(
                    Location::line(path, line_of(at)),
                    format!(
                        "byte 0x{:02X} is neither UTF-8 nor Windows-1252 (cp1252), the encodings read; save the sheet as \"CSV UTF-8\"",
                        bytes[at]
                    ),
                ))
            }
        },
    };
    let text = if text.contains('\r') { crate::text::normalise_line_ends(&text) } else { text };
    let separator = separator(text.lines().next().unwrap_or_default());
    Ok(Decoded { text, encoding, separator })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_bytes_become_their_characters() {
        let bytes = b"caf\xE9 \x80 \x93quoted\x94 \x9C";
        let d = decode(Path::new("s.csv"), bytes).unwrap();
        assert_eq!(d.text, "café € \u{201C}quoted\u{201D} œ");
        assert_eq!(d.encoding, Encoding::Windows1252);
    }

    #[test]
    fn an_undefined_byte_is_refused_with_its_line() {
        let e = decode(Path::new("s.csv"), b"a;b\n\x81;c\n").unwrap_err().to_string();
        assert!(e.contains("s.csv:2") && e.contains("0x81") && e.contains("Windows-1252"), "{e}");
    }

    #[test]
    fn the_separator_is_the_more_frequent_one_outside_quotes() {
        assert_eq!(separator("segment;citation;\"a,b,c\";codes"), b';');
        assert_eq!(separator("segment,citation,\"a;b;c\",codes"), b',');
        assert_eq!(separator("segment"), b',');
    }

    #[test]
    fn utf8_with_a_byte_order_mark_stays_utf8() {
        let d = decode(Path::new("s.csv"), "\u{FEFF}é,b\n".as_bytes()).unwrap();
        assert_eq!((d.text.as_str(), d.encoding, d.separator), ("é,b\n", Encoding::Utf8, b','));
    }
}
