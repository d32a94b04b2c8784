//! Edits of the code tree: add, rename, move, merge, remove. Each returns how code paths changed,
//! so codings can follow their codes.

use super::{valid_id, Code, CodePath, Codebook};
use crate::error::{Error, Result};

/// How an edit moved codes: every path at or below `from` now lives at or below `to`
/// (`to == None`: the codes were removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    pub from: CodePath,
    pub to: Option<CodePath>,
}

impl PathChange {
    /// Where `path` lives after this change; `None` if unaffected.
    pub fn apply(&self, path: &CodePath) -> Option<Option<CodePath>> {
        if !path.starts_with(&self.from) {
            return None;
        }
        Some(self.to.as_ref().map(|to| {
            let mut ids = to.ids().to_vec();
            ids.extend_from_slice(&path.ids()[self.from.depth()..]);
            CodePath::new(ids)
        }))
    }
}

fn check_id(id: &str) -> Result<()> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(Error::Usage(format!("invalid code id `{id}` (letters, digits, `-`, `_`, `.`)")))
    }
}

fn siblings_mut<'a>(codebook: &'a mut Codebook, parent: Option<&CodePath>) -> Result<&'a mut Vec<Code>> {
    match parent {
        None => Ok(&mut codebook.codes),
        Some(p) => codebook.get_mut(p).map(|c| &mut c.children).ok_or_else(|| Error::UnknownCode { query: p.to_string(), suggestions: Vec::new() }),
    }
}

fn ensure_free(siblings: &[Code], id: &str, parent: Option<&CodePath>) -> Result<()> {
    if siblings.iter().any(|c| c.id == id) {
        let at = parent.map(|p| p.child(id)).unwrap_or_else(|| CodePath::new(vec![id.to_string()]));
        return Err(Error::Usage(format!("a code `{at}` already exists")));
    }
    Ok(())
}

/// Adds `code` under `parent` (top level if `None`).
pub fn add(codebook: &mut Codebook, parent: Option<&CodePath>, code: Code) -> Result<CodePath> {
    check_id(&code.id)?;
    if code.name.trim().is_empty() {
        return Err(Error::Usage("a code needs a non-empty name".into()));
    }
    let siblings = siblings_mut(codebook, parent)?;
    ensure_free(siblings, &code.id, parent)?;
    let id = code.id.clone();
    siblings.push(code);
    Ok(match parent {
        Some(p) => p.child(&id),
        None => CodePath::new(vec![id]),
    })
}

/// Changes a code's id (its path segment) and/or its name.
pub fn rename(codebook: &mut Codebook, path: &CodePath, new_id: Option<&str>, new_name: Option<&str>) -> Result<Vec<PathChange>> {
    let parent = path.parent();
    let mut changes = Vec::new();
    if let Some(id) = new_id.filter(|id| *id != path.leaf()) {
        check_id(id)?;
        ensure_free(siblings_mut(codebook, parent.as_ref())?, id, parent.as_ref())?;
        let to = parent.as_ref().map(|p| p.child(id)).unwrap_or_else(|| CodePath::new(vec![id.to_string()]));
        changes.push(PathChange { from: path.clone(), to: Some(to) });
    }
    let code = codebook.get_mut(path).ok_or_else(|| Error::UnknownCode { query: path.to_string(), suggestions: Vec::new() })?;
    if let Some(name) = new_name {
        if name.trim().is_empty() {
            return Err(Error::Usage("a code needs a non-empty name".into()));
        }
        code.name = name.to_string();
    }
    if let Some(id) = new_id {
        code.id = id.to_string();
    }
    Ok(changes)
}

fn take(codebook: &mut Codebook, path: &CodePath) -> Result<Code> {
    let parent = path.parent();
    let siblings = siblings_mut(codebook, parent.as_ref())?;
    let index =
        siblings.iter().position(|c| c.id == path.leaf()).ok_or_else(|| Error::UnknownCode { query: path.to_string(), suggestions: Vec::new() })?;
    Ok(siblings.remove(index))
}

/// Moves a code (with its subtree) under `new_parent` (top level if `None`).
pub fn move_to(codebook: &mut Codebook, path: &CodePath, new_parent: Option<&CodePath>) -> Result<Vec<PathChange>> {
    if let Some(np) = new_parent {
        if np.starts_with(path) {
            return Err(Error::Usage(format!("cannot move `{path}` under itself (`{np}`)")));
        }
        if codebook.get(np).is_none() {
            return Err(Error::UnknownCode { query: np.to_string(), suggestions: Vec::new() });
        }
    }
    if path.parent().as_ref() == new_parent {
        return Ok(Vec::new());
    }
    ensure_free(siblings_mut(codebook, new_parent)?, path.leaf(), new_parent)?;
    let code = take(codebook, path)?;
    let to = add_raw(codebook, new_parent, code)?;
    Ok(vec![PathChange { from: path.clone(), to: Some(to) }])
}

fn add_raw(codebook: &mut Codebook, parent: Option<&CodePath>, code: Code) -> Result<CodePath> {
    let id = code.id.clone();
    siblings_mut(codebook, parent)?.push(code);
    Ok(parent.map(|p| p.child(&id)).unwrap_or_else(|| CodePath::new(vec![id])))
}

/// Merges `source` into `target`: children move over (same-id children merge recursively),
/// the source disappears, and its codings belong to the target.
pub fn merge(codebook: &mut Codebook, source: &CodePath, target: &CodePath) -> Result<Vec<PathChange>> {
    if source == target || target.starts_with(source) || source.starts_with(target) {
        return Err(Error::Usage(format!("cannot merge `{source}` into `{target}`: one contains the other")));
    }
    match (codebook.get(source), codebook.get(target)) {
        (_, None) => return Err(Error::UnknownCode { query: target.to_string(), suggestions: Vec::new() }),
        // The source's codings would become codings of a folder.
        (Some(from), Some(into)) if from.codable && !into.codable => {
            return Err(Error::Usage(format!("cannot merge `{source}` into `{target}`: {}", super::not_codable(target, into))));
        }
        _ => {}
    }
    let code = take(codebook, source)?;
    let mut changes = Vec::new();
    merge_children(codebook, code.children, source, target, &mut changes)?;
    changes.push(PathChange { from: source.clone(), to: Some(target.clone()) });
    Ok(changes)
}

fn merge_children(codebook: &mut Codebook, children: Vec<Code>, from: &CodePath, into: &CodePath, changes: &mut Vec<PathChange>) -> Result<()> {
    for child in children {
        let child_from = from.child(&child.id);
        let child_into = into.child(&child.id);
        if codebook.get(&child_into).is_some() {
            let grand = child.children;
            merge_children(codebook, grand, &child_from, &child_into, changes)?;
        } else {
            add_raw(codebook, Some(into), child)?;
        }
        changes.push(PathChange { from: child_from, to: Some(child_into) });
    }
    Ok(())
}

/// Removes a code; one with children only when `recursive`.
pub fn remove(codebook: &mut Codebook, path: &CodePath, recursive: bool) -> Result<Vec<PathChange>> {
    let code = codebook.get(path).ok_or_else(|| Error::UnknownCode { query: path.to_string(), suggestions: Vec::new() })?;
    if !code.children.is_empty() && !recursive {
        return Err(Error::refused(format!("`{path}` has {} child code(s); remove them first or pass --recursive", code.children.len())));
    }
    take(codebook, path)?;
    Ok(vec![PathChange { from: path.clone(), to: None }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> CodePath {
        CodePath::new(s.split('/').map(String::from).collect())
    }

    fn book() -> Codebook {
        let mut cb = Codebook::empty("t");
        add(&mut cb, None, Code::new("a", "A")).unwrap();
        add(&mut cb, Some(&p("a")), Code::new("x", "X")).unwrap();
        add(&mut cb, Some(&p("a/x")), Code::new("deep", "Deep")).unwrap();
        add(&mut cb, None, Code::new("b", "B")).unwrap();
        add(&mut cb, Some(&p("b")), Code::new("x", "X in b")).unwrap();
        cb
    }

    #[test]
    fn merge_combines_same_named_children_and_reports_path_changes() {
        let mut cb = book();
        let changes = merge(&mut cb, &p("a"), &p("b")).unwrap();
        assert!(cb.get(&p("a")).is_none());
        assert!(cb.get(&p("b/x/deep")).is_some());
        let moved: Vec<_> = changes.iter().filter_map(|c| c.apply(&p("a/x/deep"))).collect();
        assert_eq!(moved.first().cloned().flatten(), Some(p("b/x/deep")));
    }

    #[test]
    fn move_refuses_a_cycle_and_rename_refuses_a_taken_id() {
        let mut cb = book();
        assert!(move_to(&mut cb, &p("a"), Some(&p("a/x"))).is_err());
        assert!(rename(&mut cb, &p("a"), Some("b"), None).is_err());
        let changes = rename(&mut cb, &p("a/x"), Some("y"), Some("Why")).unwrap();
        assert_eq!(changes[0].apply(&p("a/x/deep")), Some(Some(p("a/y/deep"))));
        assert_eq!(cb.get(&p("a/y")).unwrap().name, "Why");
    }

    #[test]
    fn remove_needs_recursive_for_a_parent() {
        let mut cb = book();
        assert!(remove(&mut cb, &p("a"), false).is_err());
        remove(&mut cb, &p("a"), true).unwrap();
        assert!(cb.get(&p("a")).is_none());
    }
}
