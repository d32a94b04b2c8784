//! Drawing the terminal coder: the sources pane with progress, the transcript with a margin
//! label (a letter) per code on each segment, suggestions dimmed, the picker and the keys. Every
//! mark is a letter or symbol as well as a style, so it reads without colour.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::app::{App, Mode, Pane};
use super::picker::{Picker, Purpose};

/// Every key, as `?` lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("j/k, ↓/↑", "next / previous respondent segment (or source)"),
    ("Tab", "switch between sources and transcript"),
    ("Enter, c", "code the segment: open the code picker"),
    ("v", "start (again: drop) a range of segments: c codes it"),
    ("x, d", "remove one of your codes from the segment"),
    ("a / r", "accept / reject the segment's suggestions"),
    ("A / R", "every suggestion of those codes in the source"),
    ("u", "undo your last change since the coder opened"),
    ("/ , n", "search the source's respondent text; next hit"),
    ("f", "filter the sources by attribute: country=PT role=EPR,PR"),
    ("o", "another coder's codes beside yours (again: next, none)"),
    ("] / [", "next / previous segment where that coder disagrees"),
    ("picker", "type to filter, ↓/↑ choose, Enter apply, Esc close"),
    ("?", "this help (any key closes it)"),
    ("q, Ctrl-C", "quit"),
];

const MARGIN: usize = 5;

fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    let [left, right] = Layout::horizontal([Constraint::Length(24), Constraint::Min(20)]).areas(main);
    draw_sources(frame, app, left);
    draw_transcript(frame, app, right);
    frame.render_widget(Paragraph::new(status_line(app)), status);
    match &app.mode {
        Mode::Picker(picker) => draw_picker(frame, app, picker, main),
        Mode::Help => draw_help(frame, main),
        _ => {}
    }
}

fn focus_block(title: String, focused: bool) -> Block<'static> {
    let block = Block::default().borders(Borders::ALL).title(title);
    if focused {
        block.border_style(Style::default().add_modifier(Modifier::BOLD))
    } else {
        block.border_style(dim())
    }
}

fn draw_sources(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let height = area.height.saturating_sub(2) as usize;
    let at = app.visible.iter().position(|&i| i == app.source).unwrap_or(0);
    let top = at.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = app
        .visible
        .iter()
        .skip(top)
        .take(height)
        .map(|&i| {
            let row = &app.sources[i];
            let mark = if i == app.source { '>' } else { ' ' };
            let text = format!("{mark}{:<13}{:>4}/{:<3}", row.source.id.as_str(), row.coded, row.total);
            if i == app.source {
                Line::styled(text, Style::default().add_modifier(Modifier::REVERSED))
            } else {
                Line::raw(text)
            }
        })
        .collect();
    let shown = if app.filter.is_empty() { String::new() } else { format!(" · {}/{}", app.visible.len(), app.sources.len()) };
    let title = format!(" sources · {}{shown} ", app.coder);
    frame.render_widget(Paragraph::new(lines).block(focus_block(title, app.pane == Pane::Sources)), area);
}

/// Breaks `text` into lines of at most `width` characters at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let (len, wlen) = (line.chars().count(), word.chars().count());
            if len > 0 && len + 1 + wlen > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The transcript's lines at `width`, and the line where the selected segment starts.
pub fn transcript_lines(app: &App, width: usize) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut at = 0;
    let Some(source) = app.current() else { return (lines, at) };
    for (i, seg) in source.segments.iter().enumerate() {
        let speaker = source.speaker_of(seg);
        let selected = i == app.segment;
        if selected {
            at = lines.len();
        }
        let Some(respondent) = speaker.respondent() else {
            lines.push(Line::styled(format!(" {:>3} {} (interviewer)", seg.id.number, speaker.label), dim()));
            for l in wrap(&seg.text, width.saturating_sub(MARGIN + 1)) {
                lines.push(Line::styled(format!("{:>MARGIN$} {l}", ""), dim()));
            }
            continue;
        };
        let mark = if selected {
            '▶'
        } else if app.in_range(i) {
            '+'
        } else {
            ' '
        };
        let head = format!("{mark}{:>3} {} {}", seg.id.number, speaker.label, respondent.citation());
        let head_style = if selected { Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD) } else { Style::default() };
        lines.push(Line::styled(head, head_style));
        let mut codes: Vec<&crate::codebook::CodePath> = app.on_segment(&app.codings, i).into_iter().map(|c| &c.code).collect();
        codes.dedup();
        let mut labels: String = codes.iter().map(|c| app.codes.symbol(c)).collect();
        if labels.chars().count() > MARGIN - 1 {
            labels = labels.chars().take(MARGIN - 2).chain(['+']).collect();
        }
        for (k, l) in wrap(&seg.text, width.saturating_sub(MARGIN + 1)).into_iter().enumerate() {
            let margin = if k == 0 { labels.clone() } else { String::new() };
            lines.push(Line::from(vec![
                Span::styled(format!("{margin:<w$}│", w = MARGIN - 1), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(format!(" {l}")),
            ]));
        }
        if let Some(other) = app.shown_other() {
            let mut theirs: Vec<char> = app.on_segment(&app.other_codings, i).iter().map(|c| app.codes.symbol(&c.code)).collect();
            theirs.dedup();
            let letters: String = if theirs.is_empty() { "-".into() } else { theirs.into_iter().collect() };
            let mark = if app.disagrees(i) { '≠' } else { '=' };
            lines.push(Line::styled(format!("{mark:<w$}┆ {other}: {letters}", w = MARGIN - 1), dim()));
        }
        for s in app.on_segment(&app.suggestions, i) {
            let text = format!("~{:<w$}~ {} · suggested by {} (a/r)", app.codes.symbol(&s.code), s.code.leaf(), s.coder, w = MARGIN - 2);
            lines.push(Line::styled(text, dim().add_modifier(Modifier::ITALIC)));
        }
    }
    (lines, at)
}

fn draw_transcript(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = match app.current() {
        Some(s) => {
            let attrs: Vec<String> = s.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let respondents: Vec<String> = s.respondents().map(|(sp, r)| format!("{} {}", sp.label, r.citation())).collect();
            let mut title = format!(" {} · {} · {} · {}", s.id, s.method, s.language, respondents.join(", "));
            for a in attrs {
                title.push(' ');
                title.push_str(&a);
            }
            title.push(' ');
            title
        }
        None => " no sources: `quire ingest` first ".into(),
    };
    let width = area.width.saturating_sub(2) as usize;
    let height = area.height.saturating_sub(2) as usize;
    let (lines, at) = transcript_lines(app, width);
    let scroll = at.saturating_sub(height / 3);
    let para = Paragraph::new(lines).block(focus_block(title, app.pane == Pane::Transcript)).scroll((scroll as u16, 0));
    frame.render_widget(para, area);
}

/// The status line: the search being typed, the last message, or the codes on the segment.
pub fn status_line(app: &App) -> String {
    match &app.mode {
        Mode::Search(q) => return format!("/{q}"),
        Mode::Filter(f) => return format!("sources where (KEY=V1,V2 ...): {f}_"),
        _ => {}
    }
    if !app.filter.is_empty() && app.pane == Pane::Sources {
        let filter: Vec<String> = app.filter.iter().map(|f| f.to_string()).collect();
        return format!("{} │ where {}", app.status, filter.join(" "));
    }
    let mut codes: Vec<String> =
        app.on_segment(&app.codings, app.segment).iter().map(|c| format!("{} {}", app.codes.symbol(&c.code), c.code.leaf())).collect();
    codes.dedup();
    let here = if codes.is_empty() { String::new() } else { format!(" │ {}", codes.join(" · ")) };
    format!("{}{here}", app.status)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn draw_picker(frame: &mut Frame<'_>, app: &App, picker: &Picker, area: Rect) {
    let area = centered(area, 60, 18);
    let rows = app.picker_lines(picker);
    let height = area.height.saturating_sub(3) as usize;
    let top = picker.selected.saturating_sub(height.saturating_sub(1));
    let mut lines = vec![Line::raw(format!("filter: {}_", picker.filter))];
    for (k, &i) in rows.iter().enumerate().skip(top).take(height) {
        let e = &app.codes.entries[i];
        let recent = if app.recent.contains(&e.path) { '*' } else { ' ' };
        let indent = "  ".repeat(e.path.depth().saturating_sub(1));
        let count: usize = app.counts.iter().filter(|(c, _)| c.starts_with(&e.path)).map(|(_, n)| n).sum();
        let count = if count > 0 { format!(" ({count})") } else { String::new() };
        let text = format!("{recent}{} {indent}{} · {}{count}", e.symbol.unwrap_or(' '), e.path.leaf(), e.name);
        let style = match (k == picker.selected, e.codable) {
            (true, _) => Style::default().add_modifier(Modifier::REVERSED),
            (false, false) => dim(),
            _ => Style::default(),
        };
        lines.push(Line::styled(text, style));
    }
    if rows.is_empty() {
        lines.push(Line::styled("no code matches", dim()));
    }
    let title = match picker.purpose {
        Purpose::Apply => " code the segment (Enter applies, Esc closes) ",
        Purpose::Remove => " remove a code (Enter removes, Esc closes) ",
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)), area);
}

fn draw_help(frame: &mut Frame<'_>, area: Rect) {
    let area = centered(area, 70, KEYS.len() as u16 + 2);
    let lines: Vec<Line> = KEYS.iter().map(|(k, what)| Line::raw(format!("{k:<10} {what}"))).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")), area);
}
