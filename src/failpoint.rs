//! Failpoints for crash tests: `QUIRE_FAILPOINT=NAME` (or `NAME:N` for the N-th time) makes the
//! process abort at that point, as a power cut or `kill -9` would stop it. For tests that order
//! two processes, `QUIRE_PAUSE=NAME` with `QUIRE_PAUSE_DIR=DIR` makes it create `DIR/paused` at
//! that point and wait (up to a minute) until `DIR/resume` exists.

use std::sync::atomic::{AtomicUsize, Ordering};

static HITS: AtomicUsize = AtomicUsize::new(0);

/// Aborts the process if the failpoint `name` is armed (a no-op otherwise).
pub fn hit(name: &str) {
    pause(name);
    let Ok(spec) = std::env::var("QUIRE_FAILPOINT") else { return };
    let (armed, nth) = match spec.split_once(':') {
        Some((n, k)) => (n.to_string(), k.parse::<usize>().unwrap_or(1)),
        None => (spec, 1),
    };
    if armed == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        std::process::abort();
    }
}

fn pause(name: &str) {
    if std::env::var("QUIRE_PAUSE").ok().as_deref() != Some(name) {
        return;
    }
    let Some(dir) = std::env::var_os("QUIRE_PAUSE_DIR").map(std::path::PathBuf::from) else { return };
    let _ = std::fs::write(dir.join("paused"), name);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !dir.join("resume").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
