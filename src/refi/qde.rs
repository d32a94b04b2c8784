//! The project XML (`project.qde`, namespace `urn:QDA-XML:project:1.0`): reading it into the
//! model, checking guids, and writing the model in schema order.

use std::collections::HashMap;
use std::path::Path;

use super::model::{Case, PlainText, QdeCode, QdeCoding, QdeProject, Selection, TextSource, User, Value, Variable, VariableType};
use super::xml::{self, Element};
use super::PROJECT_NS;
use crate::codebook::validate::valid_guid;
use crate::error::{Error, Location, Result};

/// Reads project XML; errors name `shown` (`IN.qdpx!project.qde`) and a line.
pub fn read(shown: &Path, bytes: &[u8]) -> Result<QdeProject> {
    let root = xml::parse(shown, bytes)?;
    let at = |line: usize, message: String| Error::invalid(Location::line(shown, line), message);
    if root.name != "Project" {
        return Err(at(root.line, format!("not a REFI-QDA project: the root element is <{}>, not <Project>", root.name)));
    }
    check_namespace(&root, "project", PROJECT_NS, &at)?;
    check_guids(&root, &at)?;
    let mut project = QdeProject {
        name: root.attr("name").unwrap_or("").to_string(),
        origin: root.attr("origin").map(str::to_string),
        description: root.child_text("Description").map(str::to_string),
        ..Default::default()
    };
    let mut ignored: Vec<(String, usize)> = Vec::new();
    let mut ignore = |what: &str, n: usize| {
        if n > 0 {
            match ignored.iter_mut().find(|(w, _)| w == what) {
                Some(entry) => entry.1 += n,
                None => ignored.push((what.to_string(), n)),
            }
        }
    };
    for child in &root.children {
        match child.name.as_str() {
            "Users" => {
                for u in child.children_named("User") {
                    project.users.push(User {
                        guid: required(u, "guid", &at)?,
                        name: u.attr("name").map(str::to_string),
                        id: u.attr("id").map(str::to_string),
                    });
                }
            }
            "CodeBook" => {
                if let Some(codes) = child.child("Codes") {
                    project.codes = read_codes(codes, &at)?;
                }
            }
            "Variables" => {
                for v in child.children_named("Variable") {
                    project.variables.push(Variable {
                        guid: required(v, "guid", &at)?,
                        name: v.attr("name").unwrap_or("").to_string(),
                        kind: v.attr("typeOfVariable").and_then(VariableType::parse).unwrap_or(VariableType::Text),
                        description: v.child_text("Description").map(str::to_string),
                    });
                }
            }
            "Cases" => {
                for c in child.children_named("Case") {
                    project.cases.push(Case {
                        guid: required(c, "guid", &at)?,
                        name: c.attr("name").map(str::to_string),
                        values: read_values(c, &at)?,
                        sources: c.children_named("SourceRef").map(|r| required(r, "targetGUID", &at)).collect::<Result<_>>()?,
                    });
                }
            }
            "Sources" => {
                for s in &child.children {
                    if s.name == "TextSource" {
                        let (source, source_codings) = read_text_source(s, &at)?;
                        ignore("coding of a whole source", source_codings);
                        project.sources.push(source);
                    } else {
                        ignore(&s.name, 1);
                    }
                }
            }
            "Notes" | "Links" | "Sets" | "Graphs" => ignore(&child.name, child.children.len().max(1)),
            "Description" => {}
            other => ignore(other, 1),
        }
    }
    project.ignored = ignored;
    Ok(project)
}

fn required(e: &Element, name: &str, at: &impl Fn(usize, String) -> Error) -> Result<String> {
    match e.attr(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(at(e.line, format!("<{}> has no `{name}` attribute", e.name))),
    }
}

/// The root's namespace must be QDA-XML's `urn:QDA-XML:KIND:VERSION` (any version: `1.0`, `1:0`
/// and `0:4` are seen); none at all is accepted, another is refused.
pub(crate) fn check_namespace(root: &Element, kind: &str, expected: &str, at: &impl Fn(usize, String) -> Error) -> Result<()> {
    match root.xmlns.as_deref() {
        None => Ok(()),
        Some(ns) if ns.trim().strip_prefix("urn:QDA-XML:").and_then(|r| r.strip_prefix(kind)).is_some_and(|v| v.starts_with(':')) => Ok(()),
        Some(ns) => Err(at(
            root.line,
            format!("not a REFI-QDA {kind} file: the root element's namespace is `{ns}`, not `{expected}` (or another version of it)"),
        )),
    }
}

/// Every `guid` attribute names one thing: a second use is refused (`MemberCode guid` in a
/// codebook's sets is a reference, not a definition).
pub(crate) fn check_guids(root: &Element, at: &impl Fn(usize, String) -> Error) -> Result<()> {
    fn walk<'a>(e: &'a Element, seen: &mut HashMap<String, (&'a str, usize)>, at: &impl Fn(usize, String) -> Error) -> Result<()> {
        if e.name != "MemberCode" {
            if let Some(g) = e.attr("guid") {
                let key = super::guid_key(g);
                if let Some((what, line)) = seen.get(&key) {
                    return Err(at(e.line, format!("duplicate guid {g}: <{}> here and <{what}> on line {line}", e.name)));
                }
                seen.insert(key, (e.name.as_str(), e.line));
            }
        }
        e.children.iter().try_for_each(|c| walk(c, seen, at))
    }
    walk(root, &mut HashMap::new(), at)
}

/// The `<Code>` children of `parent`, recursively.
pub(crate) fn read_codes(parent: &Element, at: &impl Fn(usize, String) -> Error) -> Result<Vec<QdeCode>> {
    let mut codes = Vec::new();
    for c in parent.children_named("Code") {
        let guid = required(c, "guid", at)?;
        if !valid_guid(&guid) {
            return Err(at(c.line, format!("code guid `{guid}` is not a GUID")));
        }
        codes.push(QdeCode {
            guid,
            name: c.attr("name").unwrap_or("").to_string(),
            codable: !matches!(c.attr("isCodable"), Some("false" | "0")),
            color: c.attr("color").map(str::to_string),
            description: c.child_text("Description").map(str::to_string),
            children: read_codes(c, at)?,
            line: c.line,
        });
    }
    Ok(codes)
}

fn read_values(e: &Element, at: &impl Fn(usize, String) -> Error) -> Result<Vec<Value>> {
    let mut values = Vec::new();
    for v in e.children_named("VariableValue") {
        let Some(r) = v.child("VariableRef") else {
            return Err(at(v.line, "<VariableValue> has no <VariableRef>".into()));
        };
        let value = v.children.iter().find(|c| c.name.ends_with("Value")).map(|c| c.text.clone()).unwrap_or_default();
        values.push(Value { variable: required(r, "targetGUID", at)?, value });
    }
    Ok(values)
}

fn position(e: &Element, name: &str, at: &impl Fn(usize, String) -> Error) -> Result<i64> {
    let raw = required(e, name, at)?;
    raw.parse().map_err(|_| at(e.line, format!("`{name}` is `{raw}`, not an integer")))
}

fn read_coding(c: &Element, at: &impl Fn(usize, String) -> Error) -> Result<QdeCoding> {
    let Some(r) = c.child("CodeRef") else {
        return Err(at(c.line, "<Coding> has no <CodeRef>".into()));
    };
    Ok(QdeCoding {
        guid: required(c, "guid", at)?,
        code: required(r, "targetGUID", at)?,
        creating_user: c.attr("creatingUser").map(str::to_string),
        created: c.attr("creationDateTime").map(str::to_string),
        line: c.line,
    })
}

/// A text source, and how many codings it carries on the whole source (not used by quire).
fn read_text_source(s: &Element, at: &impl Fn(usize, String) -> Error) -> Result<(TextSource, usize)> {
    let text = match (s.child_text("PlainTextContent"), s.attr("plainTextPath")) {
        (Some(content), _) => PlainText::Inline(content.to_string()),
        (None, Some(path)) if !path.trim().is_empty() => PlainText::Path(path.trim().to_string()),
        _ => PlainText::Missing,
    };
    let mut selections = Vec::new();
    for sel in s.children_named("PlainTextSelection") {
        selections.push(Selection {
            guid: required(sel, "guid", at)?,
            start: position(sel, "startPosition", at)?,
            end: position(sel, "endPosition", at)?,
            creating_user: sel.attr("creatingUser").map(str::to_string),
            created: sel.attr("creationDateTime").map(str::to_string),
            codings: sel.children_named("Coding").map(|c| read_coding(c, at)).collect::<Result<_>>()?,
            line: sel.line,
        });
    }
    let source = TextSource {
        guid: required(s, "guid", at)?,
        name: s.attr("name").map(str::to_string),
        description: s.child_text("Description").map(str::to_string),
        text,
        selections,
        values: read_values(s, at)?,
        line: s.line,
    };
    Ok((source, s.children_named("Coding").count()))
}

/// Writes XML with two-space indentation; elements with text are written on one line.
pub(crate) struct XmlOut {
    pub s: String,
    depth: usize,
}

impl XmlOut {
    pub fn new() -> XmlOut {
        XmlOut { s: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"), depth: 0 }
    }

    /// A piece of a document, indented as if `depth` elements were open.
    pub fn fragment(depth: usize) -> XmlOut {
        XmlOut::fragment_in(String::new(), depth)
    }

    /// A piece written into `buffer`, emptied first (its allocation is reused).
    pub fn fragment_in(mut buffer: String, depth: usize) -> XmlOut {
        buffer.clear();
        XmlOut { s: buffer, depth }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, Option<&str>)], close: &str) {
        self.indent();
        self.s.push('<');
        self.s.push_str(name);
        for (k, v) in attrs {
            if let Some(v) = v {
                self.s.push(' ');
                self.s.push_str(k);
                self.s.push_str("=\"");
                self.s.push_str(&xml::attr(v));
                self.s.push('"');
            }
        }
        self.s.push_str(close);
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, Option<&str>)]) {
        self.tag(name, attrs, ">\n");
        self.depth += 1;
    }

    pub fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.s.push_str("</");
        self.s.push_str(name);
        self.s.push_str(">\n");
    }

    pub fn empty(&mut self, name: &str, attrs: &[(&str, Option<&str>)]) {
        self.tag(name, attrs, " />\n");
    }

    pub fn text(&mut self, name: &str, text: &str) {
        self.indent();
        for part in ["<", name, ">", &xml::text(text), "</", name, ">\n"] {
            self.s.push_str(part);
        }
    }
}

/// Writes `<Code>` elements, recursively.
pub(crate) fn write_codes(out: &mut XmlOut, codes: &[QdeCode]) {
    for c in codes {
        let attrs = [
            ("guid", Some(c.guid.as_str())),
            ("name", Some(c.name.as_str())),
            ("isCodable", Some(if c.codable { "true" } else { "false" })),
            ("color", c.color.as_deref()),
        ];
        let description = c.description.as_deref().filter(|d| !d.is_empty());
        if description.is_none() && c.children.is_empty() {
            out.empty("Code", &attrs);
            continue;
        }
        out.open("Code", &attrs);
        if let Some(d) = description {
            out.text("Description", d);
        }
        write_codes(out, &c.children);
        out.close("Code");
    }
}

fn write_values(out: &mut XmlOut, values: &[Value], variables: &[Variable]) {
    for v in values {
        let kind = variables.iter().find(|x| x.guid == v.variable).map(|x| x.kind).unwrap_or(VariableType::Text);
        out.open("VariableValue", &[]);
        out.empty("VariableRef", &[("targetGUID", Some(v.variable.as_str()))]);
        out.text(kind.value_element(), &v.value);
        out.close("VariableValue");
    }
}

/// The project XML, elements in the order the schema requires; empty groups are left out.
pub fn write(p: &QdeProject) -> String {
    let mut out = XmlOut::new();
    write_head(&mut out, p, !p.sources.is_empty());
    for source in &p.sources {
        write_source(&mut out, source, &p.variables);
    }
    write_tail(&mut out, p, !p.sources.is_empty());
    out.s
}

/// Everything before the first `<TextSource>` (which `p.sources` need not hold: a large export
/// writes its sources one by one), opening `<Sources>` if `sources`.
pub(crate) fn write_head(out: &mut XmlOut, p: &QdeProject, sources: bool) {
    out.open("Project", &[("xmlns", Some(PROJECT_NS)), ("name", Some(p.name.as_str())), ("origin", p.origin.as_deref())]);
    if !p.users.is_empty() {
        out.open("Users", &[]);
        for u in &p.users {
            out.empty("User", &[("guid", Some(u.guid.as_str())), ("name", u.name.as_deref()), ("id", u.id.as_deref())]);
        }
        out.close("Users");
    }
    if !p.codes.is_empty() {
        out.open("CodeBook", &[]);
        out.open("Codes", &[]);
        write_codes(out, &p.codes);
        out.close("Codes");
        out.close("CodeBook");
    }
    if !p.variables.is_empty() {
        out.open("Variables", &[]);
        for v in &p.variables {
            let attrs = [("guid", Some(v.guid.as_str())), ("name", Some(v.name.as_str())), ("typeOfVariable", Some(v.kind.as_str()))];
            match &v.description {
                Some(d) => {
                    out.open("Variable", &attrs);
                    out.text("Description", d);
                    out.close("Variable");
                }
                None => out.empty("Variable", &attrs),
            }
        }
        out.close("Variables");
    }
    if !p.cases.is_empty() {
        out.open("Cases", &[]);
        for c in &p.cases {
            out.open("Case", &[("guid", Some(c.guid.as_str())), ("name", c.name.as_deref())]);
            write_values(out, &c.values, &p.variables);
            for s in &c.sources {
                out.empty("SourceRef", &[("targetGUID", Some(s.as_str()))]);
            }
            out.close("Case");
        }
        out.close("Cases");
    }
    if sources {
        out.open("Sources", &[]);
    }
}

/// The depth a `<TextSource>` is written at.
pub const SOURCE_DEPTH: usize = 2;

/// One `<TextSource>` with its selections and values.
pub(crate) fn write_source(out: &mut XmlOut, s: &TextSource, variables: &[Variable]) {
    let path = match &s.text {
        PlainText::Path(path) => Some(path.as_str()),
        _ => None,
    };
    open_source(out, &s.guid, s.name.as_deref(), s.description.as_deref(), path);
    if let PlainText::Inline(content) = &s.text {
        out.text("PlainTextContent", content);
    }
    for sel in &s.selections {
        let attrs = SelectionAttrs {
            guid: &sel.guid,
            start: sel.start,
            end: sel.end,
            creating_user: sel.creating_user.as_deref(),
            created: sel.created.as_deref(),
        };
        open_selection(out, &attrs);
        for c in &sel.codings {
            write_coding(out, &c.guid, &c.code, c.creating_user.as_deref(), c.created.as_deref());
        }
        out.close("PlainTextSelection");
    }
    close_source(out, &s.values, variables);
}

/// `<TextSource>` and its `<Description>`; what follows is its text or selections, then
/// [`close_source`].
pub(crate) fn open_source(out: &mut XmlOut, guid: &str, name: Option<&str>, description: Option<&str>, path: Option<&str>) {
    out.open("TextSource", &[("guid", Some(guid)), ("name", name), ("plainTextPath", path)]);
    if let Some(d) = description {
        out.text("Description", d);
    }
}

/// A source's values and `</TextSource>`.
pub(crate) fn close_source(out: &mut XmlOut, values: &[Value], variables: &[Variable]) {
    write_values(out, values, variables);
    out.close("TextSource");
}

/// What a `<PlainTextSelection>` element carries, borrowed.
pub(crate) struct SelectionAttrs<'a> {
    pub guid: &'a str,
    pub start: i64,
    pub end: i64,
    pub creating_user: Option<&'a str>,
    pub created: Option<&'a str>,
}

/// `<PlainTextSelection>`, to be closed after its codings with `out.close("PlainTextSelection")`.
pub(crate) fn open_selection(out: &mut XmlOut, sel: &SelectionAttrs<'_>) {
    let (start, end) = (sel.start.to_string(), sel.end.to_string());
    out.open(
        "PlainTextSelection",
        &[
            ("guid", Some(sel.guid)),
            ("startPosition", Some(start.as_str())),
            ("endPosition", Some(end.as_str())),
            ("creatingUser", sel.creating_user),
            ("creationDateTime", sel.created),
        ],
    );
}

/// One `<Coding>` of a selection, with its `<CodeRef>`.
pub(crate) fn write_coding(out: &mut XmlOut, guid: &str, code: &str, creating_user: Option<&str>, created: Option<&str>) {
    out.open("Coding", &[("guid", Some(guid)), ("creatingUser", creating_user), ("creationDateTime", created)]);
    out.empty("CodeRef", &[("targetGUID", Some(code))]);
    out.close("Coding");
}

/// Everything after the last `</TextSource>`, closing `<Sources>` if `sources`.
pub(crate) fn write_tail(out: &mut XmlOut, p: &QdeProject, sources: bool) {
    if sources {
        out.close("Sources");
    }
    if let Some(d) = &p.description {
        out.text("Description", d);
    }
    out.close("Project");
}
