//! quire: qualitative analysis of interview and focus-group transcripts from the command line.
//!
//! The library never prints: every command writes to the writers it is handed, and every error is
//! typed and names the file (and line) it comes from. `main.rs` only parses arguments and maps
//! errors to messages and exit codes.
//!
//! The modules, in the order data flows through them (`python3 ../shared/tools/modcycles.py src`
//! checks that no files import each other in a cycle):
//!
//! - **project** (`project/`): the directory, manifest (with the coder kinds), writer and commit
//!   locks, atomic writes, transactions and their journal, the history of writes that `log` and
//!   `undo` read (`project/history/`), source hashes; `staging`, `edits` (sources edited by hand).
//! - **corpus** (`corpus/`): sources, speakers and segments; the transcript format, its header
//!   values, speaker labels (`labels`: what looks like a label but is not declared), the cases
//!   sheet, and `--where` attribute filters (`filter`).
//! - **codebook** (`codebook/`): the code tree, its rules, validation and edits.
//! - **coding** (`coding/`): coders and their kinds (`coder`, `kinds`: whose codings count),
//!   codings on disk (layout, records, plain CSV, numbered spans, store), the coding sheet (read in
//!   the encoding and with the separator `spreadsheet` detects), re-anchoring, orphans and their
//!   fuzzy re-attachment (`orphans`, `similar`), autocoding and the review of its suggestions.
//! - **derived**: `index/` (schema, build, search, freshness) and `table/` (coded units, counts,
//!   rendering), rebuilt from the above when it changes.
//! - **outputs and operations**: `quotes`, `report`, `agreement`, `verify`, `ingest`, `targets`
//!   (what `code` may code of a target), `merge/`, `import`, `demo`, `anonymise`; beside them
//!   `refi/` (model, positions, qde, archive, codebook, import, export), the REFI-QDA reader and
//!   writer, which `import` and `merge` use and which uses nothing of theirs.
//! - **tui** (`tui/`): the interactive terminal coder's state and keys (`app`), code picker,
//!   other coder beside, and drawing (ratatui); its writes go through `coding::apply` (as `code`
//!   and `uncode`), `coding::suggestions` and the history's undo. `cli/tui.rs` is its terminal loop.
//! - **cli** (`cli/`): one file per command: its arguments, one call into the library, rendering.

pub mod agreement;
pub mod anonymise;
pub mod bench;
pub mod cli;
pub mod clock;
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
pub mod text;
pub mod tui;
pub mod verify;

pub use error::{Error, Exit, Result};
