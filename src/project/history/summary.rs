//! What a write changed, counted for `quire log`: the files, the codings added and removed per
//! coder (a coding file's rows, without their `created` time), the sources added, replaced and
//! removed, and whether the codebook changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The changes of one write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// Files created, replaced and removed.
    pub files: FileCounts,
    /// By coder (`ana`, or `ana (orphaned)` for the orphan file).
    pub codings: BTreeMap<String, Counts>,
    pub sources: Sources,
    pub codebook: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    pub created: usize,
    pub replaced: usize,
    pub removed: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
}

/// Source ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    pub removed: Vec<String>,
}

type Diff = (String, Option<Vec<u8>>, Option<Vec<u8>>);

impl Changes {
    /// The changes of `(path, before, after)` files; `codebook` is the codebook's path.
    pub(crate) fn of(codebook: &str, files: &[Diff]) -> Changes {
        let mut c = Changes::default();
        for (path, before, after) in files {
            match (before, after) {
                (None, _) => c.files.created += 1,
                (_, None) => c.files.removed += 1,
                _ => c.files.replaced += 1,
            }
            if path == codebook {
                c.codebook = true;
            } else if let Some(name) = path.strip_prefix("codings/").and_then(|n| n.strip_suffix(".csv")) {
                let coder = match name.strip_suffix(".orphaned") {
                    Some(coder) => format!("{coder} (orphaned)"),
                    None => name.to_string(),
                };
                let (added, removed) = rows_changed(before.as_deref().unwrap_or_default(), after.as_deref().unwrap_or_default());
                let counts = c.codings.entry(coder).or_default();
                counts.added += added;
                counts.removed += removed;
            } else if let Some(id) = path.strip_prefix("sources/").and_then(|n| n.strip_suffix(".txt")) {
                let list = match (before, after) {
                    (None, _) => &mut c.sources.added,
                    (_, None) => &mut c.sources.removed,
                    _ => &mut c.sources.replaced,
                };
                list.push(id.to_string());
            }
        }
        c
    }

    /// One line: `codings ana +1 -0; sources +2 ~1 -0; codebook; 3 files`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if !self.codings.is_empty() {
            let each: Vec<String> = self.codings.iter().map(|(coder, n)| format!("{coder} +{} -{}", n.added, n.removed)).collect();
            parts.push(format!("codings {}", each.join(", ")));
        }
        let s = &self.sources;
        if !(s.added.is_empty() && s.replaced.is_empty() && s.removed.is_empty()) {
            parts.push(format!("sources +{} ~{} -{}", s.added.len(), s.replaced.len(), s.removed.len()));
        }
        if self.codebook {
            parts.push("codebook".into());
        }
        let f = &self.files;
        let n = f.created + f.replaced + f.removed;
        parts.push(format!("{n} file{}", if n == 1 { "" } else { "s" }));
        parts.join("; ")
    }
}

/// Codings (rows) only in `after` and only in `before`. The files' common beginning and end are
/// skipped without parsing (cut at a row boundary: a line start outside quotes), so one new
/// coding in a large file costs a comparison, not a parse.
fn rows_changed(before: &[u8], after: &[u8]) -> (usize, usize) {
    let header_end = |b: &[u8]| memchr::memchr(b'\n', b).map_or(b.len(), |i| i + 1);
    let (hb, ha) = (header_end(before), header_end(after));
    let header = if ha > 0 { &after[..ha] } else { &before[..hb] };
    let (b, a) = (&before[hb..], &after[ha..]);
    let prefix = row_start_before(a, b.iter().zip(a).take_while(|(x, y)| x == y).count());
    let (b, a) = (&b[prefix..], &a[prefix..]);
    let common_end = b.iter().rev().zip(a.iter().rev()).take_while(|(x, y)| x == y).count();
    let suffix = a.len() - row_start_after(a, a.len() - common_end);
    let (b, a) = (&b[..b.len() - suffix], &a[..a.len() - suffix]);
    let rows = |body: &[u8]| -> BTreeMap<Vec<String>, usize> {
        let mut all = header.to_vec();
        all.extend_from_slice(body);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(all.as_slice());
        let created = reader.headers().ok().and_then(|h| h.iter().position(|f| f == "created"));
        let mut rows = BTreeMap::new();
        for record in reader.records().flatten() {
            let row: Vec<String> = record.iter().enumerate().filter(|(i, _)| Some(*i) != created).map(|(_, f)| f.to_string()).collect();
            *rows.entry(row).or_insert(0) += 1;
        }
        rows
    };
    let (old, new) = (rows(b), rows(a));
    let only = |x: &BTreeMap<Vec<String>, usize>, y: &BTreeMap<Vec<String>, usize>| -> usize {
        x.iter().map(|(row, n)| n.saturating_sub(y.get(row).copied().unwrap_or(0))).sum()
    };
    (only(&new, &old), only(&old, &new))
}

/// The first row start after byte `at` of `body` (its end if none): a line start with an even
/// number of quotes before it. The common end of two valid files is cut there: the line break
/// before it is common, and so is the parity (each file has an even number of quotes).
fn row_start_after(body: &[u8], at: usize) -> usize {
    let mut quotes = memchr::memchr_iter(b'"', &body[..at]).count();
    for i in at + 1..=body.len() {
        if body[i - 1] == b'"' {
            quotes += 1;
        } else if body[i - 1] == b'\n' && quotes.is_multiple_of(2) {
            return i;
        }
    }
    body.len()
}

/// The last row start at or before `at` in `body`.
fn row_start_before(body: &[u8], mut at: usize) -> usize {
    let mut quotes = memchr::memchr_iter(b'"', &body[..at]).count();
    loop {
        if at == 0 || (body[at - 1] == b'\n' && quotes.is_multiple_of(2)) {
            return at;
        }
        at -= 1;
        if body[at] == b'"' {
            quotes -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rows_changed;

    const H: &str = "source,start,end,code,coder,created,text\n";

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut s = H.to_string();
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s.into_bytes()
    }

    #[test]
    fn one_row_added_in_the_middle() {
        let before = file(&["A,1,2,x,ana,t,\"one\"", "A,5,9,x,ana,t,\"a\nb\"", "B,1,2,y,ana,t,two"]);
        let after = file(&["A,1,2,x,ana,t,\"one\"", "A,3,4,x,ana,t,three", "A,5,9,x,ana,t,\"a\nb\"", "B,1,2,y,ana,t,two"]);
        assert_eq!(rows_changed(&before, &after), (1, 0));
        assert_eq!(rows_changed(&after, &before), (0, 1));
    }

    #[test]
    fn a_renamed_code_is_one_removed_and_one_added_and_created_times_do_not_count() {
        let before = file(&["A,1,2,x,ana,t1,one", "A,3,4,y,ana,t1,two"]);
        let after = file(&["A,1,2,x,ana,t2,one", "A,3,4,z,ana,t1,two"]);
        assert_eq!(rows_changed(&before, &after), (1, 1));
    }

    #[test]
    fn a_new_file_and_a_removed_file() {
        let rows = file(&["A,1,2,x,ana,t,one", "A,3,4,y,ana,t,\"t\"\"w\no\""]);
        assert_eq!(rows_changed(b"", &rows), (2, 0));
        assert_eq!(rows_changed(&rows, b""), (0, 2));
    }
}
