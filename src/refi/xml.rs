//! A small XML tree read with quick-xml, refusing document type declarations (and so entity
//! declarations), undefined entities, absurd nesting, more elements than a real project has and
//! a text or attribute larger than one could need; and the escaping used when writing.

use std::path::Path;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::error::{Error, Location, Result};

/// Deepest element nesting accepted (REFI trees are a few dozen levels at most).
const MAX_DEPTH: usize = 256;

/// Most elements a document may hold. An import holds about 1.2 kB for each (the tree, the model
/// read from it, what it converts them to), so this keeps it under 500 MB: some 130,000
/// codings, where a real study has thousands (quire's 1,000-interview benchmark, about 500,000
/// elements, is past it).
pub const MAX_ELEMENTS: usize = 400_000;

/// Most attributes a document may hold, all elements together (about 3 an element in a real
/// project; each costs some 100 bytes).
pub const MAX_ATTRIBUTES: usize = 3 * MAX_ELEMENTS;

/// Most bytes of text one element, or one attribute value, may hold: 16 MiB, some 8,000 pages
/// (a `<PlainTextContent>` holds a whole interview; a `<Description>` far less).
pub const MAX_FIELD: usize = 16 * 1024 * 1024;

/// One element: local name (namespace prefix dropped), attributes, children, and its text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    /// Namespace URI this element declares for its own name (`xmlns`, or `xmlns:P` for `P:Name`;
    /// only kept for the root's check).
    pub xmlns: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated character data directly inside the element.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text of the first child called `name`, if present.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

/// The 1-based line and column (in characters) of byte `at` of `bytes`, which are valid UTF-8
/// before it (where a UTF-8 error was found).
pub fn line_and_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// Decodes XML bytes to text: UTF-8 (a BOM is dropped; borrowed, not copied), or UTF-16 with a
/// BOM. An error names the line when it can.
fn decode(bytes: &[u8]) -> std::result::Result<std::borrow::Cow<'_, str>, (Option<usize>, String)> {
    use std::borrow::Cow;
    // Invalid UTF-8: the line and column of the first bad byte (counted in the bytes as read).
    let bad_utf8 = |all: &[u8], at: usize| {
        let (line, column) = line_and_column(all, at);
        (Some(line), format!("invalid UTF-8 at column {column} (byte {at}); save the file as UTF-8"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|e| bad_utf8(bytes, e.valid_up_to() + 3));
    }
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> =
            rest.chunks_exact(2).map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) }).collect();
        String::from_utf16(&units).map(Cow::Owned).map_err(|_| (None, "invalid UTF-16".to_string()))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| bad_utf8(bytes, e.valid_up_to()))
}

/// Line numbers of offsets in a text, counted on from the last offset asked for (the parser asks
/// in order), not from the start each time.
struct Lines<'a> {
    text: &'a [u8],
    at: std::cell::Cell<(usize, usize)>,
}

impl Lines<'_> {
    fn of(&self, offset: u64) -> usize {
        let offset = (offset as usize).min(self.text.len());
        let (mut from, mut line) = self.at.get();
        if offset < from {
            (from, line) = (0, 1);
        }
        line += memchr::memchr_iter(b'\n', &self.text[from..offset]).count();
        self.at.set((offset, line));
        line
    }
}

/// Parses XML into its root element; errors name `shown` (a file, or `IN.qdpx!entry`) and a line.
pub fn parse(shown: &Path, bytes: &[u8]) -> Result<Element> {
    let text = decode(bytes).map_err(|(line, m)| Error::invalid(Location { path: shown.to_path_buf(), line }, m))?;
    let lines = Lines { text: text.as_bytes(), at: std::cell::Cell::new((0, 1)) };
    let line_of = |offset: u64| lines.of(offset);
    let fail = |offset: u64, message: String| Error::invalid(Location::line(shown, line_of(offset)), message);
    let too_much = |line: usize, what: String| {
        Error::invalid(
            Location::line(shown, line),
            format!("{what} holds more than {} MiB, the most quire reads in one field; refused", MAX_FIELD >> 20),
        )
    };
    let (mut elements, mut attributes) = (0usize, 0usize);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| fail(reader.error_position(), format!("malformed XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(fail(
                    at,
                    "a document type declaration (<!DOCTYPE ...>, which can declare entities) is not accepted in REFI-QDA files".into(),
                ));
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(fail(at, "content after the root element".into()));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(at, format!("elements nested more than {MAX_DEPTH} deep")));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(fail(at, format!("more than {MAX_ELEMENTS} elements, more than quire reads in one document; refused")));
                }
                let element = start_element(e, line_of(at), &mut attributes, &|m| fail(at, m), &too_much)?;
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().expect("quick-xml checks end tags");
                close(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                check_room(&stack, t.len(), &too_much)?;
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(fail(at, "text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                check_room(&stack, t.len(), &too_much)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = reference(&r, &|m| fail(at, m))?;
                check_room(&stack, c.len(), &too_much)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c);
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(fail(text.len() as u64, format!("element <{}> is never closed", stack.last().map(|e| e.name.as_str()).unwrap_or(""))));
    }
    root.ok_or_else(|| fail(0, "no root element".into()))
}

/// An element from its start tag: its local name, namespace and attributes (`xmlns`
/// attributes aside), counted in `attributes`; `fail` makes an error at the tag.
fn start_element(
    e: &BytesStart<'_>,
    line: usize,
    attributes: &mut usize,
    fail: &impl Fn(String) -> Error,
    too_much: &impl Fn(usize, String) -> Error,
) -> Result<Element> {
    let raw_name = e.name().as_ref().to_string();
    let ns_key = match raw_name.split_once(':') {
        Some((prefix, _)) => format!("xmlns:{prefix}"),
        None => "xmlns".to_string(),
    };
    let mut element = Element { name: local(&raw_name), line, ..Default::default() };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| fail(format!("malformed attribute: {err}")))?;
        let key = attr.key.as_ref().to_string();
        *attributes += 1;
        if *attributes > MAX_ATTRIBUTES {
            return Err(fail(format!("more than {MAX_ATTRIBUTES} attributes, more than quire reads in one document; refused")));
        }
        if attr.value.len() > MAX_FIELD {
            return Err(too_much(element.line, format!("attribute `{key}` of <{}>", element.name)));
        }
        let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(|err| fail(format!("attribute `{key}`: {err}")))?.into_owned();
        if key == ns_key {
            element.xmlns = Some(value);
        } else if key != "xmlns" && !key.starts_with("xmlns:") {
            element.attrs.push((local(&key), value));
        }
    }
    Ok(element)
}

/// Fails when adding `more` bytes to the text of the innermost open element would pass [`MAX_FIELD`].
fn check_room(stack: &[Element], more: usize, too_much: &impl Fn(usize, String) -> Error) -> Result<()> {
    match stack.last().filter(|top| top.text.len() + more > MAX_FIELD) {
        Some(top) => Err(too_much(top.line, format!("the text of <{}>", top.name))),
        None => Ok(()),
    }
}

/// The text of a character reference or one of the five XML entities; any other entity is refused.
fn reference(r: &BytesRef<'_>, fail: &impl Fn(String) -> Error) -> Result<String> {
    Ok(match r.resolve_char_ref().map_err(|err| fail(format!("bad character reference: {err}")))? {
        Some(c) => c.to_string(),
        None => match r.xml10_content().as_ref() {
            "amp" => "&".into(),
            "lt" => "<".into(),
            "gt" => ">".into(),
            "quot" => "\"".into(),
            "apos" => "'".into(),
            other => return Err(fail(format!("undefined entity `&{other};` (only the five XML entities are accepted)"))),
        },
    })
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

/// Escapes text for an attribute value: markup characters, quotes and line breaks (which an XML
/// reader would otherwise turn into spaces). Characters XML 1.0 cannot carry are dropped.
pub fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    escape(s, true)
}

/// Escapes element text (`\r` as a reference, so it survives line-end normalisation).
pub fn text(s: &str) -> std::borrow::Cow<'_, str> {
    escape(s, false)
}

fn escape(s: &str, attribute: bool) -> std::borrow::Cow<'_, str> {
    // Most values (guids, dates, plain words) need nothing: a byte table says so. Control bytes,
    // markup and 0xEF (which starts U+FFFE and U+FFFF) are looked at character by character.
    const fn simple_bytes(attribute: bool) -> [bool; 256] {
        let mut table = [false; 256];
        let mut b = 0x20;
        while b < 256 {
            let markup = matches!(b as u8, b'&' | b'<' | b'>' | 0xEF) || (attribute && b as u8 == b'"');
            table[b] = !markup;
            b += 1;
        }
        table[b'\n' as usize] = !attribute;
        table[b'\t' as usize] = !attribute;
        table
    }
    static SIMPLE: [[bool; 256]; 2] = [simple_bytes(false), simple_bytes(true)];
    let simple = &SIMPLE[usize::from(attribute)];
    if s.as_bytes().iter().all(|b| simple[usize::from(*b)]) {
        return std::borrow::Cow::Borrowed(s);
    }
    let special = |c: char| matches!(c, '&' | '<' | '>' | '\r') || (attribute && matches!(c, '"' | '\n' | '\t'));
    let plain = |c: char| !special(c) && allowed(c);
    if s.chars().all(plain) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if allowed(c) => out.push(c),
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element> {
        parse(Path::new("t.qdpx!project.qde"), s.as_bytes())
    }

    #[test]
    fn reads_elements_attributes_text_and_references() {
        let root = p("<?xml version=\"1.0\"?>\n<q:Project xmlns:q=\"urn:QDA-XML:project:1.0\" name=\"a &amp; b&#10;c\"><Description>x &lt; y &#x1F600; <![CDATA[<z>]]></Description><Users/></q:Project>").unwrap();
        assert_eq!(root.name, "Project");
        assert_eq!(root.attr("name"), Some("a & b\nc"));
        assert_eq!(root.child_text("Description"), Some("x < y \u{1F600} <z>"));
        assert_eq!(root.children[1].name, "Users");
        assert_eq!(root.children[1].line, 2);
    }

    #[test]
    fn doctype_entities_and_malformed_xml_are_refused_with_a_line() {
        let e = p("<?xml version=\"1.0\"?>\n<!DOCTYPE Project [<!ENTITY x \"boom\">]>\n<Project>&x;</Project>").unwrap_err();
        assert!(e.to_string().starts_with("t.qdpx!project.qde:2: a document type declaration"), "{e}");
        let e = p("<Project>\n&x;</Project>").unwrap_err();
        assert!(e.to_string().contains("project.qde:2: undefined entity `&x;`"), "{e}");
        let e = p("<Project>\n<Users></Project>").unwrap_err();
        assert!(e.to_string().contains("malformed XML"), "{e}");
    }

    #[test]
    fn elements_and_attributes_past_the_caps_are_refused_with_a_line() {
        // The root and MAX_ELEMENTS more; one attribute past the cap.
        let error = |xml: &str| p(xml).err().map(|e| e.to_string());
        let many = format!("<Project>\n{}</Project>", "<a/>".repeat(MAX_ELEMENTS));
        let e = error(&many);
        assert_eq!(
            e.as_deref(),
            Some(format!("t.qdpx!project.qde:2: more than {MAX_ELEMENTS} elements, more than quire reads in one document; refused").as_str())
        );
        let attributes: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}=\"\"")).collect();
        let e = error(&format!("<Project>\n<User{attributes} />\n</Project>"));
        assert_eq!(
            e.as_deref(),
            Some(format!("t.qdpx!project.qde:2: more than {MAX_ATTRIBUTES} attributes, more than quire reads in one document; refused").as_str())
        );
    }

    #[test]
    fn escaping_round_trips() {
        let s = "a<b>&\"c\"\n\r\td\u{1}";
        let xml = format!("<X a=\"{}\">{}</X>", attr(s), text(s));
        let root = p(&xml).unwrap();
        assert_eq!(root.attr("a"), Some("a<b>&\"c\"\n\r\td"));
        assert_eq!(root.text, "a<b>&\"c\"\n\r\td");
        // Non-characters are dropped, other text beside them kept as it is.
        assert_eq!(text("ﬁn\u{FFFE}é\u{FFFF}"), "ﬁné");
        assert_eq!(attr("plain-guid 2024"), "plain-guid 2024");
        assert!(matches!(attr("été"), std::borrow::Cow::Borrowed(_)));
    }
}
