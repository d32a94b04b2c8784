//! `quire undo`: puts back, byte for byte, the files of the last write (or of every write after
//! a given one), as one new write recorded in the history (so an undo can itself be undone).
//! Refused, with nothing written, when a file is no longer what quire last wrote to it.

use std::collections::BTreeMap;

use super::{before_image, entries, Entry};
use crate::error::{Error, Result};
use crate::project::sums::sha256_hex;
use crate::project::txn::Transaction;
use crate::project::Project;

/// What an undo does.
#[derive(Debug)]
pub struct Plan {
    /// The writes it reverts, newest first.
    pub undone: Vec<Entry>,
    /// Each file it changes, by path: its bytes back (`None`: removed, the write created it).
    pub files: BTreeMap<String, Option<Vec<u8>>>,
}

/// One file on its way back: what must be there now and what goes back.
struct Step {
    /// The number of the newest write that changed it, and the hash it left.
    newest: (u64, Option<String>),
    /// The write whose before-image goes back, its blob and hash.
    restore: (u64, Option<String>, Option<String>),
}

/// Plans the undo of the last write, or with `to`, of every write after number `to`. Refused
/// when there is nothing to undo, when the history no longer reaches back that far, or when a
/// file changed outside quire since a write being undone.
pub fn plan(project: &Project, to: Option<u64>) -> Result<Plan> {
    let all = entries(project.root())?;
    let Some(last) = all.last() else {
        return Err(Error::refused("nothing to undo: the project's history is empty"));
    };
    let to = to.unwrap_or(last.number - 1);
    if to >= last.number {
        return Err(Error::Usage(format!("write {to} is the last write (or later): there is nothing after it to undo")));
    }
    let first = all[0].number;
    if to + 1 < first {
        return Err(Error::refused(format!(
            "the history reaches back to write {first} only (older writes were dropped to keep it bounded); `--to {}` is the furthest undo",
            first - 1
        )));
    }
    let undone: Vec<Entry> = all.into_iter().rev().take_while(|e| e.number > to).collect();
    let mut steps: BTreeMap<String, Step> = BTreeMap::new();
    for entry in &undone {
        for f in &entry.files {
            let restore = (entry.number, f.before.clone(), f.before_sha256.clone());
            match steps.get_mut(&f.path) {
                None => {
                    steps.insert(f.path.clone(), Step { newest: (entry.number, f.after_sha256.clone()), restore });
                }
                Some(step) => {
                    if step.restore.2 != f.after_sha256 {
                        return Err(Error::refused(format!(
                            "`{}` changed outside quire between write {} and write {}; undoing both would lose that change. Nothing was undone",
                            f.path, entry.number, step.restore.0
                        )));
                    }
                    step.restore = restore;
                }
            }
        }
    }
    let mut files = BTreeMap::new();
    for (path, step) in steps {
        check_unchanged(project, &path, &step.newest, &undone)?;
        let bytes = match (&step.restore.1, &step.restore.2) {
            (Some(blob), Some(sha)) => Some(before_image(project.root(), step.restore.0, blob, sha)?),
            _ => None,
        };
        files.insert(path, bytes);
    }
    Ok(Plan { undone, files })
}

/// Refuses when `path` is not what write `newest.0` left (the hash `newest.1`, or absent).
fn check_unchanged(project: &Project, path: &str, newest: &(u64, Option<String>), undone: &[Entry]) -> Result<()> {
    let full = project.root().join(path);
    let now = match std::fs::read(&full) {
        Ok(bytes) => Some(sha256_hex(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&full, e)),
    };
    if now == newest.1 {
        return Ok(());
    }
    let command = undone.iter().find(|e| e.number == newest.0).map(|e| e.command.as_str()).unwrap_or_default();
    let what = if now.is_none() {
        "was removed"
    } else if newest.1.is_none() {
        "was created"
    } else {
        "was edited"
    };
    Err(Error::refused(format!(
        "`{path}` {what} outside quire since write {} (`{command}`); undoing it would overwrite that change. Nothing was undone: \
         put the file back as quire left it, or keep your change and do not undo",
        newest.0
    )))
}

/// Carries out `plan` as one transaction, recorded in the history as a write that undoes the
/// writes of the plan. The caller holds the writer lock.
pub fn apply(project: &Project, plan: Plan) -> Result<()> {
    let mut tx = Transaction::new(project);
    for (path, bytes) in plan.files {
        let full = project.root().join(&path);
        match bytes {
            Some(bytes) => tx.write(full, bytes),
            None => tx.remove(full),
        }
    }
    tx.set_undoes(plan.undone.iter().map(|e| e.number).rev().collect());
    tx.commit()
}
