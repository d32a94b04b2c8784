//! quire: qualitative analysis of interview and focus-group transcripts from the command line.
//!
//! The library never prints: every command writes to the writers it is handed, and every error is
//! typed and names the file (and line) it comes from. `main.rs` only parses arguments and maps
//! errors to messages and exit codes.

pub mod agreement;
pub mod anonymise;
pub mod bench;
pub mod cli;
pub mod codebook;
pub mod coding;
pub mod corpus;
pub mod csv_rows;
pub mod demo;
pub mod edits;
pub mod embedded;
pub mod error;
pub mod failpoint;
pub mod import;
pub mod index;
pub mod ingest;
pub mod merge;
pub mod output;
pub mod progress;
pub mod project;
pub mod quotes;
pub mod refi;
pub mod report;
pub mod staging;
pub mod table;
pub mod verify;

pub use error::{Error, Result};
