//! `--where KEY=V1,V2`: an attribute filter on respondents, parsed once, and checked against the
//! attribute keys a project's respondents carry (`quotes`, `export quotes`, `table`).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// One `--where`: the respondent's attribute `key` has one of `values` (AND across filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrFilter {
    pub key: String,
    pub values: Vec<String>,
}

impl FromStr for AttrFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((key, values)) if !key.trim().is_empty() && !values.trim().is_empty() => {
                Ok(AttrFilter { key: key.trim().to_string(), values: values.split(',').map(|v| v.trim().to_string()).collect() })
            }
            _ => Err(format!("`{s}`: expected KEY=V1,V2")),
        }
    }
}

impl fmt::Display for AttrFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.values.join(","))
    }
}

impl AttrFilter {
    /// Refuses a filter on a key no respondent carries, naming the keys that exist.
    pub fn check_all(filters: &[AttrFilter], known: &BTreeSet<String>) -> Result<()> {
        match filters.iter().find(|f| !known.contains(&f.key)) {
            Some(f) => Err(Error::Usage(format!(
                "--where `{f}`: unknown attribute `{}` (known: {})",
                f.key,
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// As the library's queries and tables take them: (key, values).
    pub fn pairs(filters: &[AttrFilter]) -> Vec<(String, Vec<String>)> {
        filters.iter().map(|f| (f.key.clone(), f.values.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_a_key_and_its_values() {
        let f: AttrFilter = "role = PR, EPR".parse().unwrap();
        assert_eq!(f, AttrFilter { key: "role".into(), values: vec!["PR".into(), "EPR".into()] });
        assert_eq!(f.to_string(), "role=PR,EPR");
        for bad in ["role", "=PR", "role="] {
            assert_eq!(bad.parse::<AttrFilter>().unwrap_err(), format!("`{bad}`: expected KEY=V1,V2"));
        }
        let known = BTreeSet::from(["country".to_string(), "role".to_string()]);
        assert!(AttrFilter::check_all(&[f], &known).is_ok());
        let e = AttrFilter::check_all(&["shoe=42".parse().unwrap()], &known).unwrap_err().to_string();
        assert_eq!(e, "--where `shoe=42`: unknown attribute `shoe` (known: country, role)");
    }
}
