//! Inter-coder agreement: percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha
//! (nominal, any number of coders, missing data allowed), computed from counts of rating patterns.

use std::collections::BTreeMap;

/// How many units showed each pattern of ratings (one entry per coder; `None` = not rated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patterns {
    pub counts: BTreeMap<Vec<Option<u32>>, u64>,
}

impl Patterns {
    pub fn add(&mut self, pattern: Vec<Option<u32>>, n: u64) {
        if n > 0 {
            *self.counts.entry(pattern).or_insert(0) += n;
        }
    }

    pub fn extend(&mut self, other: &Patterns) {
        for (p, n) in &other.counts {
            self.add(p.clone(), *n);
        }
    }

    /// Units rated by every coder.
    pub fn complete_units(&self) -> u64 {
        self.counts.iter().filter(|(p, _)| p.iter().all(Option::is_some)).map(|(_, n)| n).sum()
    }

    /// Share of the units rated by every coder on which all coders gave the same value.
    pub fn percent_agreement(&self) -> Option<f64> {
        let total = self.complete_units();
        if total == 0 {
            return None;
        }
        let agree: u64 =
            self.counts.iter().filter(|(p, _)| p.iter().all(Option::is_some) && p.windows(2).all(|w| w[0] == w[1])).map(|(_, n)| n).sum();
        Some(agree as f64 / total as f64)
    }

    /// Cohen's kappa for two coders over the units both rated; `None` when undefined
    /// (fewer or more than two coders, no units, or chance agreement of 1).
    pub fn cohen_kappa(&self) -> Option<f64> {
        let mut joint: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        for (p, n) in &self.counts {
            if p.len() != 2 {
                return None;
            }
            if let (Some(a), Some(b)) = (p[0], p[1]) {
                *joint.entry((a, b)).or_insert(0) += n;
            }
        }
        let total: u64 = joint.values().sum();
        if total == 0 {
            return None;
        }
        let t = total as f64;
        let observed = joint.iter().filter(|((a, b), _)| a == b).map(|(_, n)| *n as f64).sum::<f64>() / t;
        let mut margin_a: BTreeMap<u32, f64> = BTreeMap::new();
        let mut margin_b: BTreeMap<u32, f64> = BTreeMap::new();
        for ((a, b), n) in &joint {
            *margin_a.entry(*a).or_insert(0.0) += *n as f64 / t;
            *margin_b.entry(*b).or_insert(0.0) += *n as f64 / t;
        }
        let expected: f64 = margin_a.iter().map(|(c, pa)| pa * margin_b.get(c).copied().unwrap_or(0.0)).sum();
        if (1.0 - expected).abs() < 1e-12 {
            return None;
        }
        Some((observed - expected) / (1.0 - expected))
    }

    /// Krippendorff's alpha for nominal data: units with fewer than two ratings are left out;
    /// `None` when undefined (no pairable values, or a single category in all the data).
    pub fn krippendorff_alpha(&self) -> Option<f64> {
        // Coincidence matrix o[c][k].
        let mut o: BTreeMap<(u32, u32), f64> = BTreeMap::new();
        for (p, n) in &self.counts {
            let values: Vec<u32> = p.iter().flatten().copied().collect();
            let m = values.len();
            if m < 2 {
                continue;
            }
            for (i, a) in values.iter().enumerate() {
                for (j, b) in values.iter().enumerate() {
                    if i != j {
                        *o.entry((*a, *b)).or_insert(0.0) += *n as f64 / (m - 1) as f64;
                    }
                }
            }
        }
        let mut n_c: BTreeMap<u32, f64> = BTreeMap::new();
        for ((c, _), v) in &o {
            *n_c.entry(*c).or_insert(0.0) += v;
        }
        let n: f64 = n_c.values().sum();
        if n <= 1.0 {
            return None;
        }
        let observed: f64 = o.iter().filter(|((c, k), _)| c != k).map(|(_, v)| v).sum();
        let expected: f64 = n_c.iter().flat_map(|(c, a)| n_c.iter().filter(move |(k, _)| *k != c).map(move |(_, b)| a * b)).sum();
        if expected == 0.0 {
            return None;
        }
        Some(1.0 - (n - 1.0) * observed / expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_rows(rows: &[&[Option<u32>]]) -> Patterns {
        let mut p = Patterns::default();
        for r in rows {
            p.add(r.to_vec(), 1);
        }
        p
    }

    /// Krippendorff's own worked example (4 coders, 12 units, missing data): alpha = 0.743.
    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        let n = None;
        let s = Some;
        // Columns are units; rows coders A-D, transposed to one pattern per unit.
        let a = [s(1), s(2), s(3), s(3), s(2), s(1), s(4), s(1), s(2), n, n, n];
        let b = [s(1), s(2), s(3), s(3), s(2), s(2), s(4), s(1), s(2), s(5), n, s(3)];
        let c = [n, s(3), s(3), s(3), s(2), s(3), s(4), s(2), s(2), s(5), s(1), n];
        let d = [s(1), s(2), s(3), s(3), s(2), s(4), s(4), s(1), s(2), s(5), s(1), n];
        let mut p = Patterns::default();
        for u in 0..12 {
            p.add(vec![a[u], b[u], c[u], d[u]], 1);
        }
        let alpha = p.krippendorff_alpha().unwrap();
        assert!((alpha - 0.743).abs() < 0.0005, "{alpha}");
    }

    /// The textbook kappa example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> 0.4.
    #[test]
    fn kappa_matches_the_textbook_example() {
        let mut p = Patterns::default();
        p.add(vec![Some(1), Some(1)], 20);
        p.add(vec![Some(1), Some(0)], 5);
        p.add(vec![Some(0), Some(1)], 10);
        p.add(vec![Some(0), Some(0)], 15);
        assert!((p.cohen_kappa().unwrap() - 0.4).abs() < 1e-12);
        assert!((p.percent_agreement().unwrap() - 0.7).abs() < 1e-12);
    }

    /// Uneven margins for both coders (A says yes 60 times, B 70 times in 100 units), so a kappa
    /// that took one coder's margin for both would be caught: by hand, po = 0.60,
    /// pe = 0.6·0.7 + 0.4·0.3 = 0.54, kappa = 0.06 / 0.46 = 3/23; alpha from the coincidence
    /// matrix (o11 = 90, o00 = 30, o01 = o10 = 40; n1 = 130, n0 = 70) is
    /// 1 − (80/200) / (2·130·70 / (200·199)) = 57/455.
    #[test]
    fn kappa_and_alpha_with_uneven_margins() {
        let mut p = Patterns::default();
        p.add(vec![Some(1), Some(1)], 45);
        p.add(vec![Some(1), Some(0)], 15);
        p.add(vec![Some(0), Some(1)], 25);
        p.add(vec![Some(0), Some(0)], 15);
        assert!((p.percent_agreement().unwrap() - 0.6).abs() < 1e-12);
        assert!((p.cohen_kappa().unwrap() - 3.0 / 23.0).abs() < 1e-12, "{:?}", p.cohen_kappa());
        assert!((p.krippendorff_alpha().unwrap() - 57.0 / 455.0).abs() < 1e-12, "{:?}", p.krippendorff_alpha());
    }

    #[test]
    fn undefined_cases_are_none() {
        let p = from_rows(&[&[Some(0), Some(0)], &[Some(0), Some(0)]]);
        assert_eq!(p.cohen_kappa(), None);
        assert_eq!(p.krippendorff_alpha(), None);
        assert_eq!(p.percent_agreement(), Some(1.0));
        assert_eq!(Patterns::default().percent_agreement(), None);
    }
}
