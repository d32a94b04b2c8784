//! quire: qualitative analysis of interview and focus-group transcripts from the command line.
//!
//! The library never prints: every command writes to the writers it is handed, and every error is
//! typed and names the file (and line) it comes from. `main.rs` only parses arguments and maps
//! errors to messages and exit codes.
//!
//! The modules, in the order data flows through them (`python3 ../shared/tools/modcycles.py src`
//! checks that no files import each other in a cycle):
//!
//! - **project** (`project/`): the directory, manifest, writer and commit locks, atomic writes,
//!   transactions and their journal, source hashes; `staging`, `edits` (sources edited by hand).
//! - **corpus** (`corpus/`): sources, speakers and segments; the transcript format, its header
//!   values and the cases sheet.
//! - **codebook** (`codebook/`): the code tree, its rules, validation and edits.
//! - **coding** (`coding/`): codings on disk (layout, records, plain CSV, interned spans, store),
//!   the coding sheet (read in the encoding and with the separator `spreadsheet` detects),
//!   re-anchoring and autocoding.
//! - **derived**: `index/` (schema, build, search, freshness) and `table/` (coded units, counts,
//!   rendering), rebuilt from the above when it changes.
//! - **outputs and operations**: `quotes`, `report`, `agreement`, `verify`, `ingest`, `targets`
//!   (what `code` may code of a target), `merge/`,
//!   `import`, `demo`, `anonymise`; beside them `refi/`, the REFI-QDA reader and writer, which
//!   `import` and `merge` use and which uses nothing of theirs.
//! - **cli** (`cli/`): one file per command: its arguments, one call into the library, rendering.

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
pub mod spreadsheet;
pub mod staging;
pub mod table;
pub mod targets;
pub mod verify;

pub use error::{Error, Exit, Result};
