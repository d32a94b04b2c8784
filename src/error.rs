//! Typed library errors: every failure names the file (and line or JSON location) it comes from.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where in which file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based line, when the problem is on a line.
    pub line: Option<usize>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Location {
        Location { path: path.into(), line: None }
    }

    pub fn line(path: impl Into<PathBuf>, line: usize) -> Location {
        Location { path: path.into(), line: Some(line) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// What is wrong with a transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptProblem {
    #[error("{0}, not text: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that")]
    NotText(&'static str),
    #[error("invalid UTF-8 (byte {offset}); save the file as UTF-8")]
    InvalidUtf8 { offset: usize },
    #[error("NUL byte at column {column}; the file is not plain text (save it as UTF-8 text)")]
    NulByte { column: usize },
    #[error("malformed header: {0}")]
    MalformedHeader(String),
    #[error("header opened here is never closed by a `---` line")]
    HeaderNotClosed,
    #[error("header has no `{0}:` line (add it, or give it in a cases CSV)")]
    MissingKey(&'static str),
    #[error("unknown speaker label `{label}` (declared: {declared}){hint}")]
    UnknownSpeaker { label: String, declared: String, hint: String },
    #[error("speaker `{0}` is declared twice")]
    DuplicateSpeaker(String),
    #[error("text before the first speaker turn (start the line with `LABEL: `)")]
    TextBeforeFirstTurn,
    #[error("speaker `{label}`: {problem}")]
    Speaker { label: String, problem: String },
    #[error("{0}")]
    Value(String),
    #[error("no speaker turns after the header")]
    EmptyBody,
}

/// A problem with one code in a codebook, found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodebookIssue {
    /// JSON location, e.g. `$.codes[2].children[0].rules.fr`.
    pub pointer: String,
    pub message: String,
    pub severity: Severity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{location}: {source}")]
    Io {
        location: Location,
        #[source]
        source: io::Error,
    },
    #[error("{location}: {problem}")]
    Transcript { location: Location, problem: TranscriptProblem },
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    #[error("{}: codebook is invalid:\n{}", path.display(), render_issues(issues))]
    CodebookInvalid { path: PathBuf, issues: Vec<CodebookIssue> },
    #[error("source id `{id}` appears in both {} and {}", first.display(), second.display())]
    DuplicateSource { id: String, first: PathBuf, second: PathBuf },
    #[error(
        "{}: source `{id}` is already in the project ({}) with different content; use --replace to replace it",
        new.display(),
        existing.display()
    )]
    SourceChanged { id: String, existing: PathBuf, new: PathBuf },
    /// A source file no longer matches its recorded hash: reads that use offsets refuse.
    #[error(
        "{}: changed since it was ingested (it differs from its hash in sources/SHA256SUMS){}; codings would land on the wrong text: run `quire verify --repair`, or restore the file",
        first.display(),
        if *others == 0 { String::new() } else { format!(", and so do {others} other source(s)") }
    )]
    SourcesEdited { first: PathBuf, others: usize },
    #[error("{}: another quire process is writing to this project; try again when it has finished", path.display())]
    Locked { path: PathBuf },
    /// No project where one was looked for (searched for, or named with `--project DIR`).
    #[error("{0}")]
    NoProject(MissingProject),
    #[error("{}: already a quire project", path.display())]
    ProjectExists { path: PathBuf },
    #[error("{}: project format {found} is newer than this quire understands (up to {supported}); upgrade quire", path.display())]
    FormatTooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("unknown source `{0}`")]
    UnknownSource(String),
    #[error("unknown code `{query}`{}", suggest(suggestions))]
    UnknownCode { query: String, suggestions: Vec<String> },
    #[error("code `{query}` is ambiguous: it matches {}", candidates.join(", "))]
    AmbiguousCode { query: String, candidates: Vec<String> },
    /// Several problems in one input file (a coding sheet), each on its own line; nothing was written.
    #[error("{}", problems.iter().map(|(line, m)| format!("{}:{line}: {m}", path.display())).collect::<Vec<_>>().join("\n"))]
    Rows { path: PathBuf, problems: Vec<(usize, String)> },
    /// Bad arguments: the command line asks for something that cannot be done as asked.
    #[error("{0}")]
    Usage(String),
    /// Refused by policy: the input is well formed, but doing it would lose or mix up work
    /// (codebook drift in a merge, `--strict` findings, a target that exists).
    #[error("{}{message}", at(location))]
    Refused { location: Option<Location>, message: String },
    /// Project or derived state that quire wrote is unreadable or inconsistent (a bad index,
    /// a journal it will not apply, a project file linked from outside).
    #[error("{}{message}", at(location))]
    Corrupt { location: Option<Location>, message: String },
    /// A library failed where it should not (polars, tantivy, a CSV or zip writer).
    #[error("{0}")]
    Internal(String),
    /// A check (`check --strict`, `verify`) found problems, reported before this message.
    #[error("{0}")]
    Findings(String),
    /// Writing to the output stream failed (a closed pipe is not reported by `main`).
    #[error("writing output: {0}")]
    Output(#[source] io::Error),
}

/// How a project that is not there was looked for; both are [`Error::NoProject`].
#[derive(Debug)]
pub enum MissingProject {
    /// Searched for in a directory and its parents.
    Searched { start: PathBuf },
    /// Named with `--project DIR`, whose manifest cannot be read.
    Named { manifest: PathBuf, source: io::Error },
}

impl fmt::Display for MissingProject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingProject::Searched { start } => {
                write!(f, "no quire project here or in any parent directory of {} (run `quire init DIR`, or pass --project DIR)", start.display())
            }
            MissingProject::Named { manifest, source } => write!(f, "{}: {source}", manifest.display()),
        }
    }
}

/// The process exit code of each kind of error, documented in the README (Development).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Findings reported by `check --strict` or `verify`.
    Findings = 1,
    /// Bad arguments, or no project where one was looked for.
    Usage = 2,
    /// Bad input data refused, with its file and line.
    BadInput = 3,
    /// Refused by policy, or the project is locked by another writer.
    Refused = 4,
    /// Corrupt or unreadable project state.
    Corrupt = 5,
    /// A library failing where it should not.
    Internal = 70,
    /// Reading or writing a file or the output failed.
    Io = 74,
}

fn at(location: &Option<Location>) -> String {
    location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default()
}

fn suggest(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(", "))
    }
}

fn render_issues(issues: &[CodebookIssue]) -> String {
    issues.iter().map(|i| format!("  {}: {}: {}", i.severity, i.pointer, i.message)).collect::<Vec<_>>().join("\n")
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Error {
        Error::Io { location: Location::file(path.as_ref()), source }
    }

    pub fn invalid(location: Location, message: impl Into<String>) -> Error {
        Error::Invalid { location, message: message.into() }
    }

    /// Refused by policy, at a place in a file.
    pub fn refused_at(location: Location, message: impl Into<String>) -> Error {
        Error::Refused { location: Some(location), message: message.into() }
    }

    /// Refused by policy.
    pub fn refused(message: impl Into<String>) -> Error {
        Error::Refused { location: None, message: message.into() }
    }

    /// Corrupt project state, at a place in a file.
    pub fn corrupt_at(location: Location, message: impl Into<String>) -> Error {
        Error::Corrupt { location: Some(location), message: message.into() }
    }

    /// Corrupt project state.
    pub fn corrupt(message: impl Into<String>) -> Error {
        Error::Corrupt { location: None, message: message.into() }
    }

    /// What kind of failure this is, as a process exit code.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Findings(_) => Exit::Findings,
            Error::Usage(_) | Error::NoProject(_) => Exit::Usage,
            Error::Transcript { .. }
            | Error::Invalid { .. }
            | Error::CodebookInvalid { .. }
            | Error::DuplicateSource { .. }
            | Error::UnknownSource(_)
            | Error::UnknownCode { .. }
            | Error::AmbiguousCode { .. }
            | Error::Rows { .. } => Exit::BadInput,
            Error::Refused { .. } | Error::SourceChanged { .. } | Error::Locked { .. } | Error::ProjectExists { .. } => Exit::Refused,
            Error::Corrupt { .. } | Error::SourcesEdited { .. } | Error::FormatTooNew { .. } => Exit::Corrupt,
            Error::Internal(_) => Exit::Internal,
            Error::Io { .. } | Error::Output(_) => Exit::Io,
        }
    }

    /// The process exit code: see [`Exit`].
    pub fn exit_code(&self) -> u8 {
        self.exit() as u8
    }
}

/// Polars is only used to compute tables; a failure there is quire's, not the input's.
impl From<polars::prelude::PolarsError> for Error {
    fn from(e: polars::prelude::PolarsError) -> Error {
        Error::Internal(format!("table computation failed: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
