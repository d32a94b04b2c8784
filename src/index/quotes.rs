//! `quotes.bin` beside the tantivy index: every respondent segment's quote (ids, speaker,
//! citation, country, text and the numbers of its codes) in quote order, read in place from a
//! memory map. A query reads its quotes here, by number, instead of decompressing blocks of
//! tantivy's doc store.
//!
//! Layout, little-endian: a 16-byte header (`QUIREQTS`, the format as a u32, four zero bytes);
//! the records one after another; the offset of each record and of the end of the last (u64s);
//! a 24-byte footer (the number of records, the offset of that table, `QUIREQTS`). A record is
//! the segment number and the count of codes (u32s), the codes (u32s), then six strings, each a
//! u32 length and its UTF-8 bytes: segment id, source id, speaker, citation, country, text.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, Result};

/// The quote file's name in the index directory.
pub const FILE: &str = "quotes.bin";
/// The name of quote file number `n`: `quotes.bin` from a rebuild, `quotes-N.bin` from the
/// update of generation N.
pub fn file_name(n: u32) -> String {
    if n == 0 {
        FILE.to_string()
    } else {
        format!("quotes-{n}.bin")
    }
}

/// Version of the quote file's layout (the index format changes with it).
const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"QUIREQTS";
const HEADER: usize = 16;
const FOOTER: usize = 24;

/// One quote as written.
pub struct Record<'a> {
    pub segment: &'a str,
    pub source: &'a str,
    pub number: u32,
    pub speaker: &'a str,
    pub citation: &'a str,
    pub country: &'a str,
    pub text: &'a str,
    /// Numbers of the (coder, code) pairs on the segment, as the index's metadata lists them.
    pub codes: &'a [u32],
}

/// One quote as read, borrowed from the map.
#[derive(Debug)]
pub struct Quote<'a> {
    pub number: u32,
    pub codes: Vec<u32>,
    pub segment: &'a str,
    pub source: &'a str,
    pub speaker: &'a str,
    pub citation: &'a str,
    pub country: &'a str,
    pub text: &'a str,
}

/// Quotes encoded back to back, with where each ends; built on any thread, written in order.
#[derive(Default)]
pub struct Encoded {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Encoded {
    /// How many quotes are encoded.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn push(&mut self, r: &Record<'_>) {
        let b = &mut self.bytes;
        b.extend_from_slice(&r.number.to_le_bytes());
        b.extend_from_slice(&(r.codes.len() as u32).to_le_bytes());
        for c in r.codes {
            b.extend_from_slice(&c.to_le_bytes());
        }
        for s in [r.segment, r.source, r.speaker, r.citation, r.country, r.text] {
            b.extend_from_slice(&(s.len() as u32).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        self.ends.push(b.len());
    }
}

/// Writes a quote file record by record.
pub struct Writer {
    path: PathBuf,
    out: std::io::BufWriter<fs::File>,
    offsets: Vec<u64>,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Writer> {
        let file = fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = Writer { path: path.to_path_buf(), out: std::io::BufWriter::with_capacity(1 << 20, file), offsets: vec![HEADER as u64] };
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&FORMAT.to_le_bytes());
        w.write(&header)?;
        Ok(w)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| Error::io(&self.path, e))
    }

    /// Appends quotes encoded together, in order.
    pub fn add(&mut self, encoded: &Encoded) -> Result<()> {
        let base = *self.offsets.last().expect("starts with the header's end");
        self.offsets.extend(encoded.ends.iter().map(|end| base + *end as u64));
        self.write(&encoded.bytes)
    }

    /// The number of quotes written so far (the number the next one gets).
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Writes the offsets and the footer, and syncs the file.
    pub fn finish(mut self) -> Result<()> {
        let table_at = *self.offsets.last().expect("starts with the header's end");
        let mut tail = Vec::with_capacity(self.offsets.len() * 8 + FOOTER);
        for o in &self.offsets {
            tail.extend_from_slice(&o.to_le_bytes());
        }
        tail.extend_from_slice(&(self.len() as u64).to_le_bytes());
        tail.extend_from_slice(&table_at.to_le_bytes());
        tail.extend_from_slice(MAGIC);
        self.write(&tail)?;
        let file = self.out.into_inner().map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))
    }
}

/// An open quote file.
pub struct Quotes {
    path: PathBuf,
    map: memmap2::Mmap,
    /// Where the offset table starts.
    table: usize,
    len: usize,
}

impl Quotes {
    /// Opens and checks the frame of a quote file; `None` if it is missing, of another format or
    /// inconsistent (the index is then rebuilt).
    pub fn open(path: &Path) -> Option<Quotes> {
        let file = fs::File::open(path).ok()?;
        // SAFETY: quire never changes a quote file in place. A rebuild writes a new directory
        // and renames it over the old one, so a mapped file is at worst unlinked, which keeps
        // its pages readable until the map is dropped; an update writes a new file under a name
        // no metadata lists yet (removing a leftover of that name first, under the rebuild lock).
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let size = map.len();
        if size < HEADER + 8 + FOOTER || &map[..8] != MAGIC || u32_at(&map, 8) != FORMAT || &map[size - 8..] != MAGIC {
            return None;
        }
        let len = usize::try_from(u64_at(&map, size - FOOTER)).ok()?;
        let table = usize::try_from(u64_at(&map, size - FOOTER + 8)).ok()?;
        let table_end = len.checked_add(1)?.checked_mul(8)?.checked_add(table)?;
        if table_end != size - FOOTER || u64_at(&map, table) != HEADER as u64 || u64_at(&map, table + len * 8) != table as u64 {
            return None;
        }
        Some(Quotes { path: path.to_path_buf(), map, table, len })
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Quote number `i`; an error names the file if the record does not parse.
    pub fn get(&self, i: usize) -> Result<Quote<'_>> {
        let bad = || Error::corrupt_at(Location::file(&self.path), format!("quote {i} is unreadable; run `quire index --rebuild`"));
        if i >= self.len {
            return Err(bad());
        }
        let (start, end) = (u64_at(&self.map, self.table + i * 8) as usize, u64_at(&self.map, self.table + i * 8 + 8) as usize);
        let record = self.map.get(start..end).filter(|_| start <= end && end <= self.table).ok_or_else(bad)?;
        parse(record).ok_or_else(bad)
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

/// A record's fields; `None` if it is cut short, runs over or is not UTF-8.
fn parse(record: &[u8]) -> Option<Quote<'_>> {
    let mut r = Cursor(record);
    let number = r.u32()?;
    let count = r.u32()? as usize;
    let codes = (0..count).map(|_| r.u32()).collect::<Option<Vec<u32>>>()?;
    let mut strings = [""; 6];
    for s in &mut strings {
        let len = r.u32()? as usize;
        *s = std::str::from_utf8(r.take(len)?).ok()?;
    }
    if !r.0.is_empty() {
        return None;
    }
    let [segment, source, speaker, citation, country, text] = strings;
    Some(Quote { number, codes, segment, source, speaker, citation, country, text })
}

/// The unread rest of a record.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(n: u32, text: &'a str, codes: &'a [u32]) -> Record<'a> {
        Record { segment: "S:1", source: "S", number: n, speaker: "R1", citation: "PR, F, BE", country: "BE", text, codes }
    }

    #[test]
    fn quotes_read_back_by_number_in_the_order_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut w = Writer::create(&path).unwrap();
        let (mut first, mut second) = (Encoded::default(), Encoded::default());
        first.push(&record(1, "Eerste antwoord, met é en ü.", &[3, 7]));
        first.push(&record(2, "", &[]));
        second.push(&record(9, "Le dernier.", &[0]));
        w.add(&first).unwrap();
        assert_eq!(w.len(), 2);
        w.add(&second).unwrap();
        w.finish().unwrap();
        let q = Quotes::open(&path).unwrap();
        assert_eq!(q.len(), 3);
        let got: Vec<(u32, String, Vec<u32>)> = (0..3).map(|i| q.get(i).unwrap()).map(|r| (r.number, r.text.to_string(), r.codes)).collect();
        assert_eq!(got, [(1, "Eerste antwoord, met é en ü.".into(), vec![3, 7]), (2, "".into(), vec![]), (9, "Le dernier.".into(), vec![0])]);
        assert_eq!(q.get(0).unwrap().citation, "PR, F, BE");
        assert!(q.get(3).unwrap_err().to_string().contains("quote 3 is unreadable"));
    }

    #[test]
    fn a_file_cut_short_of_another_format_or_with_a_bad_record_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut w = Writer::create(&path).unwrap();
        let mut e = Encoded::default();
        e.push(&record(1, "text", &[1]));
        w.add(&e).unwrap();
        w.finish().unwrap();
        let good = fs::read(&path).unwrap();
        fs::write(&path, &good[..good.len() - 1]).unwrap();
        assert!(Quotes::open(&path).is_none(), "cut short");
        let mut other = good.clone();
        other[8] = 2;
        fs::write(&path, &other).unwrap();
        assert!(Quotes::open(&path).is_none(), "format 2");
        fs::write(&path, b"garbage").unwrap();
        assert!(Quotes::open(&path).is_none(), "garbage");
        // A record whose text length runs past its end is refused when read.
        let mut broken = good.clone();
        let text_len_at = HEADER + 4 + 4 + 4 + ["S:1", "S", "R1", "PR, F, BE", "BE"].iter().map(|s| 4 + s.len()).sum::<usize>();
        broken[text_len_at] = 200;
        fs::write(&path, &broken).unwrap();
        let q = Quotes::open(&path).unwrap();
        assert!(q.get(0).is_err());
    }
}
