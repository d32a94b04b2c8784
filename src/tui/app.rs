//! The terminal coder's state and what each key does: [`App::handle`] turns a key into a change
//! of state or an [`Action`] that writes, and [`App::perform`] carries an action out through the
//! same library calls as `quire code`, `uncode`, `undo` and `suggestions accept|reject`, taking
//! the project's lock for that one write only.

use super::picker::{Codes, Picker, Purpose};
use crate::codebook::{CodePath, Codebook};
use crate::coding::suggestions::{self, Selection};
use crate::coding::{apply, store, Coder, Coding, Target};
use crate::corpus::filter::AttrFilter;
use crate::corpus::{SegmentId, Source, SourceId};
use crate::error::{Error, Result};
use crate::project::history::{self, undo};
use crate::project::Project;

/// A key, as the terminal loop reads it (no terminal library in here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Up,
    Down,
    /// Ctrl-C: quit from anywhere.
    Interrupt,
}

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Sources,
    Transcript,
}

/// What the keys are doing besides moving.
#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    Picker(Picker),
    /// Typing a search.
    Search(String),
    /// Typing the sources' attribute filter (`country=PT role=EPR`).
    Filter(String),
    Help,
}

/// A write the coder asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Code(SegmentId, CodePath),
    /// Code every respondent segment numbered `first..=last` of a source.
    CodeRange {
        source: SourceId,
        first: usize,
        last: usize,
        code: CodePath,
    },
    Uncode(SegmentId, CodePath),
    /// Undo the last write this coder made (refused if another came after it).
    Undo,
    /// Accept (else reject) the suggestions on a segment; with `per_code`, every suggestion of
    /// their codes in the segment's source.
    Review {
        segment: SegmentId,
        accept: bool,
        per_code: bool,
    },
}

/// What the loop does after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Write(Action),
    /// Another source is shown: read its codings ([`App::reload`]).
    Reload,
    Quit,
}

/// One source as the sources pane lists it.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub source: Source,
    /// Respondent segments with a coding of the current coder.
    pub coded: usize,
    /// Respondent segments.
    pub total: usize,
}

/// The coder's whole state.
pub struct App {
    pub coder: Coder,
    pub sources: Vec<SourceRow>,
    pub codes: Codes,
    /// The current coder's codings of the current source.
    pub codings: Vec<Coding>,
    /// How many codings the current coder has of each code, in every source.
    pub counts: std::collections::BTreeMap<CodePath, usize>,
    /// Pending suggestions of the current source.
    pub suggestions: Vec<Coding>,
    pub pane: Pane,
    pub mode: Mode,
    pub source: usize,
    /// Index into the current source's segments (always a respondent segment when there is one).
    pub segment: usize,
    /// Codes applied this session, oldest first.
    pub recent: Vec<CodePath>,
    /// History numbers of the changes made since the coder opened that are not undone yet,
    /// oldest first (what `u` undoes).
    pub writes: Vec<u64>,
    /// History numbers of every write this coder made, undos included.
    pub mine: Vec<u64>,
    pub last_search: String,
    /// The message of the last action, for the status line.
    pub status: String,
    /// The sources' attribute filter, and the sources it lets through (indices, in order).
    pub filter: Vec<AttrFilter>,
    pub visible: Vec<usize>,
    /// The coders `o` can show beside this one, the one shown, and its codings of the source.
    pub others: Vec<Coder>,
    pub other: Option<usize>,
    pub other_codings: Vec<Coding>,
    /// Where a range of segments was anchored (`v`), as a segment index.
    pub anchor: Option<usize>,
}

impl App {
    /// Opens the coder on `project` as `coder` (default: the project's coder).
    pub fn open(project: &Project, coder: Option<Coder>) -> Result<App> {
        let coder = coder.unwrap_or_else(|| project.manifest.coder.clone());
        let codes = Codes::of(&Codebook::load(&project.codebook_path())?);
        let others = App::other_coders(project, &coder)?;
        let mut by_source: std::collections::HashMap<_, Vec<Coding>> = std::collections::HashMap::new();
        for c in store::read(&store::path(project, &coder, store::CodingFile::Anchored))? {
            by_source.entry(c.source.clone()).or_default().push(c);
        }
        let sources = project
            .load_sources()?
            .into_iter()
            .map(|source| {
                let (coded, total) = progress(&source, by_source.get(&source.id).map_or(&[][..], |v| v));
                SourceRow { source, coded, total }
            })
            .collect();
        let mut app = App {
            coder,
            sources,
            codes,
            codings: Vec::new(),
            counts: Default::default(),
            suggestions: Vec::new(),
            pane: Pane::Transcript,
            mode: Mode::Normal,
            source: 0,
            segment: 0,
            recent: Vec::new(),
            writes: Vec::new(),
            mine: Vec::new(),
            last_search: String::new(),
            status: "? for keys".into(),
            filter: Vec::new(),
            visible: Vec::new(),
            others,
            other: None,
            other_codings: Vec::new(),
            anchor: None,
        };
        app.visible = (0..app.sources.len()).collect();
        app.reload(project)?;
        app.segment = app.first_respondent(0, 1).unwrap_or(0);
        Ok(app)
    }

    pub fn current(&self) -> Option<&Source> {
        self.sources.get(self.source).map(|r| &r.source)
    }

    /// The selected segment, when it is a respondent's.
    pub fn selected(&self) -> Option<SegmentId> {
        let source = self.current()?;
        let seg = source.segments.get(self.segment)?;
        source.speaker_of(seg).respondent().map(|_| seg.id.clone())
    }

    /// Codings of `list` on segment `i` of the current source.
    pub fn on_segment<'a>(&self, list: &'a [Coding], i: usize) -> Vec<&'a Coding> {
        let Some(seg) = self.current().and_then(|s| s.segments.get(i)) else { return Vec::new() };
        list.iter().filter(|c| c.overlaps(seg.start, seg.end)).collect()
    }

    /// Rereads the current coder's codings and the suggestions of the current source.
    pub fn reload(&mut self, project: &Project) -> Result<()> {
        let Some(id) = self.current().map(|s| s.id.clone()) else { return Ok(()) };
        let mine = store::read(&store::path(project, &self.coder, store::CodingFile::Anchored))?;
        self.counts.clear();
        for c in &mine {
            *self.counts.entry(c.code.clone()).or_default() += 1;
        }
        self.codings = mine.into_iter().filter(|c| c.source == id).collect();
        let selection = Selection { sources: [id].into_iter().collect(), ..Selection::default() };
        self.suggestions = suggestions::list(project, &selection)?;
        let row = &mut self.sources[self.source];
        (row.coded, row.total) = progress(&row.source, &self.codings);
        self.reload_other(project)
    }

    /// The next respondent segment from `from` in direction `step` (±1), `from` included.
    fn first_respondent(&self, from: usize, step: isize) -> Option<usize> {
        let source = self.current()?;
        let mut i = from as isize;
        while i >= 0 && (i as usize) < source.segments.len() {
            let seg = &source.segments[i as usize];
            if source.speaker_of(seg).respondent().is_some() {
                return Some(i as usize);
            }
            i += step;
        }
        None
    }

    /// Handles one key: moves, opens or drives the picker, search and help, or asks for a write.
    pub fn handle(&mut self, key: Key) -> Effect {
        if key == Key::Interrupt {
            return Effect::Quit;
        }
        match self.mode.clone() {
            Mode::Help => {
                self.mode = Mode::Normal;
                Effect::None
            }
            Mode::Search(query) => self.search_key(query, key),
            Mode::Filter(text) => self.filter_key(text, key),
            Mode::Picker(picker) => self.picker_key(picker, key),
            Mode::Normal => self.normal_key(key),
        }
    }

    fn normal_key(&mut self, key: Key) -> Effect {
        match key {
            Key::Char('q') => return Effect::Quit,
            Key::Char('?') => self.mode = Mode::Help,
            Key::Tab => self.pane = if self.pane == Pane::Sources { Pane::Transcript } else { Pane::Sources },
            Key::Char('j') | Key::Down => return self.step(1),
            Key::Char('k') | Key::Up => return self.step(-1),
            Key::Char('f') => self.mode = Mode::Filter(String::new()),
            Key::Char('/') => self.mode = Mode::Search(String::new()),
            Key::Char('n') => self.find_next(),
            Key::Char('u') => return Effect::Write(Action::Undo),
            Key::Char('o') => return self.toggle_other(),
            Key::Char('v') => self.toggle_anchor(),
            Key::Esc if self.anchor.is_some() => self.toggle_anchor(),
            Key::Char(']') => return self.next_disagreement(1),
            Key::Char('[') => return self.next_disagreement(-1),
            Key::Enter if self.pane == Pane::Sources => self.pane = Pane::Transcript,
            Key::Enter | Key::Char('c') => self.open_picker(Purpose::Apply),
            Key::Char('x') | Key::Char('d') => self.open_picker(Purpose::Remove),
            Key::Char(c @ ('a' | 'r' | 'A' | 'R')) => {
                let Some(segment) = self.selected() else { return Effect::None };
                if self.on_segment(&self.suggestions, self.segment).is_empty() {
                    self.status = format!("{segment}: no suggestion on this segment");
                    return Effect::None;
                }
                let (accept, per_code) = (c.eq_ignore_ascii_case(&'a'), c.is_ascii_uppercase());
                return Effect::Write(Action::Review { segment, accept, per_code });
            }
            _ => {}
        }
        Effect::None
    }

    /// Moves the selection one (visible) source or one respondent segment.
    fn step(&mut self, by: isize) -> Effect {
        match self.pane {
            Pane::Sources => {
                let at = self.visible.iter().position(|&i| i == self.source).map_or(0, |p| p as isize + by);
                match usize::try_from(at).ok().and_then(|p| self.visible.get(p)) {
                    Some(&next) => self.show_source(next),
                    None => Effect::None,
                }
            }
            Pane::Transcript => {
                let from = self.segment as isize + by;
                if from >= 0 {
                    if let Some(i) = self.first_respondent(from as usize, by) {
                        self.segment = i;
                    }
                }
                Effect::None
            }
        }
    }

    fn show_source(&mut self, index: usize) -> Effect {
        if index == self.source {
            return Effect::None;
        }
        self.source = index;
        self.segment = self.first_respondent(0, 1).unwrap_or(0);
        Effect::Reload
    }

    fn filter_key(&mut self, mut text: String, key: Key) -> Effect {
        match key {
            Key::Esc => self.mode = Mode::Normal,
            Key::Enter => {
                self.mode = Mode::Normal;
                return self.set_filter(&text);
            }
            Key::Backspace => {
                text.pop();
                self.mode = Mode::Filter(text);
            }
            Key::Char(c) => {
                text.push(c);
                self.mode = Mode::Filter(text);
            }
            _ => self.mode = Mode::Filter(text),
        }
        Effect::None
    }

    /// Shows only the sources with a respondent whose attributes pass every `KEY=V1,V2` of
    /// `text` (empty: every source); a filter that does not parse is reported, nothing changed.
    pub fn set_filter(&mut self, text: &str) -> Effect {
        let filter: Vec<AttrFilter> = match text.split_whitespace().map(str::parse).collect::<Result<_, String>>() {
            Ok(f) => f,
            Err(e) => {
                self.status = e;
                return Effect::None;
            }
        };
        let passes = |source: &Source| {
            source.respondents().any(|(speaker, _)| {
                let attrs = source.speaker_attributes(speaker);
                filter.iter().all(|f| attrs.get(&f.key).is_some_and(|v| f.values.contains(v)))
            })
        };
        self.visible = self.sources.iter().enumerate().filter(|(_, r)| passes(&r.source)).map(|(i, _)| i).collect();
        self.status = format!("{} of {} source(s)", self.visible.len(), self.sources.len());
        self.filter = filter;
        match self.visible.first() {
            Some(_) if self.visible.contains(&self.source) => Effect::None,
            Some(&first) => self.show_source(first),
            None => Effect::None,
        }
    }

    fn open_picker(&mut self, purpose: Purpose) {
        let Some(id) = self.selected() else {
            self.status = "only respondent segments are coded".into();
            return;
        };
        if purpose == Purpose::Remove && self.on_segment(&self.codings, self.segment).is_empty() {
            self.status = format!("{id}: no coding of {} here", self.coder);
            return;
        }
        self.mode = Mode::Picker(Picker { purpose, filter: String::new(), selected: 0 });
    }

    /// The picker's lines: indices into the codes.
    pub fn picker_lines(&self, picker: &Picker) -> Vec<usize> {
        let only: Option<Vec<CodePath>> = match picker.purpose {
            Purpose::Apply => None,
            Purpose::Remove => Some(self.on_segment(&self.codings, self.segment).into_iter().map(|c| c.code.clone()).collect()),
        };
        self.codes.filtered(&picker.filter, &self.recent, only.as_deref())
    }

    fn picker_key(&mut self, mut picker: Picker, key: Key) -> Effect {
        let lines = self.picker_lines(&picker);
        match key {
            Key::Esc => {
                self.mode = Mode::Normal;
                return Effect::None;
            }
            Key::Down => picker.selected = (picker.selected + 1).min(lines.len().saturating_sub(1)),
            Key::Up => picker.selected = picker.selected.saturating_sub(1),
            Key::Backspace => {
                picker.filter.pop();
                picker.selected = 0;
            }
            Key::Char(c) => {
                picker.filter.push(c);
                picker.selected = 0;
            }
            Key::Enter => return self.pick(&picker, &lines),
            _ => {}
        }
        self.mode = Mode::Picker(picker);
        Effect::None
    }

    fn pick(&mut self, picker: &Picker, lines: &[usize]) -> Effect {
        let Some(entry) = lines.get(picker.selected).map(|i| &self.codes.entries[*i]) else {
            self.status = format!("no code matches `{}`", picker.filter);
            return Effect::None;
        };
        if !entry.codable {
            self.status = format!("{} is a folder: pick a code inside it", entry.path);
            return Effect::None;
        }
        let Some(id) = self.selected() else { return Effect::None };
        self.mode = Mode::Normal;
        let code = entry.path.clone();
        if let (Purpose::Apply, Some((first, last))) = (picker.purpose, self.range()) {
            self.anchor = None;
            return Effect::Write(Action::CodeRange { source: id.source, first, last, code });
        }
        Effect::Write(match picker.purpose {
            Purpose::Apply => Action::Code(id, code),
            Purpose::Remove => Action::Uncode(id, code),
        })
    }

    fn search_key(&mut self, mut query: String, key: Key) -> Effect {
        match key {
            Key::Esc => self.mode = Mode::Normal,
            Key::Enter => {
                self.mode = Mode::Normal;
                self.last_search = query;
                self.find_next();
            }
            Key::Backspace => {
                query.pop();
                self.mode = Mode::Search(query);
            }
            Key::Char(c) => {
                query.push(c);
                self.mode = Mode::Search(query);
            }
            _ => self.mode = Mode::Search(query),
        }
        Effect::None
    }

    /// Moves to the next respondent segment of the current source holding the last search
    /// (case-insensitive), wrapping around.
    fn find_next(&mut self) {
        let query = self.last_search.to_lowercase();
        let Some(source) = self.current() else { return };
        if query.is_empty() {
            return;
        }
        let n = source.segments.len();
        let hit = (1..=n).map(|k| (self.segment + k) % n).find(|&i| {
            let seg = &source.segments[i];
            source.speaker_of(seg).respondent().is_some() && seg.text.to_lowercase().contains(&query)
        });
        match hit {
            Some(i) => {
                self.segment = i;
                self.status = format!("/{}", self.last_search);
            }
            None => self.status = format!("`{}` not found in {}", self.last_search, source.id),
        }
    }

    /// Carries out `action` under the project's lock, records it, and rereads the codings. An
    /// error leaves the state as it was and becomes the status line.
    pub fn perform(&mut self, project: &Project, action: &Action) -> Result<()> {
        let result = self.write(project, action);
        match &result {
            Ok(message) => self.status = message.clone(),
            Err(e) => self.status = e.to_string(),
        }
        self.reload(project)?;
        result.map(|_| ())
    }

    fn write(&mut self, project: &Project, action: &Action) -> Result<String> {
        let _lock = project.lock()?;
        let message = match action {
            Action::Code(id, code) => {
                history::set_command(["tui", "code", &id.to_string(), &code.to_string(), "--coder", self.coder.as_str()]);
                let done = apply::code(project, &Target::Segment(id.clone()), &[code.to_string()], Some(self.coder.clone()))?;
                self.recent.retain(|c| c != code);
                self.recent.push(code.clone());
                format!("{id}: {code} {}", if done.added > 0 { "added" } else { "already there" })
            }
            Action::CodeRange { source, first, last, code } => {
                let target = format!("{source}:{first}-{last}");
                history::set_command(["tui", "code", &target, &code.to_string(), "--coder", self.coder.as_str()]);
                let range = Target::Segments { source: source.clone(), first: *first, last: *last };
                let done = apply::code(project, &range, &[code.to_string()], Some(self.coder.clone()))?;
                self.recent.retain(|c| c != code);
                self.recent.push(code.clone());
                format!("{target}: {code} added to {} segment(s)", done.added)
            }
            Action::Uncode(id, code) => {
                history::set_command(["tui", "uncode", &id.to_string(), &code.to_string(), "--coder", self.coder.as_str()]);
                let (_, removed) = apply::uncode(project, &Target::Segment(id.clone()), &[code.to_string()], Some(self.coder.clone()))?;
                format!("{id}: {code} removed ({removed})")
            }
            Action::Review { segment, accept, per_code } => return self.review(project, segment, *accept, *per_code),
            Action::Undo => return self.undo(project),
        };
        self.record(project, true)?;
        Ok(message)
    }

    fn review(&mut self, project: &Project, id: &SegmentId, accept: bool, per_code: bool) -> Result<String> {
        let sources: Vec<Source> = self.current().into_iter().cloned().collect();
        let segments = Selection::segments_of(&sources, std::slice::from_ref(id))?;
        let verb = if accept { "accept" } else { "reject" };
        let mut command: Vec<String> = ["tui", "suggestions", verb].map(String::from).to_vec();
        let selection = if per_code {
            let mut codes: Vec<CodePath> = self.on_segment(&self.suggestions, self.segment).into_iter().map(|c| c.code.clone()).collect();
            codes.dedup();
            for c in &codes {
                command.extend(["--code".into(), c.to_string()]);
            }
            command.extend(["--source".into(), id.source.to_string()]);
            Selection { codes, sources: [id.source.clone()].into_iter().collect(), ..Selection::default() }
        } else {
            command.extend(["--segment".into(), id.to_string()]);
            Selection { segments, ..Selection::default() }
        };
        if accept {
            command.extend(["--coder".into(), self.coder.to_string()]);
        }
        history::set_command(command);
        let decided =
            if accept { suggestions::accept(project, &selection, &self.coder, false)? } else { suggestions::reject(project, &selection, false)? };
        self.record(project, true)?;
        let mut codes: Vec<String> = decided.taken.iter().map(|c| c.code.to_string()).collect();
        codes.dedup();
        let n = decided.taken.len();
        Ok(format!("{id}: {verb}ed {n} suggestion(s) of {}", codes.join(", ")))
    }

    /// Notes the number of the write just made (for `u`, when `undoable`).
    fn record(&mut self, project: &Project, undoable: bool) -> Result<()> {
        if let Some(last) = history::entries(project.root())?.last() {
            self.mine.push(last.number);
            if undoable {
                self.writes.push(last.number);
            }
        }
        Ok(())
    }

    /// Undoes this coder's last change not undone yet: every write from it on, which must all
    /// be this coder's (the change and the undos made since), through the project's undo.
    fn undo(&mut self, project: &Project) -> Result<String> {
        let Some(&change) = self.writes.last() else {
            return Err(Error::refused("nothing to undo since the coder opened"));
        };
        let entries = history::entries(project.root())?;
        if let Some(other) = entries.iter().find(|e| e.number > change && !self.mine.contains(&e.number)) {
            return Err(Error::refused(format!(
                "write {} (`{}`) came from elsewhere after this coder's last change: undo with `quire undo`",
                other.number, other.command
            )));
        }
        let command = entries.iter().find(|e| e.number == change).map(|e| e.command.clone()).unwrap_or_default();
        history::set_command(["tui", "undo", "--to", &(change - 1).to_string()]);
        let plan = undo::plan(project, Some(change - 1))?;
        undo::apply(project, plan)?;
        self.writes.pop();
        self.record(project, false)?;
        Ok(format!("undid `{command}`"))
    }
}

/// (respondent segments with a coding in `codings`, respondent segments) of `source`.
fn progress(source: &Source, codings: &[Coding]) -> (usize, usize) {
    let mut coded = 0;
    let mut total = 0;
    for (seg, _) in source.respondent_segments() {
        total += 1;
        if codings.iter().any(|c| c.source == source.id && c.overlaps(seg.start, seg.end)) {
            coded += 1;
        }
    }
    (coded, total)
}
