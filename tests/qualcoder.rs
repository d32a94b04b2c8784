//! QualCoder, a real REFI-QDA client, reads quire's exports, and its exports of them come back:
//! its own import and export code (driven headless by `../shared/peers/qualcoder_drive.py`) runs
//! in the virtual environment `.ci/run` prepares, named by `QUIRE_QUALCODER_PYTHON`. Without it
//! the tests say why and skip, unless `QUIRE_REQUIRE_TOOLS=1`, when a missing tool fails them.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo, Workdir};

/// The python of QualCoder's environment and the driver, or why they cannot be used.
fn qualcoder() -> Result<(PathBuf, PathBuf), String> {
    let driver = repo().join("../shared/peers/qualcoder_drive.py");
    if !driver.is_file() {
        return Err(format!("the QualCoder driver {} is missing", driver.display()));
    }
    let Some(python) = std::env::var_os("QUIRE_QUALCODER_PYTHON").map(PathBuf::from) else {
        return Err("QUIRE_QUALCODER_PYTHON is not set (.ci/run prepares QualCoder's virtual environment and sets it)".into());
    };
    let probe = Command::new(&python).args(["-c", "import PyQt6.QtWidgets, lxml"]).env("QT_QPA_PLATFORM", "offscreen").output();
    match probe {
        Ok(o) if o.status.success() => Ok((python, driver)),
        Ok(o) => Err(format!("{} cannot import PyQt6: {}", python.display(), String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(format!("{} does not run: {e}", python.display())),
    }
}

/// The tools, or None after printing why the test skips; a panic if `QUIRE_REQUIRE_TOOLS=1`.
fn qualcoder_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    match qualcoder() {
        Ok(tools) => Some(tools),
        Err(why) => {
            common::skip(&format!("{test}: {why}"));
            None
        }
    }
}

/// Runs the driver's `import` of `qdpx` into `project` (QualCoder writes `project.qda/data.qda`).
fn qualcoder_import(w: &Workdir, python: &Path, driver: &Path, qdpx: &Path, project: &Path) -> PathBuf {
    let home = w.path("qualcoder-home");
    fs::create_dir_all(home.join(".qualcoder")).unwrap();
    let out = Command::new(python)
        .arg(driver)
        .arg("import")
        .arg(qdpx)
        .arg(project)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("HOME", &home)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "QualCoder's import failed:\n{stdout}\n{stderr}");
    let db = project.with_extension("qda").join("data.qda");
    assert!(db.is_file(), "no {}:\n{stdout}", db.display());
    db
}

/// Runs the driver's `export` of QualCoder project `qda` into `out`; the one .qdpx it writes.
fn qualcoder_export(w: &Workdir, python: &Path, driver: &Path, qda: &Path, out: &Path) -> PathBuf {
    fs::create_dir_all(out).unwrap();
    let result = Command::new(python)
        .arg(driver)
        .arg("export")
        .arg(qda)
        .arg(out)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("HOME", w.path("qualcoder-home"))
        .output()
        .unwrap();
    assert!(result.status.success(), "QualCoder's export failed:\n{}", String::from_utf8_lossy(&result.stderr));
    let made: Vec<PathBuf> = fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "qdpx")).collect();
    assert_eq!(made.len(), 1, "{made:?}");
    made[0].clone()
}

/// A project's codings as (source, start, end, coder, created, text) with how many codes each.
fn codings(dir: &Path) -> BTreeMap<[String; 6], usize> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir.join("codings")).unwrap() {
        for row in csv::Reader::from_path(entry.unwrap().path()).unwrap().records() {
            let r = row.unwrap();
            *out.entry([0, 1, 2, 4, 5, 6].map(|i| r[i].to_string())).or_default() += 1;
        }
    }
    out
}

/// Rows of an SQL query on a SQLite file, read with python3's sqlite3 module, as JSON arrays.
fn sqlite(db: &Path, query: &str) -> Vec<serde_json::Value> {
    let script = "import json, sqlite3, sys\nprint(json.dumps(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))";
    let out = Command::new("python3").arg("-c").arg(script).arg(db).arg(query).output().expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

#[test]
fn qualcoder_imports_a_two_coder_export_with_every_coding_credited_to_its_coder() {
    let Some((python, driver)) = qualcoder_or_skip("qualcoder_imports_a_two_coder_export_with_every_coding_credited_to_its_coder") else {
        return;
    };
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    let db = qualcoder_import(&w, &python, &driver, &w.path("pt.qdpx"), &w.path("qc/pt"));

    // quire's codings: (source, start, end, coder) with how many codes each has there.
    let mut ours: BTreeMap<(String, i64, i64, String), i64> = BTreeMap::new();
    let mut per_coder: BTreeMap<String, i64> = BTreeMap::new();
    for coder in ["fixture", "fixture2"] {
        let file = w.path(&format!("fixtures/first48/pt/codings/{coder}.csv"));
        for row in csv::Reader::from_path(file).unwrap().records() {
            let r = row.unwrap();
            *ours.entry((r[0].to_string(), r[1].parse().unwrap(), r[2].parse().unwrap(), r[4].to_string())).or_default() += 1;
            *per_coder.entry(r[4].to_string()).or_default() += 1;
        }
    }
    assert_eq!(per_coder, BTreeMap::from([("fixture".to_string(), 123), ("fixture2".to_string(), 114)]));

    // QualCoder's: every coding, with its owner, at the same code points.
    let owners = sqlite(&db, "select owner, count(*) from code_text group by owner order by owner");
    let owners: BTreeMap<String, i64> = owners.iter().map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap())).collect();
    assert_eq!(owners, per_coder, "codings per coder in QualCoder's data.qda");
    let rows = sqlite(
        &db,
        "select source.name, pos0, pos1, code_text.owner, count(*) from code_text join source on source.id = code_text.fid group by 1, 2, 3, 4",
    );
    let theirs: BTreeMap<(String, i64, i64, String), i64> = rows
        .iter()
        .map(|r| {
            let key = (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap(), r[2].as_i64().unwrap(), r[3].as_str().unwrap().to_string());
            (key, r[4].as_i64().unwrap())
        })
        .collect();
    assert_eq!(theirs, ours, "QualCoder's codings by source, span and coder");
}

#[test]
fn a_two_coder_export_comes_back_from_qualcoder_with_every_coding_and_coder() {
    let Some((python, driver)) = qualcoder_or_skip("a_two_coder_export_comes_back_from_qualcoder_with_every_coding_and_coder") else {
        return;
    };
    let w = Workdir::new();
    w.run(&["--project", "fixtures/first48/pt", "export", "qdpx", "pt.qdpx"]).ok();
    qualcoder_import(&w, &python, &driver, &w.path("pt.qdpx"), &w.path("qc/pt"));
    let back = qualcoder_export(&w, &python, &driver, &w.path("qc/pt.qda"), &w.path("qc/out"));
    let r = w.run(&["import", "qdpx", back.to_str().unwrap(), "--into", "back"]).ok();
    assert!(r.stderr.contains("7 sources, 237 codings by 2 coder(s) (fixture, fixture2)"), "{}", r.stderr);
    assert!(r.stderr.contains("selections: 237, landing on text: 237, not landing: 0"), "{}", r.stderr);
    // The same spans, coders, times and texts (QualCoder gives the codes new guids, so their ids
    // are made from names: the codes are compared by count).
    assert_eq!(codings(&w.path("back")), codings(&w.path("fixtures/first48/pt")));
}
