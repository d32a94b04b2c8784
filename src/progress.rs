//! Progress of long steps (checking transcripts, indexing, autocoding, exporting), reported
//! through a trait so the library never draws anything itself: the binary shows a bar on a
//! terminal, tests and pipes see nothing.

/// Receives the progress of one step at a time; shared by the threads doing the work.
pub trait Progress: Sync {
    /// A step of `total` items begins; with a `total` of 0 its length is unknown (a wait).
    fn begin(&self, step: &str, total: u64);
    /// `n` more items are done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn end(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}
