//! Project integrity: codebook, sources against their recorded hashes, every coding against its
//! code and source (span inside the body, text matching), and the index against the codings.
//! `repair` fixes only what needs no guess: missing hashes, codings whose exact text occurs once,
//! and the index.

use std::collections::BTreeMap;
use std::fs;

use crate::codebook::validate::validate;
use crate::codebook::Codebook;
use crate::coding::store::{self, Kind};
use crate::coding::{slice, Coding};
use crate::corpus::{transcript, Source};
use crate::error::{Location, Result, Severity};
use crate::index::{Freshness, SegmentIndex};
use crate::project::txn::Transaction;
use crate::project::{sha256_hex, sums_bytes, Project};

/// One problem, where it is, and whether `--repair` fixed it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub location: Location,
    pub message: String,
    pub repaired: bool,
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub problems: Vec<Problem>,
    pub codings_checked: usize,
    pub sources_checked: usize,
    pub index_rebuilt: bool,
}

impl Outcome {
    pub fn remaining(&self) -> usize {
        self.problems.iter().filter(|p| !p.repaired).count()
    }
}

/// Occurrences of `needle` in `haystack`, as character offsets.
fn occurrences(haystack: &str, needle: &str) -> Vec<usize> {
    haystack.match_indices(needle).map(|(b, _)| haystack[..b].chars().count()).collect()
}

pub fn verify(project: &Project, repair: bool) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut problems: Vec<Problem> = Vec::new();
    let mut tx = Transaction::new(project);

    // The codebook.
    let codebook_path = project.codebook_path();
    let codebook = match fs::read(&codebook_path)
        .map_err(|e| crate::error::Error::io(&codebook_path, e))
        .and_then(|b| Codebook::from_json(&codebook_path, &b))
    {
        Ok(cb) => {
            for issue in validate(&cb).into_iter().filter(|i| i.severity == Severity::Error) {
                problems.push(problem(Location::file(&codebook_path), format!("{}: {}", issue.pointer, issue.message), false));
            }
            Some(cb)
        }
        Err(e) => {
            problems.push(problem(Location::file(&codebook_path), e.to_string(), false));
            None
        }
    };

    // Sources: each parses and matches its recorded hash.
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let recorded = project.read_sums()?;
    let mut sums = recorded.clone().unwrap_or_default();
    let mut sums_changed = false;
    // Sources edited outside quire: (where their problem goes, id, file name, hash now).
    let mut edited: Vec<(usize, String, String, String)> = Vec::new();
    for id in project.source_ids()? {
        let path = project.source_path(&id);
        let bytes = fs::read(&path).map_err(|e| crate::error::Error::io(&path, e))?;
        let name = format!("{id}.txt");
        let actual = sha256_hex(&bytes);
        match sums.get(&name) {
            Some(hash) if *hash == actual => {}
            // Reported after its codings: repair re-anchors (or orphans) them, then accepts the edit.
            Some(_) => edited.push((problems.len(), id.to_string(), name.clone(), actual)),
            None => {
                problems.push(problem(Location::file(&path), "no recorded hash".into(), repair));
                if repair {
                    sums.insert(name.clone(), actual);
                    sums_changed = true;
                }
            }
        }
        match transcript::parse(&path, &bytes, project.manifest.language, None) {
            Ok(source) => {
                sources.insert(id.to_string(), source);
            }
            Err(e) => problems.push(problem(Location::file(&path), format!("does not parse: {e}"), false)),
        }
        out.sources_checked += 1;
    }
    let stale: Vec<String> = sums.keys().filter(|name| !project.sources_dir().join(name.as_str()).is_file()).cloned().collect();
    for name in stale {
        problems.push(problem(Location::file(project.sums_path()), format!("hash recorded for {name}, which is not in sources/"), repair));
        if repair {
            sums.remove(&name);
            sums_changed = true;
        }
    }

    // Codings: code and source exist, span inside the body, text matches.
    let edited_ids: std::collections::BTreeSet<&str> = edited.iter().map(|(_, id, _, _)| id.as_str()).collect();
    for coder in store::coders(project)? {
        // Codings on edited sources whose text is gone: to the coder's orphan file on repair.
        let mut lost: Vec<Coding> = Vec::new();
        for kind in [Kind::Anchored, Kind::Orphaned] {
            let path = store::path(project, &coder, kind);
            let codings = match store::read_lines(&path) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(problem(Location::file(&path), e.to_string(), false));
                    continue;
                }
            };
            if kind == Kind::Orphaned {
                // Known, listed state: counted, not a failure.
                out.codings_checked += codings.len();
                continue;
            }
            let lines: Vec<usize> = codings.iter().map(|(l, _)| *l).collect();
            let codings: Vec<Coding> = codings.into_iter().map(|(_, c)| c).collect();
            let mut fixed: Vec<Coding> = Vec::with_capacity(codings.len());
            let mut changed = false;
            for (i, c) in codings.into_iter().enumerate() {
                out.codings_checked += 1;
                let at = Location::line(&path, lines[i]);
                if let Some(cb) = &codebook {
                    if cb.get(&c.code).is_none() {
                        problems.push(problem(at.clone(), format!("code `{}` is not in the codebook", c.code), false));
                    }
                }
                let Some(source) = sources.get(c.source.as_str()) else {
                    problems.push(problem(at, format!("source `{}` is not in the project", c.source), false));
                    fixed.push(c);
                    continue;
                };
                let len = source.body.chars().count();
                let text_ok = c.end <= len && slice(&source.body, c.start, c.end) == c.text;
                if text_ok {
                    fixed.push(c);
                    continue;
                }
                let found = occurrences(&source.body, &c.text);
                let what = if c.end > len {
                    format!("span {}..{} lies outside {} ({len} characters)", c.start, c.end, c.source)
                } else {
                    format!("text at {}..{} in {} differs from the coded text", c.start, c.end, c.source)
                };
                if edited_ids.contains(c.source.as_str()) {
                    // As `ingest --replace` does: the nearest occurrence of the coded text, or the
                    // orphan file when the text is gone. Then the edit is accepted (below).
                    if !repair {
                        let hint = if found.is_empty() { "--repair moves it to the orphan file" } else { "--repair re-anchors it" };
                        problems.push(problem(at, format!("{what}; {hint}"), false));
                        fixed.push(c);
                        continue;
                    }
                    let (mut anchored, orphaned) = crate::coding::anchor::reanchor(vec![c], &source.body);
                    match anchored.pop() {
                        Some(c) => {
                            problems.push(problem(at, format!("{what}; re-anchored at {}..{}", c.start, c.end), true));
                            fixed.push(c);
                        }
                        None => {
                            let orphans = store::path(project, &coder, Kind::Orphaned);
                            problems.push(problem(at, format!("{what}; its text is gone: moved to {}", orphans.display()), true));
                            lost.extend(orphaned);
                        }
                    }
                    changed = true;
                } else if repair && found.len() == 1 && !c.text.is_empty() {
                    let mut c = c;
                    let n = c.text.chars().count();
                    c.start = found[0];
                    c.end = found[0] + n;
                    problems.push(problem(at, format!("{what}; re-anchored at {}..{}", c.start, c.end), true));
                    fixed.push(c);
                    changed = true;
                } else {
                    let hint = match found.len() {
                        0 => "its text is not in the source".to_string(),
                        1 => "its text occurs once: --repair re-anchors it".to_string(),
                        n => format!("its text occurs {n} times: re-code it by hand"),
                    };
                    problems.push(problem(at, format!("{what}; {hint}"), false));
                    fixed.push(c);
                }
            }
            if changed {
                store::stage(&mut tx, project, &coder, Kind::Anchored, &mut fixed);
            }
        }
        if !lost.is_empty() {
            let mut orphans = store::read(&store::path(project, &coder, Kind::Orphaned))?;
            orphans.append(&mut lost);
            store::stage(&mut tx, project, &coder, Kind::Orphaned, &mut orphans);
        }
    }
    // An edited source that parses is accepted by repair once its codings are re-anchored (or
    // orphaned): its new hash is recorded, so reads that use offsets no longer refuse it.
    for (at, id, name, actual) in edited.into_iter().rev() {
        let path = project.sources_dir().join(&name);
        let differs = "content differs from the hash recorded at ingest (edited outside quire?)";
        let p = if !sources.contains_key(&id) {
            problem(Location::file(&path), format!("{differs}; correct it or restore it"), false)
        } else if repair {
            sums.insert(name, actual);
            sums_changed = true;
            problem(Location::file(&path), format!("{differs}; the edit is accepted: its codings follow their text, its new hash is recorded"), true)
        } else {
            problem(
                Location::file(&path),
                format!("{differs}; --repair re-anchors its codings (to the orphan file if their text is gone) and records its new hash"),
                false,
            )
        };
        problems.insert(at, p);
    }
    if sums_changed {
        tx.write(project.sums_path(), sums_bytes(&sums));
    }
    tx.commit()?;

    // The index: rebuilt if it does not match the sources and codings.
    let (_, freshness) = SegmentIndex::open_unchecked(project)?;
    out.index_rebuilt = freshness == Freshness::Rebuilt;
    out.problems = problems;
    Ok(out)
}

fn problem(location: Location, message: String, repaired: bool) -> Problem {
    Problem { location, message, repaired }
}
