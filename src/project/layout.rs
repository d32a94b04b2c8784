//! The names of the files and folders of a project directory.

pub const MANIFEST: &str = "quire.toml";
pub const SOURCES_DIR: &str = "sources";
pub const CODINGS_DIR: &str = "codings";
pub const MEMOS_DIR: &str = "memos";
pub const STATE_DIR: &str = ".quire";
/// In `.quire/` of a project being built beside its target (`merge --into NEW`, `import qdpx`).
pub const STAGING_LOCK: &str = "staging.lock";
