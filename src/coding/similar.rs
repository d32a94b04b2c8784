//! Fuzzy placement of an orphaned coding's old text in a source's current text: the span of
//! respondent text most similar to it, on word boundaries and within one respondent turn.
//!
//! Similarity is `1 - d / max(|old|, |candidate|)`, `d` the Levenshtein distance in characters
//! (so 1 is the same text, 0 nothing alike). The search runs an approximate-substring alignment
//! (Sellers) over a turn: one pass of `|old| x |turn|` cells finds, for each place a candidate can
//! end, the best place it can start. Turns near the old position are searched first; only when
//! nothing there is at least [`NEAR_ENOUGH`] alike are the stretches of respondent text sharing
//! most character trigrams with the old text searched too, so a ~100 KB source (even one long
//! turn, as in a plain-text source) costs a few alignments of about the old length, not all of it.

use std::collections::HashMap;

use crate::corpus::Source;

/// A local candidate this alike ends the search.
pub const NEAR_ENOUGH: f64 = 0.9;
/// How many stretches of text, besides the local ones, the whole-source search aligns.
const FAR_WINDOWS: usize = 4;

/// Where an old text fits best, in characters of the source body.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    pub score: f64,
    pub text: String,
}

/// One respondent turn: consecutive segments of one respondent, as a character range.
#[derive(Debug, Clone, Copy)]
struct Turn {
    start: usize,
    end: usize,
}

fn respondent_turns(source: &Source) -> Vec<Turn> {
    let mut turns: Vec<(usize, Turn)> = Vec::new();
    for (i, seg) in source.segments.iter().enumerate() {
        if source.speaker_of(seg).respondent().is_none() {
            continue;
        }
        match turns.last_mut() {
            Some((last, turn)) if *last + 1 == i && source.segments[*last].speaker == seg.speaker => {
                turn.end = seg.end;
                *last = i;
            }
            _ => turns.push((i, Turn { start: seg.start, end: seg.end })),
        }
    }
    turns.into_iter().map(|(_, t)| t).collect()
}

/// The best place for `old` (once at `[old_start, old_end)`) in the respondent text of `source`;
/// `None` if it has no respondent text or `old` is empty.
pub fn best(source: &Source, old: &str, old_start: usize) -> Option<Candidate> {
    let body: Vec<char> = source.body.chars().collect();
    let pattern: Vec<char> = old.chars().collect();
    if pattern.is_empty() {
        return None;
    }
    let turns = respondent_turns(source);
    let reach = 2 * pattern.len() + 200;
    let near = |t: &Turn| t.start < old_start + pattern.len() + reach && old_start.saturating_sub(reach) < t.end;
    let mut found: Option<Candidate> = None;
    for turn in turns.iter().filter(|t| near(t)) {
        let from = turn.start.max(old_start.saturating_sub(reach));
        let to = turn.end.min(old_start + pattern.len() + reach);
        keep_better(&mut found, align(&body, *turn, (from, to), &pattern), old_start);
    }
    if found.as_ref().is_some_and(|c| c.score >= NEAR_ENOUGH) {
        return found;
    }
    for (turn, span) in far_windows(&body, &turns, &pattern) {
        keep_better(&mut found, align(&body, turn, span, &pattern), old_start);
    }
    found
}

/// Keeps the higher score; on a tie, the candidate nearer the old position.
fn keep_better(best: &mut Option<Candidate>, new: Option<Candidate>, old_start: usize) {
    let Some(new) = new else { return };
    let better = match best {
        None => true,
        Some(b) => new.score > b.score || (new.score == b.score && new.start.abs_diff(old_start) < b.start.abs_diff(old_start)),
    };
    if better {
        *best = Some(new);
    }
}

/// The stretches of respondent text holding most of the old text's character trigrams, most
/// first (at most [`FAR_WINDOWS`]): windows twice the old length, every old length along each
/// turn, widened by the old length each side. Those holding none are left out.
fn far_windows(body: &[char], turns: &[Turn], pattern: &[char]) -> Vec<(Turn, (usize, usize))> {
    let mut wanted: HashMap<[char; 3], usize> = HashMap::new();
    for w in pattern.windows(3) {
        *wanted.entry([w[0], w[1], w[2]]).or_default() += 1;
    }
    let step = pattern.len().max(50);
    let mut ranked: Vec<(usize, Turn, (usize, usize))> = Vec::new();
    for turn in turns {
        for from in (turn.start..turn.end).step_by(step) {
            let to = (from + 2 * step).min(turn.end);
            let mut left = wanted.clone();
            let mut shared = 0;
            for w in body[from..to].windows(3) {
                if let Some(n) = left.get_mut(&[w[0], w[1], w[2]]).filter(|n| **n > 0) {
                    *n -= 1;
                    shared += 1;
                }
            }
            if shared > 0 {
                let widened = (from.saturating_sub(step).max(turn.start), (to + step).min(turn.end));
                ranked.push((shared, *turn, widened));
            }
        }
    }
    // Most shared first; on a tie, earlier in the source (the sort is stable).
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    ranked.into_iter().take(FAR_WINDOWS).map(|(_, turn, span)| (turn, span)).collect()
}

/// Where a candidate may start: at the start of a whitespace-separated token.
fn may_start(body: &[char], i: usize) -> bool {
    body.get(i).is_some_and(|c| !c.is_whitespace()) && (i == 0 || body[i - 1].is_whitespace())
}

/// Where a candidate may end: at the end of a token, or after a word's last letter when only
/// closing punctuation (`.,;:!?`) follows it in its token (`us` of `us,`).
fn may_end(body: &[char], i: usize) -> bool {
    if i == 0 || body[i - 1].is_whitespace() {
        return false;
    }
    let word = body[i - 1].is_alphanumeric() || body[i - 1] == '_';
    let mut rest = body[i..].iter().take_while(|c| !c.is_whitespace());
    i == body.len() || body[i].is_whitespace() || (word && rest.all(|c| ".,;:!?…".contains(*c)))
}

/// The best candidate in `body[from..to)` of `turn` (Sellers' alignment, starts and ends on
/// token boundaries).
fn align(body: &[char], turn: Turn, (from, to): (usize, usize), pattern: &[char]) -> Option<Candidate> {
    if from >= to {
        return None;
    }
    let text = &body[from..to];
    let n = text.len();
    const FAR: usize = usize::MAX / 2;
    // Row 0: an empty prefix of the pattern costs nothing where a candidate may start.
    let mut cost: Vec<usize> = (0..=n).map(|j| if may_start(body, from + j) { 0 } else { FAR }).collect();
    let mut start: Vec<usize> = (0..=n).collect();
    let mut next_cost = vec![0; n + 1];
    let mut next_start = vec![0; n + 1];
    for p in pattern {
        next_cost[0] = cost[0] + 1;
        next_start[0] = start[0];
        for j in 1..=n {
            let diagonal = cost[j - 1] + usize::from(*p != text[j - 1]);
            let (mut c, mut s) = (diagonal, start[j - 1]);
            if cost[j] + 1 < c {
                (c, s) = (cost[j] + 1, start[j]);
            }
            if next_cost[j - 1] + 1 < c {
                (c, s) = (next_cost[j - 1] + 1, next_start[j - 1]);
            }
            next_cost[j] = c;
            next_start[j] = s;
        }
        std::mem::swap(&mut cost, &mut next_cost);
        std::mem::swap(&mut start, &mut next_start);
    }
    let mut best: Option<(f64, usize, usize)> = None;
    for j in 1..=n {
        let (s, e) = (from + start[j], from + j);
        if cost[j] >= FAR || s >= e || !may_end(body, e) || s < turn.start || e > turn.end {
            continue;
        }
        let score = 1.0 - cost[j] as f64 / pattern.len().max(e - s) as f64;
        if best.is_none_or(|(b, _, _)| score > b) {
            best = Some((score, s, e));
        }
    }
    best.map(|(score, start, end)| Candidate { start, end, score, text: body[start..end].iter().collect() })
}

/// The similarity of two texts: `1 - d / max length`, `d` the Levenshtein distance in characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    let longest = a.chars().count().max(b.chars().count());
    if longest == 0 {
        return 1.0;
    }
    1.0 - crate::text::edit_distance(a, b) as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{transcript, Language};

    /// An interview of `turns` question-and-answer pairs, each answer different.
    fn interview(turns: usize) -> Source {
        let mut text = String::from(
            "---\nsource: XX-1\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\n",
        );
        let (who, what) = (["neighbour", "teacher", "cousin", "nurse", "priest"], ["flat", "forms", "bus pass", "clinic", "school", "market", "job"]);
        for n in 0..turns {
            text.push_str(&format!("I: What happened in week {n}?\n"));
            text.push_str(&format!(
                "R: In week {n} my {} took us to the {} and we spoke about the {} for an hour.\n",
                who[n % 5],
                what[n % 7],
                what[(n / 7) % 7]
            ));
        }
        transcript::parse(std::path::Path::new("XX-1.txt"), text.as_bytes(), Language::English, None).unwrap()
    }

    #[test]
    fn finds_a_changed_answer_far_from_its_old_place_in_a_large_source() {
        let source = interview(900);
        assert!(source.body.len() > 100_000, "{}", source.body.len());
        let old = "In week 812 my cousin Maria took us to the flat and we spoke about the school for an hour.";
        let found = best(&source, old, 0).unwrap();
        assert_eq!(found.text, "In week 812 my cousin took us to the flat and we spoke about the school for an hour.");
        assert_eq!(found.score, 1.0 - 6.0 / 90.0);
        assert_eq!(crate::coding::slice(&source.body, found.start, found.end), found.text);
    }

    #[test]
    fn never_places_on_interviewer_text() {
        let source = interview(20);
        let question = "What happened in week 7?";
        let at = source.body.find(question).unwrap();
        let found = best(&source, question, at).unwrap();
        assert!(source.on_respondent_text(found.start, found.end) && found.score < 0.8, "{found:?}");
    }

    #[test]
    fn similarity_is_one_minus_the_normalised_distance() {
        assert_eq!(similarity("abc", "abc"), 1.0);
        assert_eq!(similarity("Maria came", "[name] came"), 1.0 - 5.0 / 11.0);
        assert_eq!(similarity("", "x"), 0.0);
    }

    #[test]
    fn token_boundaries() {
        let body: Vec<char> = "[name] said: us, then".chars().collect();
        assert!(may_start(&body, 0) && !may_start(&body, 1) && may_start(&body, 7));
        assert!(may_end(&body, 6) && !may_end(&body, 5) && may_end(&body, 11) && may_end(&body, 12));
        assert!(may_end(&body, 15) && may_end(&body, 16) && !may_end(&body, 14) && may_end(&body, 21));
    }
}
