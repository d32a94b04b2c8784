//! CSV files people hand to quire (coding files, sheets, cases, mappings, country attributes), read
//! row by row with the line each row starts on and errors naming it. The csv crate dates a row
//! from where the previous one stopped, which is before the `\n` of a CRLF line end and before
//! any blank lines it skips: its line numbers run short in files saved on Windows or with blank
//! lines. Here the bytes between rows are looked at, and a row's line is that of its first field.

use std::cell::RefCell;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::error::{Error, Location, Result};

/// The rows of one CSV input, each with its line.
pub struct Rows<R> {
    path: PathBuf,
    reader: csv::Reader<Watched<io::Chain<io::Cursor<Vec<u8>>, R>>>,
    unread: Rc<RefCell<Unread>>,
}

/// The UTF-8 byte order mark spreadsheet programs put before "CSV UTF-8"; not part of the header.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes csv has been given but no row has been dated past yet.
#[derive(Default)]
struct Unread {
    bytes: Vec<u8>,
    /// Index in `bytes` of the stream offset `from`; earlier bytes are counted and wait to be dropped.
    start: usize,
    /// Stream offset of `bytes[start]`.
    from: u64,
    /// Line breaks before `from`.
    breaks: u64,
}

/// An input that keeps a copy of what it passes to csv in [`Unread`].
struct Watched<R> {
    inner: R,
    unread: Rc<RefCell<Unread>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut unread = self.unread.borrow_mut();
        // Counted bytes go once they are most of the copy, so dropping them costs little per row.
        if unread.start > 0 && unread.start >= unread.bytes.len() / 2 {
            let start = unread.start;
            unread.bytes.drain(..start);
            unread.start = 0;
        }
        unread.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Unread {
    /// The 1-based line of the row csv began to read at stream offset `at`: past the line breaks
    /// before `at` and the blank lines (or the `\n` of a CRLF) csv skipped to reach the row.
    fn line_of_row_at(&mut self, at: u64) -> usize {
        let skip = (at.saturating_sub(self.from) as usize).min(self.bytes.len() - self.start);
        let counted = &self.bytes[self.start..self.start + skip];
        self.breaks += memchr::memchr_iter(b'\n', counted).count() as u64;
        self.start += skip;
        self.from += skip as u64;
        let rest = &self.bytes[self.start..];
        let blank = rest.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        (self.breaks + memchr::memchr_iter(b'\n', &rest[..blank]).count() as u64 + 1) as usize
    }
}

impl Rows<fs::File> {
    /// Opens the CSV file at `path`.
    pub fn open(path: &Path, builder: &csv::ReaderBuilder) -> Result<Self> {
        let file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Rows::new(path, builder, file)
    }

    /// As [`Rows::open`]; `None` if there is no file.
    pub fn open_if_any(path: &Path, builder: &csv::ReaderBuilder) -> Result<Option<Self>> {
        match fs::File::open(path) {
            Ok(file) => Rows::new(path, builder, file).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

impl<R: Read> Rows<R> {
    /// Rows of `input` (after a byte order mark, if it starts with one), named `path` in errors.
    pub fn new(path: &Path, builder: &csv::ReaderBuilder, mut input: R) -> Result<Self> {
        let mut head = Vec::with_capacity(BOM.len());
        (&mut input).take(BOM.len() as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
        if head == BOM {
            head.clear();
        }
        let unread = Rc::new(RefCell::new(Unread::default()));
        let reader = builder.from_reader(Watched { inner: io::Cursor::new(head).chain(input), unread: Rc::clone(&unread) });
        Ok(Rows { path: path.to_path_buf(), reader, unread })
    }

    /// The header row.
    pub fn headers(&mut self) -> Result<csv::StringRecord> {
        match self.reader.headers() {
            Ok(headers) => Ok(headers.clone()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Reads the next row into `record`: its line, or `None` at the end of the input.
    pub fn read(&mut self, record: &mut csv::StringRecord) -> Result<Option<usize>> {
        match self.reader.read_record(record) {
            Ok(true) => Ok(Some(self.line_of(record.position()))),
            Ok(false) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// As [`Rows::read`], with fields as bytes (checked for UTF-8 by the caller).
    pub fn read_bytes(&mut self, record: &mut csv::ByteRecord) -> Result<Option<usize>> {
        match self.reader.read_byte_record(record) {
            Ok(true) => Ok(Some(self.line_of(record.position()))),
            Ok(false) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    fn line_of(&self, position: Option<&csv::Position>) -> usize {
        position.map_or(0, |p| self.unread.borrow_mut().line_of_row_at(p.byte()))
    }

    fn error(&self, e: csv::Error) -> Error {
        let line = e.position().map(|p| self.line_of(Some(p)));
        row_error(&self.path, line, e)
    }
}

/// A malformed row at `line`, said in its own words (csv's would repeat its own line count), or
/// the read error that stopped the input.
fn row_error(path: &Path, line: Option<usize>, e: csv::Error) -> Error {
    use csv::ErrorKind;
    let message = match e.kind() {
        ErrorKind::UnequalLengths { expected_len, len, .. } => format!("malformed row: {len} field(s) where the header has {expected_len}"),
        ErrorKind::Utf8 { err, .. } => format!("malformed row: field {} is not UTF-8", err.field() + 1),
        ErrorKind::Io(_) => match e.into_kind() {
            ErrorKind::Io(e) => return Error::io(path, e),
            _ => unreachable!("the kind was Io"),
        },
        _ => format!("malformed CSV: {e}"),
    };
    Error::invalid(Location { path: path.to_path_buf(), line }, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, first field) of each row, or the error's line and message.
    type Dated = std::result::Result<Vec<(usize, String)>, (Option<usize>, String)>;

    /// The rows of `text`, read through a reader that hands csv `chunk` bytes at a time.
    fn rows(text: impl AsRef<[u8]>, chunk: usize) -> Dated {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut rows = Rows::new(Path::new("x.csv"), csv::ReaderBuilder::new().buffer_capacity(chunk.max(1)), Trickle(text.as_ref(), chunk)).unwrap();
        let fail = |e: Error| match e {
            Error::Invalid { location, message } => (location.line, message),
            other => (None, other.to_string()),
        };
        assert_eq!(&rows.headers().map_err(fail)?[0], "h", "the header's first name, without a byte order mark");
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while let Some(line) = rows.read(&mut record).map_err(fail)? {
            out.push((line, record[0].to_string()));
        }
        Ok(out)
    }

    #[test]
    fn a_row_is_on_the_line_of_its_first_field_whatever_the_line_ends() {
        let lf = "h,t\na,1\nb,\"two\nlines\"\nc,3\n";
        let want = vec![(2, "a".to_string()), (3, "b".to_string()), (5, "c".to_string())];
        for chunk in [1, 2, 3, 7, 64, 8192] {
            assert_eq!(rows(lf, chunk).unwrap(), want, "LF, {chunk}-byte reads");
            assert_eq!(rows(lf.replace('\n', "\r\n"), chunk).unwrap(), want, "CRLF, {chunk}-byte reads");
            let blank = "h,t\r\n\r\na,1\n\n\nb,2\r\n";
            assert_eq!(rows(blank, chunk).unwrap(), [(3, "a".to_string()), (6, "b".to_string())], "blank lines, {chunk}-byte reads");
            assert_eq!(rows(format!("\u{feff}{lf}"), chunk).unwrap(), want, "a byte order mark, {chunk}-byte reads");
        }
    }

    #[test]
    fn a_malformed_row_is_named_by_its_line() {
        for text in ["h,t\r\na,1\r\nb\r\n", "h,t\n\na,1\n\nb\n"] {
            let (line, message) = rows(text, 8192).unwrap_err();
            let want = if text.contains('\r') { 3 } else { 5 };
            assert_eq!((line, message.as_str()), (Some(want), "malformed row: 1 field(s) where the header has 2"), "{text:?}");
        }
        let (line, message) = rows(b"h,t\na,\xff\n", 8192).map(|_| ()).unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("field 2 is not UTF-8"), "{message}");
        // The header too, after a blank line.
        let (line, message) = rows(b"\r\nh,\xff\r\na,1\r\n", 8192).map(|_| ()).unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("field 2 is not UTF-8"), "{message}");
    }
}
