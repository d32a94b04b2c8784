//! The fixtures and study codebook shipped inside the binary (see `build.rs`), for `quire demo`.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Files under `prefix` (e.g. `fixtures/first48/be/`), as (name relative to the prefix, bytes).
pub fn files_under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    FILES.iter().filter_map(move |(path, bytes)| path.strip_prefix(prefix).map(|rest| (rest, *bytes)))
}

/// One shipped file by its path in the repository.
pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}
