//! Project integrity: codebook, sources against their recorded hashes, every coding against its
//! code and source (span inside the body, text matching), and the index against the codings.
//! `repair` fixes only what needs no guess: missing hashes, codings whose exact text occurs once,
//! codings on no respondent text (moved to the orphan file), and the index.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use crate::codebook::validate::validate;
use crate::codebook::Codebook;
use crate::coding::store::{self, CodingFile};
use crate::coding::{slice, Coder, Coding};
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

/// Checks the project; with `repair`, fixes what needs no guess (see the module comment). The
/// index is opened last, and rebuilt if it does not match the sources and codings.
pub fn verify(project: &Project, repair: bool) -> Result<Outcome> {
    let mut v = Verifier { project, repair, tx: Transaction::new(project), problems: Vec::new(), out: Outcome::default() };
    let codebook = v.check_codebook();
    let (sources, mut sums, edited) = v.check_sources()?;
    let edited_ids: BTreeSet<&str> = edited.iter().map(|e| e.id.as_str()).collect();
    for coder in store::coders(project)? {
        v.check_codings(&coder, codebook.as_ref(), &sources, &edited_ids)?;
    }
    v.accept_edits(edited, &sources, &mut sums);
    let Verifier { mut tx, problems, mut out, .. } = v;
    if sums.changed {
        tx.write(project.sums_path(), sums_bytes(&sums.hashes));
    }
    tx.commit()?;
    out.index_rebuilt = check_index(project)?;
    out.problems = problems;
    Ok(out)
}

/// The index: updated or rebuilt if it does not match the sources and codings. Says whether it was.
fn check_index(project: &Project) -> Result<bool> {
    let (_, freshness) = SegmentIndex::open_unchecked(project)?;
    Ok(freshness != Freshness::UpToDate)
}

/// A verification under way: the problems found so far, and the repairs staged.
struct Verifier<'p> {
    project: &'p Project,
    repair: bool,
    tx: Transaction<'p>,
    problems: Vec<Problem>,
    out: Outcome,
}

/// The recorded source hashes, by file name, as repair leaves them.
struct Sums {
    hashes: BTreeMap<String, String>,
    changed: bool,
}

/// A source edited outside quire: reported after its codings, since repair re-anchors (or
/// orphans) them, then accepts the edit.
struct Edited {
    /// Where its problem goes among the problems.
    at: usize,
    id: String,
    /// Its file name in `sources/`.
    name: String,
    /// Its hash now.
    hash: String,
}

/// What became of one anchored coding.
enum Checked {
    /// Left as it was (fine, or a problem that repair does not fix).
    Kept(Coding),
    /// Moved to where its text is.
    Moved(Coding),
    /// Its text is gone: to the coder's orphan file.
    Orphaned(Vec<Coding>),
}

impl Verifier<'_> {
    fn report(&mut self, location: Location, message: String, repaired: bool) {
        self.problems.push(problem(location, message, repaired));
    }

    /// The codebook reads and has no errors; `None` if it does not read.
    fn check_codebook(&mut self) -> Option<Codebook> {
        let codebook_path = self.project.codebook_path();
        match fs::read(&codebook_path).map_err(|e| crate::error::Error::io(&codebook_path, e)).and_then(|b| Codebook::from_json(&codebook_path, &b)) {
            Ok(cb) => {
                for issue in validate(&cb).into_iter().filter(|i| i.severity == Severity::Error) {
                    self.report(Location::file(&codebook_path), format!("{}: {}", issue.pointer, issue.message), false);
                }
                Some(cb)
            }
            Err(e) => {
                self.report(Location::file(&codebook_path), e.to_string(), false);
                None
            }
        }
    }

    /// Sources: each parses and matches its recorded hash, and every hash names a source.
    /// Returns the sources that parse, by id, the hashes, and the sources edited outside quire.
    fn check_sources(&mut self) -> Result<(BTreeMap<String, Source>, Sums, Vec<Edited>)> {
        let (project, repair) = (self.project, self.repair);
        let mut sources: BTreeMap<String, Source> = BTreeMap::new();
        let recorded = project.read_sums()?;
        let mut sums = Sums { hashes: recorded.clone().unwrap_or_default(), changed: false };
        let mut edited: Vec<Edited> = Vec::new();
        for id in project.source_ids()? {
            let path = project.source_path(&id);
            let bytes = fs::read(&path).map_err(|e| crate::error::Error::io(&path, e))?;
            let name = format!("{id}.txt");
            let actual = sha256_hex(&bytes);
            match sums.hashes.get(&name) {
                Some(hash) if *hash == actual => {}
                Some(_) => edited.push(Edited { at: self.problems.len(), id: id.to_string(), name: name.clone(), hash: actual }),
                None => {
                    self.report(Location::file(&path), "no recorded hash".into(), repair);
                    if repair {
                        sums.hashes.insert(name.clone(), actual);
                        sums.changed = true;
                    }
                }
            }
            match transcript::parse(&path, &bytes, project.manifest.language, None) {
                Ok(source) => {
                    sources.insert(id.to_string(), source);
                }
                Err(e) => self.report(Location::file(&path), format!("does not parse: {e}"), false),
            }
            self.out.sources_checked += 1;
        }
        let stale: Vec<String> = sums.hashes.keys().filter(|name| !project.sources_dir().join(name.as_str()).is_file()).cloned().collect();
        for name in stale {
            self.report(Location::file(project.sums_path()), format!("hash recorded for {name}, which is not in sources/"), repair);
            if repair {
                sums.hashes.remove(&name);
                sums.changed = true;
            }
        }
        Ok((sources, sums, edited))
    }

    /// One coder's codings: code and source exist, span inside the body, text matches. Orphaned
    /// codings are known, listed state: counted, not checked.
    fn check_codings(
        &mut self,
        coder: &Coder,
        codebook: Option<&Codebook>,
        sources: &BTreeMap<String, Source>,
        edited: &BTreeSet<&str>,
    ) -> Result<()> {
        let project = self.project;
        // Codings on edited sources whose text is gone: to the coder's orphan file on repair.
        let mut lost: Vec<Coding> = Vec::new();
        for kind in [CodingFile::Anchored, CodingFile::Orphaned] {
            let path = store::path(project, coder, kind);
            let codings = match store::read_lines(&path) {
                Ok(c) => c,
                Err(e) => {
                    self.report(Location::file(&path), e.to_string(), false);
                    continue;
                }
            };
            if kind == CodingFile::Orphaned {
                self.out.codings_checked += codings.len();
                continue;
            }
            let mut fixed: Vec<Coding> = Vec::with_capacity(codings.len());
            let mut changed = false;
            for (line, c) in codings {
                self.out.codings_checked += 1;
                let at = Location::line(&path, line);
                if let Some(cb) = codebook {
                    if cb.get(&c.code).is_none() {
                        self.report(at.clone(), format!("code `{}` is not in the codebook", c.code), false);
                    }
                }
                let Some(source) = sources.get(c.source.as_str()) else {
                    self.report(at, format!("source `{}` is not in the project", c.source), false);
                    fixed.push(c);
                    continue;
                };
                let is_edited = edited.contains(c.source.as_str());
                match self.check_coding(c, at, source, is_edited, coder) {
                    Checked::Kept(c) => fixed.push(c),
                    Checked::Moved(c) => {
                        fixed.push(c);
                        changed = true;
                    }
                    Checked::Orphaned(orphaned) => {
                        lost.extend(orphaned);
                        changed = true;
                    }
                }
            }
            if changed {
                store::stage(&mut self.tx, project, coder, CodingFile::Anchored, &mut fixed);
            }
        }
        if !lost.is_empty() {
            let mut orphans = store::read(&store::path(project, coder, CodingFile::Orphaned))?;
            orphans.append(&mut lost);
            store::stage(&mut self.tx, project, coder, CodingFile::Orphaned, &mut orphans);
        }
        Ok(())
    }

    /// One anchored coding on `source` (`edited` outside quire or not), found at `at`.
    fn check_coding(&mut self, c: Coding, at: Location, source: &Source, edited: bool, coder: &Coder) -> Checked {
        let len = source.body.chars().count();
        let text_ok = c.end <= len && slice(&source.body, c.start, c.end) == c.text;
        if text_ok {
            return self.check_respondent(c, at, source, coder);
        }
        let found = occurrences(&source.body, &c.text);
        let what = if c.end > len {
            format!("span {}..{} lies outside {} ({len} characters)", c.start, c.end, c.source)
        } else {
            format!("text at {}..{} in {} differs from the coded text", c.start, c.end, c.source)
        };
        if edited {
            // As `ingest --replace` does: the nearest occurrence of the coded text, or the
            // orphan file when the text is gone. Then the edit is accepted (below).
            if !self.repair {
                let hint = if found.is_empty() { "--repair moves it to the orphan file" } else { "--repair re-anchors it" };
                self.report(at, format!("{what}; {hint}"), false);
                return Checked::Kept(c);
            }
            let (mut anchored, orphaned) = crate::coding::anchor::reanchor(vec![c], &source.body);
            match anchored.pop() {
                Some(c) => {
                    self.report(at, format!("{what}; re-anchored at {}..{}", c.start, c.end), true);
                    Checked::Moved(c)
                }
                None => {
                    let orphans = store::path(self.project, coder, CodingFile::Orphaned);
                    self.report(at, format!("{what}; its text is gone: moved to {}", orphans.display()), true);
                    Checked::Orphaned(orphaned)
                }
            }
        } else if self.repair && found.len() == 1 && !c.text.is_empty() {
            let mut c = c;
            let n = c.text.chars().count();
            c.start = found[0];
            c.end = found[0] + n;
            self.report(at, format!("{what}; re-anchored at {}..{}", c.start, c.end), true);
            Checked::Moved(c)
        } else {
            let hint = match found.len() {
                0 => "its text is not in the source".to_string(),
                1 => "its text occurs once: --repair re-anchors it".to_string(),
                n => format!("its text occurs {n} times: re-code it by hand"),
            };
            self.report(at, format!("{what}; {hint}"), false);
            Checked::Kept(c)
        }
    }

    /// A coding whose text is in place must lie on respondent text: one on interviewer text or
    /// between segments counts nowhere, and repair moves it to the coder's orphan file.
    fn check_respondent(&mut self, c: Coding, at: Location, source: &Source, coder: &Coder) -> Checked {
        if source.on_respondent_text(c.start, c.end) {
            return Checked::Kept(c);
        }
        let speakers: BTreeSet<String> =
            source.segments.iter().filter(|s| c.overlaps(s.start, s.end)).map(|s| format!("`{}`", source.speaker_of(s).label)).collect();
        let on = if speakers.is_empty() {
            "no segment text".to_string()
        } else {
            format!("interviewer text of {}", speakers.into_iter().collect::<Vec<_>>().join(", "))
        };
        let what = format!("coding of `{}` at {}..{} in {} falls on no respondent text ({on})", c.code, c.start, c.end, c.source);
        let orphans = store::path(self.project, coder, CodingFile::Orphaned);
        if self.repair {
            self.report(at, format!("{what}; moved to {}", orphans.display()), true);
            Checked::Orphaned(vec![c])
        } else {
            self.report(at, format!("{what}; --repair moves it to {}", orphans.display()), false);
            Checked::Kept(c)
        }
    }

    /// An edited source that parses is accepted by repair once its codings are re-anchored (or
    /// orphaned): its new hash is recorded, so reads that use offsets no longer refuse it. Each
    /// problem goes where the source was met among the sources.
    fn accept_edits(&mut self, edited: Vec<Edited>, sources: &BTreeMap<String, Source>, sums: &mut Sums) {
        for Edited { at, id, name, hash } in edited.into_iter().rev() {
            let path = self.project.sources_dir().join(&name);
            let differs = "content differs from the hash recorded at ingest (edited outside quire?)";
            let p = if !sources.contains_key(&id) {
                problem(Location::file(&path), format!("{differs}; correct it or restore it"), false)
            } else if self.repair {
                sums.hashes.insert(name, hash);
                sums.changed = true;
                problem(
                    Location::file(&path),
                    format!("{differs}; the edit is accepted: its codings follow their text, its new hash is recorded"),
                    true,
                )
            } else {
                problem(
                    Location::file(&path),
                    format!("{differs}; --repair re-anchors its codings (to the orphan file if their text is gone) and records its new hash"),
                    false,
                )
            };
            self.problems.insert(at, p);
        }
    }
}

fn problem(location: Location, message: String, repaired: bool) -> Problem {
    Problem { location, message, repaired }
}
