//! Safe reading and deterministic writing of the zip container of a `.qdpx` file.
//!
//! Reading refuses entry names with `..`, absolute paths or drive letters (zip slip), more than
//! [`Limits::max_entries`] entries, an entry that unpacks to more than [`Limits::max_entry`]
//! bytes, and more than [`Limits::max_total`] unpacked bytes in all. The sizes written in the
//! archive's headers are used only to refuse early: every entry is read through a counter that
//! stops at the budget left, whatever its header claims. The limits keep an import's memory under
//! 1 GB whatever the archive holds: the entries are held in memory while the project is read.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::error::{Error, Location, Result};

/// Caps on what reading an archive may unpack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries (files and folders) an archive may hold.
    pub max_entries: usize,
    /// Most bytes all entries together may unpack to.
    pub max_total: u64,
    /// Most bytes one entry (`project.qde`, a source's text) may unpack to.
    pub max_entry: u64,
}

/// A mebibyte.
pub const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    /// 10,000 entries, 96 MiB an entry and 128 MiB in all: room for the `project.qde` of quire's
    /// 1,000-interview benchmark (64 MB of XML; a real study's is a few MB) and its texts (15 MB),
    /// or the `.docx` copies NVivo adds. An import holds about 5 bytes for each byte of text.
    fn default() -> Limits {
        Limits { max_entries: 10_000, max_total: 128 * MIB, max_entry: 96 * MIB }
    }
}

/// `n` bytes in MiB for messages (`128 MiB`), or bytes when they are not a whole number of MiB.
fn shown_size(n: u64) -> String {
    if n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The files of an archive, by their (checked) names, read into memory.
#[derive(Debug, Default)]
pub struct Entries {
    files: BTreeMap<String, Vec<u8>>,
}

/// `IN.qdpx!entry`: how errors name a file inside an archive.
pub fn entry_location(archive: &Path, entry: &str, line: Option<usize>) -> Location {
    Location { path: format!("{}!{entry}", archive.display()).into(), line }
}

/// Is `name` a safe relative path inside the archive? Returns it with `/` separators.
fn safe_name(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    if name.is_empty() || name.starts_with('/') || name.contains('\0') {
        return None;
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return None; // `C:...`
    }
    if name.split('/').any(|part| part == "..") {
        return None;
    }
    Some(name)
}

impl Entries {
    /// Reads every entry of the archive at `path` (named `shown` in errors) within `limits`.
    pub fn read(path: &Path, limits: Limits) -> Result<Entries> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Entries::from_reader(path, std::io::BufReader::new(file), limits)
    }

    pub fn from_reader<R: Read + std::io::Seek>(path: &Path, reader: R, limits: Limits) -> Result<Entries> {
        let whole = |message: String| Error::invalid(Location::file(path), message);
        let mut archive = ZipArchive::new(reader).map_err(|e| whole(format!("not a readable zip archive: {e}")))?;
        if archive.len() > limits.max_entries {
            return Err(whole(format!(
                "the archive has {} entries, more than the {} allowed (a zip bomb?); nothing was read",
                archive.len(),
                limits.max_entries
            )));
        }
        // Names first, and the sizes the headers declare: refuse before unpacking anything.
        let mut declared: u64 = 0;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(|e| whole(format!("entry {i}: {e}")))?;
            let raw = entry.name().map_err(|e| whole(format!("entry {i}: unreadable name: {e}")))?.to_string();
            if safe_name(&raw).is_none() {
                return Err(Error::invalid(
                    entry_location(path, &raw, None),
                    "unsafe entry name (`..`, an absolute path or a drive letter would write outside the project); refused",
                ));
            }
            if entry.size() > limits.max_entry {
                return Err(Error::invalid(
                    entry_location(path, &raw, None),
                    format!(
                        "declares {} unpacked bytes, more than the {} one entry may hold (a zip bomb?); nothing was read",
                        entry.size(),
                        shown_size(limits.max_entry)
                    ),
                ));
            }
            declared = declared.saturating_add(entry.size());
        }
        if declared > limits.max_total {
            return Err(whole(format!(
                "the archive declares {declared} unpacked bytes, more than the {} allowed (a zip bomb?); nothing was read",
                shown_size(limits.max_total)
            )));
        }
        let mut files = BTreeMap::new();
        let mut budget = limits.max_total;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| whole(format!("entry {i}: {e}")))?;
            let name = safe_name(&entry.name().map_err(|e| whole(format!("entry {i}: unreadable name: {e}")))?).expect("checked above");
            if entry.is_dir() {
                continue;
            }
            // Never trust the header: read at most one byte more than the entry may hold, or
            // than the budget left; its declared size (checked above) is only a capacity hint.
            let cap = budget.min(limits.max_entry);
            let mut bytes = Vec::with_capacity(entry.size().min(cap) as usize);
            let read = (&mut entry)
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::invalid(entry_location(path, &name, None), format!("cannot unpack: {e}")))?;
            if read as u64 > cap {
                let message = if cap == limits.max_entry {
                    format!("unpacks to more than the {} one entry may hold (a zip bomb?); nothing was read", shown_size(limits.max_entry))
                } else {
                    format!("unpacking goes past the {} allowed for the whole archive (a zip bomb?); nothing was read", shown_size(limits.max_total))
                };
                return Err(Error::invalid(entry_location(path, &name, None), message));
            }
            budget -= read as u64;
            if files.insert(name.clone(), bytes).is_some() {
                return Err(Error::invalid(entry_location(path, &name, None), "the archive holds this entry twice"));
            }
        }
        Ok(Entries { files })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Removes an entry, handing over its bytes.
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Finds an entry by name ignoring ASCII case (`Sources/` vs `sources/`).
    pub fn find(&self, name: &str) -> Option<(&str, &[u8])> {
        if let Some((k, v)) = self.files.get_key_value(name) {
            return Some((k.as_str(), v.as_slice()));
        }
        self.files.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// Writes an archive entry by entry, deflated, with a fixed timestamp and permissions, so the
/// same content always gives the same bytes.
pub struct Writer<W: Write + Seek> {
    zip: ZipWriter<W>,
}

/// An entry compressed ahead of writing (on any thread), for [`Writer::add`].
pub struct Prepared {
    name: String,
    piece: Piece,
}

fn zip_failed(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("writing the zip archive failed: {e}"))
}

/// A run of an entry deflated on its own (on any thread), for [`Writer::add_pieces`]: as pigz
/// does, every piece but the last ends with a sync flush and no final block, so the pieces joined
/// in order are one deflate stream.
pub struct Piece {
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

/// Deflates `bytes` as one piece of an entry; `last` for the entry's final piece.
pub fn deflate_piece(bytes: &[u8], last: bool) -> Piece {
    use flate2::{Compress, Compression, FlushCompress, Status};
    thread_local! {
        /// Each thread keeps its deflate state (about 300 KB of window and tables): made anew for
        /// every piece, that memory was a fresh allocation whose pages the kernel zeroed each time.
        static DEFLATE: std::cell::RefCell<Option<Compress>> = const { std::cell::RefCell::new(None) };
    }
    let flush = if last { FlushCompress::Finish } else { FlushCompress::Sync };
    let deflated = DEFLATE.with_borrow_mut(|kept| {
        let compress = kept.get_or_insert_with(|| Compress::new(Compression::new(LEVEL as u32), false));
        compress.reset();
        with_scratch(bytes.len() / 4 + 64, |deflated| loop {
            let read = compress.total_in() as usize;
            if deflated.capacity() - deflated.len() < 64 {
                deflated.reserve(deflated.capacity().max(4096));
            }
            let status = compress.compress_vec(&bytes[read..], deflated, flush).expect("deflate of in-memory bytes cannot fail");
            let done = compress.total_in() as usize == bytes.len() && deflated.len() < deflated.capacity();
            if status == Status::StreamEnd || (!last && done) {
                break;
            }
        })
    });
    Piece::of(bytes, deflated)
}

/// Runs `fill` on this thread's empty output buffer (with room for at least `room` bytes) and
/// returns a copy of what it wrote, of exactly its size. The buffer is kept for the next call:
/// output buffers sized for the worst case and kept with each piece held several times its
/// bytes, in pages the kernel had to zero first.
fn with_scratch(room: usize, fill: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        scratch.reserve(room);
        fill(scratch);
        scratch.to_vec()
    })
}

impl Piece {
    /// `bytes` deflated as `deflated`, with their CRC.
    fn of(bytes: &[u8], deflated: Vec<u8>) -> Piece {
        let mut crc = crc32fast::Hasher::new();
        crc.update(bytes);
        Piece { deflated, crc, len: bytes.len() as u64 }
    }
}

/// zlib's deflate level for pieces and streamed entries: 2 of 9. On a project's XML it makes
/// archives about 11% larger than the default 6 in about half the time; level 3 saves 1.3% of an
/// export's size for 4% more of its time (`bench/results/deflate-levels.md`).
const LEVEL: i64 = 2;

/// The host system Unix (3), in the upper byte of a version field (APPNOTE 4.4.2).
const UNIX_HOST: u16 = 3 << 8;

/// A zip local file header (APPNOTE 4.3.7) for a deflated entry dated like every other one, with
/// a Zip64 extra field when a size does not fit in 32 bits.
fn local_header(name: &str, crc: u32, deflated: u64, len: u64) -> Vec<u8> {
    let zip64 = deflated >= u64::from(u32::MAX) || len >= u64::from(u32::MAX);
    let mut h = Vec::with_capacity(30 + name.len() + 20);
    h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    // Version needed (2.0, or 4.5 for Zip64); the upper byte is the host system, Unix, which the
    // zip writer's raw copy takes the entry's from, so that its mode is read as a Unix mode.
    h.extend_from_slice(&(UNIX_HOST | if zip64 { 45u16 } else { 20 }).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // flags: sizes known, no descriptor
    h.extend_from_slice(&8u16.to_le_bytes()); // deflated
    h.extend_from_slice(&0u16.to_le_bytes()); // 00:00:00
    h.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
    h.extend_from_slice(&crc.to_le_bytes());
    let small = |n: u64| if zip64 { u32::MAX } else { n as u32 };
    h.extend_from_slice(&small(deflated).to_le_bytes());
    h.extend_from_slice(&small(len).to_le_bytes());
    h.extend_from_slice(&(name.len() as u16).to_le_bytes());
    h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    if zip64 {
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&16u16.to_le_bytes());
        h.extend_from_slice(&len.to_le_bytes());
        h.extend_from_slice(&deflated.to_le_bytes());
    }
    h
}

/// The deflated bytes of pieces, read one after another.
struct Pieces<'a> {
    pieces: &'a [Piece],
    /// (piece, offset in it)
    at: (usize, usize),
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.at.0) {
            let rest = &piece.deflated[self.at.1..];
            if rest.is_empty() {
                self.at = (self.at.0 + 1, 0);
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at.1 += n;
            return Ok(n);
        }
        Ok(0)
    }
}

/// Every entry's file mode: `rw-r--r--`.
const MODE: u32 = 0o644;

/// Every entry's options: deflated at [`LEVEL`], dated 1980-01-01, [`MODE`].
fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(LEVEL))
        .last_modified_time(DateTime::default())
        .unix_permissions(MODE)
}

/// Compresses a whole entry now (on any thread), to be added later in archive order.
pub fn prepare(name: &str, bytes: &[u8]) -> Prepared {
    Prepared { name: name.to_string(), piece: deflate_whole(bytes) }
}

/// libdeflate's level for whole entries: 1 of 12, as small as zlib's 3 on transcripts in half
/// its time (`bench/results/deflate-levels.md`).
const WHOLE_LEVEL: i32 = 1;

/// Deflates a whole entry with libdeflate, which compresses a buffer it holds entirely (it has no
/// streams, so it cannot end a piece that others follow).
fn deflate_whole(bytes: &[u8]) -> Piece {
    use libdeflater::{CompressionLvl, Compressor};
    thread_local! {
        static WHOLE: std::cell::RefCell<Option<Compressor>> = const { std::cell::RefCell::new(None) };
    }
    let deflated = WHOLE.with_borrow_mut(|kept| {
        let compressor = kept.get_or_insert_with(|| Compressor::new(CompressionLvl::new(WHOLE_LEVEL).expect("a level from 0 to 12")));
        let bound = compressor.deflate_compress_bound(bytes.len());
        with_scratch(bound, |deflated| {
            deflated.resize(bound, 0);
            let n = compressor.deflate_compress(bytes, deflated).expect("the bound fits the output");
            deflated.truncate(n);
        })
    });
    Piece::of(bytes, deflated)
}

impl<W: Write + Seek> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer { zip: ZipWriter::new(out) }
    }

    /// Adds an entry deflated in pieces by [`deflate_piece`], the last one last. The zip writer
    /// can only copy a deflated entry it reads from an archive, so the pieces are handed to it
    /// behind a local file header of their own.
    pub fn add_pieces(&mut self, name: &str, pieces: &[Piece]) -> Result<()> {
        let mut crc = crc32fast::Hasher::new();
        let (mut len, mut deflated) = (0u64, 0u64);
        for p in pieces {
            crc.combine(&p.crc);
            len += p.len;
            deflated += p.deflated.len() as u64;
        }
        let header = local_header(name, crc.finalize(), deflated, len);
        let mut stream = std::io::Cursor::new(header).chain(Pieces { pieces, at: (0, 0) });
        let file = zip::read::read_zipfile_from_stream_with_compressed_size(&mut stream, deflated)
            .map_err(zip_failed)?
            .ok_or_else(|| zip_failed("a pieced entry has no header"))?;
        // Dated and moded like every other entry (a local header has no file mode).
        self.zip.raw_copy_file_touch(file, DateTime::default(), Some(MODE)).map_err(zip_failed)
    }

    /// Adds an entry compressed by [`prepare`].
    pub fn add(&mut self, entry: &Prepared) -> Result<()> {
        self.add_pieces(&entry.name, std::slice::from_ref(&entry.piece))
    }

    /// Starts an entry; what is written next goes into it.
    pub fn start(&mut self, name: &str) -> Result<()> {
        self.zip.start_file(name, options()).map_err(zip_failed)
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.zip.write_all(bytes).map_err(zip_failed)
    }

    /// A whole entry.
    pub fn entry(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.start(name)?;
        self.write(bytes)
    }

    /// Writes the central directory and hands back the output.
    pub fn finish(self) -> Result<W> {
        self.zip.finish().map_err(zip_failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = Writer::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            zip.entry(name, bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn names_with_dot_dot_or_absolute_paths_are_refused() {
        for bad in ["../evil.txt", "/etc/passwd", "a/../../b", "C:/x.txt", "..\\x.txt"] {
            let bytes = zip_of(&[("project.qde", b"x"), (bad, b"y")]);
            let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes), Limits::default()).unwrap_err();
            assert!(e.to_string().contains("unsafe entry name"), "{bad}: {e}");
        }
        assert_eq!(safe_name("Sources/a..b.txt").as_deref(), Some("Sources/a..b.txt"));
    }

    #[test]
    fn the_unpacked_size_is_counted_not_taken_from_headers() {
        let data = vec![b'a'; 10_000];
        let mut bytes = zip_of(&[("big.txt", &data)]);
        // Make the headers lie: claim 10 unpacked bytes in the local and central headers.
        let lie = 10u32.to_le_bytes();
        let local = bytes.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
        bytes[local + 22..local + 26].copy_from_slice(&lie);
        let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[central + 24..central + 28].copy_from_slice(&lie);
        let limits = Limits { max_entries: 10, max_total: 1000, max_entry: 5000 };
        let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes.clone()), limits).unwrap_err().to_string();
        // Refused while unpacking, by our counter or by the zip reader's own check.
        assert!(e.starts_with("t.qdpx!big.txt: ") && (e.contains("zip bomb") || e.contains("larger than its declared")), "{e}");
        // The same with the cap of one entry.
        let limits = Limits { max_entries: 10, max_total: 100_000, max_entry: 1000 };
        let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes), limits).unwrap_err().to_string();
        assert!(e.starts_with("t.qdpx!big.txt: ") && (e.contains("one entry may hold") || e.contains("larger than its declared")), "{e}");
    }

    #[test]
    fn prepared_entries_read_back_beside_streamed_ones() {
        let text = "Zij zei: « on verra ». ".repeat(500);
        let mut zip = Writer::new(Cursor::new(Vec::new()));
        zip.entry("project.qde", b"<Project/>").unwrap();
        zip.add(&prepare("Sources/a.txt", text.as_bytes())).unwrap();
        zip.add(&prepare("Sources/empty.txt", b"")).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        // Every entry, prepared or streamed, is dated and moded alike.
        let mut archive = ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).unwrap();
            assert_eq!(
                (entry.unix_mode().map(|m| m & 0o777), entry.last_modified()),
                (Some(0o644), Some(DateTime::default())),
                "{}",
                entry.name().unwrap()
            );
        }
        let read = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes), Limits::default()).unwrap();
        assert_eq!(read.get("Sources/a.txt"), Some(text.as_bytes()));
        assert_eq!(read.get("Sources/empty.txt"), Some(&b""[..]));
        assert_eq!(read.get("project.qde"), Some(&b"<Project/>"[..]));
    }

    #[test]
    fn pieces_deflated_apart_join_into_one_entry() {
        let parts: Vec<String> = (0..5).map(|i| format!("<Source n=\"{i}\">{}</Source>\n", "Ik ga niet terug. ".repeat(2000 * i))).collect();
        let pieces: Vec<Piece> = parts.iter().enumerate().map(|(i, p)| deflate_piece(p.as_bytes(), i + 1 == parts.len())).collect();
        let mut zip = Writer::new(Cursor::new(Vec::new()));
        zip.add_pieces("project.qde", &pieces).unwrap();
        zip.entry("Sources/a.txt", b"after").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let read = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes.clone()), Limits::default()).unwrap();
        assert_eq!(read.get("project.qde"), Some(parts.concat().as_bytes()), "joined, checked against the CRC");
        assert_eq!(read.get("Sources/a.txt"), Some(&b"after"[..]));
        // An empty entry is one (final) piece.
        let mut zip = Writer::new(Cursor::new(Vec::new()));
        zip.add_pieces("empty.qde", &[deflate_piece(b"", true)]).unwrap();
        let read = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(zip.finish().unwrap().into_inner()), Limits::default()).unwrap();
        assert_eq!(read.get("empty.qde"), Some(&b""[..]));
    }

    #[test]
    fn a_local_header_carries_zip64_sizes_when_they_need_it() {
        let small = local_header("project.qde", 7, 10, 20);
        assert_eq!(small.len(), 30 + "project.qde".len());
        assert_eq!(&small[18..26], &[10, 0, 0, 0, 20, 0, 0, 0], "deflated, then unpacked size");
        let big = local_header("project.qde", 7, 5 << 30, 6 << 30);
        assert_eq!(big.len(), 30 + "project.qde".len() + 20);
        assert_eq!(&big[4..6], &(UNIX_HOST | 45).to_le_bytes(), "version needed for Zip64, made on Unix");
        assert_eq!(&big[18..26], &[0xFF; 8]);
        let extra = &big[30 + "project.qde".len()..];
        assert_eq!(&extra[..4], &[1, 0, 16, 0]);
        assert_eq!(&extra[4..12], &(6u64 << 30).to_le_bytes(), "unpacked size first");
        assert_eq!(&extra[12..20], &(5u64 << 30).to_le_bytes());
    }

    #[test]
    fn entry_count_and_declared_size_are_capped() {
        let bytes = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let limits = Limits { max_entries: 2, max_total: 100, max_entry: 100 };
        let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes.clone()), limits).unwrap_err();
        assert!(e.to_string().contains("3 entries"), "{e}");
        let limits = Limits { max_entries: 10, max_total: 2, max_entry: 100 };
        let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes.clone()), limits).unwrap_err();
        assert_eq!(e.to_string(), "t.qdpx: the archive declares 3 unpacked bytes, more than the 2 bytes allowed (a zip bomb?); nothing was read");
        let big = zip_of(&[("a", b"1"), ("Sources/b.txt", b"22")]);
        let limits = Limits { max_entries: 10, max_total: 100, max_entry: 1 };
        let e = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(big), limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.qdpx!Sources/b.txt: declares 2 unpacked bytes, more than the 1 bytes one entry may hold (a zip bomb?); nothing was read"
        );
        let ok = Entries::from_reader(Path::new("t.qdpx"), Cursor::new(bytes), Limits::default()).unwrap();
        assert_eq!(ok.names().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(zip_of(&[("x", b"y")]), zip_of(&[("x", b"y")]), "the same entries give the same bytes");
    }
}
