//! Writing a `.qdpx` archive deterministically: entries deflated ahead of writing ([`Prepared`]),
//! or in pieces deflated apart and joined into one entry ([`Piece`]).

use std::io::{Read, Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::{Error, Result};

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
pub(super) const UNIX_HOST: u16 = 3 << 8;

/// A zip local file header (APPNOTE 4.3.7) for a deflated entry dated like every other one, with
/// a Zip64 extra field when a size does not fit in 32 bits.
pub(super) fn local_header(name: &str, crc: u32, deflated: u64, len: u64) -> Vec<u8> {
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
