//! Shared harness for integration tests: a temporary work directory holding copies of the
//! fixtures and codebook, and a runner for the built `quire` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const COUNTRIES: [&str; 4] = ["be", "fr", "de", "pt"];

/// The repository under test. Read when the test runs (cargo sets it for test processes), not
/// when it compiled: a target directory shared between clones may hold a test binary compiled
/// in another clone, whose compile-time path is gone or holds other files.
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary directory with `fixtures/` and `codebook/` copied in.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

/// The result of one run of the binary.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            status: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.status, 0, "command failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn fails(self) -> Run {
        assert_ne!(self.status, 0, "command should have failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts the exact exit status (see the README's table of exit codes).
    pub fn exits(self, code: i32) -> Run {
        assert_eq!(self.status, code, "exit status\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// The built `quire`, without the `QUIRE_*` variables of the environment the tests run in (a
/// failpoint or lock wait set there would change every run); a test passes its own explicitly.
fn quire_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quire"));
    for (key, _) in std::env::vars_os() {
        if key.as_encoded_bytes().starts_with(b"QUIRE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

impl Workdir {
    pub fn new() -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("fixtures"), &dir.path().join("fixtures"));
        copy_dir(&repo().join("codebook"), &dir.path().join("codebook"));
        Workdir { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs `quire ARGS` in the work directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.dir.path(), args)
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str]) -> Run {
        quire_command().args(args).current_dir(cwd).output().unwrap().into()
    }

    /// Runs `quire ARGS` with extra environment variables (the only `QUIRE_*` ones it sees).
    pub fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut cmd = quire_command();
        cmd.args(args).current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap().into()
    }

    /// `quire init NAME --codebook codebook/first48.json`.
    pub fn init(&self, name: &str, language: &str) {
        self.run(&["init", name, "--codebook", "codebook/first48.json", "--language", language]).ok();
    }

    /// A project per country with its fixtures ingested.
    pub fn country_project(&self, country: &str) -> String {
        let lang = match country {
            "be" => "nl",
            other => other,
        };
        self.init(country, lang);
        self.run(&["--project", country, "ingest", &format!("fixtures/first48/{country}")]).ok();
        country.to_string()
    }
}

/// Every file of `project` (under the work directory), after creating its lock files (empty; the
/// first command that writes, or reads, creates them), so that a comparison sees only what a
/// command wrote.
pub fn project_files(w: &Workdir, project: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    for lock in ["lock", "commit.lock"] {
        if !w.path(&format!("{project}/.quire/{lock}")).exists() {
            w.write(&format!("{project}/.quire/{lock}"), "");
        }
    }
    snapshot(&w.path(project))
}

/// Every file under `dir` with its bytes, for asserting that a command left a project unchanged.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    fn go(base: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                go(base, &path, files);
            } else {
                files.insert(path.strip_prefix(base).unwrap().to_path_buf(), fs::read(&path).unwrap());
            }
        }
    }
    go(dir, dir, &mut files);
    files
}

/// A check that cannot run because its tool or reference file is missing. With
/// `QUIRE_REQUIRE_TOOLS=1` (set by `.ci/run`) that is a test failure; otherwise the reason is
/// printed and appended to the skip log (`QUIRE_SKIP_LOG`, default `skipped-checks.log` in the
/// target's test directory), which `.ci/run` prints at the end so no skip goes unseen.
pub fn skip(reason: &str) {
    if std::env::var_os("QUIRE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("a required checker is missing (QUIRE_REQUIRE_TOOLS=1): {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    let log = std::env::var_os("QUIRE_SKIP_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-checks.log"));
    if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(&log) {
        let test = std::thread::current().name().unwrap_or("?").to_string();
        let _ = std::io::Write::write_all(&mut f, format!("{test}: {reason}\n").as_bytes());
    }
}

/// Does `program ARGS` run and succeed?
pub fn tool_works(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

/// A deflated zip archive (a `.qdpx`) from (name, bytes).
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Validates `xml` against an XSD of `../shared/refi/xsd` (`Project.xsd`, `Codebook.xsd`) with
/// xmllint; false after [`skip`] when xmllint or the schema is missing.
pub fn xmllint(w: &Workdir, xml: &[u8], xsd: &str) -> bool {
    let schema = repo().join("../shared/refi/xsd").join(xsd);
    if !schema.exists() {
        skip(&format!("XSD validation: {} is missing", schema.display()));
        return false;
    }
    if !tool_works("xmllint", &["--version"]) {
        skip("XSD validation: xmllint is not installed (apt-get install libxml2-utils)");
        return false;
    }
    let file = w.write("validate/doc.xml", xml);
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("validates"), "{xsd}: {stderr}");
    true
}

/// One entry of a zip archive on disk.
pub fn entry(path: &Path, name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
    bytes
}
