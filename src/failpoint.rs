//! Failpoints for crash tests: `QUIRE_FAILPOINT=NAME` (or `NAME:N` for the N-th time) makes the
//! process abort at that point, as a power cut or `kill -9` would stop it.

use std::sync::atomic::{AtomicUsize, Ordering};

static HITS: AtomicUsize = AtomicUsize::new(0);

/// Aborts the process if the failpoint `name` is armed (a no-op otherwise).
pub fn hit(name: &str) {
    let Ok(spec) = std::env::var("QUIRE_FAILPOINT") else { return };
    let (armed, nth) = match spec.split_once(':') {
        Some((n, k)) => (n.to_string(), k.parse::<usize>().unwrap_or(1)),
        None => (spec, 1),
    };
    if armed == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        std::process::abort();
    }
}
