//! Selecting several segments: `v` anchors a range at the selected segment, moving widens it,
//! and the picker then codes every respondent segment of it (as `quire code SOURCE:N-M`, which
//! skips the interviewer's); `v` again or Esc drops it.

use super::app::App;

impl App {
    /// Anchors a range at the selected segment, or drops the range.
    pub fn toggle_anchor(&mut self) {
        self.anchor = match self.anchor {
            Some(_) => None,
            None => Some(self.segment),
        };
        self.status = match (self.anchor, self.selected()) {
            (Some(_), Some(id)) => format!("range from {id}: move to widen it, c codes it, v drops it"),
            _ => "range dropped".into(),
        };
    }

    /// The range's first and last segment numbers, when a range is anchored.
    pub fn range(&self) -> Option<(usize, usize)> {
        let source = self.current()?;
        let anchor = self.anchor?;
        let (a, b) = (anchor.min(self.segment), anchor.max(self.segment));
        Some((source.segments.get(a)?.id.number, source.segments.get(b)?.id.number))
    }

    /// Is segment index `i` inside the anchored range?
    pub fn in_range(&self, i: usize) -> bool {
        self.anchor.is_some_and(|a| a.min(self.segment) <= i && i <= a.max(self.segment))
    }
}
