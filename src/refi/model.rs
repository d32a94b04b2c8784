//! The QDA-XML project model quire reads and writes: users, the code tree, variables, cases, text
//! sources with their selections and codings. Names carry a `Qde` prefix where quire's own model
//! has a type of the same name (`project::Project`, `codebook::Code`, `coding::Coding`).

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QdeProject {
    pub name: String,
    pub origin: Option<String>,
    pub users: Vec<User>,
    pub codes: Vec<QdeCode>,
    pub variables: Vec<Variable>,
    pub cases: Vec<Case>,
    pub sources: Vec<TextSource>,
    pub description: Option<String>,
    /// Parts of the file quire does not use, by element name, with how many there were.
    pub ignored: Vec<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub guid: String,
    pub name: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QdeCode {
    pub guid: String,
    pub name: String,
    pub codable: bool,
    pub color: Option<String>,
    pub description: Option<String>,
    pub children: Vec<QdeCode>,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableType {
    Text,
    Boolean,
    Integer,
    Float,
    Date,
    DateTime,
}

impl VariableType {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::Text => "Text",
            VariableType::Boolean => "Boolean",
            VariableType::Integer => "Integer",
            VariableType::Float => "Float",
            VariableType::Date => "Date",
            VariableType::DateTime => "DateTime",
        }
    }

    pub fn parse(s: &str) -> Option<VariableType> {
        Some(match s {
            "Text" => VariableType::Text,
            "Boolean" => VariableType::Boolean,
            "Integer" => VariableType::Integer,
            "Float" => VariableType::Float,
            "Date" => VariableType::Date,
            "DateTime" => VariableType::DateTime,
            _ => return None,
        })
    }

    /// The element holding a value of this type.
    pub fn value_element(self) -> &'static str {
        match self {
            VariableType::Text => "TextValue",
            VariableType::Boolean => "BooleanValue",
            VariableType::Integer => "IntegerValue",
            VariableType::Float => "FloatValue",
            VariableType::Date => "DateValue",
            VariableType::DateTime => "DateTimeValue",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub guid: String,
    pub name: String,
    pub kind: VariableType,
    pub description: Option<String>,
}

/// A variable's value: the variable's guid and the value as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub variable: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub guid: String,
    pub name: Option<String>,
    pub values: Vec<Value>,
    /// Guids of the sources the case is linked to.
    pub sources: Vec<String>,
}

/// Where a text source's plain text is.
#[derive(Debug, Clone, PartialEq)]
pub enum PlainText {
    /// `plainTextPath`, e.g. `internal://NAME.txt`.
    Path(String),
    /// `PlainTextContent`.
    Inline(String),
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextSource {
    pub guid: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub text: PlainText,
    pub selections: Vec<Selection>,
    pub values: Vec<Value>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub guid: String,
    pub start: i64,
    pub end: i64,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub codings: Vec<QdeCoding>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QdeCoding {
    pub guid: String,
    /// Guid of the code (`CodeRef targetGUID`).
    pub code: String,
    pub creating_user: Option<String>,
    pub created: Option<String>,
    pub line: usize,
}
