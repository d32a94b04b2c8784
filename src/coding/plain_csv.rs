//! The fast path for reading coding files as quire writes them: rows split by hand, skipping over
//! each text, without the CSV reader; anything it does not expect is left to the CSV reader.

use std::io::Read;
use std::path::Path;

use super::layout::{HEADER, ORIGIN};
use crate::error::{Error, Result};

/// Where the unquoted field at `at` ends (after its terminator), if `ends_with` ends it (or the
/// end of the file, if `last`) and it holds no quote or carriage return.
fn plain_field(bytes: &[u8], at: usize, ends_with: u8, last: bool) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let len = memchr::memchr2(b',', b'\n', rest).unwrap_or(rest.len());
    if memchr::memchr2(b'"', b'\r', &rest[..len]).is_some() {
        return None;
    }
    match rest.get(len) {
        Some(b) if *b == ends_with => Some(at + len + 1),
        None if last => Some(at + len),
        _ => None,
    }
}

/// How much of a coding file [`plain_rows`] reads at a time.
pub(super) const PLAIN_BLOCK: usize = 1 << 20;

/// Splits a coding file written plainly: the header, then rows whose first six fields are
/// unquoted, whose text is quoted or not (and whose origin, if the file has that column, is
/// unquoted), each ending in `\n`. Calls `row` with each row's line and first six fields, and
/// returns `None`, having stopped, at the first thing it does not expect (a quoted id, a `\r`,
/// a blank line, a missing or extra field): the CSV reader then reads the file instead.
///
/// `input` is read `block` bytes at a time, and split up to the last `\n` after which the
/// quotes pair up (in a plainly written file, the end of a row), the rest kept for the next block.
pub(super) fn plain_rows(
    path: &Path,
    mut input: impl Read,
    block: usize,
    mut row: impl FnMut(usize, [&[u8]; 6]) -> Result<()>,
) -> Result<Option<()>> {
    let mut buf: Vec<u8> = Vec::new();
    let mut origin: Option<bool> = None;
    let mut line = 2;
    loop {
        let n = (&mut input).take(block as u64).read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
        let eof = n < block;
        if origin.is_none() {
            let Some(first_end) = memchr::memchr(b'\n', &buf) else {
                if eof {
                    return Ok(None);
                }
                continue;
            };
            let header = HEADER.join(",");
            let with_origin = format!("{header},{ORIGIN}");
            origin = Some(match &buf[..first_end] {
                h if h == header.as_bytes() => false,
                h if h == with_origin.as_bytes() => true,
                _ => return Ok(None),
            });
            buf.drain(..=first_end);
        }
        let end = if eof { buf.len() } else { rows_end(&buf) };
        let Some(next) = plain_rows_in(&buf[..end], origin == Some(true), line, &mut row)? else {
            return Ok(None);
        };
        if eof {
            return Ok(Some(()));
        }
        line = next;
        buf.drain(..end);
    }
}

/// The end of the last row in `bytes` (which begin with a row): after the last `\n` before
/// which the quotes pair up; 0 if there is none.
fn rows_end(bytes: &[u8]) -> usize {
    let (mut quoted, mut end) = (false, 0);
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        match bytes[i] {
            b'"' => quoted = !quoted,
            _ if !quoted => end = i + 1,
            _ => {}
        }
    }
    end
}

/// The rows of `bytes` (whole rows, the first on `line`), as [`plain_rows`] splits them; the
/// line after them, or `None` at anything unexpected.
fn plain_rows_in(bytes: &[u8], origin: bool, mut line: usize, row: &mut impl FnMut(usize, [&[u8]; 6]) -> Result<()>) -> Result<Option<usize>> {
    let mut at = 0;
    while at < bytes.len() {
        let mut fields: [&[u8]; 6] = [&[]; 6];
        for f in &mut fields {
            let Some(comma) = memchr::memchr3(b',', b'\n', b'"', &bytes[at..]) else {
                return Ok(None);
            };
            if bytes[at + comma] != b',' || memchr::memchr(b'\r', &bytes[at..at + comma]).is_some() {
                return Ok(None);
            }
            *f = &bytes[at..at + comma];
            at += comma + 1;
        }
        // The text: quoted (with `""` for a quote, newlines allowed) or plain; then the origin.
        let start_line = line;
        let text_end = if origin { b',' } else { b'\n' };
        if bytes.get(at) == Some(&b'"') {
            let mut i = at + 1;
            loop {
                let Some(q) = memchr::memchr(b'"', &bytes[i..]) else {
                    return Ok(None);
                };
                line += memchr::memchr_iter(b'\n', &bytes[i..i + q]).count();
                i += q + 1;
                if bytes.get(i) != Some(&b'"') {
                    break;
                }
                i += 1;
            }
            match bytes.get(i) {
                Some(b) if *b == text_end => at = i + 1,
                None if !origin => at = i,
                _ => return Ok(None),
            }
        } else {
            let Some(next) = plain_field(bytes, at, text_end, !origin) else {
                return Ok(None);
            };
            at = next;
        }
        if origin {
            let Some(next) = plain_field(bytes, at, b'\n', true) else {
                return Ok(None);
            };
            at = next;
        }
        row(start_line, fields)?;
        line += 1;
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::coding::records::Records;
    use crate::coding::spans::Spans;
    use crate::coding::store::to_csv;

    type Fields = (usize, Vec<Vec<u8>>);

    /// Rows as the CSV reader gives them (line, first six fields), or its error.
    fn csv_rows(path: &Path) -> Result<Vec<Fields>> {
        let mut records = Records::open(path)?.unwrap();
        let mut rows = Vec::new();
        while records.advance()? {
            rows.push((records.line, (0..6).map(|i| records.record[i].to_vec()).collect()));
        }
        Ok(rows)
    }

    /// The rows `plain_rows` splits from `bytes`, the same whether it reads them whole or in
    /// blocks of a few bytes.
    fn plain(bytes: &[u8]) -> Option<Vec<Fields>> {
        let split = |block: usize| {
            let mut rows = Vec::new();
            plain_rows(Path::new("a.csv"), bytes, block, |line, f| {
                rows.push((line, f.iter().map(|x| x.to_vec()).collect()));
                Ok(())
            })
            .unwrap()
            .map(|()| rows)
        };
        let whole = split(bytes.len() + 1);
        for block in [1, 2, 3, 7, 64] {
            assert_eq!(split(block), whole, "{block}-byte blocks of {:?}", String::from_utf8_lossy(bytes));
        }
        whole
    }

    #[test]
    fn plainly_written_files_split_as_the_csv_reader_reads_them_and_others_go_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut with_origin = coding("S2", 4, "a/b", "ana", "2024-01-02T03:04:05Z");
        with_origin.origin = Some("pt".into());
        let mut plain_text = coding("S3", 1, "a", "ana", "t");
        plain_text.text = "geen aanhalingstekens".into();
        let mut empty_text = coding("S4", 1, "a", "ana", "t");
        empty_text.text = String::new();
        let written = [
            to_csv(&[coding("S1", 0, "a/b", "ana", "2024-01-02T03:04:05Z"), plain_text.clone(), empty_text.clone()]),
            to_csv(&[coding("S1", 0, "a", "bo", "t"), with_origin, plain_text]),
        ];
        for bytes in &written {
            fs::write(&path, bytes).unwrap();
            let fast = plain(bytes).expect("quire's own files take the plain path");
            assert_eq!(fast, csv_rows(&path).unwrap(), "{}", String::from_utf8_lossy(bytes));
            assert!(fast.iter().any(|(line, _)| *line > 3), "a quoted newline counts as a line");
        }
        let header = HEADER.join(",");
        // Valid CSV that is not plain: the CSV reader reads it (the same rows where both can).
        let others = [
            format!("{header}\r\nS1,0,5,a,ana,t,x\r\n"),
            format!("{header}\n\"S1\",0,5,a,ana,t,x\n"),
            format!("{header}\nS1,0,5,a,ana,t,x\n\nS2,0,5,a,ana,t,y\n"),
            format!("{header}\nS1,0,5,a,ana,t,say \"no\"\n"),
            format!("{header},{ORIGIN}\nS1,0,5,a,ana,t,x\n"),
        ];
        for text in &others {
            assert_eq!(plain(text.as_bytes()), None, "{text:?}");
        }
        // Without a final newline, or with a quoted text at the end of the file, rows still split.
        for text in [format!("{header}\nS1,0,5,a,ana,t,x"), format!("{header}\nS1,0,5,a,ana,t,\"x, \"\"y\"\"\"")] {
            fs::write(&path, &text).unwrap();
            assert_eq!(plain(text.as_bytes()).unwrap(), csv_rows(&path).unwrap(), "{text:?}");
        }
        // A row with a field too many is malformed for the CSV reader: not split here either.
        let extra = format!("{header}\nS1,0,5,a,ana,t,x,y\n");
        fs::write(&path, &extra).unwrap();
        assert!(csv_rows(&path).is_err());
        assert_eq!(plain(extra.as_bytes()), None);
        // Either way, a bad span is refused with its line, also in a file saved with CRLF line
        // ends, a byte order mark and a blank line (read by the CSV reader).
        for (text, line) in [
            (format!("{header}\nS1,0,5,a,ana,t,\"x\ny\"\nS1,9,3,a,ana,t,z\n"), 4),
            (format!("\u{feff}{header}\r\nS1,0,5,a,ana,t,x\r\n\r\nS1,9,3,a,ana,t,z\r\n"), 4),
        ] {
            fs::write(&path, &text).unwrap();
            assert_eq!(csv_rows(&path).unwrap()[1].0, line);
            let e = Spans::read_file(&path).unwrap_err().to_string();
            assert!(e.contains(&format!("a.csv:{line}:")) && e.contains("empty or reversed span 9..3"), "{e}");
        }
        assert_eq!(csv_rows(&path).unwrap().len(), 2);
    }

    use crate::coding::test_coding as coding;
}
