//! Coder kinds (`[coders]` in `quire.toml`): whose codings a table, quote list or report counts.
//!
//! An **analysis** coder's codings are the study's findings and are counted; a **reliability**
//! coder codes part of the corpus again for `agreement` and is never counted; a **suggestion**
//! coder is a machine (`autocode`) whose proposals are neither counted nor quoted until a person
//! accepts them (`quire suggestions accept`). A coder the manifest does not name is an analysis
//! coder, as every coder was before kinds existed, except `auto`, the coder `autocode` writes
//! under unless told otherwise, which is a suggestion coder.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::coder::Coder;

/// What a coder's codings are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoderKind {
    Analysis,
    Reliability,
    Suggestion,
}

impl CoderKind {
    pub const ALL: [CoderKind; 3] = [CoderKind::Analysis, CoderKind::Reliability, CoderKind::Suggestion];

    pub fn as_str(self) -> &'static str {
        match self {
            CoderKind::Analysis => "analysis",
            CoderKind::Reliability => "reliability",
            CoderKind::Suggestion => "suggestion",
        }
    }
}

impl fmt::Display for CoderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CoderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CoderKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown coder kind `{s}` (analysis, reliability, suggestion)"))
    }
}

/// The coder `autocode` writes under by default: a suggestion coder unless the manifest says
/// otherwise.
pub const AUTO: &str = "auto";

/// The kinds the manifest records; every other coder is an analysis coder (but [`AUTO`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CoderKinds(BTreeMap<Coder, CoderKind>);

impl CoderKinds {
    pub fn kind(&self, coder: &Coder) -> CoderKind {
        self.0.get(coder).copied().unwrap_or(if coder.as_str() == AUTO { CoderKind::Suggestion } else { CoderKind::Analysis })
    }

    pub fn set(&mut self, coder: Coder, kind: CoderKind) {
        self.0.insert(coder, kind);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The coders given a kind, in name order.
    pub fn recorded(&self) -> impl Iterator<Item = (&Coder, CoderKind)> {
        self.0.iter().map(|(c, k)| (c, *k))
    }

    /// Adds `other`'s kinds; a coder both name with different kinds is returned as a conflict
    /// (coder, kind here, kind there) and keeps this side's kind.
    pub fn absorb(&mut self, other: &CoderKinds) -> Vec<(Coder, CoderKind, CoderKind)> {
        let mut conflicts = Vec::new();
        for (coder, kind) in other.recorded() {
            match self.0.get(coder) {
                Some(mine) if *mine != kind => conflicts.push((coder.clone(), *mine, kind)),
                Some(_) => {}
                None => {
                    self.0.insert(coder.clone(), kind);
                }
            }
        }
        conflicts
    }
}

/// Which coders a count or quote list takes, as a command was told (`--coder`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CoderChoice {
    /// The analysis coders (the default).
    #[default]
    Analysis,
    /// Every coder, whatever their kind (`--coder all`).
    All,
    /// These coders (`--coder a,b`), whatever their kind.
    Only(BTreeSet<Coder>),
}

impl FromStr for CoderChoice {
    type Err = String;
    /// `all`, `analysis`, or a comma-separated list of coder names.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "all" | "*" => Ok(CoderChoice::All),
            "analysis" => Ok(CoderChoice::Analysis),
            list => list.split(',').map(|c| c.trim().parse::<Coder>()).collect::<Result<BTreeSet<_>, _>>().map(CoderChoice::Only),
        }
    }
}

/// The coders a command counts, out of those with codings, and how to say so in a caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub coders: BTreeSet<Coder>,
    /// Was the choice made on the command line (`--coder`)? Then a quote must carry a coding of
    /// one of `coders` even when no code is asked for.
    pub explicit: bool,
}

impl Counted {
    /// Resolves `choice` against the coders that have codings (`present`) and their kinds.
    pub fn resolve(choice: &CoderChoice, present: &[Coder], kinds: &CoderKinds) -> Counted {
        match choice {
            CoderChoice::Analysis => {
                Counted { coders: present.iter().filter(|c| kinds.kind(c) == CoderKind::Analysis).cloned().collect(), explicit: false }
            }
            CoderChoice::All => Counted { coders: present.iter().cloned().collect(), explicit: true },
            CoderChoice::Only(set) => Counted { coders: set.clone(), explicit: true },
        }
    }

    pub fn contains(&self, coder: &Coder) -> bool {
        self.coders.contains(coder)
    }

    /// `coder fixture`, `coders ann, ben`, or `no coder`: for captions and headers.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.coders.iter().map(Coder::as_str).collect();
        match names.len() {
            0 => "no coder".to_string(),
            1 => format!("coder {}", names[0]),
            _ => format!("coders {}", names.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coder(s: &str) -> Coder {
        s.parse().unwrap()
    }

    #[test]
    fn unnamed_coders_are_analysis_coders_and_only_they_are_counted_by_default() {
        let mut kinds = CoderKinds::default();
        kinds.set(coder("auto"), CoderKind::Suggestion);
        kinds.set(coder("second"), CoderKind::Reliability);
        let present = [coder("ana"), coder("auto"), coder("ben"), coder("second")];
        let counted = Counted::resolve(&CoderChoice::Analysis, &present, &kinds);
        assert_eq!(counted.describe(), "coders ana, ben");
        assert_eq!(CoderKinds::default().kind(&coder("auto")), CoderKind::Suggestion, "autocode's default coder");
        kinds.set(coder("auto"), CoderKind::Analysis);
        assert_eq!(Counted::resolve(&CoderChoice::Analysis, &present, &kinds).describe(), "coders ana, auto, ben");
        kinds.set(coder("auto"), CoderKind::Suggestion);
        assert!(!counted.explicit);
        let all = Counted::resolve(&"all".parse().unwrap(), &present, &kinds);
        assert_eq!(all.describe(), "coders ana, auto, ben, second");
        let only = Counted::resolve(&"second".parse().unwrap(), &present, &kinds);
        assert_eq!((only.describe(), only.explicit), ("coder second".to_string(), true));
        assert_eq!(Counted::resolve(&CoderChoice::Analysis, &[coder("auto")], &kinds).describe(), "no coder");
    }

    #[test]
    fn a_choice_is_a_list_of_valid_names() {
        assert_eq!("a, b".parse::<CoderChoice>().unwrap(), CoderChoice::Only([coder("a"), coder("b")].into()));
        assert!("a b".parse::<CoderChoice>().unwrap_err().contains("invalid coder name `a b`"));
        assert_eq!("oops".parse::<CoderKind>().unwrap_err(), "unknown coder kind `oops` (analysis, reliability, suggestion)");
    }

    #[test]
    fn absorbing_reports_a_coder_with_two_kinds_and_keeps_the_first() {
        let mut a = CoderKinds::default();
        a.set(coder("x"), CoderKind::Reliability);
        let mut b = CoderKinds::default();
        b.set(coder("x"), CoderKind::Analysis);
        b.set(coder("y"), CoderKind::Suggestion);
        assert_eq!(a.absorb(&b), vec![(coder("x"), CoderKind::Reliability, CoderKind::Analysis)]);
        assert_eq!(a.kind(&coder("x")), CoderKind::Reliability);
        assert_eq!(a.kind(&coder("y")), CoderKind::Suggestion);
    }
}
