//! Safe reading and deterministic writing of the zip container of a `.qdpx` file.
//!
//! Reading refuses entry names with `..`, absolute paths or drive letters (zip slip), more than
//! [`Limits::max_entries`] entries, an entry that unpacks to more than [`Limits::max_entry`]
//! bytes, and more than [`Limits::max_total`] unpacked bytes in all. The sizes written in the
//! archive's headers are used only to refuse early: every entry is read through a counter that
//! stops at the budget left, whatever its header claims. The limits keep an import's memory under
//! 1 GB whatever the archive holds: the entries are held in memory while the project is read.
//!
//! Writing ([`Writer`]) gives the same bytes for the same content: a fixed timestamp and mode,
//! and entries deflated ahead of writing or in pieces deflated apart ([`Piece`]).

mod read;
mod write;

pub use read::{entry_location, Entries, Limits, MIB};
pub use write::{deflate_piece, prepare, Piece, Prepared, Writer};

#[cfg(test)]
mod tests {
    use super::read::safe_name;
    use super::write::{local_header, UNIX_HOST};
    use super::*;
    use std::io::Cursor;
    use std::path::Path;
    use zip::{DateTime, ZipArchive};

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
