//! Codings whose code is not in the codebook (a code deleted from `codebook.json` by hand, or a
//! codebook replaced): no row of a table and no `--code` shows them, so reads warn once, with the
//! count and the codes. The library returns the warning; the command prints it.

use std::collections::BTreeMap;
use std::fmt;

use crate::codebook::{CodePath, Codebook};

/// How many codings use codes the codebook does not have, and which codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCodes {
    pub codings: u64,
    pub codes: Vec<CodePath>,
}

/// At most this many codes are named in the warning.
const NAMED: usize = 10;

impl UnknownCodes {
    /// From (code, number of codings) pairs (a code may come more than once, once per coder).
    pub fn find<'a>(codebook: &Codebook, counted: impl IntoIterator<Item = (&'a CodePath, u64)>) -> Option<UnknownCodes> {
        let mut unknown: BTreeMap<&CodePath, u64> = BTreeMap::new();
        for (code, n) in counted {
            if n > 0 && codebook.get(code).is_none() {
                *unknown.entry(code).or_default() += n;
            }
        }
        if unknown.is_empty() {
            return None;
        }
        Some(UnknownCodes { codings: unknown.values().sum(), codes: unknown.into_keys().cloned().collect() })
    }
}

impl fmt::Display for UnknownCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named: Vec<String> = self.codes.iter().take(NAMED).map(|c| c.to_string()).collect();
        let more = if self.codes.len() > NAMED { format!(" and {} more", self.codes.len() - NAMED) } else { String::new() };
        write!(
            f,
            "{} coding(s) use {} code(s) not in the codebook, which no row or --code shows: {}{more} (`quire verify` lists them)",
            self.codings,
            self.codes.len(),
            named.join(", ")
        )
    }
}
