//! A coder's name, checked once: what names `codings/<coder>.csv` and the `[coders]` kinds.

use std::fmt;
use std::str::FromStr;

/// A coder's name: letters, digits, `-` and `_` (it names the file `codings/<coder>.csv`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coder(String);

impl FromStr for Coder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Coder(s.to_string()))
        } else {
            Err(format!("invalid coder name `{s}` (letters, digits, `-`, `_`)"))
        }
    }
}

impl serde::Serialize for Coder {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Coder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl Coder {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Coder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
